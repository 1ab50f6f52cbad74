using Lucid.Interfaces.Factorization;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Interfaces;

/// <summary>
/// Neuron groups of one image (Building Blocks, "neuron groups"): the activations of a layer on the image are
/// factorized by NMF into k groups of channels; each group has a direction in channel space and a spatial map.
/// </summary>
/// <param name="Tap">The layer.</param>
/// <param name="Reducer">The fitted factorization (groups × channels).</param>
/// <param name="Maps">Each group's weight at each position, [k, H, W] flattened.</param>
/// <param name="Height">Spatial height of the layer.</param>
/// <param name="Width">Spatial width of the layer.</param>
public sealed record NeuronGroups(string Tap, ChannelReducer Reducer, float[] Maps, int Height, int Width)
{
    public int Count => Reducer.Count;

    /// <summary>Factorizes the activations of <paramref name="tap"/> (a non-negative, spatial tap) on one image [1, C, H, W].</summary>
    public static NeuronGroups Of(Model model, Tensor image, string tap, int groups, ulong seed = 0)
    {
        InputChecks.OneImage(image, "neuron groups");
        var shape = InputChecks.SpatialShape(model, tap, "neuron groups");
        if (groups < 1 || groups > shape[0])
            throw new LucidArgumentException(nameof(groups), $"neuron groups: {groups} groups for the {shape[0]} channels of '{tap}'; use 1 to {shape[0]}.");
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var activations = model.Run(image, null, stopAfter: tap)[tap];
        var reducer = ChannelReducer.Fit(activations, groups, ReductionMethod.Nmf, seed);
        return new NeuronGroups(tap, reducer, reducer.FittedTransform, activations.Size(2), activations.Size(3));
    }

    /// <summary>
    /// Each group's share of the position's total group weight, [k, H, W] — what a group "owns" at each position,
    /// independent of how strongly the layer fires there.
    /// </summary>
    public float[] Shares()
    {
        int plane = Height * Width;
        var share = new float[Maps.Length];
        for (int p = 0; p < plane; p++)
        {
            double total = 0;
            for (int g = 0; g < Count; g++) total += Maps[g * plane + p];
            for (int g = 0; g < Count; g++) share[g * plane + p] = total > 0 ? (float)(Maps[g * plane + p] / total) : 0f;
        }
        return share;
    }

    /// <summary>
    /// The group that dominates a region given as a pixel mask of the input ([size × size], row-major): the group
    /// with the largest share summed over positions, each weighted by the fraction of its receptive cell the mask covers.
    /// </summary>
    public int DominantGroup(bool[] mask, int size)
    {
        if (mask.Length != size * size) throw new LucidArgumentException(nameof(mask), $"neuron groups: a {size}×{size} mask has {size * size} pixels, got {mask.Length}.");
        var share = Shares();
        int plane = Height * Width;
        var score = new double[Count];
        for (int p = 0; p < plane; p++)
        {
            int y0 = p / Width * size / Height, y1 = (p / Width + 1) * size / Height;
            int x0 = p % Width * size / Width, x1 = (p % Width + 1) * size / Width;
            int covered = 0;
            for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) if (mask[y * size + x]) covered++;
            double fraction = covered / (double)((y1 - y0) * (x1 - x0));
            for (int g = 0; g < Count; g++) score[g] += fraction * share[g * plane + p];
        }
        int best = 0;
        for (int g = 1; g < Count; g++) if (score[g] > score[best]) best = g;
        return best;
    }
}
