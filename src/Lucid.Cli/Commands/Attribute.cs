namespace Lucid.Cli;

public static partial class Cli
{
    // ---- lucid attribute <model> (--image f | --scene i) --method m [--class label] -o heatmap.png
    private static Command AttributeCommandLine(Bind bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model name or an .onnx file." };
        var image = new Argument<string?>("image") { Description = "Input image: PNG, JPEG or PGM/PPM (resized to the model's input).", Arity = ArgumentArity.ZeroOrOne };
        var imageOption = new Option<string?>("--image") { Description = "Input image (instead of the argument)." };
        var scene = new Option<int?>("--scene") { Description = "Render synthetic test scene i instead (inception-mini)." };
        var method = new Option<string>("--method", "-m") { Description = "Attribution method (e.g. lrp-epsilon-plus-flat, integrated-gradients, deeplift, grad-cam).", DefaultValueFactory = _ => "lrp-epsilon-plus-flat" };
        var composite = new Option<string?>("--composite") { Description = "LRP composite with --method lrp: epsilon-plus-flat, epsilon-gamma-box, epsilon-plus, … (same as --method lrp-COMPOSITE)." };
        var label = new Option<string?>("--class") { Description = "Class label or index to explain (default: the predicted class)." };
        var unit = new Option<string?>("--target") { Description = "What to explain: channel:TAP:C, neuron:TAP:C:Y:X, or a class label or index (default: the predicted class; for a network without labels, its output's strongest channel)." };
        var layer = new Option<string?>("--cam-layer") { Description = "Tap for Grad-CAM methods (default: the last spatial ReLU)." };
        var overlay = new Option<bool>("--overlay") { Description = "Blend the heatmap over the input instead of the bare map." };
        var output = new Option<string>("--out", "-o") { Description = "Heatmap PNG to write.", Required = true };
        var command = new Command("attribute", "Explain one image with an attribution method and write a signed heatmap PNG.")
            { model, image, imageOption, scene, method, composite, label, unit, layer, overlay, output };
        bind(command, (s, _) =>
        {
            var m = s.Model(s.Get(model)!, withWeights: true);
            if (s.Get(image) is not null && s.Get(imageOption) is not null) throw new LucidArgumentException("image", "attribute: give the image once (argument or --image).");
            using var input = AttributionInputs.LoadInput(m, s.Get(image) ?? s.Get(imageOption), s.Get(scene));
            var (target, className) = AttributionInputs.Target(m, input, s.Get(label), s.Get(unit));
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
            var result = attribution.Attribute(m, input, target);
            using var map = result.Attribution;
            var heatmap = Lucid.Imaging.Heatmap.Render(map);
            var picture = s.Get(overlay) ? Lucid.Imaging.Heatmap.Overlay(Lucid.Imaging.Image.FromTensor(input), heatmap) : heatmap;
            string path = s.Get(output)!;
            picture.SavePng(path);
            double sum = map.Data.ToArray().Sum(v => (double)v);
            s.Say(Invariant($"{attribution.DisplayName} for '{className}' on {m.Name}: Σ attribution {sum:G4} in {clock.Elapsed.TotalMilliseconds:F0} ms; wrote {path}"));
            s.Result(new { model = m.Name, method = attribution.DisplayName, @class = className, sum, milliseconds = clock.Elapsed.TotalMilliseconds, overlay = s.Get(overlay), output = ImageInfo(path) });
        });
        return command;
    }
}
