using Lucid.Tensors.Autograd;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Lucid.Tensors;

internal enum ReduceOp { Sum, Mean, Max, Min }

public static partial class Ops
{
    /// <summary>The index of the largest value, the first among equals; NaN never wins (all NaN: 0; no values: −1).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = -1;
        for (int i = 0; i < values.Length; i++)
            if (!float.IsNaN(values[i]) && (best < 0 || values[i] > values[best])) best = i;
        return best < 0 && values.Length > 0 ? 0 : best;
    }

    /// <summary>The index of the largest value, the first among equals; NaN never wins (all NaN: 0; no values: −1).</summary>
    public static int ArgMax(ReadOnlySpan<double> values)
    {
        int best = -1;
        for (int i = 0; i < values.Length; i++)
            if (!double.IsNaN(values[i]) && (best < 0 || values[i] > values[best])) best = i;
        return best < 0 && values.Length > 0 ? 0 : best;
    }

    /// <summary>Each row's <see cref="ArgMax(ReadOnlySpan{float})"/> of <paramref name="rows"/> row-major values, [rows, length / rows].</summary>
    public static int[] ArgMax(ReadOnlySpan<float> values, int rows)
    {
        if (rows <= 0 || values.Length % rows != 0)
            throw new LucidArgumentException(nameof(rows), $"argmax: {values.Length} values do not split into {rows} rows.");
        int c = values.Length / rows;
        var result = new int[rows];
        for (int r = 0; r < rows; r++) result[r] = ArgMax(values.Slice(r * c, c));
        return result;
    }

    /// <summary>Sum of all elements (shape []).</summary>
    public static Tensor Sum(Tensor x) => Reduce(x, null, false, ReduceOp.Sum, "sum");
    /// <summary>Sum over <paramref name="dims"/>.</summary>
    public static Tensor Sum(Tensor x, int[] dims, bool keepDim = false) => Reduce(x, dims, keepDim, ReduceOp.Sum, "sum");
    public static Tensor Sum(Tensor x, int dim, bool keepDim = false) => Reduce(x, new[] { dim }, keepDim, ReduceOp.Sum, "sum");
    public static Tensor Mean(Tensor x) => Reduce(x, null, false, ReduceOp.Mean, "mean");
    public static Tensor Mean(Tensor x, int[] dims, bool keepDim = false) => Reduce(x, dims, keepDim, ReduceOp.Mean, "mean");
    public static Tensor Mean(Tensor x, int dim, bool keepDim = false) => Reduce(x, new[] { dim }, keepDim, ReduceOp.Mean, "mean");
    /// <summary>Maximum over <paramref name="dims"/>; the gradient goes to the first maximal element.</summary>
    public static Tensor Max(Tensor x, int[] dims, bool keepDim = false) => Reduce(x, dims, keepDim, ReduceOp.Max, "max");
    public static Tensor Max(Tensor x, int dim, bool keepDim = false) => Reduce(x, new[] { dim }, keepDim, ReduceOp.Max, "max");
    public static Tensor Max(Tensor x) => Reduce(x, null, false, ReduceOp.Max, "max");
    public static Tensor Min(Tensor x, int[] dims, bool keepDim = false) => Reduce(x, dims, keepDim, ReduceOp.Min, "min");
    public static Tensor Min(Tensor x, int dim, bool keepDim = false) => Reduce(x, new[] { dim }, keepDim, ReduceOp.Min, "min");
    public static Tensor Min(Tensor x) => Reduce(x, null, false, ReduceOp.Min, "min");

    /// <summary>Variance over <paramref name="dims"/>; unbiased (divides by n − 1) by default, as PyTorch.</summary>
    public static Tensor Var(Tensor x, int[] dims, bool unbiased = true, bool keepDim = false)
    {
        var d = ReducedDims(x, dims, "var");
        int n = 1;
        for (int i = 0; i < x.Rank; i++) if (d[i]) n *= x.ShapeArray[i];
        if (unbiased && n < 2)
            throw new LucidArgumentException(nameof(dims), $"var: the unbiased variance needs at least 2 elements per reduction, got {n} (shape {Shapes.Format(x.ShapeArray)}).");
        if (n == 0) throw new LucidArgumentException(nameof(dims), $"var: cannot reduce an empty dimension of shape {Shapes.Format(x.ShapeArray)}.");
        float divisor = unbiased ? n - 1 : n;
        var centered = Tensor.Uninitialized(x.ShapeArray, "var");
        using (GradMode.NoGrad())
        using (var mean = Mean(x, dims, keepDim: true))
            BinaryForward(x, mean, centered, BinaryOp.Sub);
        var squared = Tensor.Uninitialized(x.ShapeArray, "var");
        TP.Multiply(centered.Data, centered.Data, squared.Data);
        Tensor y;
        using (GradMode.NoGrad())
        using (squared)
            y = Sum(squared, dims, keepDim);
        TP.Multiply(y.Data, 1f / divisor, y.Data);
        if (!Graph.Needs(x)) { centered.Dispose(); return y; }
        var keepShape = x.ShapeArray.Select((s, i) => d[i] ? 1 : s).ToArray();
        return Graph.Record(y, "var", new[] { x }, owned: centered, attributes: (dims, unbiased), backward: (g, grads) =>
        {
            // d var / dx_i = 2 (x_i − mean) / divisor; the mean's own dependence on x cancels (Σ (x − mean) = 0).
            var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
            using var gKeep = g.ViewAs(keepShape);
            BinaryForward(centered, gKeep, gx, BinaryOp.Mul);
            TP.Multiply(gx.Data, 2f / divisor, gx.Data);
            grads[0] = gx;
        });
    }

    public static Tensor Var(Tensor x, int dim, bool unbiased = true, bool keepDim = false) => Var(x, new[] { dim }, unbiased, keepDim);

    private static bool[] ReducedDims(Tensor x, int[]? dims, string op)
    {
        var reduced = new bool[x.Rank];
        if (dims is null) { Array.Fill(reduced, true); return reduced; }
        foreach (var dim in dims)
        {
            int d = Shapes.NormalizeDim(dim, x.Rank, op, "dims");
            if (reduced[d]) throw new LucidArgumentException("dims", $"{op}: dimension {dim} appears twice in dims.");
            reduced[d] = true;
        }
        return reduced;
    }

    private static Tensor Reduce(Tensor x, int[]? dims, bool keepDim, ReduceOp op, string name)
    {
        x.ThrowIfDisposed(name);
        var reduced = ReducedDims(x, dims, name);
        var inShape = x.ShapeArray;
        var keepShape = new int[inShape.Length];
        var outList = new List<int>();
        int groupSize = 1;
        for (int i = 0; i < inShape.Length; i++)
        {
            keepShape[i] = reduced[i] ? 1 : inShape[i];
            if (reduced[i]) groupSize *= inShape[i];
            if (!reduced[i] || keepDim) outList.Add(keepShape[i]);
        }
        if ((op == ReduceOp.Max || op == ReduceOp.Min) && groupSize == 0)
            throw new ShapeMismatchException($"{name}: cannot reduce an empty dimension of shape {Shapes.Format(inShape)}.");
        var y = Tensor.Uninitialized(outList.ToArray(), name);
        var src = x.Data; var dst = y.Data;
        int[]? arg = op is ReduceOp.Max or ReduceOp.Min ? new int[y.Count] : null;

        // Map every input element to its output slot; inner contiguous reduced runs use vectorized sums.
        var outStrides = Shapes.Strides(keepShape);
        int innerRun = 1, r = inShape.Length - 1;
        while (r >= 0 && reduced[r]) innerRun *= inShape[r--];
        if (op is ReduceOp.Sum or ReduceOp.Mean) dst.Clear();
        else dst.Fill(op == ReduceOp.Max ? float.NegativeInfinity : float.PositiveInfinity);
        if (arg is not null) Array.Fill(arg, -1);
        int rows = innerRun == 0 ? 0 : x.Count / innerRun;
        Span<int> idx = stackalloc int[Math.Max(r + 1, 1)];
        for (int row = 0; row < rows; row++)
        {
            // output offset of this row: only the non-reduced indices of dims 0..r matter
            int rem = row, o = 0;
            for (int d = r; d >= 0; d--)
            {
                int i = rem % inShape[d];
                rem /= inShape[d];
                if (!reduced[d]) o += i * outStrides[d];
            }
            var run = src.Slice(row * innerRun, innerRun);
            switch (op)
            {
                case ReduceOp.Sum:
                case ReduceOp.Mean:
                    dst[o] += innerRun == 1 ? run[0] : TP.Sum(run);
                    break;
                case ReduceOp.Max:
                    for (int i = 0; i < run.Length; i++)
                        if (run[i] > dst[o] || arg![o] < 0 || float.IsNaN(run[i]) && !float.IsNaN(dst[o])) { dst[o] = run[i]; arg![o] = row * innerRun + i; }
                    break;
                case ReduceOp.Min:
                    for (int i = 0; i < run.Length; i++)
                        if (run[i] < dst[o] || arg![o] < 0 || float.IsNaN(run[i]) && !float.IsNaN(dst[o])) { dst[o] = run[i]; arg![o] = row * innerRun + i; }
                    break;
            }
        }
        if (op == ReduceOp.Mean) TP.Multiply(dst, 1f / groupSize, dst);
        if (!Graph.Needs(x)) return y;
        return Graph.Record(y, name, new[] { x }, (g, grads) =>
        {
            var gx = Tensor.Uninitialized(inShape, "grad");
            var gd = gx.Data; var gs = g.Data;
            if (arg is not null)
            {
                gd.Clear();
                for (int o = 0; o < arg.Length; o++) if (arg[o] >= 0) gd[arg[o]] += gs[o];
            }
            else
            {
                // broadcast g back over the reduced dimensions
                using var gKeep = g.ViewAs(keepShape);
                using var zero = Tensor.Scalar(0f);
                BinaryForward(gKeep, zero, gx, BinaryOp.Add);
                if (op == ReduceOp.Mean) TP.Multiply(gd, 1f / groupSize, gd);
            }
            grads[0] = gx;
        }, dims);
    }

    // ---- softmax family --------------------------------------------------------------------------------------------

    private static (int Outer, int N, int Inner) SplitAt(Tensor x, int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= x.ShapeArray[i];
        for (int i = dim + 1; i < x.Rank; i++) inner *= x.ShapeArray[i];
        return (outer, x.ShapeArray[dim], inner);
    }

    /// <summary>Softmax along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor x, int dim = -1) => SoftmaxCore(x, dim, log: false);

    /// <summary>Log-softmax along <paramref name="dim"/> (numerically stable).</summary>
    public static Tensor LogSoftmax(Tensor x, int dim = -1) => SoftmaxCore(x, dim, log: true);

    private static Tensor SoftmaxCore(Tensor x, int dim, bool log)
    {
        string name = log ? "log_softmax" : "softmax";
        x.ThrowIfDisposed(name);
        int d = Shapes.NormalizeDim(dim, x.Rank, name);
        var (outer, n, inner) = SplitAt(x, d);
        var y = Tensor.Uninitialized(x.ShapeArray, name);
        var src = x.Data; var dst = y.Data;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int b = o * n * inner + i;
                float max = float.NegativeInfinity;
                for (int k = 0; k < n; k++) max = MathF.Max(max, src[b + k * inner]);
                double sum = 0;
                for (int k = 0; k < n; k++) sum += Math.Exp(src[b + k * inner] - max);
                float logSum = (float)Math.Log(sum);
                for (int k = 0; k < n; k++)
                {
                    float z = src[b + k * inner] - max - logSum;
                    dst[b + k * inner] = log ? z : MathF.Exp(z);
                }
            }
        if (!Graph.Needs(x)) return y;
        return Graph.Record(y, name, new[] { x }, (g, grads) =>
        {
            var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
            var gs = g.Data; var ys = y.Data; var gd = gx.Data;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int b = o * n * inner + i;
                    double dot = 0;
                    for (int k = 0; k < n; k++) dot += log ? gs[b + k * inner] : gs[b + k * inner] * ys[b + k * inner];
                    for (int k = 0; k < n; k++)
                    {
                        int j = b + k * inner;
                        gd[j] = log ? (float)(gs[j] - MathF.Exp(ys[j]) * dot) : (float)(ys[j] * (gs[j] - dot));
                    }
                }
            grads[0] = gx;
        }, d);
    }

    /// <summary>
    /// Mean cross-entropy of <paramref name="logits"/> [N, C] against class indices <paramref name="targets"/> (length N),
    /// with optional label smoothing ε (targets become (1 − ε)·onehot + ε/C, as PyTorch).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> targets, float labelSmoothing = 0f)
    {
        logits.ThrowIfDisposed("cross_entropy");
        Shapes.RequireRank(logits, 2, "cross_entropy", "logits");
        int n = logits.ShapeArray[0], c = logits.ShapeArray[1];
        if (targets.Length != n)
            throw new ShapeMismatchException($"cross_entropy: {targets.Length} targets for a batch of {n} logits (shape {Shapes.Format(logits.ShapeArray)}).");
        if (n == 0) throw new LucidArgumentException(nameof(logits), "cross_entropy: the batch is empty.");
        if (labelSmoothing < 0f || labelSmoothing >= 1f)
            throw new LucidArgumentException(nameof(labelSmoothing), $"cross_entropy: label smoothing must be in [0, 1), got {labelSmoothing}.");
        var t = targets.ToArray();
        for (int i = 0; i < n; i++)
            if ((uint)t[i] >= (uint)c)
                throw new LucidArgumentException(nameof(targets), $"cross_entropy: target {t[i]} at position {i} is not a class index in [0, {c}).");
        var logp = Tensor.Uninitialized(logits.ShapeArray, "cross_entropy");
        using (GradMode.NoGrad())
        using (var lp = LogSoftmax(logits, 1)) lp.Data.CopyTo(logp.Data);
        logp.DetachFromScope();
        var lpd = logp.Data;
        double loss = 0;
        for (int i = 0; i < n; i++)
        {
            double rowLoss = -lpd[i * c + t[i]] * (1 - labelSmoothing);
            if (labelSmoothing > 0)
            {
                double s = 0;
                for (int k = 0; k < c; k++) s += lpd[i * c + k];
                rowLoss -= labelSmoothing / c * s;
            }
            loss += rowLoss;
        }
        var y = Tensor.Scalar((float)(loss / n));
        if (!Graph.Needs(logits)) { logp.Dispose(); return y; }
        return Graph.Record(y, "cross_entropy", new[] { logits }, owned: logp, attributes: t, backward: (g, grads) =>
        {
            var gx = Tensor.Uninitialized(logits.ShapeArray, "grad");
            var gd = gx.Data; var p = logp.Data;
            float scale = g.Data[0] / n;
            for (int i = 0; i < n; i++)
                for (int k = 0; k < c; k++)
                {
                    float target = (k == t[i] ? 1f - labelSmoothing : 0f) + labelSmoothing / c;
                    gd[i * c + k] = (MathF.Exp(p[i * c + k]) - target) * scale;
                }
            grads[0] = gx;
        });
    }
}
