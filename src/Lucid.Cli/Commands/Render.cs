using Lucid.Tensors;
namespace Lucid.Cli;

public static partial class Cli
{
    // ---- lucid render <model> (--channel tap:c | --class label) -o image.png
    private static Command RenderCommandLine(Bind bind)
    {
        var model = new Argument<string?>("model") { Description = "Bundled model name or an .onnx file (omit with --demo).", Arity = ArgumentArity.ZeroOrOne };
        var demo = new Option<bool>("--demo") { Description = "Use the bundled inception-mini (and, without --channel or --class, its class 'solid ring')." };
        var channel = new Option<string?>("--channel") { Description = "Visualize a channel: tap:index (e.g. mixed4a:7)." };
        var label = new Option<string?>("--class") { Description = "Visualize a class (its log-probability)." };
        var steps = new Option<int?>("--steps") { Description = "Optimization steps (default: 512; 256 for models under 128 px)." };
        var size = new Option<int?>("--size") { Description = "Image size (default: the model's input size)." };
        var lr = new Option<float?>("--lr") { Description = "Adam learning rate (default: Lucid's 0.05; 0.2 with roll jitter for models under 128 px)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the image and the transforms.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out", "-o") { Description = "PNG to write.", Required = true };
        var method = new Option<string>("--method", "--param") { Description = "lucid (Fourier, decorrelated, Lucid's transforms), maco (phase only) or vital (feature distributions; inception-mini).", DefaultValueFactory = _ => "lucid" };
        var photos = new Option<string?>("--photos") { Description = "MACO/VITAL on a network trained on photos: a directory of reference photos (default: Debian's /usr/share/darknet/data)." };
        var plot = new Option<string?>("--plot") { Description = "Also chart the objective and each term over the steps (.png, .svg or .pdf)." };
        var allClasses = new Option<bool>("--all-classes") { Description = "Render every class as one batch (Lucid-style) and write a labelled grid." };
        var command = new Command("render", "Feature visualization: optimize an image for a channel or a class (Lucid-style, MACO or VITAL).")
            { model, demo, channel, label, steps, size, lr, seed, output, method, allClasses, photos, plot };
        bind(command, (s, ct) =>
        {
            var m = s.Model(ModelName(s, model, demo), withWeights: true);
            if (s.Get(allClasses))
            {
                if (s.Get(channel) is not null || s.Get(label) is not null || s.Get(method) != "lucid")
                    throw new LucidArgumentException("all-classes", "render: --all-classes renders every class Lucid-style; drop --channel, --class and --method.");
                var timer = Stopwatch.StartNew();
                int n = s.Get(size) ?? m.Input.Shape[^1];
                var preset = n < 128 ? Lucid.Optvis.RenderOptions.ForSmallInput(n) : new Lucid.Optvis.RenderOptions();
                var batch = Lucid.Optvis.Recipes.Classes(m, m.Labels, n, preset with { Steps = s.Get(steps) ?? preset.Steps, Seed = s.Get(seed), Cancellation = ct }, s.Get(seed));
                string gridPath = s.Get(output)!;
                using (batch.Image) Lucid.Imaging.ImageGrid.FromBatch(batch.Image, m.Labels.ToArray(), columns: 5, scale: 2).SavePng(gridPath);
                s.Say(Invariant($"every class of {m.Name} ({m.Labels.Count}) in {batch.ObjectivePerStep.Length} steps ({timer.Elapsed.TotalSeconds:F1} s); wrote {gridPath}"));
                s.Result(new { model = m.Name, classes = m.Labels, steps = batch.ObjectivePerStep.Length, seed = s.Get(seed), cancelled = batch.Cancelled, output = ImageInfo(gridPath) });
                return;
            }
            string? unit = s.Get(channel), cls = s.Get(label) ?? (s.Get(demo) && unit is null ? "solid ring" : null);
            var objective = RenderMethods.Objective(unit, cls);
            int px = s.Get(size) ?? m.Input.Shape[^1];
            if (px < 8) throw new LucidArgumentException("size", $"render: --size must be at least 8 pixels, got {px}.");
            var clock = Stopwatch.StartNew();
            string how = s.Get(method)!;
            var result = s.WithProgress($"render {objective.Description}", report =>
                RenderMethods.Render(m, objective, how, cls, unit, px, s.Get(steps), s.Get(lr), s.Get(seed), ct,
                    new Progress<Lucid.Optvis.RenderProgress>(p => report(p.Step + 1, s.Get(steps) ?? 256, Invariant($"objective {p.Objective:G4}"))), s.Get(photos)));
            string path = s.Get(output)!;
            // a class render from noise is a fooling image: report how sure the model is of it
            (string Predicted, double Confidence)? fooled = null;
            if (cls is not null && m.Labels.Count > 0)
                using (Lucid.Tensors.Autograd.GradMode.NoGrad())
                using (Lucid.Tensors.Tensor.Scope())
                {
                    var seen = result.Image.Size(2) == m.Input.Shape[1] && result.Image.Size(3) == m.Input.Shape[2] ? result.Image
                        : Lucid.Tensors.Ops.Interpolate(result.Image, m.Input.Shape[1], m.Input.Shape[2], Lucid.Tensors.InterpolationMode.Bilinear);
                    var p = Lucid.Tensors.Ops.Softmax(m.Forward(seen), 1).ToArray();
                    int best = Ops.ArgMax(p), wanted = m.Labels.ToList().IndexOf(cls);
                    fooled = (m.Labels[best], wanted >= 0 ? p[wanted] : double.NaN);
                }
            using (result.Image) Lucid.Imaging.Image.FromTensor(result.Image).SavePng(path);
            double msPerStep = clock.Elapsed.TotalMilliseconds / Math.Max(1, result.ObjectivePerStep.Length);
            if (s.Get(plot) is { } plotPath)
                Lucid.Interfaces.Figures.Plots.Objective(result.ObjectivePerStep, result.TermsPerStep, $"{m.Name}: {objective.Description} ({how})").Save(plotPath);
            string what = how == "vital" ? $"VITAL sort-matching [{cls ?? unit}]" : objective.Description;
            s.Say(Invariant($"{what}: {result.ObjectivePerStep[0]:G4} → {result.ObjectivePerStep[^1]:G4} in {result.ObjectivePerStep.Length} steps ({msPerStep:F1} ms/step){(fooled is { } f ? $"; the model sees '{f.Predicted}', p('{cls}') = {f.Confidence:F3}" : "")}; wrote {path}"));
            s.Result(new { model = m.Name, objective = what, method = how, steps = result.ObjectivePerStep.Length, seed = s.Get(seed), size = px,
                objectiveFirst = result.ObjectivePerStep[0], objectiveLast = result.ObjectivePerStep[^1], msPerStep, cancelled = result.Cancelled, output = ImageInfo(path), plot = s.Get(plot),
                predicted = fooled?.Predicted, confidence = fooled?.Confidence });
        });
        return command;
    }

    private static string ModelName(Session s, Argument<string?> model, Option<bool> demo)
    {
        var name = s.Get(model);
        if (s.Get(demo))
        {
            if (name is not null && name != "inception-mini") throw new LucidArgumentException("demo", $"{(demo.Name)} uses the bundled inception-mini; drop the model argument '{name}'.");
            return "inception-mini";
        }
        return name ?? throw new LucidArgumentException("model", "give a model (a bundled name such as inception-mini, or an .onnx file), or --demo.");
    }
}
