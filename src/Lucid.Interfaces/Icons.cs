using Lucid.Imaging;
using Lucid.Models.Graph;
using Lucid.Optvis;
using Lucid.Tensors;

namespace Lucid.Interfaces;

/// <summary>
/// Feature-visualization icons for the interfaces: every unit of one figure rendered as one batch with the
/// small-input preset (<see cref="RenderOptions.ForSmallInput"/>), so a figure costs one render — on the
/// model's <see cref="Model.Preview"/> where it has one (resnet18's icons at 96² instead of 224²).
/// </summary>
public static class Icons
{
    /// <summary>One icon per channel of <paramref name="tap"/>, keyed by channel (the distinct channels, rendered in ascending order).</summary>
    public static IReadOnlyDictionary<int, Image> ForChannels(Model model, string tap, IEnumerable<int> channels, int steps = 128, ulong seed = 0)
    {
        var list = channels.Distinct().OrderBy(c => c).ToArray();
        if (list.Length == 0) return new Dictionary<int, Image>();
        var options = Options(model, steps, seed);
        model = model.Preview ?? model;
        var result = Recipes.Channels(model, tap, list, options: options, seed: seed);
        var images = Split(result.Image);
        return list.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => images[x.i]);
    }

    /// <summary>One icon per direction in <paramref name="tap"/>'s channel space (cosine power 1), in order.</summary>
    public static IReadOnlyList<Image> ForDirections(Model model, string tap, IReadOnlyList<float[]> directions, int steps = 128, ulong seed = 0)
    {
        var options = Options(model, steps, seed);
        model = model.Preview ?? model;
        int size = model.Input.Shape[^1];
        var objective = Objective.Sum(directions.Select((d, i) => Objectives.Direction(tap, d, cossimPow: 1, batch: i)));
        using var canvas = LucidImage.For(model, size, batch: directions.Count, seed: seed, sd: RenderOptions.SmallInputSd);
        return Split(Renderer.Render(model, objective, canvas, options).Image);
    }

    /// <summary>
    /// The render settings of icons for <paramref name="model"/>: the small-input preset (roll jitter, Adam 0.2) on the
    /// model's own small input; on a real network's preview, Lucid's standard transforms with Adam 0.1 — the small
    /// preset's rate oversaturates an ImageNet network's icons within 128 steps, and its roll jitter alone lets
    /// high-frequency patterns through.
    /// </summary>
    public static RenderOptions Options(Model model, int steps, ulong seed)
    {
        int size = (model.Preview ?? model).Input.Shape[^1];
        return model.Preview is null
            ? RenderOptions.ForSmallInput(size) with { Steps = steps, Seed = seed }
            : new RenderOptions { Steps = steps, Seed = seed, LearningRate = 0.1f, Transforms = Transform.Standard };
    }

    /// <summary>The batch's images as 8-bit images; disposes the batch.</summary>
    private static Image[] Split(Tensor batch)
    {
        var images = new Image[batch.Size(0)];
        for (int i = 0; i < images.Length; i++)
        {
            using var one = batch[i..(i + 1)];
            images[i] = Image.FromTensor(one);
        }
        batch.Dispose();
        return images;
    }
}
