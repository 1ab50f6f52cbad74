using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

/// <summary>Perturbation-based attribution (Captum's FeatureAblation and Occlusion): the change of the target when parts of the input are replaced.</summary>
public static class PerturbationAttribution
{
    /// <summary>
    /// Feature ablation (Captum's FeatureAblation): the input's elements are grouped by <paramref name="featureMask"/>
    /// (one non-negative group id per pixel [H·W], shared by the channels, or per element of an example [C·H·W]); each
    /// group in turn is replaced by the baseline (zeros by default) and every element of the group gets
    /// f(x) − f(x with the group ablated). <paramref name="groupsPerEval"/> ablations run as one batch.
    /// </summary>
    public static AttributionResult FeatureAblation(Model model, Tensor input, AttributionTarget target, int[] featureMask,
        Baseline? baseline = null, int groupsPerEval = 16)
    {
        if (input.Rank < 2) throw new ShapeMismatchException($"feature ablation: input must have a batch dimension, got {Shapes.Format(input.Shape)}.");
        if (groupsPerEval <= 0) throw new LucidArgumentException(nameof(groupsPerEval), $"feature ablation: groups per evaluation must be positive, got {groupsPerEval}.");
        int n = input.Size(0), per = input.Count / n;
        int planeSize = input.Rank == 4 ? input.Size(2) * input.Size(3) : per;
        if (featureMask.Length != per && featureMask.Length != planeSize)
            throw new LucidArgumentException(nameof(featureMask), $"feature ablation: the mask has {featureMask.Length} entries; expected {planeSize} (one per pixel) or {per} (one per element of an example).");
        if (featureMask.Any(v => v < 0))
            throw new LucidArgumentException(nameof(featureMask), "feature ablation: group ids must be non-negative.");
        int GroupOf(int i) => featureMask.Length == per ? featureMask[i] : featureMask[i % planeSize];
        var groups = featureMask.Distinct().Order().ToArray();
        using var reference = (baseline ?? Baseline.Zero).For(model, input);
        var x = input.ToArray();
        var x0 = reference.ToArray();
        var fx = GradientAttribution.Evaluate(model, input, target);
        var result = Tensor.Zeros(input.Shape.ToArray()).DetachFromScope();
        var rd = result.Data;
        var elementGroup = new int[per];
        for (int i = 0; i < per; i++) elementGroup[i] = GroupOf(i);
        for (int g0 = 0; g0 < groups.Length; g0 += groupsPerEval)
        {
            int count = Math.Min(groupsPerEval, groups.Length - g0);
            var batch = new float[count * n * per];
            for (int k = 0; k < count; k++)
            {
                int group = groups[g0 + k];
                for (int e = 0; e < n; e++)
                    for (int i = 0; i < per; i++)
                    {
                        int src = e * per + i;
                        batch[(k * n + e) * per + i] = elementGroup[i] == group ? x0[src] : x[src];
                    }
            }
            var shape = input.Shape.ToArray();
            shape[0] = count * n;
            using var ablated = Tensor.FromArray(batch, shape);
            var f = GradientAttribution.Evaluate(model, ablated, target);
            for (int k = 0; k < count; k++)
            {
                int group = groups[g0 + k];
                for (int e = 0; e < n; e++)
                {
                    float drop = fx[e] - f[k * n + e];
                    for (int i = 0; i < per; i++)
                        if (elementGroup[i] == group) rd[e * per + i] = drop;
                }
            }
        }
        return new AttributionResult(result, fx);
    }

    /// <summary>
    /// Occlusion (Zeiler &amp; Fergus, 2014; Captum's convention): slide a window of <paramref name="window"/>×<paramref name="window"/>
    /// pixels (all channels) with <paramref name="stride"/>, replace it by <paramref name="baseline"/>, and give every
    /// covered pixel the drop f(x) − f(x occluded), averaged over the windows that cover it.
    /// </summary>
    public static AttributionResult Occlusion(Model model, Tensor input, AttributionTarget target, int window, int stride, float baseline = 0f)
    {
        if (window <= 0 || stride <= 0) throw new LucidArgumentException(nameof(window), $"occlusion: window ({window}) and stride ({stride}) must be positive.");
        if (input.Rank != 4) throw new ShapeMismatchException($"occlusion: input must be [N, C, H, W], got {Shapes.Format(input.Shape)}.");
        int n = input.Size(0), c = input.Size(1), h = input.Size(2), w = input.Size(3);
        if (window > h || window > w) throw new LucidArgumentException(nameof(window), $"occlusion: window {window} is larger than the image {h}×{w}.");
        var fx = GradientAttribution.Evaluate(model, input, target);
        var sum = new double[input.Count];
        var count = new int[h * w];
        var data = input.ToArray();
        for (int y0 = 0; y0 + window <= h; y0 += stride)
            for (int x0 = 0; x0 + window <= w; x0 += stride)
            {
                var occluded = (float[])data.Clone();
                for (int e = 0; e < n; e++)
                    for (int ch = 0; ch < c; ch++)
                        for (int y = y0; y < y0 + window; y++)
                            for (int x = x0; x < x0 + window; x++) occluded[((e * c + ch) * h + y) * w + x] = baseline;
                using var t = Tensor.FromArray(occluded, input.Shape.ToArray());
                var f = GradientAttribution.Evaluate(model, t, target);
                for (int y = y0; y < y0 + window; y++)
                    for (int x = x0; x < x0 + window; x++)
                    {
                        count[y * w + x]++;
                        for (int e = 0; e < n; e++)
                            for (int ch = 0; ch < c; ch++) sum[((e * c + ch) * h + y) * w + x] += fx[e] - f[e];
                    }
            }
        var result = Tensor.Zeros(input.Shape.ToArray()).DetachFromScope();
        var rd = result.Data;
        for (int i = 0; i < rd.Length; i++)
        {
            int pixel = i % (h * w);
            rd[i] = count[pixel] == 0 ? 0f : (float)(sum[i] / count[pixel]);
        }
        return new AttributionResult(result, fx);
    }
}
