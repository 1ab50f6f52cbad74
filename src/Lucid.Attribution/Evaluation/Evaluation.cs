using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Attribution;

/// <summary>
/// Scores for attribution maps against ground truth and against the model itself (Quantus / the LRP literature):
/// pointing game, relevance mass inside a mask, and the deletion / insertion curves' areas.
/// </summary>
public static class Evaluation
{
    /// <summary>Per-pixel relevance of one image: the attribution [C, H, W] summed over channels.</summary>
    public static float[] PixelMap(ReadOnlySpan<float> attribution, int channels, int height, int width)
    {
        var map = new float[height * width];
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < map.Length; p++) map[p] += attribution[c * map.Length + p];
        return map;
    }

    /// <summary>Pointing game (Zhang et al., 2018): does the maximally relevant pixel lie inside the object's mask?</summary>
    public static bool PointingGame(ReadOnlySpan<float> pixelMap, ReadOnlySpan<bool> mask)
    {
        if (pixelMap.Length != mask.Length) throw new ShapeMismatchException($"pointing game: {pixelMap.Length} relevances for a mask of {mask.Length} pixels.");
        int best = 0;
        for (int i = 1; i < pixelMap.Length; i++) if (pixelMap[i] > pixelMap[best]) best = i;
        return mask[best];
    }

    /// <summary>Relevance mass accuracy (Arras et al., 2022): the share of positive relevance that falls inside the mask.</summary>
    public static double MaskMass(ReadOnlySpan<float> pixelMap, ReadOnlySpan<bool> mask)
    {
        if (pixelMap.Length != mask.Length) throw new ShapeMismatchException($"mask mass: {pixelMap.Length} relevances for a mask of {mask.Length} pixels.");
        double inside = 0, total = 0;
        for (int i = 0; i < pixelMap.Length; i++)
        {
            double r = Math.Max(0, pixelMap[i]);
            total += r;
            if (mask[i]) inside += r;
        }
        return total == 0 ? 0 : inside / total;
    }

    /// <summary>Spearman rank correlation of two maps (average ranks for ties).</summary>
    public static double Spearman(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ShapeMismatchException($"spearman: maps of {a.Length} and {b.Length} values.");
        return Statistics.Spearman(ToDoubles(a), ToDoubles(b));
    }

    private static double[] ToDoubles(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }

    /// <summary>
    /// Deletion (or insertion) AUC (Petsiuk et al., 2018): pixels are removed from the image in order of decreasing
    /// relevance (insertion: revealed on the baseline), <paramref name="steps"/> at a time, and the target's softmax
    /// probability is integrated (trapezoid rule over the fraction of pixels). Low deletion and high insertion AUC are good.
    /// </summary>
    public static double PerturbationAuc(Model model, Tensor image, ReadOnlySpan<float> pixelMap, int targetClass, bool insertion, int steps = 16, float baseline = 0f) =>
        Auc(PerturbationCurve(model, image, pixelMap, targetClass, insertion, steps, baseline));

    /// <summary>The area under a curve sampled at evenly spaced fractions 0 … 1 (trapezoid rule).</summary>
    public static double Auc(IReadOnlyList<double> curve)
    {
        double auc = 0;
        for (int i = 1; i < curve.Count; i++) auc += 0.5 * (curve[i - 1] + curve[i]) / (curve.Count - 1);
        return auc;
    }

    /// <summary>
    /// The deletion (or insertion) curve itself: the target's softmax probability with 0, 1/steps, …, all of the
    /// pixels removed (revealed) in order of decreasing relevance — <paramref name="steps"/> + 1 values.
    /// </summary>
    public static double[] PerturbationCurve(Model model, Tensor image, ReadOnlySpan<float> pixelMap, int targetClass, bool insertion, int steps = 16, float baseline = 0f)
    {
        if (image.Rank != 4 || image.Size(0) != 1) throw new ShapeMismatchException($"perturbation AUC: expected one image [1, C, H, W], got [{string.Join(", ", image.Shape.ToArray())}].");
        int c = image.Size(1), h = image.Size(2), w = image.Size(3), pixels = h * w;
        if (pixelMap.Length != pixels) throw new ShapeMismatchException($"perturbation AUC: {pixelMap.Length} relevances for {pixels} pixels.");
        var map = pixelMap.ToArray();
        var order = Enumerable.Range(0, pixels).OrderByDescending(i => map[i]).ThenBy(i => i).ToArray();
        var original = image.ToArray();
        var current = insertion ? Enumerable.Repeat(baseline, original.Length).ToArray() : (float[])original.Clone();
        var probabilities = new List<double> { Probability(model, current, image.Shape.ToArray(), targetClass) };
        int perStep = (pixels + steps - 1) / steps;
        for (int s = 0; s < steps; s++)
        {
            for (int k = s * perStep; k < Math.Min(pixels, (s + 1) * perStep); k++)
                for (int ch = 0; ch < c; ch++)
                {
                    int i = ch * pixels + order[k];
                    current[i] = insertion ? original[i] : baseline;
                }
            probabilities.Add(Probability(model, current, image.Shape.ToArray(), targetClass));
        }
        return probabilities.ToArray();
    }

    private static double Probability(Model model, float[] pixels, int[] shape, int targetClass)
    {
        using var _ = Tensors.Autograd.GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var logits = model.Forward(Tensor.FromArray(pixels, shape));
        var p = Ops.Softmax(logits, 1);
        return p[0, targetClass];
    }
}
