using FsCheck;
using FsCheck.Fluent;
using Lucid.Tensors;
using Xunit;
using static Lucid.Tensors.Tests.GradCheck;

namespace Lucid.Tensors.Tests;

/// <summary>Every differentiable op: Backward() against central finite differences on ≥ 200 random cases (see <see cref="GradCheck"/> for the tolerance).</summary>
public class GradientProperties
{
    /// <summary>A random shape of rank 0..4 with sizes 1..4 (size-1 dims included on purpose).</summary>
    private static Gen<int[]> SmallShape =>
        from rank in Gen.Choose(0, 4)
        from dims in Gen.Choose(1, 4).ArrayOf(rank)
        select dims;

    /// <summary>A pair of shapes that broadcast: the second is the first with some dims set to 1 and leading dims dropped.</summary>
    private static Gen<(int[] A, int[] B, int Seed)> BroadcastPair =>
        from a in SmallShape
        from mask in Gen.Choose(0, 15)
        from drop in Gen.Choose(0, 2)
        from swap in Gen.Elements(true, false)
        from seed in Seeds
        let b = a.Select((d, i) => ((mask >> i) & 1) == 1 ? 1 : d).Skip(Math.Min(drop, a.Length)).ToArray()
        select swap ? (b, a, seed) : (a, b, seed);

    private static void Unary(string op, Func<Tensor, Tensor> f, Func<Rng, int[], Tensor> make) =>
        ForAll(from s in SmallShape from seed in Seeds select (s, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            var x = make(rng, c.s);
            Check(op, xs => f(xs[0]), new[] { x }, rng);
        });

    private static void Binary(string op, Func<Tensor, Tensor, Tensor> f, Func<Rng, int[], Tensor> makeA, Func<Rng, int[], Tensor> makeB) =>
        ForAll(BroadcastPair, c =>
        {
            var rng = new Rng((ulong)c.Seed);
            Check(op, xs => f(xs[0], xs[1]), new[] { makeA(rng, c.A), makeB(rng, c.B) }, rng);
        });

    private static Tensor N(Rng r, int[] s) => Leaf(r, s);
    private static Tensor P(Rng r, int[] s) => Positive(r, s);

    [Fact] public void AddGradient_MatchesFiniteDifferences_WithBroadcasting() => Binary("add", Ops.Add, N, N);
    [Fact] public void SubGradient_MatchesFiniteDifferences_WithBroadcasting() => Binary("sub", Ops.Sub, N, N);
    [Fact] public void MulGradient_MatchesFiniteDifferences_WithBroadcasting() => Binary("mul", Ops.Mul, N, N);
    [Fact] public void DivGradient_MatchesFiniteDifferences_WithBroadcasting() => Binary("div", Ops.Div, N, P);
    [Fact] public void PowTensorGradient_MatchesFiniteDifferences_WithBroadcasting() => Binary("pow", Ops.Pow, P, (r, s) => r.Uniform(s, -2f, 2f).RequireGrad());

    [Fact]
    public void MaximumAndMinimumGradients_MatchFiniteDifferences() =>
        ForAll(BroadcastPair, c =>
        {
            var rng = new Rng((ulong)c.Seed);
            // a = b + offset with |offset| ≥ 0.05 everywhere, so a ±h step never changes which operand wins
            var b = Leaf(rng, c.B);
            var offset = AwayFrom(rng, c.A, 0.05f, 0f);
            Tensor sum;
            using (Autograd.GradMode.NoGrad()) sum = Ops.Add(offset, b);
            var a = Tensor.FromArray(sum.Data, sum.Shape.ToArray()).RequireGrad();
            Check("maximum", xs => Ops.Maximum(xs[0], xs[1]), new[] { a, b }, rng);
            Check("minimum", xs => Ops.Minimum(xs[0], xs[1]), new[] { a, b }, rng);
        });

    [Fact]
    public void MaximumGradient_SplitsEquallyAtTies()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f, 3f }, 3).RequireGrad();
        var b = Tensor.FromArray(new[] { 1f, 5f, 0f }, 3).RequireGrad();
        Ops.Sum(Ops.Maximum(a, b)).Backward();
        Assert.Equal(new[] { 0.5f, 0f, 1f }, a.Grad!.ToArray());
        Assert.Equal(new[] { 0.5f, 1f, 0f }, b.Grad!.ToArray());
    }

    [Fact] public void ScalarAffineGradient_MatchesFiniteDifferences() => Unary("affine", x => Ops.Affine(x, -1.7f, 0.3f), N);
    [Fact] public void NegGradient_MatchesFiniteDifferences() => Unary("neg", Ops.Neg, N);
    [Fact] public void ExpGradient_MatchesFiniteDifferences() => Unary("exp", Ops.Exp, N);
    [Fact] public void LogGradient_MatchesFiniteDifferences() => Unary("log", Ops.Log, P);
    [Fact] public void SqrtGradient_MatchesFiniteDifferences() => Unary("sqrt", Ops.Sqrt, P);
    [Fact] public void PowScalarGradient_MatchesFiniteDifferences() => Unary("pow", x => Ops.Pow(x, 2.5f), P);
    [Fact] public void AbsGradient_MatchesFiniteDifferences() => Unary("abs", Ops.Abs, (r, s) => AwayFrom(r, s, 0.01f, 0f));
    [Fact] public void ClampGradient_MatchesFiniteDifferences() => Unary("clamp", x => Ops.Clamp(x, -0.5f, 0.7f), (r, s) => AwayFrom(r, s, 0.01f, -0.5f, 0.7f));
    [Fact] public void ReluGradient_MatchesFiniteDifferences() => Unary("relu", Ops.Relu, (r, s) => AwayFrom(r, s, 0.01f, 0f));
    [Fact] public void LeakyReluGradient_MatchesFiniteDifferences() => Unary("leaky_relu", x => Ops.LeakyRelu(x, 0.2f), (r, s) => AwayFrom(r, s, 0.01f, 0f));
    [Fact] public void EluGradient_MatchesFiniteDifferences() => Unary("elu", x => Ops.Elu(x, 0.8f), (r, s) => AwayFrom(r, s, 0.01f, 0f));
    [Fact] public void GeluGradient_MatchesFiniteDifferences() => Unary("gelu", Ops.Gelu, N);
    [Fact] public void SigmoidGradient_MatchesFiniteDifferences() => Unary("sigmoid", Ops.Sigmoid, N);
    [Fact] public void TanhGradient_MatchesFiniteDifferences() => Unary("tanh", Ops.Tanh, N);
    [Fact] public void AtanGradient_MatchesFiniteDifferences() => Unary("atan", Ops.Atan, N);
    [Fact] public void CosGradient_MatchesFiniteDifferences() => Unary("cos", Ops.Cos, N);
    [Fact] public void SinGradient_MatchesFiniteDifferences() => Unary("sin", Ops.Sin, N);
    [Fact] public void SoftplusGradient_MatchesFiniteDifferences() => Unary("softplus", x => Ops.Softplus(x, 1.5f), N);

    [Fact]
    public void SignGradient_IsZero() =>
        ForAll(from s in SmallShape from seed in Seeds select (s, seed), c =>
        {
            var x = AwayFrom(new Rng((ulong)c.seed), c.s, 0.01f, 0f);
            Check("sign", xs => Ops.Sign(xs[0]), new[] { x }, new Rng((ulong)c.seed + 1));
            Assert.All(x.Grad!.ToArray(), g => Assert.Equal(0f, g));
        });

    // ---- reductions ----------------------------------------------------------------------------------------------

    private static Gen<(int[] Shape, int[] Dims, bool Keep, int Seed)> ReductionCase =>
        from rank in Gen.Choose(1, 4)
        from shape in Gen.Choose(1, 4).ArrayOf(rank)
        from mask in Gen.Choose(1, (1 << rank) - 1)
        from keep in Gen.Elements(true, false)
        from seed in Seeds
        select (shape, Enumerable.Range(0, rank).Where(i => ((mask >> i) & 1) == 1).Select(i => i % 2 == 0 ? i : i - rank).ToArray(), keep, seed);

    private static void Reduction(string op, Func<Tensor, int[], bool, Tensor> f, Func<Rng, int[], Tensor> make) =>
        ForAll(ReductionCase, c =>
        {
            var rng = new Rng((ulong)c.Seed);
            Check(op, xs => f(xs[0], c.Dims, c.Keep), new[] { make(rng, c.Shape) }, rng);
        });

    [Fact] public void SumGradient_MatchesFiniteDifferences() => Reduction("sum", Ops.Sum, N);
    [Fact] public void MeanGradient_MatchesFiniteDifferences() => Reduction("mean", Ops.Mean, N);
    [Fact] public void MaxGradient_MatchesFiniteDifferences() => Reduction("max", Ops.Max, Distinct);
    [Fact] public void MinGradient_MatchesFiniteDifferences() => Reduction("min", Ops.Min, Distinct);

    [Fact]
    public void VarGradient_MatchesFiniteDifferences() =>
        ForAll(ReductionCase.Where(c => c.Dims.Select(d => c.Shape[d < 0 ? d + c.Shape.Length : d]).Aggregate(1, (a, b) => a * b) >= 2), c =>
        {
            var rng = new Rng((ulong)c.Seed);
            Check("var", xs => Ops.Var(xs[0], c.Dims, unbiased: c.Seed % 2 == 0, keepDim: c.Keep), new[] { Leaf(rng, c.Shape) }, rng);
        });

    [Fact]
    public void FullReductionsGradient_MatchFiniteDifferences() =>
        ForAll(from s in SmallShape from seed in Seeds select (s, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            Check("sum_all", xs => Ops.Sum(xs[0]), new[] { Leaf(rng, c.s) }, rng);
            Check("mean_all", xs => Ops.Mean(xs[0]), new[] { Leaf(rng, c.s) }, rng);
            Check("max_all", xs => Ops.Max(xs[0]), new[] { Distinct(rng, c.s) }, rng);
            Check("min_all", xs => Ops.Min(xs[0]), new[] { Distinct(rng, c.s) }, rng);
        });

    private static Gen<(int[] Shape, int Dim, int Seed)> DimCase =>
        from rank in Gen.Choose(1, 4)
        from shape in Gen.Choose(1, 5).ArrayOf(rank)
        from dim in Gen.Choose(-rank, rank - 1)
        from seed in Seeds
        select (shape, dim, seed);

    [Fact]
    public void SoftmaxGradient_MatchesFiniteDifferences() =>
        ForAll(DimCase, c =>
        {
            var rng = new Rng((ulong)c.Seed);
            Check("softmax", xs => Ops.Softmax(xs[0], c.Dim), new[] { Leaf(rng, c.Shape) }, rng);
        });

    [Fact]
    public void LogSoftmaxGradient_MatchesFiniteDifferences() =>
        ForAll(DimCase, c =>
        {
            var rng = new Rng((ulong)c.Seed);
            Check("log_softmax", xs => Ops.LogSoftmax(xs[0], c.Dim), new[] { Leaf(rng, c.Shape) }, rng);
        });

    [Fact]
    public void CrossEntropyGradient_MatchesFiniteDifferences() =>
        ForAll(from n in Gen.Choose(1, 6) from k in Gen.Choose(1, 7) from smooth in Gen.Elements(0f, 0.1f) from seed in Seeds select (n, k, smooth, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            var targets = rng.Integers(c.n, 0, c.k);
            Check("cross_entropy", xs => Ops.CrossEntropy(xs[0], targets, c.smooth), new[] { Leaf(rng, c.n, c.k) }, rng);
        });

    // ---- linear algebra ----------------------------------------------------------------------------------------

    [Fact]
    public void MatMulGradient_MatchesFiniteDifferences_WithBatchBroadcasting() =>
        ForAll(from m in Gen.Choose(1, 5) from k in Gen.Choose(1, 5) from n in Gen.Choose(1, 5)
               from ra in Gen.Choose(0, 2) from batchA in Gen.Choose(1, 3).ArrayOf(ra) from dropB in Gen.Choose(0, 2) from ones in Gen.Choose(0, 3)
               from vec in Gen.Choose(0, 3) from seed in Seeds
               select (m, k, n, batchA, dropB, ones, vec, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            var batchB = c.batchA.Skip(Math.Min(c.dropB, c.batchA.Length)).Select((d, i) => ((c.ones >> i) & 1) == 1 ? 1 : d).ToArray();
            int[] sa = c.vec == 1 ? new[] { c.k } : c.batchA.Concat(new[] { c.m, c.k }).ToArray();
            int[] sb = c.vec == 2 ? new[] { c.k } : batchB.Concat(new[] { c.k, c.n }).ToArray();
            Check("matmul", xs => Ops.MatMul(xs[0], xs[1]), new[] { Leaf(rng, sa), Leaf(rng, sb) }, rng);
        });

    [Fact]
    public void LinearGradient_MatchesFiniteDifferences() =>
        ForAll(from rl in Gen.Choose(0, 2) from lead in Gen.Choose(1, 3).ArrayOf(rl) from i in Gen.Choose(1, 6) from o in Gen.Choose(1, 6)
               from bias in Gen.Elements(true, false) from seed in Seeds select (lead, i, o, bias, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            var inputs = new List<Tensor> { Leaf(rng, c.lead.Concat(new[] { c.i }).ToArray()), Leaf(rng, c.o, c.i) };
            if (c.bias) inputs.Add(Leaf(rng, c.o));
            Check("linear", xs => Ops.Linear(xs[0], xs[1], xs.Length > 2 ? xs[2] : null), inputs.ToArray(), rng);
        });

    // ---- convolution -------------------------------------------------------------------------------------------

    internal static Gen<(int N, int G, int Cig, int Cog, int H, int W, int K, int Stride, int Pad, int Dil, bool Bias, int Seed)> ConvCase =>
        from n in Gen.Choose(1, 2)
        from g in Gen.Choose(1, 3)
        from cig in Gen.Choose(1, 4)
        from cog in Gen.Choose(1, 10)   // ≥ 4 takes the direct kernel on AVX-512; > 8 crosses its 8-channel blocks
        from k in Gen.Choose(1, 3)
        from stride in Gen.Choose(1, 4)   // stride > kernel happens
        from dil in Gen.Choose(1, 2)
        from pad in Gen.Choose(0, 2)
        from h in Gen.Choose(1, 7)
        from w in Gen.Choose(1, 7)
        from bias in Gen.Elements(true, false)
        from seed in Seeds
        where h + 2 * pad >= dil * (k - 1) + 1 && w + 2 * pad >= dil * (k - 1) + 1
        select (n, g, cig, cog, h, w, k, stride, pad, dil, bias, seed);

    [Fact]
    public void Conv2dGradient_MatchesFiniteDifferences() =>
        ForAll(ConvCase, c =>
        {
            var rng = new Rng((ulong)c.Seed);
            var inputs = new List<Tensor> { Leaf(rng, c.N, c.G * c.Cig, c.H, c.W), Leaf(rng, c.G * c.Cog, c.Cig, c.K, c.K) };
            if (c.Bias) inputs.Add(Leaf(rng, c.G * c.Cog));
            Check("conv2d", xs => Ops.Conv2d(xs[0], xs[1], xs.Length > 2 ? xs[2] : null, c.Stride, c.Pad, c.Dil, c.G), inputs.ToArray(), rng);
        });

    [Fact]
    public void DepthwiseConv2dGradient_MatchesFiniteDifferences() =>
        ForAll(ConvCase, c =>
        {
            var rng = new Rng((ulong)c.Seed);
            int channels = c.G * c.Cig;
            Check("conv2d_depthwise", xs => Ops.Conv2d(xs[0], xs[1], null, c.Stride, c.Pad, c.Dil, channels),
                new[] { Leaf(rng, c.N, channels, c.H, c.W), Leaf(rng, channels, 1, c.K, c.K) }, rng);
        });

    [Fact]
    public void ConvTranspose2dGradient_MatchesFiniteDifferences() =>
        ForAll(from cc in ConvCase from op in Gen.Choose(0, 3) select (cc, op), t =>
        {
            var c = t.cc;
            int outPad = t.op % Math.Max(c.Stride, c.Dil);
            int oh = (c.H - 1) * c.Stride - 2 * c.Pad + c.Dil * (c.K - 1) + outPad + 1;
            int ow = (c.W - 1) * c.Stride - 2 * c.Pad + c.Dil * (c.K - 1) + outPad + 1;
            if (oh <= 0 || ow <= 0) return;
            var rng = new Rng((ulong)c.Seed);
            var inputs = new List<Tensor> { Leaf(rng, c.N, c.G * c.Cig, c.H, c.W), Leaf(rng, c.G * c.Cig, c.Cog, c.K, c.K) };
            if (c.Bias) inputs.Add(Leaf(rng, c.G * c.Cog));
            Check("conv_transpose2d", xs => Ops.ConvTranspose2d(xs[0], xs[1], xs.Length > 2 ? xs[2] : null, c.Stride, c.Pad, outPad, c.Dil, c.G), inputs.ToArray(), rng);
        });

    // ---- pooling -----------------------------------------------------------------------------------------------

    private static Gen<(int N, int C, int H, int W, int K, int Stride, int Pad, int Dil, bool Ceil, int Seed)> PoolCase =>
        from n in Gen.Choose(1, 2)
        from ch in Gen.Choose(1, 3)
        from k in Gen.Choose(1, 3)
        from stride in Gen.Choose(1, 4)
        from pad in Gen.Choose(0, 1)
        from dil in Gen.Choose(1, 2)
        from ceil in Gen.Elements(true, false)
        from h in Gen.Choose(1, 8)
        from w in Gen.Choose(1, 8)
        from seed in Seeds
        where 2 * pad <= k && h + 2 * pad >= dil * (k - 1) + 1 && w + 2 * pad >= dil * (k - 1) + 1
        select (n, ch, h, w, k, stride, pad, dil, ceil, seed);

    [Fact]
    public void MaxPool2dGradient_MatchesFiniteDifferences() =>
        ForAll(PoolCase, c =>
        {
            var rng = new Rng((ulong)c.Seed);
            var x = Distinct(rng, c.N, c.C, c.H, c.W);
            using (var probe = Ops.MaxPool2d(x, c.K, c.Stride, c.Pad, c.Dil, c.Ceil))
                if (probe.ToArray().Any(float.IsNegativeInfinity)) return; // a window lying wholly in the padding has no input to differentiate
            Check("max_pool2d", xs => Ops.MaxPool2dWithIndices(xs[0], (c.K, c.K), (c.Stride, c.Stride), (c.Pad, c.Pad), (c.Dil, c.Dil), c.Ceil).Output,
                new[] { x }, rng);
        });

    [Fact]
    public void AvgPool2dGradient_MatchesFiniteDifferences() =>
        ForAll(from p in PoolCase from include in Gen.Elements(true, false) select (p, include), t =>
        {
            var c = t.p;
            var rng = new Rng((ulong)c.Seed);
            Check("avg_pool2d", xs => Ops.AvgPool2d(xs[0], c.K, c.Stride, c.Pad, c.Ceil, t.include), new[] { Leaf(rng, c.N, c.C, c.H, c.W) }, rng);
        });

    [Fact]
    public void AdaptivePoolGradients_MatchFiniteDifferences() =>
        ForAll(from h in Gen.Choose(1, 7) from w in Gen.Choose(1, 7) from oh in Gen.Choose(1, 5) from ow in Gen.Choose(1, 5) from seed in Seeds
               select (h, w, oh, ow, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            Check("adaptive_avg_pool2d", xs => Ops.AdaptiveAvgPool2d(xs[0], c.oh, c.ow), new[] { Leaf(rng, 2, 2, c.h, c.w) }, rng);
            Check("adaptive_max_pool2d", xs => Ops.AdaptiveMaxPool2d(xs[0], c.oh, c.ow), new[] { Distinct(rng, 2, 2, c.h, c.w) }, rng);
            Check("global_avg_pool2d", xs => Ops.GlobalAvgPool2d(xs[0]), new[] { Leaf(rng, 2, 3, c.h, c.w) }, rng);
            Check("global_max_pool2d", xs => Ops.GlobalMaxPool2d(xs[0]), new[] { Distinct(rng, 2, 3, c.h, c.w) }, rng);
        });

    // ---- normalization -----------------------------------------------------------------------------------------

    [Fact]
    public void LocalResponseNormGradient_MatchesFiniteDifferences() =>
        ForAll(from c in Gen.Choose(1, 7) from size in Gen.Choose(1, 6) from hw in Gen.Choose(1, 3) from seed in Seeds select (c, size, hw, seed), t =>
        {
            var rng = new Rng((ulong)t.seed);
            // α large enough that the normalization term matters at O(1) inputs
            Check("local_response_norm", xs => Ops.LocalResponseNorm(xs[0], t.size, alpha: 0.5f, beta: 0.75f, bias: 1.5f),
                new[] { Leaf(rng, 2, t.c, t.hw, t.hw) }, rng);
        });

    [Fact]
    public void BatchNormGradient_MatchesFiniteDifferences_InTrainingAndEvaluation() =>
        ForAll(from n in Gen.Choose(1, 3) from c in Gen.Choose(1, 3) from hw in Gen.Choose(1, 3) from affine in Gen.Elements(true, false)
               from training in Gen.Elements(true, false) from seed in Seeds
               where !training || n * hw * hw >= 2
               select (n, c, hw, affine, training, seed), t =>
        {
            var rng = new Rng((ulong)t.seed);
            var mean = rng.Normal(new[] { t.c });
            var variance = rng.Uniform(new[] { t.c }, 0.5f, 2f);
            // A ramp within each channel keeps the batch variance away from 0, where normalization is so curved
            // that central differences with h = 1e-3 stop being accurate.
            var x = Leaf(rng, t.n, t.c, t.hw, t.hw);
            var xd = x.Data;
            int plane = t.hw * t.hw;
            int perChannel = t.n * plane;
            // centred, so that normalization does not subtract large equal numbers (float32 cancellation); the random
            // part is scaled down so that it cannot cancel the ramp (two values per channel a hair apart made this
            // property fail about once in 7,000 cases)
            for (int i = 0; i < xd.Length; i++) xd[i] = 0.2f * xd[i] + ((i / (t.c * plane)) * plane + i % plane - (perChannel - 1) / 2f);
            var inputs = new List<Tensor> { x };
            if (t.affine) { inputs.Add(Leaf(rng, t.c)); inputs.Add(Leaf(rng, t.c)); }
            // momentum 0 keeps the running statistics fixed across the finite-difference evaluations
            Check("batch_norm", xs => Ops.BatchNorm(xs[0], mean, variance, xs.Length > 1 ? xs[1] : null, xs.Length > 2 ? xs[2] : null, t.training, momentum: 0f),
                inputs.ToArray(), rng, absTol: 1e-2);
        });

    // ---- shape ops ---------------------------------------------------------------------------------------------

    [Fact]
    public void ReshapeFlattenSqueezeGradients_MatchFiniteDifferences() =>
        ForAll(from s in SmallShape from seed in Seeds select (s, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            Check("reshape", xs => Ops.Reshape(xs[0], -1), new[] { Leaf(rng, c.s) }, rng);
            Check("flatten", xs => Ops.Flatten(xs[0], 0), new[] { Leaf(rng, c.s) }, rng);
            Check("unsqueeze", xs => Ops.Unsqueeze(xs[0], 0), new[] { Leaf(rng, c.s) }, rng);
            Check("squeeze", xs => Ops.Squeeze(xs[0]), new[] { Leaf(rng, c.s) }, rng);
        });

    [Fact]
    public void PermuteGradient_MatchesFiniteDifferences() =>
        ForAll(from rank in Gen.Choose(1, 4) from s in Gen.Choose(1, 4).ArrayOf(rank) from seed in Seeds select (s, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            var perm = rng.Permutation(c.s.Length);
            Check("permute", xs => Ops.Permute(xs[0], perm), new[] { Leaf(rng, c.s) }, rng);
            Check("transpose", xs => Ops.Transpose(xs[0], 0, -1), new[] { Leaf(rng, c.s) }, rng);
        });

    [Fact]
    public void ConcatAndSplitGradients_MatchFiniteDifferences() =>
        ForAll(from rank in Gen.Choose(1, 3) from s in Gen.Choose(1, 3).ArrayOf(rank) from dim in Gen.Choose(0, rank - 1)
               from parts in Gen.Choose(1, 3) from seed in Seeds select (s, dim, parts, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            var inputs = Enumerable.Range(0, c.parts).Select(i =>
            {
                var shape = (int[])c.s.Clone();
                shape[c.dim] = 1 + i;
                return Leaf(rng, shape);
            }).ToArray();
            Check("concat", xs => Ops.Concat(xs, c.dim), inputs, rng);
            var whole = Leaf(rng, inputs.Select(t => t.Shape.ToArray()).Aggregate((a, b) => a.Select((d, i) => i == c.dim ? d + b[i] : d).ToArray()));
            var sizes = Enumerable.Range(1, c.parts).ToArray();
            for (int piece = 0; piece < c.parts; piece++)
            {
                int p = piece;
                Check("split", xs => Ops.Split(xs[0], sizes, c.dim)[p], new[] { whole }, rng);
            }
        });

    [Fact]
    public void SliceGradient_MatchesFiniteDifferences() =>
        ForAll(from rank in Gen.Choose(1, 3) from s in Gen.Choose(1, 6).ArrayOf(rank) from dim in Gen.Choose(0, rank - 1)
               from start in Gen.Choose(-6, 6) from end in Gen.Choose(-6, 7) from step in Gen.Choose(1, 3) from seed in Seeds
               select (s, dim, start, end, step, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            Check("slice", xs => Ops.Slice(xs[0], c.dim, c.start, c.end, c.step), new[] { Leaf(rng, c.s) }, rng);
        });

    [Fact]
    public void PadGradient_MatchesFiniteDifferences_InEveryMode() =>
        ForAll(from h in Gen.Choose(1, 5) from w in Gen.Choose(1, 5) from pads in Gen.Choose(0, 3).ArrayOf(4)
               from mode in Gen.Elements(PadMode.Constant, PadMode.Reflect, PadMode.Replicate) from seed in Seeds
               select (h, w, pads, mode, seed), c =>
        {
            var pads = (int[])c.pads.Clone();
            if (c.mode == PadMode.Reflect)
            {
                pads[0] = Math.Min(pads[0], c.w - 1); pads[1] = Math.Min(pads[1], c.w - 1);
                pads[2] = Math.Min(pads[2], c.h - 1); pads[3] = Math.Min(pads[3], c.h - 1);
            }
            var rng = new Rng((ulong)c.seed);
            Check("pad", xs => Ops.Pad(xs[0], pads, c.mode, 0.5f), new[] { Leaf(rng, 2, 2, c.h, c.w) }, rng);
        });

    [Fact]
    public void RollGradient_MatchesFiniteDifferences() =>
        ForAll(from rank in Gen.Choose(1, 3) from s in Gen.Choose(1, 5).ArrayOf(rank) from shift in Gen.Choose(-7, 7) from seed in Seeds select (s, shift, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            Check("roll", xs => Ops.Roll(xs[0], new[] { c.shift, 1 }, new[] { -1, 0 }), new[] { Leaf(rng, c.s) }, rng);
        });

    [Fact]
    public void IndexSelectAndGatherGradients_MatchFiniteDifferences() =>
        ForAll(from rank in Gen.Choose(1, 3) from s in Gen.Choose(1, 4).ArrayOf(rank) from dim in Gen.Choose(0, rank - 1) from k in Gen.Choose(1, 6) from seed in Seeds
               select (s, dim, k, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            var idx = rng.Integers(c.k, 0, c.s[c.dim]);
            Check("index_select", xs => Ops.IndexSelect(xs[0], c.dim, idx), new[] { Leaf(rng, c.s) }, rng);
            var indexShape = (int[])c.s.Clone();
            indexShape[c.dim] = c.k;
            var gatherIdx = rng.Integers(indexShape.Aggregate(1, (a, b) => a * b), 0, c.s[c.dim]);
            Check("gather", xs => Ops.Gather(xs[0], c.dim, gatherIdx, indexShape), new[] { Leaf(rng, c.s) }, rng);
        });

    // ---- resampling --------------------------------------------------------------------------------------------

    [Fact]
    public void InterpolateGradient_MatchesFiniteDifferences_BothConventions() =>
        ForAll(from h in Gen.Choose(1, 6) from w in Gen.Choose(1, 6) from oh in Gen.Choose(1, 9) from ow in Gen.Choose(1, 9)
               from align in Gen.Elements(true, false) from nearest in Gen.Elements(true, false) from seed in Seeds
               select (h, w, oh, ow, align, nearest, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            var mode = c.nearest ? InterpolationMode.Nearest : InterpolationMode.Bilinear;
            Check("interpolate", xs => Ops.Interpolate(xs[0], c.oh, c.ow, mode, c.align), new[] { Leaf(rng, 1, 2, c.h, c.w) }, rng);
        });

    [Fact]
    public void AffineGridGradient_MatchesFiniteDifferences() =>
        ForAll(from n in Gen.Choose(1, 2) from h in Gen.Choose(1, 5) from w in Gen.Choose(1, 5) from align in Gen.Elements(true, false) from seed in Seeds
               select (n, h, w, align, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            Check("affine_grid", xs => Ops.AffineGrid(xs[0], c.h, c.w, c.align), new[] { Leaf(rng, c.n, 2, 3) }, rng);
        });

    [Fact]
    public void GridSampleGradient_MatchesFiniteDifferences() =>
        ForAll(from h in Gen.Choose(2, 5) from w in Gen.Choose(2, 5) from oh in Gen.Choose(1, 4) from ow in Gen.Choose(1, 4)
               from align in Gen.Elements(true, false) from seed in Seeds select (h, w, oh, ow, align, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            // Sample points away from pixel-grid lines, where bilinear interpolation has kinks in the grid coordinates.
            var grid = rng.Uniform(new[] { 1, c.oh, c.ow, 2 }, -1.2f, 1.2f);
            var gd = grid.Data;
            for (int i = 0; i < gd.Length; i++)
            {
                int size = i % 2 == 0 ? c.w : c.h;
                float scale = c.align ? (size - 1) / 2f : size / 2f, offset = (size - 1) / 2f;
                float pixel = gd[i] * scale + offset;
                float frac = pixel - MathF.Floor(pixel);
                if (frac < 0.05f) pixel += 0.05f;
                if (frac > 0.95f) pixel -= 0.05f;
                gd[i] = (pixel - offset) / scale;
            }
            grid.RequireGrad();
            Check("grid_sample", xs => Ops.GridSample(xs[0], xs[1], c.align), new[] { Leaf(rng, 1, 2, c.h, c.w), grid }, rng, absTol: 1e-2);
        });

    // ---- Fourier -------------------------------------------------------------------------------------------------

    [Fact]
    public void Rfft2Gradient_MatchesFiniteDifferences() =>
        // heights 8 and 16 take the row-FFT path (powers of two ≥ 8), the others the DFT matrices
        ForAll(from b in Gen.Choose(1, 2) from h in Gen.Elements(1, 2, 3, 4, 5, 7, 8, 16) from w in Gen.Choose(1, 7) from seed in Seeds select (b, h, w, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            // linear: a step of 0.25 is exact and keeps float32 rounding of the loss (sums of up to 2·16·8 terms) below the tolerance
            Check("rfft2", xs => Ops.Rfft2(xs[0]), new[] { Leaf(rng, c.b, c.h, c.w) }, rng, step: 0.25);
        });

    [Fact]
    public void Irfft2Gradient_MatchesFiniteDifferences() =>
        ForAll(from b in Gen.Choose(1, 2) from h in Gen.Elements(1, 2, 3, 4, 5, 7, 8, 16) from w in Gen.Choose(1, 7) from seed in Seeds select (b, h, w, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            Check("irfft2", xs => Ops.Irfft2(xs[0], c.w), new[] { Leaf(rng, c.b, c.h, c.w / 2 + 1, 2) }, rng, step: 0.25);
        });

    [Fact]
    public void DropoutGradient_MatchesFiniteDifferences_ForAFixedMask() =>
        ForAll(from s in SmallShape from p in Gen.Elements(0f, 0.3f, 0.7f) from seed in Seeds select (s, p, seed), c =>
        {
            var rng = new Rng((ulong)c.seed);
            // a fresh generator with the same seed on every evaluation gives the same mask
            Check("dropout", xs => Ops.Dropout(xs[0], c.p, training: true, new Rng((ulong)c.seed + 7)), new[] { Leaf(rng, c.s) }, rng);
        });
}
