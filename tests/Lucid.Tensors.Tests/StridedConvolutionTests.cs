using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Tensors.Kernels;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>
/// Stride-2 convolutions with more input channels than the polyphase form takes (over 16 per group), whose forward on
/// the AVX2 kernel packs its strided windows straight from the image (vector permutes over output rows of 8–22
/// positions, so both the 8-wide steps and their scalar tails run): against the definition and the portable path on
/// every ISA the machine has, and the gradients against finite differences.
/// </summary>
[Collection(nameof(KernelSwitchCollection))]
[Properties(Arbitrary = new[] { typeof(StridedConvolutionTests) })]
public class StridedConvolutionTests
{
    public static Arbitrary<GradientProperties.ConvCase> StridedCases() => (
        from n in Gen.Choose(1, 3)
        from g in Gen.Elements(1, 1, 2)
        from cig in Gen.Choose(17, 28)
        from cog in Gen.Choose(3, 20)
        from k in Gen.Elements(1, 3, 3, 5)
        from dil in Gen.Elements(1, 1, 2)
        from pad in Gen.Choose(0, 3)
        from h in Gen.Choose(5, 19)
        from w in Gen.Choose(17, 45)
        from bias in Gen.Elements(true, false)
        from seed in Gen.Choose(0, int.MaxValue)
        where h + 2 * pad >= dil * (k - 1) + 1 && w + 2 * pad >= dil * (k - 1) + 1
        select new GradientProperties.ConvCase(n, g, cig, cog, h, w, k, 2, pad, dil, bias, seed)).ToArbitrary();

    private static IEnumerable<Gemm.Isa> Isas => Enum.GetValues<Gemm.Isa>().Where(i => i >= Gemm.Best);

    [Property(MaxTest = 40)]
    public void StridedConvolutions_MatchTheDefinition_OnEveryIsa(GradientProperties.ConvCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        int cin = c.G * c.Cig, cout = c.G * c.Cog;
        using var x = rng.Normal(new[] { c.N, cin, c.H, c.W });
        using var w = rng.Normal(new[] { cout, c.Cig, c.K, c.K });
        using var b = rng.Normal(new[] { cout });
        var expected = ForwardReferenceTests.ReferenceConv2d(c, x.ToArray(), w.ToArray(), c.Bias ? b.ToArray() : null);
        double bound = 1e-5 * Math.Sqrt(c.Cig * c.K * c.K) * 8;
        foreach (var isa in Isas)
            Gemm.WithIsa(isa, () =>
            {
                using var y = Ops.Conv2d(x, w, c.Bias ? b : null, c.Stride, c.Pad, c.Dil, c.G);
                var got = y.ToArray();
                Assert.Equal(expected.Length, got.Length);
                for (int at = 0; at < expected.Length; at++)
                    Assert.True(Math.Abs(got[at] - expected[at]) <= bound * (1 + Math.Abs(expected[at])), $"{isa} {c}: y[{at}] = {got[at]}, expected {expected[at]}");
            });
    }

    [Property(MaxTest = 6)]
    public void StridedConvolutionGradients_MatchFiniteDifferences(GradientProperties.ConvCase c)
    {
        foreach (var isa in Isas)
            Gemm.WithIsa(isa, () =>
            {
                var rng = new Rng((ulong)c.Seed);
                var inputs = new List<Tensor> { GradCheck.Leaf(rng, c.N, c.G * c.Cig, c.H, c.W), GradCheck.Leaf(rng, c.G * c.Cog, c.Cig, c.K, c.K) };
                if (c.Bias) inputs.Add(GradCheck.Leaf(rng, c.G * c.Cog));
                GradCheck.Check($"strided conv2d on {isa} {c}", xs => Ops.Conv2d(xs[0], xs[1], xs.Length > 2 ? xs[2] : null, c.Stride, c.Pad, c.Dil, c.G), inputs.ToArray(), rng,
                    step: 1e-2);
                foreach (var t in inputs) t.Dispose();
            });
    }
}
