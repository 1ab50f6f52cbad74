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
    /// The flat rule on a convolution (one group) in closed form. With unit inputs and weights, z at output (oy, ox) is
    /// cin · rows(oy) · cols(ox), the taps whose input lies in bounds (the padding's zeros count nothing), equal for every
    /// output channel; the relevance of input (c, y, x) is Σ over the outputs whose window covers it of R / stabilize(z),
    /// the same for every input channel c. Per example: S = Σ_co R / stabilize(z) (one plane), then the covering sums
    /// down the rows and along the columns — a separable window, since which output rows cover y does not depend on x.
    /// </summary>
    public static Tensor FlatConvolution(Tensor relevance, int[] inputShape, int kernelH, int kernelW, Conv2dAttributes a, float epsilon)
    {
        int n = inputShape[0], cin = inputShape[1], h = inputShape[2], w = inputShape[3];
        int cout = relevance.Size(1), oh = relevance.Size(2), ow = relevance.Size(3);
        var rows = Covering(h, oh, kernelH, a.StrideH, a.PadH, a.DilationH);
        var cols = Covering(w, ow, kernelW, a.StrideW, a.PadW, a.DilationW);
        var result = Tensor.Zeros(inputShape);
        var plane = new float[oh * ow];
        var down = new float[h * ow];
        var r = relevance.Data;
        var o = result.Data;
        for (int e = 0; e < n; e++)
        {
            Array.Clear(plane);
            for (int c = 0; c < cout; c++)
                System.Numerics.Tensors.TensorPrimitives.Add(plane, r.Slice((e * cout + c) * plane.Length, plane.Length), plane);
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                plane[oy * ow + ox] /= LrpRule.Stabilize((float)cin * rows.Taps[oy] * cols.Taps[ox], epsilon);
            Array.Clear(down);
            for (int y = 0; y < h; y++)
                foreach (int oy in rows.Covers[y])
                    System.Numerics.Tensors.TensorPrimitives.Add(down.AsSpan(y * ow, ow), plane.AsSpan(oy * ow, ow), down.AsSpan(y * ow, ow));
            var first = o.Slice(e * cin * h * w, h * w);
            for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float sum = 0f;
                foreach (int ox in cols.Covers[x]) sum += down[y * ow + ox];
                first[y * w + x] = sum;
            }
            for (int c = 1; c < cin; c++) first.CopyTo(o.Slice((e * cin + c) * h * w, h * w));
        }
        return result;
    }

    /// <summary>
    /// Along one axis: per output position the taps whose input is in bounds, and per input position the outputs whose
    /// window covers it (at most one tap each: position = o·stride − pad + k·dilation fixes k).
    /// </summary>
    private static (int[] Taps, int[][] Covers) Covering(int size, int outputs, int kernel, int stride, int pad, int dilation)
    {
        var taps = new int[outputs];
        var covers = new List<int>[size];
        for (int i = 0; i < size; i++) covers[i] = new List<int>();
        for (int o = 0; o < outputs; o++)
            for (int k = 0; k < kernel; k++)
            {
                int i = o * stride - pad + k * dilation;
                if (i < 0 || i >= size) continue;
                taps[o]++;
                covers[i].Add(o);
            }
        return (taps, covers.Select(c => c.ToArray()).ToArray());
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
