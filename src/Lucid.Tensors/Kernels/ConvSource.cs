using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lucid.Tensors.Kernels;

/// <summary>
/// The im2col matrix of a convolution, computed on demand: row (c, ki, kj), column (image, oh, ow) holds
/// x[image, c, oh·sH − pH + ki·dH, ow·sW − pW + kj·dW] (zero outside the image). The GEMM packs its panels straight
/// from the image through this source, so the column matrix (kH·kW times the input's size) is never stored.
/// </summary>
internal readonly unsafe struct ConvSource(float* images, int imageStride, ConvGeometry g) : IMatrixSource
{
    public float* TryRow(int row, int colStart) => null;

    public int PackCost => 4;

    /// <summary>Packs a whole column chunk row by row: each row is decoded once and copied in runs split at panel edges.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool TryPackPanels(int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        int kk = g.KernelH * g.KernelW;
        int cols = g.Cols;
        int image0 = j0 / cols, pos0 = j0 % cols, oh0 = pos0 / g.OutW, ow0 = pos0 % g.OutW;
        int panels = (nc + nr - 1) / nr;
        int tail = panels * nr - nc;
        for (int p = 0; p < kc; p++)
        {
            int row = p0 + p;
            int c = row / kk, r = row % kk, ki = r / g.KernelW, kj = r % g.KernelW;
            int iw0 = kj * g.DilationW - g.PadW;
            Im2Col.ValidColumns(g, iw0, out int owStart, out int owEnd);
            long planeOffset = (long)c * g.Height * g.Width;
            float* rowBase = dst + p * nr;
            int image = image0, oh = oh0, ow = ow0, j = 0;
            while (j < nc)
            {
                int run = Math.Min(nc - j, g.OutW - ow);
                int ih = oh * g.StrideH - g.PadH + ki * g.DilationH;
                float* srcRow = (uint)ih < (uint)g.Height ? images + (long)image * imageStride + planeOffset + (long)ih * g.Width : null;
                for (int o = ow; o < ow + run;)
                {
                    int column = j + (o - ow);
                    int piece = Math.Min(ow + run - o, nr - column % nr);
                    float* d = rowBase + (long)(column / nr) * nr * kc + column % nr;
                    CopyRun(srcRow, o, piece, owStart, owEnd, iw0, d);
                    o += piece;
                }
                j += run;
                ow += run;
                if (ow == g.OutW)
                {
                    ow = 0;
                    if (++oh == g.OutH) { oh = 0; image++; }
                }
            }
            if (tail > 0) new Span<float>(rowBase + (long)(panels - 1) * nr * kc + nr - tail, tail).Clear();
        }
        return true;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void FillRow(int row, int colStart, int count, float* dst)
    {
        int kk = g.KernelH * g.KernelW;
        int c = row / kk, r = row % kk, ki = r / g.KernelW, kj = r % g.KernelW;
        int cols = g.Cols;
        int image = colStart / cols, pos = colStart % cols;
        int oh = pos / g.OutW, ow = pos % g.OutW;
        int iw0 = kj * g.DilationW - g.PadW;
        Im2Col.ValidColumns(g, iw0, out int owStart, out int owEnd);
        long planeOffset = (long)c * g.Height * g.Width;
        while (count > 0)
        {
            int run = Math.Min(count, g.OutW - ow);
            int ih = oh * g.StrideH - g.PadH + ki * g.DilationH;
            float* srcRow = (uint)ih < (uint)g.Height ? images + (long)image * imageStride + planeOffset + (long)ih * g.Width : null;
            CopyRun(srcRow, ow, run, owStart, owEnd, iw0, dst);
            dst += run;
            count -= run;
            ow += run;
            if (ow == g.OutW)
            {
                ow = 0;
                if (++oh == g.OutH) { oh = 0; image++; }
            }
        }
    }

    /// <summary>
    /// Output columns [o, o + count) of one kernel tap along an input row: copies where the tap lands inside the image
    /// (columns [owStart, owEnd)), zeros elsewhere and for a row outside the image (<paramref name="srcRow"/> null).
    /// </summary>
    private void CopyRun(float* srcRow, int o, int count, int owStart, int owEnd, int iw0, float* dst)
    {
        if (srcRow is null)
        {
            new Span<float>(dst, count).Clear();
            return;
        }
        int a = Math.Clamp(owStart, o, o + count), b = Math.Clamp(owEnd, a, o + count);
        for (int q = o; q < a; q++) dst[q - o] = 0f;
        if (g.StrideW == 1)
            new ReadOnlySpan<float>(srcRow + a + iw0, b - a).CopyTo(new Span<float>(dst + (a - o), b - a));
        else if (g.StrideW == 2 && Avx2.IsSupported)
        {
            // every other element: two 8-wide loads, their even lanes gathered into one vector (the second load's
            // last lane is the odd one after column q + 7's: inside the image while column q + 8 is)
            int q = a;
            var even = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
            for (; q + 9 <= b; q += 8)
            {
                float* s = srcRow + q * 2 + iw0;
                var lo = Avx2.PermuteVar8x32(Vector256.Load(s), even);
                var hi = Avx2.PermuteVar8x32(Vector256.Load(s + 8), even);
                Vector256.Store(Avx2.Permute2x128(lo, hi, 0x20), dst + (q - o));
            }
            for (; q < b; q++) dst[q - o] = srcRow[q * 2 + iw0];
        }
        else
            for (int q = a; q < b; q++) dst[q - o] = srcRow[q * g.StrideW + iw0];
        for (int q = b; q < o + count; q++) dst[q - o] = 0f;
    }
}
