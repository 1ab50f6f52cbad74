using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lucid.Tensors.Kernels;

/// <summary>
/// Max pooling of one [H, W] plane with dilation 1, vectorized and separable: a vertical pass takes, for every output
/// row and input column, the maximum over the window's rows (contiguous loads, any stride); a horizontal pass takes the
/// maximum over the window's columns from stride-phase copies of that row, so its loads are contiguous too.
/// <para>
/// Winner: the largest value; NaN beats every number; ties go to the smallest flat index h·W + w, i.e. the first in
/// row-major scan order — the scalar definition (and PyTorch's), whichever pass sees the candidates first.
/// </para>
/// </summary>
[SkipLocalsInit]
internal static unsafe class MaxPoolKernel
{
    private const int Lanes = 8;

    /// <summary>Planes [first, first + count) of contiguous [H, W] inputs and [OH, OW] outputs.</summary>
    public static void Planes(float* src, float* dst, int* idx, int first, int count, int h, int w, int oh, int ow,
        int kh, int kw, int sh, int sw, int ph, int pw)
    {
        // per output row: column maxima (value, flat index), then per stride phase q the padded row
        // Q_q[k] = P[s·k + q − pw] with P = the column maxima and −∞ outside [0, w)
        int phaseLength = RoundUp(ow + (kw - 1) / sw + 1, Lanes);
        int scratch = RoundUp(w, Lanes) + sw * phaseLength;
        float[]? rentedF = null;
        int[]? rentedI = null;
        Span<float> fs = scratch <= 2048 ? stackalloc float[scratch] : (rentedF = System.Buffers.ArrayPool<float>.Shared.Rent(scratch));
        Span<int> ins = scratch <= 2048 ? stackalloc int[scratch] : (rentedI = System.Buffers.ArrayPool<int>.Shared.Rent(scratch));
        try
        {
            fixed (float* fbase = fs)
            fixed (int* ibase = ins)
            {
                float* colMax = fbase;
                int* colIdx = ibase;
                float* phaseV = fbase + RoundUp(w, Lanes);
                int* phaseI = ibase + RoundUp(w, Lanes);
                for (int plane = first; plane < first + count; plane++)
                for (int i = 0; i < oh; i++)
                {
                    Vertical(src + (long)plane * h * w, colMax, colIdx, h, w, i * sh - ph, kh);
                    for (int q = 0; q < sw; q++)
                    {
                        float* qv = phaseV + q * phaseLength;
                        int* qi = phaseI + q * phaseLength;
                        for (int k = 0; k < phaseLength; k++)
                        {
                            int col = sw * k + q - pw;
                            if ((uint)col < (uint)w) { qv[k] = colMax[col]; qi[k] = colIdx[col]; }
                            else { qv[k] = float.NegativeInfinity; qi[k] = int.MaxValue; }
                        }
                    }
                    long o = (long)plane * oh * ow + i * ow;
                    Horizontal(phaseV, phaseI, phaseLength, dst + o, idx + o, ow, kw, sw);
                }
            }
        }
        finally
        {
            if (rentedF is not null) System.Buffers.ArrayPool<float>.Shared.Return(rentedF);
            if (rentedI is not null) System.Buffers.ArrayPool<int>.Shared.Return(rentedI);
        }
    }

    private static int RoundUp(int v, int m) => (v + m - 1) / m * m;

    /// <summary>Column maxima over input rows r0 .. r0 + kh − 1 (clipped); rows ascend, so the first maximum wins.</summary>
    private static void Vertical(float* src, float* colMax, int* colIdx, int h, int w, int r0, int kh)
    {
        int first = Math.Max(r0, 0), last = Math.Min(r0 + kh, h) - 1;
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            for (; j + Lanes <= w; j += Lanes)
            {
                var best = Vector256.Load(src + first * w + j);
                var bestIdx = Vector256.Create(first * w + j) + lane;
                for (int r = first + 1; r <= last; r++)
                {
                    var v = Vector256.Load(src + r * w + j);
                    // strictly greater, or NaN over a number
                    var better = Vector256.GreaterThan(v, best) | (~Vector256.Equals(v, v) & Vector256.Equals(best, best));
                    best = Vector256.ConditionalSelect(better, v, best);
                    bestIdx = Vector256.ConditionalSelect(better.AsInt32(), Vector256.Create(r * w + j) + lane, bestIdx);
                }
                best.Store(colMax + j);
                bestIdx.Store(colIdx + j);
            }
        }
        for (; j < w; j++)
        {
            float best = src[first * w + j];
            int bestIdx = first * w + j;
            for (int r = first + 1; r <= last; r++)
            {
                float v = src[r * w + j];
                if (v > best || float.IsNaN(v) && !float.IsNaN(best)) { best = v; bestIdx = r * w + j; }
            }
            colMax[j] = best;
            colIdx[j] = bestIdx;
        }
    }

    /// <summary>out[j] = max over kj of Q_{kj mod s}[j + kj / s]; ties (and NaN against NaN) go to the smaller index.</summary>
    private static void Horizontal(float* phaseV, int* phaseI, int phaseLength, float* dst, int* idx, int ow, int kw, int sw)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + Lanes <= ow; j += Lanes)
            {
                var best = Vector256.Load(phaseV + j);
                var bestIdx = Vector256.Load(phaseI + j);
                for (int kj = 1; kj < kw; kj++)
                {
                    int offset = kj % sw * phaseLength + kj / sw + j;
                    var v = Vector256.Load(phaseV + offset);
                    var vi = Vector256.Load(phaseI + offset);
                    var smaller = Vector256.LessThan(vi, bestIdx).AsSingle();
                    var vNaN = ~Vector256.Equals(v, v);
                    var bNaN = ~Vector256.Equals(best, best);
                    var better = Vector256.GreaterThan(v, best) | (Vector256.Equals(v, best) & smaller) | (vNaN & (~bNaN | smaller));
                    best = Vector256.ConditionalSelect(better, v, best);
                    bestIdx = Vector256.ConditionalSelect(better.AsInt32(), vi, bestIdx);
                }
                best.Store(dst + j);
                bestIdx.Store(idx + j);
            }
        }
        for (; j < ow; j++)
        {
            float best = phaseV[j];
            int bestIdx = phaseI[j];
            for (int kj = 1; kj < kw; kj++)
            {
                int offset = kj % sw * phaseLength + kj / sw + j;
                float v = phaseV[offset];
                int vi = phaseI[offset];
                if (Better(v, vi, best, bestIdx)) { best = v; bestIdx = vi; }
            }
            dst[j] = best;
            idx[j] = bestIdx;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Better(float v, int vi, float best, int bestIdx) =>
        v > best || v == best && vi < bestIdx || float.IsNaN(v) && (!float.IsNaN(best) || vi < bestIdx);
}
