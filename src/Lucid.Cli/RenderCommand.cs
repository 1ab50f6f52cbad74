using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Optvis;
using Lucid.Tensors;

namespace Lucid.Cli;

/// <summary>Objectives for <c>lucid render</c>.</summary>
internal static class RenderCommand
{
    /// <summary>
    /// Runs the chosen method. MACO takes its magnitude, and VITAL its reference distributions, from synthetic scenes
    /// (the data inception-mini was trained on); VITAL explains classes only.
    /// </summary>
    public static RenderResult Render(Model model, Objective objective, string method, string? label, int size, int? stepsOption, float? learningRateOption, ulong seed)
    {
        // Lucid's settings, or the small-input preset (roll jitter, Adam 0.2, 256 steps) below 128 px
        bool small = model.Input.Shape[^1] < 128;
        var preset = small ? RenderOptions.ForSmallInput(size) : new RenderOptions();
        int steps = stepsOption ?? preset.Steps;
        float learningRate = learningRateOption ?? (method == "lucid" ? preset.LearningRate : method == "vital" ? 0.1f : 0.05f);
        switch (method)
        {
            case "lucid":
            {
                using var image = new LucidImage(size, seed: seed, sd: small ? RenderOptions.SmallInputSd : 0.01f);
                return Renderer.Render(model, objective, image, preset with { Steps = steps, LearningRate = learningRate, Seed = seed });
            }
            case "maco":
            {
                using var scenes = Scenes(model, Enumerable.Range(0, 64).Select(i => (i, i % SyntheticScenes.Classes.Count)));
                using var image = new MacoImage(size, size, MacoImage.MagnitudeOf(scenes, size, size), seed: seed);
                var transforms = Transform.Compose(Transform.RandomCrops(8, 0.5, 0.9, model.Input.Shape[^1]), Transform.Noise(0.05f));
                return Renderer.Render(model, objective, image, new RenderOptions { Steps = steps, LearningRate = learningRate, Seed = seed, Transforms = transforms });
            }
            case "vital":
            {
                if (label is null) throw new LucidArgumentException("method", "render: VITAL renders classes (give --class LABEL).");
                int k = model.Labels.ToList().IndexOf(label);
                if (k < 0) throw new LucidArgumentException("class", $"render: model '{model.Name}' has no class '{label}'.");
                using var references = Scenes(model, Enumerable.Range(0, 50).Select(i => (i, k)));
                var taps = model.Nodes.Where(n => n.OutputShape.Length == 3 && (n.Name.StartsWith("mixed", StringComparison.Ordinal) && !n.Name.Contains('_') || n == model.Nodes[0])).Select(n => n.Name).ToArray();
                return Vital.RenderClass(model, references, taps, steps: steps, learningRate: learningRate, jitter: 4, warmup: steps / 10, seed: seed, totalVariation: 5);
            }
            default:
                throw new LucidArgumentException("method", $"render: unknown method '{method}'; use lucid, maco or vital.");
        }
    }

    private static Tensor Scenes(Model model, IEnumerable<(int Index, int Class)> picks)
    {
        if (!model.Input.Shape.SequenceEqual(new[] { 3, SyntheticScenes.Size, SyntheticScenes.Size }))
            throw new LucidArgumentException("method", $"render: MACO and VITAL take their reference images from the synthetic scenes ({SyntheticScenes.Size}² RGB); model '{model.Name}' takes [{string.Join(", ", model.Input.Shape)}].");
        var list = picks.ToList();
        var pixels = new List<float>(list.Count * 3 * SyntheticScenes.Size * SyntheticScenes.Size);
        foreach (var (index, cls) in list) pixels.AddRange(SyntheticScenes.Render(7, index, new[] { cls }).Pixels);
        return Tensor.FromArray(pixels.ToArray(), list.Count, 3, SyntheticScenes.Size, SyntheticScenes.Size);
    }

    public static Objective Objective(string? channel, string? label)
    {
        if ((channel is null) == (label is null))
            throw new LucidArgumentException("channel", "render: give exactly one of --channel TAP:INDEX or --class LABEL.");
        if (label is not null) return Objectives.ClassLogProbability(label);
        int colon = channel!.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(channel[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
            throw new LucidArgumentException("channel", $"render: --channel expects TAP:INDEX (e.g. mixed4a:7), got '{channel}'.");
        return Objectives.Channel(channel[..colon], index);
    }
}
