using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lucid.Tensors.Kernels;

/// <summary>
/// 3×3 stride-1 convolutions by Winograd's minimal filtering F(4×4, 3×3) (Lavin &amp; Gray 2016, interpolation points
/// 0, ±1, ±2, ∞): every 4×4 block of outputs is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for the block's 6×6 input patch d, so the
/// sum over input channels becomes 36 independent products M_ξ = V_ξ · U_ξ (tiles × channels by channels × outputs)
/// with 36 multiply-adds per 16 outputs instead of 144.
/// <list type="bullet">
/// <item>The input transform runs per channel plane, vectorized along a row of tiles (each input row split once into its
/// four phases, so the transform reads contiguous vectors), and writes V_ξ as [channel][tile].</item>
/// <item>The products run on the GEMM's micro-tile (<see cref="Gemm.MicroTile"/>) — 8 tiles (broadcast, read in place) × 32 output channels — with U
/// packed once per weight tensor (cached, checked against the weights' contents on every call, so weights changed in
/// place are seen), on AVX-512 or as four AVX2 quarters.</item>
/// <item>The output transform is vectorized across output channels and adds the bias.</item>
/// </list>
/// Every output sums the input channels in a fixed order and the transforms are fixed expressions, so results do not
/// depend on the thread count. Rounding differs from the direct sum (the transforms scale by up to 8 and 1/24): errors
/// stay near 1e-6 of the output's scale (tests bound them against a float64 reference).
/// </summary>
internal static unsafe class Winograd
{
    private const int Tiles = Gemm.MR;     // tiles per register block (the GEMM tile's broadcast rows)
    private const int Outputs = Gemm.NR;   // output channels per register block (its packed columns)

    /// <summary>
    /// Where the transform applies — 3×3, stride 1, no dilation, one group, at least 16 channels in and out, a map of at
    /// least 8×8 outputs, or 7×7 with at least three images in the forward direction — and pays (measured, interleaved
    /// A/B on AVX-512, batch 1 unless said): always where the direct kernel would leave a third of its lanes idle and
    /// the convolution would go to im2col + GEMM (48→48 at 20² 4.3×, 128→128 at 8² 5.1× faster); otherwise from 32
    /// channels in and out once the channel pairs are many (cin·cout ≥ 16384: 128→128 at 14² 1.0–1.2×) or the work is
    /// large (≥ 200 MFLOP: 64→64 at 56² 1.7×, 32→64 at 32² batch 8 1.3×).
    /// Below that the transforms' fixed costs lose (64→128 at 32² 0.85×, 64→64 at 28² 0.88×, 32→64 at 32² 0.80×,
    /// 16→16 at 64² 0.47×). The rule reads shapes only, so the same call always takes the same path.
    /// </summary>
    public static bool Applies(in ConvGeometry g, int n, int cin, int cout, int groups, bool flipped = false)
    {
        if (!(Gemm.UsesAvx512 || Gemm.UsesAvx2) || groups != 1
            || g.KernelH != 3 || g.KernelW != 3 || g.StrideH != 1 || g.StrideW != 1 || g.DilationH != 1 || g.DilationW != 1
            || g.PadH > 2 || g.PadW > 2 || cin < 16 || cout < 16 || g.OutH < 7 || g.OutW < 7
            || g.OutH != g.Height + 2 * g.PadH - 2 || g.OutW != g.Width + 2 * g.PadW - 2)
            return false;
        // A 7-wide map is two partly empty tiles a side, four per image: the 36 products then read the transformed
        // weights (four times the weights' size) for a few tiles each. From three images on, the multiply-adds saved
        // outweigh that (in-process A/B on an AVX2 host, 2 threads, forward / forward + input gradient of one
        // convolution: ResNet-18's 512→512 at 7² batch 1 2.3 / 4.5–5.0 ms through im2col + GEMM against 3.5 / 7.1
        // transformed, batch 2 3.3 / 7.0 against 3.6 / 7.4, batch 3 6.1 / 15.5 against 4.7 / 9.6, batch 8 18.6 / 34.0
        // against 8.2 / 16.8; 256→256 at 7² batch 8 5.6 / 10.7 against 2.4 / 5.3). Forward only: a network's last
        // stage is most of its weights (ML.NET's ResNet-18: five 512→512 at 7², 47 of its 63 MB of 3×3 weights), and
        // its transforms in both directions outgrow the cache, whose LRU order then drops every entry before its next
        // use — each call transforms its weights again (forward + input gradient at batch 8: 475 → 810 ms).
        if (Math.Min(g.OutH, g.OutW) < 8 && (flipped || (long)n * ((g.OutH + 3) / 4) * ((g.OutW + 3) / 4) < 12)) return false;
        if (!DirectConv.Runs(g, cout)) return true;
        double flops = 18.0 * cin * cout * g.OutH * g.OutW * n;
        return cin >= 32 && cout >= 32 && ((long)cin * cout >= 16384 || flops >= 2e8);
    }

    [ThreadStatic] private static float[]? _v;
    [ThreadStatic] private static float[]? _m;
    [ThreadStatic] private static float[]? _scratch;

    /// <summary>
    /// y (=|+=) conv(x, w) + bias for x [n, cin, H, W] and y [n, cout, OutH, OutW], or false (nothing written) where the
    /// transform does not apply (<see cref="Applies"/>). With <paramref name="flipped"/> the kernel is the input
    /// gradient's: <paramref name="weight"/> is the forward convolution's [cin, cout, 3, 3] (its output channels are this
    /// convolution's inputs) and each 3×3 kernel is rotated by 180°.
    /// </summary>
    public static bool TryForward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int cin, int cout, int groups, in ConvGeometry g, bool accumulate, bool flipped)
    {
        if (!Applies(g, n, cin, cout, groups, flipped)) return false;
        int th = (g.OutH + 3) / 4, tw = (g.OutW + 3) / 4;
        int tilesPerImage = th * tw, tiles = n * tilesPerImage;
        int tilesPadded = (tiles + Tiles - 1) / Tiles * Tiles;
        int coBlocks = (cout + Outputs - 1) / Outputs, coPadded = coBlocks * Outputs;
        var packed = WeightCache.Get(weight, cin, cout, coBlocks, flipped);
        // V is [ξ][channel][ldv] and M [ξ][tile][coPadded]: the transforms touch all 36 ξ rows of a tile at once, so the
        // row strides are padded to an odd number of cache lines — at power-of-two strides (512 tiles, 64 channels)
        // those 36 rows fall into one cache set and evict each other (32→64 at 32², batch 8: transforms 2.5× slower).
        int ldv = OddLines(tilesPadded);
        long vXi = OddLines((long)cin * ldv), mXi = OddLines((long)tilesPadded * coPadded);
        var v = Buffer(ref _v, 36L * vXi);
        var m = Buffer(ref _m, 36L * mXi);
        fixed (float* px = x)
        fixed (float* pv = v)
        fixed (float* pm = m)
        fixed (float* pu = packed)
        fixed (float* pb = bias)
        fixed (float* py = y)
        {
            var input = new InputTransform(px, pv, g, cin, th, tw, ldv, vXi, tiles, tilesPadded);
            ParallelKernels.For(n * cin, input, static (i, s) => s.Run(i));
            var products = new Products(pv, pu, pm, cin, tilesPadded, ldv, vXi, mXi, coBlocks, coPadded);
            ParallelKernels.For(36 * coBlocks, products, static (i, s) => s.Run(i));
            var output = new OutputTransform(pm, pb, py, g, cout, th, tw, mXi, coPadded, accumulate);
            ParallelKernels.For(tiles, output, static (i, s) => s.Run(i));
        }
        return true;
    }

    /// <summary>The smallest stride ≥ <paramref name="floats"/> that is a whole, odd number of 64-byte lines.</summary>
    private static int OddLines(int floats) => (int)OddLines((long)floats);

    private static long OddLines(long floats)
    {
        long lines = (floats + 15) / 16;
        return (lines | 1) * 16;
    }

    private static float[] Buffer(ref float[]? buffer, long size)
    {
        if (size > Array.MaxLength) throw new LucidArgumentException("input", $"conv2d: the Winograd buffers need {size} floats, more than an array holds; use a smaller batch.");
        if (buffer is null || buffer.Length < size) buffer = GC.AllocateUninitializedArray<float>((int)size, pinned: true);
        return buffer;
    }

    // ---- input transform: V_ij = (Bᵀ d B)_ij ----------------------------------------------------------------------

    /// <summary>
    /// Bᵀ applied to six values: o0 = 4d0 − 5d2 + d4, o1 = −4d1 − 4d2 + d3 + d4, o2 = 4d1 − 4d2 − d3 + d4,
    /// o3 = −2d1 − d2 + 2d3 + d4, o4 = 2d1 − d2 − 2d3 + d4, o5 = 4d1 − 5d3 + d5.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransformB(Vector256<float> d0, Vector256<float> d1, Vector256<float> d2, Vector256<float> d3, Vector256<float> d4, Vector256<float> d5,
        float* o, nint stride)
    {
        var four = Vector256.Create(4f);
        var five = Vector256.Create(5f);
        var two = Vector256.Create(2f);
        var s42 = d4 - four * d2;        // d4 − 4d2
        var s31 = d3 - four * d1;        // d3 − 4d1
        var t42 = d4 - d2;
        var t31 = two * (d3 - d1);
        (four * d0 - five * d2 + d4).Store(o);
        (s42 + s31).Store(o + stride);
        (s42 - s31).Store(o + 2 * stride);
        (t42 + t31).Store(o + 3 * stride);
        (t42 - t31).Store(o + 4 * stride);
        (four * d1 - five * d3 + d5).Store(o + 5 * stride);
    }

    /// <summary>
    /// Splits 32 consecutive floats into their four phases (x₀ x₄ x₈ …, x₁ x₅ …, …), 8 each, written to
    /// <paramref name="phases"/> + p·<paramref name="phaseLen"/>: each vector's pairs grouped by phase, then a 4×4
    /// transpose of those 64-bit pairs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Deinterleave4(float* src, float* phases, int phaseLen)
    {
        var grouping = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        var a = Avx2.PermuteVar8x32(Vector256.Load(src), grouping).AsDouble();
        var b = Avx2.PermuteVar8x32(Vector256.Load(src + 8), grouping).AsDouble();
        var c = Avx2.PermuteVar8x32(Vector256.Load(src + 16), grouping).AsDouble();
        var d = Avx2.PermuteVar8x32(Vector256.Load(src + 24), grouping).AsDouble();
        var ab0 = Avx.UnpackLow(a, b);    // a0 b0 | a2 b2
        var ab1 = Avx.UnpackHigh(a, b);   // a1 b1 | a3 b3
        var cd0 = Avx.UnpackLow(c, d);
        var cd1 = Avx.UnpackHigh(c, d);
        Avx.Permute2x128(ab0, cd0, 0x20).AsSingle().Store(phases);
        Avx.Permute2x128(ab1, cd1, 0x20).AsSingle().Store(phases + phaseLen);
        Avx.Permute2x128(ab0, cd0, 0x31).AsSingle().Store(phases + 2 * phaseLen);
        Avx.Permute2x128(ab1, cd1, 0x31).AsSingle().Store(phases + 3 * phaseLen);
    }

    /// <summary>
    /// Transforms one (image, channel) plane into V; the last image's items also zero their channel's padding tiles
    /// [tiles, tilesPadded) in all 36 rows (the products read whole 8-tile blocks).
    /// </summary>
    private readonly struct InputTransform(float* x, float* v, ConvGeometry g, int cin, int th, int tw, int ldv, long vXi, int tiles, int tilesPadded)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int plane)
        {
            int image = plane / cin, c = plane % cin;
            const int lanes = 8;
            int span = (tw + lanes - 1) / lanes * lanes;    // tiles per row, rounded up to whole vectors
            int phaseLen = span + lanes;                     // phase p, entry q: padded column 4q + p
            int rowsPadded = 4 * th + 2;
            // Pass 1, per padded input row: split into four phases, then Bᵀ along the row (6 values per tile column).
            // Pass 2, per tile row: Bᵀ down the six rows of each of those values.
            var scratch = Buffer(ref _scratch, 8L * phaseLen + 6L * rowsPadded * span + 6L * lanes + 64);
            fixed (float* pScratch = scratch)
            {
                float* padded = pScratch, phases = padded + 4 * phaseLen, rowT = phases + 4 * phaseLen, result = rowT + 6 * rowsPadded * span;
                float* src = x + (long)plane * g.Height * g.Width;
                new Span<float>(padded, 4 * phaseLen).Clear();   // the padding columns stay zero for every row
                int blocks = (span + 1 + lanes - 1) / lanes;      // 32-float blocks covering phase entries [0, span]
                for (int r = 0; r < rowsPadded; r++)
                {
                    int iy = r - g.PadH;
                    bool inside = iy >= 0 && iy < g.Height;
                    if (inside)
                    {
                        new ReadOnlySpan<float>(src + (long)iy * g.Width, g.Width).CopyTo(new Span<float>(padded + g.PadW, g.Width));
                        for (int blk = 0; blk < blocks; blk++)
                            Deinterleave4(padded + 32 * blk, phases + 8 * blk, phaseLen);
                    }
                    float* dst = rowT + (long)r * 6 * span;
                    if (!inside)
                    {
                        new Span<float>(dst, 6 * span).Clear();
                        continue;
                    }
                    float* p0 = phases, p1 = phases + phaseLen, p2 = phases + 2 * phaseLen, p3 = phases + 3 * phaseLen;
                    for (int q = 0; q < span; q += lanes)
                        TransformB(Vector256.Load(p0 + q), Vector256.Load(p1 + q), Vector256.Load(p2 + q), Vector256.Load(p3 + q),
                            Vector256.Load(p0 + q + 1), Vector256.Load(p1 + q + 1), dst + q, span);
                }
                long tileBase = (long)image * th * tw;
                long rowStride = vXi;
                float* vc = v + (long)c * ldv + tileBase;
                int step = 6 * span;
                for (int ty = 0; ty < th; ty++)
                {
                    // Rows past this one in the same plane are written later by this same item, so a full-vector store
                    // may spill into them; near the plane's end (the next image belongs to another item) the last,
                    // partial vector of a row is written element by element.
                    bool exact = (long)(th - 1 - ty) * tw < span - tw;
                    float* top = rowT + (long)4 * ty * step;
                    float* column = vc + (long)ty * tw;
                    for (int j = 0; j < 6; j++)
                        for (int q = 0; q < span; q += lanes)
                        {
                            float* at = top + j * span + q;
                            var d0 = Vector256.Load(at); var d1 = Vector256.Load(at + step); var d2 = Vector256.Load(at + 2 * step);
                            var d3 = Vector256.Load(at + 3 * step); var d4 = Vector256.Load(at + 4 * step); var d5 = Vector256.Load(at + 5 * step);
                            if (!exact || q + lanes <= tw)
                            {
                                TransformB(d0, d1, d2, d3, d4, d5, column + j * rowStride + q, (nint)(6 * rowStride));
                                continue;
                            }
                            TransformB(d0, d1, d2, d3, d4, d5, result, lanes);
                            int count = tw - q;
                            for (int i = 0; i < 6; i++)
                            {
                                float* dst = column + (i * 6 + j) * rowStride + q;
                                for (int t = 0; t < count; t++) dst[t] = result[i * lanes + t];
                            }
                        }
                }
            }
            if (tilesPadded > tiles && (long)(image + 1) * th * tw == tiles)
                for (int xi = 0; xi < 36; xi++)
                    new Span<float>(v + xi * vXi + (long)c * ldv + tiles, tilesPadded - tiles).Clear();
        }
    }

    // ---- the 36 products M_ξ = V_ξ · U_ξ -------------------------------------------------------------------------

    private readonly struct Products(float* v, float* u, float* m, int cin, int tilesPadded, int ldv, long vXi, long mXi, int coBlocks, int coPadded)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int item)
        {
            int xi = item / coBlocks, cb = item % coBlocks;
            float* vx = v + xi * vXi;
            float* ux = u + ((long)xi * coBlocks + cb) * cin * Outputs;
            float* mx = m + xi * mXi + cb * Outputs;
            for (int t0 = 0; t0 < tilesPadded; t0 += Tiles)
                Gemm.MicroTile(cin, vx + t0, ldv, ux, mx + (long)t0 * coPadded, coPadded, accumulate: false);
        }
    }

    // ---- output transform: Y = Aᵀ M A --------------------------------------------------------------------------------

    /// <summary>Aᵀ applied to six values: o0 = m0 + m1 + m2 + m3 + m4, o1 = m1 − m2 + 2(m3 − m4), o2 = m1 + m2 + 4(m3 + m4), o3 = m1 − m2 + 8(m3 − m4) + m5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransformA(Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3, Vector256<float> m4, Vector256<float> m5,
        out Vector256<float> o0, out Vector256<float> o1, out Vector256<float> o2, out Vector256<float> o3)
    {
        var sum12 = m1 + m2; var dif12 = m1 - m2;
        var sum34 = m3 + m4; var dif34 = m3 - m4;
        o0 = m0 + sum12 + sum34;
        o1 = dif12 + Vector256.Create(2f) * dif34;
        o2 = sum12 + Vector256.Create(4f) * sum34;
        o3 = dif12 + Vector256.Create(8f) * dif34 + m5;
    }

    private readonly struct OutputTransform(float* m, float* bias, float* y, ConvGeometry g, int cout, int th, int tw, long mXi, int coPadded, bool accumulate)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int tile)
        {
            const int lanes = 8;
            int perImage = th * tw;
            int image = tile / perImage, ty = tile % perImage / tw, tx = tile % tw;
            int rowsOut = Math.Min(4, g.OutH - 4 * ty), colsOut = Math.Min(4, g.OutW - 4 * tx);
            long plane = (long)g.OutH * g.OutW;
            int ow = g.OutW;
            float* outBase = y + (long)image * cout * plane + (4L * ty) * ow + 4 * tx;
            long xiStride = mXi;
            float* mt = m + (long)tile * coPadded;
            var cols = stackalloc Vector256<float>[24];   // Aᵀ down the columns: 4 × 6
            var block = stackalloc float[16 * lanes];
            for (int co0 = 0; co0 < cout; co0 += lanes)
            {
                float* at = mt + co0;
                for (int j = 0; j < 6; j++)
                {
                    TransformA(Vector256.Load(at + j * xiStride), Vector256.Load(at + (6 + j) * xiStride), Vector256.Load(at + (12 + j) * xiStride),
                        Vector256.Load(at + (18 + j) * xiStride), Vector256.Load(at + (24 + j) * xiStride), Vector256.Load(at + (30 + j) * xiStride),
                        out cols[j], out cols[6 + j], out cols[12 + j], out cols[18 + j]);
                }
                var b = bias is null ? Vector256<float>.Zero : co0 + lanes <= cout ? Vector256.Load(bias + co0) : PartialBias(co0);
                bool whole = co0 + lanes <= cout && rowsOut == 4 && colsOut == 4;
                for (int a = 0; a < 4; a++)
                {
                    var row = cols + 6 * a;
                    TransformA(row[0], row[1], row[2], row[3], row[4], row[5], out var y0, out var y1, out var y2, out var y3);
                    y0 += b; y1 += b; y2 += b; y3 += b;
                    if (whole)
                    {
                        // 4 vectors over 8 channels → 8 rows of 4 columns (one per channel): a 4×8 transpose
                        var t0 = Avx.UnpackLow(y0, y1).AsDouble();    // y0[0] y1[0] y0[1] y1[1] | y0[4] y1[4] y0[5] y1[5]
                        var t1 = Avx.UnpackHigh(y0, y1).AsDouble();   // y0[2] y1[2] y0[3] y1[3] | lanes 6, 7
                        var t2 = Avx.UnpackLow(y2, y3).AsDouble();
                        var t3 = Avx.UnpackHigh(y2, y3).AsDouble();
                        float* dst = outBase + co0 * plane + a * ow;
                        StoreRow(dst, Avx.UnpackLow(t0, t2).AsSingle(), 0, plane);
                        StoreRow(dst, Avx.UnpackHigh(t0, t2).AsSingle(), 1, plane);
                        StoreRow(dst, Avx.UnpackLow(t1, t3).AsSingle(), 2, plane);
                        StoreRow(dst, Avx.UnpackHigh(t1, t3).AsSingle(), 3, plane);
                    }
                    else
                    {
                        y0.Store(block + (4 * a) * lanes);
                        y1.Store(block + (4 * a + 1) * lanes);
                        y2.Store(block + (4 * a + 2) * lanes);
                        y3.Store(block + (4 * a + 3) * lanes);
                    }
                }
                if (whole) continue;
                int count = Math.Min(lanes, cout - co0);
                for (int l = 0; l < count; l++)
                {
                    float* dst = outBase + (co0 + l) * plane;
                    for (int a = 0; a < rowsOut; a++)
                        for (int bcol = 0; bcol < colsOut; bcol++)
                        {
                            float value = block[(4 * a + bcol) * lanes + l];
                            float* d = dst + a * ow + bcol;
                            *d = accumulate ? *d + value : value;
                        }
                }
            }
        }

        /// <summary>Channel <paramref name="lane"/>'s four columns (low half) and channel lane + 4's (high half).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void StoreRow(float* dst, Vector256<float> pair, int lane, long plane)
        {
            float* lo = dst + lane * plane, hi = dst + (lane + 4) * plane;
            var l = pair.GetLower();
            var h = pair.GetUpper();
            if (accumulate) { l += Vector128.Load(lo); h += Vector128.Load(hi); }
            l.Store(lo);
            h.Store(hi);
        }

        private Vector256<float> PartialBias(int co0)
        {
            Span<float> tmp = stackalloc float[8];
            for (int l = 0; l < 8 && co0 + l < cout; l++) tmp[l] = bias[co0 + l];
            return Vector256.Create<float>(tmp);
        }
    }

    // ---- weights: U = G g Gᵀ, packed per (ξ, 32-channel block) as [input channel][32] -------------------------------

    private static readonly double[,] G =
    {
        { 1.0 / 4, 0, 0 },
        { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
        { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
        { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
        { 0, 0, 1 },
    };

    /// <summary>Packs U for every (output, input) channel pair; rows past <paramref name="cout"/> stay zero.</summary>
    internal static float[] Pack(ReadOnlySpan<float> weight, int cin, int cout, int coBlocks, bool flipped, float[]? into = null)
    {
        var packed = into ?? GC.AllocateArray<float>(36 * coBlocks * cin * Outputs, pinned: true);
        fixed (float* pw = weight)
        fixed (float* pp = packed)
        {
            var state = new PackState(pw, pp, cin, cout, coBlocks, flipped);
            ParallelKernels.For(coBlocks * cin, state, static (i, s) => s.Run(i));
        }
        return packed;
    }

    private readonly struct PackState(float* weight, float* packed, int cin, int cout, int coBlocks, bool flipped)
    {
        /// <summary>One (32-channel block, input channel): U of its 32 kernels, written as 36 rows of 32.</summary>
        public void Run(int item)
        {
            int cb = item / cin, ci = item % cin;
            float* block = stackalloc float[36 * Outputs];
            new Span<float>(block, 36 * Outputs).Clear();
            double* k = stackalloc double[9];
            double* gg = stackalloc double[18];
            for (int lane = 0; lane < Outputs && cb * Outputs + lane < cout; lane++)
            {
                int co = cb * Outputs + lane;
                // g: forward kernel (co, ci), or the input gradient's: the forward kernel (ci, co) rotated by 180°
                float* src = flipped ? weight + ((long)ci * cout + co) * 9 : weight + ((long)co * cin + ci) * 9;
                for (int t = 0; t < 9; t++) k[t] = flipped ? src[8 - t] : src[t];
                for (int i = 0; i < 6; i++)
                    for (int b = 0; b < 3; b++)
                        gg[i * 3 + b] = G[i, 0] * k[b] + G[i, 1] * k[3 + b] + G[i, 2] * k[6 + b];
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 6; j++)
                        block[(i * 6 + j) * Outputs + lane] = (float)(gg[i * 3] * G[j, 0] + gg[i * 3 + 1] * G[j, 1] + gg[i * 3 + 2] * G[j, 2]);
            }
            for (int xi = 0; xi < 36; xi++)
                new ReadOnlySpan<float>(block + xi * Outputs, Outputs).CopyTo(
                    new Span<float>(packed + (((long)xi * coBlocks + cb) * cin + ci) * Outputs, Outputs));
        }
    }

    /// <summary>
    /// Packed transforms of recently used weight tensors, keyed by the weights' address and shape, with a copy of the
    /// values they were packed from: compared on every call, so weights changed in place are seen and packed again
    /// (into the entry's own arrays: a training loop allocates nothing here). Whether a convolution takes this path
    /// depends on its shapes alone, never on this cache: the same inputs give the same bits on the first call and the
    /// thousandth. Bounded in bytes and entries; least recently used entries go first.
    /// </summary>
    /// <summary>
    /// Whether two equally long arrays hold the same bits. Large ones are compared in slices on both cores: a render
    /// step checks every 3×3 weight tensor against its packed copy's source twice (forward and input gradient), 19 MB
    /// of reads for ResNet-18 up to layer3, which one core reads at about 13 GB/s.
    /// </summary>
    internal static bool SameBits(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) return false;
        const int Slice = 1 << 15;
        if (a.Length < 4 * Slice) return MemoryMarshal.Cast<float, int>(a).SequenceEqual(MemoryMarshal.Cast<float, int>(b));
        int differs = 0;
        fixed (float* pa = a)
        fixed (float* pb = b)
        {
            var state = (A: (nint)pa, B: (nint)pb, Length: a.Length, Differs: (nint)(&differs));
            ParallelKernels.For((a.Length + Slice - 1) / Slice, state, static (i, s) =>
            {
                int start = i * Slice, length = Math.Min(Slice, s.Length - start);
                if (!new ReadOnlySpan<int>((int*)s.A + start, length).SequenceEqual(new ReadOnlySpan<int>((int*)s.B + start, length)))
                    Volatile.Write(ref *(int*)s.Differs, 1);
            });
        }
        return Volatile.Read(ref differs) == 0;
    }

    private static class WeightCache
    {
        // An entry is five times its weights (the 6×6 transform and the copy it is checked against). ML.NET's
        // ResNet-18 takes 96 MB for its 3×3 convolutions up to layer3 in both directions and 236 MB for layer4's
        // forward at 7², which batches of three or more transform; under a 256 MB budget the LRU order evicted every
        // entry before its next use and each call transformed its weights again (forward at batch 8: 239 → 402 ms
        // instead of 182).
        private const long Budget = 512L << 20;
        private const int MaxEntries = 256;
        private static readonly object Gate = new();
        private static readonly LinkedList<Entry> Entries = new();
        private static long _bytes;

        private sealed record Entry(nint Address, int Cin, int Cout, bool Flipped, float[] Source, float[] Packed)
        {
            public long Bytes => 4L * (Source.Length + Packed.Length);
        }

        public static float[] Get(ReadOnlySpan<float> weight, int cin, int cout, int coBlocks, bool flipped)
        {
            weight = weight.Slice(0, cin * cout * 9);
            nint address;
            fixed (float* p = weight) address = (nint)p;
            lock (Gate)
            {
                for (var node = Entries.First; node is not null; node = node.Next)
                {
                    var e = node.Value;
                    if (e.Address != address || e.Cin != cin || e.Cout != cout || e.Flipped != flipped) continue;
                    if (node != Entries.First) { Entries.Remove(node); Entries.AddFirst(node); }
                    // bit for bit, as integers: a float comparison is element by element (NaN ≠ NaN), this one a memcmp
                    if (!SameBits(weight, e.Source))
                    {
                        // the same tensor with new values (a training step): packed again into the entry's own arrays,
                        // so a training loop allocates nothing here
                        weight.CopyTo(e.Source);
                        Pack(weight, cin, cout, coBlocks, flipped, e.Packed);
                    }
                    return e.Packed;
                }
            }
            var entry = new Entry(address, cin, cout, flipped, weight.ToArray(), Pack(weight, cin, cout, coBlocks, flipped));
            lock (Gate)
            {
                Entries.AddFirst(entry);
                _bytes += entry.Bytes;
                while ((_bytes > Budget || Entries.Count > MaxEntries) && Entries.Last is { } last && last != Entries.First)
                {
                    Entries.RemoveLast();
                    _bytes -= last.Value.Bytes;
                }
            }
            return entry.Packed;
        }
    }
}
