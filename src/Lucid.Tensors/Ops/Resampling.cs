using Lucid.Tensors.Autograd;

namespace Lucid.Tensors;

/// <summary>Per output index along one axis: two source indices and their weights (see <see cref="Ops.Resample2d"/>).</summary>
public sealed record ResampleTaps(int[] I0, int[] I1, float[] W0, float[] W1)
{
    public int Length => I0.Length;

    internal void Validate(int inputSize, string op, string arg)
    {
        if (I1.Length != I0.Length || W0.Length != I0.Length || W1.Length != I0.Length)
            throw new ShapeMismatchException($"{op}: '{arg}' taps have different lengths ({I0.Length}, {I1.Length}, {W0.Length}, {W1.Length}).");
        if (I0.Length == 0) throw new LucidArgumentException(arg, $"{op}: '{arg}' has no output positions.");
        for (int i = 0; i < I0.Length; i++)
            if ((uint)I0[i] >= (uint)inputSize || (uint)I1[i] >= (uint)inputSize)
                throw new LucidArgumentException(arg, $"{op}: '{arg}' tap {i} reads index {Math.Max(I0[i], I1[i])} of an axis of size {inputSize}.");
    }
}

/// <summary>Interpolation modes of <see cref="Ops.Interpolate"/>.</summary>
public enum InterpolationMode { Bilinear, Nearest }

public static partial class Ops
{

    /// <summary>Blocks of output rows per plane for the gather-form forward passes: enough work items for both cores even for three planes.</summary>
    private static int RowBlocks(int rows) => Math.Clamp(rows / 16, 1, 4);

    /// <summary>Blocks of output rows per plane for the scatter-form backward passes (each block has its own partial gradient).</summary>
    private const int ScatterBlocks = 2;

    /// <summary>
    /// A scatter-form input gradient computed in <see cref="ScatterBlocks"/> blocks of output rows: the blocks' taps
    /// overlap in the input, so <paramref name="scatter"/> writes block b into copy b of a stacked [blocks, …] buffer,
    /// and the copies are summed in block order — deterministic, whatever the number of threads.
    /// </summary>
    private static Tensor ScatterInBlocks(int[] shape, Action<Tensor> scatter)
    {
        int count = 1;
        foreach (var d in shape) count *= d;
        using var partials = Tensor.Zeros(new[] { ScatterBlocks * count });
        scatter(partials);
        var gx = Tensor.Uninitialized(shape, "scatter");
        var all = partials.Data;
        System.Numerics.Tensors.TensorPrimitives.Add(all[..count], all.Slice(count, count), gx.Data);
        for (int b = 2; b < ScatterBlocks; b++) System.Numerics.Tensors.TensorPrimitives.Add(gx.Data, all.Slice(b * count, count), gx.Data);
        return gx;
    }

    /// <summary>
    /// Bilinear taps for one axis, shared between calls (they depend on the three arguments alone and are only read): a
    /// render step resizes at a few sizes drawn from a small set. Up to <see cref="SharedTapsLimit"/> are kept.
    /// </summary>
    internal static ResampleTaps BilinearTaps(int input, int output, bool alignCorners)
    {
        if (SharedTaps.TryGetValue((input, output, alignCorners), out var shared)) return shared;
        var taps = ComputeBilinearTaps(input, output, alignCorners);
        if (SharedTaps.Count < SharedTapsLimit) SharedTaps.TryAdd((input, output, alignCorners), taps);
        return taps;
    }

    private const int SharedTapsLimit = 1024;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int, int, bool), ResampleTaps> SharedTaps = new();

    private static ResampleTaps ComputeBilinearTaps(int input, int output, bool alignCorners)
    {
        var i0 = new int[output]; var i1 = new int[output]; var w0 = new float[output]; var w1 = new float[output];
        for (int o = 0; o < output; o++)
        {
            double src = alignCorners
                ? (output > 1 ? o * (double)(input - 1) / (output - 1) : 0.0)
                : Math.Max((o + 0.5) * input / output - 0.5, 0.0); // PyTorch's half-pixel rule, clamped at 0
            int lo = Math.Min((int)Math.Floor(src), input - 1);
            int hi = Math.Min(lo + 1, input - 1);
            float t = (float)(src - lo);
            i0[o] = lo; i1[o] = hi; w0[o] = 1f - t; w1[o] = t;
        }
        return new ResampleTaps(i0, i1, w0, w1);
    }

    private static ResampleTaps NearestTaps(int input, int output)
    {
        var i0 = new int[output]; var w0 = new float[output];
        for (int o = 0; o < output; o++)
        {
            i0[o] = Math.Min((int)Math.Floor(o * (double)input / output), input - 1);
            w0[o] = 1f;
        }
        return new ResampleTaps(i0, i0, w0, new float[output]);
    }

    /// <summary>
    /// Resizes the spatial dims of [N, C, H, W] to [outH, outW]. Bilinear follows PyTorch for both conventions:
    /// align_corners = true maps corner pixel centers onto each other; false uses half-pixel centers. Nearest picks floor(o·in/out).
    /// </summary>
    public static Tensor Interpolate(Tensor x, int outH, int outW, InterpolationMode mode = InterpolationMode.Bilinear, bool alignCorners = false)
    {
        const string op = "interpolate";
        var (_, _, h, w) = Shapes.RequireResizable(x, outH, outW, op);
        var ty = mode == InterpolationMode.Bilinear ? BilinearTaps(h, outH, alignCorners) : NearestTaps(h, outH);
        var tx = mode == InterpolationMode.Bilinear ? BilinearTaps(w, outW, alignCorners) : NearestTaps(w, outW);
        return Resample2d(x, ty, tx, op, (mode, alignCorners));
    }

    /// <summary>
    /// Separable two-tap resampling of the spatial dims of [N, C, H, W]: output (i, j) =
    /// Σ rows.W{0,1}[i]·cols.W{0,1}[j]·x[rows.I{0,1}[i], cols.I{0,1}[j]]. Bilinear and nearest interpolation under any
    /// coordinate convention (PyTorch's, ONNX Resize's) are instances; the backward scatters with the same taps.
    /// </summary>
    public static Tensor Resample2d(Tensor x, ResampleTaps rows, ResampleTaps cols, string name = "resample2d", object? attributes = null)
    {
        x.ThrowIfDisposed(name);
        Shapes.RequireRank(x, 4, name, "input");
        int n = x.ShapeArray[0], c = x.ShapeArray[1], h = x.ShapeArray[2], w = x.ShapeArray[3];
        rows.Validate(h, name, nameof(rows));
        cols.Validate(w, name, nameof(cols));
        var ty = rows; var tx = cols;
        int outH = rows.Length, outW = cols.Length;
        var y = Tensor.Uninitialized(new[] { n, c, outH, outW }, name);
        unsafe
        {
            fixed (float* px = x.Data)
            fixed (float* py = y.Data)
            {
                // every output keeps its own summation order; work items are (plane, block of output rows), a partition
                // fixed by the sizes alone, so a few planes (an RGB image) still keep both cores busy
                var state = new ResampleState(px, py, ty, tx, h, w, outH, outW, RowBlocks(outH), n * c);
                Kernels.ParallelKernels.For(n * c * state.Blocks, state, static (item, st) => st.Forward(item));
            }
        }
        if (!Graph.Needs(x)) return y;
        return Graph.Record(y, name, new[] { x }, (g, grads) =>
        {
            grads[0] = ScatterInBlocks(x.ShapeArray, partials =>
            {
                unsafe
                {
                    fixed (float* pgx = partials.Data)
                    fixed (float* pg = g.Data)
                    {
                        var state = new ResampleState(pgx, pg, ty, tx, h, w, outH, outW, ScatterBlocks, n * c);
                        Kernels.ParallelKernels.For(n * c * ScatterBlocks, state, static (item, st) => st.Backward(item));
                    }
                }
            });
        }, attributes);
    }

    /// <summary>One plane of <see cref="Resample2d"/>: forward reads <c>input</c> and writes <c>output</c>; backward
    /// scatters <c>output</c> (the gradient) into <c>input</c> (the input gradient).</summary>
    private readonly unsafe struct ResampleState(float* input, float* output, ResampleTaps ty, ResampleTaps tx, int h, int w, int outH, int outW, int blocks, int totalPlanes)
    {
        public int Blocks => blocks;

        public void Forward(int item)
        {
            int p = item / blocks, block = item % blocks;
            float* xd = input + (long)p * h * w;
            float* yd = output + (long)p * outH * outW;
            for (int i = block * outH / blocks, end = (block + 1) * outH / blocks; i < end; i++)
            {
                float* r0 = xd + ty.I0[i] * w, r1 = xd + ty.I1[i] * w;
                float a0 = ty.W0[i], a1 = ty.W1[i];
                for (int j = 0; j < outW; j++)
                {
                    int c0 = tx.I0[j], c1 = tx.I1[j];
                    float b0 = tx.W0[j], b1 = tx.W1[j];
                    yd[i * outW + j] = a0 * (b0 * r0[c0] + b1 * r0[c1]) + a1 * (b0 * r1[c0] + b1 * r1[c1]);
                }
            }
        }

        /// <summary>
        /// Scatters block <c>item % blocks</c> of plane <c>item / blocks</c> into that block's own partial gradient:
        /// <c>input</c> holds <c>blocks</c> stacked copies of the input gradient (see <see cref="ScatterInBlocks"/>).
        /// </summary>
        public void Backward(int item)
        {
            int p = item / blocks, block = item % blocks;
            float* gxd = input + ((long)block * totalPlanes + p) * h * w;
            float* gd = output + (long)p * outH * outW;
            for (int i = block * outH / blocks, end = (block + 1) * outH / blocks; i < end; i++)
            {
                float* r0 = gxd + ty.I0[i] * w, r1 = gxd + ty.I1[i] * w;
                float a0 = ty.W0[i], a1 = ty.W1[i];
                for (int j = 0; j < outW; j++)
                {
                    float v = gd[i * outW + j];
                    int c0 = tx.I0[j], c1 = tx.I1[j];
                    float b0 = tx.W0[j], b1 = tx.W1[j];
                    r0[c0] += v * a0 * b0; r0[c1] += v * a0 * b1;
                    r1[c0] += v * a1 * b0; r1[c1] += v * a1 * b1;
                }
            }
        }
    }

    /// <summary>
    /// Per output pixel of a grid sample: the top-left tap and the bilinear fractions. Pooled (a render step samples a
    /// fresh grid every step; four arrays of the output's size would otherwise land on the large-object heap each
    /// time), owned by the graph node and returned when the graph is freed, or at once when no graph is recorded.
    /// </summary>
    private sealed class GridTaps(int count) : IDisposable
    {
        public readonly int[] X0 = System.Buffers.ArrayPool<int>.Shared.Rent(count), Y0 = System.Buffers.ArrayPool<int>.Shared.Rent(count);
        public readonly float[] Tx = TensorPool.Rent(count), Ty = TensorPool.Rent(count);

        public void Dispose()
        {
            System.Buffers.ArrayPool<int>.Shared.Return(X0);
            System.Buffers.ArrayPool<int>.Shared.Return(Y0);
            TensorPool.Return(Tx);
            TensorPool.Return(Ty);
        }
    }

    /// <summary>Fills the taps of block <c>item % blocks</c> of output rows of batch item <c>item / blocks</c>.</summary>
    private readonly unsafe struct GridTapState(float* grid, GridTaps taps, float sx, float ox, float sy, float oy, int oh, int ow, int blocks)
    {
        public void Fill(int item)
        {
            int b = item / blocks, block = item % blocks;
            for (int i = block * oh / blocks, end = (block + 1) * oh / blocks; i < end; i++)
                for (int j = 0; j < ow; j++)
                {
                    int p = (b * oh + i) * ow + j;
                    float ix = grid[2 * p] * sx + ox, iy = grid[2 * p + 1] * sy + oy;
                    int x0 = (int)MathF.Floor(ix), y0 = (int)MathF.Floor(iy);
                    taps.X0[p] = x0; taps.Y0[p] = y0; taps.Tx[p] = ix - x0; taps.Ty[p] = iy - y0;
                }
        }
    }

    /// <summary>
    /// Bilinear sampling work items: (plane, block of output rows). The forward gathers (blocks are independent); the
    /// input gradient scatters block b into copy b of a stacked buffer (see <see cref="ScatterInBlocks"/>).
    /// </summary>
    private readonly unsafe struct GridSampleState(float* x, float* y, float* g, float* gx, GridTaps taps, int c, int h, int w, int oh, int ow,
        int blocks, int planes)
    {
        private float At(float* plane, int yy, int xx) => (uint)yy < (uint)h && (uint)xx < (uint)w ? plane[yy * w + xx] : 0f;

        public void Forward(int item)
        {
            int planeIndex = item / blocks, block = item % blocks, b = planeIndex / c;
            float* plane = x + (long)planeIndex * h * w;
            float* dst = y + (long)planeIndex * oh * ow;
            for (int o = block * oh / blocks * ow, end = (block + 1) * oh / blocks * ow; o < end; o++)
            {
                int p = b * oh * ow + o;
                int x0 = taps.X0[p], y0 = taps.Y0[p];
                float tx = taps.Tx[p], ty = taps.Ty[p];
                float v00, v01, v10, v11;
                if ((uint)x0 < (uint)(w - 1) && (uint)y0 < (uint)(h - 1))
                {
                    // all four taps inside: no bounds checks
                    float* r = plane + y0 * w + x0;
                    v00 = r[0]; v01 = r[1]; v10 = r[w]; v11 = r[w + 1];
                }
                else
                {
                    v00 = At(plane, y0, x0); v01 = At(plane, y0, x0 + 1); v10 = At(plane, y0 + 1, x0); v11 = At(plane, y0 + 1, x0 + 1);
                }
                dst[o] = (1 - ty) * ((1 - tx) * v00 + tx * v01) + ty * ((1 - tx) * v10 + tx * v11);
            }
        }

        public void BackwardInput(int item)
        {
            int planeIndex = item / blocks, block = item % blocks, b = planeIndex / c;
            float* src = g + (long)planeIndex * oh * ow;
            var gplane = new Span<float>(gx + ((long)block * planes + planeIndex) * h * w, h * w);
            for (int o = block * oh / blocks * ow, end = (block + 1) * oh / blocks * ow; o < end; o++)
            {
                int p = b * oh * ow + o;
                int x0 = taps.X0[p], y0 = taps.Y0[p];
                float tx = taps.Tx[p], ty = taps.Ty[p], v = src[o];
                ScatterTap(gplane, h, w, y0, x0, v * (1 - tx) * (1 - ty));
                ScatterTap(gplane, h, w, y0, x0 + 1, v * tx * (1 - ty));
                ScatterTap(gplane, h, w, y0 + 1, x0, v * (1 - tx) * ty);
                ScatterTap(gplane, h, w, y0 + 1, x0 + 1, v * tx * ty);
            }
        }
    }

    private static void ScatterTap(Span<float> plane, int h, int w, int y, int x, float value)
    {
        if ((uint)y < (uint)h && (uint)x < (uint)w) plane[y * w + x] += value;
    }

    private static float GridBase(int i, int size, bool alignCorners) =>
        alignCorners ? (size > 1 ? -1f + 2f * i / (size - 1) : 0f) : (2f * i + 1f) / size - 1f;

    /// <summary>
    /// Sampling grid [N, H, W, 2] (x, y in [−1, 1]) of the affine maps <paramref name="theta"/> [N, 2, 3], as
    /// torch.nn.functional.affine_grid; differentiable in theta.
    /// </summary>
    public static Tensor AffineGrid(Tensor theta, int height, int width, bool alignCorners = false)
    {
        const string op = "affine_grid";
        theta.ThrowIfDisposed(op);
        if (theta.Rank != 3 || theta.ShapeArray[1] != 2 || theta.ShapeArray[2] != 3)
            throw new ShapeMismatchException($"{op}: theta must have shape [N, 2, 3], got {Shapes.Format(theta.ShapeArray)}.");
        Shapes.RequirePositive(height, op, nameof(height));
        Shapes.RequirePositive(width, op, nameof(width));
        int n = theta.ShapeArray[0];
        var y = Tensor.Uninitialized(new[] { n, height, width, 2 }, op);
        var td = theta.Data; var yd = y.Data;
        var columns = new float[width];
        for (int j = 0; j < width; j++) columns[j] = GridBase(j, width, alignCorners);
        for (int b = 0; b < n; b++)
            for (int i = 0; i < height; i++)
            {
                float gy = GridBase(i, height, alignCorners);
                for (int j = 0; j < width; j++)
                {
                    float gxv = columns[j];
                    int o = ((b * height + i) * width + j) * 2;
                    yd[o] = td[b * 6 + 0] * gxv + td[b * 6 + 1] * gy + td[b * 6 + 2];
                    yd[o + 1] = td[b * 6 + 3] * gxv + td[b * 6 + 4] * gy + td[b * 6 + 5];
                }
            }
        if (!Graph.Needs(theta)) return y;
        return Graph.Record(y, op, new[] { theta }, (g, grads) =>
        {
            var gt = Tensor.Zeros(theta.ShapeArray);
            var gtd = gt.Data; var gd = g.Data;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < height; i++)
                {
                    float gy = GridBase(i, height, alignCorners);
                    for (int j = 0; j < width; j++)
                    {
                        float gxv = GridBase(j, width, alignCorners);
                        int o = ((b * height + i) * width + j) * 2;
                        for (int r = 0; r < 2; r++)
                        {
                            float v = gd[o + r];
                            gtd[b * 6 + r * 3 + 0] += v * gxv;
                            gtd[b * 6 + r * 3 + 1] += v * gy;
                            gtd[b * 6 + r * 3 + 2] += v;
                        }
                    }
                }
            grads[0] = gt;
        }, alignCorners);
    }

    /// <summary>
    /// Bilinear sampling of x [N, C, H, W] at grid [N, Ho, Wo, 2] (x, y normalized to [−1, 1]) with zero padding, as
    /// torch.nn.functional.grid_sample(mode='bilinear', padding_mode='zeros'); differentiable in x and the grid.
    /// </summary>
    public static Tensor GridSample(Tensor x, Tensor grid, bool alignCorners = false)
    {
        const string op = "grid_sample";
        x.ThrowIfDisposed(op); grid.ThrowIfDisposed(op);
        Shapes.RequireRank(x, 4, op, "input");
        if (grid.Rank != 4 || grid.ShapeArray[3] != 2 || grid.ShapeArray[0] != x.ShapeArray[0])
            throw new ShapeMismatchException($"{op}: grid must have shape [{x.ShapeArray[0]}, Ho, Wo, 2] for input {Shapes.Format(x.ShapeArray)}, got {Shapes.Format(grid.ShapeArray)}.");
        int n = x.ShapeArray[0], c = x.ShapeArray[1], h = x.ShapeArray[2], w = x.ShapeArray[3];
        int oh = grid.ShapeArray[1], ow = grid.ShapeArray[2];
        float sx = alignCorners ? (w - 1) / 2f : w / 2f, sy = alignCorners ? (h - 1) / 2f : h / 2f;
        float ox = alignCorners ? (w - 1) / 2f : (w - 1) / 2f, oy = alignCorners ? (h - 1) / 2f : (h - 1) / 2f;
        // alignCorners: ix = (gx + 1)/2·(W − 1); otherwise ix = ((gx + 1)·W − 1)/2 — both are gx·sx + ox.
        var y = Tensor.Uninitialized(new[] { n, c, oh, ow }, op);
        // per output pixel (shared by the channels): the top-left tap and the bilinear fractions
        var taps = new GridTaps(n * oh * ow);
        int blocks = RowBlocks(oh);
        unsafe
        {
            fixed (float* pgrid = grid.Data)
            {
                var tapState = new GridTapState(pgrid, taps, sx, ox, sy, oy, oh, ow, blocks);
                Kernels.ParallelKernels.For(n * blocks, tapState, static (item, st) => st.Fill(item));
            }
            fixed (float* px = x.Data)
            fixed (float* py = y.Data)
            {
                var state = new GridSampleState(px, py, null, null, taps, c, h, w, oh, ow, blocks, n * c);
                Kernels.ParallelKernels.For(n * c * blocks, state, static (item, st) => st.Forward(item));
            }
        }
        if (!Graph.Needs(x, grid))
        {
            taps.Dispose();
            return y;
        }
        // the node owns the taps: they go back to the pools when the graph is freed
        return Graph.Record(y, op, new[] { x, grid }, taps, (g, grads) =>
        {
            Tensor? gx = Graph.Wants(x)
                ? ScatterInBlocks(x.ShapeArray, partials =>
                {
                    unsafe
                    {
                        fixed (float* pg = g.Data)
                        fixed (float* pgx = partials.Data)
                        {
                            var state = new GridSampleState(null, null, pg, pgx, taps, c, h, w, oh, ow, ScatterBlocks, n * c);
                            Kernels.ParallelKernels.For(n * c * ScatterBlocks, state, static (item, st) => st.BackwardInput(item));
                        }
                    }
                })
                : null;
            Tensor? gg = Graph.Wants(grid) ? Tensor.Zeros(grid.ShapeArray) : null;
            if (gg is not null)
            {
                var gOut = g.Data; var xs = x.Data;
                float At(ReadOnlySpan<float> plane, int yy, int xx) => (uint)yy < (uint)h && (uint)xx < (uint)w ? plane[yy * w + xx] : 0f;
                for (int b = 0; b < n; b++)
                    for (int o = 0; o < oh * ow; o++)
                    {
                        int p = b * oh * ow + o;
                        int x0 = taps.X0[p], y0 = taps.Y0[p];
                        float tx = taps.Tx[p], ty = taps.Ty[p], dix = 0f, diy = 0f;
                        for (int ch = 0; ch < c; ch++)
                        {
                            float v = gOut[(b * c + ch) * oh * ow + o];
                            var plane = xs.Slice((b * c + ch) * h * w, h * w);
                            float v00 = At(plane, y0, x0), v01 = At(plane, y0, x0 + 1), v10 = At(plane, y0 + 1, x0), v11 = At(plane, y0 + 1, x0 + 1);
                            dix += v * ((1 - ty) * (v01 - v00) + ty * (v11 - v10));
                            diy += v * ((1 - tx) * (v10 - v00) + tx * (v11 - v01));
                        }
                        gg.Data[2 * p] = dix * sx;
                        gg.Data[2 * p + 1] = diy * sy;
                    }
            }
            grads[0] = gx;
            grads[1] = gg;
        }, alignCorners);
    }
}
