using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lucid.Tensors.Kernels;

/// <summary>
/// Single-precision GEMM: C = op(A)·op(B) (+ C when accumulating), row-major with leading dimensions.
/// Goto/BLIS structure: per K-block, A is packed into row micro-panels (8 rows; 6 on AVX2) — on AVX2 once for all
/// tiles where several column chunks read it — and each tile — a column chunk of C times a group of rows — packs its
/// own slice of B into NR-column micro-panels on the thread that consumes it, so those panels stay in that core's L2
/// (on the AVX-512 host the two cores may not share an L3, and shared B panels halved throughput). A register-tiled micro-kernel (AVX-512 8×32, AVX2 FMA 6×16 halves, chosen at run time;
/// portable fallback) does the arithmetic. Each C element is always summed in the same K order, so results are
/// bit-identical whatever the thread count and whichever thread runs a tile.
/// </summary>
public static unsafe class Gemm
{
    internal const int MR = 8;
    internal const int NR = 32;
    // The GEMM's own row-panel height: AVX2 runs 6×16 halves (12 accumulators, 2 B rows and a broadcast fill its 16
    // registers; 8 accumulators could not hide the FMA latency), so its A panels are 6 rows; AVX-512 and the portable
    // kernel keep MR. Winograd's products call MicroTile with MR rows on every ISA.
    private static int Rows => Kernel == Isa.Avx2 ? Mr2 : MR;
    private const int Mr2 = 6;
    internal const int KC = 256;
    private const int NChunk = 1024;
    private const int TilesPerThread = 4;

    internal enum Isa { Avx512, Avx2, Portable }
    internal static readonly Isa Best = Avx512F.IsSupported ? Isa.Avx512 : Fma.IsSupported && Avx2.IsSupported ? Isa.Avx2 : Isa.Portable;
    private static Isa Kernel = Best;

    /// <summary>Name of the micro-kernel in use (for benchmark reports).</summary>
    public static string KernelName => Kernel.ToString();

    /// <summary>True when the AVX-512 kernels (GEMM micro-kernel, direct convolution) are in use.</summary>
    internal static bool UsesAvx512 => Kernel == Isa.Avx512;

    /// <summary>How stride-1 convolutions run with the kernel in use (for benchmark reports).</summary>
    public static string ConvolutionPath => Kernel switch
    {
        Isa.Avx512 => "Winograd F(4×4,3×3) for 3×3 stride 1 (8 tiles × 32 ch), direct AVX-512 (8 ch × 2×16), polyphase stride 2 without its zero taps, im2col + GEMM otherwise",
        Isa.Avx2 => "Winograd F(4×4,3×3) for 3×3 stride 1 (4 tiles × 16 ch quarters), direct AVX2 + FMA (6 ch × 16, K in passes of 72 steps), polyphase stride 2 without its zero taps, im2col + GEMM otherwise",
        _ => "im2col + portable GEMM",
    };

    /// <summary>True when the AVX2 + FMA kernels are in use (a machine without AVX-512, or the switch below).</summary>
    internal static bool UsesAvx2 => Kernel == Isa.Avx2;

    /// <summary>
    /// Runs <paramref name="action"/> with a slower instruction set than the machine's best (tests use this to cover
    /// the AVX2 and portable kernels on AVX-512 hardware). Not thread-safe: for single-threaded tests only.
    /// </summary>
    internal static void WithIsa(Isa isa, Action action)
    {
        if (isa < Best) throw new LucidArgumentException(nameof(isa), $"gemm: this machine does not support {isa}.");
        var saved = Kernel;
        Kernel = isa;
        try { action(); }
        finally { Kernel = saved; }
    }

    [ThreadStatic] private static float[]? _packA;
    [ThreadStatic] private static float[]? _packB;

    /// <summary>C[M,N] (=|+=) op(A)[M,K] · op(B)[K,N].</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
            Multiply(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate);
    }

    internal static void Multiply(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        if ((long)m * n * k <= 4096 || (m < 4 && n < 64))
        {
            Naive(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            return;
        }
        if (!transB && TransposedPays(transA, m, n))
        {
            MultiplyTransposed(transA, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            return;
        }
        Multiply(transA, m, n, k, a, lda, new DenseSource(b, ldb), transB, c, ldc, accumulate);
    }

    [ThreadStatic] private static float[]? _transposedC;

    /// <summary>Whether C[m, n] = A·B with B dense and A as stored would take the transposed route.</summary>
    internal static bool PrefersTransposed(int m, int n) => TransposedPays(false, m, n);

    /// <summary>
    /// Whether Cᵀ = Bᵀ·op(A)ᵀ wastes markedly less of the register tiles than C = op(A)·B (B dense): C's columns fill
    /// NR-wide panels and its rows 6-row panels (AVX2), so a C with few columns computes 64 columns for 49 as it stands
    /// and 54 rows for 49 transposed — the input gradient of a batch-1 convolution on a 7² map (Wᵀ·g, 4608 × 49) and
    /// its forward (W·col, 512 × 49). With A stored transposed both operands still pack by plain copies (A's rows become
    /// B's panels, B's become A's); with A as stored, its rows become B's columns and pack through 8×8 transposes, so
    /// that route asks for a larger saving. (In-process A/B on an AVX2 host, 2 threads: ResNet-18's 512→512 3×3 at 7²,
    /// batch 1, 4.4–5.6 → 3.9–4.1 ms; 256→512 3×3/2 at 14², 2.4–3.3 → 1.8–2.5 ms.)
    /// </summary>
    private static bool TransposedPays(bool transA, int m, int n)
    {
        // (its scratch Cᵀ is kept per thread: at most 16 MB)
        if (Kernel != Isa.Avx2 || n >= NR * 16 || (long)m * n > 1 << 22) return false;
        int rows = Rows;
        long asIs = (long)((n + NR - 1) / NR * NR) * ((m + rows - 1) / rows * rows);
        long transposed = (long)((m + NR - 1) / NR * NR) * ((n + rows - 1) / rows * rows);
        return transposed * 20 <= asIs * (transA ? 18 : 17);
    }

    /// <summary>
    /// C[M,N] (=|+=) op(A)·B as Cᵀ = Bᵀ·op(A)ᵀ into a scratch matrix, then transposed into C. Every element is the same chain of
    /// fused multiply-adds over K as the direct route (the multiplicands of each step swap places), and an accumulated C
    /// is transposed in first, so the result is bit for bit the direct route's.
    /// </summary>
    private static void MultiplyTransposed(bool transA, int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        var scratch = _transposedC;
        if (scratch is null || scratch.Length < m * n) _transposedC = scratch = GC.AllocateUninitializedArray<float>(Math.Max(m * n, 1 << 16), pinned: true);
        fixed (float* t = scratch)
        {
            if (accumulate) Transpose(c, ldc, m, n, t, m);
            Multiply(true, n, m, k, b, ldb, new DenseSource(a, lda), transB: !transA, t, m, accumulate);
            Transpose(t, m, n, m, c, ldc);
        }
    }

    /// <summary>dst[j·ldd + i] = src[i·lds + j] for i &lt; rows, j &lt; cols (8×8 register blocks, scalar edges).</summary>
    private static void Transpose(float* src, int lds, int rows, int cols, float* dst, int ldd)
    {
        int i = 0;
        if (Avx.IsSupported)
            for (; i + 8 <= rows; i += 8)
            {
                int j = 0;
                for (; j + 8 <= cols; j += 8) Transpose8x8(src + (long)i * lds + j, lds, dst + (long)j * ldd + i, ldd);
                for (; j < cols; j++)
                    for (int r = i; r < i + 8; r++) dst[(long)j * ldd + r] = src[(long)r * lds + j];
            }
        for (; i < rows; i++)
            for (int j = 0; j < cols; j++) dst[(long)j * ldd + i] = src[(long)i * lds + j];
    }

    /// <summary>
    /// C[M,N] (=|+=) op(A) · op(S) where the B operand comes from a <typeparamref name="TSource"/>: op(S) = S when
    /// <paramref name="transB"/> is false (S is K×N), Sᵀ otherwise (S is N×K). Convolution passes an implicit im2col
    /// source here, so its column matrix is never written to memory.
    /// </summary>
    internal static void Multiply<TSource>(bool transA, int m, int n, int k, float* a, int lda, TSource source, bool transB,
        float* c, int ldc, bool accumulate) where TSource : struct, IMatrixSource
    {
        if (m == 0 || n == 0) return;
        int mPanels = (m + Rows - 1) / Rows;
        int nPanelsTotal = (n + NR - 1) / NR;
        // Tiles are (column chunk × row group) blocks of C. A tile packs its own rows of A and its own columns of B,
        // on the thread that computes it, so every packed panel it reads sits in that core's caches (the two cores of
        // this machine may not share an L3; shared packed operands cost up to half the throughput). Packing work is
        // duplicated across tiles — rows of A once per column chunk, columns of B once per row group — so the split
        // minimizes (chunks·M + groups·N) among those giving at least the target number of tiles.
        int targetTiles = TilesPerThread * ParallelKernels.Threads;
        int bestChunks = 1, bestGroups = 1;
        long bestCost = long.MaxValue;
        for (int chunks = 1; chunks <= Math.Min(nPanelsTotal, targetTiles); chunks++)
        {
            int groups = Math.Min(mPanels, (targetTiles + chunks - 1) / chunks);
            long cost = (long)chunks * m + (long)groups * n * source.PackCost;
            if (chunks * groups < Math.Min(targetTiles, nPanelsTotal * mPanels)) cost += long.MaxValue / 4;
            if (cost < bestCost) { bestCost = cost; bestChunks = chunks; bestGroups = groups; }
        }
        int nChunk = Math.Min(NChunk, (nPanelsTotal + bestChunks - 1) / bestChunks * NR);
        int nChunks = (n + nChunk - 1) / nChunk;
        int panelsPerGroup = (mPanels + bestGroups - 1) / bestGroups;
        int mGroups = (mPanels + panelsPerGroup - 1) / panelsPerGroup;
        // Where C has more than one column chunk, every chunk's tiles read the same rows of A: those are packed once,
        // block by block on every core, and shared, rather than packed again by each tile (ResNet-18's 512→512 3×3 at
        // 7², batch 1 — the transposed route's 49-row A read by eight tiles: 2.96–2.98 → 2.43–2.63 ms; 128×784×1152,
        // 144 → 156 GFLOP/s; in-process A/B, AVX2, 2 threads, the two orders alternating). Each K block's panels are
        // packed in order on one thread, as in a tile, so a 6-row panel's two-lane overhang lands in the next panel
        // before it is packed, or in the block's slack. Not on the AVX-512 route: it was tuned on a host whose cores
        // may not share an L3, where operands packed by the other core cost throughput; this one has no such host.
        // (The AVX2 host measured shares its 32 MB L3.)
        int rows = Rows;
        bool serial = ParallelKernels.Serial((long)m * n * k);
        long blockStride = (long)KC * mPanels * rows + 16;
        int kBlocks = (k + KC - 1) / KC;
        if (Kernel != Isa.Avx512 && nChunks > 1 && blockStride * kBlocks <= SharedAFloats)
        {
            var buffer = _sharedA;
            long size = blockStride * kBlocks + 16;
            if (buffer is null || buffer.Length < size) _sharedA = buffer = GC.AllocateUninitializedArray<float>((int)Math.Max(size, 1 << 16), pinned: true);
            fixed (float* raw = buffer)
            {
                float* shared = Align64(raw);
                var pack = new SharedPack(a, lda, transA, m, k, rows, mPanels, shared, blockStride);
                ParallelKernels.For(kBlocks, pack, static (i, s) => s.Run(i), serial);
                var tiles = new TileState<TSource>(a, lda, transA, source, transB, k, m, n, c, ldc, accumulate, nChunk, nChunks, panelsPerGroup, shared, blockStride);
                ParallelKernels.For(nChunks * mGroups, tiles, static (i, s) => s.Run(i), serial);
            }
            return;
        }
        var plain = new TileState<TSource>(a, lda, transA, source, transB, k, m, n, c, ldc, accumulate, nChunk, nChunks, panelsPerGroup, null, 0);
        ParallelKernels.For(nChunks * mGroups, plain, static (i, s) => s.Run(i), serial);
    }

    // Up to 16 MB of packed A shared by the tiles (the calling thread's buffer).
    private const long SharedAFloats = 1 << 22;
    [ThreadStatic] private static float[]? _sharedA;

    /// <summary>Packs every row panel of one K block of op(A) into the shared buffer (blocks are blockStride apart).</summary>
    private readonly struct SharedPack(float* a, int lda, bool transA, int m, int k, int rows, int mPanels, float* shared, long blockStride)
    {
        public void Run(int block)
        {
            int p0 = block * KC, kc = Math.Min(KC, k - p0);
            float* dst = shared + block * blockStride;
            for (int ir = 0; ir < mPanels; ir++)
                PackAPanel(a, lda, transA, ir * rows, Math.Min(rows, m - ir * rows), m - ir * rows - rows, rows, p0, kc, dst + (long)ir * rows * kc);
        }
    }

    /// <summary>dst row r = src column r for an 8×8 block (unpack / shuffle / lane-permute, the classic AVX transpose).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int srcStride, float* dst, int dstStride)
    {
        var r0 = Avx.LoadVector256(src); var r1 = Avx.LoadVector256(src + srcStride);
        var r2 = Avx.LoadVector256(src + 2 * srcStride); var r3 = Avx.LoadVector256(src + 3 * srcStride);
        var r4 = Avx.LoadVector256(src + 4 * srcStride); var r5 = Avx.LoadVector256(src + 5 * srcStride);
        var r6 = Avx.LoadVector256(src + 6 * srcStride); var r7 = Avx.LoadVector256(src + 7 * srcStride);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    private static float* Align64(float* p) => (float*)(((nuint)p + 63) & ~(nuint)63);

    /// <summary>Dense row-major storage as a matrix source.</summary>
    private readonly struct DenseSource(float* data, int ld) : IMatrixSource
    {
        public float* TryRow(int row, int colStart) => data + (long)row * ld + colStart;
        public void FillRow(int row, int colStart, int count, float* dst) =>
            new ReadOnlySpan<float>(data + (long)row * ld + colStart, count).CopyTo(new Span<float>(dst, count));

        /// <summary>
        /// Packs row by row across all panels: each row of B is read once, front to back, instead of once per panel at
        /// a stride of ld (a panel at a time walks kc rows a page or more apart, which the prefetchers do not follow).
        /// </summary>
        public bool TryPackPanels(int p0, int kc, int j0, int nc, int nr, float* dst)
        {
            int full = nc / nr, rest = nc - full * nr;
            long panelStride = (long)nr * kc;
            for (int p = 0; p < kc; p++)
            {
                float* src = data + (long)(p0 + p) * ld + j0;
                float* d = dst + (long)p * nr;
                for (int q = 0; q < full; q++, src += nr, d += panelStride)
                {
                    Vector256.Store(Vector256.Load(src), d);
                    Vector256.Store(Vector256.Load(src + 8), d + 8);
                    Vector256.Store(Vector256.Load(src + 16), d + 16);
                    Vector256.Store(Vector256.Load(src + 24), d + 24);
                }
                if (rest > 0)
                {
                    new ReadOnlySpan<float>(src, rest).CopyTo(new Span<float>(d, rest));
                    new Span<float>(d + rest, nr - rest).Clear();
                }
            }
            return true;
        }

        public int PackCost => 1;
    }

    [ThreadStatic] private static float[]? _rowScratch;

    /// <summary>
    /// Packs NR-column panel <paramref name="panel"/> of op(S) rows [p0, p0 + kc), columns from <paramref name="j0"/>
    /// into dst[p·NR + j] (zero columns past n).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void PackBPanel<TSource>(in TSource source, bool transB, int p0, int kc, int n, int j0, int panel, float* dst)
        where TSource : struct, IMatrixSource
    {
        int jStart = j0 + panel * NR;
        int nr = Math.Min(NR, n - jStart);
        if (!transB)
        {
            for (int p = 0; p < kc; p++, dst += NR)
            {
                float* src = source.TryRow(p0 + p, jStart);
                if (src is not null && nr == NR)
                {
                    Vector256.Store(Vector256.Load(src), dst);
                    Vector256.Store(Vector256.Load(src + 8), dst + 8);
                    Vector256.Store(Vector256.Load(src + 16), dst + 16);
                    Vector256.Store(Vector256.Load(src + 24), dst + 24);
                    continue;
                }
                if (src is not null) new ReadOnlySpan<float>(src, nr).CopyTo(new Span<float>(dst, nr));
                else source.FillRow(p0 + p, jStart, nr, dst);
                for (int j = nr; j < NR; j++) dst[j] = 0f;
            }
            return;
        }
        // op(S) = Sᵀ: column j of the panel is row jStart + j of S, contiguous along p. Rows the source cannot expose
        // in place are first gathered into scratch; 8×8 blocks are then transposed in registers.
        var scratch = _rowScratch;
        if (scratch is null || scratch.Length < NR * KC) _rowScratch = scratch = GC.AllocateArray<float>(NR * KC, pinned: true);
        fixed (float* rows = scratch)
        {
            int pVec = Avx.IsSupported ? kc / 8 * 8 : 0;
            for (int j = 0; j < NR; j++)
            {
                if (j >= nr)
                {
                    for (int p = 0; p < kc; p++) dst[p * NR + j] = 0f;
                    continue;
                }
                float* src = source.TryRow(jStart + j, p0);
                if (src is null)
                {
                    src = rows + j * KC;
                    source.FillRow(jStart + j, p0, kc, src);
                }
                if (Avx.IsSupported && j % 8 == 7 && j < nr)
                {
                    // rows j-7..j are ready: transpose their 8×8 blocks
                    int jb = j - 7;
                    float* first = source.TryRow(jStart + jb, p0);
                    bool dense = first is not null;
                    for (int pb = 0; pb < pVec; pb += 8)
                    {
                        if (dense) Transpose8x8(first + pb, StrideOf(source, jStart, p0), dst + pb * NR + jb, NR);
                        else Transpose8x8(rows + jb * KC + pb, KC, dst + pb * NR + jb, NR);
                    }
                    for (int jj = jb; jj <= j; jj++)
                    {
                        float* r = dense ? source.TryRow(jStart + jj, p0) : rows + jj * KC;
                        for (int p = pVec; p < kc; p++) dst[p * NR + jj] = r[p];
                    }
                }
            }
            // columns not covered by a full block of 8
            int covered = Avx.IsSupported ? nr / 8 * 8 : 0;
            for (int j = covered; j < nr; j++)
            {
                float* r = source.TryRow(jStart + j, p0);
                if (r is null) r = rows + j * KC;
                for (int p = 0; p < kc; p++) dst[p * NR + j] = r[p];
            }
        }
    }

    /// <summary>Distance between consecutive rows of a source that exposes rows in place.</summary>
    private static int StrideOf<TSource>(in TSource source, int row, int col) where TSource : struct, IMatrixSource =>
        (int)(source.TryRow(row + 1, col) - source.TryRow(row, col));

    private readonly struct TileState<TSource>(float* a, int lda, bool transA, TSource source, bool transB, int k, int m, int n,
        float* c, int ldc, bool accumulate, int nChunk, int nChunks, int panelsPerGroup, float* sharedA, long blockStride) where TSource : struct, IMatrixSource
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void Run(int tile)
        {
            int nb = tile % nChunks, mg = tile / nChunks;
            int j0 = nb * nChunk, nc = Math.Min(nChunk, n - j0);
            int nPanels = (nc + NR - 1) / NR;
            int rows = Rows;
            int mPanels = (m + rows - 1) / rows;
            int irStart = mg * panelsPerGroup, irEnd = Math.Min(mPanels, irStart + panelsPerGroup);
            int kcMax = Math.Min(KC, k);
            // Pinned, over-allocated by one cache line so the panels start 64-byte aligned: a misaligned 512-bit
            // load splits across two cache lines and halves the micro-kernel's load bandwidth.
            var packB = _packB;
            int sizeB = nPanels * NR * kcMax + 16;
            if (packB is null || packB.Length < sizeB) _packB = packB = GC.AllocateArray<float>(Math.Max(sizeB, NChunk * KC + 16), pinned: true);
            var packA = _packA;
            int sizeA = (irEnd - irStart) * rows * kcMax + 32; // alignment, and the 6-row packing's two-lane overhang
            if (packA is null || packA.Length < sizeA) _packA = packA = GC.AllocateArray<float>(sizeA, pinned: true);
            float* tmp = stackalloc float[MR * NR];
            fixed (float* pbRaw = packB)
            fixed (float* paRaw = packA)
            {
                float* pb = Align64(pbRaw), pa = Align64(paRaw);
                for (int p0 = 0; p0 < k; p0 += KC)
                {
                    int kc = Math.Min(KC, k - p0);
                    bool add = accumulate || p0 > 0;
                    if (transB || !source.TryPackPanels(p0, kc, j0, nc, NR, pb))
                        for (int panel = 0; panel < nPanels; panel++)
                            PackBPanel(source, transB, p0, kc, n, j0, panel, pb + (long)panel * NR * kc);
                    if (sharedA is not null) pa = sharedA + (p0 / KC) * blockStride + (long)irStart * rows * kc;
                    else
                        for (int ir = irStart; ir < irEnd; ir++)
                            PackAPanel(a, lda, transA, ir * rows, Math.Min(rows, m - ir * rows), m - ir * rows - rows, rows, p0, kc, pa + (long)(ir - irStart) * rows * kc);
                    for (int jr = 0; jr < nc; jr += NR)
                    {
                        int nr = Math.Min(NR, nc - jr);
                        float* bPanel = pb + (long)(jr / NR) * NR * kc;
                        for (int ir = irStart; ir < irEnd; ir++)
                        {
                            int mr = Math.Min(rows, m - ir * rows);
                            float* aPanel = pa + (long)(ir - irStart) * rows * kc;
                            float* cTile = c + (long)ir * rows * ldc + j0 + jr;
                            if (mr == rows && (nr == NR || nr == HalfTile))
                            {
                                MicroKernel(kc, aPanel, bPanel, cTile, ldc, add, nr);
                            }
                            else
                            {
                                MicroKernel(kc, aPanel, bPanel, tmp, NR, false, nr);
                                for (int i = 0; i < mr; i++)
                                for (int j = 0; j < nr; j++)
                                {
                                    float v = tmp[i * NR + j];
                                    cTile[(long)i * ldc + j] = add ? cTile[(long)i * ldc + j] + v : v;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs rows [i0, i0 + mr) × k-range [p0, p0 + kc) of op(A) into one <paramref name="height"/>-row panel
    /// (element (i, q) at q·height + i; zero rows past mr). <paramref name="more"/> rows of A exist past the panel's.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void PackAPanel(float* a, int lda, bool transA, int i0, int mr, int more, int height, int p0, int kc, float* panel)
    {
        if (!transA)
        {
            int p = 0;
            if (mr == 8 && height == 8 && Avx.IsSupported)
            {
                float* src = a + (long)i0 * lda + p0;
                for (; p + 8 <= kc; p += 8) Transpose8x8(src + p, lda, panel + p * 8, 8);
            }
            else if (mr == 6 && height == 6 && more >= 2 && Avx.IsSupported)
            {
                // 8×8 transposes whose last two rows belong to the next panel: each 8-wide store of column q lands at
                // q·6 and its two extra lanes are overwritten by column q + 1 (the last one's fall in the buffer's
                // slack or the next panel, packed after this one)
                float* src = a + (long)i0 * lda + p0;
                for (; p + 8 <= kc; p += 8) Transpose8x8(src + p, lda, panel + p * 6, 6);
            }
            for (int i = 0; i < height; i++)
            {
                if (i < mr)
                {
                    float* src = a + (long)(i0 + i) * lda + p0;
                    for (int q = p; q < kc; q++) panel[q * height + i] = src[q];
                }
                else
                {
                    for (int q = p; q < kc; q++) panel[q * height + i] = 0f;
                }
            }
        }
        else
        {
            // A stored transposed: element (i, p) at a[p * lda + i]; the panel's rows are contiguous in memory.
            // A 6-row panel with two more rows of A after it copies 8 floats per step: the two extra lanes land where
            // step p + 1 writes next (the last step's in the buffer's slack or the next panel, packed after this one).
            bool wide = mr == 6 && height == 6 && more >= 2;
            for (int p = 0; p < kc; p++)
            {
                float* src = a + (long)(p0 + p) * lda + i0;
                float* d = panel + p * height;
                if (mr == 8 && height == 8 || wide) Vector256.Store(Vector256.Load(src), d);
                else
                {
                    int i = 0;
                    for (; i < mr; i++) d[i] = src[i];
                    for (; i < height; i++) d[i] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// Columns an AVX2 tile computes in one half (its 6×16 kernel). Where a panel's real columns end in the first half
    /// (C of 784 or 196 columns: the last 32-wide panel holds 16 or 4), the second half is skipped; other kernels
    /// compute whole tiles (0: never a half).
    /// </summary>
    private static int HalfTile => Kernel == Isa.Avx2 ? 16 : 0;

    /// <summary>One register tile into c; on AVX2 only the 16-column halves that hold any of <paramref name="columns"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MicroKernel(int kc, float* a, float* b, float* c, int ldc, bool accumulate, int columns = NR)
    {
        if (Kernel == Isa.Avx2)
        {
            Kernel6x16(kc, a, b, c, ldc, accumulate);
            if (columns > 16) Kernel6x16(kc, a, b + 16, c + 16, ldc, accumulate);
        }
        else MicroTile(kc, a, MR, b, c, ldc, accumulate);
    }

    /// <summary>
    /// One MR×NR register tile: c[i][0..NR) (=|+=) Σ_p a[p·lda + i]·b[p·NR + j] for i &lt; MR — the A column of step p
    /// is MR consecutive values lda apart from the next (MR when packed; Winograd's products read their transformed
    /// tiles in place with lda = their row length), B is packed NR wide.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MicroTile(int kc, float* a, int lda, float* b, float* c, int ldc, bool accumulate)
    {
        switch (Kernel)
        {
            case Isa.Avx512: Kernel512(kc, a, lda, b, c, ldc, accumulate); break;
            case Isa.Avx2:
                // four 4×16 quarter tiles: 8 accumulators + 2 B rows + 1 broadcast fit AVX2's 16 registers (a full
                // 8×16 half needs 19 and the JIT spills; measured 117 → see the benchmarks' header for the rate)
                Kernel256(kc, a, lda, b, c, ldc, accumulate, 0, 0);
                Kernel256(kc, a, lda, b, c, ldc, accumulate, 0, 16);
                Kernel256(kc, a, lda, b, c, ldc, accumulate, 4, 0);
                Kernel256(kc, a, lda, b, c, ldc, accumulate, 4, 16);
                break;
            default: KernelPortable(kc, a, lda, b, c, ldc, accumulate); break;
        }
    }

    // Never inlined: inside a larger caller the JIT's register allocator spills the 16 accumulators.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(int kc, float* a, int lda, float* b, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10); c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20); c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30); c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(a4, b0, c40); c41 = Avx512F.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(a5, b0, c50); c51 = Avx512F.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(a6, b0, c60); c61 = Avx512F.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(a7, b0, c70); c71 = Avx512F.FusedMultiplyAdd(a7, b1, c71);
            a += lda;
            b += NR;
        }
        Store512(c, c00, c01, accumulate); c += ldc;
        Store512(c, c10, c11, accumulate); c += ldc;
        Store512(c, c20, c21, accumulate); c += ldc;
        Store512(c, c30, c31, accumulate); c += ldc;
        Store512(c, c40, c41, accumulate); c += ldc;
        Store512(c, c50, c51, accumulate); c += ldc;
        Store512(c, c60, c61, accumulate); c += ldc;
        Store512(c, c70, c71, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* c, Vector512<float> v0, Vector512<float> v1, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
        }
        Vector512.Store(v0, c);
        Vector512.Store(v1, c + 16);
    }

    /// <summary>Rows [row, row + 4) × columns [col, col + 16) of an MR×NR tile.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(int kc, float* a, int lda, float* b, float* c, int ldc, bool accumulate, int row, int col)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        a += row;
        b += col;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(a1, b0, c10); c11 = Fma.MultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(a2, b0, c20); c21 = Fma.MultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(a3, b0, c30); c31 = Fma.MultiplyAdd(a3, b1, c31);
            a += lda;
            b += NR;
        }
        c += (long)row * ldc + col;
        Store256(c, c00, c01, accumulate); c += ldc;
        Store256(c, c10, c11, accumulate); c += ldc;
        Store256(c, c20, c21, accumulate); c += ldc;
        Store256(c, c30, c31, accumulate);
    }

    /// <summary>
    /// AVX2 GEMM tile: rows [0, 6) of a 6-row packed A panel × 16 columns of a packed B panel (NR wide). Twelve
    /// accumulators keep both FMA pipes busy through the FMA latency; 15 live registers, so the JIT does not spill.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(a1, b0, c10); c11 = Fma.MultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(a2, b0, c20); c21 = Fma.MultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(a3, b0, c30); c31 = Fma.MultiplyAdd(a3, b1, c31);
            var a4 = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(a4, b0, c40); c41 = Fma.MultiplyAdd(a4, b1, c41);
            var a5 = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(a5, b0, c50); c51 = Fma.MultiplyAdd(a5, b1, c51);
            a += Mr2;
            b += NR;
        }
        Store256(c, c00, c01, accumulate); c += ldc;
        Store256(c, c10, c11, accumulate); c += ldc;
        Store256(c, c20, c21, accumulate); c += ldc;
        Store256(c, c30, c31, accumulate); c += ldc;
        Store256(c, c40, c41, accumulate); c += ldc;
        Store256(c, c50, c51, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* c, Vector256<float> v0, Vector256<float> v1, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c + 8);
        }
        Vector256.Store(v0, c);
        Vector256.Store(v1, c + 8);
    }

    private static void KernelPortable(int kc, float* a, int lda, float* b, float* c, int ldc, bool accumulate)
    {
        float* acc = stackalloc float[MR * NR];
        new Span<float>(acc, MR * NR).Clear();
        for (int p = 0; p < kc; p++, a += lda, b += NR)
            for (int i = 0; i < MR; i++)
            {
                float ai = a[i];
                for (int j = 0; j < NR; j++) acc[i * NR + j] = MathF.FusedMultiplyAdd(ai, b[j], acc[i * NR + j]);
            }
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                c[(long)i * ldc + j] = accumulate ? c[(long)i * ldc + j] + acc[i * NR + j] : acc[i * NR + j];
    }

    private static void Naive(bool transA, bool transB, int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            float* ci = c + (long)i * ldc;
            if (!accumulate) new Span<float>(ci, n).Clear();
            for (int p = 0; p < k; p++)
            {
                float aip = transA ? a[(long)p * lda + i] : a[(long)i * lda + p];
                if (!transB)
                {
                    float* bp = b + (long)p * ldb;
                    for (int j = 0; j < n; j++) ci[j] = MathF.FusedMultiplyAdd(aip, bp[j], ci[j]);
                }
                else
                {
                    for (int j = 0; j < n; j++) ci[j] = MathF.FusedMultiplyAdd(aip, b[(long)j * ldb + p], ci[j]);
                }
            }
        }
    }
}
