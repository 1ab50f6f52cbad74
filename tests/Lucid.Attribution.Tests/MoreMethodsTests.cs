using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Testing;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Attribution.Tests;

/// <summary>DeepLIFT, GradientSHAP, conductance, internal influence, feature ablation, guided Grad-CAM, baselines and targets.</summary>
public class MoreMethodsTests
{

    /// <summary>f(x) = Σ w·x + b over a [C, H, W] input: every path method must give exactly (x − x′)·w.</summary>
    private static Model LinearModel(ulong seed, out float[] weights)
    {
        var rng = new Rng(seed);
        var w = rng.Normal(new[] { 2, 2 * 4 * 4 });
        weights = w.ToArray();
        var nodes = new List<ModelNode>
        {
            new("flatten", new FlattenLayer(), new[] { "input" }, new[] { 32 }),
            new("logits", new LinearLayer(w, rng.Normal(new[] { 2 })), new[] { "flatten" }, new[] { 2 }),
        };
        return new Model("linear", new ModelInput(new[] { 2, 4, 4 }, 0f, 1f), nodes, new[] { "a", "b" });
    }

    /// <summary>
    /// DeepLIFT's summation-to-delta, Σ attribution = f(x) − f(x′), on 300 random ReLU networks with biases, max- and
    /// average pooling, concatenation and a residual sum, against random baselines. The rescale rule is exact for every
    /// nonlinearity there (max-pooling included), so only float32 rounding remains: 1e-4 of Σ|attribution| + |Δf|.
    /// </summary>
    [Property(MaxTest = 300)]
    public void DeepLift_SumsToTheDifference_OnReluNetworks(Seed seed)
    {
        var model = LrpTests.RandomBiasFreeNet((ulong)seed, withBias: true);
        using var x = new Rng((ulong)seed + 1).Uniform(new[] { 2, 2, 8, 8 });
        using var x0 = new Rng((ulong)seed + 2).Uniform(new[] { 2, 2, 8, 8 });
        var r = new DeepLift().Attribute(model, x, AttributionTarget.Class(seed % 4), x0);
        var f0 = GradientAttribution.Evaluate(model, x0, AttributionTarget.Class(seed % 4));
        var a = r.Attribution.ToArray();
        for (int e = 0; e < 2; e++)
        {
            double sum = a.Skip(e * 128).Take(128).Sum(v => (double)v), magnitude = a.Skip(e * 128).Take(128).Sum(v => Math.Abs((double)v));
            double expected = r.TargetValues[e] - f0[e];
            Assert.True(Math.Abs(sum - expected) <= 1e-4 * (magnitude + Math.Abs(expected)) + 1e-6,
                $"seed {seed}, example {e}: Σ attribution {sum:G8}, f(x) − f(x′) {expected:G8}");
            Assert.Equal(sum - expected, r.Delta![e], 4);
        }
    }

    [Fact]
    public void DeepLift_OnALinearModel_IsTheDifferenceTimesTheWeights()
    {
        var model = LinearModel(3, out var w);
        using var x = new Rng(4).Uniform(new[] { 1, 2, 4, 4 });
        var r = new DeepLift { Baseline = Baseline.Black }.Attribute(model, x, AttributionTarget.Class(1));
        var a = r.Attribution.ToArray();
        var xd = x.ToArray();
        for (int i = 0; i < 32; i++) Assert.Equal(xd[i] * w[32 + i], a[i], 5);
    }

    /// <summary>GradientSHAP on a linear model: whatever α and baseline are drawn, each sample is exactly (x − b)·w, so the
    /// delta against the drawn baselines vanishes; the same seed gives the same bits.</summary>
    [Fact]
    public void GradientShap_IsExactOnLinearModels_AndSeeded()
    {
        var model = LinearModel(5, out _);
        using var x = new Rng(6).Uniform(new[] { 3, 2, 4, 4 });
        using var baselines = new Rng(7).Uniform(new[] { 4, 2, 4, 4 });
        var r = GradientAttribution.GradientShap(model, x, AttributionTarget.Class(0), baselines, samples: 8, seed: 11);
        Assert.All(r.Delta!, d => Assert.True(Math.Abs(d) < 1e-4, $"delta {d}"));
        var again = GradientAttribution.GradientShap(model, x, AttributionTarget.Class(0), baselines, samples: 8, seed: 11);
        Assert.Equal(r.Attribution.ToArray(), again.Attribution.ToArray());
        var other = GradientAttribution.GradientShap(model, x, AttributionTarget.Class(0), baselines, samples: 8, seed: 12);
        Assert.NotEqual(r.Attribution.ToArray(), other.Attribution.ToArray());
        Assert.Throws<LucidArgumentException>(() => GradientAttribution.GradientShap(model, x, AttributionTarget.Class(0), baselines, samples: 0));
        using var wrong = Tensor.Zeros(2, 2, 4, 5);
        Assert.Throws<ShapeMismatchException>(() => GradientAttribution.GradientShap(model, x, AttributionTarget.Class(0), wrong));
    }

    /// <summary>
    /// Layer conductance is complete — Σ conductance → f(x) − f(x′) — on smooth networks (60 random ones, 128 steps),
    /// and its error shrinks as the steps grow. That is measured on ReLU networks, whose kinks leave a discretization
    /// error well above float rounding (on these small softplus networks 8 steps are already at the float floor), in
    /// total over the networks, since at 8 steps the error of one network can vanish by cancellation.
    /// </summary>
    [Fact]
    public void Conductance_IsComplete_AndConverges()
    {
        double coarseTotal = 0, fineTotal = 0;
        for (int seed = 1; seed <= 60; seed++) // a fixed sample: the convergence claim is about the total
        {
            var model = GradientAttributionTests.RandomNet((ulong)seed, () => new("softplus", t => Ops.Softplus(t)));
            using var x = new Rng((ulong)seed).Uniform(new[] { 1, 2, 6, 6 });
            var target = AttributionTarget.Class(seed % 4);
            var fine = LayerAttribution.Conductance(model, x, target, "act1", steps: 128);
            Assert.Equal(new[] { 1, 3, 6, 6 }, fine.Attribution.Shape.ToArray());
            var f0 = GradientAttribution.Evaluate(model, Tensor.Zeros(1, 2, 6, 6), target);
            double change = Math.Abs(fine.TargetValues[0] - f0[0]);
            Assert.True(Math.Abs(fine.Delta![0]) <= 1e-3 * change + 2e-5, $"seed {seed}: delta {fine.Delta[0]:G4} for a change of {change:G4}");
            var relu = GradientAttributionTests.RandomNet((ulong)seed, ActivationLayer.Relu);
            coarseTotal += Math.Abs(LayerAttribution.Conductance(relu, x, target, "act1", steps: 8).Delta![0]);
            fineTotal += Math.Abs(LayerAttribution.Conductance(relu, x, target, "act1", steps: 128).Delta![0]);
        }
        Assert.True(fineTotal < coarseTotal / 4, $"Σ|delta| over the ReLU networks: {coarseTotal:G3} at 8 steps, {fineTotal:G3} at 128");
    }

    /// <summary>
    /// Where the layer is linear in the input (a convolution's pre-activation), da/dα is the constant a(x) − a(x′), so
    /// conductance = internal influence ⊙ (a(x) − a(x′)) — the two methods checked against each other.
    /// </summary>
    [Fact]
    public void Conductance_OnALinearLayer_IsInternalInfluenceTimesTheChange()
    {
        var model = GradientAttributionTests.RandomNet(9, () => new("softplus", t => Ops.Softplus(t)));
        using var x = new Rng(9).Uniform(new[] { 1, 2, 6, 6 });
        var target = AttributionTarget.Class(2);
        var conductance = LayerAttribution.Conductance(model, x, target, "conv1", steps: 256).Attribution.ToArray();
        var influence = LayerAttribution.InternalInfluence(model, x, target, "conv1", steps: 64).Attribution.ToArray();
        var taps = model.Run(x, null);
        var a = taps["conv1"].ToArray();
        var a0 = model.Run(Tensor.Zeros(1, 2, 6, 6), null)["conv1"].ToArray();
        double scale = conductance.Max(v => Math.Abs(v));
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(conductance[i] - influence[i] * (a[i] - a0[i])) <= 1e-3 * scale, $"unit {i}: {conductance[i]} vs {influence[i] * (a[i] - a0[i])}");
        Assert.Throws<LucidArgumentException>(() => LayerAttribution.Conductance(model, x, target, "conv1", steps: 0));
    }

    [Fact]
    public void FeatureAblation_GivesEachGroupItsDrop()
    {
        var model = LinearModel(13, out var w);
        using var x = new Rng(14).Uniform(new[] { 1, 2, 4, 4 });
        var mask = Enumerable.Range(0, 16).Select(p => p % 4 / 2 + 2 * (p / 8)).ToArray();   // four 2×2... quadrants
        var r = PerturbationAttribution.FeatureAblation(model, x, AttributionTarget.Class(0), mask, groupsPerEval: 3);
        var xd = x.ToArray();
        var a = r.Attribution.ToArray();
        for (int group = 0; group < 4; group++)
        {
            double drop = 0;
            for (int i = 0; i < 32; i++)
                if (mask[i % 16] == group) drop += w[i] * xd[i];
            for (int i = 0; i < 32; i++)
                if (mask[i % 16] == group) Assert.Equal(drop, a[i], 4);
        }
        Assert.Throws<LucidArgumentException>(() => PerturbationAttribution.FeatureAblation(model, x, AttributionTarget.Class(0), new int[15]));
    }

    [Fact]
    public void GuidedGradCam_IsGuidedBackpropTimesTheUpsampledCam()
    {
        var model = GradientAttributionTests.RandomNet(21, ActivationLayer.Relu);
        using var x = new Rng(22).Uniform(new[] { 1, 2, 6, 6 });
        var target = AttributionTarget.Class(3);
        var combined = ClassActivationMaps.GuidedGradCam(model, x, target, "act2").Attribution.ToArray();
        var guided = ModifiedGradients.GuidedBackprop(model, x, target).Attribution.ToArray();
        var cam = ClassActivationMaps.GradCam(model, x, target, "act2").Attribution;         // [1, 1, 3, 3] (after pool1)
        var camData = cam.ToArray();
        int ch = cam.Size(2);
        for (int c = 0; c < 2; c++)
            for (int y = 0; y < 6; y++)
                for (int xx = 0; xx < 6; xx++)
                {
                    float map = camData[y * ch / 6 * ch + xx * ch / 6];                     // nearest: floor(y·h/H)
                    int i = (c * 6 + y) * 6 + xx;
                    Assert.Equal(guided[i] * map, combined[i], 5);
                }
    }

    [Fact]
    public void Baselines_AreWhatTheyPromise()
    {
        var rng = new Rng(1);
        var model = new Model("m", new ModelInput(new[] { 3, 8, 8 }, -1f, 2f, new[] { 0.5f, 0.4f, 0.3f }, new[] { 0.2f, 0.2f, 0.2f }),
            new List<ModelNode> { new("flatten", new FlattenLayer(), new[] { "input" }, new[] { 192 }) }, Array.Empty<string>());
        using var x = rng.Uniform(new[] { 2, 3, 8, 8 });
        Assert.All(Baseline.Zero.For(model, x).ToArray(), v => Assert.Equal(0f, v));
        // baselines are pixels (RGB in [0, 1]) whatever the network's range: black is 0, the dataset mean is the
        // contract's mean mapped back from the network's range [−1, 2]
        Assert.All(Baseline.Black.For(model, x).ToArray(), v => Assert.Equal(0f, v));
        var mean = Baseline.DatasetMean().For(model, x).ToArray();
        Assert.Equal((0.4f + 1f) / 3f, mean[64 + 5], 6);
        Assert.Equal((0.3f + 1f) / 3f, mean[192 + 128], 6);
        var noise = Baseline.UniformNoise(5).For(model, x).ToArray();
        Assert.All(noise, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(noise, Baseline.UniformNoise(5).For(model, x).ToArray());
        // a blur keeps a constant image and shrinks the variance of a noisy one
        using var constant = Tensor.Full(0.7f, 1, 3, 8, 8);
        Assert.All(Baseline.Blurred(2f).For(model, constant).ToArray(), v => Assert.Equal(0.7f, v, 5));
        var blurred = Baseline.Blurred(2f).For(model, x).ToArray();
        static double Var(float[] v) { double m = v.Average(a => (double)a); return v.Average(a => (a - m) * (a - m)); }
        Assert.True(Var(blurred) < 0.5 * Var(x.ToArray()));
        // one example's reference is used for every example; a wrong shape is named
        using var one = rng.Uniform(new[] { 3, 8, 8 });
        var custom = Baseline.Custom(one).For(model, x).ToArray();
        Assert.Equal(one.ToArray(), custom[192..]);
        using var wrong = Tensor.Zeros(3, 8, 7);
        Assert.Contains("matches neither", Assert.Throws<ShapeMismatchException>(() => Baseline.Custom(wrong).For(model, x)).Message);
        // IG from a baseline kind is IG from that tensor
        var ig = GradientAttribution.IntegratedGradients(LinearModelFor(model), x, AttributionTarget.Class(0), Baseline.Black, steps: 8);
        using var black = Baseline.Black.For(model, x);
        var igTensor = GradientAttribution.IntegratedGradients(LinearModelFor(model), x, AttributionTarget.Class(0), black, steps: 8);
        Assert.Equal(igTensor.Attribution.ToArray(), ig.Attribution.ToArray());
    }

    private static Model LinearModelFor(Model m)
    {
        var rng = new Rng(2);
        return new Model("lin", m.Input, new List<ModelNode>
        {
            new("flatten", new FlattenLayer(), new[] { "input" }, new[] { 192 }),
            new("logits", new LinearLayer(rng.Normal(new[] { 2, 192 }), null), new[] { "flatten" }, new[] { 2 }),
        }, new[] { "a", "b" });
    }

    [Fact]
    public void DirectionAndFunctionTargets_AgreeWithChannelTargets_AndCheckTheirArguments()
    {
        var model = GradientAttributionTests.RandomNet(31, ActivationLayer.Relu);
        using var x = new Rng(32).Uniform(new[] { 2, 2, 6, 6 });
        var oneHot = new float[3];
        oneHot[1] = 1f;
        var byDirection = GradientAttribution.Saliency(model, x, AttributionTarget.Direction("act1", oneHot), absolute: false);
        var byChannel = GradientAttribution.Saliency(model, x, AttributionTarget.Channel("act1", 1), absolute: false);
        Assert.Equal(byChannel.TargetValues, byDirection.TargetValues);
        Assert.Equal(byChannel.Attribution.ToArray(), byDirection.Attribution.ToArray());
        var neuron = GradientAttribution.Evaluate(model, x, AttributionTarget.Direction("act1", oneHot, 2, 3));
        Assert.Equal(GradientAttribution.Evaluate(model, x, AttributionTarget.Neuron("act1", 1, 2, 3)), neuron);
        var mean = GradientAttribution.Evaluate(model, x, AttributionTarget.Function("act1", t => Ops.Mean(Ops.Flatten(t), 1)));
        var channels = Enumerable.Range(0, 3).Select(c => GradientAttribution.Evaluate(model, x, AttributionTarget.Channel("act1", c))).ToArray();
        for (int e = 0; e < 2; e++) Assert.Equal(channels.Sum(c => c[e]) / 108f, mean[e], 5);
        Assert.Throws<LucidArgumentException>(() => GradientAttribution.Evaluate(model, x, AttributionTarget.Direction("act1", new float[4])));
        Assert.Throws<ShapeMismatchException>(() => GradientAttribution.Evaluate(model, x, AttributionTarget.Function("act1", t => t)));
    }
}
