using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Lucid.Interfaces;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Models.Training;
using Lucid.Tensors.Kernels;

namespace Lucid.Cli;

/// <summary>
/// The <c>lucid</c> command line. <see cref="Run"/> is the whole program (Program.cs calls it; tests call it in-process
/// with their own writers). Global options: <c>--json</c> (one JSON document on stdout), <c>--quiet</c>,
/// <c>--verbose</c> (stack traces), <c>--threads</c>.
/// </summary>
public static class Cli
{
    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print one JSON document with the command's results on stdout (fields: docs/cli.md).", Recursive = true };
    private static readonly Option<bool> QuietOption = new("--quiet", "-q") { Description = "Print nothing but errors.", Recursive = true };
    private static readonly Option<bool> VerboseOption = new("--verbose") { Description = "Print the stack trace of an error.", Recursive = true };
    private static readonly Option<int?> ThreadsOption = new("--threads") { Description = "Kernel threads (default: all cores).", Recursive = true };

    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellation = default)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = new RootCommand("lucid — feature visualization, attribution and Building Blocks interfaces for .NET models.")
        {
            Inspect(), Schema(), Render(), Attribute(), Blocks(), Catalog(), Train(), Evaluate(), Quality(),
        };
        foreach (var option in new Option[] { JsonOption, QuietOption, VerboseOption, ThreadsOption }) root.Options.Add(option);
        var parse = root.Parse(args);
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });

        // every command's action goes through Execute (bound below with the writers of this invocation)
        Command Inspect() => InspectCommand(Bind);
        Command Schema() => SchemaCommand(Bind);
        Command Render() => RenderCommandLine(Bind);
        Command Attribute() => AttributeCommandLine(Bind);
        Command Blocks() => BlocksCommand(Bind);
        Command Catalog() => CatalogCommand(Bind);
        Command Train() => TrainCommand(Bind);
        Command Evaluate() => EvaluateCommand(Bind);
        Command Quality() => QualityCommand(Bind);

        void Bind(Command command, Action<Session, CancellationToken> action) =>
            command.SetAction((parse, token) => Task.FromResult(Execute(parse, output, error, action, CancellationTokenSource.CreateLinkedTokenSource(token, cancellation).Token)));
    }

    /// <summary>Runs one command: threads, the action, and every failure turned into one line and an exit code.</summary>
    private static int Execute(ParseResult parse, TextWriter output, TextWriter error, Action<Session, CancellationToken> action, CancellationToken cancellation)
    {
        var session = new Session(parse, output, error, parse.GetValue(JsonOption), parse.GetValue(QuietOption), parse.GetValue(VerboseOption));
        try
        {
            if (parse.GetValue(ThreadsOption) is { } threads)
            {
                if (threads < 1) throw new LucidArgumentException("threads", $"--threads must be at least 1, got {threads}.");
                ParallelKernels.Threads = threads;
            }
            action(session, cancellation);
            return cancellation.IsCancellationRequested ? Fail(session, ExitCodes.Cancelled, "cancelled; finished work was kept.", null) : ExitCodes.Success;
        }
        catch (NumericalException e) { return Fail(session, ExitCodes.Numerical, e.Message, e); }
        catch (LucidCancelledException e) { return Fail(session, ExitCodes.Cancelled, e.Message, e); }
        catch (LucidException e) { return Fail(session, ExitCodes.InvalidInput, e.Message, e); }
        catch (FileNotFoundException e) { return Fail(session, ExitCodes.Io, $"file not found: {e.FileName ?? e.Message}", e); }
        catch (DirectoryNotFoundException e) { return Fail(session, ExitCodes.Io, $"directory not found: {e.Message}", e); }
        catch (UnauthorizedAccessException e) { return Fail(session, ExitCodes.Io, $"access denied: {e.Message}", e); }
        catch (IOException e) { return Fail(session, ExitCodes.Io, e.Message, e); }
        catch (OperationCanceledException e) { return Fail(session, ExitCodes.Cancelled, "cancelled; finished work was kept.", e); }
        catch (Exception e) { return Fail(session, ExitCodes.Internal, $"internal error ({e.GetType().Name}): {e.Message} — please report it; --verbose prints the stack trace.", e); }
    }

    private static int Fail(Session session, int code, string message, Exception? e)
    {
        session.Error.WriteLine($"lucid: {message.ReplaceLineEndings(" ")}");
        if (session.Verbose && e is not null) session.Error.WriteLine(e.ToString());
        if (session.Json) session.Output.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { error = new { code, message } }, Session.JsonOptions));
        return code;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static object ImageInfo(string path)
    {
        var image = Lucid.Imaging.Image.LoadPng(path);
        return new { path, width = image.Width, height = image.Height };
    }

    // ---- lucid inspect <model>
    private static Command InspectCommand(Action<Command, Action<Session, CancellationToken>> bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model name or an .onnx file." };
        var command = new Command("inspect", "List a model's taps with kinds, shapes and parameter counts, and its labels.") { model };
        bind(command, (s, _) =>
        {
            var m = BundledModels.Resolve(s.Get(model)!, withWeights: true);
            var taps = m.Nodes.Select(n => new { name = n.Name, kind = n.Layer.Kind, shape = n.OutputShape, parameters = n.Layer.Parameters.Sum(p => (long)p.Value.Count) }).ToList();
            s.Say(Invariant($"{m.Name}: input [{string.Join(", ", m.Input.Shape)}] in [{m.Input.Min}, {m.Input.Max}]"));
            foreach (var t in taps) s.Say(Invariant($"  {t.name,-28} {t.kind,-18} [{string.Join(", ", t.shape)}]{(t.parameters > 0 ? $"  {t.parameters:N0} parameters" : "")}"));
            s.Say($"labels: {string.Join(", ", m.Labels)}");
            s.Result(new { model = m.Name, input = new { shape = m.Input.Shape, min = m.Input.Min, max = m.Input.Max }, taps, labels = m.Labels, parameters = taps.Sum(t => t.parameters) });
        });
        return command;
    }

    // ---- lucid schema <model> [-o file]
    private static Command SchemaCommand(Action<Command, Action<Session, CancellationToken>> bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model name or an .onnx file." };
        var output = new Option<string?>("--out", "-o") { Description = "Where to write the schema (default: stdout)." };
        var command = new Command("schema", "Write the schema (taps, shapes, inputs, labels) the DSL generator reads.") { model, output };
        bind(command, (s, _) =>
        {
            var m = BundledModels.Resolve(s.Get(model)!, withWeights: false);
            var schema = ModelSchema.From(m);
            if (s.Get(output) is { } path)
            {
                schema.Save(path);
                s.Say($"{m.Name}: {schema.Taps.Count()} taps, {m.Labels.Count} labels; wrote {path}");
                s.Result(new { model = m.Name, path, taps = schema.Taps.Count(), labels = m.Labels.Count });
            }
            else if (s.Json) s.Result(new { model = m.Name, taps = schema.Taps.Count(), labels = m.Labels.Count, schema = System.Text.Json.JsonDocument.Parse(schema.ToJson()).RootElement });
            else if (!s.Quiet) s.Output.Write(schema.ToJson());
        });
        return command;
    }

    // ---- lucid render <model> (--channel tap:c | --class label) -o image.png
    private static Command RenderCommandLine(Action<Command, Action<Session, CancellationToken>> bind)
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
        var allClasses = new Option<bool>("--all-classes") { Description = "Render every class as one batch (Lucid-style) and write a labelled grid." };
        var command = new Command("render", "Feature visualization: optimize an image for a channel or a class (Lucid-style, MACO or VITAL).")
            { model, demo, channel, label, steps, size, lr, seed, output, method, allClasses };
        bind(command, (s, ct) =>
        {
            var m = BundledModels.Resolve(ModelName(s, model, demo), withWeights: true);
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
            var objective = RenderCommand.Objective(unit, cls);
            int px = s.Get(size) ?? m.Input.Shape[^1];
            if (px < 8) throw new LucidArgumentException("size", $"render: --size must be at least 8 pixels, got {px}.");
            var clock = Stopwatch.StartNew();
            string how = s.Get(method)!;
            var result = s.WithProgress($"render {objective.Description}", report =>
                RenderCommand.Render(m, objective, how, cls, unit, px, s.Get(steps), s.Get(lr), s.Get(seed), ct,
                    new Progress<Lucid.Optvis.RenderProgress>(p => report(p.Step + 1, s.Get(steps) ?? 256, Invariant($"objective {p.Objective:G4}")))));
            string path = s.Get(output)!;
            using (result.Image) Lucid.Imaging.Image.FromTensor(result.Image).SavePng(path);
            double msPerStep = clock.Elapsed.TotalMilliseconds / Math.Max(1, result.ObjectivePerStep.Length);
            string what = how == "vital" ? $"VITAL sort-matching [{cls ?? unit}]" : objective.Description;
            s.Say(Invariant($"{what}: {result.ObjectivePerStep[0]:G4} → {result.ObjectivePerStep[^1]:G4} in {result.ObjectivePerStep.Length} steps ({msPerStep:F1} ms/step); wrote {path}"));
            s.Result(new { model = m.Name, objective = what, method = how, steps = result.ObjectivePerStep.Length, seed = s.Get(seed), size = px,
                objectiveFirst = result.ObjectivePerStep[0], objectiveLast = result.ObjectivePerStep[^1], msPerStep, cancelled = result.Cancelled, output = ImageInfo(path) });
        });
        return command;
    }

    private static string ModelName(Session s, Argument<string?> model, Option<bool> demo)
    {
        var name = s.Get(model);
        if (s.Get(demo))
        {
            if (name is not null && name != "inception-mini") throw new LucidArgumentException("demo", $"--demo uses the bundled inception-mini; drop the model argument '{name}'.");
            return "inception-mini";
        }
        return name ?? throw new LucidArgumentException("model", "give a model (a bundled name such as inception-mini, or an .onnx file), or --demo.");
    }

    // ---- lucid attribute <model> (--image f | --scene i) --method m [--class label] -o heatmap.png
    private static Command AttributeCommandLine(Action<Command, Action<Session, CancellationToken>> bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model name or an .onnx file." };
        var image = new Argument<string?>("image") { Description = "Input image: PNG, JPEG or PGM/PPM (resized to the model's input).", Arity = ArgumentArity.ZeroOrOne };
        var imageOption = new Option<string?>("--image") { Description = "Input image (instead of the argument)." };
        var scene = new Option<int?>("--scene") { Description = "Render synthetic test scene i instead (inception-mini)." };
        var method = new Option<string>("--method", "-m") { Description = "Attribution method (e.g. lrp-epsilon-plus-flat, integrated-gradients, deeplift, grad-cam).", DefaultValueFactory = _ => "lrp-epsilon-plus-flat" };
        var composite = new Option<string?>("--composite") { Description = "LRP composite with --method lrp: epsilon-plus-flat, epsilon-gamma-box, epsilon-plus, … (same as --method lrp-COMPOSITE)." };
        var label = new Option<string?>("--class", "--target") { Description = "Class label or index to explain (default: the predicted class)." };
        var layer = new Option<string?>("--cam-layer") { Description = "Tap for Grad-CAM methods (default: the last spatial ReLU)." };
        var overlay = new Option<bool>("--overlay") { Description = "Blend the heatmap over the input instead of the bare map." };
        var output = new Option<string>("--out", "-o") { Description = "Heatmap PNG to write.", Required = true };
        var command = new Command("attribute", "Explain one image with an attribution method and write a signed heatmap PNG.")
            { model, image, imageOption, scene, method, composite, label, layer, overlay, output };
        bind(command, (s, _) =>
        {
            var m = BundledModels.Resolve(s.Get(model)!, withWeights: true);
            if (s.Get(image) is not null && s.Get(imageOption) is not null) throw new LucidArgumentException("image", "attribute: give the image once (argument or --image).");
            using var input = AttributeCommand.LoadInput(m, s.Get(image) ?? s.Get(imageOption), s.Get(scene));
            var (target, className) = AttributeCommand.Target(m, input, s.Get(label));
            string? camLayer = s.Get(layer) ?? m.Nodes.LastOrDefault(n => n.OutputShape.Length == 3 && n.Layer.Kind == "relu")?.Name;
            string name = s.Get(method)!;
            if (s.Get(composite) is { } c)
            {
                if (name is not ("lrp" or "lrp-epsilon-plus-flat")) throw new LucidArgumentException("composite", $"attribute: --composite applies to --method lrp, not '{name}'.");
                name = "lrp-" + c;
            }
            else if (name == "lrp") name = "lrp-epsilon-plus-flat";
            var attribution = Lucid.Attribution.AttributionMethods.Get(name, camLayer);
            var clock = Stopwatch.StartNew();
            using var map = attribution.Attribute(m, input, target);
            var heatmap = Lucid.Imaging.Heatmap.Render(map);
            var picture = s.Get(overlay) ? Lucid.Imaging.Heatmap.Overlay(Lucid.Imaging.Image.FromTensor(input, m.Input.Min, m.Input.Max), heatmap) : heatmap;
            string path = s.Get(output)!;
            picture.SavePng(path);
            double sum = map.Data.ToArray().Sum(v => (double)v);
            s.Say(Invariant($"{attribution.DisplayName} for class '{className}' on {m.Name}: Σ attribution {sum:G4} in {clock.Elapsed.TotalMilliseconds:F0} ms; wrote {path}"));
            s.Result(new { model = m.Name, method = attribution.DisplayName, @class = className, sum, milliseconds = clock.Elapsed.TotalMilliseconds, overlay = s.Get(overlay), output = ImageInfo(path) });
        });
        return command;
    }

    // ---- lucid blocks <model> [image] (--image f | --scene i | --demo) -o report/
    private static Command BlocksCommand(Action<Command, Action<Session, CancellationToken>> bind)
    {
        var model = new Argument<string?>("model") { Description = "Bundled model name or an .onnx file (omit with --demo).", Arity = ArgumentArity.ZeroOrOne };
        var image = new Argument<string?>("image") { Description = "Input image: PNG, JPEG or PGM/PPM.", Arity = ArgumentArity.ZeroOrOne };
        var demo = new Option<bool>("--demo") { Description = "The bundled inception-mini on its bundled two-object scene (models/inception-mini/demo-scene.png)." };
        var imageOption = new Option<string?>("--image") { Description = "Input image (instead of the argument)." };
        var scene = new Option<int?>("--scene") { Description = "Use two-object synthetic scene i instead (inception-mini)." };
        var tap = new Option<string>("--tap") { Description = "Layer the interfaces explain (non-negative, spatial).", DefaultValueFactory = _ => "mixed4a" };
        var from = new Option<string>("--from") { Description = "Earlier layer for attribution between layers.", DefaultValueFactory = _ => "mixed3b" };
        var groups = new Option<int>("--groups") { Description = "Neuron groups (NMF components).", DefaultValueFactory = _ => 4 };
        var steps = new Option<int>("--icon-steps") { Description = "Feature-visualization steps per icon.", DefaultValueFactory = _ => 128 };
        var seed = new Option<ulong>("--seed") { Description = "Seeds the factorizations and every icon.", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out", "-o") { Description = "Report directory.", Required = true };
        var command = new Command("blocks", "The Building Blocks report of one image: neuron groups and the attribution between them, activation grid, semantic dictionary, channel and spatial attribution — an SVG and a PNG each and one interactive index.html.")
            { model, image, demo, imageOption, scene, tap, from, groups, steps, seed, output };
        bind(command, (s, _) =>
        {
            var m = BundledModels.Resolve(ModelName(s, model, demo), withWeights: true);
            string? file = s.Get(image) ?? s.Get(imageOption) ?? (s.Get(demo) && s.Get(scene) is null ? BundledModels.DemoScene : null);
            using var input = file is null && s.Get(scene) is { } index
                ? Lucid.Tensors.Tensor.FromArray(SyntheticScenes.Render(9, index, new[] { index % 10, (index + 5) % 10 }).Pixels, 1, 3, SyntheticScenes.Size, SyntheticScenes.Size)
                : AttributeCommand.LoadInput(m, file, null);
            int icons = s.Get(steps);
            if (icons < 1) throw new LucidArgumentException("icon-steps", $"blocks: --icon-steps must be positive, got {icons}.");
            var clock = Stopwatch.StartNew();
            string layer = s.Get(tap)!, earlier = s.Get(from)!;
            ulong seedValue = s.Get(seed);
            var label = Panels.PredictedClass(m, input);
            var builders = new (string Name, Func<ReportPart> Build)[]
            {
                ("neuron groups", () => Panels.NeuronGroups(m, input, layer, s.Get(groups), icons, seedValue)),
                ("group flow", () => Panels.GroupFlow(m, input, earlier, layer, s.Get(groups), s.Get(groups), icons, seedValue)),
                ("activation grid", () => Panels.ActivationGrid(m, input, layer, icons, 1f, seedValue)),
                ("semantic dictionary", () => Panels.SemanticDictionary(m, input, layer, label, 3, icons, seedValue)),
                ("channel attribution", () => Panels.ChannelAttribution(m, input, layer, label, 4, icons, seedValue)),
                ("spatial attribution", () => Panels.SpatialAttribution(m, input, earlier, layer)),
            };
            var parts = s.WithProgress("blocks", report =>
            {
                var list = new List<ReportPart>();
                foreach (var (name, build) in builders)
                {
                    report(list.Count, builders.Length, name);
                    list.Add(build());
                }
                report(list.Count, builders.Length, "done");
                return list;
            });
            string title = $"Building Blocks of {m.Name}: {label}";
            var layout = Panels.Layout(title, parts, new[] { 0, 0, 1, 1, 2, 2 });
            string directory = s.Get(output)!;
            var page = BuildingBlocksReport.Write(title, parts, directory, pageFigure: layout);
            Lucid.Interfaces.Figures.Svg.Save(layout, Path.Combine(directory, "layout.svg"));
            Lucid.Interfaces.Figures.FigurePng.Save(layout, Path.Combine(directory, "layout.png"));
            foreach (var part in parts) s.Say($"{part.Summary}: {part.File}");
            s.Say(Invariant($"interactive report (self-contained; point at a cell for its data): {page} ({clock.Elapsed.TotalSeconds:F1} s)"));
            s.Result(new { model = m.Name, title, predicted = label, page, seconds = clock.Elapsed.TotalSeconds,
                parts = parts.Select(p => new { file = p.File, png = Path.ChangeExtension(p.File, ".png"), summary = p.Summary }),
                layout = new { svg = "layout.svg", png = "layout.png" } });
        });
        return command;
    }

    // ---- lucid catalog <model> --taps a,b -o dir [--shard i/N]    |    lucid catalog merge <dir>... -o dir
    private static Command CatalogCommand(Action<Command, Action<Session, CancellationToken>> bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model name or an .onnx file." };
        var taps = new Option<string>("--taps") { Description = "Comma-separated taps whose every channel is rendered.", Required = true };
        var steps = new Option<int>("--steps") { Description = "Optimization steps per channel.", DefaultValueFactory = _ => 256 };
        var size = new Option<int>("--size") { Description = "Image size (0: the model's input size).", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Catalog seed (each unit's seed derives from it and the unit).", DefaultValueFactory = _ => 1 };
        var shard = new Option<string?>("--shard") { Description = "Render only shard i of N (i/N, 1-based), e.g. from $JOB_COMPLETION_INDEX or $SLURM_ARRAY_TASK_ID; merge afterwards." };
        var output = new Option<string>("--out", "-o") { Description = "Catalog directory (resumable: finished units are kept).", Required = true };
        var command = new Command("catalog", "Render a feature visualization of every channel of some taps into a browsable, resumable, shardable catalog.")
            { model, taps, steps, size, seed, shard, output };
        bind(command, (s, ct) =>
        {
            var m = BundledModels.Resolve(s.Get(model)!, withWeights: true);
            var (index, count) = ParseShard(s.Get(shard));
            var settings = new CatalogSettings
            {
                Model = m.Name,
                Taps = s.Get(taps)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Steps = s.Get(steps), Size = s.Get(size), Seed = s.Get(seed),
            };
            foreach (var t in settings.Taps) _ = m[t];      // an unknown tap fails here, by name
            string directory = s.Get(output)!;
            var clock = Stopwatch.StartNew();
            var result = s.WithProgress($"catalog {index}/{count}", report =>
                ChannelCatalog.Run(m, settings, directory, index, count,
                    new Progress<(CatalogUnit Unit, int Done, int Total)>(p => report(p.Done, p.Total, $"{p.Unit.Tap}:{p.Unit.Channel}")), ct));
            s.Say(Invariant($"catalog of {m.Name} ({string.Join(", ", settings.Taps)}), shard {index}/{count}: rendered {result.Rendered.Count}, already finished {result.Skipped.Count}, left to other shards {result.OtherShards} ({clock.Elapsed.TotalSeconds:F1} s)"));
            if (count == 1 && !result.Cancelled) s.Say($"browse {Path.Combine(directory, ChannelCatalog.IndexFile)}");
            else if (!result.Cancelled) s.Say($"when every shard has finished: lucid catalog merge <shard directories> -o <catalog>");
            s.Result(new { model = m.Name, taps = settings.Taps, shard = new { index, count }, directory, rendered = result.Rendered.Select(u => u.Stem), skipped = result.Skipped.Select(u => u.Stem),
                otherShards = result.OtherShards, cancelled = result.Cancelled, index = count == 1 && !result.Cancelled ? Path.Combine(directory, ChannelCatalog.IndexFile) : null, seconds = clock.Elapsed.TotalSeconds });
            if (result.Cancelled) ct.ThrowIfCancellationRequested();
        });

        var sources = new Argument<string[]>("catalogs") { Description = "The shards' catalog directories (or one shared directory).", Arity = ArgumentArity.OneOrMore };
        var mergeOutput = new Option<string>("--out", "-o") { Description = "The merged catalog directory.", Required = true };
        var merge = new Command("merge", "Join the shards of a catalog into one directory and write its index.html.") { sources, mergeOutput };
        bind(merge, (s, _) =>
        {
            string directory = s.Get(mergeOutput)!;
            int units = ChannelCatalog.Merge(s.Get(sources)!, directory);
            s.Say($"merged {units} units into {directory}; browse {Path.Combine(directory, ChannelCatalog.IndexFile)}");
            s.Result(new { directory, units, sources = s.Get(sources), index = Path.Combine(directory, ChannelCatalog.IndexFile) });
        });
        command.Subcommands.Add(merge);
        return command;
    }

    /// <summary>"i/N" → (i, N), 1 ≤ i ≤ N; null → (1, 1).</summary>
    internal static (int Index, int Count) ParseShard(string? text)
    {
        if (text is null) return (1, 1);
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i) ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            throw new LucidArgumentException("shard", $"--shard expects i/N (e.g. 2/8), got '{text}'.");
        if (n < 1 || i < 1 || i > n) throw new LucidArgumentException("shard", $"--shard {text}: shard {i} of {n} does not exist; shards are numbered 1 to {Math.Max(n, 1)}.");
        return (i, n);
    }

    // ---- lucid train <model>
    private static Command TrainCommand(Action<Command, Action<Session, CancellationToken>> bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model to reproduce (fashion-cnn, inception-mini)." };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 10 };
        var seed = new Option<ulong>("--seed") { Description = "Seed for initialization and shuffling.", DefaultValueFactory = _ => 1 };
        var data = new Option<string>("--data") { Description = "Fashion-MNIST directory.", DefaultValueFactory = _ => FashionMnist.DebianDirectory };
        var trainSamples = new Option<int?>("--train-samples") { Description = "Use only the first N training images (default: all; the recipe's)." };
        var testSamples = new Option<int?>("--test-samples") { Description = "Use only the first N test images." };
        var output = new Option<string?>("--out", "-o") { Description = "Output directory (default: the bundled model's directory)." };
        var checkpoints = new Option<string?>("--checkpoints") { Description = "Resumable checkpoints after every epoch in this directory; run again with it to continue a stopped training." };
        var command = new Command("train", "Train a bundled model from scratch with its recorded recipe.") { model, epochs, seed, data, trainSamples, testSamples, output, checkpoints };
        bind(command, (s, ct) =>
        {
            string name = s.Get(model)!;
            var architecture = BundledModels.Architecture(name)(s.Get(seed));
            if (s.Get(epochs) < 1) throw new LucidArgumentException("epochs", $"train: --epochs must be positive, got {s.Get(epochs)}.");
            var (train, test) = name == "inception-mini"
                ? (SyntheticScenes.Generate(s.Get(trainSamples) ?? 20000, seed: 1), SyntheticScenes.Generate(s.Get(testSamples) ?? 2000, seed: 2))
                : (FashionMnist.Train(s.Get(data)!), FashionMnist.Test(s.Get(data)!));
            if (s.Get(trainSamples) is { } n) train = train.Take(n);
            if (s.Get(testSamples) is { } k) test = test.Take(k);
            string directory = s.Get(output) ?? BundledModels.Directory(name);
            var options = new TrainingOptions { Epochs = s.Get(epochs), BatchSize = 64, LearningRate = 2e-3f, WeightDecay = 1e-4f, WarmupSteps = Math.Min(200, train.Count / 64 + 1), Seed = s.Get(seed), CheckpointDirectory = s.Get(checkpoints) };
            var clock = Stopwatch.StartNew();
            var history = s.WithProgress($"train {name}", report => Trainer.Fit(architecture, train, test, options, new Progress<TrainingProgress>(p =>
            {
                report(p.Step, p.TotalSteps, Invariant($"epoch {p.Epoch}, loss {p.Loss:F4}"));
                if (p.TestAccuracy is { } accuracy) s.Note(Invariant($"epoch {p.Epoch}/{options.Epochs}  loss {p.Loss:F4}  test accuracy {accuracy:P2}  ({clock.Elapsed.TotalSeconds:F0} s)"));
            })));
            Directory.CreateDirectory(directory);
            string weights = Path.Combine(directory, $"{name}.safetensors"), schema = Path.Combine(directory, $"{name}.schema.json");
            architecture.SaveWeights(weights);
            ModelSchema.From(architecture).Save(schema);
            double? final = history.LastOrDefault(h => h.TestAccuracy is not null)?.TestAccuracy;
            s.Say(Invariant($"{name}: test accuracy {final:P2} after {options.Epochs} epochs in {clock.Elapsed.TotalMinutes:F1} min; wrote {directory}"));
            s.Result(new { model = name, epochs = options.Epochs, trainImages = train.Count, testImages = test.Count, testAccuracy = final, minutes = clock.Elapsed.TotalMinutes, weights, schema });
        });
        return command;
    }

    // ---- lucid evaluate <model>
    private static Command EvaluateCommand(Action<Command, Action<Session, CancellationToken>> bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model (inception-mini)." };
        var scenes = new Option<int>("--scenes") { Description = "Synthetic test scenes to score.", DefaultValueFactory = _ => 50 };
        var output = new Option<string?>("--out", "-o") { Description = "Write the table as Markdown to this file." };
        var command = new Command("evaluate", "Score every attribution method on synthetic test scenes with ground-truth masks (pointing game, mask mass, deletion/insertion AUC, randomization).")
            { model, scenes, output };
        bind(command, (s, _) =>
        {
            string name = s.Get(model)!;
            var m = BundledModels.Load(name);
            int count = s.Get(scenes);
            if (count < 1) throw new LucidArgumentException("scenes", $"evaluate: --scenes must be positive, got {count}.");
            var clock = Stopwatch.StartNew();
            var randomized = BundledModels.Architecture(name)(12345);
            var rows = Lucid.Attribution.EvaluationTable.Run(m, randomized, count, seed: 2, camLayer: m.Taps.Contains("mixed4b") ? "mixed4b" : null,
                new Progress<string>(line => s.Note(Invariant($"  {line} ({clock.Elapsed.TotalSeconds:F0} s)"))));
            var table = Lucid.Attribution.EvaluationTable.Markdown(rows, name, count);
            if (!s.Json && !s.Quiet) s.Output.Write(table);
            if (s.Get(output) is { } path) Lucid.Tensors.AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(table)));
            s.Result(new { model = name, scenes = count, seconds = clock.Elapsed.TotalSeconds, rows });
        });
        return command;
    }

    // ---- lucid quality <model>
    private static Command QualityCommand(Action<Command, Action<Session, CancellationToken>> bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model trained on the synthetic scenes (inception-mini)." };
        var seeds = new Option<int>("--seeds") { Description = "Renders per class and method.", DefaultValueFactory = _ => 3 };
        var steps = new Option<int?>("--steps") { Description = "Steps of every render (default: 256 Lucid-style and MACO, 300 VITAL)." };
        var scenes = new Option<int>("--scenes-per-class") { Description = "Real scenes per class (VITAL's references; as many held out).", DefaultValueFactory = _ => 50 };
        var transfer = new Option<string?>("--transfer") { Description = "Schema of an independently trained model for transferability (default: models/<model>-seed2/ when bundled; 'none' to skip)." };
        var output = new Option<string?>("--out", "-o") { Description = "Write the table as Markdown to this file." };
        var command = new Command("quality", "Render every class Lucid-style, with MACO and with VITAL, and score the renders (activation ratio, self-classification, held-out feature distance, spectrum, repetition, Vendi, path similarity, transferability).")
            { model, seeds, steps, scenes, transfer, output };
        bind(command, (s, _) =>
        {
            string name = s.Get(model)!;
            var m = BundledModels.Load(name);
            if (s.Get(seeds) < 1 || s.Get(scenes) < 2 || s.Get(steps) is < 1)
                throw new LucidArgumentException("seeds", "quality: --seeds and --steps must be positive and --scenes-per-class at least 2.");
            string? transferSchema = s.Get(transfer) ?? Path.Combine(BundledModels.Directory(name + "-seed2"), $"{name}.schema.json");
            var other = transferSchema != "none" && File.Exists(transferSchema) ? Lucid.Models.ModelFiles.LoadBesideSchema(transferSchema) : null;
            if (s.Get(transfer) is { } given && given != "none" && other is null) throw new LucidArgumentException("transfer", $"quality: no model schema at '{given}'.");
            var settings = new Lucid.Optvis.QualitySettings { Seeds = s.Get(seeds), ScenesPerClass = s.Get(scenes), TransferModel = other };
            if (s.Get(steps) is { } n) settings = settings with { LucidSteps = n, MacoSteps = n, VitalSteps = n };
            var clock = Stopwatch.StartNew();
            var rows = Lucid.Optvis.QualityTable.Run(m, settings, new Progress<string>(line => s.Note(Invariant($"  {line} ({clock.Elapsed.TotalSeconds:F0} s)"))));
            var table = Lucid.Optvis.QualityTable.ToMarkdown(rows, settings, name);
            if (!s.Json && !s.Quiet) s.Output.Write(table);
            if (s.Get(output) is { } path) Lucid.Tensors.AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(table)));
            s.Result(new { model = name, seeds = settings.Seeds, seconds = clock.Elapsed.TotalSeconds, rows });
        });
        return command;
    }
}
