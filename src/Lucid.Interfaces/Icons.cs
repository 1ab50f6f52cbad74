using Lucid.Imaging;
using Lucid.Models.Graph;
using Lucid.Optvis;
using Lucid.Tensors;

namespace Lucid.Interfaces;

/// <summary>
/// Feature-visualization icons for the interfaces: every unit of one figure rendered as one batch with the
/// small-input preset (<see cref="RenderOptions.ForSmallInput"/>), so a figure costs one render.
/// </summary>
public static class Icons
{
    /// <summary>One icon per channel of <paramref name="tap"/>, keyed by channel (the distinct channels, rendered in ascending order).</summary>
    public static IReadOnlyDictionary<int, Image> ForChannels(Model model, string tap, IEnumerable<int> channels, int steps = 128, ulong seed = 0)
    {
        var list = channels.Distinct().OrderBy(c => c).ToArray();
        if (list.Length == 0) return new Dictionary<int, Image>();
        int size = model.Input.Shape[^1];
        var result = Recipes.Channels(model, tap, list, options: RenderOptions.ForSmallInput(size) with { Steps = steps, Seed = seed }, seed: seed);
        var images = Split(result.Image);
        return list.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => images[x.i]);
    }

    /// <summary>One icon per direction in <paramref name="tap"/>'s channel space (cosine power 1), in order.</summary>
    public static IReadOnlyList<Image> ForDirections(Model model, string tap, IReadOnlyList<float[]> directions, int steps = 128, ulong seed = 0)
    {
        int size = model.Input.Shape[^1];
        var objective = Objective.Sum(directions.Select((d, i) => Objectives.Direction(tap, d, cossimPow: 1, batch: i)));
        using var canvas = new LucidImage(size, batch: directions.Count, seed: seed, sd: RenderOptions.SmallInputSd);
        return Split(Renderer.Render(model, objective, canvas, RenderOptions.ForSmallInput(size) with { Steps = steps, Seed = seed }).Image);
    }

    /// <summary>The batch's images as 8-bit images; disposes the batch.</summary>
    private static Image[] Split(Tensor batch)
    {
        var images = new Image[batch.Size(0)];
        for (int i = 0; i < images.Length; i++)
        {
            using var one = Ops.Slice(batch, 0, i, i + 1);
            images[i] = Image.FromTensor(one);
        }
        batch.Dispose();
        return images;
    }
}
