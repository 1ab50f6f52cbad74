using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Tensors.Autograd;
using Lucid.Tensors.Kernels;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>
/// Convolution on every instruction set the machine can run (AVX-512, AVX2 + FMA, portable), on maps wide enough for
/// the direct kernel (output rows of 12–40 positions fill its 16-lane segments) and for its polyphase use at stride 2:
/// the forward pass against the definition, the gradients against finite differences, and every ISA against the
/// portable path within float32 rounding.
/// </summary>
[Collection(nameof(KernelSwitchCollection))]
[Properties(Arbitrary = new[] { typeof(IsaConvolutionTests) })]
public class IsaConvolutionTests
{
    /// <summary>Convolutions on maps 12–40 wide (what a property of this class takes for <see cref="GradientProperties.ConvCase"/>).</summary>
    public static Arbitrary<GradientProperties.ConvCase> WideCases() => (
        from n in Gen.Choose(1, 2)
        from g in Gen.Elements(1, 1, 2)
        from cig in Gen.Choose(1, 9)
        from cog in Gen.Choose(4, 19)
        from k in Gen.Elements(1, 3, 3, 5, 7)
        from stride in Gen.Elements(1, 1, 2)
        from dil in Gen.Elements(1, 1, 2)
        from pad in Gen.Choose(0, 3)
        from h in Gen.Choose(3, 20)
        from w in Gen.Choose(12, 40)
        from bias in Gen.Elements(true, false)
        from seed in Gen.Choose(0, int.MaxValue)
        where h + 2 * pad >= dil * (k - 1) + 1 && w + 2 * pad >= dil * (k - 1) + 1
        select new GradientProperties.ConvCase(n, g, cig, cog, h, w, k, stride, pad, dil, bias, seed)).ToArbitrary();

    private static IEnumerable<Gemm.Isa> Isas => Enum.GetValues<Gemm.Isa>().Where(i => i >= Gemm.Best);

    [Property(MaxTest = 60)]
    public void WideConvolutions_MatchTheDefinition_AndAgreeAcrossIsas(GradientProperties.ConvCase c)
    {
            var rng = new Rng((ulong)c.Seed);
        int cin = c.G * c.Cig, cout = c.G * c.Cog;
        using var x = rng.Normal(new[] { c.N, cin, c.H, c.W });
        using var w = rng.Normal(new[] { cout, c.Cig, c.K, c.K });
        using var b = rng.Normal(new[] { cout });
        var outputs = new Dictionary<Gemm.Isa, float[]>();
        foreach (var isa in Isas)
            Gemm.WithIsa(isa, () =>
            {
                using var y = Ops.Conv2d(x, w, c.Bias ? b : null, c.Stride, c.Pad, c.Dil, c.G);
                outputs[isa] = y.ToArray();
            });
        var expected = ForwardReferenceTests.ReferenceConv2d(c, x.ToArray(), w.ToArray(), c.Bias ? b.ToArray() : null);
        double bound = 1e-5 * Math.Sqrt(c.Cig * c.K * c.K) * 8;
        foreach (var (isa, y) in outputs)
            for (int at = 0; at < expected.Length; at++)
                Assert.True(Math.Abs(y[at] - expected[at]) <= bound * (1 + Math.Abs(expected[at])), $"{isa} {c}: y[{at}] = {y[at]}, expected {expected[at]}");
    }

    [Property(MaxTest = 25)]
    public void WideConvolutionGradients_MatchFiniteDifferences_OnEveryIsa(GradientProperties.ConvCase c)
    {
        foreach (var isa in Isas)
            Gemm.WithIsa(isa, () =>
            {
                var rng = new Rng((ulong)c.Seed);
                var inputs = new List<Tensor> { GradCheck.Leaf(rng, c.N, c.G * c.Cig, c.H, c.W), GradCheck.Leaf(rng, c.G * c.Cog, c.Cig, c.K, c.K) };
                if (c.Bias) inputs.Add(GradCheck.Leaf(rng, c.G * c.Cog));
                GradCheck.Check($"conv2d on {isa} {c}", xs => Ops.Conv2d(xs[0], xs[1], xs.Length > 2 ? xs[2] : null, c.Stride, c.Pad, c.Dil, c.G), inputs.ToArray(), rng,
                    step: 1e-2);
                foreach (var t in inputs) t.Dispose();
            });
    }
}
