using Lucid.Attribution;
using Lucid.Models;
using Lucid.Models.Graph;
using Lucid.Models.Onnx;
using Lucid.Optvis;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Xunit;

namespace Lucid.RealNetworks.Tests;

/// <summary>Imported models with dynamic axes and their own input normalization: size, contract, the same answers as by hand.</summary>
public class InputContractTests
{
    [Fact]
    public void DynamicAxesExport_ImportedWithASizeAndTorchvisionContract_RendersAndExplains()
    {
        var path = ResNetOnnx.Save(ResNetOnnx.Write());
        try
        {
            var model = OnnxImporter.Import(path, new OnnxImportOptions { InputSize = (40, 48), Contract = InputContract.Torchvision });
            Assert.Equal(new[] { 3, 40, 48 }, model.Input.Shape);
            Assert.Equal(InputContract.Torchvision.Mean, model.Input.Mean);
            var stage = model.Nodes.Last(n => n.Layer.Kind == "relu" && n.OutputShape.Length == 3);
            Assert.Equal(new[] { 16, 10, 12 }, stage.OutputShape);          // two stride-2 stages: 40×48 → 10×12

            // a render: a Lucid-style channel objective rises
            var render = Recipes.Channels(model, stage.Name, new[] { 3 }, 48,
                RenderOptions.ForSmallInput(48) with { Steps = 24, Seed = 5 }, seed: 5);
            render.Image.Dispose();
            Assert.True(render.ObjectivePerStep[^1] > render.ObjectivePerStep[0] + 0.1f,
                $"objective {render.ObjectivePerStep[0]} → {render.ObjectivePerStep[^1]}");

            // IG through the contract: complete up to the quadrature of a ReLU network's piecewise-constant integrand
            // (measured 1.0 % at 64 Gauss–Legendre steps, 0.2 % at 512), and the reported delta is that gap
            using var x = new Rng(9).Uniform(new[] { 1, 3, 40, 48 });
            using var black = Tensor.Zeros(1, 3, 40, 48);
            double change = GradientAttribution.Evaluate(model, x, AttributionTarget.Class(2))[0] - GradientAttribution.Evaluate(model, black, AttributionTarget.Class(2))[0];
            var ig = GradientAttribution.IntegratedGradients(model, x, AttributionTarget.Class(2), Baseline.Black, steps: 512);
            double sum = ig.Attribution.ToArray().Sum(v => (double)v);
            Assert.True(Math.Abs(sum - change) <= 5e-3 * Math.Abs(change), $"Σ IG {sum:G6}, f(x) − f(x′) {change:G6}");
            Assert.Equal(sum - change, ig.Delta![0], 1e-4 * Math.Abs(change));

            // the same file runs at another size
            var other = OnnxImporter.Import(path, new OnnxImportOptions { InputSize = (64, 64), Contract = InputContract.Torchvision });
            using var y = new Rng(2).Uniform(new[] { 2, 3, 64, 64 });
            using (GradMode.NoGrad()) Assert.Equal(new[] { 2, ResNetOnnx.Classes }, other.Forward(y).Shape.ToArray());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void DynamicAxesExport_WithoutAnInputSize_IsRefusedNamingWhatToGive()
    {
        var path = ResNetOnnx.Save(ResNetOnnx.Write());
        try
        {
            var e = Assert.Throws<ModelException>(() => OnnxImporter.Import(path));
            Assert.Contains("dynamic axes [N, 3, ?, ?]", e.Message);
            Assert.Contains("InputSize", e.Message);
            Assert.Contains("--input-size", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AContractWhoseMeanOrStdDoesNotMatchTheChannels_IsRefused()
    {
        var path = ResNetOnnx.Save(ResNetOnnx.Write());
        try
        {
            var e = Assert.Throws<ModelException>(() => OnnxImporter.Import(path, new OnnxImportOptions
            {
                InputSize = (32, 32),
                Contract = new InputContract(Mean: new[] { 0.5f, 0.5f }, Std: new[] { 0.2f, 0.2f }),
            }));
            Assert.Contains("2 means and 2 stds for 3 input channels", e.Message);
            var zero = Assert.Throws<ModelException>(() => OnnxImporter.Import(path, new OnnxImportOptions
            {
                InputSize = (32, 32),
                Contract = new InputContract(Mean: new[] { 0.5f, 0.5f, 0.5f }, Std: new[] { 0.2f, 0f, 0.2f }),
            }));
            Assert.Contains("std must be positive", zero.Message);
        }
        finally { File.Delete(path); }
    }

    public static IEnumerable<object[]> Contracts => new[] { new object[] { "torchvision" }, new object[] { "caffe" }, new object[] { "inception" } };

    /// <summary>
    /// The contract inside the model equals normalizing by hand before a model without one — outputs and the
    /// gradient with respect to the RGB [0, 1] pixels.
    /// </summary>
    [Theory]
    [MemberData(nameof(Contracts))]
    public void Contract_EqualsNormalizingByHand_OutputsAndInputGradients(string preset)
    {
        var contract = InputContract.Preset(preset);
        var path = ResNetOnnx.Save(ResNetOnnx.Write());
        try
        {
            var with = OnnxImporter.Import(path, new OnnxImportOptions { InputSize = (32, 32), Contract = contract });
            var plain = OnnxImporter.Import(path, new OnnxImportOptions { InputSize = (32, 32) });
            for (ulong seed = 0; seed < 5; seed++)
            {
                using var scope = Tensor.Scope();
                var x1 = new Rng(seed).Uniform(new[] { 2, 3, 32, 32 }).RequireGrad();
                var y1 = with.Forward(x1);
                Ops.Sum(Ops.Mul(y1, Tensor.FromArray(new float[] { 1, -2, 0.5f, 3, -1, 2, 1, 0, -1, 0.25f }, 2, 5))).Backward();

                var x2 = new Rng(seed).Uniform(new[] { 2, 3, 32, 32 }).RequireGrad();
                var y2 = plain.Forward(ByHand(x2, contract));
                Ops.Sum(Ops.Mul(y2, Tensor.FromArray(new float[] { 1, -2, 0.5f, 3, -1, 2, 1, 0, -1, 0.25f }, 2, 5))).Backward();

                AssertClose(y2.ToArray(), y1.ToArray(), $"{preset} outputs, seed {seed}");
                AssertClose(x2.Grad!.ToArray(), x1.Grad!.ToArray(), $"{preset} input gradients, seed {seed}");
            }
        }
        finally { File.Delete(path); }
    }

    /// <summary>The contract written out by hand: RGB [0, 1] → range → channel order → (x − mean) / std.</summary>
    private static Tensor ByHand(Tensor rgb, InputContract c)
    {
        var channels = Enumerable.Range(0, 3).Select(ch => Ops.Slice(rgb, 1, ch, ch + 1)).ToArray();
        if (c.Order == ChannelOrder.Bgr) Array.Reverse(channels);
        var normalized = channels.Select((t, ch) =>
        {
            var ranged = Ops.Add(Ops.Mul(t, c.Max - c.Min), c.Min);
            return c.Mean is null ? ranged : Ops.Mul(Ops.Add(ranged, -c.Mean[ch]), 1f / c.Std![ch]);
        }).ToArray();
        return Ops.Concat(normalized, 1);
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        double scale = expected.Max(v => Math.Abs(v)) + 1e-12;
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * scale, $"{what}, element {i}: by hand {expected[i]:G7}, contract {actual[i]:G7}");
    }

    [Fact]
    public void ContractPresets_AreTheirLibrariesConstants_AndUnknownNamesAreRefused()
    {
        Assert.Equal(new[] { 0.485f, 0.456f, 0.406f }, InputContract.Torchvision.Mean);
        Assert.Equal(new[] { 0.229f, 0.224f, 0.225f }, InputContract.Torchvision.Std);
        Assert.Equal((0f, 255f, ChannelOrder.Bgr), (InputContract.Caffe.Min, InputContract.Caffe.Max, InputContract.Caffe.Order));
        var e = Assert.Throws<LucidArgumentException>(() => InputContract.Preset("pytorch"));
        Assert.Contains("torchvision", e.Message);
    }

    [Fact]
    public void NetworkBounds_AndPixelMean_FollowTheContract()
    {
        var input = InputContract.Caffe.For(new[] { 3, 8, 8 });
        var bounds = input.NetworkBounds();
        Assert.Equal(-103.939f, bounds[0].Low, 3);           // network channel 0 is blue
        Assert.Equal(255f - 123.68f, bounds[2].High, 3);
        var mean = input.PixelMean();                          // back in RGB [0, 1]: red first
        Assert.Equal(123.68f / 255f, mean[0], 5);
        Assert.Equal(103.939f / 255f, mean[2], 5);
    }
}
