using Lucid.Tensors.Autograd;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Tensors;
using Lucid.Testing;
using Lucid.Tensors.Kernels;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>Forward results of the fast kernels against straightforward double-precision reference implementations.</summary>
[Properties(MaxTest = 200, Arbitrary = new[] { typeof(Arbitraries), typeof(GradientProperties.Arbitraries) })]
public class ForwardReferenceTests
{
    public sealed record GemmCase(int M, int N, int K, bool TransposeA, bool TransposeB, bool Accumulate, int Seed) : Case;
    public sealed record StridedConvCase(int Cin, int Cout, int K, int Stride, int Pad, int OutW, int OutH, bool Bias, int Seed) : Case;
    public sealed record MaxPoolScanCase(int H, int W, int K, int Stride, int Pad, bool Ceil, bool Special, int Seed) : Case;
    public sealed record InterpolationCase(int H, int W, int OutH, int OutW, bool AlignCorners, int Seed) : Case;
    public sealed record DftCase(int B, int H, int W, int Seed) : Case;

    public static class Arbitraries
    {
        public static Arbitrary<GemmCase> Gemms() => (
            from m in Gen.Choose(1, 140) from n in Gen.Choose(1, 140) from k in Gen.Choose(1, 300)
            from ta in Gen.Elements(true, false) from tb in Gen.Elements(true, false) from acc in Gen.Elements(true, false)
            from seed in Generators.Seeds select new GemmCase(m, n, k, ta, tb, acc, seed)).ToArbitrary();

        public static Arbitrary<StridedConvCase> StridedConvs() => (
            from cin in Gen.Choose(1, 8) from cout in Gen.Choose(4, 12) from k in Gen.Choose(2, 7) from s in Gen.Choose(2, 3)
            from p in Gen.Choose(0, 3) from ow in Gen.Choose(11, 34) from oh in Gen.Choose(1, 5) from bias in Gen.Elements(true, false)
            from seed in Generators.Seeds
            where p < k && (oh - 1) * s + k - 2 * p >= 1 && (ow - 1) * s + k - 2 * p >= 1
            select new StridedConvCase(cin, cout, k, s, p, ow, oh, bias, seed)).ToArbitrary();

        public static Arbitrary<MaxPoolScanCase> MaxPoolScans() => (
            from h in Gen.Choose(1, 40) from w in Gen.Choose(1, 40) from k in Gen.Choose(1, 4) from s in Gen.Choose(1, 3)
            from p in Gen.Choose(0, 2) from ceil in Gen.Elements(true, false) from special in Gen.Elements(true, false) from seed in Generators.Seeds
            where 2 * p <= k && h + 2 * p >= k && w + 2 * p >= k
            select new MaxPoolScanCase(h, w, k, s, p, ceil, special, seed)).ToArbitrary();

        public static Arbitrary<InterpolationCase> Interpolations() => (
            from h in Gen.Choose(1, 6) from w in Gen.Choose(1, 6) from oh in Gen.Choose(1, 11) from ow in Gen.Choose(1, 11)
            from align in Gen.Elements(true, false) from seed in Generators.Seeds select new InterpolationCase(h, w, oh, ow, align, seed)).ToArbitrary();

        // any height up to 17, and larger ones whose prime factors are 2, 3, 5, 7 for the mixed-radix row FFT (h ≥ 8;
        // 11, 13 and 17 take the DFT matrices)
        public static Arbitrary<DftCase> Dfts() => (
            from b in Gen.Choose(1, 2) from h in Gen.OneOf(Gen.Choose(1, 17), Gen.Elements(28, 30, 32, 45, 56, 63, 64, 98, 224)) from w in Gen.Choose(1, 17) from seed in Generators.Seeds
            select new DftCase(b, h, w, seed)).ToArbitrary();
    }

    private static void AssertClose(double[] expected, ReadOnlySpan<float> actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(expected[i] - actual[i]);
            if (!(err <= tol * (1 + Math.Abs(expected[i]))))
                throw new Exception($"{what}: element {i}: expected {expected[i]:G8}, got {actual[i]:G8} (|diff| {err:G3}).");
        }
    }

    [Property(MaxTest = 120)]
    public void Gemm_MatchesNaiveProduct_OnRandomShapesAndTransposes(GemmCase c) => CheckGemm(c, "gemm");

    /// <summary>One random GEMM against a double-precision sum (used for the machine's kernel and every slower one).</summary>
    internal static void CheckGemm(GemmCase c, string what)
    {
        var rng = new Rng((ulong)c.Seed);
        var a = new float[c.M * c.K]; var b = new float[c.K * c.N]; var cc = new float[c.M * c.N];
        rng.FillNormal(a); rng.FillNormal(b); rng.FillNormal(cc);
        var expected = new double[c.M * c.N];
        for (int i = 0; i < c.M; i++)
            for (int j = 0; j < c.N; j++)
            {
                double s = c.Accumulate ? cc[i * c.N + j] : 0;
                for (int p = 0; p < c.K; p++)
                    s += (double)(c.TransposeA ? a[p * c.M + i] : a[i * c.K + p]) * (c.TransposeB ? b[j * c.K + p] : b[p * c.N + j]);
                expected[i * c.N + j] = s;
            }
        Gemm.Multiply(c.TransposeA, c.TransposeB, c.M, c.N, c.K, a, c.TransposeA ? c.M : c.K, b, c.TransposeB ? c.K : c.N, cc, c.N, c.Accumulate);
        // float32 accumulation of k products of N(0,1) values: error grows like √k·ε·|terms|
        AssertClose(expected, cc, 2e-6 * Math.Sqrt(c.K) * 8, $"{what} {c}");
    }

    [Fact]
    public void Gemm_IsBitIdenticalAcrossThreadCounts()
    {
        var rng = new Rng(11);
        int m = 300, n = 517, k = 700;
        var a = new float[m * k]; var b = new float[k * n];
        rng.FillNormal(a); rng.FillNormal(b);
        var c1 = new float[m * n]; var c2 = new float[m * n];
        int saved = ParallelKernels.Threads;
        try
        {
            ParallelKernels.Threads = 1;
            Gemm.Multiply(false, false, m, n, k, a, k, b, n, c1, n, false);
            ParallelKernels.Threads = Math.Max(2, Environment.ProcessorCount);
            Gemm.Multiply(false, false, m, n, k, a, k, b, n, c2, n, false);
        }
        finally { ParallelKernels.Threads = saved; }
        Assert.Equal(c1, c2);
    }

    [Property]
    public void Conv2d_MatchesDirectConvolution(GradientProperties.ConvCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        int cin = c.G * c.Cig, cout = c.G * c.Cog;
        using var x = rng.Normal(new[] { c.N, cin, c.H, c.W });
        using var w = rng.Normal(new[] { cout, c.Cig, c.K, c.K });
        using var b = rng.Normal(new[] { cout });
        using var y = Ops.Conv2d(x, w, c.Bias ? b : null, c.Stride, c.Pad, c.Dil, c.G);
        int oh = (c.H + 2 * c.Pad - c.Dil * (c.K - 1) - 1) / c.Stride + 1;
        int ow = (c.W + 2 * c.Pad - c.Dil * (c.K - 1) - 1) / c.Stride + 1;
        Assert.Equal(new[] { c.N, cout, oh, ow }, y.Shape.ToArray());
        var expected = ReferenceConv2d(c, x.ToArray(), w.ToArray(), c.Bias ? b.ToArray() : null);
        AssertClose(expected, y.Data, 1e-5, "conv2d");
    }

    /// <summary>conv2d by its definition, in float64: y[n, co, i, j] = b[co] + Σ x[n, g·Cig + ci, i·s − p + ki·d, j·s − p + kj·d]·w[co, ci, ki, kj].</summary>
    internal static double[] ReferenceConv2d(GradientProperties.ConvCase c,
        float[] xd, float[] wd, float[]? bd)
    {
        int cin = c.G * c.Cig, cout = c.G * c.Cog;
        int oh = (c.H + 2 * c.Pad - c.Dil * (c.K - 1) - 1) / c.Stride + 1;
        int ow = (c.W + 2 * c.Pad - c.Dil * (c.K - 1) - 1) / c.Stride + 1;
        var expected = new double[c.N * cout * oh * ow];
        for (int n = 0; n < c.N; n++)
            for (int co = 0; co < cout; co++)
            {
                int g = co / c.Cog;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double s = bd is null ? 0 : bd[co];
                        for (int ci = 0; ci < c.Cig; ci++)
                            for (int ki = 0; ki < c.K; ki++)
                                for (int kj = 0; kj < c.K; kj++)
                                {
                                    int ih = i * c.Stride - c.Pad + ki * c.Dil, iw = j * c.Stride - c.Pad + kj * c.Dil;
                                    if (ih < 0 || iw < 0 || ih >= c.H || iw >= c.W) continue;
                                    s += (double)xd[((n * cin + g * c.Cig + ci) * c.H + ih) * c.W + iw] * wd[((co * c.Cig + ci) * c.K + ki) * c.K + kj];
                                }
                        expected[((n * cout + co) * oh + i) * ow + j] = s;
                    }
            }
        return expected;
    }

    [Property]
    public void ConvTranspose2d_MatchesScatterDefinition(GradientProperties.ConvCase c)
    {
        int oh = (c.H - 1) * c.Stride - 2 * c.Pad + c.Dil * (c.K - 1) + 1;
        int ow = (c.W - 1) * c.Stride - 2 * c.Pad + c.Dil * (c.K - 1) + 1;
        if (oh <= 0 || ow <= 0) return;
        var rng = new Rng((ulong)c.Seed);
        int cin = c.G * c.Cig, cout = c.G * c.Cog;
        using var x = rng.Normal(new[] { c.N, cin, c.H, c.W });
        using var w = rng.Normal(new[] { cin, c.Cog, c.K, c.K });
        using var y = Ops.ConvTranspose2d(x, w, null, c.Stride, c.Pad, 0, c.Dil, c.G);
        var xd = x.ToArray(); var wd = w.ToArray();
        var expected = new double[c.N * cout * oh * ow];
        // every input pixel scatters its weighted kernel into the output
        for (int n = 0; n < c.N; n++)
            for (int ci = 0; ci < cin; ci++)
            {
                int g = ci / c.Cig;
                for (int i = 0; i < c.H; i++)
                    for (int j = 0; j < c.W; j++)
                        for (int co = 0; co < c.Cog; co++)
                            for (int ki = 0; ki < c.K; ki++)
                                for (int kj = 0; kj < c.K; kj++)
                                {
                                    int yi = i * c.Stride - c.Pad + ki * c.Dil, yj = j * c.Stride - c.Pad + kj * c.Dil;
                                    if (yi < 0 || yj < 0 || yi >= oh || yj >= ow) continue;
                                    expected[((n * cout + g * c.Cog + co) * oh + yi) * ow + yj] +=
                                        (double)xd[((n * cin + ci) * c.H + i) * c.W + j] * wd[((ci * c.Cog + co) * c.K + ki) * c.K + kj];
                                }
            }
        AssertClose(expected, y.Data, 1e-5, "conv_transpose2d");
    }

    [Fact]
    public void Pooling_MatchesPyTorchSemantics()
    {
        // 1×1×5×5 ramp; hand-derived from PyTorch's documented rules.
        var x = Tensor.FromArray(Enumerable.Range(0, 25).Select(i => (float)i).ToArray(), 1, 1, 5, 5);
        // ceil mode adds a partial last window: out = ceil((5 − 2)/2) + 1 = 3
        using var max = Ops.MaxPool2d(x, 2, 2, 0, 1, ceilMode: true);
        Assert.Equal(new[] { 6f, 8f, 9f, 16f, 18f, 19f, 21f, 23f, 24f }, max.ToArray());
        using var maxFloor = Ops.MaxPool2d(x, 2, 2);
        Assert.Equal(new[] { 6f, 8f, 16f, 18f }, maxFloor.ToArray());
        // padding 1, count_include_pad: the corner window holds only x[0,0] = 0 → (0)/4; next: (1+2)/4
        using var avgInc = Ops.AvgPool2d(x, 2, 2, 1, ceilMode: false, countIncludePad: true);
        Assert.Equal(0f, avgInc[0, 0, 0, 0]);
        Assert.Equal((1f + 2f) / 4f, avgInc[0, 0, 0, 1]);
        using var avgExc = Ops.AvgPool2d(x, 2, 2, 1, ceilMode: false, countIncludePad: false);
        Assert.Equal((1f + 2f) / 2f, avgExc[0, 0, 0, 1]);
        Assert.Equal((6f + 7f + 11f + 12f) / 4f, avgExc[0, 0, 1, 1]);
        // ceil-mode avg window clipped at the input edge divides by the clipped size (no padding): last column = (4+9)/2
        using var avgCeil = Ops.AvgPool2d(x, 2, 2, 0, ceilMode: true, countIncludePad: true);
        Assert.Equal((4f + 9f) / 2f, avgCeil[0, 0, 0, 2]);
        // adaptive: 5 → 3 windows [0,2), [1,4), [3,5)
        using var ada = Ops.AdaptiveAvgPool2d(x, 1, 3);
        Assert.Equal(Enumerable.Range(0, 25).Where(i => i % 5 < 2).Average(i => (float)i), ada[0, 0, 0, 0], 4);
        Assert.Equal(Enumerable.Range(0, 25).Where(i => i % 5 >= 1 && i % 5 < 4).Average(i => (float)i), ada[0, 0, 0, 1], 4);
        using var gmax = Ops.GlobalMaxPool2d(x);
        Assert.Equal(24f, gmax.Item());
    }

    /// <summary>
    /// Strided convolutions wide enough for the polyphase route (few input channels, ≥ 11 output columns) — the stem
    /// convolutions of image models: forward and input gradient against float64 sums over the definition.
    /// </summary>
    [Property]
    public void StridedConvolution_ForwardAndInputGradient_MatchDefinition(StridedConvCase c)
    {
        int h = (c.OutH - 1) * c.Stride + c.K - 2 * c.Pad, w = (c.OutW - 1) * c.Stride + c.K - 2 * c.Pad;
        var rng = new Rng((ulong)c.Seed);
        using var x = rng.Normal(new[] { 2, c.Cin, h, w }).RequireGrad();
        using var wt = rng.Normal(new[] { c.Cout, c.Cin, c.K, c.K });
        using var b = rng.Normal(new[] { c.Cout });
        using var y = Ops.Conv2d(x, wt, c.Bias ? b : null, c.Stride, c.Pad);
        Assert.Equal(new[] { 2, c.Cout, c.OutH, c.OutW }, y.Shape.ToArray());
        using var upstream = rng.Normal(y.Shape.ToArray());
        var gx = Gradients.Of(y, new[] { x }, gradOutput: upstream)[0];
        var xd = x.ToArray(); var wd = wt.ToArray(); var bd = b.ToArray(); var ud = upstream.ToArray();
        var expected = new double[y.Count];
        var expectedGrad = new double[x.Count];
        for (int n = 0; n < 2; n++)
            for (int co = 0; co < c.Cout; co++)
                for (int i = 0; i < c.OutH; i++)
                    for (int j = 0; j < c.OutW; j++)
                    {
                        int o = ((n * c.Cout + co) * c.OutH + i) * c.OutW + j;
                        double sum = c.Bias ? bd[co] : 0;
                        for (int ci = 0; ci < c.Cin; ci++)
                            for (int ki = 0; ki < c.K; ki++)
                                for (int kj = 0; kj < c.K; kj++)
                                {
                                    int ih = i * c.Stride - c.Pad + ki, iw = j * c.Stride - c.Pad + kj;
                                    if (ih < 0 || iw < 0 || ih >= h || iw >= w) continue;
                                    int xi = ((n * c.Cin + ci) * h + ih) * w + iw;
                                    double wv = wd[((co * c.Cin + ci) * c.K + ki) * c.K + kj];
                                    sum += xd[xi] * wv;
                                    expectedGrad[xi] += ud[o] * wv;
                                }
                        expected[o] = sum;
                    }
        // float32 sums of up to 8·49 unit-variance products: the error grows like √K (as in the GEMM test)
        double tol = 2e-6 * Math.Sqrt(c.Cin * c.K * c.K) * 8;
        AssertClose(expected, y.Data, tol, "strided conv2d");
        AssertClose(expectedGrad, gx.Data, tol, "strided conv2d input gradient");
    }

    /// <summary>
    /// Values and winners against a row-major scan: the largest value, NaN over any number, and among equals the first
    /// in scan order. Values are drawn from a handful of levels (plus NaN and −∞) so ties are everywhere, and planes up
    /// to 40 wide so both the vector lanes and the scalar tails of the separable kernel are exercised.
    /// </summary>
    [Property]
    public void MaxPool_MatchesRowMajorScan_WithTiesNaNAndInfinities(MaxPoolScanCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        var xd = new float[2 * c.H * c.W];
        for (int i = 0; i < xd.Length; i++)
        {
            double u = rng.NextDouble();
            xd[i] = c.Special && u < 0.03 ? float.NaN : c.Special && u < 0.06 ? float.NegativeInfinity : MathF.Floor((float)rng.NextNormal() * 1.5f);
        }
        using var x = Tensor.FromArray(xd, 1, 2, c.H, c.W);
        var (y, idx) = Ops.MaxPool2dWithIndices(x, (c.K, c.K), (c.Stride, c.Stride), (c.Pad, c.Pad), null, c.Ceil);
        int oh = y.Size(2), ow = y.Size(3);
        for (int ch = 0; ch < 2; ch++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    float best = float.NegativeInfinity;
                    int bestIdx = -1;
                    for (int a = i * c.Stride - c.Pad; a < i * c.Stride - c.Pad + c.K; a++)
                        for (int b = j * c.Stride - c.Pad; b < j * c.Stride - c.Pad + c.K; b++)
                        {
                            if (a < 0 || b < 0 || a >= c.H || b >= c.W) continue;
                            float v = xd[(ch * c.H + a) * c.W + b];
                            if (bestIdx < 0 || v > best || float.IsNaN(v) && !float.IsNaN(best)) { best = v; bestIdx = a * c.W + b; }
                        }
                    Assert.Equal(best, y[0, ch, i, j]);
                    Assert.Equal(bestIdx, idx[(ch * oh + i) * ow + j]);
                }
        y.Dispose();
    }

    [Property]
    public void BilinearInterpolate_MatchesFormula_BothConventions(InterpolationCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        using var x = rng.Normal(new[] { 1, 1, c.H, c.W });
        using var y = Ops.Interpolate(x, c.OutH, c.OutW, InterpolationMode.Bilinear, c.AlignCorners);
        var xd = x.ToArray();
        double Src(int o, int inSize, int outSize) => c.AlignCorners
            ? (outSize > 1 ? o * (inSize - 1.0) / (outSize - 1) : 0)
            : Math.Max(0, (o + 0.5) * inSize / outSize - 0.5);
        double At(int i, int j) => xd[Math.Min(i, c.H - 1) * c.W + Math.Min(j, c.W - 1)];
        var expected = new double[c.OutH * c.OutW];
        for (int i = 0; i < c.OutH; i++)
            for (int j = 0; j < c.OutW; j++)
            {
                double sy = Src(i, c.H, c.OutH), sx = Src(j, c.W, c.OutW);
                int y0 = Math.Min((int)sy, c.H - 1), x0 = Math.Min((int)sx, c.W - 1);
                double ty = sy - y0, tx = sx - x0;
                expected[i * c.OutW + j] = (1 - ty) * ((1 - tx) * At(y0, x0) + tx * At(y0, x0 + 1)) + ty * ((1 - tx) * At(y0 + 1, x0) + tx * At(y0 + 1, x0 + 1));
            }
        AssertClose(expected, y.Data, 1e-5, "interpolate");
    }

    [Fact]
    public void GridSample_WithIdentityGrid_ReproducesInput()
    {
        var rng = new Rng(5);
        using var x = rng.Normal(new[] { 2, 3, 5, 7 });
        foreach (bool align in new[] { true, false })
        {
            using var theta = Tensor.FromArray(new float[] { 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0 }, 2, 2, 3);
            using var grid = Ops.AffineGrid(theta, 5, 7, align);
            using var y = Ops.GridSample(x, grid, align);
            AssertClose(x.ToArray().Select(v => (double)v).ToArray(), y.Data, 1e-5, $"grid_sample identity (alignCorners={align})");
        }
    }

    [Property]
    public void Rfft2_MatchesNaiveDft_AndIrfft2InvertsIt(DftCase c)
    {
        // any height up to 17, and larger ones whose prime factors are 2, 3, 5, 7 for the mixed-radix row FFT (h ≥ 8;
        // 11, 13 and 17 take the DFT matrices)
        var rng = new Rng((ulong)c.Seed);
        using var x = rng.Normal(new[] { c.B, c.H, c.W });
        using var spec = Ops.Rfft2(x);
        int wf = c.W / 2 + 1;
        Assert.Equal(new[] { c.B, c.H, wf, 2 }, spec.Shape.ToArray());
        var xd = x.ToArray();
        var expected = new double[c.B * c.H * wf * 2];
        for (int n = 0; n < c.B; n++)
            for (int k = 0; k < c.H; k++)
                for (int l = 0; l < wf; l++)
                {
                    double re = 0, im = 0;
                    for (int i = 0; i < c.H; i++)
                        for (int j = 0; j < c.W; j++)
                        {
                            double angle = -2 * Math.PI * ((double)k * i / c.H + (double)l * j / c.W);
                            re += xd[(n * c.H + i) * c.W + j] * Math.Cos(angle);
                            im += xd[(n * c.H + i) * c.W + j] * Math.Sin(angle);
                        }
                    expected[((n * c.H + k) * wf + l) * 2] = re;
                    expected[((n * c.H + k) * wf + l) * 2 + 1] = im;
                }
        AssertClose(expected, spec.Data, 1e-5 * Math.Sqrt(c.H * c.W) * 4, "rfft2");
        using var back = Ops.Irfft2(spec, c.W);
        AssertClose(xd.Select(v => (double)v).ToArray(), back.Data, 1e-5, "irfft2(rfft2(x))");
    }

    [Fact]
    public void LocalResponseNorm_MatchesOnnxDefinition()
    {
        var rng = new Rng(9);
        using var x = rng.Normal(new[] { 1, 6, 2, 2 });
        const int size = 4; const float alpha = 0.3f, beta = 0.75f, bias = 2f;
        using var y = Ops.LocalResponseNorm(x, size, alpha, beta, bias);
        var xd = x.ToArray();
        for (int c = 0; c < 6; c++)
            for (int p = 0; p < 4; p++)
            {
                double sq = 0;
                for (int k = Math.Max(0, c - (size - 1) / 2); k <= Math.Min(5, c + (int)Math.Ceiling((size - 1) / 2.0)); k++)
                    sq += xd[k * 4 + p] * (double)xd[k * 4 + p];
                double expected = xd[c * 4 + p] / Math.Pow(bias + alpha / size * sq, beta);
                Assert.Equal(expected, y.Data[c * 4 + p], 5);
            }
    }
}

public class ConvolutionRegressionTests
{
    /// <summary>Found by the conv properties: a kernel tap that misses a width-1 image for every output column wrote past its row.</summary>
    [Fact]
    public void Conv2d_WidthOneImageWithWideDilatedPadding_MatchesDirectSum()
    {
        var rng = new Rng(17);
        using var x = rng.Normal(new[] { 2, 3, 6, 1 });
        using var w = rng.Normal(new[] { 3, 1, 3, 3 });
        using var y = Ops.Conv2d(x, w, null, 1, 2, 2, 3);
        var xd = x.ToArray(); var wd = w.ToArray();
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
                for (int oh = 0; oh < y.Size(2); oh++)
                {
                    double s = 0;
                    for (int ki = 0; ki < 3; ki++)
                    {
                        int ih = oh - 2 + 2 * ki;
                        if (ih >= 0 && ih < 6) s += xd[(n * 3 + c) * 6 + ih] * wd[(c * 3 + ki) * 3 + 1];
                    }
                    Assert.Equal(s, y[n, c, oh, 0], 4);
                }
    }
}

[CollectionDefinition(nameof(KernelSwitchCollection), DisableParallelization = true)]
public class KernelSwitchCollection;

/// <summary>Switches the process-wide micro-kernel, so it runs alone (no other test sees the switch).</summary>
[Collection(nameof(KernelSwitchCollection))]
public class FallbackKernelTests
{
    /// <summary>GEMMs past the small-product fallback: tall and thin ones (the transposed route's), K across blocks.</summary>
    public static Arbitrary<ForwardReferenceTests.GemmCase> BlockedGemms() => (
        from m in Gen.Choose(4, 300) from n in Gen.OneOf(Gen.Choose(1, 40), Gen.Choose(41, 200)) from k in Gen.Choose(2, 600)
        from ta in Gen.Elements(true, false) from tb in Gen.Elements(true, false) from acc in Gen.Elements(true, false)
        from seed in Generators.Seeds
        where (long)m * n * k > 4096
        select new ForwardReferenceTests.GemmCase(m, n, k, ta, tb, acc, seed)).ToArbitrary();

    /// <summary>
    /// The GEMM's summation contract, bit for bit, on every kernel: each element of C is, per block of
    /// <see cref="Gemm.KC"/> steps of K, one chain of fused multiply-adds from zero in K order, and the blocks' sums
    /// are added to C in order (to its old value when accumulating). Whichever route, tile split or thread runs it —
    /// the transposed route of tall, thin products included — the bits are these.
    /// </summary>
    [Property(MaxTest = 80, Arbitrary = new[] { typeof(FallbackKernelTests) })]
    public void Gemm_EveryKernel_SumsEachElementInItsContractOrder(ForwardReferenceTests.GemmCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        var a = new float[c.M * c.K]; var b = new float[c.K * c.N]; var initial = new float[c.M * c.N];
        rng.FillNormal(a); rng.FillNormal(b); rng.FillNormal(initial);
        var expected = (float[])initial.Clone();
        for (int i = 0; i < c.M; i++)
            for (int j = 0; j < c.N; j++)
                for (int p0 = 0; p0 < c.K; p0 += Gemm.KC)
                {
                    float s = 0f;
                    for (int p = p0; p < Math.Min(c.K, p0 + Gemm.KC); p++)
                        s = MathF.FusedMultiplyAdd(c.TransposeA ? a[p * c.M + i] : a[i * c.K + p], c.TransposeB ? b[j * c.K + p] : b[p * c.N + j], s);
                    ref float e = ref expected[i * c.N + j];
                    e = p0 == 0 && !c.Accumulate ? s : e + s;
                }
        foreach (var isa in Enum.GetValues<Gemm.Isa>().Where(i => i >= Gemm.Best))
            Gemm.WithIsa(isa, () =>
            {
                var cc = (float[])initial.Clone();
                Gemm.Multiply(c.TransposeA, c.TransposeB, c.M, c.N, c.K, a, c.TransposeA ? c.M : c.K, b, c.TransposeB ? c.K : c.N, cc, c.N, c.Accumulate);
                for (int i = 0; i < cc.Length; i++)
                    if (BitConverter.SingleToInt32Bits(cc[i]) != BitConverter.SingleToInt32Bits(expected[i]))
                        throw new Exception($"{isa} {c}: C[{i / c.N}, {i % c.N}] = {cc[i]:R}, the contract order gives {expected[i]:R}.");
            });
    }

    [Property(MaxTest = 60, Arbitrary = new[] { typeof(ForwardReferenceTests.Arbitraries) })]
    public void Gemm_EveryKernel_MatchesNaiveProduct(ForwardReferenceTests.GemmCase c)
    {
        foreach (var isa in Enum.GetValues<Gemm.Isa>().Where(i => i >= Gemm.Best))
            Gemm.WithIsa(isa, () => ForwardReferenceTests.CheckGemm(c, $"gemm ({isa})"));
    }

    /// <summary>The AVX2 and portable micro-kernels (and the GEMM-based convolution used without AVX-512) on this machine.</summary>
    [Fact]
    public void FallbackKernels_MatchTheReference()
    {
        foreach (var isa in Enum.GetValues<Gemm.Isa>().Where(i => i >= Gemm.Best))
        {
            Gemm.WithIsa(isa, () =>
            {
                var rng = new Rng((ulong)isa + 1);
                int m = 37, n = 70, k = 300;
                var a = new float[m * k]; var b = new float[k * n]; var c = new float[m * n];
                rng.FillNormal(a); rng.FillNormal(b);
                Gemm.Multiply(false, false, m, n, k, a, k, b, n, c, n, false);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        double s = 0;
                        for (int p = 0; p < k; p++) s += (double)a[i * k + p] * b[p * n + j];
                        Assert.True(Math.Abs(s - c[i * n + j]) < 1e-3, $"{isa}: C[{i},{j}] = {c[i * n + j]}, expected {s}");
                    }
                using var x = rng.Normal(new[] { 2, 8, 9, 11 });
                using var w = rng.Normal(new[] { 12, 8, 3, 3 });
                using var y = Ops.Conv2d(x, w, null, 1, 1);
                var xd = x.ToArray(); var wd = w.ToArray();
                for (int co = 0; co < 12; co += 5)
                {
                    double s = 0;
                    for (int ci = 0; ci < 8; ci++)
                        for (int ki = 0; ki < 3; ki++)
                            for (int kj = 0; kj < 3; kj++)
                            {
                                int ih = 4 + ki - 1, iw = 6 + kj - 1;
                                s += (double)xd[((1 * 8 + ci) * 9 + ih) * 11 + iw] * wd[((co * 8 + ci) * 3 + ki) * 3 + kj];
                            }
                    Assert.Equal(s, y[1, co, 4, 6], 3);
                }
            });
        }
    }

}

/// <summary>
/// Resampling on images large enough to be split into row blocks (forward) and scatter blocks (backward): the
/// backward is the forward's exact adjoint (⟨f(x), g⟩ = ⟨x, fᵀ(g)⟩), and both are bit-identical for any thread count.
/// </summary>
[Collection(nameof(KernelSwitchCollection))]
public class BlockedResamplingTests
{
    public static TheoryData<string> Ops2 => new() { "interpolate-up", "interpolate-down", "rotate" };

    private static Tensor Apply(string op, Tensor x) => op switch
    {
        "interpolate-up" => Ops.Interpolate(x, 71, 66),
        "interpolate-down" => Ops.Interpolate(x, 33, 38),
        _ => Ops.GridSample(x, Ops.AffineGrid(Tensor.FromArray(new float[] { 0.95f, -0.3f, 0.05f, 0.3f, 0.95f, -0.02f, 1.02f, 0.1f, 0, -0.1f, 1.02f, 0 }, 2, 2, 3), 52, 47)),
    };

    [Theory]
    [MemberData(nameof(Ops2))]
    public void BackwardIsTheAdjoint_AndResultsDoNotDependOnThreads(string op)
    {
        var rng = new Rng(21);
        using var x0 = rng.Normal(new[] { 2, 3, 45, 43 });
        (float[] Y, float[] Gx, double Inner) Run(int threads)
        {
            int saved = ParallelKernels.Threads;
            try
            {
                ParallelKernels.Threads = threads;
                using var scope = Tensor.Scope();
                var x = x0.Clone().RequireGrad();
                var y = Apply(op, x);
                var g = new Rng(22).Normal(y.Shape.ToArray());
                var gx = Gradients.Of(y, new[] { x }, gradOutput: g)[0];
                double lhs = y.ToArray().Zip(g.ToArray(), (a, b) => (double)a * b).Sum();
                double rhs = x0.ToArray().Zip(gx.ToArray(), (a, b) => (double)a * b).Sum();
                Assert.True(Math.Abs(lhs - rhs) <= 1e-4 * (Math.Abs(lhs) + 1), $"{op}: <f(x), g> = {lhs} but <x, f'(g)> = {rhs}");
                return (y.ToArray(), gx.ToArray(), lhs);
            }
            finally { ParallelKernels.Threads = saved; }
        }
        var one = Run(1);
        var many = Run(Math.Max(2, Environment.ProcessorCount));
        Assert.Equal(one.Y, many.Y);
        Assert.Equal(one.Gx, many.Gx);
    }
}
