using Lucid.Tensors.Autograd;
using Lucid.Tensors.Kernels;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Lucid.Tensors;

/// <summary>Hyper-parameters of a recorded 2-D convolution (read by hooks that re-run it, e.g. LRP rules).</summary>
public sealed record Conv2dAttributes(int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, int Groups,
    int OutputPadH = 0, int OutputPadW = 0);

public static partial class Ops
{
    /// <summary>
    /// 2-D convolution (cross-correlation, as PyTorch) of x [N, Cin, H, W] with weight [Cout, Cin/groups, kH, kW] and
    /// optional bias [Cout]; symmetric zero padding.
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d(x, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1)
    {
        const string op = "conv2d";
        x.ThrowIfDisposed(op); weight.ThrowIfDisposed(op); bias?.ThrowIfDisposed(op);
        Shapes.RequireRank(x, 4, op, "input");
        Shapes.RequireRank(weight, 4, op, "weight");
        Shapes.RequirePositive(stride.H, op, "stride"); Shapes.RequirePositive(stride.W, op, "stride");
        Shapes.RequirePositive(dilation.H, op, "dilation"); Shapes.RequirePositive(dilation.W, op, "dilation");
        Shapes.RequireNonNegative(padding.H, op, "padding"); Shapes.RequireNonNegative(padding.W, op, "padding");
        Shapes.RequirePositive(groups, op, "groups");
        int n = x.ShapeArray[0], cin = x.ShapeArray[1], h = x.ShapeArray[2], w = x.ShapeArray[3];
        int cout = weight.ShapeArray[0], cig = weight.ShapeArray[1], kh = weight.ShapeArray[2], kw = weight.ShapeArray[3];
        if (cin % groups != 0 || cout % groups != 0)
            throw new ShapeMismatchException($"{op}: input channels ({cin}) and output channels ({cout}) must both be divisible by groups ({groups}).");
        if (cig != cin / groups)
            throw new ShapeMismatchException($"{op}: weight {Shapes.Format(weight.ShapeArray)} expects {cig * groups} input channels (groups = {groups}), input {Shapes.Format(x.ShapeArray)} has {cin}.");
        if (bias is not null && (bias.Rank != 1 || bias.ShapeArray[0] != cout))
            throw new ShapeMismatchException($"{op}: bias must have shape [{cout}], got {Shapes.Format(bias.ShapeArray)}.");
        int oh = (h + 2 * padding.H - dilation.H * (kh - 1) - 1) / stride.H + 1;
        int ow = (w + 2 * padding.W - dilation.W * (kw - 1) - 1) / stride.W + 1;
        if (h + 2 * padding.H - dilation.H * (kh - 1) - 1 < 0 || w + 2 * padding.W - dilation.W * (kw - 1) - 1 < 0)
            throw new ShapeMismatchException($"{op}: kernel {kh}×{kw} (dilation {dilation.H}×{dilation.W}) is larger than the padded input {h + 2 * padding.H}×{w + 2 * padding.W} (input {Shapes.Format(x.ShapeArray)}).");
        var geo = new ConvGeometry(cig, h, w, kh, kw, stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W, oh, ow);
        var y = Tensor.Uninitialized(new[] { n, cout, oh, ow }, op);
        bool winograd = Convolutions.WinogradAllowed;
        ConvForward(x.Data, weight.Data, bias is null ? default : bias.Data, y.Data, n, cin, cout, groups, geo, winograd: winograd);
        if (!Graph.Needs(x, weight, bias)) return y;
        var inputs = bias is null ? new[] { x, weight } : new[] { x, weight, bias };
        var attrs = SharedConvAttributes.GetOrAdd((stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W, groups),
            static k => new Conv2dAttributes(k.Item1, k.Item2, k.Item3, k.Item4, k.Item5, k.Item6, k.Item7));
        return Graph.Record(y, op, inputs, (g, grads) =>
        {
            if (Graph.Wants(x))
            {
                var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
                ConvBackwardInput(g.Data, weight.Data, gx.Data, n, cin, cout, groups, geo, overwrite: true, winograd: winograd);
                grads[0] = gx;
            }
            if (Graph.Wants(weight))
            {
                var gw = Tensor.Uninitialized(weight.ShapeArray, "grad");
                ConvBackwardWeight(x.Data, g.Data, gw.Data, n, cin, cout, groups, geo);
                grads[1] = gw;
            }
            if (bias is not null && Graph.Wants(bias)) grads[2] = BiasGrad(g, n, cout, oh * ow);
        }, attrs);
    }

    /// <summary>Recorded convolutions' attributes, one immutable record per distinct set (a network has a handful).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int, int, int, int, int, int, int), Conv2dAttributes> SharedConvAttributes = new();

    private static unsafe Tensor BiasGrad(Tensor g, int n, int channels, int plane)
    {
        var gb = Tensor.Uninitialized(new[] { channels }, "grad");
        fixed (float* pg = g.Data)
        fixed (float* pb = gb.Data)
        {
            var state = new BiasSum(pg, pb, n, channels, plane);
            ParallelKernels.For(channels, state, static (c, s) => s.Run(c), ParallelKernels.Serial((long)n * channels * plane));
        }
        return gb;
    }

    private readonly unsafe struct BiasSum(float* g, float* result, int n, int channels, int plane)
    {
        public void Run(int c)
        {
            float sum = 0f;
            for (int i = 0; i < n; i++) sum += TP.Sum(new ReadOnlySpan<float>(g + ((long)i * channels + c) * plane, plane));
            result[c] = sum;
        }
    }

    [ThreadStatic] private static float[]? _colBuffer;
    [ThreadStatic] private static float[]? _gemmBuffer;

    private static Span<float> ThreadBuffer(ref float[]? buffer, int size)
    {
        if (buffer is null || buffer.Length < size) buffer = new float[Math.Max(size, (buffer?.Length ?? 0) * 3 / 2)];
        return buffer.AsSpan(0, size);
    }

    /// <summary>
    /// Images per GEMM: small feature maps are batched into one product (a [rows, images·HW] column matrix) so the
    /// GEMM is wide enough to use both cores well; the column matrix is capped at 8M floats.
    /// </summary>
    private static int ImagesPerChunk(int n, in ConvGeometry geo)
    {
        long perImage = (long)geo.Rows * geo.Cols;
        return (int)Math.Clamp(8L * 1024 * 1024 / Math.Max(1, perImage), 1, n);
    }

    /// <summary>
    /// Whether to write the column matrix out before the GEMM instead of generating it inside the packing: when it is
    /// small (it stays in cache, and packing from dense rows is cheaper than from many short image rows — tiles may
    /// pack the same columns more than once), or when the stride is not 1 (strided windows cannot be copied in runs).
    /// </summary>
    private static bool MaterializeColumns(in ConvGeometry geo, int images) =>
        geo.StrideW != 1 || (long)geo.Rows * geo.Cols * images <= 1L << 20;

    /// <summary>
    /// The forward's choice: as <see cref="MaterializeColumns"/>, except that on the AVX2 kernel a stride-2 convolution
    /// packs its windows straight from the image (its strided rows gathered by vector permutes) unless its product
    /// takes the transposed route, which needs a dense B. Written out first, the column matrix was packed by tiles on
    /// the other core than the one that wrote it. In-process, alternating (AVX2 host, 2 threads, 3×3/2 forward):
    /// 64→128 at 56² batch 1 1.15–1.18 → 1.03–1.06 ms, batch 8 8.7–8.8 → 7.6; 128→256 at 28² batch 8 9.1–9.2 → 7.9–8.0,
    /// batch 1 1.38–1.44 → 1.39–1.45 (no change); 32→64 at 32² batch 1 0.22 → 0.15–0.16, batch 8 1.34–1.43 → 0.96; the
    /// transposed 256→512 at 14², batch 1 and 2, stays materialized (implicit: 1.2 → 2.4 ms).
    /// </summary>
    private static bool MaterializeForward(in ConvGeometry geo, int images, int outputChannels) =>
        geo.StrideW == 2 && Gemm.UsesAvx2
            ? Gemm.PrefersTransposed(outputChannels, geo.Cols * images)
            : MaterializeColumns(geo, images);

    /// <summary>One group's output gradient for images [n0, n0 + nb) as a [channels, nb·plane] matrix (in place for one image).</summary>
    private static ReadOnlySpan<float> GroupGradient(ReadOnlySpan<float> g, int n0, int nb, int totalChannels, int c0, int channels, int plane)
    {
        if (nb == 1) return g.Slice((n0 * totalChannels + c0) * plane, channels * plane);
        var buf = ThreadBuffer(ref _gemmBuffer, channels * nb * plane);
        GatherChannelMajor(g, n0, nb, totalChannels, c0, channels, plane, buf);
        return buf;
    }

    /// <summary>Copies rows [c0, c0 + channels) of each image of a [N, C, HW] tensor into a [channels, images·HW] matrix.</summary>
    private static unsafe void GatherChannelMajor(ReadOnlySpan<float> src, int image0, int images, int totalChannels, int c0, int channels, int plane, Span<float> dst)
    {
        fixed (float* ps = src)
        fixed (float* pd = dst)
        {
            var state = new PlaneCopy(ps, pd, image0, images, totalChannels, c0, channels, plane, false, null);
            ParallelKernels.For(images * channels, state, static (i, s) => s.Gather(i));
        }
    }

    /// <summary>The inverse of <see cref="GatherChannelMajor"/>, optionally adding to the destination and adding a per-channel bias.</summary>
    private static unsafe void ScatterChannelMajor(ReadOnlySpan<float> src, int image0, int images, int totalChannels, int c0, int channels, int plane,
        Span<float> dst, bool accumulate, ReadOnlySpan<float> bias = default)
    {
        fixed (float* ps = src)
        fixed (float* pd = dst)
        fixed (float* pb = bias)
        {
            var state = new PlaneCopy(ps, pd, image0, images, totalChannels, c0, channels, plane, accumulate, bias.IsEmpty ? null : pb);
            ParallelKernels.For(images * channels, state, static (i, s) => s.Scatter(i));
        }
    }

    private readonly unsafe struct PlaneCopy(float* src, float* dst, int image0, int images, int totalChannels, int c0, int channels, int plane,
        bool accumulate, float* bias)
    {
        private (long Tensor, long Matrix) Offsets(int item)
        {
            int i = item / channels, c = item % channels;
            return (((long)(image0 + i) * totalChannels + c0 + c) * plane, (long)c * images * plane + (long)i * plane);
        }

        public void Gather(int item)
        {
            var (t, m) = Offsets(item);
            new ReadOnlySpan<float>(src + t, plane).CopyTo(new Span<float>(dst + m, plane));
        }

        public void Scatter(int item)
        {
            var (t, m) = Offsets(item);
            var from = new ReadOnlySpan<float>(src + m, plane);
            var to = new Span<float>(dst + t, plane);
            if (accumulate) TP.Add(to, from, to);
            else from.CopyTo(to);
            if (bias is not null) TP.Add(to, bias[item % channels], to);
        }
    }

    /// <summary>y (=|+=) conv2d(x, weight) + bias, with the column matrix generated on the fly inside the GEMM.</summary>
    internal static unsafe void ConvForward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int cin, int cout, int groups, in ConvGeometry geo, bool accumulate = false, bool? winograd = null)
    {
        if ((winograd ?? Convolutions.WinogradAllowed) && Winograd.TryForward(x, weight, bias, y, n, cin, cout, groups, geo, accumulate, flipped: false)) return;
        if (Polyphase.AppliesForward(geo, cout, groups))
        {
            Polyphase.Forward(x, weight, bias, y, n, cin, cout, geo, accumulate);
            return;
        }
        if (DirectConv.Runs(geo, cout / groups))
        {
            DirectConv.Forward(x, weight, bias, y, n, cin, cout, groups, geo, accumulate);
            return;
        }
        int cig = cin / groups, cog = cout / groups, rows = geo.Rows, cols = geo.Cols;
        int inPlane = geo.Height * geo.Width;
        int chunk = ImagesPerChunk(n, geo);
        fixed (float* px = x)
        fixed (float* pw = weight)
        {
            for (int n0 = 0; n0 < n; n0 += chunk)
            {
                int nb = Math.Min(chunk, n - n0);
                int ld = nb * cols;
                bool direct = nb == 1;
                for (int gi = 0; gi < groups; gi++)
                {
                    var dst = direct ? y.Slice((n0 * cout + gi * cog) * cols, cog * cols) : ThreadBuffer(ref _gemmBuffer, cog * ld);
                    var groupBias = bias.IsEmpty ? default : bias.Slice(gi * cog, cog);
                    bool add = direct && (!groupBias.IsEmpty || accumulate);
                    if (direct && !groupBias.IsEmpty)
                        for (int c = 0; c < cog; c++)
                        {
                            var row = dst.Slice(c * ld, ld);
                            if (accumulate) TP.Add(row, groupBias[c], row);
                            else row.Fill(groupBias[c]);
                        }
                    if (MaterializeForward(geo, nb, cog))
                    {
                        var col = ThreadBuffer(ref _colBuffer, rows * ld);
                        Im2Col.Unfold(x.Slice((n0 * cin + gi * cig) * inPlane), nb, cin * inPlane, col, geo);
                        Gemm.Multiply(false, false, cog, ld, rows, weight.Slice(gi * cog * rows, cog * rows), rows, col, ld, dst, ld, add);
                    }
                    else
                    {
                        var source = new ConvSource(px + (n0 * cin + gi * cig) * inPlane, cin * inPlane, geo);
                        fixed (float* pd = dst)
                            Gemm.Multiply(false, cog, ld, rows, pw + gi * cog * rows, rows, source, transB: false, pd, ld, add);
                    }
                    if (!direct) ScatterChannelMajor(dst, n0, nb, cout, gi * cog, cog, cols, y, accumulate, groupBias);
                }
            }
        }
    }

    /// <summary>gx (=|+=) conv2d's input gradient.</summary>
    internal static void ConvBackwardInput(ReadOnlySpan<float> g, ReadOnlySpan<float> weight, Span<float> gx,
        int n, int cin, int cout, int groups, in ConvGeometry geo, bool overwrite = false, bool? winograd = null)
    {
        bool useWinograd = winograd ?? Convolutions.WinogradAllowed;
        int cig = cin / groups, cog = cout / groups, rows = geo.Rows, cols = geo.Cols;
        int kh = geo.KernelH, kw = geo.KernelW;
        int padH = geo.DilationH * (kh - 1) - geo.PadH, padW = geo.DilationW * (kw - 1) - geo.PadW;
        // The flipped-kernel convolution has one output row per input channel. On the direct kernel that is cheap.
        // Off it, the GEMM + col2im route (whose B operand is g itself, dense) is faster: with few channels the implicit
        // GEMM's packing dominates, and with many, flipping the kernel does (ResNet-18's layer4, 512→512 3×3 at 7²:
        // forward + input gradient 9.5 ms through the flipped kernel, 3.3 ms through col2im, batch 1).
        var transposed = new ConvGeometry(cog, geo.OutH, geo.OutW, kh, kw, 1, 1, padH, padW,
            geo.DilationH, geo.DilationW, geo.Height, geo.Width);
        if (geo.StrideH == 1 && geo.StrideW == 1 && padH >= 0 && padW >= 0)
        {
            // Stride 1: the input gradient is the convolution of g with the spatially flipped, channel-transposed
            // kernel and padding d·(k − 1) − p. Winograd and the direct kernel both read that kernel from the forward
            // weights (Winograd's packed transform is cached per tensor; the direct kernel flips while it packs), so no
            // flipped copy is written.
            if (useWinograd && Winograd.TryForward(g, weight, default, gx, n, cout, cin, groups, transposed, accumulate: !overwrite, flipped: true)) return;
            if (DirectConv.Runs(transposed, cig))
            {
                DirectConv.Forward(g, weight, default, gx, n, cout, cin, groups, transposed, accumulate: !overwrite, flippedTransposed: true);
                return;
            }
        }
        if (overwrite) gx.Clear();
        int inPlane = geo.Height * geo.Width;
        int chunk = ImagesPerChunk(n, geo);
        for (int n0 = 0; n0 < n; n0 += chunk)
        {
            int nb = Math.Min(chunk, n - n0);
            int ld = nb * cols;
            for (int gi = 0; gi < groups; gi++)
            {
                var wg = weight.Slice(gi * cog * rows, cog * rows);
                var gOut = GroupGradient(g, n0, nb, cout, gi * cog, cog, cols);
                var col = ThreadBuffer(ref _colBuffer, rows * ld);
                Gemm.Multiply(true, false, rows, ld, cog, wg, rows, gOut, ld, col, ld, accumulate: false);
                Im2Col.FoldAdd(col, nb, cin * inPlane, gx.Slice((n0 * cin + gi * cig) * inPlane), geo);
            }
        }
    }

    /// <summary>gw = Σₙ g·colᵀ (overwrites <paramref name="gw"/>); the column matrix is generated inside the GEMM.</summary>
    internal static unsafe void ConvBackwardWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> gw,
        int n, int cin, int cout, int groups, in ConvGeometry geo)
    {
        int cig = cin / groups, cog = cout / groups, rows = geo.Rows, cols = geo.Cols;
        int inPlane = geo.Height * geo.Width;
        int chunk = ImagesPerChunk(n, geo);
        if (rows < Gemm.NR / 2)
        {
            ConvBackwardWeightByDots(x, g, gw, n, cin, cout, groups, geo, chunk);
            return;
        }
        if (WeightGradientParts(n, cout, groups, geo) is var parts and > 1)
        {
            ConvBackwardWeightByImages(x, g, gw, n, cin, cout, groups, geo, parts);
            return;
        }
        // Batching images only widens K here (the sum over positions), so the implicit path goes image by image and
        // reads g in place; only a materialized column matrix is worth batching.
        if (!MaterializeColumns(geo, chunk)) chunk = 1;
        fixed (float* px = x)
        fixed (float* pgw = gw)
        {
            for (int n0 = 0; n0 < n; n0 += chunk)
            {
                int nb = Math.Min(chunk, n - n0);
                int ld = nb * cols;
                for (int gi = 0; gi < groups; gi++)
                {
                    var gOut = GroupGradient(g, n0, nb, cout, gi * cog, cog, cols);
                    if (MaterializeColumns(geo, nb))
                    {
                        var col = ThreadBuffer(ref _colBuffer, rows * ld);
                        Im2Col.Unfold(x.Slice((n0 * cin + gi * cig) * inPlane), nb, cin * inPlane, col, geo);
                        Gemm.Multiply(false, true, cog, rows, ld, gOut, ld, col, ld, gw.Slice(gi * cog * rows, cog * rows), rows, accumulate: n0 > 0);
                    }
                    else
                    {
                        var source = new ConvSource(px + (n0 * cin + gi * cig) * inPlane, cin * inPlane, geo);
                        fixed (float* pg = gOut)
                            Gemm.Multiply(false, cog, rows, ld, pg, ld, source, transB: true, pgw + gi * cog * rows, rows, accumulate: n0 > 0);
                    }
                }
            }
        }
    }

    /// <summary>
    /// How many parts the batch's weight gradient splits into, each summing its images' products into a partial of its
    /// own on one core (1: one GEMM at a time, each spread over the cores). Per-image products below ~250 MFLOP are too
    /// small to split well — a 64×288×1024 product (32→64 3×3 at 32²) left a core idle a third of the time — so they
    /// run side by side instead, while the partials (up to 8 of [cout, rows]) stay within 4M floats. The rule reads
    /// shapes only: the same call always takes the same path, whatever the thread count.
    /// </summary>
    private static int WeightGradientParts(int n, int cout, int groups, in ConvGeometry geo)
    {
        long partial = (long)cout * geo.Rows;
        if (2.0 * partial * geo.Cols >= 2.5e8) return 1;
        // one image: its positions in two halves (on a column matrix written out once), when there are enough of them
        if (n == 1) return groups == 1 && geo.Cols >= 512 && MaterializeColumns(geo, 1) ? 2 : 1;
        return (int)Math.Min(Math.Min(n, 8), Math.Max(1, (4L << 20) / partial));
    }

    [ThreadStatic] private static float[]? _partialBuffer;

    /// <summary>
    /// gw = Σₙ g·colᵀ with the batch in <paramref name="parts"/> contiguous runs of images: each run's products go, one
    /// image after another, into its own partial (the first into gw), on one core per run; the partials are then added
    /// to gw in run order, so the sum's order depends on the shapes only.
    /// </summary>
    private static unsafe void ConvBackwardWeightByImages(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> gw,
        int n, int cin, int cout, int groups, in ConvGeometry geo, int parts)
    {
        long size = (long)cout * geo.Rows;
        var partials = ThreadBuffer(ref _partialBuffer, (int)((parts - 1) * size));
        fixed (float* px = x)
        fixed (float* pg = g)
        fixed (float* pw = gw)
        fixed (float* pp = partials)
        {
            if (n == 1)
            {
                var col = ThreadBuffer(ref _colBuffer, geo.Rows * geo.Cols);
                Im2Col.Unfold(x, 1, cin * geo.Height * geo.Width, col, geo);
                fixed (float* pc = col)
                {
                    var halves = new WeightGradPositions(pg, pc, pw, pp, cout, geo.Rows, geo.Cols, parts);
                    ParallelKernels.For(parts, halves, static (i, s) => s.Run(i));
                }
            }
            else
            {
                var state = new WeightGradPart(px, pg, pw, pp, n, cin, cout, groups, geo, parts);
                ParallelKernels.For(parts, state, static (i, s) => s.Run(i));
            }
            for (int part = 1; part < parts; part++)
                TP.Add(new ReadOnlySpan<float>(pw, (int)size), new ReadOnlySpan<float>(pp + (part - 1) * size, (int)size), new Span<float>(pw, (int)size));
        }
    }

    /// <summary>One image's weight gradient over position range <c>part</c> of <paramref name="parts"/> (one group).</summary>
    private readonly unsafe struct WeightGradPositions(float* g, float* col, float* gw, float* partials, int cout, int rows, int cols, int parts)
    {
        public void Run(int part)
        {
            int first = (int)((long)part * cols / parts), end = (int)((long)(part + 1) * cols / parts);
            float* dst = part == 0 ? gw : partials + (part - 1) * (long)cout * rows;
            Gemm.Multiply(false, true, cout, rows, end - first, g + first, cols, col + first, cols, dst, rows, accumulate: false);
        }
    }

    private readonly unsafe struct WeightGradPart(float* x, float* g, float* gw, float* partials, int n, int cin, int cout, int groups,
        ConvGeometry geo, int parts)
    {
        public void Run(int part)
        {
            int cig = cin / groups, cog = cout / groups, rows = geo.Rows, cols = geo.Cols;
            int inPlane = geo.Height * geo.Width;
            int first = (int)((long)part * n / parts), end = (int)((long)(part + 1) * n / parts);
            float* dst = part == 0 ? gw : partials + (part - 1) * (long)cout * rows;
            bool materialize = MaterializeColumns(geo, 1);
            for (int i = first; i < end; i++)
                for (int gi = 0; gi < groups; gi++)
                {
                    float* gOut = g + ((long)i * cout + gi * cog) * cols;
                    float* xi = x + ((long)i * cin + gi * cig) * inPlane;
                    float* dw = dst + (long)gi * cog * rows;
                    if (materialize)
                    {
                        var col = ThreadBuffer(ref _colBuffer, rows * cols);
                        Im2Col.Unfold(new ReadOnlySpan<float>(xi, cig * inPlane), 1, cin * inPlane, col, geo);
                        fixed (float* pc = col)
                            Gemm.Multiply(false, true, cog, rows, cols, gOut, cols, pc, cols, dw, rows, accumulate: i > first);
                    }
                    else
                        Gemm.Multiply(false, cog, rows, cols, gOut, cols, new ConvSource(xi, cin * inPlane, geo), transB: true, dw, rows, accumulate: i > first);
                }
        }
    }

    /// <summary>
    /// Weight gradient for kernels with few taps per group (e.g. one input channel, 3×3): the GEMM's N would be a sliver
    /// of one register tile, so instead the column matrix is built and every weight is one vectorized dot product.
    /// </summary>
    private static unsafe void ConvBackwardWeightByDots(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> gw,
        int n, int cin, int cout, int groups, in ConvGeometry geo, int chunk)
    {
        int cig = cin / groups, cog = cout / groups, rows = geo.Rows, cols = geo.Cols;
        int inPlane = geo.Height * geo.Width;
        gw.Clear();
        for (int n0 = 0; n0 < n; n0 += chunk)
        {
            int nb = Math.Min(chunk, n - n0);
            int ld = nb * cols;
            for (int gi = 0; gi < groups; gi++)
            {
                var col = ThreadBuffer(ref _colBuffer, rows * ld);
                Im2Col.Unfold(x.Slice((n0 * cin + gi * cig) * inPlane), nb, cin * inPlane, col, geo);
                fixed (float* pg = g)
                fixed (float* pc = col)
                fixed (float* pw = gw)
                {
                    // one output channel's weights per item: each is its own sum, so the split does not change a bit
                    var state = new WeightDots(pg + ((long)n0 * cout + gi * cog) * cols, pc, pw + (long)gi * cog * rows, nb, cout, rows, cols);
                    ParallelKernels.For(cog, state, static (co, s) => s.Run(co), ParallelKernels.Serial((long)cog * rows * ld));
                }
            }
        }
    }

    private readonly unsafe struct WeightDots(float* g, float* col, float* gw, int images, int cout, int rows, int cols)
    {
        public void Run(int co)
        {
            long ld = (long)images * cols;
            for (int r = 0; r < rows; r++)
            {
                double acc = 0;
                for (int i = 0; i < images; i++)
                    acc += TP.Dot(new ReadOnlySpan<float>(g + ((long)i * cout + co) * cols, cols), new ReadOnlySpan<float>(col + r * ld + (long)i * cols, cols));
                gw[(long)co * rows + r] += (float)acc;
            }
        }
    }

    /// <summary>
    /// Transposed 2-D convolution of x [N, Cin, H, W] with weight [Cin, Cout/groups, kH, kW] (PyTorch's layout); the
    /// output size is (H − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int outputPadding = 0, int dilation = 1, int groups = 1)
    {
        const string op = "conv_transpose2d";
        x.ThrowIfDisposed(op); weight.ThrowIfDisposed(op); bias?.ThrowIfDisposed(op);
        Shapes.RequireRank(x, 4, op, "input");
        Shapes.RequireRank(weight, 4, op, "weight");
        Shapes.RequirePositive(stride, op, "stride");
        Shapes.RequirePositive(dilation, op, "dilation");
        Shapes.RequireNonNegative(padding, op, "padding");
        Shapes.RequirePositive(groups, op, "groups");
        if (outputPadding < 0 || (outputPadding >= stride && outputPadding >= dilation))
            throw new LucidArgumentException(nameof(outputPadding), $"{op}: outputPadding ({outputPadding}) must be smaller than stride ({stride}) or dilation ({dilation}).");
        int n = x.ShapeArray[0], cin = x.ShapeArray[1], h = x.ShapeArray[2], w = x.ShapeArray[3];
        int cog = weight.ShapeArray[1], kh = weight.ShapeArray[2], kw = weight.ShapeArray[3];
        if (weight.ShapeArray[0] != cin || cin % groups != 0)
            throw new ShapeMismatchException($"{op}: weight {Shapes.Format(weight.ShapeArray)} must have {cin} input channels (input {Shapes.Format(x.ShapeArray)}) divisible by groups ({groups}).");
        int cout = cog * groups;
        if (bias is not null && (bias.Rank != 1 || bias.ShapeArray[0] != cout))
            throw new ShapeMismatchException($"{op}: bias must have shape [{cout}], got {Shapes.Format(bias.ShapeArray)}.");
        int oh = (h - 1) * stride - 2 * padding + dilation * (kh - 1) + outputPadding + 1;
        int ow = (w - 1) * stride - 2 * padding + dilation * (kw - 1) + outputPadding + 1;
        if (oh <= 0 || ow <= 0)
            throw new ShapeMismatchException($"{op}: padding {padding} leaves no output for input {Shapes.Format(x.ShapeArray)} and kernel {kh}×{kw}.");
        // The transposed convolution is the input-gradient of the convolution that maps the output back to x.
        var geo = new ConvGeometry(cog, oh, ow, kh, kw, stride, stride, padding, padding, dilation, dilation, h, w);
        var attrs = new Conv2dAttributes(stride, stride, padding, padding, dilation, dilation, groups, outputPadding, outputPadding);
        var y = Tensor.Zeros(n, cout, oh, ow);
        // forward: y = conv_backward_input(g = x) with the conv's "cout" being our cin
        bool winograd = Convolutions.WinogradAllowed;
        ConvBackwardInput(x.Data, weight.Data, y.Data, n, cout, cin, groups, geo, winograd: winograd);
        if (bias is not null)
        {
            var yd = y.Data; var bd = bias.Data;
            for (int i = 0; i < n; i++)
                for (int c = 0; c < cout; c++)
                    TP.Add(yd.Slice((i * cout + c) * oh * ow, oh * ow), bd[c], yd.Slice((i * cout + c) * oh * ow, oh * ow));
        }
        if (!Graph.Needs(x, weight, bias)) return y;
        var inputs = bias is null ? new[] { x, weight } : new[] { x, weight, bias };
        return Graph.Record(y, op, inputs, (g, grads) =>
        {
            if (Graph.Wants(x))
            {
                var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
                ConvForward(g.Data, weight.Data, default, gx.Data, n, cout, cin, groups, geo, winograd: winograd);
                grads[0] = gx;
            }
            if (Graph.Wants(weight))
            {
                // For the equivalent conv (input g [N, cout, oh, ow], weight [cin, cog, k, k]): dW = Σ x · unfold(g)ᵀ
                var gw = Tensor.Uninitialized(weight.ShapeArray, "grad");
                ConvBackwardWeight(g.Data, x.Data, gw.Data, n, cout, cin, groups, geo);
                grads[1] = gw;
            }
            if (bias is not null && Graph.Wants(bias)) grads[2] = BiasGrad(g, n, cout, oh * ow);
        }, attrs);
    }
}
