using System.Numerics.Tensors;
using Lucid.Tensors.Autograd;
using Lucid.Tensors.Kernels;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Lucid.Tensors;

/// <summary>Binary element-wise operations with NumPy/PyTorch broadcasting.</summary>
internal enum BinaryOp { Add, Sub, Mul, Div, Maximum, Minimum, Pow }

/// <summary>Differentiable tensor operations. Every op validates its arguments and names them in errors.</summary>
public static partial class Ops
{
    // ---- binary ------------------------------------------------------------------------------------------------

    public static Tensor Add(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Add, "add");
    public static Tensor Sub(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Sub, "sub");
    public static Tensor Mul(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Mul, "mul");
    public static Tensor Div(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Div, "div");
    /// <summary>Element-wise maximum; at ties the gradient is split equally (as PyTorch).</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Maximum, "maximum");
    /// <summary>Element-wise minimum; at ties the gradient is split equally (as PyTorch).</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Minimum, "minimum");
    /// <summary>a raised to the element-wise power b (broadcasting); the exponent's gradient is a^b·ln a (defined for a &gt; 0).</summary>
    public static Tensor Pow(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Pow, "pow");

    private static Tensor Binary(Tensor a, Tensor b, BinaryOp op, string name)
    {
        a.ThrowIfDisposed(name);
        b.ThrowIfDisposed(name);
        var shape = Shapes.SameShape(a.Shape, b.Shape) ? a.ShapeArray : Shapes.Broadcast(a.Shape, b.Shape, name);
        var y = Tensor.Uninitialized(shape, name);
        BinaryForward(a, b, y, op);
        if (!Graph.Needs(a, b)) return y;
        return Graph.Record(y, name, new[] { a, b }, (g, grads) =>
        {
            if (Graph.Wants(a)) grads[0] = SumToShape(BinaryGradA(a, b, y, g, op), a.ShapeArray, disposeInput: true);
            if (Graph.Wants(b)) grads[1] = SumToShape(BinaryGradB(a, b, y, g, op), b.ShapeArray, disposeInput: true);
        });
    }

    private static void BinaryForward(Tensor a, Tensor b, Tensor y, BinaryOp op)
    {
        var pa = a.Data; var pb = b.Data; var py = y.Data;
        if (a.Count == y.Count && b.Count == y.Count && Shapes.SameShape(a.Shape, b.Shape))
        {
            int count = y.Count;
            if (count < ParallelChunk * 2) Apply(op, pa, pb, py);
            else Kernels.ParallelKernels.For((count + ParallelChunk - 1) / ParallelChunk, (op, a.Buffer, b.Buffer, y.Buffer, count), static (i, s) =>
            {
                int start = i * ParallelChunk, length = Math.Min(ParallelChunk, s.count - start);
                Apply(s.op, s.Item2.AsSpan(start, length), s.Item3.AsSpan(start, length), s.Item4.AsSpan(start, length));
            });
            return;
        }
        var plan = new BroadcastPlan(a.Shape, b.Shape, y.Shape);
        // rows of the broadcast are independent: large ones (a bias or a per-channel scale over a 224² batch, LRP's
        // per-channel products) run in blocks of about ParallelChunk outputs on both cores
        int rowsPerItem = y.Count < ParallelChunk * 2 ? 0 : Math.Max(1, ParallelChunk / plan.Inner);
        if (rowsPerItem == 0 || plan.Outer < 2 * rowsPerItem)
        {
            BroadcastRows(op, plan, pa, pb, py, 0, plan.Outer);
            return;
        }
        Kernels.ParallelKernels.For((plan.Outer + rowsPerItem - 1) / rowsPerItem, (op, plan, a.Buffer, b.Buffer, y.Buffer, a.Count, b.Count, y.Count, rowsPerItem),
            static (i, s) => BroadcastRows(s.op, s.plan, s.Item3.AsSpan(0, s.Item6), s.Item4.AsSpan(0, s.Item7), s.Item5.AsSpan(0, s.Item8),
                i * s.rowsPerItem, Math.Min(s.plan.Outer, (i + 1) * s.rowsPerItem)));
    }

    private static void BroadcastRows(BinaryOp op, in BroadcastPlan plan, ReadOnlySpan<float> pa, ReadOnlySpan<float> pb, Span<float> py, int rowStart, int rowEnd)
    {
        int inner = plan.Inner;
        int ia = plan.StrideA[^1], ib = plan.StrideB[^1];
        for (int row = rowStart; row < rowEnd; row++)
        {
            plan.Offsets(row, out int oa, out int ob);
            var dst = py.Slice(row * inner, inner);
            if (ia == 1 && ib == 1) Apply(op, pa.Slice(oa, inner), pb.Slice(ob, inner), dst);
            else if (ia == 1) ApplyScalarRight(op, pa.Slice(oa, inner), pb[ob], dst);
            else if (ib == 1) ApplyScalarLeft(op, pa[oa], pb.Slice(ob, inner), dst);
            else dst.Fill(ApplyScalar(op, pa[oa], pb[ob]));
        }
    }

    private static void Apply(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        switch (op)
        {
            case BinaryOp.Add: TP.Add(a, b, y); break;
            case BinaryOp.Sub: TP.Subtract(a, b, y); break;
            case BinaryOp.Mul: TP.Multiply(a, b, y); break;
            case BinaryOp.Div: TP.Divide(a, b, y); break;
            case BinaryOp.Maximum: TP.Max(a, b, y); break;
            case BinaryOp.Minimum: TP.Min(a, b, y); break;
            case BinaryOp.Pow: TP.Pow(a, b, y); break;
        }
    }

    private static void ApplyScalarRight(BinaryOp op, ReadOnlySpan<float> a, float b, Span<float> y)
    {
        switch (op)
        {
            case BinaryOp.Add: TP.Add(a, b, y); break;
            case BinaryOp.Sub: TP.Subtract(a, b, y); break;
            case BinaryOp.Mul: TP.Multiply(a, b, y); break;
            case BinaryOp.Div: TP.Divide(a, b, y); break;
            case BinaryOp.Maximum: TP.Max(a, b, y); break;
            case BinaryOp.Minimum: TP.Min(a, b, y); break;
            case BinaryOp.Pow: TP.Pow(a, b, y); break;
        }
    }

    private static void ApplyScalarLeft(BinaryOp op, float a, ReadOnlySpan<float> b, Span<float> y)
    {
        switch (op)
        {
            case BinaryOp.Add: TP.Add(b, a, y); break;
            case BinaryOp.Sub: TP.Subtract(a, b, y); break;
            case BinaryOp.Mul: TP.Multiply(b, a, y); break;
            case BinaryOp.Div: TP.Divide(a, b, y); break;
            case BinaryOp.Maximum: TP.Max(b, a, y); break;
            case BinaryOp.Minimum: TP.Min(b, a, y); break;
            case BinaryOp.Pow: TP.Pow(a, b, y); break;
        }
    }

    private static float ApplyScalar(BinaryOp op, float a, float b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        BinaryOp.Maximum => MathF.Max(a, b),
        BinaryOp.Minimum => MathF.Min(a, b),
        _ => MathF.Pow(a, b),
    };

    /// <summary>Gradient w.r.t. a, in the broadcast output shape (summed to a's shape by the caller).</summary>
    private static Tensor BinaryGradA(Tensor a, Tensor b, Tensor y, Tensor g, BinaryOp op)
    {
        var r = Tensor.Uninitialized(y.ShapeArray, "grad");
        var gr = r.Data; var gg = g.Data;
        switch (op)
        {
            case BinaryOp.Add: gg.CopyTo(gr); break;
            case BinaryOp.Sub: gg.CopyTo(gr); break;
            case BinaryOp.Mul: BinaryForward(g, b, r, BinaryOp.Mul); break;
            case BinaryOp.Div: BinaryForward(g, b, r, BinaryOp.Div); break;
            case BinaryOp.Maximum:
            case BinaryOp.Minimum:
            case BinaryOp.Pow:
                using (var av = Expand(a, y.ShapeArray))
                using (var bv = Expand(b, y.ShapeArray))
                {
                    var pa = av.Data; var pb = bv.Data; var py = y.Data;
                    for (int i = 0; i < gr.Length; i++)
                    {
                        gr[i] = op switch
                        {
                            BinaryOp.Pow => pb[i] == 0f ? 0f : gg[i] * pb[i] * MathF.Pow(pa[i], pb[i] - 1f),
                            _ => pa[i] == pb[i] ? 0.5f * gg[i] : pa[i] == py[i] ? gg[i] : 0f,
                        };
                    }
                }
                break;
        }
        return r;
    }

    private static Tensor BinaryGradB(Tensor a, Tensor b, Tensor y, Tensor g, BinaryOp op)
    {
        var r = Tensor.Uninitialized(y.ShapeArray, "grad");
        var gr = r.Data; var gg = g.Data;
        switch (op)
        {
            case BinaryOp.Add: gg.CopyTo(gr); break;
            case BinaryOp.Sub: TP.Negate(gg, gr); break;
            case BinaryOp.Mul: BinaryForward(g, a, r, BinaryOp.Mul); break;
            default:
                using (var av = Expand(a, y.ShapeArray))
                using (var bv = Expand(b, y.ShapeArray))
                {
                    var pa = av.Data; var pb = bv.Data; var py = y.Data;
                    for (int i = 0; i < gr.Length; i++)
                    {
                        gr[i] = op switch
                        {
                            BinaryOp.Div => -gg[i] * py[i] / pb[i],
                            BinaryOp.Pow => pa[i] > 0f ? gg[i] * py[i] * MathF.Log(pa[i]) : 0f,
                            _ => pa[i] == pb[i] ? 0.5f * gg[i] : pb[i] == py[i] ? gg[i] : 0f,
                        };
                    }
                }
                break;
        }
        return r;
    }

    /// <summary>Materializes <paramref name="x"/> broadcast to <paramref name="shape"/> (not recorded).</summary>
    internal static Tensor Expand(Tensor x, int[] shape)
    {
        var y = Tensor.Uninitialized(shape, "expand");
        if (Shapes.SameShape(x.Shape, shape)) { x.Data.CopyTo(y.Data); return y; }
        using var zero = Tensor.Scalar(0f);
        BinaryForward(x, zero, y, BinaryOp.Add);
        return y;
    }

    /// <summary>Sums <paramref name="g"/> over the dimensions that were broadcast to reach its shape from <paramref name="shape"/>.</summary>
    internal static Tensor SumToShape(Tensor g, int[] shape, bool disposeInput)
    {
        if (Shapes.SameShape(g.Shape, shape)) return g;
        var r = Tensor.Zeros(shape);
        var plan = new BroadcastPlan(shape, shape, g.Shape); // StrideA = target strides with zeros on broadcast dims
        var src = g.Data; var dst = r.Data;
        int inner = plan.Inner, stride = plan.StrideA[^1];
        for (int row = 0; row < plan.Outer; row++)
        {
            plan.Offsets(row, out int o, out _);
            var s = src.Slice(row * inner, inner);
            if (stride == 1) TP.Add(dst.Slice(o, inner), s, dst.Slice(o, inner));
            else dst[o] += TP.Sum(s);
        }
        if (disposeInput) g.Dispose();
        return r;
    }

    // ---- scalar variants -----------------------------------------------------------------------------------------

    public static Tensor Add(Tensor a, float b) => Affine(a, 1f, b, "add");
    public static Tensor Mul(Tensor a, float b) => Affine(a, b, 0f, "mul");

    /// <summary>scale·x + shift, recorded as one node.</summary>
    public static Tensor Affine(Tensor x, float scale, float shift, string name = "affine")
    {
        x.ThrowIfDisposed(name);
        var y = Tensor.Uninitialized(x.ShapeArray, name);
        TP.Multiply(x.Data, scale, y.Data);
        if (shift != 0f) TP.Add(y.Data, shift, y.Data);
        if (!Graph.Needs(x)) return y;
        return Graph.Record(y, name, new[] { x }, (g, grads) =>
        {
            var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
            TP.Multiply(g.Data, scale, gx.Data);
            grads[0] = gx;
        });
    }

    /// <summary>x raised to a constant power.</summary>
    public static Tensor Pow(Tensor x, float exponent)
    {
        x.ThrowIfDisposed("pow");
        var y = Tensor.Uninitialized(x.ShapeArray, "pow");
        TP.Pow(x.Data, exponent, y.Data);
        if (!Graph.Needs(x)) return y;
        return Graph.Record(y, "pow", new[] { x }, (g, grads) =>
        {
            var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
            var px = x.Data; var gg = g.Data; var r = gx.Data;
            for (int i = 0; i < r.Length; i++) r[i] = exponent == 0f ? 0f : gg[i] * exponent * MathF.Pow(px[i], exponent - 1f);
            grads[0] = gx;
        }, exponent);
    }

    // ---- unary -----------------------------------------------------------------------------------------------------

    private delegate void UnaryForward(ReadOnlySpan<float> x, Span<float> y);
    /// <summary>Writes dL/dx from g, x and y.</summary>
    private delegate void UnaryBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> gx);

    private static Tensor Unary(Tensor x, string name, UnaryForward forward, UnaryBackward backward, object? attributes = null)
    {
        x.ThrowIfDisposed(name);
        var y = Tensor.Uninitialized(x.ShapeArray, name);
        int count = x.Count;
        if (count < ParallelChunk * 2) forward(x.Data, y.Data);
        else Kernels.ParallelKernels.For((count + ParallelChunk - 1) / ParallelChunk, (forward, x.Buffer, y.Buffer, count),
            static (i, s) =>
            {
                int start = i * ParallelChunk, length = Math.Min(ParallelChunk, s.count - start);
                s.forward(s.Item2.AsSpan(start, length), s.Item3.AsSpan(start, length));
            });
        if (!Graph.Needs(x)) return y;
        return Graph.Record(y, name, new[] { x }, (g, grads) =>
        {
            var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
            if (count < ParallelChunk * 2) backward(g.Data, x.Data, y.Data, gx.Data);
            else Kernels.ParallelKernels.For((count + ParallelChunk - 1) / ParallelChunk, (backward, g.Buffer, x.Buffer, y.Buffer, gx.Buffer, count),
                static (i, s) =>
                {
                    int start = i * ParallelChunk, length = Math.Min(ParallelChunk, s.count - start);
                    s.backward(s.Item2.AsSpan(start, length), s.Item3.AsSpan(start, length), s.Item4.AsSpan(start, length), s.Item5.AsSpan(start, length));
                });
            grads[0] = gx;
        }, attributes);
    }

    /// <summary>
    /// Element-wise ops on tensors of at least two chunks run chunk by chunk on both cores; the chunks are fixed (not
    /// per thread), so results do not depend on the thread count.
    /// </summary>
    private const int ParallelChunk = 1 << 15;

    public static Tensor Neg(Tensor x) => Unary(x, "neg", static (x, y) => TP.Negate(x, y), static (g, x, y, gx) => TP.Negate(g, gx));

    public static Tensor Exp(Tensor x) => Unary(x, "exp", static (x, y) => TP.Exp(x, y), static (g, x, y, gx) => TP.Multiply(g, y, gx));

    public static Tensor Log(Tensor x) => Unary(x, "log", static (x, y) => TP.Log(x, y), static (g, x, y, gx) => TP.Divide(g, x, gx));

    public static Tensor Sqrt(Tensor x) => Unary(x, "sqrt", static (x, y) => TP.Sqrt(x, y), static (g, x, y, gx) =>
    {
        for (int i = 0; i < gx.Length; i++) gx[i] = 0.5f * g[i] / y[i];
    });

    /// <summary>|x|; the gradient at 0 is 0 (as PyTorch).</summary>
    public static Tensor Abs(Tensor x) => Unary(x, "abs", static (x, y) => TP.Abs(x, y), static (g, x, y, gx) =>
    {
        for (int i = 0; i < gx.Length; i++) gx[i] = x[i] > 0f ? g[i] : x[i] < 0f ? -g[i] : 0f;
    });

    /// <summary>-1, 0 or 1; its gradient is zero everywhere.</summary>
    public static Tensor Sign(Tensor x) => Unary(x, "sign", static (x, y) =>
    {
        for (int i = 0; i < y.Length; i++) y[i] = x[i] > 0f ? 1f : x[i] < 0f ? -1f : 0f;
    }, static (g, x, y, gx) => gx.Clear());

    /// <summary>Clamps to [min, max]; the gradient passes where min ≤ x ≤ max (as PyTorch).</summary>
    public static Tensor Clamp(Tensor x, float min = float.NegativeInfinity, float max = float.PositiveInfinity)
    {
        if (min > max) throw new LucidArgumentException(nameof(min), $"clamp: min ({min}) must not exceed max ({max}).");
        return Unary(x, "clamp", (x, y) =>
        {
            TP.Max(x, min, y);
            TP.Min(y, max, y);
        }, (g, x, y, gx) =>
        {
            for (int i = 0; i < gx.Length; i++) gx[i] = x[i] >= min && x[i] <= max ? g[i] : 0f;
        }, (min, max));
    }

    public static Tensor Relu(Tensor x) => Unary(x, "relu", static (x, y) => TP.Max(x, 0f, y), static (g, x, y, gx) => PassWherePositive(g, y, gx));

    /// <summary>gx = g where y &gt; 0, else 0 (branch-free: ReLU masks are data-dependent and unpredictable).</summary>
    private static void PassWherePositive(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> gx)
    {
        int i = 0;
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
            for (; i + 8 <= gx.Length; i += 8)
            {
                var mask = System.Runtime.Intrinsics.Vector256.GreaterThan(System.Runtime.Intrinsics.Vector256.Create(y.Slice(i, 8)), System.Runtime.Intrinsics.Vector256<float>.Zero);
                System.Runtime.Intrinsics.Vector256.CopyTo(mask & System.Runtime.Intrinsics.Vector256.Create(g.Slice(i, 8)), gx.Slice(i, 8));
            }
        for (; i < gx.Length; i++) gx[i] = y[i] > 0f ? g[i] : 0f;
    }

    public static Tensor LeakyRelu(Tensor x, float negativeSlope = 0.01f) => Unary(x, "leaky_relu", (x, y) =>
    {
        for (int i = 0; i < y.Length; i++) y[i] = x[i] > 0f ? x[i] : negativeSlope * x[i];
    }, (g, x, y, gx) =>
    {
        for (int i = 0; i < gx.Length; i++) gx[i] = x[i] > 0f ? g[i] : negativeSlope * g[i];
    }, negativeSlope);

    public static Tensor Elu(Tensor x, float alpha = 1f) => Unary(x, "elu", (x, y) =>
    {
        for (int i = 0; i < y.Length; i++) y[i] = x[i] > 0f ? x[i] : alpha * (MathF.Exp(x[i]) - 1f);
    }, (g, x, y, gx) =>
    {
        for (int i = 0; i < gx.Length; i++) gx[i] = x[i] > 0f ? g[i] : g[i] * (y[i] + alpha);
    }, alpha);

    /// <summary>GELU with the exact erf form, x·Φ(x) (PyTorch's default).</summary>
    public static Tensor Gelu(Tensor x) => Unary(x, "gelu", static (x, y) =>
    {
        for (int i = 0; i < y.Length; i++) y[i] = (float)(x[i] * NormalCdf(x[i]));
    }, static (g, x, y, gx) =>
    {
        for (int i = 0; i < gx.Length; i++)
        {
            double v = x[i];
            gx[i] = (float)(g[i] * (NormalCdf(v) + v * Math.Exp(-0.5 * v * v) / Math.Sqrt(2 * Math.PI)));
        }
    });

    public static Tensor Sigmoid(Tensor x) => Unary(x, "sigmoid", static (x, y) => TP.Sigmoid(x, y), static (g, x, y, gx) =>
    {
        for (int i = 0; i < gx.Length; i++) gx[i] = g[i] * y[i] * (1f - y[i]);
    });

    /// <summary>cos(x); d/dx = −sin(x) (phase parameterizations).</summary>
    public static Tensor Cos(Tensor x) => Unary(x, "cos", static (x, y) => TP.Cos(x, y), static (g, x, y, gx) =>
    {
        for (int i = 0; i < gx.Length; i++) gx[i] = -g[i] * MathF.Sin(x[i]);
    });

    /// <summary>sin(x); d/dx = cos(x).</summary>
    public static Tensor Sin(Tensor x) => Unary(x, "sin", static (x, y) => TP.Sin(x, y), static (g, x, y, gx) =>
    {
        for (int i = 0; i < gx.Length; i++) gx[i] = g[i] * MathF.Cos(x[i]);
    });

    /// <summary>atan(x); d/dx = 1/(1 + x²) (the CPPN's activation).</summary>
    public static Tensor Atan(Tensor x) => Unary(x, "atan", static (x, y) => TP.Atan(x, y), static (g, x, y, gx) =>
    {
        for (int i = 0; i < gx.Length; i++) gx[i] = g[i] / (1f + x[i] * x[i]);
    });

    public static Tensor Tanh(Tensor x) => Unary(x, "tanh", static (x, y) => TP.Tanh(x, y), static (g, x, y, gx) =>
    {
        for (int i = 0; i < gx.Length; i++) gx[i] = g[i] * (1f - y[i] * y[i]);
    });

    /// <summary>log(1 + e^(βx))/β, linear above <paramref name="threshold"/> (PyTorch's defaults β = 1, threshold = 20).</summary>
    public static Tensor Softplus(Tensor x, float beta = 1f, float threshold = 20f)
    {
        if (!(beta > 0f)) throw new LucidArgumentException(nameof(beta), $"softplus: beta must be positive, got {beta}.");
        return Unary(x, "softplus", (x, y) =>
        {
            for (int i = 0; i < y.Length; i++)
            {
                float bx = beta * x[i];
                y[i] = bx > threshold ? x[i] : (float)(Math.Log(1 + Math.Exp(bx)) / beta);
            }
        }, (g, x, y, gx) =>
        {
            for (int i = 0; i < gx.Length; i++)
            {
                float bx = beta * x[i];
                gx[i] = bx > threshold ? g[i] : g[i] / (1f + MathF.Exp(-bx));
            }
        }, (beta, threshold));
    }

    /// <summary>Standard normal CDF Φ(x) via erf (Abramowitz–Stegun 7.1.26 refined; |error| &lt; 1.5e-7).</summary>
    internal static double NormalCdf(double x) => 0.5 * (1.0 + Erf(x / Math.Sqrt(2.0)));

    internal static double Erf(double x)
    {
        // W. J. Cody's rational approximations would be overkill for float32 outputs; this series/continued-fraction
        // split keeps the error below 1e-9 over the whole line.
        double ax = Math.Abs(x);
        double r;
        if (ax < 2.0)
        {
            // Maclaurin series: erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 60; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            r = 2.0 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // Continued fraction for erfc, evaluated bottom-up (Lentz not needed at this range).
            double f = 0.0;
            for (int n = 60; n >= 1; n--) f = n / 2.0 / (ax + f);
            r = 1.0 - Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / (ax + f);
        }
        return x < 0 ? -r : r;
    }
}
