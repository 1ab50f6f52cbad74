using Lucid.Attribution;
using Lucid.Imaging;
using Lucid.Models;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Lucid.Testing;
using Xunit;

namespace Lucid.RealNetworks.Tests;

/// <summary>ML.NET's ImageNet ResNet-18, restored by NuGet, loaded once for the class's tests.</summary>
public sealed class ResNet18Fixture
{
    public Model Model { get; } = ResNet18.Load();

    /// <summary>The committed demo photo (darknet's dog.jpg), prepared for the network.</summary>
    public Tensor Photo { get; } = Lucid.Imaging.Photo.Load(Path.Combine(TestPaths.RepositoryRoot(), "models", "resnet18", "demo-photo.jpg"), 224).DetachFromScope();
}

public class ResNet18Tests(ResNet18Fixture fixture) : IClassFixture<ResNet18Fixture>
{
    private readonly Model _model = fixture.Model;

    [Fact]
    public void TheNetwork_HasTorchvisionsTaps_WithTheOnnxNamesAsAliases()
    {
        Assert.Equal(15_908_800, _model.Parameters.Sum(p => p.Value.Count));
        Assert.Equal(new[] { 3, 224, 224 }, _model.Input.Shape);
        Assert.Empty(_model.Labels);
        Assert.Equal("avgpool", _model.OutputTap);
        Assert.Equal(new[] { 64, 112, 112 }, _model["conv1"].OutputShape);
        Assert.Equal(new[] { 256, 14, 14 }, _model["layer3.1"].OutputShape);
        Assert.Equal(new[] { 512, 7, 7 }, _model["layer4.2"].OutputShape);
        Assert.Equal("relu", _model["layer4.2"].Layer.Kind);
        Assert.Equal("add", _model["layer4.2.add"].Layer.Kind);
        Assert.Equal("conv2d", _model["layer2.0.downsample.0"].Layer.Kind);
        Assert.Equal(new[] { "layer3.1.add" }, _model["layer3.1"].Inputs);
        // the CNTK value names stay valid
        Assert.Same(_model["layer3.1"], _model["ReLU347_Output_0"]);
        Assert.Equal("layer1.0", _model.Resolve("ReLU269_Output_0"));
        var e = Assert.Throws<ModelException>(() => _model["layer3.7"]);
        Assert.Matches("did you mean 'layer3\\.[01]'", e.Message);
        Assert.Equal(4, ResNet18.Blocks.Count);
        Assert.Equal(ResNet18.Blocks.Sum(), _model.Taps.Count(t => System.Text.RegularExpressions.Regex.IsMatch(t, @"^layer\d\.\d$")));
    }

    [Fact]
    public void TheContract_IsBgrIn0To255MinusThePackagesMeans()
    {
        Assert.Equal(ChannelOrder.Bgr, _model.Input.Order);
        Assert.Equal((0f, 255f), (_model.Input.Min, _model.Input.Max));
        Assert.Equal(new[] { 103.0626f, 115.9029f, 123.1516f }, _model.Input.Mean);
        // a pure-red photo reaches the network as B = −103.06, G = −115.90, R = 255 − 123.15
        var schema = ModelSchema.From(_model);
        Assert.Equal("bgr", schema.Input.Order);
        Assert.Equal(new[] { 0f, 255f }, schema.Input.Range);
        var roundTrip = ModelSchema.Parse(schema.ToJson()).Input.ToModelInput("resnet18");
        Assert.Equal(_model.Input.Order, roundTrip.Order);
        Assert.Equal(_model.Input.Mean, roundTrip.Mean);
    }

    /// <summary>
    /// The whole network through the fast convolution paths (Winograd F(4×4, 3×3) for its 3×3 stride-1 convolutions on
    /// AVX2/AVX-512) against the same network summing every convolution directly: features and input gradients of two
    /// photos within 1e-4 relative (gradients 1e-3), and the fast path really taken (the bits differ).
    /// </summary>
    [Fact]
    public void FastConvolutions_MatchTheDirectSum_OverTheWholeNetwork()
    {
        using var scope = Tensor.Scope();
        // three images: layer4's 7² convolutions take the transform forward from three on
        var photos = Ops.Concat(new[] { fixture.Photo, Ops.Mul(fixture.Photo, 0.8f), Ops.Mul(fixture.Photo, 0.6f) }, 0);
        (float[] Features, float[] Gradient) Run()
        {
            var x = photos.Detach().RequireGrad();
            var y = _model.Forward(x);
            var g = Gradients.Of(Ops.Sum(Ops.Mul(y, y)), new[] { x })[0];
            return (y.ToArray(), g.ToArray());
        }
        var fast = Run();
        (float[] Features, float[] Gradient) direct;
        using (Convolutions.Direct()) direct = Run();
        static double RelativeL2(float[] a, float[] b)
        {
            double num = 0, den = 0;
            for (int i = 0; i < a.Length; i++) { num += Math.Pow(a[i] - b[i], 2); den += Math.Pow(b[i], 2); }
            return Math.Sqrt(num / den);
        }
        Assert.InRange(RelativeL2(fast.Features, direct.Features), 0, 1e-4);
        // the gradient is piecewise constant in the ReLU masks: pre-activations within rounding of zero may switch sides
        // (measured 2.1e-4 on these photos), so it is held to 1e-3
        Assert.InRange(RelativeL2(fast.Gradient, direct.Gradient), 0, 1e-3);
        double scale = direct.Features.Max(Math.Abs);
        Assert.All(fast.Features.Zip(direct.Features), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, 1e-4 * scale));
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) Assert.NotEqual(direct.Features, fast.Features);
    }

    /// <summary>
    /// With the right input the network's layer4 features of a photo barely move under a horizontal flip and differ
    /// from another photo's; fed [0, 1] pixels without the contract (255× too small), every feature is near its
    /// bias-only value and the photos are indistinguishable.
    /// </summary>
    [Fact]
    public void WithTheContract_FeaturesTellPhotosApart()
    {
        var root = TestPaths.RepositoryRoot();
        var dog = Lucid.Imaging.Photo.LoadUpright(Path.Combine(root, "models", "resnet18", "demo-photo.jpg"));
        var crop = Lucid.Imaging.Photo.Prepare(dog, 224, 224);
        using var a = crop.ToTensor();
        using var flipped = Lucid.Imaging.Photo.Orient(crop, 2).ToTensor();
        var other = new Image(224, 224, 3);
        for (int y = 0; y < 224; y++) for (int x = 0; x < 224; x++) { other[y, x, 0] = (byte)(x ^ y); other[y, x, 1] = (byte)(3 * x); other[y, x, 2] = (byte)(200 - y / 2); }
        using var c = other.ToTensor();
        double Cos(float[] u, float[] v) => u.Zip(v).Sum(p => (double)p.First * p.Second) / Math.Sqrt(u.Sum(t => (double)t * t) * v.Sum(t => (double)t * t));
        float[] Features(Tensor x) { using var _ = GradMode.NoGrad(); using var s = Tensor.Scope(); return _model.Forward(x).ToArray(); }
        var fa = Features(a);
        Assert.True(Cos(fa, Features(flipped)) > 0.9, $"flip similarity {Cos(fa, Features(flipped)):F3}");
        Assert.True(Cos(fa, Features(c)) < Cos(fa, Features(flipped)) - 0.2, $"other {Cos(fa, Features(c)):F3} vs flip {Cos(fa, Features(flipped)):F3}");
    }

    /// <summary>
    /// LRP on the real network conserves relevance through every residual block where the rules conserve (biases and
    /// BatchNorm shifts ignored): Σ R at each block's output equals Σ R at its input within 1e-4 relative — for
    /// EpsilonPlusFlat with the BatchNorm merge and for Deep Taylor (z⁺, z^B at the input with the contract's bounds).
    /// </summary>
    [Theory]
    [InlineData("epsilon-plus-flat")]
    [InlineData("deep-taylor")]
    public void Lrp_ConservesThroughEveryResidualBlock(string method)
    {
        var lrp = method == "deep-taylor" ? Lrp.DeepTaylor(_model) : LrpComposites.For(LrpComposite.EpsilonPlusFlat, _model);
        lrp = lrp.IgnoringBias();
        using var scope = Tensor.Scope();
        var (channel, y, x) = StrongestNeuron("layer4.2");
        var result = lrp.Attribute(_model, fixture.Photo, AttributionTarget.Neuron("layer4.2", channel, y, x), recordRelevance: true);
        var r = result.Relevance;
        double Sum(string tap) => r[tap].ToArray().Sum(v => (double)v);
        double target = Sum("layer4.2");
        Assert.True(target > 1e-3, $"the target's relevance {target}");
        string previous = "maxpool";
        for (int stage = 1; stage <= 4; stage++)
            for (int block = 0; block < ResNet18.Blocks[stage - 1]; block++)
            {
                string name = $"layer{stage}.{block}";
                double into = Sum(name), from = Sum(previous);
                Assert.True(Math.Abs(into - from) <= 1e-4 * Math.Abs(target), $"{method}: Σ R at {name} = {into:G7}, at its input {previous} = {from:G7}");
                previous = name;
            }
        // and through the stem down to the pixels: the contract's gather, scaling and shift pass relevance unchanged
        double pixels = result.Attribution.ToArray().Sum(v => (double)v);
        Assert.True(Math.Abs(pixels - target) <= 1e-4 * Math.Abs(target), $"{method}: Σ R at the pixels {pixels:G7}, at the target {target:G7}");
    }

    private (int Channel, int Y, int X) StrongestNeuron(string tap)
    {
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var a = _model.Run(fixture.Photo, null, stopAfter: tap)[tap].ToArray();
        var shape = _model[tap].OutputShape;
        int best = Array.IndexOf(a, a.Max()), plane = shape[1] * shape[2];
        return (best / plane, best % plane / shape[2], best % shape[2]);
    }

    /// <summary>
    /// Integrated Gradients on the real network: the reported delta is exactly Σ attribution − (f(x) − f(x′)). On a ReLU
    /// network the integrand is piecewise constant along the path, and fixed rules converge slowly and unevenly (from
    /// black, this channel: Gauss–Legendre 8.9 % at 64 steps, 1.6 % at 256; trapezoid 2.1 % at 64, 9.6 % at 128, 0.07 % …
    /// 0.5 % from 256 to 512). Adaptive IG, which bisects the intervals whose exactly known error is largest, reaches
    /// the 1e-3 · |f(x) − f(x′)| completeness within its 256-step budget (161 path points measured) and stops there.
    /// </summary>
    [Fact]
    public void IntegratedGradients_ReportsItsDelta_AndAdaptiveIntegratedGradients_ReachesCompleteness_OnTheRealNetwork()
    {
        var target = AttributionTarget.Channel("layer3.1", 17);
        using var black = Tensor.Zeros(1, 3, 224, 224);
        double change = GradientAttribution.Evaluate(_model, fixture.Photo, target)[0] - GradientAttribution.Evaluate(_model, black, target)[0];
        Assert.True(Math.Abs(change) > 1, $"f(x) − f(x′) = {change}");
        var fixedRule = GradientAttribution.IntegratedGradients(_model, fixture.Photo, target, black, 64, IntegrationMethod.GaussLegendre, internalBatch: 16);
        double fixedError = fixedRule.Attribution.ToArray().Sum(v => (double)v) - change;
        Assert.Equal(fixedError, fixedRule.Delta![0], 1e-3 * Math.Abs(change));
        fixedRule.Attribution.Dispose();

        var adaptive = GradientAttribution.AdaptiveIntegratedGradients(_model, fixture.Photo, target, black, maxSteps: 256, tolerance: 1e-3);
        double adaptiveError = adaptive.Attribution.ToArray().Sum(v => (double)v) - change;
        Assert.True(Math.Abs(adaptiveError) <= 1e-3 * Math.Abs(change),
            $"adaptive IG: completeness error {adaptiveError / change:P3} after {adaptive.Steps![0]} path points (Gauss–Legendre at 64: {fixedError / change:P2})");
        Assert.True(adaptive.Steps![0] < 256, $"adaptive IG spent its whole budget ({adaptive.Steps[0]})");
        Assert.True(Math.Abs(fixedError) > Math.Abs(adaptiveError), "the fixed rule should err more on this path");
        adaptive.Attribution.Dispose();
    }

    /// <summary>The icons' preview is the same network at 96² up to layer4.2: same taps, same weights.</summary>
    [Fact]
    public void ThePreview_IsTheSameNetworkAtASmallerInput()
    {
        var preview = _model.Preview!;
        Assert.Equal(new[] { 3, ResNet18.PreviewSize, ResNet18.PreviewSize }, preview.Input.Shape);
        Assert.Equal("layer4.2", preview.OutputTap);
        Assert.Equal(new[] { 512, 3, 3 }, preview["layer4.2"].OutputShape);
        var full = _model.Parameters.ToDictionary(p => p.Name, p => p.Value);
        Assert.All(preview.Parameters, p => Assert.Equal(full[p.Name].ToArray(), p.Value.ToArray()));
        // held once: the preview reads the model's own weight memory (one ONNX session), not a second copy — a change
        // to a model weight shows in the preview
        Assert.All(preview.Parameters, p =>
        {
            var mine = full[p.Name].Data;
            float saved = mine[0];
            mine[0] = saved + 1f;
            try { Assert.Equal(saved + 1f, p.Value.Data[0]); }
            finally { mine[0] = saved; }
        });
    }

    /// <summary>
    /// A regression guard on a steady render step's managed allocation at 224² (Fourier + decorrelated image, Lucid's
    /// transforms, a layer3.1 channel, Adam): counted on this thread between the render's own progress reports over
    /// steps 5–20 (every tensor, node and closure of a step is made on the calling thread). Under 96 KiB: the issue's
    /// target of 64 KiB is measured by the benchmarks once the JIT has optimized the loop (61 KiB), while a test may
    /// run it still in tier-0 code, whose objects do not get stack-allocated (88 KiB measured); a change that allocated
    /// one feature map per step (200 KiB at layer1) fails either way.
    /// </summary>
    [Fact]
    public void ASteadyRenderStep_AllocatesNoFeatureMaps()
    {
        var marks = new List<long>(32);
        var progress = new Reports(_ => marks.Add(GC.GetAllocatedBytesForCurrentThread()));
        Lucid.Optvis.Renderer.Render(_model, Lucid.Optvis.Objectives.Channel("layer3.1", 17), new Lucid.Optvis.LucidImage(224, batch: 1, seed: 1),
            new Lucid.Optvis.RenderOptions { Steps = 20, Seed = 1, RedirectRelu = false, Progress = progress }).Image.Dispose();
        Assert.Equal(20, marks.Count);
        double perStep = (marks[19] - marks[4]) / 15.0;
        Assert.True(perStep < 96 * 1024, $"a steady render step allocated {perStep / 1024:F1} KiB on the managed heap");
        Assert.True(perStep > 1024, $"only {perStep:F0} bytes per step were counted: the step's graph nodes alone take more, so the count missed the step");
    }

    private sealed class Reports(Action<Lucid.Optvis.RenderProgress> report) : IProgress<Lucid.Optvis.RenderProgress>
    {
        public void Report(Lucid.Optvis.RenderProgress value) => report(value);
    }
}

/// <summary>The interfaces' icons on the real network are feature visualizations of it: each drives its own channel hardest.</summary>
public class ResNet18IconTests(ResNet18Fixture fixture) : IClassFixture<ResNet18Fixture>
{
    [Fact]
    public void DictionaryIcons_AreTheirChannelsStrongestImages_OnTheNetwork()
    {
        var model = fixture.Model;
        var channels = new[] { 9, 90, 402 };
        var icons = Lucid.Interfaces.Icons.ForChannels(model, "layer4.1", channels, steps: 48, seed: 1);
        var preview = model.Preview!;
        foreach (var c in channels)
        {
            using var scope = Tensor.Scope();
            using var _ = GradMode.NoGrad();
            var icon = icons[c];
            Assert.Equal((ResNet18.PreviewSize, ResNet18.PreviewSize), (icon.Width, icon.Height));
            var a = preview.Run(icon.ToTensor(), null, stopAfter: "layer4.1")["layer4.1"];
            int plane = a.Count / a.Size(1);
            var values = a.ToArray();
            var means = Enumerable.Range(0, a.Size(1)).Select(ch => values.Skip(ch * plane).Take(plane).Sum(v => (double)v)).ToArray();
            Assert.True(Array.IndexOf(means, means.Max()) == c, $"icon of channel {c}: strongest channel {Array.IndexOf(means, means.Max())}");
        }
    }
}
