using Lucid.Tensors.Autograd;
using Lucid.Tensors.Kernels;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>
/// Element-wise ops and evaluation-mode batch norm on tensors large enough to be split into chunks across the cores:
/// each element equals its scalar definition, gradients included, and nothing depends on the thread count.
/// </summary>
[Collection(nameof(KernelSwitchCollection))]
public class LargeElementwiseTests
{
    /// <summary>
    /// Large separable gathers (row blocks on both cores) and their scatters: slice, constant and reflecting pads, roll and
    /// a selection with repeats (whose scatter must stay on one core) equal their definition, and forward and gradient
    /// bits do not depend on the thread count.
    /// </summary>
    [Fact]
    public void LargeGathersAndScatters_MatchTheirDefinition_AndDoNotDependOnThreads()
    {
        float[][] Run(int threads) => KernelThreads.With(threads, () =>
        {
            using var scope = Tensor.Scope();
            var rng = new Rng(13);
            var x = rng.Normal(new[] { 2, 64, 41, 39 }).RequireGrad();
            var slice = Ops.Slice(Ops.Slice(x, 2, 3, 40, 1), 3, 1, 38, 2);
            var pad = Ops.Pad(x, new[] { 3, 5, 2, 1 });
            var reflect = Ops.Pad(x, new[] { 4, 4, 4, 4 }, PadMode.Reflect);
            var rolled = Ops.Roll(x, new[] { 5, -7 }, new[] { 2, 3 });
            var repeated = Ops.IndexSelect(x, 1, Enumerable.Range(0, 96).Select(i => i % 64).ToArray());
            var outputs = new[] { slice, pad, reflect, rolled, repeated };
            var weights = outputs.Select(o => rng.Normal(o.Shape.ToArray())).ToArray();
            var loss = outputs.Zip(weights, (o, w) => Ops.Sum(Ops.Mul(o, w))).Aggregate(Ops.Add);
            var gx = Gradients.Of(loss, new[] { x })[0];
            var xd = x.ToArray();
            float At(int n, int c, int h, int w) => xd[((n * 64 + c) * 41 + h) * 39 + w];
            for (int n = 0; n < 2; n++)
                for (int c = 0; c < 64; c++)
                {
                    for (int h = 0; h < 37; h++)
                        for (int w = 0; w < 19; w++)
                            Assert.Equal(At(n, c, h + 3, 1 + 2 * w), slice.Data[((n * 64 + c) * 37 + h) * 19 + w]);
                    for (int h = 0; h < 44; h++)
                        for (int w = 0; w < 47; w++)
                        {
                            int ih = h - 2, iw = w - 3;
                            float expected = ih >= 0 && ih < 41 && iw >= 0 && iw < 39 ? At(n, c, ih, iw) : 0f;
                            Assert.Equal(expected, pad.Data[((n * 64 + c) * 44 + h) * 47 + w]);
                        }
                    for (int h = 0; h < 41; h++)
                        for (int w = 0; w < 39; w++)
                            Assert.Equal(At(n, c, ((h - 5) % 41 + 41) % 41, ((w + 7) % 39 + 39) % 39), rolled.Data[((n * 64 + c) * 41 + h) * 39 + w]);
                }
            return outputs.Select(o => o.ToArray()).Append(gx.ToArray()).ToArray();
        });
        var one = Run(1);
        var two = Run(2);
        for (int k = 0; k < one.Length; k++) Assert.Equal(one[k], two[k]);
    }

    /// <summary>Broadcast binary ops over large outputs (row blocks on both cores): per-channel scales, per-position planes, mixed.</summary>
    [Theory]
    [InlineData(new[] { 1, 64, 1, 1 })]
    [InlineData(new[] { 2, 1, 41, 39 })]
    [InlineData(new[] { 64, 1, 39 })]
    [InlineData(new[] { 1 })]
    public void BroadcastOps_MatchTheirDefinition_AndDoNotDependOnThreads(int[] otherShape)
    {
        int[] shape = { 2, 64, 41, 39 };
        var strides = Shapes.Strides(shape);
        float[][] Run(int threads) => KernelThreads.With(threads, () =>
        {
            using var scope = Tensor.Scope();
            var rng = new Rng(9);
            var x = rng.Normal(shape);
            var other = rng.Uniform(otherShape, 0.5f, 2f);
            var results = new[] { Ops.Mul(x, other), Ops.Add(other, x), Ops.Sub(other, x), Ops.Div(x, other), Ops.Maximum(x, other) };
            var xd = x.ToArray(); var od = other.ToArray();
            var os = Shapes.Strides(otherShape);
            int offset = shape.Length - otherShape.Length;
            for (int i = 0; i < xd.Length; i++)
            {
                int o = 0;
                for (int d = 0; d < otherShape.Length; d++)
                    if (otherShape[d] != 1) o += i / strides[d + offset] % shape[d + offset] * os[d];
                Assert.Equal(xd[i] * od[o], results[0].Data[i]);
                Assert.Equal(od[o] + xd[i], results[1].Data[i]);
                Assert.Equal(od[o] - xd[i], results[2].Data[i]);
                Assert.Equal(xd[i] / od[o], results[3].Data[i]);
                Assert.Equal(Math.Max(xd[i], od[o]), results[4].Data[i]);
            }
            return results.Select(r => r.ToArray()).ToArray();
        });
        var one = Run(1);
        var two = Run(2);
        for (int k = 0; k < one.Length; k++) Assert.Equal(one[k], two[k]);
    }

    [Fact]
    public void ChunkedOps_MatchTheirDefinition_AndDoNotDependOnThreads()
    {
        (float[] Relu, float[] Sum, float[] Exp, float[] Norm, float[] GradX) Run(int threads) => KernelThreads.With(threads, () =>
        {
            using var scope = Tensor.Scope();
            var rng = new Rng(5);
            var x = rng.Normal(new[] { 2, 64, 41, 39 }).RequireGrad();
            var other = rng.Normal(new[] { 2, 64, 41, 39 });
            var mean = rng.Normal(new[] { 64 });
            var variance = rng.Uniform(new[] { 64 }, 0.5f, 2f);
            var gamma = rng.Normal(new[] { 64 });
            var beta = rng.Normal(new[] { 64 });
            var relu = Ops.Relu(x);
            var sum = Ops.Add(x, other);
            var exp = Ops.Exp(Ops.Mul(x, Tensor.Scalar(0.1f)));
            var norm = Ops.BatchNorm(x, mean, variance, gamma, beta, training: false);
            var upstream = rng.Normal(norm.Shape.ToArray());
            var gx = Gradients.Of(Ops.Add(Ops.Sum(Ops.Mul(norm, upstream)), Ops.Sum(Ops.Mul(relu, upstream))), new[] { x })[0];
            var xd = x.ToArray(); var od = other.ToArray(); var m = mean.ToArray(); var v = variance.ToArray();
            var g = gamma.ToArray(); var b = beta.ToArray(); var u = upstream.ToArray();
            int plane = 41 * 39;
            for (int i = 0; i < xd.Length; i++)
            {
                int c = i / plane % 64;
                float scale = g[c] / MathF.Sqrt(v[c] + 1e-5f);
                Assert.Equal(Math.Max(xd[i], 0f), relu.Data[i]);
                Assert.Equal(xd[i] + od[i], sum.Data[i]);
                Assert.Equal(Math.Exp(0.1 * xd[i]), exp.Data[i], 1e-5 * Math.Exp(0.1 * xd[i]));
                Assert.Equal((xd[i] - m[c]) * scale + b[c], norm.Data[i], 1e-4 * (1 + Math.Abs(norm.Data[i])));
                Assert.Equal(u[i] * scale + (xd[i] > 0 ? u[i] : 0f), gx.Data[i], 1e-4 * (1 + Math.Abs(gx.Data[i])));
            }
            return (relu.ToArray(), sum.ToArray(), exp.ToArray(), norm.ToArray(), gx.ToArray());
        });
        var one = Run(1);
        var two = Run(2);
        Assert.Equal(one.Relu, two.Relu);
        Assert.Equal(one.Sum, two.Sum);
        Assert.Equal(one.Exp, two.Exp);
        Assert.Equal(one.Norm, two.Norm);
        Assert.Equal(one.GradX, two.GradX);
    }
}

public class AdoptTests
{
    /// <summary>An adopted array is the tensor's memory (no copy, exact size); a shape that does not fit is refused.</summary>
    [Fact]
    public void Adopt_SharesTheArray_AndChecksTheShape()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        using var t = Tensor.Adopt(data, 2, 3);
        data[4] = 50f;
        Assert.Equal(50f, t[1, 1]);
        t.Data[0] = -1f;
        Assert.Equal(-1f, data[0]);
        using var y = Ops.Mul(t, Tensor.Scalar(2f));
        Assert.Equal(new float[] { -2, 4, 6, 8, 100, 12 }, y.ToArray());
        var e = Assert.Throws<ShapeMismatchException>(() => Tensor.Adopt(data, 4, 2));
        Assert.Contains("6 values cannot fill shape [4, 2]", e.Message);
    }
}
