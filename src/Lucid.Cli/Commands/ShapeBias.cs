using Lucid.Imaging;
using Lucid.Models.Data;
using Lucid.Optvis;
using Lucid.Tensors;

namespace Lucid.Cli;

public static partial class Cli
{
    // ---- lucid shape-bias inception-mini [--steps n] [-o grid.png]
    private static Command ShapeBiasCommand(Bind bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled classifier whose classes are (shape, texture) pairs: inception-mini." };
        var steps = new Option<int?>("--steps") { Description = "Texture-transfer steps per cue-conflict image (default 200)." };
        var shapeWeight = new Option<double?>("--shape-weight") { Description = "Weight of the shape term against the texture term, each in units of the two sources' distance (default 0.3)." };
        var output = new Option<string?>("--out", "-o") { Description = "Write the cue-conflict images as a grid PNG, each labelled 'shape × texture → decision'." };
        var command = new Command("shape-bias", "Cue-conflict images (the shape of one class's scene with the texture of another's, by Gatys-style texture transfer) and the share of decisions that follow the shape (Geirhos et al.).")
            { model, steps, shapeWeight, output };
        bind(command, (s, ct) =>
        {
            string name = s.Get(model)!;
            if (name != "inception-mini")
                throw new LucidArgumentException("model", $"shape-bias: needs a classifier whose classes are (shape, texture) pairs — inception-mini; got '{name}'.");
            if (s.Get(steps) is < 1) throw new LucidArgumentException("steps", $"shape-bias: --steps must be positive, got {s.Get(steps)}.");
            if (s.Get(shapeWeight) is { } w && !(w > 0)) throw new LucidArgumentException("shape-weight", $"shape-bias: --shape-weight must be positive, got {w}.");
            var m = BundledModels.Load(name);
            var cues = SyntheticScenes.Classes.ToDictionary(c => c.Name, c => (c.Shape.ToString(), c.Texture.ToString()));
            // one test scene per class (seed 2, as the evaluation table): a single object on its background
            var sources = SyntheticScenes.Classes.Select((c, k) => (Tensor.FromArray(SyntheticScenes.Render(2, k, new[] { k }).Pixels, 1, 3, SyntheticScenes.Size, SyntheticScenes.Size), c.Name)).ToList();
            var preset = TextureTransferSettings.InceptionMini;
            var settings = preset with { Steps = s.Get(steps) ?? preset.Steps, ShapeWeight = s.Get(shapeWeight) ?? preset.ShapeWeight };
            var clock = Stopwatch.StartNew();
            var result = CueConflict.ShapeBias(m, sources, cues, settings, new Progress<string>(line => s.Note("  " + line)), ct);
            var (low, high) = result.Interval;
            if (s.Get(output) is { } path)
            {
                // "str circle+sol square S": the shape source, the texture source, and whether the decision followed the
                // shape (S), the texture (T) or neither (-) — short, so that it fits under a 192-pixel cell
                static string Short(string label) => label.Split(' ') is [var texture, var shape] ? $"{texture[..3]} {shape}" : label;
                var cells = result.Images.Select(t => Image.FromTensor(t)).ToList();
                var captions = result.Decisions.Select(d => (string?)Invariant($"{Short(d.ShapeSource)}+{Short(d.TextureSource)} {(d.FollowsShape ? "S" : d.FollowsTexture ? "T" : "-")}")).ToList();
                ImageGrid.Compose(cells, captions, columns: 8, scale: 3).SavePng(path);
            }
            s.Say(Invariant($"{m.Name}: {result.Decisions.Count} cue-conflict images; {result.Shape} decisions follow the shape, {result.Texture} the texture, {result.Decisions.Count - result.Shape - result.Texture} neither: shape bias {result.Bias:F3} (95 % Wilson interval {low:F3}–{high:F3}) in {clock.Elapsed.TotalSeconds:F0} s"));
            s.Result(new
            {
                model = m.Name,
                images = result.Decisions.Count,
                shape = result.Shape,
                texture = result.Texture,
                bias = result.Bias,
                low,
                high,
                seconds = clock.Elapsed.TotalSeconds,
                decisions = result.Decisions.Select(d => new { shapeSource = d.ShapeSource, textureSource = d.TextureSource, predicted = d.Predicted, followsShape = d.FollowsShape, followsTexture = d.FollowsTexture }),
                grid = s.Get(output),
            });
            foreach (var image in result.Images) image.Dispose();
        });
        return command;
    }
}
