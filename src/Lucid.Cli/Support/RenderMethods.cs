using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Optvis;
using Lucid.Tensors;

namespace Lucid.Cli;

/// <summary>Objectives and methods for <c>lucid render</c>.</summary>
internal static class RenderMethods
{
    /// <summary>
    /// Runs the chosen method. MACO takes its magnitude, and VITAL its reference distributions, from synthetic scenes
    /// (the data inception-mini was trained on); VITAL renders classes and, relevance-weighted, hidden units.
    /// </summary>
    public static RenderResult Render(Model model, Objective objective, string method, string? label, string? channel, int size, int? stepsOption, float? learningRateOption, ulong seed,
        CancellationToken cancellation = default, IProgress<RenderProgress>? progress = null, string? photoDirectory = null)
    {
        if (method is "maco" or "vital" && !IsSyntheticSceneModel(model))
            return RenderAgainstPhotos(model, objective, method, label, channel, stepsOption, seed, photoDirectory);
        // Lucid's settings, or the small-input preset (roll jitter, Adam 0.2, 256 steps) below 128 px
        bool small = model.Input.Shape[^1] < 128;
        var preset = small ? RenderOptions.ForSmallInput(size) : new RenderOptions();
        int steps = stepsOption ?? preset.Steps;
        if (steps < 1) throw new LucidArgumentException("steps", $"render: --steps must be positive, got {steps}.");
        float learningRate = learningRateOption ?? (method == "lucid" ? preset.LearningRate : method == "vital" ? 0.1f : 0.05f);
        switch (method)
        {
            case "lucid":
            {
                using var image = LucidImage.For(model, size, seed: seed, sd: small ? RenderOptions.SmallInputSd : 0.01f);
                return Renderer.Render(model, objective, image, preset with { Steps = steps, LearningRate = learningRate, Seed = seed, Cancellation = cancellation, Progress = progress });
            }
            case "maco":
            {
                using var scenes = Scenes(model, Enumerable.Range(0, 64).Select(i => (i, i % SyntheticScenes.Classes.Count)));
                using var image = new MacoImage(size, size, MacoImage.MagnitudeOf(scenes, size, size), seed: seed);
                var transforms = Transform.Compose(Transform.RandomCrops(8, 0.5, 0.9, model.Input.Shape[^1]), Transform.Noise(0.05f));
                return Renderer.Render(model, objective, image, new RenderOptions { Steps = steps, LearningRate = learningRate, Seed = seed, Transforms = transforms, Cancellation = cancellation, Progress = progress });
            }
            case "vital":
            {
                var taps = model.Nodes.Where(n => n.OutputShape.Length == 3 && (n.Name.StartsWith("mixed", StringComparison.Ordinal) && !n.Name.Contains('_') || n == model.Nodes[0])).Select(n => n.Name).ToArray();
                if (label is null) return RenderUnit(model, ParseChannel(channel!), taps, steps, learningRate, seed);
                int k = model.Labels.ToList().IndexOf(label);
                if (k < 0) throw new LucidArgumentException("class", $"render: model '{model.Name}' has no class '{label}'.");
                using var references = Scenes(model, Enumerable.Range(0, 50).Select(i => (i, k)));
                return Vital.RenderClass(model, references, taps, steps: steps, learningRate: learningRate, jitter: 4, warmup: steps / 10, seed: seed, totalVariation: 5);
            }
            default:
                throw new LucidArgumentException("method", $"render: unknown method '{method}'; use lucid, maco or vital.");
        }
    }

    private static bool IsSyntheticSceneModel(Model model) => model.Input.Shape.SequenceEqual(new[] { 3, SyntheticScenes.Size, SyntheticScenes.Size });

    /// <summary>The photographs MACO and VITAL use on a real network: a directory given, Debian's darknet photos, or the demo photo's folder.</summary>
    public const string DarknetPhotos = "/usr/share/darknet/data";

    /// <summary>
    /// MACO and VITAL on a network trained on photographs: MACO's magnitude spectrum and VITAL's references come from
    /// every crop and flip of the photos; VITAL renders hidden units (its class renders need labels and class photos).
    /// </summary>
    private static RenderResult RenderAgainstPhotos(Model model, Objective objective, string method, string? label, string? channel, int? steps, ulong seed, string? photoDirectory)
    {
        string directory = photoDirectory ?? (Directory.Exists(DarknetPhotos) ? DarknetPhotos : BundledModels.Directory(Lucid.Models.ResNet18.Name));
        int size = model.Input.Shape[^1];
        using var photos = Lucid.Imaging.Photo.CropsOf(directory, size);
        int n = steps ?? 256;
        if (method == "maco")
        {
            using var magnitude = MacoImage.MagnitudeOf(photos, size, size);
            if (channel is null) throw new LucidArgumentException("channel", $"render: MACO on '{model.Name}' renders a channel; give --channel TAP:INDEX.");
            var (tap, c) = ParseChannel(channel);
            return UnitRenders.Maco(model, tap, c, magnitude, n, seed);
        }
        if (label is not null || channel is null)
            throw new LucidArgumentException("class", $"render: VITAL on '{model.Name}' renders hidden units against photographs; give --channel TAP:INDEX (class renders need a labelled network and photos of the class).");
        var (unitTap, unitChannel) = ParseChannel(channel);
        var below = UnitRenders.VitalTaps(model, unitTap);
        return UnitRenders.Vital(model, unitTap, unitChannel, photos, below, Lucid.Attribution.Lrp.UnitRelevance(model, unitTap, unitChannel, below), n, seed);
    }

    private static Tensor Scenes(Model model, IEnumerable<(int Index, int Class)> picks)
    {
        if (!model.Input.Shape.SequenceEqual(new[] { 3, SyntheticScenes.Size, SyntheticScenes.Size }))
            throw new LucidArgumentException("method", $"render: MACO and VITAL take their reference images from the synthetic scenes ({SyntheticScenes.Size}² RGB); model '{model.Name}' takes {Shapes.Format(model.Input.Shape)}.");
        var list = picks.ToList();
        var pixels = new List<float>(list.Count * 3 * SyntheticScenes.Size * SyntheticScenes.Size);
        foreach (var (index, cls) in list) pixels.AddRange(SyntheticScenes.Render(7, index, new[] { cls }).Pixels);
        return Tensor.FromArray(pixels.ToArray(), list.Count, 3, SyntheticScenes.Size, SyntheticScenes.Size);
    }

    /// <summary>
    /// VITAL for a hidden unit: the unit's 50 top-activating scenes of 1,000 (largest activation anywhere in the map)
    /// as references, its z⁺ LRP relevance weighting the VITAL layers below it.
    /// </summary>
    private static RenderResult RenderUnit(Model model, (string Tap, int Channel) unit, IReadOnlyList<string> vitalTaps, int steps, float learningRate, ulong seed)
    {
        var order = model.Nodes.Select(n => n.Name).ToList();
        int unitIndex = order.IndexOf(unit.Tap);
        if (unitIndex < 0) throw model.UnknownTap(unit.Tap);
        var below = vitalTaps.Where(t => order.IndexOf(t) < unitIndex).ToArray();
        if (below.Length == 0) throw new LucidArgumentException("channel", $"render: VITAL weights layers below the unit; '{unit.Tap}' has none of {string.Join(", ", vitalTaps)} below it.");
        var relevance = Lucid.Attribution.Lrp.UnitRelevance(model, unit.Tap, unit.Channel, below);
        using var candidates = Scenes(model, Enumerable.Range(0, 1000).Select(i => (i, i % SyntheticScenes.Classes.Count)));
        var peaks = new float[1000];
        using (Lucid.Tensors.Autograd.GradMode.NoGrad())
            for (int start = 0; start < 1000; start += 100)
            {
                using var scope = Tensor.Scope();
                var a = model.Run(candidates[start..(start + 100)], null, stopAfter: unit.Tap)[unit.Tap];
                int c = a.Size(1), plane = a.Count / (100 * c);
                var d = a.Data;
                for (int e = 0; e < 100; e++)
                {
                    float peak = float.NegativeInfinity;
                    for (int i = 0; i < plane; i++) peak = Math.Max(peak, d[(e * c + unit.Channel) * plane + i]);
                    peaks[start + e] = peak;
                }
            }
        var top = Enumerable.Range(0, 1000).OrderByDescending(i => peaks[i]).Take(50).ToArray();
        using var references = Ops.Concat(top.Select(i => candidates[i..(i + 1)]).ToArray(), 0);
        return Vital.RenderUnit(model, references, below, relevance, steps: steps, learningRate: learningRate, jitter: 4, warmup: steps / 10, seed: seed, totalVariation: 5);
    }

    private static (string Tap, int Channel) ParseChannel(string channel)
    {
        int colon = channel.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(channel[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
            throw new LucidArgumentException("channel", $"render: --channel expects TAP:INDEX (e.g. mixed4a:7), got '{channel}'.");
        return (channel[..colon], index);
    }

    public static Objective Objective(string? channel, string? label)
    {
        if ((channel is null) == (label is null))
            throw new LucidArgumentException("channel", "render: give exactly one of --channel TAP:INDEX or --class LABEL.");
        if (label is not null) return Objectives.ClassLogProbability(label);
        var (tap, index) = ParseChannel(channel!);
        return Objectives.Channel(tap, index);
    }
}
