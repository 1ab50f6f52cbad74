using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Testing;
using Lucid.Tensors.Autograd;
using Lucid.Tensors.Kernels;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>
/// The Winograd F(4×4, 3×3) path of 3×3 stride-1 convolutions, on every instruction set the machine runs it on (AVX-512,
/// AVX2 + FMA): maps whose sides are not multiples of 4 (partial tiles), padding 0–2, channel counts off the 8- and
/// 32-channel blocks, batches. The forward pass and the input gradient (the flipped kernel, taken straight from the
/// forward weights) against float64 definitions; gradients against finite differences; bits independent of threads,
/// of the ISA and of whether the weights' transform was cached; weights changed in place are seen.
/// </summary>
[Collection(nameof(KernelSwitchCollection))]
[Properties(Arbitrary = new[] { typeof(WinogradTests) })]
public class WinogradTests
{
    public sealed record WinogradCase(int N, int Cin, int Cout, int H, int W, int Pad, bool Bias, int Seed) : Case
    {
        public int OutH => H + 2 * Pad - 2;
        public int OutW => W + 2 * Pad - 2;
    }

    /// <summary>
    /// Widths whose output rows (forward) and input rows (input gradient) both leave the direct kernel's 16 lanes under
    /// 70 % used, so both passes take the transform whatever the channel counts (see <see cref="Winograd.Applies"/>).
    /// </summary>
    private static readonly int[] NarrowRows = { 8, 9, 10, 11, 17, 18, 19, 20, 21, 22 };

    public static Arbitrary<WinogradCase> Cases() => (
        from n in Gen.Choose(1, 3)
        from cin in Gen.Choose(16, 45)
        from cout in Gen.Choose(16, 71)
        from pad in Gen.Choose(0, 2)
        from h in Gen.Choose(Math.Max(8, 10 - 2 * pad), 27)
        from w in Gen.Elements(NarrowRows.Where(w => NarrowRows.Contains(w + 2 * pad - 2)).ToArray())
        from bias in Gen.Elements(true, false)
        from seed in Gen.Choose(0, int.MaxValue)
        select new WinogradCase(n, cin, cout, h, w, pad, bias, seed)).ToArbitrary();

    private static IEnumerable<Gemm.Isa> WinogradIsas => new[] { Gemm.Isa.Avx512, Gemm.Isa.Avx2 }.Where(i => i >= Gemm.Best);

    private static double[] ReferenceForward(WinogradCase c, float[] x, float[] w, float[]? b)
    {
        var y = new double[c.N * c.Cout * c.OutH * c.OutW];
        for (int n = 0; n < c.N; n++)
            for (int co = 0; co < c.Cout; co++)
                for (int oy = 0; oy < c.OutH; oy++)
                    for (int ox = 0; ox < c.OutW; ox++)
                    {
                        double s = b?[co] ?? 0;
                        for (int ci = 0; ci < c.Cin; ci++)
                            for (int ky = 0; ky < 3; ky++)
                                for (int kx = 0; kx < 3; kx++)
                                {
                                    int iy = oy + ky - c.Pad, ix = ox + kx - c.Pad;
                                    if (iy < 0 || iy >= c.H || ix < 0 || ix >= c.W) continue;
                                    s += (double)x[((n * c.Cin + ci) * c.H + iy) * c.W + ix] * w[((co * c.Cin + ci) * 3 + ky) * 3 + kx];
                                }
                        y[((n * c.Cout + co) * c.OutH + oy) * c.OutW + ox] = s;
                    }
        return y;
    }

    /// <summary>∂(Σ y·g)/∂x = Σ_co Σ_k g[co, iy − ky + p, ix − kx + p]·w[co, ci, ky, kx].</summary>
    private static double[] ReferenceInputGradient(WinogradCase c, float[] g, float[] w)
    {
        var gx = new double[c.N * c.Cin * c.H * c.W];
        for (int n = 0; n < c.N; n++)
            for (int co = 0; co < c.Cout; co++)
                for (int oy = 0; oy < c.OutH; oy++)
                    for (int ox = 0; ox < c.OutW; ox++)
                    {
                        double go = g[((n * c.Cout + co) * c.OutH + oy) * c.OutW + ox];
                        for (int ci = 0; ci < c.Cin; ci++)
                            for (int ky = 0; ky < 3; ky++)
                                for (int kx = 0; kx < 3; kx++)
                                {
                                    int iy = oy + ky - c.Pad, ix = ox + kx - c.Pad;
                                    if (iy < 0 || iy >= c.H || ix < 0 || ix >= c.W) continue;
                                    gx[((n * c.Cin + ci) * c.H + iy) * c.W + ix] += go * w[((co * c.Cin + ci) * 3 + ky) * 3 + kx];
                                }
                    }
        return gx;
    }

    /// <summary>Within a few float32 roundings of the largest magnitude (the transforms mix values of a 6×6 patch).</summary>
    private static void AssertClose(string what, double[] expected, float[] actual, double relative = 2e-5)
    {
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= relative * scale,
                $"{what}: element {i} is {actual[i]}, expected {expected[i]} (scale {scale:G4})");
    }

    [Property(MaxTest = 40)]
    public void Forward_AndInputGradient_MatchFloat64Definitions_OnEveryIsa(WinogradCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        using var x = rng.Normal(new[] { c.N, c.Cin, c.H, c.W });
        using var w = rng.Normal(new[] { c.Cout, c.Cin, 3, 3 });
        using var b = rng.Normal(new[] { c.Cout });
        using var g = rng.Normal(new[] { c.N, c.Cout, c.OutH, c.OutW });
        var expected = ReferenceForward(c, x.ToArray(), w.ToArray(), c.Bias ? b.ToArray() : null);
        var expectedGx = ReferenceInputGradient(c, g.ToArray(), w.ToArray());
        float[]? first = null, firstGx = null;
        foreach (var isa in WinogradIsas)
            Gemm.WithIsa(isa, () =>
            {
                var (y, gx) = ForwardAndInputGradient(c, x, w, b, g);
                AssertClose($"{isa} forward {c}", expected, y);
                AssertClose($"{isa} input gradient {c}", expectedGx, gx);
                // the transforms are the same vector code on both ISAs and the products sum in the same order
                if (first is null) (first, firstGx) = (y, gx);
                else
                {
                    Assert.Equal(first, y);
                    Assert.Equal(firstGx, gx);
                }
            });
    }

    [Property(MaxTest = 12, Arbitrary = new[] { typeof(SevenWideCases) })]
    public void SevenWideMaps_InABatch_TakeTheTransform_AndMatchFloat64Definitions(WinogradCase c)
    {
        if (Gemm.Best == Gemm.Isa.Portable) return;
        var geometry = new ConvGeometry(c.Cin, c.H, c.W, 3, 3, 1, 1, c.Pad, c.Pad, 1, 1, c.OutH, c.OutW);
        Assert.True(Winograd.Applies(geometry, c.N, c.Cin, c.Cout, 1), $"{c}: 7×7 outputs in a batch of {c.N} take the transform");
        Assert.False(Winograd.Applies(geometry, 2, c.Cin, c.Cout, 1), $"{c}: not with two images");
        Assert.False(Winograd.Applies(geometry, c.N, c.Cin, c.Cout, 1, flipped: true), $"{c}: nor as an input gradient");
        Forward_AndInputGradient_MatchFloat64Definitions_OnEveryIsa(c);
    }

    /// <summary>Generators of the 7×7 property (a class of its own: the class-wide arbitrary stays the only one for its cases).</summary>
    public static class SevenWideCases
    {
        /// <summary>7×7 outputs (a ResNet's last stage) in batches of three or more, which take the transform; padding 0–2.</summary>
        public static Arbitrary<WinogradCase> Cases() => (
            from n in Gen.Choose(3, 4)
            from cin in Gen.Choose(16, 37)
            from cout in Gen.Choose(16, 41)
            from pad in Gen.Choose(0, 2)
            from bias in Gen.Elements(true, false)
            from seed in Gen.Choose(0, int.MaxValue)
            select new WinogradCase(n, cin, cout, 9 - 2 * pad, 9 - 2 * pad, pad, bias, seed)).ToArbitrary();
    }

    private static (float[] Y, float[] Gx) ForwardAndInputGradient(WinogradCase c, Tensor x, Tensor w, Tensor b, Tensor g)
    {
        using var leaf = x.Detach().RequireGrad();
        using var y = Ops.Conv2d(leaf, w, c.Bias ? b : null, 1, c.Pad);
        var gx = Gradients.Of(y, new[] { leaf }, gradOutput: g)[0];
        var result = (y.ToArray(), gx.ToArray());
        gx.Dispose();
        return result;
    }

    [Fact]
    public void TheWinogradPathRuns_AndRoundsDifferentlyFromTheDirectSum()
    {
        // Guards the tests above against silently testing the direct kernel: where the transform applies, its rounding
        // differs from the direct sum's somewhere in a 16-channel 20×20 map; inside Convolutions.Direct() it does not run.
        if (Gemm.Best == Gemm.Isa.Portable) return;
        var rng = new Rng(7);
        using var x = rng.Normal(new[] { 1, 16, 20, 20 });
        using var w = rng.Normal(new[] { 16, 16, 3, 3 });
        using var winograd = Ops.Conv2d(x, w, null, 1, 1);
        float[] direct, directAgain;
        using (Convolutions.Direct())
        {
            Assert.False(Convolutions.WinogradAllowed);
            using var d = Ops.Conv2d(x, w, null, 1, 1);
            direct = d.ToArray();
        }
        Assert.True(Convolutions.WinogradAllowed);
        Assert.NotEqual(direct, winograd.ToArray());
        // the same shapes as a 1×1-padded 5×5 kernel cannot take the transform: identical inside and outside the scope
        using var w5 = rng.Normal(new[] { 16, 16, 5, 5 });
        using (var outside = Ops.Conv2d(x, w5, null, 1, 2)) directAgain = outside.ToArray();
        using (Convolutions.Direct())
        using (var inside = Ops.Conv2d(x, w5, null, 1, 2))
            Assert.Equal(directAgain, inside.ToArray());
        // nor does a 16-channel 3×3 on a 24-wide map, which fills the direct kernel's lanes and is too small to pay
        using var wide = rng.Normal(new[] { 1, 16, 24, 24 });
        using var small = Ops.Conv2d(wide, w, null, 1, 1);
        using (Convolutions.Direct())
        using (var smallDirect = Ops.Conv2d(wide, w, null, 1, 1))
            Assert.Equal(smallDirect.ToArray(), small.ToArray());
    }

    [Property(MaxTest = 12)]
    public void Gradients_MatchFiniteDifferences(WinogradCase c)
    {
        // GradCheck writes each probed weight in place and restores it: every probe also tests that a cached transform
        // of changed weights is not reused. The convolution is linear in each input, so the central difference is exact
        // for any step; a large one keeps the float32 rounding of ~10⁴ outputs out of the difference.
        var rng = new Rng((ulong)c.Seed);
        var inputs = new List<Tensor> { GradCheck.Leaf(rng, c.N, c.Cin, c.H, c.W), GradCheck.Leaf(rng, c.Cout, c.Cin, 3, 3) };
        if (c.Bias) inputs.Add(GradCheck.Leaf(rng, c.Cout));
        GradCheck.Check($"winograd conv2d {c}", xs => Ops.Conv2d(xs[0], xs[1], xs.Length > 2 ? xs[2] : null, 1, c.Pad), inputs.ToArray(), rng,
            maxPerInput: 12, step: 0.5);
        foreach (var t in inputs) t.Dispose();
    }

    [Fact]
    public void WeightsChangedInPlace_AreSeen()
    {
        if (Gemm.Best == Gemm.Isa.Portable) return;
        var c = new WinogradCase(1, 20, 40, 13, 11, 1, false, 0);
        var rng = new Rng(11);
        using var x = rng.Normal(new[] { 1, c.Cin, c.H, c.W });
        using var w = rng.Normal(new[] { c.Cout, c.Cin, 3, 3 });
        using (var before = Ops.Conv2d(x, w, null, 1, 1))
            AssertClose("before", ReferenceForward(c, x.ToArray(), w.ToArray(), null), before.ToArray());
        // one kernel tap of one channel pair, then every weight scaled: both must show in the next call
        w.Data[5 * c.Cin * 9 + 3 * 9 + 4] += 10f;
        using (var one = Ops.Conv2d(x, w, null, 1, 1))
            AssertClose("one weight changed", ReferenceForward(c, x.ToArray(), w.ToArray(), null), one.ToArray());
        foreach (ref var v in w.Data) v *= -0.5f;
        using (var all = Ops.Conv2d(x, w, null, 1, 1))
            AssertClose("all weights changed", ReferenceForward(c, x.ToArray(), w.ToArray(), null), all.ToArray());
    }

    [Fact]
    public void Bits_DoNotDependOnThreads_OrOnTheTransformCache()
    {
        var rng = new Rng(3);
        using var x = rng.Normal(new[] { 2, 24, 30, 22 }).RequireGrad();
        using var w = rng.Normal(new[] { 48, 24, 3, 3 });
        using var b = rng.Normal(new[] { 48 });
        (float[] Y, float[] Gx) Run()
        {
            x.Grad = null;
            using var y = Ops.Conv2d(x, w, b, 1, 1);
            using (var loss = Ops.Sum(Ops.Mul(y, y))) loss.Backward();
            return (y.ToArray(), x.Grad!.ToArray());
        }
        // a fresh copy of the weights has a new address: its first call packs the transform anew
        var first = Run();
        var cached = Run();
        int saved = ParallelKernels.Threads;
        try
        {
            ParallelKernels.Threads = 1;
            var single = Run();
            Assert.Equal(first.Y, single.Y);
            Assert.Equal(first.Gx, single.Gx);
        }
        finally { ParallelKernels.Threads = saved; }
        Assert.Equal(first.Y, cached.Y);
        Assert.Equal(first.Gx, cached.Gx);
        using var copy = Tensor.FromArray(w.ToArray(), 48, 24, 3, 3);
        using var y2 = Ops.Conv2d(x, copy, b, 1, 1);
        Assert.Equal(first.Y, y2.ToArray());
    }
}
