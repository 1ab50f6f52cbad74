using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Tensors;
using Lucid.Testing;
using Xunit;
using static Lucid.Testing.Generators;
using static Lucid.Tensors.Tests.GradCheck;

namespace Lucid.Tensors.Tests;

/// <summary>
/// Every differentiable op: Backward() against central finite differences on ≥ 200 random cases (see
/// <see cref="GradCheck"/> for the tolerance). Each property takes a generated case; <see cref="Arbitraries"/> says how
/// each kind of case is drawn.
/// </summary>
[Properties(MaxTest = 200, Arbitrary = new[] { typeof(Arbitraries) })]
public class GradientProperties
{
    /// <summary>A random shape of rank 0..4 with sizes 1..4 (size-1 dims included on purpose).</summary>
    private static Gen<int[]> SmallShape =>
        from rank in Gen.Choose(0, 4)
        from dims in Gen.Choose(1, 4).ArrayOf(rank)
        select dims;

    /// <summary>A random shape of rank 1..<paramref name="maxRank"/> with sizes 1..<paramref name="maxSize"/>.</summary>
    private static Gen<int[]> Shape(int maxRank, int maxSize) =>
        from rank in Gen.Choose(1, maxRank)
        from dims in Gen.Choose(1, maxSize).ArrayOf(rank)
        select dims;

    public sealed record ShapeCase(int[] Shape, int Seed) : Case;

    /// <summary>A pair of shapes that broadcast: the second is the first with some dims set to 1 and leading dims dropped.</summary>
    public sealed record BroadcastCase(int[] A, int[] B, int Seed) : Case;

    public sealed record ReductionCase(int[] Shape, int[] Dims, bool Keep, int Seed) : Case;

    /// <summary>A reduction over at least two elements (the variance of one is undefined).</summary>
    public sealed record VarianceCase(int[] Shape, int[] Dims, bool Keep, int Seed) : Case;

    public sealed record DimCase(int[] Shape, int Dim, int Seed) : Case;
    public sealed record CrossEntropyCase(int N, int K, float Smoothing, int Seed) : Case;
    public sealed record MatMulCase(int M, int K, int N, int[] BatchA, int DropB, int Ones, int Vector, int Seed) : Case;
    public sealed record LinearCase(int[] Lead, int In, int Out, bool Bias, int Seed) : Case;

    public sealed record ConvCase(int N, int G, int Cig, int Cog, int H, int W, int K, int Stride, int Pad, int Dil, bool Bias, int Seed) : Case;
    public sealed record ConvTransposeCase(ConvCase Conv, int OutputPadding) : Case;
    public sealed record PoolCase(int N, int C, int H, int W, int K, int Stride, int Pad, int Dil, bool Ceil, int Seed) : Case;
    public sealed record AvgPoolCase(PoolCase Pool, bool IncludePadding) : Case;
    public sealed record AdaptivePoolCase(int H, int W, int OutH, int OutW, int Seed) : Case;
    public sealed record LocalResponseNormCase(int C, int Size, int HW, int Seed) : Case;
    public sealed record BatchNormCase(int N, int C, int HW, bool Affine, bool Training, int Seed) : Case;
    public sealed record PermuteCase(int[] Shape, int Seed) : Case;
    public sealed record ConcatCase(int[] Shape, int Dim, int Parts, int Seed) : Case;
    public sealed record SliceCase(int[] Shape, int Dim, int Start, int End, int Step, int Seed) : Case;
    public sealed record PadCase(int H, int W, int[] Pads, PadMode Mode, int Seed) : Case;
    public sealed record RollCase(int[] Shape, int Shift, int Seed) : Case;
    public sealed record IndexCase(int[] Shape, int Dim, int K, int Seed) : Case;
    public sealed record InterpolateCase(int H, int W, int OutH, int OutW, bool AlignCorners, bool Nearest, int Seed) : Case;
    public sealed record AffineGridCase(int N, int H, int W, bool AlignCorners, int Seed) : Case;
    public sealed record GridSampleCase(int H, int W, int OutH, int OutW, bool AlignCorners, int Seed) : Case;
    public sealed record FourierCase(int B, int H, int W, int Seed) : Case;
    public sealed record DropoutCase(int[] Shape, float P, int Seed) : Case;

    /// <summary>How each kind of case is drawn.</summary>
    public static class Arbitraries
    {
        public static Arbitrary<ShapeCase> Shapes() => (from s in SmallShape from seed in Seeds select new ShapeCase(s, seed)).ToArbitrary();

        public static Arbitrary<BroadcastCase> Broadcasts() => (
            from a in SmallShape
            from mask in Gen.Choose(0, 15)
            from drop in Gen.Choose(0, 2)
            from swap in Gen.Elements(true, false)
            from seed in Seeds
            let b = a.Select((d, i) => ((mask >> i) & 1) == 1 ? 1 : d).Skip(Math.Min(drop, a.Length)).ToArray()
            select swap ? new BroadcastCase(b, a, seed) : new BroadcastCase(a, b, seed)).ToArbitrary();

        private static Gen<ReductionCase> ReductionCases =>
            from rank in Gen.Choose(1, 4)
            from shape in Gen.Choose(1, 4).ArrayOf(rank)
            from mask in Gen.Choose(1, (1 << rank) - 1)
            from keep in Gen.Elements(true, false)
            from seed in Seeds
            select new ReductionCase(shape, Enumerable.Range(0, rank).Where(i => ((mask >> i) & 1) == 1).Select(i => i % 2 == 0 ? i : i - rank).ToArray(), keep, seed);

        public static Arbitrary<ReductionCase> Reductions() => ReductionCases.ToArbitrary();

        public static Arbitrary<VarianceCase> Variances() => ReductionCases
            .Where(c => c.Dims.Select(d => c.Shape[d < 0 ? d + c.Shape.Length : d]).Aggregate(1, (a, b) => a * b) >= 2)
            .Select(c => new VarianceCase(c.Shape, c.Dims, c.Keep, c.Seed)).ToArbitrary();

        public static Arbitrary<DimCase> Dims() => (
            from rank in Gen.Choose(1, 4)
            from shape in Gen.Choose(1, 5).ArrayOf(rank)
            from dim in Gen.Choose(-rank, rank - 1)
            from seed in Seeds
            select new DimCase(shape, dim, seed)).ToArbitrary();

        public static Arbitrary<CrossEntropyCase> CrossEntropies() => (
            from n in Gen.Choose(1, 6) from k in Gen.Choose(1, 7) from smooth in Gen.Elements(0f, 0.1f) from seed in Seeds
            select new CrossEntropyCase(n, k, smooth, seed)).ToArbitrary();

        public static Arbitrary<MatMulCase> MatMuls() => (
            from m in Gen.Choose(1, 5) from k in Gen.Choose(1, 5) from n in Gen.Choose(1, 5)
            from ra in Gen.Choose(0, 2) from batchA in Gen.Choose(1, 3).ArrayOf(ra) from dropB in Gen.Choose(0, 2) from ones in Gen.Choose(0, 3)
            from vec in Gen.Choose(0, 3) from seed in Seeds
            select new MatMulCase(m, k, n, batchA, dropB, ones, vec, seed)).ToArbitrary();

        public static Arbitrary<LinearCase> Linears() => (
            from rl in Gen.Choose(0, 2) from lead in Gen.Choose(1, 3).ArrayOf(rl) from i in Gen.Choose(1, 6) from o in Gen.Choose(1, 6)
            from bias in Gen.Elements(true, false) from seed in Seeds
            select new LinearCase(lead, i, o, bias, seed)).ToArbitrary();

        public static Arbitrary<ConvCase> Convs() => ConvCases.ToArbitrary();

        public static Arbitrary<ConvTransposeCase> ConvTransposes() => (
            from cc in ConvCases from op in Gen.Choose(0, 3)
            let outPad = op % Math.Max(cc.Stride, cc.Dil)
            where (cc.H - 1) * cc.Stride - 2 * cc.Pad + cc.Dil * (cc.K - 1) + outPad + 1 > 0
               && (cc.W - 1) * cc.Stride - 2 * cc.Pad + cc.Dil * (cc.K - 1) + outPad + 1 > 0
            select new ConvTransposeCase(cc, outPad)).ToArbitrary();

        private static Gen<PoolCase> PoolCases =>
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
            select new PoolCase(n, ch, h, w, k, stride, pad, dil, ceil, seed);

        public static Arbitrary<PoolCase> Pools() => PoolCases.ToArbitrary();

        public static Arbitrary<AvgPoolCase> AvgPools() => (from p in PoolCases from include in Gen.Elements(true, false) select new AvgPoolCase(p, include)).ToArbitrary();

        public static Arbitrary<AdaptivePoolCase> AdaptivePools() => (
            from h in Gen.Choose(1, 7) from w in Gen.Choose(1, 7) from oh in Gen.Choose(1, 5) from ow in Gen.Choose(1, 5) from seed in Seeds
            select new AdaptivePoolCase(h, w, oh, ow, seed)).ToArbitrary();

        public static Arbitrary<LocalResponseNormCase> LocalResponseNorms() => (
            from c in Gen.Choose(1, 7) from size in Gen.Choose(1, 6) from hw in Gen.Choose(1, 3) from seed in Seeds
            select new LocalResponseNormCase(c, size, hw, seed)).ToArbitrary();

        public static Arbitrary<BatchNormCase> BatchNorms() => (
            from n in Gen.Choose(1, 3) from c in Gen.Choose(1, 3) from hw in Gen.Choose(1, 3) from affine in Gen.Elements(true, false)
            from training in Gen.Elements(true, false) from seed in Seeds
            where !training || n * hw * hw >= 2
            select new BatchNormCase(n, c, hw, affine, training, seed)).ToArbitrary();

        public static Arbitrary<PermuteCase> Permutes() => (from s in Shape(4, 4) from seed in Seeds select new PermuteCase(s, seed)).ToArbitrary();

        public static Arbitrary<ConcatCase> Concats() => (
            from s in Shape(3, 3) from dim in Gen.Choose(0, s.Length - 1) from parts in Gen.Choose(1, 3) from seed in Seeds
            select new ConcatCase(s, dim, parts, seed)).ToArbitrary();

        public static Arbitrary<SliceCase> Slices() => (
            from s in Shape(3, 6) from dim in Gen.Choose(0, s.Length - 1)
            from start in Gen.Choose(-6, 6) from end in Gen.Choose(-6, 7) from step in Gen.Choose(1, 3) from seed in Seeds
            select new SliceCase(s, dim, start, end, step, seed)).ToArbitrary();

        public static Arbitrary<PadCase> Pads() => (
            from h in Gen.Choose(1, 5) from w in Gen.Choose(1, 5) from pads in Gen.Choose(0, 3).ArrayOf(4)
            from mode in Gen.Elements(PadMode.Constant, PadMode.Reflect, PadMode.Replicate) from seed in Seeds
            select new PadCase(h, w, pads, mode, seed)).ToArbitrary();

        public static Arbitrary<RollCase> Rolls() => (
            from s in Shape(3, 5) from shift in Gen.Choose(-7, 7) from seed in Seeds select new RollCase(s, shift, seed)).ToArbitrary();

        public static Arbitrary<IndexCase> Indices() => (
            from s in Shape(3, 4) from dim in Gen.Choose(0, s.Length - 1) from k in Gen.Choose(1, 6) from seed in Seeds
            select new IndexCase(s, dim, k, seed)).ToArbitrary();

        public static Arbitrary<InterpolateCase> Interpolations() => (
            from h in Gen.Choose(1, 6) from w in Gen.Choose(1, 6) from oh in Gen.Choose(1, 9) from ow in Gen.Choose(1, 9)
            from align in Gen.Elements(true, false) from nearest in Gen.Elements(true, false) from seed in Seeds
            select new InterpolateCase(h, w, oh, ow, align, nearest, seed)).ToArbitrary();

        public static Arbitrary<AffineGridCase> AffineGrids() => (
            from n in Gen.Choose(1, 2) from h in Gen.Choose(1, 5) from w in Gen.Choose(1, 5) from align in Gen.Elements(true, false) from seed in Seeds
            select new AffineGridCase(n, h, w, align, seed)).ToArbitrary();

        public static Arbitrary<GridSampleCase> GridSamples() => (
            from h in Gen.Choose(2, 5) from w in Gen.Choose(2, 5) from oh in Gen.Choose(1, 4) from ow in Gen.Choose(1, 4)
            from align in Gen.Elements(true, false) from seed in Seeds
            select new GridSampleCase(h, w, oh, ow, align, seed)).ToArbitrary();

        // heights of at least 8 with prime factors 2, 3, 5, 7 take the mixed-radix row FFT, the others (and 11) the DFT matrices
        public static Arbitrary<FourierCase> Fouriers() => (
            from b in Gen.Choose(1, 2) from h in Gen.Elements(1, 2, 3, 4, 5, 7, 8, 11, 12, 14, 15, 16, 21) from w in Gen.Choose(1, 7) from seed in Seeds
            select new FourierCase(b, h, w, seed)).ToArbitrary();

        public static Arbitrary<DropoutCase> Dropouts() => (
            from s in SmallShape from p in Gen.Elements(0f, 0.3f, 0.7f) from seed in Seeds select new DropoutCase(s, p, seed)).ToArbitrary();
    }

    internal static Gen<ConvCase> ConvCases =>
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
        select new ConvCase(n, g, cig, cog, h, w, k, stride, pad, dil, bias, seed);

    private static void Unary(ShapeCase c, string op, Func<Tensor, Tensor> f, Func<Rng, int[], Tensor> make)
    {
        var rng = new Rng((ulong)c.Seed);
        var x = make(rng, c.Shape);
        Check(op, xs => f(xs[0]), new[] { x }, rng);
    }

    private static void Binary(BroadcastCase c, string op, Func<Tensor, Tensor, Tensor> f, Func<Rng, int[], Tensor> makeA, Func<Rng, int[], Tensor> makeB)
    {
        var rng = new Rng((ulong)c.Seed);
        Check(op, xs => f(xs[0], xs[1]), new[] { makeA(rng, c.A), makeB(rng, c.B) }, rng);
    }

    private static Tensor N(Rng r, int[] s) => Leaf(r, s);
    private static Tensor P(Rng r, int[] s) => Positive(r, s);

    [Property] public void AddGradient_MatchesFiniteDifferences_WithBroadcasting(BroadcastCase c) => Binary(c, "add", Ops.Add, N, N);
    [Property] public void SubGradient_MatchesFiniteDifferences_WithBroadcasting(BroadcastCase c) => Binary(c, "sub", Ops.Sub, N, N);
    [Property] public void MulGradient_MatchesFiniteDifferences_WithBroadcasting(BroadcastCase c) => Binary(c, "mul", Ops.Mul, N, N);
    [Property] public void DivGradient_MatchesFiniteDifferences_WithBroadcasting(BroadcastCase c) => Binary(c, "div", Ops.Div, N, P);
    [Property] public void PowTensorGradient_MatchesFiniteDifferences_WithBroadcasting(BroadcastCase c) => Binary(c, "pow", Ops.Pow, P, (r, s) => r.Uniform(s, -2f, 2f).RequireGrad());

    [Property]
    public void MaximumAndMinimumGradients_MatchFiniteDifferences(BroadcastCase c)
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
    }

    [Fact]
    public void MaximumGradient_SplitsEquallyAtTies()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f, 3f }, 3).RequireGrad();
        var b = Tensor.FromArray(new[] { 1f, 5f, 0f }, 3).RequireGrad();
        Ops.Sum(Ops.Maximum(a, b)).Backward();
        Assert.Equal(new[] { 0.5f, 0f, 1f }, a.Grad!.ToArray());
        Assert.Equal(new[] { 0.5f, 1f, 0f }, b.Grad!.ToArray());
    }

    [Property] public void ScalarAffineGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "affine", x => Ops.Affine(x, -1.7f, 0.3f), N);
    [Property] public void NegGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "neg", Ops.Neg, N);
    [Property] public void ExpGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "exp", Ops.Exp, N);
    [Property] public void LogGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "log", Ops.Log, P);
    [Property] public void SqrtGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "sqrt", Ops.Sqrt, P);
    [Property] public void PowScalarGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "pow", x => Ops.Pow(x, 2.5f), P);
    [Property] public void AbsGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "abs", Ops.Abs, (r, s) => AwayFrom(r, s, 0.01f, 0f));
    [Property] public void ClampGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "clamp", x => Ops.Clamp(x, -0.5f, 0.7f), (r, s) => AwayFrom(r, s, 0.01f, -0.5f, 0.7f));
    [Property] public void ReluGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "relu", Ops.Relu, (r, s) => AwayFrom(r, s, 0.01f, 0f));
    [Property] public void LeakyReluGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "leaky_relu", x => Ops.LeakyRelu(x, 0.2f), (r, s) => AwayFrom(r, s, 0.01f, 0f));
    [Property] public void EluGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "elu", x => Ops.Elu(x, 0.8f), (r, s) => AwayFrom(r, s, 0.01f, 0f));
    [Property] public void GeluGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "gelu", Ops.Gelu, N);
    [Property] public void SigmoidGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "sigmoid", Ops.Sigmoid, N);
    [Property] public void TanhGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "tanh", Ops.Tanh, N);
    [Property] public void AtanGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "atan", Ops.Atan, N);
    [Property] public void CosGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "cos", Ops.Cos, N);
    [Property] public void SinGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "sin", Ops.Sin, N);
    [Property] public void SoftplusGradient_MatchesFiniteDifferences(ShapeCase c) => Unary(c, "softplus", x => Ops.Softplus(x, 1.5f), N);

    [Property]
    public void SignGradient_IsZero(ShapeCase c)
    {
        var x = AwayFrom(new Rng((ulong)c.Seed), c.Shape, 0.01f, 0f);
        Check("sign", xs => Ops.Sign(xs[0]), new[] { x }, new Rng((ulong)c.Seed + 1));
        Assert.All(x.Grad!.ToArray(), g => Assert.Equal(0f, g));
    }

    // ---- reductions ----------------------------------------------------------------------------------------------

    private static void Reduction(ReductionCase c, string op, Func<Tensor, int[], bool, Tensor> f, Func<Rng, int[], Tensor> make)
    {
        var rng = new Rng((ulong)c.Seed);
        Check(op, xs => f(xs[0], c.Dims, c.Keep), new[] { make(rng, c.Shape) }, rng);
    }

    [Property] public void SumGradient_MatchesFiniteDifferences(ReductionCase c) => Reduction(c, "sum", Ops.Sum, N);
    [Property] public void MeanGradient_MatchesFiniteDifferences(ReductionCase c) => Reduction(c, "mean", Ops.Mean, N);
    [Property] public void MaxGradient_MatchesFiniteDifferences(ReductionCase c) => Reduction(c, "max", Ops.Max, Distinct);
    [Property] public void MinGradient_MatchesFiniteDifferences(ReductionCase c) => Reduction(c, "min", Ops.Min, Distinct);

    [Property]
    public void VarGradient_MatchesFiniteDifferences(VarianceCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        Check("var", xs => Ops.Var(xs[0], c.Dims, unbiased: c.Seed % 2 == 0, keepDim: c.Keep), new[] { Leaf(rng, c.Shape) }, rng);
    }

    [Property]
    public void FullReductionsGradient_MatchFiniteDifferences(ShapeCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        Check("sum_all", xs => Ops.Sum(xs[0]), new[] { Leaf(rng, c.Shape) }, rng);
        Check("mean_all", xs => Ops.Mean(xs[0]), new[] { Leaf(rng, c.Shape) }, rng);
        Check("max_all", xs => Ops.Max(xs[0]), new[] { Distinct(rng, c.Shape) }, rng);
        Check("min_all", xs => Ops.Min(xs[0]), new[] { Distinct(rng, c.Shape) }, rng);
    }


    [Property]
    public void SoftmaxGradient_MatchesFiniteDifferences(DimCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        Check("softmax", xs => Ops.Softmax(xs[0], c.Dim), new[] { Leaf(rng, c.Shape) }, rng);
    }

    [Property]
    public void LogSoftmaxGradient_MatchesFiniteDifferences(DimCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        Check("log_softmax", xs => Ops.LogSoftmax(xs[0], c.Dim), new[] { Leaf(rng, c.Shape) }, rng);
    }

    [Property]
    public void CrossEntropyGradient_MatchesFiniteDifferences(CrossEntropyCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        var targets = rng.Integers(c.N, 0, c.K);
        Check("cross_entropy", xs => Ops.CrossEntropy(xs[0], targets, c.Smoothing), new[] { Leaf(rng, c.N, c.K) }, rng);
    }

    // ---- linear algebra ----------------------------------------------------------------------------------------

    [Property]
    public void MatMulGradient_MatchesFiniteDifferences_WithBatchBroadcasting(MatMulCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        var batchB = c.BatchA.Skip(Math.Min(c.DropB, c.BatchA.Length)).Select((d, i) => ((c.Ones >> i) & 1) == 1 ? 1 : d).ToArray();
        int[] sa = c.Vector == 1 ? new[] { c.K } : c.BatchA.Concat(new[] { c.M, c.K }).ToArray();
        int[] sb = c.Vector == 2 ? new[] { c.K } : batchB.Concat(new[] { c.K, c.N }).ToArray();
        Check("matmul", xs => Ops.MatMul(xs[0], xs[1]), new[] { Leaf(rng, sa), Leaf(rng, sb) }, rng);
    }

    [Property]
    public void LinearGradient_MatchesFiniteDifferences(LinearCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        var inputs = new List<Tensor> { Leaf(rng, c.Lead.Concat(new[] { c.In }).ToArray()), Leaf(rng, c.Out, c.In) };
        if (c.Bias) inputs.Add(Leaf(rng, c.Out));
        Check("linear", xs => Ops.Linear(xs[0], xs[1], xs.Length > 2 ? xs[2] : null), inputs.ToArray(), rng);
    }

    // ---- convolution -------------------------------------------------------------------------------------------


    [Property]
    public void Conv2dGradient_MatchesFiniteDifferences(ConvCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        var inputs = new List<Tensor> { Leaf(rng, c.N, c.G * c.Cig, c.H, c.W), Leaf(rng, c.G * c.Cog, c.Cig, c.K, c.K) };
        if (c.Bias) inputs.Add(Leaf(rng, c.G * c.Cog));
        Check("conv2d", xs => Ops.Conv2d(xs[0], xs[1], xs.Length > 2 ? xs[2] : null, c.Stride, c.Pad, c.Dil, c.G), inputs.ToArray(), rng);
    }

    [Property]
    public void DepthwiseConv2dGradient_MatchesFiniteDifferences(ConvCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        int channels = c.G * c.Cig;
        Check("conv2d_depthwise", xs => Ops.Conv2d(xs[0], xs[1], null, c.Stride, c.Pad, c.Dil, channels),
            new[] { Leaf(rng, c.N, channels, c.H, c.W), Leaf(rng, channels, 1, c.K, c.K) }, rng);
    }

    [Property]
    public void ConvTranspose2dGradient_MatchesFiniteDifferences(ConvTransposeCase t)
    {
        var c = t.Conv;
        int outPad = t.OutputPadding;
        var rng = new Rng((ulong)c.Seed);
        var inputs = new List<Tensor> { Leaf(rng, c.N, c.G * c.Cig, c.H, c.W), Leaf(rng, c.G * c.Cig, c.Cog, c.K, c.K) };
        if (c.Bias) inputs.Add(Leaf(rng, c.G * c.Cog));
        Check("conv_transpose2d", xs => Ops.ConvTranspose2d(xs[0], xs[1], xs.Length > 2 ? xs[2] : null, c.Stride, c.Pad, outPad, c.Dil, c.G), inputs.ToArray(), rng);
    }

    // ---- pooling -----------------------------------------------------------------------------------------------


    [Property]
    public void MaxPool2dGradient_MatchesFiniteDifferences(PoolCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        var x = Distinct(rng, c.N, c.C, c.H, c.W);
        using (var probe = Ops.MaxPool2d(x, c.K, c.Stride, c.Pad, c.Dil, c.Ceil))
            if (probe.ToArray().Any(float.IsNegativeInfinity)) return; // a window lying wholly in the padding has no input to differentiate
        Check("max_pool2d", xs => Ops.MaxPool2dWithIndices(xs[0], (c.K, c.K), (c.Stride, c.Stride), (c.Pad, c.Pad), (c.Dil, c.Dil), c.Ceil).Output,
            new[] { x }, rng);
    }

    [Property]
    public void AvgPool2dGradient_MatchesFiniteDifferences(AvgPoolCase t)
    {
        var c = t.Pool;
        var rng = new Rng((ulong)c.Seed);
        Check("avg_pool2d", xs => Ops.AvgPool2d(xs[0], c.K, c.Stride, c.Pad, c.Ceil, t.IncludePadding), new[] { Leaf(rng, c.N, c.C, c.H, c.W) }, rng);
    }

    [Property]
    public void AdaptivePoolGradients_MatchFiniteDifferences(AdaptivePoolCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        Check("adaptive_avg_pool2d", xs => Ops.AdaptiveAvgPool2d(xs[0], c.OutH, c.OutW), new[] { Leaf(rng, 2, 2, c.H, c.W) }, rng);
        Check("adaptive_max_pool2d", xs => Ops.AdaptiveMaxPool2d(xs[0], c.OutH, c.OutW), new[] { Distinct(rng, 2, 2, c.H, c.W) }, rng);
        Check("global_avg_pool2d", xs => Ops.GlobalAvgPool2d(xs[0]), new[] { Leaf(rng, 2, 3, c.H, c.W) }, rng);
        Check("global_max_pool2d", xs => Ops.GlobalMaxPool2d(xs[0]), new[] { Distinct(rng, 2, 3, c.H, c.W) }, rng);
    }

    // ---- normalization -----------------------------------------------------------------------------------------

    [Property]
    public void LocalResponseNormGradient_MatchesFiniteDifferences(LocalResponseNormCase t)
    {
        var rng = new Rng((ulong)t.Seed);
        // α large enough that the normalization term matters at O(1) inputs
        Check("local_response_norm", xs => Ops.LocalResponseNorm(xs[0], t.Size, alpha: 0.5f, beta: 0.75f, bias: 1.5f),
            new[] { Leaf(rng, 2, t.C, t.HW, t.HW) }, rng);
    }

    [Property]
    public void BatchNormGradient_MatchesFiniteDifferences_InTrainingAndEvaluation(BatchNormCase t)
    {
        var rng = new Rng((ulong)t.Seed);
        var mean = rng.Normal(new[] { t.C });
        var variance = rng.Uniform(new[] { t.C }, 0.5f, 2f);
        // A ramp within each channel keeps the batch variance away from 0, where normalization is so curved
        // that central differences with h = 1e-3 stop being accurate.
        var x = Leaf(rng, t.N, t.C, t.HW, t.HW);
        var xd = x.Data;
        int plane = t.HW * t.HW;
        int perChannel = t.N * plane;
        // centred, so that normalization does not subtract large equal numbers (float32 cancellation); the random
        // part is scaled down so that it cannot cancel the ramp (two values per channel a hair apart made this
        // property fail about once in 7,000 cases)
        for (int i = 0; i < xd.Length; i++) xd[i] = 0.2f * xd[i] + ((i / (t.C * plane)) * plane + i % plane - (perChannel - 1) / 2f);
        var inputs = new List<Tensor> { x };
        if (t.Affine) { inputs.Add(Leaf(rng, t.C)); inputs.Add(Leaf(rng, t.C)); }
        // momentum 0 keeps the running statistics fixed across the finite-difference evaluations
        Check("batch_norm", xs => Ops.BatchNorm(xs[0], mean, variance, xs.Length > 1 ? xs[1] : null, xs.Length > 2 ? xs[2] : null, t.Training, momentum: 0f),
            inputs.ToArray(), rng, absTol: 1e-2);
    }

    // ---- shape ops ---------------------------------------------------------------------------------------------

    [Property]
    public void ReshapeFlattenSqueezeGradients_MatchFiniteDifferences(ShapeCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        Check("reshape", xs => Ops.Reshape(xs[0], -1), new[] { Leaf(rng, c.Shape) }, rng);
        Check("flatten", xs => Ops.Flatten(xs[0], 0), new[] { Leaf(rng, c.Shape) }, rng);
        Check("unsqueeze", xs => Ops.Unsqueeze(xs[0], 0), new[] { Leaf(rng, c.Shape) }, rng);
        Check("squeeze", xs => Ops.Squeeze(xs[0]), new[] { Leaf(rng, c.Shape) }, rng);
    }

    [Property]
    public void PermuteGradient_MatchesFiniteDifferences(PermuteCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        var perm = rng.Permutation(c.Shape.Length);
        Check("permute", xs => Ops.Permute(xs[0], perm), new[] { Leaf(rng, c.Shape) }, rng);
        Check("transpose", xs => Ops.Transpose(xs[0], 0, -1), new[] { Leaf(rng, c.Shape) }, rng);
    }

    [Property]
    public void ConcatAndSplitGradients_MatchFiniteDifferences(ConcatCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        var inputs = Enumerable.Range(0, c.Parts).Select(i =>
        {
            var shape = (int[])c.Shape.Clone();
            shape[c.Dim] = 1 + i;
            return Leaf(rng, shape);
        }).ToArray();
        Check("concat", xs => Ops.Concat(xs, c.Dim), inputs, rng);
        var whole = Leaf(rng, inputs.Select(t => t.Shape.ToArray()).Aggregate((a, b) => a.Select((d, i) => i == c.Dim ? d + b[i] : d).ToArray()));
        var sizes = Enumerable.Range(1, c.Parts).ToArray();
        for (int piece = 0; piece < c.Parts; piece++)
        {
            int p = piece;
            Check("split", xs => Ops.Split(xs[0], sizes, c.Dim)[p], new[] { whole }, rng);
        }
    }

    [Property]
    public void SliceGradient_MatchesFiniteDifferences(SliceCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        Check("slice", xs => Ops.Slice(xs[0], c.Dim, c.Start, c.End, c.Step), new[] { Leaf(rng, c.Shape) }, rng);
    }

    [Property]
    public void PadGradient_MatchesFiniteDifferences_InEveryMode(PadCase c)
    {
        var pads = (int[])c.Pads.Clone();
        if (c.Mode == PadMode.Reflect)
        {
            pads[0] = Math.Min(pads[0], c.W - 1); pads[1] = Math.Min(pads[1], c.W - 1);
            pads[2] = Math.Min(pads[2], c.H - 1); pads[3] = Math.Min(pads[3], c.H - 1);
        }
        var rng = new Rng((ulong)c.Seed);
        Check("pad", xs => Ops.Pad(xs[0], pads, c.Mode, 0.5f), new[] { Leaf(rng, 2, 2, c.H, c.W) }, rng);
    }

    [Property]
    public void RollGradient_MatchesFiniteDifferences(RollCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        Check("roll", xs => Ops.Roll(xs[0], new[] { c.Shift, 1 }, new[] { -1, 0 }), new[] { Leaf(rng, c.Shape) }, rng);
    }

    [Property]
    public void IndexSelectAndGatherGradients_MatchFiniteDifferences(IndexCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        var idx = rng.Integers(c.K, 0, c.Shape[c.Dim]);
        Check("index_select", xs => Ops.IndexSelect(xs[0], c.Dim, idx), new[] { Leaf(rng, c.Shape) }, rng);
        var indexShape = (int[])c.Shape.Clone();
        indexShape[c.Dim] = c.K;
        var gatherIdx = rng.Integers(indexShape.Aggregate(1, (a, b) => a * b), 0, c.Shape[c.Dim]);
        Check("gather", xs => Ops.Gather(xs[0], c.Dim, gatherIdx, indexShape), new[] { Leaf(rng, c.Shape) }, rng);
    }

    // ---- resampling --------------------------------------------------------------------------------------------

    [Property]
    public void InterpolateGradient_MatchesFiniteDifferences_BothConventions(InterpolateCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        var mode = c.Nearest ? InterpolationMode.Nearest : InterpolationMode.Bilinear;
        Check("interpolate", xs => Ops.Interpolate(xs[0], c.OutH, c.OutW, mode, c.AlignCorners), new[] { Leaf(rng, 1, 2, c.H, c.W) }, rng);
    }

    [Property]
    public void AffineGridGradient_MatchesFiniteDifferences(AffineGridCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        Check("affine_grid", xs => Ops.AffineGrid(xs[0], c.H, c.W, c.AlignCorners), new[] { Leaf(rng, c.N, 2, 3) }, rng);
    }

    [Property]
    public void GridSampleGradient_MatchesFiniteDifferences(GridSampleCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        // Sample points away from pixel-grid lines, where bilinear interpolation has kinks in the grid coordinates.
        var grid = rng.Uniform(new[] { 1, c.OutH, c.OutW, 2 }, -1.2f, 1.2f);
        var gd = grid.Data;
        for (int i = 0; i < gd.Length; i++)
        {
            int size = i % 2 == 0 ? c.W : c.H;
            float scale = c.AlignCorners ? (size - 1) / 2f : size / 2f, offset = (size - 1) / 2f;
            float pixel = gd[i] * scale + offset;
            float frac = pixel - MathF.Floor(pixel);
            if (frac < 0.05f) pixel += 0.05f;
            if (frac > 0.95f) pixel -= 0.05f;
            gd[i] = (pixel - offset) / scale;
        }
        grid.RequireGrad();
        Check("grid_sample", xs => Ops.GridSample(xs[0], xs[1], c.AlignCorners), new[] { Leaf(rng, 1, 2, c.H, c.W), grid }, rng, absTol: 1e-2);
    }

    // ---- Fourier -------------------------------------------------------------------------------------------------

    [Property]
    public void Rfft2Gradient_MatchesFiniteDifferences(FourierCase c)
    {
        // heights 8 and 16 take the row-FFT path (powers of two ≥ 8), the others the DFT matrices
        var rng = new Rng((ulong)c.Seed);
        // linear: a step of 0.25 is exact and keeps float32 rounding of the loss (sums of up to 2·16·8 terms) below the tolerance
        Check("rfft2", xs => Ops.Rfft2(xs[0]), new[] { Leaf(rng, c.B, c.H, c.W) }, rng, step: 0.25);
    }

    [Property]
    public void Irfft2Gradient_MatchesFiniteDifferences(FourierCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        Check("irfft2", xs => Ops.Irfft2(xs[0], c.W), new[] { Leaf(rng, c.B, c.H, c.W / 2 + 1, 2) }, rng, step: 0.25);
    }

    [Property]
    public void DropoutGradient_MatchesFiniteDifferences_ForAFixedMask(DropoutCase c)
    {
        var rng = new Rng((ulong)c.Seed);
        // a fresh generator with the same seed on every evaluation gives the same mask
        Check("dropout", xs => Ops.Dropout(xs[0], c.P, training: true, new Rng((ulong)c.Seed + 7)), new[] { Leaf(rng, c.Shape) }, rng);
    }
}
