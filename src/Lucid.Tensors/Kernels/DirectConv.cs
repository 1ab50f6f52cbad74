using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lucid.Tensors.Kernels;

/// <summary>
/// Direct stride-1 convolution with a register tile of 8 output channels × 2 × 16 output positions. The input is
/// zero-padded once; each of the K = (channels/group)·kH·kW steps then loads two 16-wide rows straight from the padded
/// image (no im2col, no B packing), broadcasts 8 packed weights and issues 16 FMAs — the GEMM micro-kernel's shape
/// with the image as its B operand. Used for stride-1 convolutions and, with the flipped kernel, their input gradients.
/// With AVX2 + FMA the weights are packed in blocks of 6 channels and the tile is 6 channels × 16 positions per segment
/// (12 accumulators, two input rows and a broadcast: 15 of AVX2's 16 registers; the 4-channel quarters it replaced had
/// 8 accumulators, too few to hide the FMA latency). Work items are (image, group, channel block, run of segment
/// pairs), so both cores stay busy when the channel blocks are few or do not split evenly; on AVX2 a run's segments take
/// the K steps in passes of 72, so each pass's weights and input rows are reused from L1 (<see cref="StepsPerPass"/>).
/// The portable path leaves such convolutions to the GEMM.
/// Each output is summed over K in a fixed order, so results do not depend on threading.
/// </summary>
internal static unsafe class DirectConv
{
    private const int Channels = 8;   // output channels per tile (broadcast operand), AVX-512
    private const int Channels2 = 6;  // the same on AVX2
    private const int Width = 16;     // positions per segment (one zmm)
    private const int ParallelPackFloats = 1 << 15;

    /// <summary>Floats a padded input extends past its last plane: a row segment reads up to 16 past its row's end.</summary>
    internal const int InputSlack = 2 * Width + 64;

    public static bool IsSupported(in ConvGeometry g) => (Gemm.UsesAvx512 || Gemm.UsesAvx2) && g.StrideH == 1 && g.StrideW == 1;

    /// <summary>
    /// The share of the 16 lanes of a row segment that hold real outputs: small maps (4 or 8 wide, as in the late
    /// layers of Inception-like networks) would waste most of the tile, and the batched GEMM path serves them better.
    /// </summary>
    public static double LaneUse(int outW) => outW / (double)(Width * ((outW + Width - 1) / Width));

    /// <summary>
    /// Whether a convolution runs on this kernel: stride 1 on AVX2/AVX-512, at least 4 output channels per group and 8
    /// taps per output, and output rows that fill at least 70 % of the 16-lane segments.
    /// </summary>
    public static bool Runs(in ConvGeometry g, int outputChannelsPerGroup) =>
        IsSupported(g) && outputChannelsPerGroup >= 4 && g.Rows >= 8 && LaneUse(g.OutW) >= 0.7;

    [ThreadStatic] private static float[]? _padded;
    [ThreadStatic] private static float[]? _weights;
    [ThreadStatic] private static int[]? _offsets;
    [ThreadStatic] private static int[]? _segments;
    [ThreadStatic] private static int[]? _steps;
    [ThreadStatic] private static float[]? _partials;

    /// <summary>
    /// AVX2: steps per pass over a run of segments (8 input channels of a 3×3 kernel). A pass's weights (72 steps × 6
    /// channels, 1.7 KB) and input rows stay in L1 while every segment of the run takes them; with all K steps per
    /// segment, one segment's rows of every input channel (24 KB for 64 channels) and its block's weights overflowed
    /// L1 before the next segment came back to them. The accumulators are stored after a pass and reloaded for the
    /// next, which continues each output's chain of fused multiply-adds exactly: the sums do not change by a bit.
    /// In-process A/B on an AVX2-only host (AMD Zen 3, 2 threads, medians): 64→64 at 112² 69 → 111 GFLOP/s, at 56² 74 → 81,
    /// 128→128 at 28² 77 → 83, 256→256 at 14² 75 → 79 (36 to 288 steps per pass all within a few percent of 72).
    /// </summary>
    private const int StepsPerPass = 72;

    /// <summary>
    /// y (=|+=) conv(x, w) + bias for x [n, cin, H, W], w [cout, cin/groups, kH, kW], y [n, cout, OutH, OutW]. With
    /// <paramref name="flippedTransposed"/> the kernel is an input gradient's: <paramref name="weight"/> is the forward
    /// convolution's [cin, cout/groups, kH, kW] (its output channels are this convolution's inputs), read with both
    /// spatial axes reversed. <paramref name="liveSteps"/>, when not empty, lists in ascending order the steps (input
    /// channel · kH·kW + tap) whose weights may be non-zero; the others are structurally zero (a polyphase kernel's
    /// padding) and are skipped.
    /// With <paramref name="padded"/> the geometry has no padding and <paramref name="x"/> is read in place; it must
    /// extend <see cref="InputSlack"/> floats past its last plane.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int cin, int cout, int groups, in ConvGeometry g, bool accumulate, bool flippedTransposed = false, ReadOnlySpan<int> liveSteps = default, bool padded = false)
    {
        int cig = cin / groups, cog = cout / groups;
        // Top/left padding as given; bottom/right as far as the output reaches (a transposed convolution's output
        // padding asks for rows past the symmetric padding, which must read as zeros).
        int hp = Math.Max(g.Height + 2 * g.PadH, g.OutH + (g.KernelH - 1) * g.DilationH);
        int wp = Math.Max(g.Width + 2 * g.PadW, g.OutW + (g.KernelW - 1) * g.DilationW);
        int planeP = hp * wp;
        long paddedSize = (long)n * cin * planeP + InputSlack;
        if (padded && (g.PadH != 0 || g.PadW != 0 || hp != g.Height || wp != g.Width || x.Length < paddedSize))
            throw new LucidArgumentException(nameof(x), "direct convolution: a pre-padded input needs a geometry without padding and the slack past its end.");
        int kAll = cig * g.KernelH * g.KernelW;
        var steps = _steps is { } st && st.Length >= kAll ? st : _steps = new int[Math.Max(kAll, 16)];
        int k = liveSteps.IsEmpty ? kAll : liveSteps.Length;
        if (liveSteps.IsEmpty)
            for (int step = 0; step < kAll; step++) steps[step] = step;
        else liveSteps.CopyTo(steps);
        int block = Gemm.UsesAvx512 ? Channels : Channels2;
        int coBlocks = (cog + block - 1) / block;
        var paddedBuffer = padded ? null : Buffer(ref _padded, (int)paddedSize);
        var packed = Buffer(ref _weights, groups * coBlocks * k * block + 16);
        var offsets = _offsets is { } o && o.Length >= k ? o : _offsets = new int[Math.Max(k, 16)];
        // output segments: (oh, ow0) with up to 16 positions each, in row-major order; tiles take them in pairs
        int segmentsPerRow = (g.OutW + Width - 1) / Width;
        int segmentCount = g.OutH * segmentsPerRow;
        var segments = _segments is { } sg && sg.Length >= segmentCount ? sg : _segments = new int[Math.Max(segmentCount, 16)];
        for (int s = 0; s < segmentCount; s++) segments[s] = (s / segmentsPerRow) << 16 | (s % segmentsPerRow) * Width;

        int kk = g.KernelH * g.KernelW;
        for (int i = 0; i < k; i++)
        {
            int ci = steps[i] / kk, r = steps[i] % kk;
            offsets[i] = ci * planeP + r / g.KernelW * g.DilationH * wp + r % g.KernelW * g.DilationW;
        }
        fixed (float* px = x)
        fixed (float* pw = weight)
        fixed (float* pb = bias)
        fixed (float* py = y)
        fixed (float* ppRaw = paddedBuffer)
        fixed (float* pkRaw = packed)
        fixed (int* poff = offsets)
        fixed (int* pseg = segments)
        fixed (int* psteps = steps)
        {
            float* pp = padded ? px : Align64(ppRaw), pk = Align64(pkRaw);
            // a convolution this small runs on the calling thread: waking the other costs more than it brings
            bool serial = Serial(n, cout, g, k);
            if (!padded)
            {
                var pad = new PadState(px, pp, g, hp, wp);
                ParallelKernels.For(n * cin, pad, static (i, s) => s.Run(i), serial);
            }
            // packed block by block, on both cores where the weights are large enough to pay for waking the other (a
            // serial pack left it idle: 4 % of LRP's time on ResNet-18); small ones (a first layer's) on this thread
            var pack = new PackState(pw, pk, psteps, k, cog, cig, kk, coBlocks, block, flippedTransposed);
            ParallelKernels.For(groups * coBlocks, pack, static (i, s) => s.Run(i), serial || (long)groups * coBlocks * k * block < ParallelPackFloats);
            int pairs = (segmentCount + 1) / 2;
            int parts = Parts(n * groups * coBlocks, pairs, serial ? 1 : ParallelKernels.Threads);
            var tiles = new TileState(pp, pk, pb, py, poff, pseg, g, cin, cout, groups, k, coBlocks, block, planeP, wp, segmentCount, pairs, parts, accumulate);
            ParallelKernels.For(n * groups * coBlocks * parts, tiles, static (i, s) => s.Run(i), serial);
        }
    }

    /// <summary>
    /// Whether the convolution is small enough to run on the calling thread alone (<see cref="ParallelKernels.SerialWork"/>
    /// multiply-adds; in-process, AVX2 host: 1→32 3×3 at 28², batch 1,
    /// 0.026–0.028 ms on two threads, 0.022 on one; at batch 8, 1.8 M multiply-adds, two threads win, 0.12 against 0.17).
    /// Results do not depend on it (every output's sum has one order).
    /// </summary>
    internal static bool Serial(int n, int cout, in ConvGeometry g, int steps) =>
        ParallelKernels.Serial((long)n * cout * g.OutH * g.OutW * steps);

    /// <summary>
    /// Into how many runs of segment pairs each channel block's output is split: none while the blocks alone give every
    /// thread at least eight items in equal numbers; otherwise enough runs for that (each run re-reads the block's
    /// weights, a few KiB, from cache).
    /// </summary>
    internal static int Parts(int blocks, int pairs, int threads)
    {
        if (threads <= 1) return 1;
        for (int parts = 1; parts <= pairs; parts++)
        {
            long items = (long)blocks * parts;
            if (items >= 8L * threads && items % threads == 0) return parts;
            if (items >= 16L * threads) return parts; // uneven by at most one item in sixteen
        }
        return pairs;
    }

    private static float[] Buffer(ref float[]? buffer, int size)
    {
        if (buffer is null || buffer.Length < size + 16) buffer = GC.AllocateArray<float>(size + 16, pinned: true);
        return buffer;
    }

    private static float* Align64(float* p) => (float*)(((nuint)p + 63) & ~(nuint)63);

    /// <summary>
    /// Weights per (group, 8-channel block) as K rows of 8 (zero rows past the group's channels). Flipped and transposed,
    /// the weight of output channel co, input channel ci, tap r is the forward convolution's weight of its output channel
    /// gi·cig + ci, input channel co, tap kk − 1 − r (the forward weights are [groups·cig, cog, kk]).
    /// </summary>
    private readonly struct PackState(float* w, float* packed, int* steps, int k, int cog, int cig, int kk, int coBlocks, int width, bool flippedTransposed)
    {
        public void Run(int block) => PackBlock(w, packed, steps, k, block / coBlocks, block % coBlocks, cog, cig, kk, coBlocks, width, flippedTransposed);
    }

    /// <summary>
    /// Block <paramref name="cb"/> of group <paramref name="gi"/>: <paramref name="k"/> rows of <paramref name="width"/>
    /// channels, row i holding step <paramref name="steps"/>[i] of the kernel.
    /// </summary>
    private static void PackBlock(float* w, float* packed, int* steps, int k, int gi, int cb, int cog, int cig, int kk, int coBlocks, int width, bool flippedTransposed)
    {
        if (flippedTransposed)
        {
            System.Diagnostics.Debug.Assert(k == cig * kk, "a flipped kernel runs every tap");
            PackFlippedBlock(w, packed, k, gi, cb, cog, cig, kk, coBlocks, width);
            return;
        }
        int kAll = cig * kk;
        float* dst = packed + ((long)gi * coBlocks + cb) * k * width;
        for (int c = 0; c < width; c++)
        {
            int co = cb * width + c;
            if (co >= cog)
            {
                for (int i = 0; i < k; i++) dst[i * width + c] = 0f;
                continue;
            }
            float* src = w + (long)(gi * cog + co) * kAll;
            for (int i = 0; i < k; i++) dst[i * width + c] = src[steps[i]];
        }
    }

    /// <summary>
    /// The flipped kernel's block, input channel by input channel: the forward weights [groups·cig][cog][kk] hold a
    /// block's output channels' taps side by side (this convolution's output channel co is the forward input channel
    /// co), so each input channel reads one run of width·kk floats — channel by channel instead, the pack walked a
    /// layer's weights once per channel of the block, a cache line per input channel each time.
    /// </summary>
    private static void PackFlippedBlock(float* w, float* packed, int k, int gi, int cb, int cog, int cig, int kk, int coBlocks, int width)
    {
        float* dst = packed + ((long)gi * coBlocks + cb) * k * width;
        int live = Math.Min(width, cog - cb * width);
        for (int ci = 0; ci < cig; ci++)
        {
            float* src = w + ((long)(gi * cig + ci) * cog + cb * width) * kk;
            float* d = dst + (long)ci * kk * width;
            for (int r = 0; r < kk; r++)
            {
                float* row = d + r * width;
                int c = 0;
                for (; c < live; c++) row[c] = src[c * kk + kk - 1 - r];
                for (; c < width; c++) row[c] = 0f;
            }
        }
    }

    private readonly struct PadState(float* x, float* padded, ConvGeometry g, int hp, int wp)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int plane)
        {
            float* dst = padded + (long)plane * hp * wp;
            float* src = x + (long)plane * g.Height * g.Width;
            new Span<float>(dst, hp * wp).Clear();
            for (int h = 0; h < g.Height; h++)
                new ReadOnlySpan<float>(src + h * g.Width, g.Width).CopyTo(new Span<float>(dst + (long)(h + g.PadH) * wp + g.PadW, g.Width));
        }
    }

    private readonly struct TileState(float* padded, float* packed, float* bias, float* y, int* offsets, int* segments, ConvGeometry g,
        int cin, int cout, int groups, int k, int coBlocks, int block, int planeP, int wp, int segmentCount, int pairs, int parts, bool accumulate)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int item)
        {
            int part = item % parts;
            item /= parts;
            int cb = item % coBlocks, rest = item / coBlocks, gi = rest % groups, image = rest / groups;
            int cig = cin / groups, cog = cout / groups;
            float* input = padded + ((long)image * cin + gi * cig) * planeP;
            float* weights = packed + ((long)gi * coBlocks + cb) * k * block;
            int outPlane = g.OutH * g.OutW;
            int channels = Math.Min(block, cog - cb * block);
            float* outBase = y + ((long)image * cout + gi * cog + cb * block) * outPlane;
            float* biasBase = bias is null ? null : bias + gi * cog + cb * block;
            int first = (int)((long)pairs * part / parts), end = (int)((long)pairs * (part + 1) / parts);
            if (!Gemm.UsesAvx512)
            {
                RunPasses(2 * first, Math.Min(2 * end, segmentCount), weights, input, outBase, outPlane, channels, biasBase);
                return;
            }
            float* tile = stackalloc float[Channels * 2 * Width];
            for (int pair = first; pair < end; pair++)
            {
                int s0 = 2 * pair, s1 = Math.Min(2 * pair + 1, segmentCount - 1);
                int oh0 = segments[s0] >> 16, ow0 = segments[s0] & 0xFFFF;
                int oh1 = segments[s1] >> 16, ow1 = segments[s1] & 0xFFFF;
                Kernel(k, weights, offsets, input + oh0 * wp + ow0, input + oh1 * wp + ow1, tile);
                Store(tile, 0, 2 * Width, oh0, ow0, outBase, outPlane, channels, biasBase);
                if (s1 != s0) Store(tile, Width, 2 * Width, oh1, ow1, outBase, outPlane, channels, biasBase);
            }
        }

        /// <summary>
        /// AVX2: segments [s0, s1) in passes of <see cref="StepsPerPass"/> steps each, every segment's 6 × 16
        /// accumulators kept between passes in a per-thread buffer.
        /// </summary>
        private void RunPasses(int s0, int s1, float* weights, float* input, float* outBase, int outPlane, int channels, float* biasBase)
        {
            const int tileFloats = Channels2 * Width;
            int count = s1 - s0;
            var buffer = _partials;
            if (buffer is null || buffer.Length < count * tileFloats + 16) _partials = buffer = GC.AllocateArray<float>(count * tileFloats + 16, pinned: true);
            fixed (float* raw = buffer)
            {
                float* partials = Align64(raw);
                for (int k0 = 0; k0 < k; k0 += StepsPerPass)
                {
                    int k1 = Math.Min(k, k0 + StepsPerPass);
                    for (int s = s0; s < s1; s++)
                    {
                        int oh = segments[s] >> 16, ow = segments[s] & 0xFFFF;
                        Kernel256(k0, k1, weights, offsets, input + oh * wp + ow, partials + (s - s0) * tileFloats, k0 > 0);
                    }
                }
                for (int s = s0; s < s1; s++)
                    Store(partials + (s - s0) * tileFloats, 0, Width, segments[s] >> 16, segments[s] & 0xFFFF, outBase, outPlane, channels, biasBase);
            }
        }

        private void Store(float* tile, int column, int rowStride, int oh, int ow0, float* outBase, int outPlane, int channels, float* biasBase)
        {
            int len = Math.Min(Width, g.OutW - ow0);
            for (int c = 0; c < channels; c++)
            {
                float* dst = outBase + (long)c * outPlane + oh * g.OutW + ow0;
                float* src = tile + c * rowStride + column;
                float b = biasBase is null ? 0f : biasBase[c];
                if (len == Width && Vector512.IsHardwareAccelerated)
                {
                    var v = Vector512.Load(src) + Vector512.Create(b);
                    if (accumulate) v += Vector512.Load(dst);
                    Vector512.Store(v, dst);
                }
                else if (len == Width)
                {
                    var bv = Vector256.Create(b);
                    var v0 = Vector256.Load(src) + bv;
                    var v1 = Vector256.Load(src + 8) + bv;
                    if (accumulate) { v0 += Vector256.Load(dst); v1 += Vector256.Load(dst + 8); }
                    Vector256.Store(v0, dst);
                    Vector256.Store(v1, dst + 8);
                }
                else
                {
                    for (int j = 0; j < len; j++) dst[j] = (accumulate ? dst[j] : 0f) + src[j] + b;
                }
            }
        }
    }

    /// <summary>tile[c][0..16) = Σ_k w[k][c]·in0[off_k ..], tile[c][16..32) = Σ_k w[k][c]·in1[off_k ..].</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(int k, float* w, int* offsets, float* in0, float* in1, float* tile)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int step = 0; step < k; step++)
        {
            int off = offsets[step];
            var b0 = Vector512.Load(in0 + off);
            var b1 = Vector512.Load(in1 + off);
            var a0 = Vector512.Create(w[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(w[1]);
            c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10); c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(w[2]);
            c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20); c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(w[3]);
            c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30); c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(w[4]);
            c40 = Avx512F.FusedMultiplyAdd(a4, b0, c40); c41 = Avx512F.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(w[5]);
            c50 = Avx512F.FusedMultiplyAdd(a5, b0, c50); c51 = Avx512F.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(w[6]);
            c60 = Avx512F.FusedMultiplyAdd(a6, b0, c60); c61 = Avx512F.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(w[7]);
            c70 = Avx512F.FusedMultiplyAdd(a7, b0, c70); c71 = Avx512F.FusedMultiplyAdd(a7, b1, c71);
            w += Channels;
        }
        Vector512.Store(c00, tile); Vector512.Store(c01, tile + 16);
        Vector512.Store(c10, tile + 32); Vector512.Store(c11, tile + 48);
        Vector512.Store(c20, tile + 64); Vector512.Store(c21, tile + 80);
        Vector512.Store(c30, tile + 96); Vector512.Store(c31, tile + 112);
        Vector512.Store(c40, tile + 128); Vector512.Store(c41, tile + 144);
        Vector512.Store(c50, tile + 160); Vector512.Store(c51, tile + 176);
        Vector512.Store(c60, tile + 192); Vector512.Store(c61, tile + 208);
        Vector512.Store(c70, tile + 224); Vector512.Store(c71, tile + 240);
    }

    /// <summary>
    /// AVX2 tile: tile[c][0..16) (=|+=) Σ_{k0 ≤ step &lt; k1} w[step][c]·in[off_step ..] for the 6 channels of a block
    /// (rows Width apart); with <paramref name="resume"/> the accumulators start from the tile, continuing the sum.
    /// Each output sums K in the same order as the AVX-512 tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(int k0, int k1, float* w, int* offsets, float* input, float* tile, bool resume)
    {
        const int row = Width;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        if (resume)
        {
            c00 = Vector256.Load(tile); c01 = Vector256.Load(tile + 8);
            c10 = Vector256.Load(tile + row); c11 = Vector256.Load(tile + row + 8);
            c20 = Vector256.Load(tile + 2 * row); c21 = Vector256.Load(tile + 2 * row + 8);
            c30 = Vector256.Load(tile + 3 * row); c31 = Vector256.Load(tile + 3 * row + 8);
            c40 = Vector256.Load(tile + 4 * row); c41 = Vector256.Load(tile + 4 * row + 8);
            c50 = Vector256.Load(tile + 5 * row); c51 = Vector256.Load(tile + 5 * row + 8);
        }
        w += (long)k0 * Channels2;
        for (int step = k0; step < k1; step++)
        {
            float* at = input + offsets[step];
            var b0 = Vector256.Load(at);
            var b1 = Vector256.Load(at + 8);
            var a0 = Vector256.Create(w[0]); c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(w[1]); c10 = Fma.MultiplyAdd(a1, b0, c10); c11 = Fma.MultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(w[2]); c20 = Fma.MultiplyAdd(a2, b0, c20); c21 = Fma.MultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(w[3]); c30 = Fma.MultiplyAdd(a3, b0, c30); c31 = Fma.MultiplyAdd(a3, b1, c31);
            var a4 = Vector256.Create(w[4]); c40 = Fma.MultiplyAdd(a4, b0, c40); c41 = Fma.MultiplyAdd(a4, b1, c41);
            var a5 = Vector256.Create(w[5]); c50 = Fma.MultiplyAdd(a5, b0, c50); c51 = Fma.MultiplyAdd(a5, b1, c51);
            w += Channels2;
        }
        Vector256.Store(c00, tile); Vector256.Store(c01, tile + 8);
        Vector256.Store(c10, tile + row); Vector256.Store(c11, tile + row + 8);
        Vector256.Store(c20, tile + 2 * row); Vector256.Store(c21, tile + 2 * row + 8);
        Vector256.Store(c30, tile + 3 * row); Vector256.Store(c31, tile + 3 * row + 8);
        Vector256.Store(c40, tile + 4 * row); Vector256.Store(c41, tile + 4 * row + 8);
        Vector256.Store(c50, tile + 5 * row); Vector256.Store(c51, tile + 5 * row + 8);
    }
}
