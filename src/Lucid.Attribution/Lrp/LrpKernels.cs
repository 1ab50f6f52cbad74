using System.Runtime.Intrinsics;
using Lucid.Tensors;
using Lucid.Tensors.Kernels;

namespace Lucid.Attribution;

/// <summary>
/// The element-wise steps of LRP — R / stabilize(z) and the proportional split of a sum — vectorized and run in fixed
/// chunks on both cores (the same arithmetic as the scalar definitions, element by element, so results do not depend
/// on the vector width or the thread count).
/// </summary>
internal static class LrpKernels
{
    private const int Chunk = 1 << 14;

    /// <summary>R / (z + ε·sign(z)), sign(0) = +1.</summary>
    public static Tensor StableDivide(Tensor relevance, Tensor z, float epsilon)
    {
        var share = Tensor.Zeros(z.Shape.ToArray());
        var state = (R: relevance, Z: z, S: share, Count: z.Count, Epsilon: epsilon);
        ParallelKernels.For((state.Count + Chunk - 1) / Chunk, state, static (i, s) =>
        {
            int start = i * Chunk, end = Math.Min(s.Count, start + Chunk), k = start;
            var r = s.R.Data; var z = s.Z.Data; var o = s.S.Data;
            if (Vector256.IsHardwareAccelerated)
            {
                var eps = Vector256.Create(s.Epsilon);
                for (; k + 8 <= end; k += 8)
                {
                    var zv = Vector256.Create((ReadOnlySpan<float>)z.Slice(k, 8));
                    var stabilized = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(zv, Vector256<float>.Zero), zv + eps, zv - eps);
                    (Vector256.Create((ReadOnlySpan<float>)r.Slice(k, 8)) / stabilized).CopyTo(o.Slice(k, 8));
                }
            }
            for (; k < end; k++) o[k] = r[k] / LrpRule.Stabilize(z[k], s.Epsilon);
        });
        return share;
    }

    /// <summary>
    /// Σ over each example's elements of <paramref name="t"/> (batch first, <paramref name="n"/> examples) in double
    /// precision: fixed chunks on both cores, each summed in a fixed order, the chunks added in order — the same bits
    /// for any thread count.
    /// </summary>
    public static double[] SumPerExample(Tensor t, int n)
    {
        int per = t.Count / n, chunksPer = (per + Chunk - 1) / Chunk;
        var partial = new double[n * chunksPer];
        var state = (T: t, Partial: partial, Per: per, ChunksPer: chunksPer);
        ParallelKernels.For(n * chunksPer, state, static (i, s) =>
        {
            int e = i / s.ChunksPer, c = i % s.ChunksPer, start = c * Chunk;
            s.Partial[i] = SumDouble(s.T.Data.Slice(e * s.Per + start, Math.Min(Chunk, s.Per - start)));
        });
        var sums = new double[n];
        for (int i = 0; i < partial.Length; i++) sums[i / chunksPer] += partial[i];
        return sums;
    }

    private static double SumDouble(ReadOnlySpan<float> x)
    {
        int k = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> lo = default, hi = default;
            for (; k + 8 <= x.Length; k += 8)
            {
                var (a, b) = Vector256.Widen(Vector256.Create(x.Slice(k, 8)));
                lo += a;
                hi += b;
            }
            sum = Vector256.Sum(lo + hi);
        }
        for (; k < x.Length; k++) sum += x[k];
        return sum;
    }

    /// <summary>
    /// The proportional split of R at a sum a + b: R·a / stabilize(a + b) and R·b / stabilize(a + b), halves where the
    /// sum is exactly 0; with <paramref name="positive"/>, by the summands' positive parts.
    /// </summary>
    public static (Tensor A, Tensor B) Split(Tensor relevance, Tensor a, Tensor b, float stabilizer, bool positive)
    {
        var shape = a.Shape.ToArray();
        var ra = Tensor.Zeros(shape);
        var rb = Tensor.Zeros(shape);
        var state = (R: relevance, A: a, B: b, RA: ra, RB: rb,
            Count: a.Count, Epsilon: stabilizer, Positive: positive);
        ParallelKernels.For((state.Count + Chunk - 1) / Chunk, state, static (i, s) =>
        {
            int start = i * Chunk, end = Math.Min(s.Count, start + Chunk), k = start;
            Span<float> A = s.A.Data, B = s.B.Data, R = s.R.Data, RA = s.RA.Data, RB = s.RB.Data;
            if (Vector256.IsHardwareAccelerated)
            {
                var eps = Vector256.Create(s.Epsilon);
                var half = Vector256.Create(0.5f);
                for (; k + 8 <= end; k += 8)
                {
                    var av = Vector256.Create((ReadOnlySpan<float>)A.Slice(k, 8));
                    var bv = Vector256.Create((ReadOnlySpan<float>)B.Slice(k, 8));
                    if (s.Positive) { av = Vector256.Max(av, Vector256<float>.Zero); bv = Vector256.Max(bv, Vector256<float>.Zero); }
                    var r = Vector256.Create((ReadOnlySpan<float>)R.Slice(k, 8));
                    var sum = av + bv;
                    var share = r / Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(sum, Vector256<float>.Zero), sum + eps, sum - eps);
                    var zero = Vector256.Equals(sum, Vector256<float>.Zero);
                    Vector256.ConditionalSelect(zero, half * r, av * share).CopyTo(RA.Slice(k, 8));
                    Vector256.ConditionalSelect(zero, half * r, bv * share).CopyTo(RB.Slice(k, 8));
                }
            }
            for (; k < end; k++)
            {
                float av = A[k], bv = B[k];
                if (s.Positive) { av = Math.Max(av, 0f); bv = Math.Max(bv, 0f); }
                float sum = av + bv;
                if (sum == 0f)
                {
                    RA[k] = RB[k] = 0.5f * R[k];
                    continue;
                }
                float share = R[k] / LrpRule.Stabilize(sum, s.Epsilon);
                RA[k] = av * share;
                RB[k] = bv * share;
            }
        });
        return (ra, rb);
    }
}
