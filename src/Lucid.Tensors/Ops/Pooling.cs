using Lucid.Tensors.Autograd;
using Lucid.Tensors.Kernels;

namespace Lucid.Tensors;

/// <summary>Hyper-parameters of a recorded pooling op (read by hooks, e.g. LRP's pooling rules).</summary>
public sealed record Pool2dAttributes(int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW,
    int DilationH, int DilationW, bool CeilMode, bool CountIncludePad);

public static partial class Ops
{
    private static int PoolOutSize(int size, int kernel, int stride, int pad, int dilation, bool ceilMode, string op)
    {
        int span = size + 2 * pad - dilation * (kernel - 1) - 1;
        if (span < 0)
            throw new ShapeMismatchException($"{op}: kernel {kernel} (dilation {dilation}) does not fit the padded input size {size + 2 * pad}.");
        int o = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
        // PyTorch/ONNX: the last window must start inside the input or the left padding.
        if (ceilMode && (o - 1) * stride >= size + pad) o--;
        return o;
    }

    private static Pool2dAttributes PoolAttributes(string op, Tensor x, (int H, int W) kernel, (int H, int W)? stride, (int H, int W) padding,
        (int H, int W) dilation, bool ceilMode, bool countIncludePad)
    {
        x.ThrowIfDisposed(op);
        Shapes.RequireRank(x, 4, op, "input");
        Shapes.RequirePositive(kernel.H, op, "kernel"); Shapes.RequirePositive(kernel.W, op, "kernel");
        var s = stride ?? kernel;
        Shapes.RequirePositive(s.H, op, "stride"); Shapes.RequirePositive(s.W, op, "stride");
        Shapes.RequirePositive(dilation.H, op, "dilation"); Shapes.RequirePositive(dilation.W, op, "dilation");
        Shapes.RequireNonNegative(padding.H, op, "padding"); Shapes.RequireNonNegative(padding.W, op, "padding");
        if (padding.H * 2 > kernel.H || padding.W * 2 > kernel.W)
            throw new LucidArgumentException("padding", $"{op}: padding ({padding.H}, {padding.W}) must be at most half the kernel ({kernel.H}, {kernel.W}).");
        return new Pool2dAttributes(kernel.H, kernel.W, s.H, s.W, padding.H, padding.W, dilation.H, dilation.W, ceilMode, countIncludePad);
    }

    /// <summary>Max pooling over 2-D windows; windows never see padding (it counts as −∞).</summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) =>
        MaxPool2dCore(x, (kernel, kernel), stride is { } s ? (s, s) : null, (padding, padding), (dilation, dilation), ceilMode, copyIndices: false, out _);

    /// <summary>Max pooling with per-axis kernel, stride, padding and dilation.</summary>
    public static Tensor MaxPool2d(Tensor x, (int H, int W) kernel, (int H, int W)? stride, (int H, int W) padding, (int H, int W)? dilation = null, bool ceilMode = false) =>
        MaxPool2dCore(x, kernel, stride, padding, dilation ?? (1, 1), ceilMode, copyIndices: false, out _);

    /// <summary>Max pooling that also returns, per output, the flat index (h·W + w) of the winner in its input plane (as PyTorch).</summary>
    public static (Tensor Output, int[] Indices) MaxPool2dWithIndices(Tensor x, (int H, int W) kernel, (int H, int W)? stride = null,
        (int H, int W) padding = default, (int H, int W)? dilation = null, bool ceilMode = false)
    {
        var y = MaxPool2dCore(x, kernel, stride, padding, dilation ?? (1, 1), ceilMode, copyIndices: true, out var winners);
        return (y, winners!);
    }

    private static Tensor MaxPool2dCore(Tensor x, (int H, int W) kernel, (int H, int W)? stride, (int H, int W) padding,
        (int H, int W) dilation, bool ceilMode, bool copyIndices, out int[]? winners)
    {
        const string op = "max_pool2d";
        var a = PoolAttributes(op, x, kernel, stride, padding, dilation, ceilMode, false);
        int n = x.ShapeArray[0], c = x.ShapeArray[1], h = x.ShapeArray[2], w = x.ShapeArray[3];
        int oh = PoolOutSize(h, a.KernelH, a.StrideH, a.PadH, a.DilationH, ceilMode, op);
        int ow = PoolOutSize(w, a.KernelW, a.StrideW, a.PadW, a.DilationW, ceilMode, op);
        var y = Tensor.Uninitialized(new[] { n, c, oh, ow }, op);
        var indices = new PooledIndices(y.Count);
        unsafe
        {
            fixed (float* px = x.Data)
            fixed (float* py = y.Data)
            fixed (int* pi = indices.Array)
            {
                // work items of whole planes, at least ~16K input elements each (small planes are many)
                int planes = n * c, per = Math.Max(1, Math.Min((16384 + h * w - 1) / (h * w), (planes + 2 * ParallelKernels.Threads - 1) / (2 * ParallelKernels.Threads)));
                var st = new MaxPoolState(px, py, pi, a, h, w, oh, ow, planes, per);
                ParallelKernels.For((planes + per - 1) / per, st, static (chunk, s) => s.Run(chunk));
            }
        }
        winners = copyIndices ? indices.Array.AsSpan(0, y.Count).ToArray() : null;
        if (!Graph.Needs(x))
        {
            indices.Dispose();
            return y;
        }
        return Graph.Record(y, op, new[] { x }, owned: indices, attributes: a, backward: (g, grads) =>
        {
            var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
            unsafe
            {
                fixed (float* pgx = gx.Data)
                fixed (float* pg = g.Data)
                fixed (int* pi = indices.Array)
                {
                    // chunks of whole planes: each work item clears and scatters into its own input planes
                    int planes = n * c, per = Math.Max(1, Math.Min((16384 + h * w - 1) / (h * w), (planes + 2 * ParallelKernels.Threads - 1) / (2 * ParallelKernels.Threads)));
                    var st = new MaxPoolBackward(pgx, pg, pi, h * w, oh * ow, planes, per);
                    ParallelKernels.For((planes + per - 1) / per, st, static (chunk, s) => s.Run(chunk));
                }
            }
            grads[0] = gx;
        });
    }

    /// <summary>An int buffer from the shared pool, returned when the owning graph node is freed.</summary>
    private sealed class PooledIndices(int length) : IDisposable
    {
        public int[] Array { get; private set; } = System.Buffers.ArrayPool<int>.Shared.Rent(Math.Max(length, 1));

        public void Dispose()
        {
            if (Array.Length == 0) return;
            System.Buffers.ArrayPool<int>.Shared.Return(Array);
            Array = System.Array.Empty<int>();
        }
    }

    private readonly unsafe struct MaxPoolBackward(float* gx, float* g, int* indices, int inPlane, int outPlane, int planes, int per)
    {
        public void Run(int chunk)
        {
            int first = chunk * per, count = Math.Min(per, planes - first);
            new Span<float>(gx + (long)first * inPlane, count * inPlane).Clear();
            for (int plane = first; plane < first + count; plane++)
            {
                float* dst = gx + (long)plane * inPlane;
                float* src = g + (long)plane * outPlane;
                int* idx = indices + (long)plane * outPlane;
                for (int o = 0; o < outPlane; o++)
                    if (idx[o] >= 0) dst[idx[o]] += src[o];
            }
        }
    }

    private readonly unsafe struct MaxPoolState(float* x, float* y, int* indices, Pool2dAttributes a, int h, int w, int oh, int ow, int planes, int per)
    {
        public void Run(int chunk)
        {
            int first = chunk * per, count = Math.Min(per, planes - first);
            // the vector kernel codes candidate columns in 16 bits
            if (a.DilationH == 1 && a.DilationW == 1 && (ow - 1) * a.StrideW + a.KernelW < 1 << 16)
            {
                MaxPoolKernel.Planes(x, y, indices, first, count, h, w, oh, ow, a.KernelH, a.KernelW, a.StrideH, a.StrideW, a.PadH, a.PadW);
                return;
            }
            for (int plane = first; plane < first + count; plane++) Scalar(plane);
        }

        private void Scalar(int plane)
        {
            float* src = x + (long)plane * h * w;
            float* dst = y + (long)plane * oh * ow;
            int* idx = indices + (long)plane * oh * ow;
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    float best = float.NegativeInfinity;
                    int bestIdx = -1;
                    for (int ki = 0; ki < a.KernelH; ki++)
                    {
                        int ih = i * a.StrideH - a.PadH + ki * a.DilationH;
                        if ((uint)ih >= (uint)h) continue;
                        for (int kj = 0; kj < a.KernelW; kj++)
                        {
                            int iw = j * a.StrideW - a.PadW + kj * a.DilationW;
                            if ((uint)iw >= (uint)w) continue;
                            float v = src[ih * w + iw];
                            if (v > best || bestIdx < 0 || float.IsNaN(v) && !float.IsNaN(best)) { best = v; bestIdx = ih * w + iw; }
                        }
                    }
                    dst[i * ow + j] = best;
                    idx[i * ow + j] = bestIdx;
                }
        }
    }

    /// <summary>
    /// Average pooling over 2-D windows (PyTorch's semantics): with <paramref name="countIncludePad"/> the divisor counts
    /// padding inside the padded input, otherwise only input elements; ceil-mode windows past the padding are clipped.
    /// </summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) =>
        AvgPool2d(x, (kernel, kernel), stride is { } s ? (s, s) : null, (padding, padding), ceilMode, countIncludePad);

    public static Tensor AvgPool2d(Tensor x, (int H, int W) kernel, (int H, int W)? stride, (int H, int W) padding, bool ceilMode = false, bool countIncludePad = true)
    {
        const string op = "avg_pool2d";
        var a = PoolAttributes(op, x, kernel, stride, padding, (1, 1), ceilMode, countIncludePad);
        int n = x.ShapeArray[0], c = x.ShapeArray[1], h = x.ShapeArray[2], w = x.ShapeArray[3];
        int oh = PoolOutSize(h, a.KernelH, a.StrideH, a.PadH, 1, ceilMode, op);
        int ow = PoolOutSize(w, a.KernelW, a.StrideW, a.PadW, 1, ceilMode, op);
        // Per output position: window bounds and divisor (identical for every plane).
        var windows = new (int H0, int H1, int W0, int W1, float Scale)[oh * ow];
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
            {
                int hs = i * a.StrideH - a.PadH, ws = j * a.StrideW - a.PadW;
                int he = Math.Min(hs + a.KernelH, h + a.PadH), we = Math.Min(ws + a.KernelW, w + a.PadW);
                int poolSize = (he - hs) * (we - ws);
                hs = Math.Max(hs, 0); ws = Math.Max(ws, 0); he = Math.Min(he, h); we = Math.Min(we, w);
                int divisor = countIncludePad ? poolSize : (he - hs) * (we - ws);
                windows[i * ow + j] = (hs, he, ws, we, divisor > 0 ? 1f / divisor : 0f);
            }
        var y = Tensor.Uninitialized(new[] { n, c, oh, ow }, op);
        var xd = x.Data; var yd = y.Data;
        for (int p = 0; p < n * c; p++)
            for (int o = 0; o < windows.Length; o++)
            {
                var win = windows[o];
                float sum = 0f;
                for (int ih = win.H0; ih < win.H1; ih++)
                    for (int iw = win.W0; iw < win.W1; iw++) sum += xd[(p * h + ih) * w + iw];
                yd[p * windows.Length + o] = sum * win.Scale;
            }
        if (!Graph.Needs(x)) return y;
        return Graph.Record(y, op, new[] { x }, (g, grads) =>
        {
            var gx = Tensor.Zeros(x.ShapeArray);
            var gxd = gx.Data; var gd = g.Data;
            for (int p = 0; p < n * c; p++)
                for (int o = 0; o < windows.Length; o++)
                {
                    var win = windows[o];
                    float v = gd[p * windows.Length + o] * win.Scale;
                    for (int ih = win.H0; ih < win.H1; ih++)
                        for (int iw = win.W0; iw < win.W1; iw++) gxd[(p * h + ih) * w + iw] += v;
                }
            grads[0] = gx;
        }, a);
    }

    private static (int Start, int End) AdaptiveRange(int i, int input, int output) =>
        ((int)Math.Floor((double)i * input / output), (int)Math.Ceiling((double)(i + 1) * input / output));

    /// <summary>Adaptive average pooling to [outH, outW] (window i spans floor(i·H/out) .. ceil((i+1)·H/out)).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, int outH, int outW) => AdaptivePool(x, outH, outW, max: false);

    /// <summary>Adaptive max pooling to [outH, outW].</summary>
    public static Tensor AdaptiveMaxPool2d(Tensor x, int outH, int outW) => AdaptivePool(x, outH, outW, max: true);

    /// <summary>Mean over each channel's plane: [N, C, H, W] → [N, C, 1, 1].</summary>
    public static Tensor GlobalAvgPool2d(Tensor x) => AdaptivePool(x, 1, 1, max: false);

    /// <summary>Max over each channel's plane: [N, C, H, W] → [N, C, 1, 1].</summary>
    public static Tensor GlobalMaxPool2d(Tensor x) => AdaptivePool(x, 1, 1, max: true);

    private static Tensor AdaptivePool(Tensor x, int outH, int outW, bool max)
    {
        string op = max ? "adaptive_max_pool2d" : "adaptive_avg_pool2d";
        var (n, c, h, w) = Shapes.RequireResizable(x, outH, outW, op);
        var y = Tensor.Uninitialized(new[] { n, c, outH, outW }, op);
        var arg = max ? new int[y.Count] : null;
        var xd = x.Data; var yd = y.Data;
        for (int p = 0; p < n * c; p++)
            for (int i = 0; i < outH; i++)
            {
                var (h0, h1) = AdaptiveRange(i, h, outH);
                for (int j = 0; j < outW; j++)
                {
                    var (w0, w1) = AdaptiveRange(j, w, outW);
                    int o = (p * outH + i) * outW + j;
                    if (max)
                    {
                        float best = float.NegativeInfinity; int bi = -1;
                        for (int ih = h0; ih < h1; ih++)
                            for (int iw = w0; iw < w1; iw++)
                            {
                                float v = xd[(p * h + ih) * w + iw];
                                if (v > best || bi < 0 || float.IsNaN(v) && !float.IsNaN(best)) { best = v; bi = (p * h + ih) * w + iw; }
                            }
                        yd[o] = best; arg![o] = bi;
                    }
                    else
                    {
                        float sum = 0f;
                        for (int ih = h0; ih < h1; ih++)
                            for (int iw = w0; iw < w1; iw++) sum += xd[(p * h + ih) * w + iw];
                        yd[o] = sum / ((h1 - h0) * (w1 - w0));
                    }
                }
            }
        if (!Graph.Needs(x)) return y;
        return Graph.Record(y, op, new[] { x }, (g, grads) =>
        {
            var gx = Tensor.Zeros(x.ShapeArray);
            var gxd = gx.Data; var gd = g.Data;
            if (arg is not null)
            {
                for (int o = 0; o < arg.Length; o++) gxd[arg[o]] += gd[o];
            }
            else
            {
                for (int p = 0; p < n * c; p++)
                    for (int i = 0; i < outH; i++)
                    {
                        var (h0, h1) = AdaptiveRange(i, h, outH);
                        for (int j = 0; j < outW; j++)
                        {
                            var (w0, w1) = AdaptiveRange(j, w, outW);
                            float v = gd[(p * outH + i) * outW + j] / ((h1 - h0) * (w1 - w0));
                            for (int ih = h0; ih < h1; ih++)
                                for (int iw = w0; iw < w1; iw++) gxd[(p * h + ih) * w + iw] += v;
                        }
                    }
            }
            grads[0] = gx;
        }, (outH, outW));
    }
}
