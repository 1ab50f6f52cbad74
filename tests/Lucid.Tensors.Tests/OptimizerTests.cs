using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Testing;
using Lucid.Tensors.Optim;
using Xunit;

namespace Lucid.Tensors.Tests;

public class OptimizerTests
{
    public sealed record AdamCase(int Length, int Steps, float Decay, int Seed) : Case;

    public static Arbitrary<AdamCase> AdamCases() => (
        from n in Gen.Choose(1, 70) from steps in Gen.Choose(1, 5) from decay in Gen.Elements(0f, 0.01f) from seed in Gen.Choose(0, 1000)
        select new AdamCase(n, steps, decay, seed)).ToArbitrary();

    /// <summary>
    /// Adam's SIMD update is bit-identical to the textbook scalar update (PyTorch's formula, float32, no fused
    /// multiply-adds) for any length — vector lanes and the scalar tail alike — with and without L2 decay.
    /// </summary>
    [Property(MaxTest = 200, Arbitrary = new[] { typeof(OptimizerTests) })]
    public void AdamUpdate_IsBitIdenticalToTheScalarDefinition(AdamCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        var parameter = rng.Normal(new[] { c.Length });
        parameter.RequiresGrad = true;
        var reference = parameter.ToArray();
        var m = new float[c.Length];
        var v = new float[c.Length];
        var adam = new Adam(new[] { parameter }, 0.05f, weightDecay: c.Decay);
        for (int t = 1; t <= c.Steps; t++)
        {
            var g = rng.Normal(new[] { c.Length });
            parameter.Grad = g;
            adam.Step();
            float bc1 = 1f - MathF.Pow(0.9f, t), bc2 = MathF.Sqrt(1f - MathF.Pow(0.999f, t)), size = 0.05f / bc1;
            for (int i = 0; i < c.Length; i++)
            {
                float gi = g.Data[i] + c.Decay * reference[i];
                m[i] = 0.9f * m[i] + (1f - 0.9f) * gi;
                v[i] = 0.999f * v[i] + (1f - 0.999f) * gi * gi;
                reference[i] -= size * m[i] / (MathF.Sqrt(v[i]) / bc2 + 1e-8f);
            }
        }
        Assert.Equal(reference, parameter.ToArray());
    }
}
