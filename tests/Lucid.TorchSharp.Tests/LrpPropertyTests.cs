using Lucid.Attribution;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using LucidTensor = Lucid.Tensors.Tensor;
using Rng = Lucid.Tensors.Rng;
using Tensor = TorchSharp.torch.Tensor;

namespace Lucid.TorchSharp.Tests;

/// <summary>LRP's laws on networks built and initialized in TorchSharp, imported into Lucid's engine.</summary>
public class LrpPropertyTests
{
    /// <summary>A random bias-free ReLU CNN: 1–3 conv blocks (with or without max pooling), then 1–2 linear layers.</summary>
    internal static nn.Module<Tensor, Tensor> RandomNet(Rng rng, int size, out int classes)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        int channels = 3, side = size, blocks = rng.NextInt(1, 4);
        for (int b = 0; b < blocks; b++)
        {
            int width = rng.NextInt(2, 9), k = rng.NextInt(0, 2) == 0 ? 3 : 1;
            layers.Add(($"conv{b}", nn.Conv2d(channels, width, k, padding: k / 2, bias: false)));
            layers.Add(($"relu{b}", nn.ReLU()));
            if (side >= 4 && rng.NextInt(0, 2) == 0) { layers.Add(($"pool{b}", nn.MaxPool2d(2))); side /= 2; }
            channels = width;
        }
        layers.Add(("flatten", nn.Flatten()));
        int features = channels * side * side;
        if (rng.NextInt(0, 2) == 0)
        {
            int hidden = rng.NextInt(3, 12);
            layers.Add(("fc0", nn.Linear(features, hidden, hasBias: false)));
            layers.Add(("fc0_relu", nn.ReLU()));
            features = hidden;
        }
        classes = rng.NextInt(2, 6);
        layers.Add(("logits", nn.Linear(features, classes, hasBias: false)));
        return nn.Sequential(layers.ToArray());
    }

    [RequiresTorchFact]
    public void LrpZero_OnBiasFreeTorchSharpNets_ConservesTheOutput_AndIsGradientTimesInputFromTorchSharp()
    {
        var rng = new Rng(11);
        for (int trial = 0; trial < 40; trial++)
        {
            torch.manual_seed(trial);
            int size = 4 * rng.NextInt(2, 5);
            var net = RandomNet(rng, size, out int classes);
            var options = new TorchModelOptions { Name = $"net{trial}", InputShape = new[] { 3, size, size } };
            var imported = TorchModels.Import(net, options);
            var wrapped = TorchModels.Wrap(net, options);
            using var scope = LucidTensor.Scope();
            var x = rng.Uniform(new[] { 1, 3, size, size }, 0f, 1f);
            var target = AttributionTarget.Class(rng.NextInt(0, classes));
            var lrp = Lrp.Uniform(new LrpEpsilon(1e-9f)).Attribute(imported, x, target);
            float f = lrp.TargetValues[0];
            double total = lrp.Attribution.ToArray().Sum(v => (double)v);
            // conservation: a bias-free ReLU network is positively homogeneous, so Σ R = f(x)
            Assert.True(Math.Abs(total - f) <= 1e-4 * Math.Max(1, Math.Abs(f)), $"net {trial}: Σ R = {total}, f(x) = {f}");
            // LRP-0 is gradient × input, and TorchSharp's autograd gives the same
            var torchXGrad = GradientAttribution.InputXGradient(wrapped, x, target).Attribution.ToArray();
            Assert.True(TorchNets.Relative(lrp.Attribution.ToArray(), torchXGrad) <= 1e-4, $"net {trial}: LRP-0 differs from TorchSharp's gradient × input");
        }
    }
}

/// <summary>LRP on torchvision's resnet18 architecture (random weights, non-trivial batch-norm statistics) with a hidden-channel target.</summary>
public class ResNetConservationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>
    /// With biases and batch-norm shifts ignored, z⁺ and flat conserve exactly and ε nearly: relevance from a layer3.1
    /// channel passes every residual block (split in proportion), every merged batch norm and the max-pool — each layer's
    /// delta is ~0 and Σ R at the pixels is f(x) — in Lucid's engine on the imported module and natively in TorchSharp.
    /// </summary>
    [RequiresTorchFact]
    public void HiddenChannelTarget_ConservesThroughEveryBlock_InBothEngines_WhenBiasesAreIgnored()
    {
        var options = TorchNets.Options(64);
        var imported = TorchModels.Import(TorchNets.Resnet18, options);
        var native = TorchModel.Create(TorchNets.Resnet18, options);
        foreach (var (channel, seed) in new[] { (5, 1UL), (77, 2UL), (200, 3UL) })
        {
            using var scope = LucidTensor.Scope();
            var pixels = TorchNets.Images(1, 64, seed);
            var target = AttributionTarget.Channel("layer3.1", channel);
            var rules = LrpComposites.For(LrpComposite.EpsilonPlusFlat, imported).IgnoringBias();
            var lrp = rules.Attribute(imported, pixels, target);
            float f = lrp.TargetValues[0];
            double scale = Math.Max(1, Math.Abs(f));
            Assert.True(lrp.LayerDeltas.Count >= 15, $"only {lrp.LayerDeltas.Count} layers reported");
            foreach (var (layer, delta) in lrp.LayerDeltas)
                Assert.True(Math.Abs(delta[0]) <= 1e-3 * scale, $"channel {channel}: layer {layer} lost {delta[0]} of f(x) = {f}");
            Assert.True(Math.Abs(lrp.Delta![0]) <= 1e-3 * scale, $"channel {channel}: Σ R − f(x) = {lrp.Delta![0]} (f = {f})");
            var nativeResult = TorchAttribution.Lrp(native, TorchTensors.ToTorch(pixels, native.Device), target,
                TorchAttribution.Rules(native, LrpComposite.EpsilonPlusFlat).IgnoringBias());
            Assert.True(Math.Abs(nativeResult.Delta![0]) <= 1e-3 * scale, $"channel {channel}, native: Σ R − f(x) = {nativeResult.Delta[0]} (f = {f})");
            output.WriteLine($"layer3.1:{channel}: f = {f:F3}; Σ R − f = {lrp.Delta![0]:E2} (engine), {nativeResult.Delta![0]:E2} (native); largest layer delta {lrp.LayerDeltas.Values.Max(d => Math.Abs(d[0])):E2} over {lrp.LayerDeltas.Count} layers");
        }
    }
}
