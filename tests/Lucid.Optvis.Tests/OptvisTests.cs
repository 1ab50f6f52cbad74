using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Testing;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Xunit;

namespace Lucid.Optvis.Tests;

public class OptvisTests
{
    private static Model KnownModel(int channels = 3, int size = 4) => TestModels.Known(channels, size);

    private static float Value(Objective o, Model m, Tensor x)
    {
        o.Validate(m);
        var taps = m.Run(x, null);
        return o.Evaluate(new ObjectiveContext(m, x, taps, 1)).Item();
    }

    /// <summary>Every objective against a hand computation on known activations (a = x: a 2 × 3 × 4 × 4 ramp).</summary>
    [Fact]
    public void Objectives_MatchHandComputedValues()
    {
        var model = KnownModel();
        var data = Enumerable.Range(0, 96).Select(i => (float)(i % 7) - 2f).ToArray();     // known, signed
        using var x = Tensor.FromArray(data, 2, 3, 4, 4);
        double A(int n, int c, int y, int xx) => data[((n * 3 + c) * 4 + y) * 4 + xx];
        double Mean(Func<int, int, int, double> f) => Enumerable.Range(0, 2).SelectMany(n => Enumerable.Range(0, 16).Select(p => f(n, p / 4, p % 4))).Average();

        Assert.Equal(Mean((n, y, xx) => A(n, 1, y, xx)), Value(Objectives.Channel("acts", 1), model, x), 5);
        Assert.Equal((A(0, 2, 2, 2) + A(1, 2, 2, 2)) / 2, Value(Objectives.Neuron("acts", 2), model, x), 5);          // centre of 4×4 = (2, 2)
        Assert.Equal(A(1, 0, 1, 3), Value(Objectives.Neuron("acts", 0, y: 1, x: 3, batch: 1), model, x), 5);
        var v = new[] { 0.5f, -1f, 2f };
        Assert.Equal(Mean((n, y, xx) => 0.5 * A(n, 0, y, xx) - A(n, 1, y, xx) + 2 * A(n, 2, y, xx)), Value(Objectives.Direction("acts", v), model, x), 4);
        // with cosine power: dot·max(0.1, dot/((1e-4+|a|)(1e-4+|v|)))²
        double vNorm = Math.Sqrt(0.25 + 1 + 4);
        double Cos2(int n, int y, int xx)
        {
            double dot = 0.5 * A(n, 0, y, xx) - A(n, 1, y, xx) + 2 * A(n, 2, y, xx);
            double aNorm = Math.Sqrt(Enumerable.Range(0, 3).Sum(c => A(n, c, y, xx) * A(n, c, y, xx)));
            return dot * Math.Pow(Math.Max(0.1, dot / ((1e-4 + aNorm) * (1e-4 + vNorm))), 2);
        }
        Assert.Equal(Mean(Cos2), Value(Objectives.Direction("acts", v, cossimPow: 2), model, x), 3);
        Assert.Equal(Mean((n, y, xx) => Enumerable.Range(0, 3).Sum(c => A(n, c, y, xx) * A(n, c, y, xx)) / 3), Value(Objectives.DeepDream("acts"), model, x), 4);
        // class logit: Σ over the batch of logits[:, k] (here the channel mean)
        Assert.Equal(Enumerable.Range(0, 2).Sum(n => Enumerable.Range(0, 16).Average(p => A(n, 2, p / 4, p % 4))), Value(Objectives.ClassLogit("class2"), model, x), 4);
        double tv = 0, l1 = 0, l2 = 0;
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 4; y++)
                    for (int xx = 0; xx < 4; xx++)
                    {
                        if (y < 3) tv += Math.Abs(A(n, c, y + 1, xx) - A(n, c, y, xx));
                        if (xx < 3) tv += Math.Abs(A(n, c, y, xx + 1) - A(n, c, y, xx));
                        l1 += Math.Abs(A(n, c, y, xx) - 0.5);
                        l2 += (A(n, c, y, xx) - 0.5) * (A(n, c, y, xx) - 0.5);
                    }
        Assert.Equal(tv, Value(Objectives.TotalVariation(), model, x), 3);
        Assert.Equal(l1, Value(Objectives.L1(constant: 0.5f), model, x), 3);
        Assert.Equal(Math.Sqrt(1e-6 + l2), Value(Objectives.L2(constant: 0.5f), model, x), 3);
        // algebra: +, −, ×, ÷, unary −, objective × objective, sum
        var ch = Objectives.Channel("acts", 1);
        var dd = Objectives.DeepDream("acts");
        double c1 = Value(ch, model, x), d1 = Value(dd, model, x);
        Assert.Equal(c1 - 0.1 * d1, Value(ch - 0.1 * dd, model, x), 4);
        Assert.Equal(-c1 / 4 + 2, Value(-ch / 4 + 2, model, x), 4);
        Assert.Equal(c1 * d1, Value(ch * dd, model, x), 3);
        Assert.Equal(c1 + d1 + c1, Value(Objective.Sum(new[] { ch, dd, ch }), model, x), 4);
        // channel interpolation over a batch of 2: image 0 → channel a, image 1 → channel b
        Assert.Equal(Enumerable.Range(0, 16).Average(p => A(0, 0, p / 4, p % 4)) + Enumerable.Range(0, 16).Average(p => A(1, 2, p / 4, p % 4)),
            Value(Objectives.ChannelInterpolate("acts", 0, "acts", 2), model, x), 4);
        // alignment: −mean((a0 − a1)²)/2 for two images
        Assert.Equal(-Enumerable.Range(0, 48).Average(i => Math.Pow(data[i] - data[48 + i], 2)) / 2, Value(Objectives.Alignment("acts"), model, x), 4);
    }

    /// <summary>Tensor direction, boundary complexity, dot-compare, style and local group weight against hand computations.</summary>
    [Fact]
    public void SpatialObjectives_MatchHandComputedValues()
    {
        var model = KnownModel(2, 5);
        var data = Enumerable.Range(0, 100).Select(i => (float)((i * 7) % 11) / 10f).ToArray();
        using var x = Tensor.FromArray(data, 2, 2, 5, 5);
        double A(int n, int c, int y, int xx) => data[((n * 2 + c) * 5 + y) * 5 + xx];
        // a 2 × 3 × 3 patch against the centre crop (offset 1, 1)
        var patch = Enumerable.Range(0, 18).Select(i => (float)(i % 5) - 2f).ToArray();
        using var v = Tensor.FromArray(patch, 2, 3, 3);
        double expected = 0;
        for (int n = 0; n < 2; n++)
            for (int y = 0; y < 3; y++)
                for (int xx = 0; xx < 3; xx++)
                    expected += Enumerable.Range(0, 2).Sum(c => A(n, c, y + 1, xx + 1) * patch[(c * 3 + y) * 3 + xx]);
        Assert.Equal(expected / 18, Value(Objectives.TensorDirection("acts", v), model, x), 4);
        // a constant image: its blur is itself, so only 0.8·(x − C)² over the border (width 2 of 5: all but the centre) counts
        using var constant = Tensor.Full(0.7f, 1, 2, 5, 5);
        Assert.Equal(-0.8 * 0.04 * 2 * 24, Value(Objectives.PenalizeBoundaryComplexity(width: 2), model, constant), 4);
        // dot-compare: ⟨a₁, a₀⟩ over the whole tap
        Assert.Equal(Enumerable.Range(0, 50).Sum(i => (double)data[i] * data[50 + i]), Value(Objectives.DotCompare("acts"), model, x), 3);
        // style against the image's own Grams is perfect (0); against another's it is negative
        var own = new Dictionary<string, Tensor> { ["acts"] = Objectives.Gram(x) };
        Assert.Equal(0.0, Value(Objectives.Style(own), model, x), 6);
        using var other = Tensor.Full(0.1f, 2, 2, 5, 5);
        Assert.True(Value(Objectives.Style(new Dictionary<string, Tensor> { ["acts"] = Objectives.Gram(other) }), model, x) < -0.01);
        // local group: Σ_c w_c·a_c over a 2×3 window at (1, 2), averaged over batch and window
        var w = new[] { 0.5f, -2f };
        double group = 0;
        for (int n = 0; n < 2; n++)
            for (int y = 1; y < 3; y++)
                for (int xx = 2; xx < 5; xx++) group += 0.5 * A(n, 0, y, xx) - 2 * A(n, 1, y, xx);
        Assert.Equal(group / 12, Value(Objectives.LocalGroupWeight("acts", w, 1, 2, 2, 3), model, x), 4);
        Assert.Throws<LucidArgumentException>(() => Value(Objectives.LocalGroupWeight("acts", w, 4, 4, 2, 2), model, x));
    }

    /// <summary>Diversity is the normalized-Gram similarity between the batch's images: 1 for two identical images (per pair, both orders, over N = 2).</summary>
    [Fact]
    public void Diversity_IsOneForIdenticalImages_AndSmallerForDifferentOnes()
    {
        var model = KnownModel();
        var rng = new Rng(3);
        var one = rng.Uniform(new[] { 1, 3, 4, 4 }).ToArray();
        using var same = Tensor.FromArray(one.Concat(one).ToArray(), 2, 3, 4, 4);
        Assert.Equal(1.0, Value(Objectives.Diversity("acts"), model, same), 4);
        using var other = Tensor.FromArray(one.Concat(rng.Normal(new[] { 1, 3, 4, 4 }).ToArray()).ToArray(), 2, 3, 4, 4);
        Assert.True(Value(Objectives.Diversity("acts"), model, other) < 0.99);
    }

    [Fact]
    public void Objectives_RefuseTapsChannelsAndClassesTheModelDoesNotHave()
    {
        var model = KnownModel();
        Assert.Contains("no_tap", Assert.Throws<Lucid.ModelException>(() => Objectives.Channel("no_tap", 0).Validate(model)).Message);
        Assert.Contains("channel 3 does not exist", Assert.Throws<LucidArgumentException>(() => Objectives.Channel("acts", 3).Validate(model)).Message);
        Assert.Contains("no class", Assert.Throws<LucidArgumentException>(() => Objectives.ClassLogit("dog").Validate(model)).Message);
        Assert.Throws<LucidArgumentException>(() => Objectives.ClassLogit(7).Validate(model));
        Assert.Throws<LucidArgumentException>(() => Objectives.Direction("acts", new float[2]).Validate(model));
        Assert.Throws<LucidArgumentException>(() => Objectives.Channel("acts", 0) / 0);
    }

    public sealed record ImageSizeCase(int H, int W, int Seed) : Case;

    public static Arbitrary<ImageSizeCase> ImageSizes() => (
        from h in Gen.Choose(1, 23) from w in Gen.Choose(1, 23) from seed in Gen.Choose(0, 1000) select new ImageSizeCase(h, w, seed)).ToArbitrary();

    /// <summary>The Fourier parameterization inverts exactly: any spatial image, odd or even sized, comes back from its spectrum.</summary>
    [Property(MaxTest = 200, Arbitrary = new[] { typeof(OptvisTests) })]
    public void FourierImage_RoundTripsImagesOfAnySize(ImageSizeCase t)
    {
        using var image = new LucidImage(t.W, t.H, batch: 2, decorrelate: false, seed: (ulong)t.Seed);
        using var target = new Rng((ulong)t.Seed).Normal(new[] { 2, 3, t.H, t.W });
        image.SetSpatial(target);
        using var _ = GradMode.NoGrad();
        var back = image.Spatial().ToArray();
        var expected = target.ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(back[i] - expected[i]) < 1e-4, $"{t.H}×{t.W}: {back[i]} vs {expected[i]}");
    }

    /// <summary>Lucid's spectrum: 1/max(f, 1/max(H, W)) · √(HW) with f from fftfreq (the DC term clamped).</summary>
    [Fact]
    public void FourierFrequencies_AreFftFreq()
    {
        var f = LucidImage.Frequencies(5, 4);                        // fy = 0, .2, .4, −.4, −.2; fx = 0, .25, .5
        Assert.Equal(15, f.Length);
        Assert.Equal(0, f[0]);
        Assert.Equal(0.5, f[2], 12);
        Assert.Equal(Math.Sqrt(0.4 * 0.4 + 0.25 * 0.25), f[3 * 3 + 1], 12);
    }

    /// <summary>The decorrelation matrix is Lucid's SVD square root over its largest column norm (0.46195…), and from a covariance it is a square root of it.</summary>
    [Fact]
    public void ColorDecorrelation_MatchesItsDefinition()
    {
        var m = ColorDecorrelation.ImageNet;
        // the values published in fv-anchors (Lucid's C = svd_sqrt / 0.46195238), to their six decimals
        foreach (var (i, j, expected) in new[] { (0, 0, 0.562829), (0, 1, 0.194825), (1, 0, 0.584476), (1, 2, -0.108236), (2, 1, -0.194825), (2, 2, 0.064942) })
            Assert.True(Math.Abs(m[i, j] - expected) < 2e-6, $"C[{i}, {j}] = {m[i, j]}, expected {expected}");
        double norm0 = Math.Sqrt(Enumerable.Range(0, 3).Sum(i => (double)m[i, 0] * m[i, 0]));
        Assert.Equal(1.0, norm0, 5);                                  // the largest column is the unit one
        // from a covariance Σ: M·Mᵀ ∝ Σ
        var cov = new double[,] { { 0.070, 0.060, 0.055 }, { 0.060, 0.068, 0.058 }, { 0.055, 0.058, 0.072 } };
        var d = ColorDecorrelation.FromCovariance(cov);
        double k = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double mm = Enumerable.Range(0, 3).Sum(l => (double)d[i, l] * d[j, l]);
                if (i == 0 && j == 0) k = mm / cov[0, 0];
                Assert.Equal(cov[i, j] * k, mm, 5);
            }
    }

    /// <summary>Exact outputs on tiny images: constant and reflect padding, a 90° rotation, crop-or-pad, jitter's size.</summary>
    [Fact]
    public void Transforms_GiveExactOutputsOnTinyImages()
    {
        var rng = new Rng(1);
        using var x = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f }, 1, 1, 3, 3);
        var padded = Transform.Pad(1).Apply(x, rng);
        Assert.Equal(new[] { 1, 1, 5, 5 }, padded.Shape.ToArray());
        Assert.Equal(0.5f, padded[0, 0, 0, 0]);
        Assert.Equal(5f, padded[0, 0, 2, 2]);
        var reflect = Transform.Pad(1, PadKind.Reflect).Apply(x, rng);
        Assert.Equal(5f, reflect[0, 0, 0, 0]);                        // reflect excludes the edge
        var rotated = Transform.RandomRotate(90).Apply(x, rng);
        Assert.Equal(new[] { 3f, 6f, 9f, 2f, 5f, 8f, 1f, 4f, 7f }, rotated.ToArray().Select(v => MathF.Round(v, 4)).ToArray());
        var fitted = Transform.CropOrPadTo(2, 5).Apply(x, rng);
        Assert.Equal(new[] { 1, 1, 2, 5 }, fitted.Shape.ToArray());
        Assert.Equal(new[] { 0f, 1f, 2f, 3f, 0f }, Enumerable.Range(0, 5).Select(i => fitted[0, 0, 0, i]).ToArray());
        var jittered = Transform.Jitter(1).Apply(x, rng);
        Assert.Equal(new[] { 1, 1, 2, 2 }, jittered.Shape.ToArray());
        // the standard set pads 12 before it crops, so any size works; a bare jitter(8) needs 9 pixels
        Assert.Equal(1, Transform.Standard.MinimumSize);
        Assert.Equal(9, Transform.Compose(Transform.Jitter(8)).MinimumSize);
        Assert.Equal(6, Transform.Compose(Transform.RandomScale(0.5), Transform.Jitter(2)).MinimumSize);   // ⌊0.5·6⌋ = 3 > 2
    }

    /// <summary>Gradients flow through every transform: a fixed-seed draw's gradient equals central finite differences.</summary>
    [Theory]
    [InlineData("pad")]
    [InlineData("jitter")]
    [InlineData("scale")]
    [InlineData("rotate")]
    [InlineData("standard")]
    public void Transforms_PassGradientsThatMatchFiniteDifferences(string name)
    {
        var transform = name switch
        {
            "pad" => Transform.Pad(2, PadKind.Reflect),
            "jitter" => Transform.Jitter(3),
            "scale" => Transform.RandomScale(0.8, 1.2),
            "rotate" => Transform.RandomRotate(7, -13),
            _ => Transform.Standard,
        };
        var rng = new Rng(5);
        int size = name == "standard" ? 20 : 9;
        var x0 = rng.Uniform(new[] { 1, 2, size, size });
        var weights = new Rng(6);
        float F(Tensor input)
        {
            var y = transform.Apply(input, new Rng(42));
            var w = new Rng(7).Normal(y.Shape.ToArray());
            return Ops.Sum(Ops.Mul(y, w)).Item();
        }
        var x = x0.Clone().RequireGrad();
        var yg = transform.Apply(x, new Rng(42));
        Ops.Sum(Ops.Mul(yg, new Rng(7).Normal(yg.Shape.ToArray()))).Backward();
        var grad = x.Grad!.ToArray();
        var data = x0.ToArray();
        for (int k = 0; k < 12; k++)
        {
            int i = (int)(weights.NextUInt64() % (ulong)data.Length);
            const float h = 1e-2f;
            var plus = (float[])data.Clone(); plus[i] += h;
            var minus = (float[])data.Clone(); minus[i] -= h;
            double numeric = (F(Tensor.FromArray(plus, x0.Shape.ToArray())) - F(Tensor.FromArray(minus, x0.Shape.ToArray()))) / (2 * h);
            Assert.True(Math.Abs(numeric - grad[i]) <= 2e-3 + 1e-2 * Math.Abs(numeric), $"{name}, element {i}: analytic {grad[i]}, numeric {numeric}");
        }
    }

    /// <summary>
    /// The whole chain — Fourier spectrum → inverse DFT → colour decorrelation → sigmoid → transforms → model →
    /// objective — has the gradient of its definition: analytic vs central finite differences on spectrum coefficients.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ParameterizationGradient_MatchesFiniteDifferences(bool fourier)
    {
        var rng = new Rng(11);
        var model = new Model("conv", new ModelInput(new[] { 3, 9, 9 }, 0f, 1f), new List<ModelNode>
        {
            new("conv", new Conv2dLayer(rng.Normal(new[] { 4, 3, 3, 3 }), rng.Normal(new[] { 4 })), new[] { "input" }, new[] { 4, 7, 7 }),
            new("relu", ActivationLayer.Relu(), new[] { "conv" }, new[] { 4, 7, 7 }),
        }, Array.Empty<string>());
        using var image = new LucidImage(9, 9, fourier: fourier, sd: 0.5f, seed: 2);
        var objective = Objectives.Channel("relu", 1) + 0.3 * Objectives.Neuron("conv", 2);
        var transform = Transform.Compose(Transform.Pad(1), Transform.Jitter(2));
        float F()
        {
            using var _ = GradMode.NoGrad();
            using var scope = Tensor.Scope();
            var x = image.Image();
            var seen = transform.Apply(x, new Rng(3));
            return objective.Evaluate(new ObjectiveContext(model, x, model.Run(seen, null), 1)).Item();
        }
        var variable = image.Parameters[0];
        variable.Grad?.Dispose();
        using (Tensor.Scope())
        {
            var x = image.Image();
            var seen = transform.Apply(x, new Rng(3));
            objective.Evaluate(new ObjectiveContext(model, x, model.Run(seen, null), 1)).Backward();
        }
        var grad = variable.Grad!.ToArray();
        var pick = new Rng(4);
        for (int k = 0; k < 16; k++)
        {
            int i = (int)(pick.NextUInt64() % (ulong)variable.Count);
            float original = variable.Data[i];
            const float h = 1e-2f;
            variable.Data[i] = original + h;
            double plus = F();
            variable.Data[i] = original - h;
            double minus = F();
            variable.Data[i] = original;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(numeric - grad[i]) <= 2e-3 + 2e-2 * Math.Abs(numeric), $"coefficient {i}: analytic {grad[i]:G5}, numeric {numeric:G5}");
        }
    }

    /// <summary>
    /// Lucid's parameterization test: each image fits a target picture (a synthetic scene, 32²) to mean |Δ| &lt; 0.01
    /// within 1000 Adam(0.05) steps of −RMS distance; the low-resolution image fits the target's own low-resolution
    /// version, and the CPPN fits an XOR pattern (Lucid's CPPN test, over the whole 32² image) to 0.05 in 800 Adam(0.005)
    /// steps. At Adam(0.01) the CPPN's fit sits at the edge of stability: over seeds 1–12 three stayed above 0.07, and
    /// seed 1 ended at 0.257 in one CI run where an AVX2-only Zen 3 host gives 0.009 (float summation order differs
    /// between kernels); at 0.005 every one of those seeds reaches ≤ 0.018, on the AVX2 and the portable kernels alike.
    /// </summary>
    [Theory]
    [InlineData("fourier")]
    [InlineData("pixel")]
    [InlineData("laplacian")]
    [InlineData("lowres")]
    [InlineData("cppn")]
    public void Parameterizations_FitATargetImage(string kind)
    {
        const int size = 32;
        var model = KnownModel(3, size);
        var scene = Lucid.Models.Data.SyntheticScenes.Render(2, 5, new[] { 3 });
        using var full = Tensor.FromArray(scene.Pixels, 1, 3, 64, 64);
        Tensor target;
        using (GradMode.NoGrad())
        {
            target = Ops.Interpolate(full, size, size, InterpolationMode.Bilinear);
            if (kind == "lowres") target = Ops.Interpolate(Ops.Interpolate(target, 8, 8, InterpolationMode.Bilinear), size, size, InterpolationMode.Bilinear);
            if (kind == "cppn")
            {
                var xor = new float[3 * size * size];
                for (int c = 0; c < 3; c++)
                    for (int y = 0; y < size; y++)
                        for (int x = 0; x < size; x++) xor[(c * size + y) * size + x] = (y < size / 2) ^ (x < size / 2) ? 0.9f : 0.1f;
                target = Tensor.FromArray(xor, 1, 3, size, size);
            }
            target = Ops.Clamp(target, 0.02f, 0.98f);      // a sigmoid reaches 0 and 1 only at infinity
        }
        ImageParameterization image = kind switch
        {
            "fourier" => new LucidImage(size, seed: 1),
            "pixel" => new LucidImage(size, fourier: false, seed: 1),
            "laplacian" => new LaplacianPyramidImage(size, seed: 1),
            "lowres" => new LowResImage(size, size, 8, 8, seed: 1),
            _ => new CppnImage(size, seed: 1),
        };
        var result = Renderer.Render(model, -Objectives.InputDifference(target), image,
            new RenderOptions { Steps = kind == "cppn" ? 800 : 1000, LearningRate = kind == "cppn" ? 0.005f : 0.05f, Transforms = Transform.None, RedirectRelu = false });
        var fitted = result.Image.ToArray();
        var expected = target.ToArray();
        double mean = fitted.Zip(expected).Average(p => Math.Abs(p.First - p.Second));
        Assert.True(mean < (kind == "cppn" ? 0.05 : 0.01), $"{kind}: mean |Δ| {mean:G3} after {result.ObjectivePerStep.Length} steps");
        image.Dispose();
    }

    /// <summary>
    /// MACO keeps the magnitude: wherever the inverse real DFT keeps both parts of a bin (not the DC or Nyquist
    /// columns), the raw image's spectrum has exactly the fixed magnitude; only the phase is a parameter; the magnitude
    /// of a dataset is the mean amplitude of its decorrelated images.
    /// </summary>
    [Fact]
    public void Maco_KeepsTheMagnitude_AndOptimizesOnlyThePhase()
    {
        const int h = 12, w = 10;
        var images = new Rng(1).Uniform(new[] { 4, 3, 16, 16 });
        var magnitude = MacoImage.MagnitudeOf(images, h, w);
        Assert.Equal(new[] { 3, h, w / 2 + 1 }, magnitude.Shape.ToArray());
        Assert.True(magnitude.ToArray().All(v => v >= 0));
        using var image = new MacoImage(w, h, magnitude, seed: 3);
        Assert.Single(image.Parameters);
        Assert.Equal(new[] { 1, 3, h, w / 2 + 1 }, image.Parameters[0].Shape.ToArray());
        using var _ = GradMode.NoGrad();
        var spectrum = Ops.Rfft2(image.RawSpatial()).ToArray();
        var m = magnitude.ToArray();
        int wf = w / 2 + 1;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 1; x < wf - 1; x++)                         // DC and Nyquist columns lose their imaginary part
                {
                    int i = (c * h + y) * wf + x;
                    double amplitude = Math.Sqrt(spectrum[2 * i] * spectrum[2 * i] + spectrum[2 * i + 1] * spectrum[2 * i + 1]);
                    Assert.True(Math.Abs(amplitude - m[i]) <= 1e-3 * (1 + m[i]), $"bin ({c}, {y}, {x}): |X| = {amplitude}, M = {m[i]}");
                }
        var picture = image.Image().ToArray();
        Assert.All(picture, v => Assert.InRange(v, 0f, 1f));
        Assert.Throws<ShapeMismatchException>(() => new MacoImage(w + 2, h, magnitude));
    }

    /// <summary>MACO's crops: N·count boxes of the requested size; noise has the requested spread; both pass gradients.</summary>
    [Fact]
    public void MacoTransforms_ProduceCropsAndNoise()
    {
        using var x = new Rng(2).Uniform(new[] { 2, 3, 40, 40 }).RequireGrad();
        var crops = Transform.RandomCrops(5, 0.2, 0.5, 16).Apply(x, new Rng(3));
        Assert.Equal(new[] { 10, 3, 16, 16 }, crops.Shape.ToArray());
        Ops.Sum(crops).Backward();
        Assert.True(x.Grad!.ToArray().Count(v => v != 0) > 100);
        using var zeros = Tensor.Zeros(1, 1, 100, 100);
        var noisy = Transform.Noise(0.1f).Apply(zeros, new Rng(4)).ToArray();
        double sd = Math.Sqrt(noisy.Average(v => (double)v * v));
        // N(0, σ²) + U(−σ/2, σ/2): variance σ² + σ²/12
        Assert.InRange(sd, 0.1 * Math.Sqrt(1 + 1 / 12.0) * 0.95, 0.1 * Math.Sqrt(1 + 1 / 12.0) * 1.05);
    }

    [Fact]
    public void MacoRender_RaisesAChannel()
    {
        var model = KnownModel(3, 16);
        using var images = new Rng(5).Uniform(new[] { 8, 3, 32, 32 });
        using var image = new MacoImage(32, 32, MacoImage.MagnitudeOf(images, 32, 32), seed: 1);
        var transforms = Transform.Noise(0.05f);
        // the phase moves structure, not the colour balance the magnitude fixes: ask for a bright centre in channel 2
        // (all components in phase there)
        var r = Renderer.Render(model, Objectives.Neuron("acts", 2), image,
            new RenderOptions { Steps = 60, LearningRate = 0.5f, Transforms = transforms, Seed = 2 });
        // the centre pixel goes from a random 0.88 to the sigmoid's ceiling
        double before = r.ObjectivePerStep.Take(10).Average(), after = r.ObjectivePerStep.Skip(50).Average();
        Assert.True(after > 0.95 && after > before + 0.05, $"{before:G3} → {after:G3}");
    }

    /// <summary>
    /// A render takes gradients for its image only: on a model whose weights require gradients (layers built in code,
    /// TorchSharp imports) the weights get none, and the render is bit for bit the one on the same model with its
    /// weights frozen.
    /// </summary>
    [Fact]
    public void Render_OnAModelWithTrainableWeights_LeavesThemWithoutGradients_AndRendersAsIfFrozen()
    {
        Model Net(out Conv2dLayer conv)
        {
            var rng = new Rng(11);
            conv = new Conv2dLayer(rng.Normal(new[] { 4, 3, 3, 3 }, 0f, 0.4f), rng.Normal(new[] { 4 }, 0f, 0.1f), 1, 1);
            return new Model("trainable", new ModelInput(new[] { 3, 16, 16 }, 0f, 1f), new List<ModelNode>
            {
                new("conv", conv, new[] { "input" }, new[] { 4, 16, 16 }),
                new("relu", ActivationLayer.Relu(), new[] { "conv" }, new[] { 4, 16, 16 }),
            }, new[] { "a", "b", "c", "d" });
        }
        float[] Render(Model model)
        {
            using var image = new LucidImage(16, seed: 3);
            var r = Renderer.Render(model, Objectives.Channel("relu", 1), image, new RenderOptions { Steps = 6, Seed = 4 });
            return r.Image.ToArray();
        }
        var trainable = Net(out var conv);
        Assert.True(conv.Weight.RequiresGrad);
        var rendered = Render(trainable);
        Assert.Null(conv.Weight.Grad);
        Assert.Null(conv.Bias!.Grad);
        var frozen = Net(out var frozenConv);
        frozenConv.Weight.RequiresGrad = false;
        frozenConv.Bias!.RequiresGrad = false;
        Assert.Equal(Render(frozen), rendered);
    }

    /// <summary>
    /// Lucid's clip to valid RGB: values land in [0, 1]; at the boundary the gradient that would push further out is
    /// dropped and the one pulling back in passes; inside it is the identity.
    /// </summary>
    [Fact]
    public void ClipToValidRgb_ProjectsTheGradientAtTheBoundary()
    {
        using var x = Tensor.FromArray(new[] { 2f, 2f, -3f, -3f, 0.5f }, 5).RequireGrad();
        var y = SpatialImage.ConstrainUnit(x);
        Assert.Equal(new[] { 1f, 1f, -1f, -1f, 0.5f }, y.ToArray());
        // loss gradients: outward at 0 and 2 (descent would push further out), inward at 1 and 3, anything inside
        using var upstream = Tensor.FromArray(new[] { -1f, 1f, 1f, -1f, 0.7f }, 5);
        Gradients.Backward(y, (_, _) => null, upstream);
        Assert.Equal(new[] { 0f, 1f, 0f, -1f, 0.7f }, x.Grad!.ToArray());
        using var image = new LucidImage(8, sigmoid: false, sd: 2f, seed: 1);
        Assert.All(image.Image().ToArray(), v => Assert.InRange(v, 0f, 1f));
    }

    /// <summary>normalize_gradient leaves values alone and gives each batch item a unit-norm gradient.</summary>
    [Fact]
    public void NormalizeGradient_GivesEachItemAUnitGradient()
    {
        using var x = new Rng(8).Normal(new[] { 2, 3, 4, 4 }).RequireGrad();
        var y = Transform.NormalizeGradient().Apply(x, new Rng(1));
        Assert.Equal(x.ToArray(), y.ToArray());
        using var w = Tensor.FromArray(Enumerable.Range(0, 96).Select(i => i < 48 ? 5f : 0.01f * i).ToArray(), 2, 3, 4, 4);
        Ops.Sum(Ops.Mul(y, w)).Backward();
        var g = x.Grad!.ToArray();
        for (int e = 0; e < 2; e++)
        {
            double norm = Math.Sqrt(g.Skip(e * 48).Take(48).Sum(v => (double)v * v));
            Assert.Equal(1.0, norm, 5);
        }
        // the direction is kept: item 1's gradient is w's second half, normalized
        double wNorm = Math.Sqrt(w.ToArray().Skip(48).Sum(v => (double)v * v));
        Assert.Equal(w.ToArray()[60] / wNorm, g[60], 5);
    }

    /// <summary>The accumulated attribution (MACO's transparency) sits exactly where the objective looks.</summary>
    [Fact]
    public void AccumulatedAttribution_MarksWhatTheObjectiveReads()
    {
        var model = KnownModel(3, 16);
        using var image = new LucidImage(16, seed: 4);
        var r = Renderer.Render(model, Objectives.Neuron("acts", 2, y: 3, x: 5), image,
            new RenderOptions { Steps = 10, Transforms = Transform.None, AccumulateAttribution = true });
        var a = r.Attribution!.ToArray();
        Assert.True(a[(2 * 16 + 3) * 16 + 5] > 0);
        Assert.Equal(1, a.Count(v => v != 0));                          // the identity model: one pixel of one channel
        var alpha = r.Transparency(percentile: 100).ToArray();           // one pixel: the 98th percentile would be 0
        Assert.Equal(1f, alpha[3 * 16 + 5]);
        Assert.Equal(255, alpha.Count(v => v == 0));
        Assert.Throws<LucidArgumentException>(() => Renderer.Render(model, Objectives.Neuron("acts", 2), image, new RenderOptions { Steps = 2, Transforms = Transform.None }).Transparency());
    }

    /// <summary>An objective that turns NaN stops the render with the library's error, carrying the last good image.</summary>
    [Fact]
    public void Render_StopsOnNaN_KeepingTheLastGoodImage()
    {
        var model = KnownModel(3, 16);
        using var image = new LucidImage(16, seed: 2);
        var poisoned = Objectives.Custom("NaN after step 3", new[] { "acts" },
            c => Ops.Mul(Ops.Mean(Ops.Flatten(c["acts"], 0), 0), c.Step > 3 ? float.NaN : 1f));
        var e = Assert.Throws<NumericalException>(() => Renderer.Render(model, poisoned, image, new RenderOptions { Steps = 10, Transforms = Transform.None }));
        Assert.Contains("step 4", e.Message);
        var last = Assert.IsType<Tensor>(e.Data["lastGoodImage"]);
        Assert.Equal(new[] { 1, 3, 16, 16 }, last.Shape.ToArray());
        Assert.All(last.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>Many units as one batch: image i ends with its own channel as its strongest; a diverse set differs from an independent one.</summary>
    [Fact]
    public void Recipes_RenderManyUnitsAsOneBatch()
    {
        var model = KnownModel(3, 16);
        var options = new RenderOptions { Steps = 40, LearningRate = 0.3f, Transforms = Transform.None };
        var r = Recipes.Channels(model, "acts", new[] { 2, 0, 1 }, options: options, seed: 3);
        var images = r.Image;
        Assert.Equal(new[] { 3, 3, 16, 16 }, images.Shape.ToArray());
        var d = images.ToArray();
        int[] wanted = { 2, 0, 1 };
        for (int i = 0; i < 3; i++)
        {
            var means = Enumerable.Range(0, 3).Select(c => d.Skip((i * 3 + c) * 256).Take(256).Average()).ToArray();
            Assert.Equal(wanted[i], Array.IndexOf(means, means.Max()));
        }
        Assert.Throws<LucidArgumentException>(() => Recipes.Channels(model, "acts", Array.Empty<int>()));
        Assert.Throws<LucidArgumentException>(() => Recipes.Diverse(model, Objectives.Channel("acts", 0), "acts", count: 1));
        // the diversity term pushes the set's images apart (lower Gram similarity than the same render without it)
        double Similarity(double weight)
        {
            var set = Recipes.Diverse(model, Objectives.Channel("acts", 0), "acts", count: 3, weight: weight, options: options, seed: 5).Image;
            return Value(Objectives.Diversity("acts"), model, set);
        }
        Assert.True(Similarity(10) < Similarity(0) - 0.01, $"similarity {Similarity(10):G3} with the term, {Similarity(0):G3} without");
        var frames = Recipes.Interpolate(model, "acts", 0, "acts", 2, frames: 3, options: options, seed: 1).Image.ToArray();
        // the first frame favours channel 0, the last channel 2
        double First(int c) => frames.Skip(c * 256).Take(256).Average();
        double Last(int c) => frames.Skip((6 + c) * 256).Take(256).Average();
        Assert.True(First(0) > Last(0) && Last(2) > First(2));
    }

    /// <summary>Feature inversion (cosine power 4: the direction counts) through the identity "layer" reproduces the reference's pattern (correlation &gt; 0.8).</summary>
    [Fact]
    public void Caricature_InvertsTheReferencesFeatures()
    {
        var model = KnownModel(3, 16);
        using var reference = new Rng(6).Uniform(new[] { 1, 3, 16, 16 });
        var r = Recipes.Caricature(model, reference, "acts", cossimPow: 4, new RenderOptions { Steps = 150, LearningRate = 0.2f, Transforms = Transform.None });
        Assert.Equal(new[] { 2, 3, 16, 16 }, r.Image.Shape.ToArray());
        var all = r.Image.ToArray();
        Assert.Equal(reference.ToArray(), all[..768]);                           // item 0 is the reference, untouched
        var rendered = all[768..];
        var target = reference.ToArray();
        double mr = rendered.Average(v => (double)v), mt = target.Average(v => (double)v);
        double cov = rendered.Zip(target).Sum(p => (p.First - mr) * (p.Second - mt));
        double corr = cov / Math.Sqrt(rendered.Sum(v => (v - mr) * (v - mr)) * target.Sum(v => (v - mt) * (v - mt)));
        Assert.True(corr > 0.8, $"correlation {corr:G3}");
        Assert.Throws<ShapeMismatchException>(() => new ReferencePlusImage(Tensor.Zeros(1, 3, 8, 8), new LucidImage(16)));
    }

    /// <summary>
    /// Alpha: the image has four channels in [0, 1]; collapsing keeps the RGB where alpha is 1 and shows a fresh random
    /// background where it is 0; a render through the collapse trains both the colour and the alpha parameters.
    /// </summary>
    [Fact]
    public void Alpha_CollapsesOverARandomBackground()
    {
        using var image = new AlphaImage(12, seed: 1);
        var rgba = image.Image();
        Assert.Equal(new[] { 1, 4, 12, 12 }, rgba.Shape.ToArray());
        Assert.All(rgba.ToArray(), v => Assert.InRange(v, 0f, 1f));
        var rgb = new Rng(2).Uniform(new[] { 1, 3, 4, 4 }).ToArray();
        Tensor Rgba(float alpha) => Tensor.FromArray(rgb.Concat(Enumerable.Repeat(alpha, 16)).ToArray(), 1, 4, 4, 4);
        var collapse = Transform.CollapseAlpha();
        var opaque = collapse.Apply(Rgba(1f), new Rng(3)).ToArray();
        for (int i = 0; i < rgb.Length; i++) Assert.Equal(rgb[i], opaque[i], 5);
        var clear1 = collapse.Apply(Rgba(0f), new Rng(3)).ToArray();
        var clear2 = collapse.Apply(Rgba(0f), new Rng(4)).ToArray();
        Assert.NotEqual(clear1, clear2);                                   // a fresh background per draw
        Assert.Throws<ShapeMismatchException>(() => collapse.Apply(Tensor.Zeros(1, 3, 4, 4), new Rng(1)));
        var model = KnownModel(3, 12);
        var before = image.Parameters.Select(p => p.ToArray()).ToArray();
        Renderer.Render(model, Objectives.Channel("acts", 0), image, new RenderOptions { Steps = 5, Transforms = collapse });
        Assert.All(image.Parameters.Zip(before), p => Assert.NotEqual(p.Second, p.First.ToArray()));
    }

    /// <summary>The alpha recipe renders RGBA and raises its (alpha-discounted) objective; a channel the tap lacks is refused.</summary>
    [Fact]
    public void ChannelWithAlpha_RendersRgbaAndRaisesItsObjective()
    {
        var model = KnownModel(3, 16);
        var r = Recipes.ChannelWithAlpha(model, "acts", 1, options: new RenderOptions { Steps = 40, LearningRate = 0.2f, Transforms = Transform.Jitter(2) }, seed: 2);
        Assert.Equal(new[] { 1, 4, 16, 16 }, r.Image.Shape.ToArray());
        Assert.True(r.ObjectivePerStep.Skip(30).Average() > r.ObjectivePerStep.Take(5).Average(),
            $"{r.ObjectivePerStep.Take(5).Average():G3} → {r.ObjectivePerStep.Skip(30).Average():G3}");
        Assert.Throws<LucidArgumentException>(() => Recipes.ChannelWithAlpha(model, "acts", 7));
    }

    [Fact]
    public void Render_RefusesBadSettings_ByName()
    {
        var model = KnownModel(3, 16);
        using var image = new LucidImage(16, seed: 1);
        var objective = Objectives.Channel("acts", 0);
        Assert.Contains("steps", Assert.Throws<LucidArgumentException>(() => Renderer.Render(model, objective, image, new RenderOptions { Steps = 0 })).Message);
        Assert.Contains("learning rate", Assert.Throws<LucidArgumentException>(() => Renderer.Render(model, objective, image, new RenderOptions { LearningRate = 0 })).Message);
        Assert.Contains("too small", Assert.Throws<LucidArgumentException>(() => Renderer.Render(model, objective, new LucidImage(6, seed: 1), new RenderOptions { Transforms = Transform.Compose(Transform.Jitter(8)) })).Message);
        Assert.Throws<LucidArgumentException>(() => new LucidImage(0));
        Assert.Contains("channel 5", Assert.Throws<LucidArgumentException>(() => Renderer.Render(model, Objectives.Channel("acts", 5), image)).Message);
    }

    /// <summary>A render raises its objective, and the same seed gives bit-identical images.</summary>
    [Fact]
    public void Render_RaisesTheObjective_AndIsDeterministic()
    {
        var model = KnownModel(3, 16);
        var objective = Objectives.Channel("acts", 1) - Objectives.Channel("acts", 0);
        Tensor Run()
        {
            using var image = new LucidImage(16, seed: 3);
            var r = Renderer.Render(model, objective, image, new RenderOptions { Steps = 50, LearningRate = 0.5f, Seed = 9, Transforms = Transform.Compose(Transform.Pad(2), Transform.Jitter(2)) });
            Assert.True(r.ObjectivePerStep[^1] > r.ObjectivePerStep[0] + 0.3, $"{r.ObjectivePerStep[0]} → {r.ObjectivePerStep[^1]}");
            return r.Image;
        }
        Assert.Equal(Run().ToArray(), Run().ToArray());
    }
}

public class SeededImageTests
{
    [Theory]
    [InlineData(true, true, true, 17, 12)]
    [InlineData(true, false, true, 16, 16)]
    [InlineData(false, true, true, 9, 14)]
    [InlineData(true, true, false, 15, 15)]
    [InlineData(false, false, false, 8, 8)]
    public void SetImage_StartsTheParameterizationAtThatImage(bool fourier, bool decorrelate, bool sigmoid, int width, int height)
    {
        var rng = new Rng(3);
        using var target = rng.Uniform(new[] { 2, 3, height, width }, 0.02f, 0.98f);
        using var image = new LucidImage(width, height, batch: 2, fourier: fourier, decorrelate: decorrelate, sigmoid: sigmoid, seed: 1);
        image.SetImage(target);
        using var _ = GradMode.NoGrad();
        var back = image.Image().ToArray();
        var expected = target.ToArray();
        for (int i = 0; i < back.Length; i++) Assert.True(Math.Abs(back[i] - expected[i]) < 1e-4, $"pixel {i}: {back[i]} vs {expected[i]}");
    }
}
