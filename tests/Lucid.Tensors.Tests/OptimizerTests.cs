using FsCheck;
using FsCheck.Fluent;
using Lucid.Tensors.Optim;
using Xunit;

namespace Lucid.Tensors.Tests;

public class OptimizerTests
{
    /// <summary>
    /// Adam's SIMD update is bit-identical to the textbook scalar update (PyTorch's formula, float32, no fused
    /// multiply-adds) for any length — vector lanes and the scalar tail alike — with and without L2 decay.
    /// </summary>
    [Fact]
    public void AdamUpdate_IsBitIdenticalToTheScalarDefinition() =>
        Prop.ForAll((from n in Gen.Choose(1, 70) from steps in Gen.Choose(1, 5) from decay in Gen.Elements(0f, 0.01f) from seed in Gen.Choose(0, 1000)
                     select (n, steps, decay, seed)).ToArbitrary(), c =>
        {
            var rng = new Rng((ulong)c.seed);
            var parameter = rng.Normal(new[] { c.n });
            parameter.RequiresGrad = true;
            var reference = parameter.ToArray();
            var m = new float[c.n];
            var v = new float[c.n];
            var adam = new Adam(new[] { parameter }, 0.05f, weightDecay: c.decay);
            for (int t = 1; t <= c.steps; t++)
            {
                var g = rng.Normal(new[] { c.n });
                parameter.Grad = g;
                adam.Step();
                float bc1 = 1f - MathF.Pow(0.9f, t), bc2 = MathF.Sqrt(1f - MathF.Pow(0.999f, t)), size = 0.05f / bc1;
                for (int i = 0; i < c.n; i++)
                {
                    float gi = g.Data[i] + c.decay * reference[i];
                    m[i] = 0.9f * m[i] + (1f - 0.9f) * gi;
                    v[i] = 0.999f * v[i] + (1f - 0.999f) * gi * gi;
                    reference[i] -= size * m[i] / (MathF.Sqrt(v[i]) / bc2 + 1e-8f);
                }
            }
            Assert.Equal(reference, parameter.ToArray());
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200).WithQuietOnSuccess(true));
}
