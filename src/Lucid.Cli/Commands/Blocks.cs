namespace Lucid.Cli;

public static partial class Cli
{
    // ---- lucid blocks <model> [image] (--image f | --scene i | --demo) -o report/
    private static Command BlocksCommand(Bind bind)
    {
        var model = new Argument<string?>("model") { Description = "Bundled model name or an .onnx file (omit with --demo).", Arity = ArgumentArity.ZeroOrOne };
        var image = new Argument<string?>("image") { Description = "Input image: PNG, JPEG or PGM/PPM.", Arity = ArgumentArity.ZeroOrOne };
        var demo = new Option<bool>("--demo") { Description = "The ImageNet resnet18 on the bundled photo (models/resnet18/demo-photo.jpg)." };
        var toy = new Option<bool>("--toy-demo") { Description = "The bundled inception-mini on its bundled two-object scene (models/inception-mini/demo-scene.png)." };
        var imageOption = new Option<string?>("--image") { Description = "Input image (instead of the argument)." };
        var scene = new Option<int?>("--scene") { Description = "Use two-object synthetic scene i instead (inception-mini)." };
        var tap = new Option<string?>("--tap") { Description = "Layer the interfaces explain (non-negative, spatial; default: mixed4a on inception-mini, layer4.1 on resnet18)." };
        var from = new Option<string?>("--from") { Description = "Earlier layer for attribution between layers (default: mixed3b on inception-mini, layer3.1 on resnet18)." };
        var groups = new Option<int>("--groups") { Description = "Neuron groups (NMF components).", DefaultValueFactory = _ => 4 };
        var steps = new Option<int?>("--icon-steps") { Description = "Feature-visualization steps per icon (default: 128; 64 on a real network, whose icons use Lucid's transforms on a 96² preview)." };
        var seed = new Option<ulong>("--seed") { Description = "Seeds the factorizations and every icon.", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out", "-o") { Description = "Report directory.", Required = true };
        var command = new Command("blocks", "The Building Blocks report of one image: neuron groups and the attribution between them, activation grid, semantic dictionary, channel and spatial attribution — an SVG and a PNG each and one interactive index.html.")
            { model, image, demo, toy, imageOption, scene, tap, from, groups, steps, seed, output };
        bind(command, (s, _) =>
        {
            bool realDemo = s.Get(demo), toyDemo = s.Get(toy);
            if (realDemo && toyDemo) throw new LucidArgumentException("demo", "blocks: give --demo (resnet18 on a photo) or --toy-demo (inception-mini on a scene), not both.");
            string modelName = realDemo ? DemoModel(s.Get(model), Lucid.Models.ResNet18.Name, "--demo") : ModelName(s, model, toy);
            var m = s.Model(modelName, withWeights: true);
            string? file = s.Get(image) ?? s.Get(imageOption)
                ?? (realDemo ? BundledModels.DemoPhoto : toyDemo && s.Get(scene) is null ? BundledModels.DemoScene : null);
            using var input = file is null && s.Get(scene) is { } index
                ? Lucid.Tensors.Tensor.FromArray(SyntheticScenes.Render(9, index, new[] { index % 10, (index + 5) % 10 }).Pixels, 1, 3, SyntheticScenes.Size, SyntheticScenes.Size)
                : AttributionInputs.LoadInput(m, file, null);
            int icons = s.Get(steps) ?? (m.Preview is null ? 128 : 64);
            if (icons < 1) throw new LucidArgumentException("icon-steps", $"blocks: --icon-steps must be positive, got {icons}.");
            var clock = Stopwatch.StartNew();
            bool isResNet = m.HasTap("layer4.1") && m.HasTap("layer3.1");
            string layer = s.Get(tap) ?? (isResNet ? "layer4.1" : "mixed4a"), earlier = s.Get(from) ?? (isResNet ? "layer3.1" : "mixed3b");
            ulong seedValue = s.Get(seed);
            // a network without labels (a backbone) is explained by its strongest output direction
            string? label = m.Labels.Count > 0 ? Panels.PredictedClass(m, input) : null;
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
            string title = $"Building Blocks of {m.Name}: {label ?? (file is null ? "its strongest output direction" : Path.GetFileName(file))}";
            var layout = Panels.Layout(title, parts, new[] { 0, 0, 1, 1, 2, 2 });
            string directory = s.Get(output)!;
            var page = BuildingBlocksReport.Write(title, parts, directory, pageFigure: layout);
            Lucid.Interfaces.Figures.Svg.Save(layout, Path.Combine(directory, "layout.svg"));
            Lucid.Interfaces.Figures.FigurePng.Save(layout, Path.Combine(directory, "layout.png"));
            Lucid.Interfaces.Figures.FigureSkia.SavePdf(layout, Path.Combine(directory, "layout.pdf"));
            foreach (var part in parts) s.Say($"{part.Summary}: {part.File}");
            s.Say(Invariant($"interactive report (self-contained; point at a cell for its data): {page} ({clock.Elapsed.TotalSeconds:F1} s)"));
            s.Result(new { model = m.Name, title, predicted = label, page, seconds = clock.Elapsed.TotalSeconds,
                parts = parts.Select(p => new { file = p.File, png = Path.ChangeExtension(p.File, ".png"), summary = p.Summary }),
                layout = new { svg = "layout.svg", png = "layout.png", pdf = "layout.pdf" } });
        });
        return command;
    }

    /// <summary>The model of a demo flag: its own, or the same one named again.</summary>
    private static string DemoModel(string? given, string demoModel, string flag) =>
        given is null || given == demoModel ? demoModel
            : throw new LucidArgumentException("demo", $"{flag} uses {demoModel}; drop the model argument '{given}'.");
}
