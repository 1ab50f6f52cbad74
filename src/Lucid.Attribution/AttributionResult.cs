using Lucid.Tensors;

namespace Lucid.Attribution;

/// <summary>
/// An attribution: a tensor shaped like the explained input (or layer), the target value per example, and — for
/// methods with a completeness law — the per-example delta Σ attribution − (f(x) − f(x′)) (Captum's convention).
/// </summary>
public record AttributionResult(Tensor Attribution, float[] TargetValues, float[]? Delta = null)
{
    /// <summary>Path points evaluated per example, where a method chooses them itself (adaptive Integrated Gradients).</summary>
    public int[]? Steps { get; init; }
}

internal static class Completeness
{
    /// <summary>Per example: Σ attribution − expected total (the attribution is batch-first, examples contiguous).</summary>
    public static float[] Delta(ReadOnlySpan<float> attribution, int examples, Func<int, double> expected)
    {
        int per = attribution.Length / Math.Max(examples, 1);
        var delta = new float[examples];
        for (int e = 0; e < examples; e++)
        {
            double sum = 0;
            foreach (var v in attribution.Slice(e * per, per)) sum += v;
            delta[e] = (float)(sum - expected(e));
        }
        return delta;
    }
}
