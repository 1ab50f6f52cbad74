using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Optvis;

/// <summary>
/// One hidden unit (a channel) of a network rendered three ways against real photographs: Lucid-style, MACO with the
/// photos' magnitude spectrum, and VITAL with the unit's top-activating photo crops as references.
/// </summary>
public static class UnitRenders
{
    /// <summary>Lucid's defaults: Fourier + decorrelated image, Lucid's transforms, Adam 0.05; [1, 3, H, W].</summary>
    public static RenderResult Lucid(Model model, string tap, int channel, int steps, ulong seed) =>
        Recipes.Channels(model, tap, new[] { channel }, options: new RenderOptions { Steps = steps, Seed = seed }, seed: seed);

    /// <summary>MACO: phase-only Fourier image with <paramref name="magnitude"/> (<see cref="MacoImage.MagnitudeOf"/>), MACO's crops and noise.</summary>
    public static RenderResult Maco(Model model, string tap, int channel, Tensor magnitude, int steps, ulong seed)
    {
        int size = model.Input.Shape[^1];
        using var image = new MacoImage(size, size, magnitude, seed: seed);
        // MACO's transforms: random crops of 50–90 % of the side, resized back, and a little noise
        var transforms = Transform.Compose(Transform.RandomCrops(8, 0.5, 0.9, size), Transform.Noise(0.05f));
        return Renderer.Render(model, Objectives.Channel(tap, channel), image,
            new RenderOptions { Steps = steps, LearningRate = 0.05f, Seed = seed, Transforms = transforms });
    }

    /// <summary>
    /// VITAL for a hidden unit: the <paramref name="references"/> photo crops that activate it most are matched, weighted by
    /// <paramref name="relevance"/> (LRP from the unit, e.g. <c>Lrp.UnitRelevance</c>), at <paramref name="below"/>.
    /// </summary>
    public static RenderResult Vital(Model model, string tap, int channel, Tensor photos, IReadOnlyList<string> below,
        Func<Tensor, IReadOnlyDictionary<string, Tensor>> relevance, int steps, ulong seed, int references = 16)
    {
        if (below.Count == 0)
            throw new LucidArgumentException("tap", $"VITAL weights layers below the unit; '{tap}' of model '{model.Name}' has no spatial ReLU layer below it.");
        var means = model.ChannelMeans(photos, tap).Select(m => m[channel]).ToArray();
        var top = Enumerable.Range(0, means.Length).OrderByDescending(i => means[i]).ThenBy(i => i).Take(references).ToArray();
        using var chosen = Ops.IndexSelect(photos, 0, top);
        return global::Lucid.Optvis.Vital.RenderUnit(model, chosen, below, relevance, steps: steps, learningRate: 0.1f,
            jitter: 8, warmup: steps / 10, seed: seed, totalVariation: 5);
    }

    /// <summary>The last three spatial post-ReLU outputs upstream of <paramref name="tap"/> (block outputs, not inner ReLUs): VITAL's layers.</summary>
    public static IReadOnlyList<string> VitalTaps(Model model, string tap)
    {
        var order = model.Nodes.Select(n => n.Name).ToList();
        int at = order.IndexOf(model.Resolve(tap));
        return model.Nodes.Take(at).Where(n => n.OutputShape.Length == 3 && n.Layer.Kind == "relu" && !n.Name.EndsWith("relu1", StringComparison.Ordinal))
            .Select(n => n.Name).TakeLast(3).ToArray();
    }
}
