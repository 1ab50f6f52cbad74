using Lucid.Tensors.Autograd;
using Lucid.Tensors.Kernels;

namespace Lucid.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Matrix product with PyTorch's rules: [.., M, K] × [.., K, N] with broadcast batch dimensions; a 1-D operand is
    /// treated as a row (left) or column (right) vector and that dimension is dropped from the result.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        a.ThrowIfDisposed("matmul");
        b.ThrowIfDisposed("matmul");
        if (a.Rank == 0 || b.Rank == 0)
            throw new ShapeMismatchException($"matmul: operands must have rank at least 1, got {Shapes.Format(a.ShapeArray)} and {Shapes.Format(b.ShapeArray)}.");
        bool vecA = a.Rank == 1, vecB = b.Rank == 1;
        // 1-D operands are handled as [1, K] / [K, 1] matrices; those views are re-created in backward.
        int[] shapeA = vecA ? new[] { 1, a.ShapeArray[0] } : a.ShapeArray;
        int[] shapeB = vecB ? new[] { b.ShapeArray[0], 1 } : b.ShapeArray;
        int m = shapeA[^2], k = shapeA[^1], kb = shapeB[^2], n = shapeB[^1];
        if (k != kb)
            throw new ShapeMismatchException($"matmul: inner dimensions differ: {Shapes.Format(a.ShapeArray)} × {Shapes.Format(b.ShapeArray)} ({k} vs {kb}).");
        var batch = Shapes.Broadcast(shapeA[..^2], shapeB[..^2], "matmul");
        var outShape = new List<int>(batch);
        if (!vecA) outShape.Add(m);
        if (!vecB) outShape.Add(n);
        var y = Tensor.Uninitialized(outShape.ToArray(), "matmul");
        BatchedGemm(a.Data, shapeA, false, b.Data, shapeB, false, y.Data, batch, m, n, k);
        if (!Graph.Needs(a, b)) return y;
        return Graph.Record(y, "matmul", new[] { a, b }, (g, grads) =>
        {
            var gShape = batch.Concat(new[] { m, n }).ToArray();
            if (Graph.Wants(a))
            {
                // dA = dY · Bᵀ, summed over broadcast batch dims
                var full = Tensor.Uninitialized(batch.Concat(new[] { m, k }).ToArray(), "grad");
                BatchedGemm(g.Data, gShape, false, b.Data, shapeB, true, full.Data, batch, m, k, n);
                var reduced = SumToShape(full, shapeA, disposeInput: true);
                grads[0] = vecA ? Reshaped(reduced, a.ShapeArray) : reduced;
            }
            if (Graph.Wants(b))
            {
                var full = Tensor.Uninitialized(batch.Concat(new[] { k, n }).ToArray(), "grad");
                BatchedGemm(a.Data, shapeA, true, g.Data, gShape, false, full.Data, batch, k, n, m);
                var reduced = SumToShape(full, shapeB, disposeInput: true);
                grads[1] = vecB ? Reshaped(reduced, b.ShapeArray) : reduced;
            }
        });
    }

    private static Tensor Reshaped(Tensor t, int[] shape)
    {
        var v = t.ViewAs(shape);
        t.Dispose();
        return v;
    }

    /// <summary>C[b] = op(A[b]) · op(B[b]) over broadcast batch index b; the matrices are the last two dims of each shape.</summary>
    private static void BatchedGemm(ReadOnlySpan<float> pa, int[] shapeA, bool transA, ReadOnlySpan<float> pb, int[] shapeB, bool transB,
        Span<float> pc, int[] batch, int m, int n, int k)
    {
        int batchCount = 1;
        foreach (var d in batch) batchCount *= d;
        Span<int> sa = stackalloc int[batch.Length];
        Span<int> sb = stackalloc int[batch.Length];
        Shapes.BroadcastStrides(shapeA[..^2], batch, sa);
        Shapes.BroadcastStrides(shapeB[..^2], batch, sb);
        int aMat = shapeA[^2] * shapeA[^1], bMat = shapeB[^2] * shapeB[^1];
        int lda = shapeA[^1], ldb = shapeB[^1];
        for (int i = 0; i < batchCount; i++)
        {
            int rem = i, oa = 0, ob = 0;
            for (int d = batch.Length - 1; d >= 0; d--)
            {
                int idx = rem % batch[d];
                rem /= batch[d];
                oa += idx * sa[d];
                ob += idx * sb[d];
            }
            Gemm.Multiply(transA, transB, m, n, k, pa.Slice(oa * aMat, aMat), lda, pb.Slice(ob * bMat, bMat), ldb,
                pc.Slice(i * m * n, m * n), n, accumulate: false);
        }
    }

    /// <summary>y = x·Wᵀ + b for x [.., in], W [out, in], b [out] (PyTorch's layout).</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        x.ThrowIfDisposed("linear");
        weight.ThrowIfDisposed("linear");
        bias?.ThrowIfDisposed("linear");
        if (x.Rank < 1) throw new ShapeMismatchException($"linear: input must have rank at least 1, got {Shapes.Format(x.ShapeArray)}.");
        Shapes.RequireRank(weight, 2, "linear", "weight");
        int outF = weight.ShapeArray[0], inF = weight.ShapeArray[1];
        if (x.ShapeArray[^1] != inF)
            throw new ShapeMismatchException($"linear: input {Shapes.Format(x.ShapeArray)} has {x.ShapeArray[^1]} features, weight {Shapes.Format(weight.ShapeArray)} expects {inF}.");
        if (bias is not null && (bias.Rank != 1 || bias.ShapeArray[0] != outF))
            throw new ShapeMismatchException($"linear: bias must have shape [{outF}], got {Shapes.Format(bias.ShapeArray)}.");
        int rows = 1;
        for (int i = 0; i < x.Rank - 1; i++) rows *= x.ShapeArray[i];
        var outShape = (int[])x.ShapeArray.Clone();
        outShape[^1] = outF;
        var y = Tensor.Uninitialized(outShape, "linear");
        var yd = y.Data;
        if (bias is not null)
        {
            var bd = bias.Data;
            for (int r = 0; r < rows; r++) bd.CopyTo(yd.Slice(r * outF, outF));
        }
        Gemm.Multiply(false, true, rows, outF, inF, x.Data, inF, weight.Data, inF, yd, outF, accumulate: bias is not null);
        if (!Graph.Needs(x, weight, bias)) return y;
        var inputs = bias is null ? new[] { x, weight } : new[] { x, weight, bias };
        return Graph.Record(y, "linear", inputs, (g, grads) =>
        {
            var gd = g.Data;
            if (Graph.Wants(x))
            {
                var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
                Gemm.Multiply(false, false, rows, inF, outF, gd, outF, weight.Data, inF, gx.Data, inF, accumulate: false);
                grads[0] = gx;
            }
            if (Graph.Wants(weight))
            {
                var gw = Tensor.Uninitialized(weight.ShapeArray, "grad");
                Gemm.Multiply(true, false, outF, inF, rows, gd, outF, x.Data, inF, gw.Data, inF, accumulate: false);
                grads[1] = gw;
            }
            if (bias is not null && Graph.Wants(bias))
            {
                var gb = Tensor.Zeros(outF);
                var gbd = gb.Data;
                for (int r = 0; r < rows; r++) System.Numerics.Tensors.TensorPrimitives.Add(gbd, gd.Slice(r * outF, outF), gbd);
                grads[2] = gb;
            }
        });
    }
}
