using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lucid.Tensors.Kernels;

/// <summary>
/// A mixed-radix FFT along the rows of complex [h, w] planes (real and imaginary parts in separate planes), vectorized
/// across the columns: every butterfly combines whole rows, eight columns at a time. For lengths whose prime factors
/// are 2, 3, 5 and 7 — most image sizes of feature visualization (224 = 4·4·2·7, 128, 96; not 299 = 13·23) — in
/// O(h·Σ radices) per column instead of the O(h²) of a DFT matrix.
/// </summary>
/// <remarks>
/// Decimation in time, out of place and recursive: a length n = p·m transform is p transforms of length m over the
/// rows j, j + p, j + 2p, … (j &lt; p) of the source, written to consecutive blocks of m rows of the destination,
/// then combined in place there — for each k &lt; m the rows j·m + k (j &lt; p) are multiplied by the twiddles
/// W_n^{j·k} and replaced by their length-p DFT, which lands on rows k + m·q (q &lt; p), the same rows. The innermost
/// level reads the source directly (no copy pass). Work is split over (plane, block of 32 columns), so the result does
/// not depend on the thread count; every output has a fixed operation order.
/// </remarks>
internal sealed class RowFft
{
    private const int Lanes = 8;
    private const int ColumnBlock = 32;
    private static readonly ConcurrentDictionary<int, RowFft?> Plans = new();

    private readonly int _n;
    private readonly int[] _radices;
    private readonly float[] _cos, _sin; // cos, sin of 2π·j/n, j < n (computed in double)
    private readonly (float[] Cos, float[] Sin)[] _roots; // per level, an odd radix p's [q·p + j] = cos, sin of 2π·(j·q mod p)/p (empty for 2, 4)

    private RowFft(int n, int[] radices)
    {
        _n = n;
        _radices = radices;
        _cos = new float[n];
        _sin = new float[n];
        for (int j = 0; j < n; j++)
        {
            double angle = 2 * Math.PI * j / n;
            _cos[j] = (float)Math.Cos(angle);
            _sin[j] = (float)Math.Sin(angle);
        }
        _roots = new (float[], float[])[radices.Length];
        for (int level = 0; level < radices.Length; level++)
        {
            int p = radices[level];
            if (p is 2 or 4)
            {
                _roots[level] = (Array.Empty<float>(), Array.Empty<float>());
                continue;
            }
            var (c, si) = (new float[p * p], new float[p * p]);
            for (int q = 0; q < p; q++)
                for (int j = 0; j < p; j++)
                {
                    int t = j * q % p * (n / p);
                    (c[q * p + j], si[q * p + j]) = (_cos[t], _sin[t]);
                }
            _roots[level] = (c, si);
        }
    }

    /// <summary>The plan for length <paramref name="n"/>, or null when n is below 8 or has a prime factor above 7 (a DFT matrix serves those).</summary>
    public static RowFft? For(int n) => n < 8 ? null : Plans.GetOrAdd(n, static n =>
    {
        var radices = new List<int>();
        int rest = n;
        while (rest % 4 == 0) { radices.Add(4); rest /= 4; }
        foreach (int p in new[] { 2, 3, 5, 7 })
            while (rest % p == 0) { radices.Add(p); rest /= p; }
        return rest == 1 ? new RowFft(n, radices.ToArray()) : null;
    });

    /// <summary>
    /// out = scale · DFT along the rows of each of <paramref name="planes"/> [n, width] planes of (re, im), forward
    /// (e^{−iθ}) or inverse (e^{+iθ}, unnormalized). Input and output must not overlap.
    /// </summary>
    public unsafe void Run(float* inRe, float* inIm, float* outRe, float* outIm, int planes, int width, bool inverse, float scale)
    {
        int blocks = (width + ColumnBlock - 1) / ColumnBlock;
        var state = new Job(this, inRe, inIm, outRe, outIm, width, blocks, inverse, scale);
        ParallelKernels.For(planes * blocks, state, static (item, s) => s.Run(item));
    }

    private readonly unsafe struct Job(RowFft plan, float* inRe, float* inIm, float* outRe, float* outIm, int width, int blocks, bool inverse, float scale)
    {
        public void Run(int item)
        {
            int plane = item / blocks, c0 = item % blocks * ColumnBlock;
            int columns = Math.Min(ColumnBlock, width - c0);
            long offset = (long)plane * plan._n * width + c0;
            plan.Level(inRe + offset, inIm + offset, width, outRe + offset, outIm + offset, 0, plan._n, columns, width, inverse, scale);
        }
    }

    /// <summary>One level: the length-n DFT of the source rows 0, step, 2·step, … into n consecutive destination rows.</summary>
    private unsafe void Level(float* sr, float* si, long step, float* dr, float* di, int level, int n, int columns, int width, bool inverse, float scale)
    {
        int p = _radices[level], m = n / p;
        float** ir = stackalloc float*[p];
        float** ii = stackalloc float*[p];
        float** or = stackalloc float*[p];
        float** oi = stackalloc float*[p];
        float* twr = stackalloc float[p];
        float* twi = stackalloc float[p];
        float sign = inverse ? 1f : -1f;
        if (m == 1)
        {
            for (int j = 0; j < p; j++)
            {
                ir[j] = sr + j * step; ii[j] = si + j * step;
                or[j] = dr + (long)j * width; oi[j] = di + (long)j * width;
            }
            Butterfly(p, _roots[level], ir, ii, or, oi, null, null, columns, sign, scale);
            return;
        }
        for (int j = 0; j < p; j++)
            Level(sr + j * step, si + j * step, step * p, dr + (long)j * m * width, di + (long)j * m * width, level + 1, m, columns, width, inverse, scale);
        int stride = _n / n; // W_n^e = W_N^{e·N/n}
        for (int k = 0; k < m; k++)
        {
            for (int j = 0, e = 0; j < p; j++, e += k * stride) // e = j·k·N/n < N
            {
                ir[j] = or[j] = dr + (long)(j * m + k) * width;
                ii[j] = oi[j] = di + (long)(j * m + k) * width;
                twr[j] = _cos[e];
                twi[j] = sign * _sin[e];
            }
            // the combination reads row j·m + k and writes row k + m·j: the same p rows, in another order
            for (int q = 0; q < p; q++)
            {
                or[q] = dr + (long)(k + m * q) * width;
                oi[q] = di + (long)(k + m * q) * width;
            }
            Butterfly(p, _roots[level], ir, ii, or, oi, k == 0 ? null : twr, k == 0 ? null : twi, columns, sign, 1f);
        }
    }

    /// <summary>
    /// out_q = Σ_j (tw_j · in_j) · W_p^{j·q} over <paramref name="columns"/> columns (tw null: all ones), times
    /// <paramref name="scale"/>; all p inputs are read before any output is written, so outputs may be the inputs' rows.
    /// </summary>
    private static unsafe void Butterfly(int p, (float[] Cos, float[] Sin) roots, float** ir, float** ii, float** or, float** oi, float* twr, float* twi,
        int columns, float sign, float scale)
    {
        var xr = stackalloc Vector256<float>[p];
        var xi = stackalloc Vector256<float>[p];
        int full = columns & ~(Lanes - 1);
        for (int c = 0; c < full; c += Lanes)
        {
            for (int j = 0; j < p; j++) { xr[j] = Vector256.Load(ir[j] + c); xi[j] = Vector256.Load(ii[j] + c); }
            Combine(p, roots, xr, xi, twr, twi, sign, scale);
            for (int q = 0; q < p; q++) { xr[q].Store(or[q] + c); xi[q].Store(oi[q] + c); }
        }
        int rest = columns - full;
        if (rest == 0) return;
        // the last partial group of columns through the same arithmetic, staged in zero-padded lanes
        float* lane = stackalloc float[Lanes * 2];
        for (int j = 0; j < p; j++)
        {
            Unsafe.InitBlock(lane, 0, Lanes * 2 * sizeof(float));
            for (int t = 0; t < rest; t++) { lane[t] = ir[j][full + t]; lane[Lanes + t] = ii[j][full + t]; }
            xr[j] = Vector256.Load(lane);
            xi[j] = Vector256.Load(lane + Lanes);
        }
        Combine(p, roots, xr, xi, twr, twi, sign, scale);
        for (int q = 0; q < p; q++)
        {
            xr[q].Store(lane);
            xi[q].Store(lane + Lanes);
            for (int t = 0; t < rest; t++) { or[q][full + t] = lane[t]; oi[q][full + t] = lane[Lanes + t]; }
        }
    }

    /// <summary>In place on p complex vectors: twiddles, then the length-p DFT with root e^{sign·2πi/p}, then the scale.</summary>
    private static unsafe void Combine(int p, (float[] Cos, float[] Sin) roots, Vector256<float>* xr, Vector256<float>* xi, float* twr, float* twi, float sign, float scale)
    {
        if (scale != 1f)
        {
            var s = Vector256.Create(scale);
            for (int j = 0; j < p; j++) { xr[j] *= s; xi[j] *= s; }
        }
        if (twr is not null)
            for (int j = 1; j < p; j++)
            {
                var wr = Vector256.Create(twr[j]);
                var wi = Vector256.Create(twi[j]);
                var r = xr[j] * wr - xi[j] * wi;
                xi[j] = xr[j] * wi + xi[j] * wr;
                xr[j] = r;
            }
        switch (p)
        {
            case 2:
            {
                var (ar, ai) = (xr[0], xi[0]);
                xr[0] = ar + xr[1]; xi[0] = ai + xi[1];
                xr[1] = ar - xr[1]; xi[1] = ai - xi[1];
                return;
            }
            case 4:
            {
                // W_4 = sign·i: X1 = (x0 − x2) + sign·i·(x1 − x3), X3 = (x0 − x2) − sign·i·(x1 − x3)
                var (sr, si) = (xr[0] + xr[2], xi[0] + xi[2]);
                var (dr, di) = (xr[0] - xr[2], xi[0] - xi[2]);
                var (tr, ti) = (xr[1] + xr[3], xi[1] + xi[3]);
                var (ur, ui) = (xr[1] - xr[3], xi[1] - xi[3]);
                var v = Vector256.Create(sign);
                var (rr, ri) = (-(v * ui), v * ur); // sign·i·u
                xr[0] = sr + tr; xi[0] = si + ti;
                xr[2] = sr - tr; xi[2] = si - ti;
                xr[1] = dr + rr; xi[1] = di + ri;
                xr[3] = dr - rr; xi[3] = di - ri;
                return;
            }
            default:
            {
                // a small odd prime: the direct sum over the radix's roots
                var yr = stackalloc Vector256<float>[p];
                var yi = stackalloc Vector256<float>[p];
                var (cos, sin) = roots;
                for (int q = 0; q < p; q++)
                {
                    var (accR, accI) = (xr[0], xi[0]);
                    for (int j = 1; j < p; j++)
                    {
                        var c = Vector256.Create(cos[q * p + j]);
                        var s = Vector256.Create(sign * sin[q * p + j]);
                        accR += xr[j] * c - xi[j] * s;
                        accI += xr[j] * s + xi[j] * c;
                    }
                    yr[q] = accR; yi[q] = accI;
                }
                for (int q = 0; q < p; q++) { xr[q] = yr[q]; xi[q] = yi[q]; }
                return;
            }
        }
    }
}
