using Lucid.Tensors.Autograd;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Lucid.Tensors;

/// <summary>Hyper-parameters of a recorded local response normalization.</summary>
public sealed record LrnAttributes(int Size, float Alpha, float Beta, float Bias);

/// <summary>Hyper-parameters of a recorded batch normalization (the running statistics are inputs-by-reference).</summary>
public sealed record BatchNormAttributes(bool Training, float Momentum, float Epsilon, Tensor RunningMean, Tensor RunningVar,
    Tensor? Weight = null, Tensor? Bias = null);

public static partial class Ops
{
    /// <summary>
    /// Local response normalization across channels (AlexNet/InceptionV1):
    /// y_c = x_c / (bias + α/size · Σ_{c'} x_{c'}²)^β over c' in [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] — ONNX's window.
    /// PyTorch's LocalResponseNorm agrees for odd sizes; for even sizes it shifts the window by one channel.
    /// Defaults α = 1e-4, β = 0.75, bias = 1 are ONNX's and PyTorch's.
    /// </summary>
    public static Tensor LocalResponseNorm(Tensor x, int size, float alpha = 1e-4f, float beta = 0.75f, float bias = 1f)
    {
        const string op = "local_response_norm";
        x.ThrowIfDisposed(op);
        if (x.Rank < 3) throw new ShapeMismatchException($"{op}: input must have rank at least 3 ([N, C, ...]), got {Shapes.Format(x.ShapeArray)}.");
        Shapes.RequirePositive(size, op, nameof(size));
        int n = x.ShapeArray[0], c = x.ShapeArray[1], plane = x.Count / Math.Max(1, n * c);
        int before = (size - 1) / 2, after = size - 1 - before;
        float scale = alpha / size;
        // Plane-wise and vectorized, one example per work item: D = bias + scale·(window sum of x²), y = x·D^(−β).
        // Kept for backward: D and D^(−β).
        var y = Tensor.Uninitialized(x.ShapeArray, op);
        var denom = Tensor.Uninitialized(x.ShapeArray, op);
        var powered = Tensor.Uninitialized(x.ShapeArray, op);
        unsafe
        {
            fixed (float* xp = x.Data)
            fixed (float* yp = y.Data)
            fixed (float* dp = denom.Data)
            fixed (float* pp = powered.Data)
            {
                var state = new LrnForward(xp, yp, dp, pp, c, plane, before, after, scale, bias, beta);
                Kernels.ParallelKernels.For(n, state, static (b, s) => s.Run(b));
            }
        }
        var attrs = new LrnAttributes(size, alpha, beta, bias);
        if (!Graph.Needs(x)) { denom.Dispose(); powered.Dispose(); return y; }
        var saved = new OwnedPair(denom, powered);
        return Graph.Record(y, op, new[] { x }, owned: saved, attributes: attrs, backward: (g, grads) =>
        {
            // gx = g·D^(−β) − 2β·scale·x·Σ_{c: i ∈ W(c)} g_c·y_c / D_c
            var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
            using var tBuffer = Tensor.Uninitialized(x.ShapeArray, "grad");
            using var accBuffer = Tensor.Uninitialized(x.ShapeArray, "grad");
            unsafe
            {
                fixed (float* gp = g.Data)
                fixed (float* gxp = gx.Data)
                fixed (float* xp = x.Data)
                fixed (float* yp = y.Data)
                fixed (float* dp = saved.First.Data)
                fixed (float* pp = saved.Second.Data)
                fixed (float* tp = tBuffer.Data)
                fixed (float* ap = accBuffer.Data)
                {
                    var state = new LrnBackward(gp, gxp, xp, yp, dp, pp, tp, ap, c, plane, before, after, -2f * beta * scale);
                    Kernels.ParallelKernels.For(n, state, static (b, s) => s.Run(b));
                }
            }
            grads[0] = gx;
        });
    }

    private readonly unsafe struct LrnBackward(float* g, float* gx, float* x, float* y, float* denom, float* powered, float* t, float* acc,
        int c, int plane, int before, int after, float factor)
    {
        public void Run(int b)
        {
            long offset = (long)b * c * plane;
            int count = c * plane;
            var gs = new ReadOnlySpan<float>(g + offset, count);
            var ts = new Span<float>(t + offset, count);
            var accs = new Span<float>(acc + offset, count);
            var gxs = new Span<float>(gx + offset, count);
            TP.Multiply(gs, new ReadOnlySpan<float>(y + offset, count), ts);
            TP.Divide(ts, new ReadOnlySpan<float>(denom + offset, count), ts);
            for (int ch = 0; ch < c; ch++)
            {
                var a = accs.Slice(ch * plane, plane);
                a.Clear();
                // channels whose window contains ch: c' with c' − before ≤ ch ≤ c' + after
                for (int k = Math.Max(0, ch - after); k <= Math.Min(c - 1, ch + before); k++)
                    TP.Add(a, ts.Slice(k * plane, plane), a);
            }
            TP.Multiply(accs, new ReadOnlySpan<float>(x + offset, count), accs);
            TP.Multiply(accs, factor, accs);
            TP.Multiply(gs, new ReadOnlySpan<float>(powered + offset, count), gxs);
            TP.Add(gxs, accs, gxs);
        }
    }

    private readonly unsafe struct LrnForward(float* x, float* y, float* denom, float* powered, int c, int plane, int before, int after,
        float scale, float bias, float beta)
    {
        public void Run(int b)
        {
            long offset = (long)b * c * plane;
            var xs = new ReadOnlySpan<float>(x + offset, c * plane);
            var ys = new Span<float>(y + offset, c * plane);
            var ds = new Span<float>(denom + offset, c * plane);
            var ps = new Span<float>(powered + offset, c * plane);
            for (int ch = 0; ch < c; ch++)
            {
                var d = ds.Slice(ch * plane, plane);
                d.Clear();
                for (int k = Math.Max(0, ch - before); k <= Math.Min(c - 1, ch + after); k++)
                {
                    var xk = xs.Slice(k * plane, plane);
                    TP.MultiplyAdd(xk, xk, d, d);
                }
            }
            TP.Multiply(ds, scale, ds);
            TP.Add(ds, bias, ds);
            Power(ds, -beta, ps);
            TP.Multiply(xs, ps, ys);
        }
    }

    /// <summary>d^e; the exponents LRN uses in practice (−0.75 for AlexNet/InceptionV1, −0.5, −1) by square roots.</summary>
    private static void Power(ReadOnlySpan<float> d, float e, Span<float> result)
    {
        switch (e)
        {
            case -0.75f:
            {
                // d^(−3/4) = 1 / (√d · √√d)
                int i = 0;
                if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
                    for (; i + 8 <= d.Length; i += 8)
                    {
                        var root = System.Runtime.Intrinsics.Vector256.Sqrt(System.Runtime.Intrinsics.Vector256.Create(d.Slice(i, 8)));
                        System.Runtime.Intrinsics.Vector256.CopyTo(System.Runtime.Intrinsics.Vector256<float>.One / (root * System.Runtime.Intrinsics.Vector256.Sqrt(root)), result.Slice(i, 8));
                    }
                for (; i < d.Length; i++)
                {
                    float root = MathF.Sqrt(d[i]);
                    result[i] = 1f / (root * MathF.Sqrt(root));
                }
                break;
            }
            case -0.5f:
                TP.Sqrt(d, result);
                TP.Divide(1f, result, result);
                break;
            case -1f:
                TP.Divide(1f, d, result);
                break;
            default:
                TP.Pow(d, e, result);
                break;
        }
    }

    /// <summary>Two temporaries owned by one graph node.</summary>
    private sealed class OwnedPair(Tensor first, Tensor second) : IDisposable
    {
        public Tensor First { get; } = first.DetachFromScope();
        public Tensor Second { get; } = second.DetachFromScope();
        public void Dispose()
        {
            First.Dispose();
            Second.Dispose();
        }
    }

    /// <summary>dst[plane p of row r] = src · scale[r mod c] + shift[r mod c] for <paramref name="rows"/> planes, both cores.</summary>
    private static unsafe void ChannelAffine(float[] src, float[] dst, int rows, int c, int plane, float[] scale, float[] shift)
    {
        fixed (float* ps = src)
        fixed (float* pd = dst)
        fixed (float* pa = scale)
        fixed (float* pb = shift)
        {
            var state = new AffineRows(ps, pd, c, plane, pa, pb);
            if ((long)rows * plane < 1 << 15) for (int r = 0; r < rows; r++) state.Run(r);
            else Kernels.ParallelKernels.For(rows, state, static (r, s) => s.Run(r));
        }
    }

    private readonly unsafe struct AffineRows(float* src, float* dst, int c, int plane, float* scale, float* shift)
    {
        public void Run(int row)
        {
            float* from = src + (long)row * plane, to = dst + (long)row * plane;
            float a = scale[row % c], b = shift[row % c];
            int i = 0;
            if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
            {
                var va = System.Runtime.Intrinsics.Vector256.Create(a);
                var vb = System.Runtime.Intrinsics.Vector256.Create(b);
                for (; i + 8 <= plane; i += 8)
                    System.Runtime.Intrinsics.Vector256.Store(System.Runtime.Intrinsics.Vector256.Load(from + i) * va + vb, to + i);
            }
            for (; i < plane; i++) to[i] = from[i] * a + b;
        }
    }

    /// <summary>
    /// Batch normalization over [N, C, ...]. Training uses the batch's biased variance to normalize and updates the
    /// running statistics in place with the unbiased variance (PyTorch: momentum 0.1, ε = 1e-5); evaluation uses the
    /// running statistics.
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum = 0.1f, float epsilon = 1e-5f)
    {
        const string op = "batch_norm";
        x.ThrowIfDisposed(op);
        if (x.Rank < 2) throw new ShapeMismatchException($"{op}: input must have rank at least 2 ([N, C, ...]), got {Shapes.Format(x.ShapeArray)}.");
        int n = x.ShapeArray[0], c = x.ShapeArray[1], plane = x.Count / Math.Max(1, n * c);
        void Check(Tensor? t, string name)
        {
            if (t is null) return;
            t.ThrowIfDisposed(op);
            if (t.Rank != 1 || t.ShapeArray[0] != c)
                throw new ShapeMismatchException($"{op}: '{name}' must have shape [{c}] for input {Shapes.Format(x.ShapeArray)}, got {Shapes.Format(t.ShapeArray)}.");
        }
        Check(runningMean, nameof(runningMean)); Check(runningVar, nameof(runningVar)); Check(weight, nameof(weight)); Check(bias, nameof(bias));
        if (!(epsilon >= 0f)) throw new LucidArgumentException(nameof(epsilon), $"{op}: epsilon must be non-negative, got {epsilon}.");
        int m = n * plane;
        if (training && m < 2)
            throw new LucidArgumentException(nameof(x), $"{op}: training needs more than one value per channel, got input {Shapes.Format(x.ShapeArray)}.");
        var stats = training ? new BatchNormStats(c) : EvaluationStats(runningMean, runningVar, weight, bias, epsilon, c);
        float[] mean = stats.Mean, invStd = stats.InvStd, scale = stats.Scale;
        if (training)
        {
            var xd = x.Data;
            var rm = runningMean.Data; var rv = runningVar.Data;
            for (int ch = 0; ch < c; ch++)
            {
                double s = 0;
                for (int b = 0; b < n; b++) s += System.Numerics.Tensors.TensorPrimitives.Sum(xd.Slice((b * c + ch) * plane, plane));
                double mu = s / m, v = 0;
                for (int b = 0; b < n; b++)
                {
                    var row = xd.Slice((b * c + ch) * plane, plane);
                    for (int p = 0; p < row.Length; p++) { double dlt = row[p] - mu; v += dlt * dlt; }
                }
                double biased = v / m;
                mean[ch] = (float)mu;
                invStd[ch] = (float)(1.0 / Math.Sqrt(biased + epsilon));
                rm[ch] = (1 - momentum) * rm[ch] + momentum * (float)mu;
                rv[ch] = (1 - momentum) * rv[ch] + momentum * (float)(v / (m - 1));
            }
            stats.SetAffine(weight, bias);
        }
        var y = Tensor.Uninitialized(x.ShapeArray, op);
        ChannelAffine(x.Buffer, y.Buffer, n * c, c, plane, scale, stats.Shift);
        var inputs = weight is null ? bias is null ? new[] { x } : new[] { x, bias }
            : bias is null ? new[] { x, weight } : new[] { x, weight, bias };
        if (!Graph.Needs(inputs)) return y;
        var attrs = stats.Attributes is { } kept && kept.Momentum.Equals(momentum) ? kept
            : new BatchNormAttributes(training, momentum, epsilon, runningMean, runningVar, weight, bias);
        if (!training) stats.Attributes = attrs; // evaluation statistics belong to these very tensors and ε
        return Graph.Record(y, op, inputs, (g, grads) =>
        {
            var gd = g.Data; var xs = x.Data;
            // the sums feed the training-mode input gradient and the affine parameters' gradients only; in evaluation
            // mode the input gradient is the channel's scale times g (one pass, both cores, nothing allocated)
            bool sums = training || weight is not null && Graph.Wants(weight) || bias is not null && Graph.Wants(bias);
            var sumG = sums ? new double[c] : Array.Empty<double>();
            var sumGX = sums ? new double[c] : Array.Empty<double>();
            if (sums)
                for (int b = 0; b < n; b++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        int o = (b * c + ch) * plane;
                        for (int p = 0; p < plane; p++)
                        {
                            sumG[ch] += gd[o + p];
                            sumGX[ch] += gd[o + p] * (xs[o + p] - mean[ch]) * invStd[ch];
                        }
                    }
            if (Graph.Wants(x) && !training)
            {
                var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
                ChannelAffine(g.Buffer, gx.Buffer, n * c, c, plane, scale, Zeros(c));
                grads[0] = gx;
            }
            else if (Graph.Wants(x))
            {
                var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
                var gxd = gx.Data;
                for (int b = 0; b < n; b++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        float gamma = weight?.Data[ch] ?? 1f;
                        int o = (b * c + ch) * plane;
                        for (int p = 0; p < plane; p++)
                        {
                            if (training)
                            {
                                double xhat = (xs[o + p] - mean[ch]) * invStd[ch];
                                gxd[o + p] = (float)(gamma * invStd[ch] / m * (m * gd[o + p] - sumG[ch] - xhat * sumGX[ch]));
                            }
                            else gxd[o + p] = gd[o + p] * gamma * invStd[ch];
                        }
                    }
                grads[0] = gx;
            }
            int next = 1;
            if (weight is not null)
            {
                if (Graph.Wants(weight))
                {
                    var gw = Tensor.Uninitialized(new[] { c }, "grad");
                    for (int ch = 0; ch < c; ch++) gw.Data[ch] = (float)sumGX[ch];
                    grads[next] = gw;
                }
                next++;
            }
            if (bias is not null && Graph.Wants(bias))
            {
                var gb = Tensor.Uninitialized(new[] { c }, "grad");
                for (int ch = 0; ch < c; ch++) gb.Data[ch] = (float)sumG[ch];
                grads[next] = gb;
            }
        }, attrs);
    }

    /// <summary>Per-channel statistics of a batch normalization: mean, 1/√(var + ε), and its affine form y = scale·x + shift.</summary>
    private sealed class BatchNormStats(int c)
    {
        public readonly float[] Mean = new float[c], InvStd = new float[c], Scale = new float[c], Shift = new float[c];

        /// <summary>The attributes recorded with them (evaluation mode: shared by every call with the same parameters).</summary>
        public BatchNormAttributes? Attributes;

        public void SetAffine(Tensor? weight, Tensor? bias)
        {
            for (int ch = 0; ch < Mean.Length; ch++)
            {
                float gamma = weight?.Data[ch] ?? 1f, beta = bias?.Data[ch] ?? 0f;
                Scale[ch] = gamma * InvStd[ch];
                Shift[ch] = beta - Mean[ch] * Scale[ch];
            }
        }
    }

    /// <summary>The statistics last computed from a running-mean tensor, with the values they were computed from.</summary>
    private sealed class EvaluationEntry
    {
        public Tensor? Var, Weight, Bias;
        public float Epsilon;
        public float[] Source = Array.Empty<float>();
        public BatchNormStats? Stats;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Tensor, EvaluationEntry> Evaluation = new();

    /// <summary>
    /// An evaluation-mode batch normalization's statistics, computed once per parameter set rather than on every call (a
    /// render step runs twenty of them): reused while the running statistics, weight, bias and ε are the tensors and
    /// values they were computed from — compared value for value, so parameters changed in place are seen — and made
    /// afresh (new arrays: a graph recorded earlier keeps its own) when they are not. Same formulas, so same bits.
    /// </summary>
    private static BatchNormStats EvaluationStats(Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias, float epsilon, int c)
    {
        var entry = Evaluation.GetValue(runningMean, static _ => new EvaluationEntry());
        lock (entry)
        {
            var source = entry.Source;
            bool same = entry.Stats is not null && entry.Var == runningVar && entry.Weight == weight && entry.Bias == bias
                && entry.Epsilon.Equals(epsilon) && source.Length == 4 * c
                && Same(runningMean.Data, source.AsSpan(0, c)) && Same(runningVar.Data, source.AsSpan(c, c))
                && (weight is null || Same(weight.Data, source.AsSpan(2 * c, c))) && (bias is null || Same(bias.Data, source.AsSpan(3 * c, c)));
            if (same) return entry.Stats!;
            var stats = new BatchNormStats(c);
            var rm = runningMean.Data; var rv = runningVar.Data;
            for (int ch = 0; ch < c; ch++)
            {
                stats.Mean[ch] = rm[ch];
                stats.InvStd[ch] = 1f / MathF.Sqrt(rv[ch] + epsilon);
            }
            stats.SetAffine(weight, bias);
            if (source.Length != 4 * c) entry.Source = source = new float[4 * c];
            rm.CopyTo(source.AsSpan(0, c));
            rv.CopyTo(source.AsSpan(c, c));
            weight?.Data.CopyTo(source.AsSpan(2 * c, c));
            bias?.Data.CopyTo(source.AsSpan(3 * c, c));
            (entry.Var, entry.Weight, entry.Bias, entry.Epsilon, entry.Stats) = (runningVar, weight, bias, epsilon, stats);
            return stats;
        }

        // bit for bit (a float comparison would call NaN unequal to itself and 0 equal to −0)
        static bool Same(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
            System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(a).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(b));
    }

    private static float[] _zeros = Array.Empty<float>();

    /// <summary>At least <paramref name="count"/> zeros, shared (never written).</summary>
    private static float[] Zeros(int count)
    {
        var z = _zeros;
        if (z.Length < count) _zeros = z = new float[Math.Max(count, 2 * z.Length)];
        return z;
    }

    /// <summary>Inverted dropout: zeroes each element with probability <paramref name="p"/> and scales the rest by 1/(1 − p); identity when not training.</summary>
    public static Tensor Dropout(Tensor x, float p, bool training, Rng rng)
    {
        x.ThrowIfDisposed("dropout");
        if (!(p >= 0f && p < 1f)) throw new LucidArgumentException(nameof(p), $"dropout: p must be in [0, 1), got {p}.");
        if (!training || p == 0f) return Affine(x, 1f, 0f, "dropout");
        var mask = Tensor.Uninitialized(x.ShapeArray, "dropout");
        var md = mask.Data;
        float keep = 1f / (1f - p);
        for (int i = 0; i < md.Length; i++) md[i] = rng.NextDouble() < p ? 0f : keep;
        var y = Tensor.Uninitialized(x.ShapeArray, "dropout");
        System.Numerics.Tensors.TensorPrimitives.Multiply(x.Data, md, y.Data);
        if (!Graph.Needs(x)) { mask.Dispose(); return y; }
        return Graph.Record(y, "dropout", new[] { x }, owned: mask, attributes: p, backward: (g, grads) =>
        {
            var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
            System.Numerics.Tensors.TensorPrimitives.Multiply(g.Data, mask.Data, gx.Data);
            grads[0] = gx;
        });
    }
}
