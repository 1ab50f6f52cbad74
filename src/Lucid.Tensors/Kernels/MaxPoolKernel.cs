using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lucid.Tensors.Kernels;

/// <summary>
/// Max pooling with dilation 1, vectorized and separable, on whole planes at once so that small maps (the 8×8 and
/// 4×4 maps of late Inception layers) run as long vector loops too:
/// <list type="number">
/// <item>the plane is copied into a buffer padded with −∞ to exactly the windows' reach (Hp × Wp);</item>
/// <item>a vertical pass takes, for every output row i and padded column, the maximum over the window's rows — for
/// stride 1 one flat loop over all rows, since row i + ki is i·Wp + ki·Wp further on;</item>
/// <item>for stride s &gt; 1 those rows are split into s column phases, so that the horizontal pass — the maximum
/// over the window's columns, again one flat loop — reads contiguous memory.</item>
/// </list>
/// Winner: the largest value; NaN beats every number; ties go to the first in row-major scan order (PyTorch's rule).
/// Candidates are tracked by the code ki·2¹⁶ + padded column — within one output's window that orders them row-major,
/// and it turns into an input index with a shift and a mask. A window whose real values are all −∞ could tie with
/// the −∞ padding, so those (rare) outputs are re-scanned exactly.
/// </summary>
[SkipLocalsInit]
internal static unsafe class MaxPoolKernel
{
    private const int Lanes = 8;

    /// <summary>Planes [first, first + count) of contiguous [H, W] inputs and [OH, OW] outputs.</summary>
    public static void Planes(float* src, float* dst, int* idx, int first, int count, int h, int w, int oh, int ow,
        int kh, int kw, int sh, int sw, int ph, int pw)
    {
        int hp = (oh - 1) * sh + kh, wp = (ow - 1) * sw + kw;
        int lq = (wp + sw - 1) / sw;                 // columns per phase
        // slack past every buffer: vector loops run to a multiple of 8 and read up to a window further
        int slack = 2 * Lanes + kw + kh;
        int padded = hp * wp + slack, rows = oh * wp + slack, phases = oh * lq * sw + slack, outs = oh * lq + slack;
        var fs = ArrayPool<float>.Shared.Rent(padded + rows + phases + outs);
        var ins = ArrayPool<int>.Shared.Rent(rows * 2 + phases + outs);
        try
        {
            fixed (float* fbase = fs)
            fixed (int* ibase = ins)
            {
                float* p = fbase, v = p + padded, q = v + rows, o = q + phases;
                int* vi = ibase, qi = vi + rows, oi = qi + phases, columns = oi + outs;
                for (int t = 0; t < rows; t++) columns[t] = t % wp;
                new Span<float>(p + hp * wp, slack).Fill(float.NegativeInfinity);
                new Span<float>(v + oh * wp, slack).Fill(float.NegativeInfinity);
                new Span<int>(vi + oh * wp, slack).Fill(int.MaxValue);
                for (int plane = first; plane < first + count; plane++)
                {
                    float* x = src + (long)plane * h * w;
                    Pad(x, p, h, w, hp, wp, ph, pw);
                    Vertical(p, v, vi, columns, oh, wp, kh, sh);
                    float* hv = v;
                    int* hi = vi;
                    if (sw > 1)
                    {
                        SplitPhases(v, vi, q, qi, oh, wp, lq, sw, slack);
                        hv = q;
                        hi = qi;
                    }
                    Horizontal(hv, hi, o, oi, oh * lq, kw, sw, oh * lq, sw > 1);
                    float* y = dst + (long)plane * oh * ow;
                    int* yi = idx + (long)plane * oh * ow;
                    for (int i = 0; i < oh; i++)
                        Compact(o + i * lq, oi + i * lq, y + i * ow, yi + i * ow, ow, (i * sh - ph) * w - pw, w, i * sh, sw, kh, kw, ph, pw, h);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(fs);
            ArrayPool<int>.Shared.Return(ins);
        }
    }

    /// <summary>The padded plane: −∞ outside the image, rows and columns as far as the windows reach.</summary>
    private static void Pad(float* x, float* p, int h, int w, int hp, int wp, int ph, int pw)
    {
        for (int r = 0; r < hp; r++)
        {
            var row = new Span<float>(p + r * wp, wp);
            int source = r - ph;
            if ((uint)source >= (uint)h)
            {
                row.Fill(float.NegativeInfinity);
                continue;
            }
            int copy = Math.Min(w, wp - pw);
            row.Slice(0, pw).Fill(float.NegativeInfinity);
            new ReadOnlySpan<float>(x + source * w, copy).CopyTo(row.Slice(pw));
            row.Slice(pw + copy).Fill(float.NegativeInfinity);
        }
    }

    /// <summary>v[i·wp + c] = max over ki of p[(i·sh + ki)·wp + c], with the code ki·2¹⁶ + c of the first winner.</summary>
    private static void Vertical(float* p, float* v, int* vi, int* columns, int oh, int wp, int kh, int sh)
    {
        if (sh == 1)
        {
            VerticalRun(p, v, vi, columns, oh * wp, wp, kh);
            return;
        }
        for (int i = 0; i < oh; i++) VerticalRun(p + i * sh * wp, v + i * wp, vi + i * wp, columns, wp, wp, kh);
    }

    /// <summary>For t in [0, length): the best of src[t + ki·wp] over ki (rows ascend, so only strictly better replaces).</summary>
    private static void VerticalRun(float* src, float* v, int* vi, int* columns, int length, int wp, int kh)
    {
        int t = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // the last vector may run into the slack, whose results nobody reads
            for (; t < length; t += Lanes)
            {
                var best = Vector256.Load(src + t);
                var column = Vector256.Load(columns + t);
                var bestCode = column;
                for (int ki = 1; ki < kh; ki++)
                {
                    var value = Vector256.Load(src + t + ki * wp);
                    var better = Vector256.GreaterThan(value, best) | (~Vector256.Equals(value, value) & Vector256.Equals(best, best));
                    best = Vector256.ConditionalSelect(better, value, best);
                    bestCode = Vector256.ConditionalSelect(better.AsInt32(), column + Vector256.Create(ki << 16), bestCode);
                }
                best.Store(v + t);
                bestCode.Store(vi + t);
            }
            return;
        }
        for (; t < length; t++)
        {
            float best = src[t];
            int bestCode = columns[t];
            for (int ki = 1; ki < kh; ki++)
            {
                float value = src[t + ki * wp];
                if (value > best || float.IsNaN(value) && !float.IsNaN(best)) { best = value; bestCode = columns[t] + (ki << 16); }
            }
            v[t] = best;
            vi[t] = bestCode;
        }
    }

    /// <summary>Row i of v, column c → phase c mod s, row i, column c / s (each phase row lq long, −∞ past the row).</summary>
    private static void SplitPhases(float* v, int* vi, float* q, int* qi, int oh, int wp, int lq, int s, int slack)
    {
        int phaseSize = oh * lq;
        for (int a = 0; a < s; a++)
            for (int i = 0; i < oh; i++)
            {
                float* qr = q + a * phaseSize + i * lq;
                int* qir = qi + a * phaseSize + i * lq;
                float* vr = v + i * wp + a;
                int* vir = vi + i * wp + a;
                int k = 0, full = (wp - a + s - 1) / s;
                if (s == 2 && Avx2.IsSupported)
                    // eight of every other element from two loads: shuffle within lanes, then order the 64-bit pairs
                    for (; k + Lanes <= full && a + 2 * k + 2 * Lanes <= wp; k += Lanes)
                    {
                        var lo = Avx.LoadVector256(vr - a + 2 * k);
                        var hi = Avx.LoadVector256(vr - a + 2 * k + Lanes);
                        var ilo = Avx.LoadVector256((float*)(vir - a + 2 * k));
                        var ihi = Avx.LoadVector256((float*)(vir - a + 2 * k + Lanes));
                        var values = a == 0 ? Avx.Shuffle(lo, hi, 0b10_00_10_00) : Avx.Shuffle(lo, hi, 0b11_01_11_01);
                        var codes = a == 0 ? Avx.Shuffle(ilo, ihi, 0b10_00_10_00) : Avx.Shuffle(ilo, ihi, 0b11_01_11_01);
                        Avx.Store(qr + k, Avx2.Permute4x64(values.AsDouble(), 0b11_01_10_00).AsSingle());
                        Avx.Store((float*)(qir + k), Avx2.Permute4x64(codes.AsDouble(), 0b11_01_10_00).AsSingle());
                    }
                for (; k < full; k++)
                {
                    qr[k] = vr[k * s];
                    qir[k] = vir[k * s];
                }
                for (; k < lq; k++)
                {
                    qr[k] = float.NegativeInfinity;
                    qir[k] = int.MaxValue;
                }
            }
        for (int t = s * phaseSize; t < s * phaseSize + slack; t++)
        {
            q[t] = float.NegativeInfinity;
            qi[t] = int.MaxValue;
        }
    }

    /// <summary>
    /// o[t] = the best of h[phase(kj) + t + kj / s] over kj, t in [0, length): for stride 1 the source is v itself
    /// (row stride wp, so t = i·wp + j); for stride s the phases are <paramref name="phaseSize"/> apart.
    /// Ties and NaN against NaN go to the smaller position.
    /// </summary>
    private static void Horizontal(float* hv, int* hi, float* o, int* oi, int length, int kw, int s, int phaseSize, bool phased)
    {
        int t = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; t < length; t += Lanes)
            {
                var best = Vector256.Load(hv + t);
                var bestIdx = Vector256.Load(hi + t);
                for (int kj = 1; kj < kw; kj++)
                {
                    int offset = (phased ? kj % s * phaseSize + kj / s : kj) + t;
                    var value = Vector256.Load(hv + offset);
                    var position = Vector256.Load(hi + offset);
                    var smaller = Vector256.LessThan(position, bestIdx).AsSingle();
                    var valueNaN = ~Vector256.Equals(value, value);
                    var bestNaN = ~Vector256.Equals(best, best);
                    var better = Vector256.GreaterThan(value, best) | (Vector256.Equals(value, best) & smaller) | (valueNaN & (~bestNaN | smaller));
                    best = Vector256.ConditionalSelect(better, value, best);
                    bestIdx = Vector256.ConditionalSelect(better.AsInt32(), position, bestIdx);
                }
                best.Store(o + t);
                bestIdx.Store(oi + t);
            }
            return;
        }
        for (; t < length; t++)
        {
            float best = hv[t];
            int bestIdx = hi[t];
            for (int kj = 1; kj < kw; kj++)
            {
                int offset = (phased ? kj % s * phaseSize + kj / s : kj) + t;
                if (Better(hv[offset], hi[offset], best, bestIdx)) { best = hv[offset]; bestIdx = hi[offset]; }
            }
            o[t] = best;
            oi[t] = bestIdx;
        }
    }

    /// <summary>One output row: values as they are, codes ki·2¹⁶ + column to input indices rowBase + ki·W + column.</summary>
    private static void Compact(float* o, int* oi, float* y, int* yi, int ow, int rowBase, int w, int r0, int sw, int kh, int kw, int ph, int pw, int h)
    {
        new ReadOnlySpan<float>(o, ow).CopyTo(new Span<float>(y, ow));
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var b = Vector256.Create(rowBase);
            var width = Vector256.Create(w);
            var mask = Vector256.Create(0xFFFF);
            for (; j + Lanes <= ow; j += Lanes)
            {
                var code = Vector256.Load(oi + j);
                (b + Vector256.ShiftRightArithmetic(code, 16) * width + (code & mask)).Store(yi + j);
            }
        }
        for (; j < ow; j++) yi[j] = rowBase + (oi[j] >> 16) * w + (oi[j] & 0xFFFF);
        for (j = 0; j < ow; j++)
            if (y[j] == float.NegativeInfinity) yi[j] = Rescan(r0, j * sw, kh, kw, ph, pw, h, w);
    }

    /// <summary>The input index of the first real element of a window whose maximum is −∞ (all its real values are −∞).</summary>
    private static int Rescan(int r0, int c0, int kh, int kw, int ph, int pw, int h, int w)
    {
        for (int r = r0; r < r0 + kh; r++)
            for (int c = c0; c < c0 + kw; c++)
                if ((uint)(r - ph) < (uint)h && (uint)(c - pw) < (uint)w) return (r - ph) * w + c - pw;
        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Better(float v, int vi, float best, int bestIdx) =>
        v > best || v == best && vi < bestIdx || float.IsNaN(v) && (!float.IsNaN(best) || vi < bestIdx);
}
