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
    public static Arbitrary<GradientProperties.ConvCase> WideCases() =>
        Cases(batch: 2, inPerGroup: (1, 9), outPerGroup: (4, 19), kernels: new[] { 1, 3, 3, 5, 7 }, strides: new[] { 1, 1, 2 }, height: (3, 20), width: (12, 40));

    /// <summary>Random convolutions: batch 1 to <paramref name="batch"/>, groups 1–2, dilation 1–2, padding 0–3, bias or not.</summary>
    internal static Arbitrary<GradientProperties.ConvCase> Cases(int batch, (int Low, int High) inPerGroup, (int Low, int High) outPerGroup,
        int[] kernels, int[] strides, (int Low, int High) height, (int Low, int High) width) => (
        from n in Gen.Choose(1, batch)
        from g in Gen.Elements(1, 1, 2)
        from cig in Gen.Choose(inPerGroup.Low, inPerGroup.High)
        from cog in Gen.Choose(outPerGroup.Low, outPerGroup.High)
        from k in Gen.Elements(kernels)
        from stride in Gen.Elements(strides)
        from dil in Gen.Elements(1, 1, 2)
        from pad in Gen.Choose(0, 3)
        from h in Gen.Choose(height.Low, height.High)
        from w in Gen.Choose(width.Low, width.High)
        from bias in Gen.Elements(true, false)
        from seed in Gen.Choose(0, int.MaxValue)
        where h + 2 * pad >= dil * (k - 1) + 1 && w + 2 * pad >= dil * (k - 1) + 1
        select new GradientProperties.ConvCase(n, g, cig, cog, h, w, k, stride, pad, dil, bias, seed)).ToArbitrary();

    private static IEnumerable<Gemm.Isa> Isas => Enum.GetValues<Gemm.Isa>().Where(i => i >= Gemm.Best);

    [Property(MaxTest = 60)]
    public void WideConvolutions_MatchTheDefinition_AndAgreeAcrossIsas(GradientProperties.ConvCase c) => MatchesTheDefinitionOnEveryIsa(c);

    [Property(MaxTest = 25)]
    public void WideConvolutionGradients_MatchFiniteDifferences_OnEveryIsa(GradientProperties.ConvCase c) => GradientsMatchFiniteDifferencesOnEveryIsa(c);

    /// <summary>The forward on every ISA the machine runs against the definition, within float32 rounding.</summary>
    internal static void MatchesTheDefinitionOnEveryIsa(GradientProperties.ConvCase c)
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
        {
            Assert.Equal(expected.Length, y.Length);
            for (int at = 0; at < expected.Length; at++)
                Assert.True(Math.Abs(y[at] - expected[at]) <= bound * (1 + Math.Abs(expected[at])), $"{isa} {c}: y[{at}] = {y[at]}, expected {expected[at]}");
        }
    }

    /// <summary>Input, weight and bias gradients on every ISA the machine runs against finite differences.</summary>
    internal static void GradientsMatchFiniteDifferencesOnEveryIsa(GradientProperties.ConvCase c)
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
