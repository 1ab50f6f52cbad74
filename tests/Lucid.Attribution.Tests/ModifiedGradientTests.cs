using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Xunit;

namespace Lucid.Attribution.Tests;

public class ModifiedGradientTests
{
    private static Model Linear(ulong seed)
    {
        var b = new ModelBuilder("linear", new[] { 1, 4, 4 }, 0f, 1f, seed);
        var x = b.Add("flatten", new FlattenLayer(), "input");
        b.Linear("logits", x, 2);
        return b.Build(new[] { "a", "b" });
    }

    [Fact]
    public void GuidedBackpropAndDeconvnet_ChangeOnlyWhatReluPassesBack()
    {
        // without ReLUs both are the plain gradient
        var linear = Linear(1);
        using var x = new Rng(1).Uniform(new[] { 1, 1, 4, 4 });
        var plain = GradientAttribution.Saliency(linear, x, AttributionTarget.Class(0), absolute: false).Attribution.ToArray();
        Assert.Equal(plain, ModifiedGradients.GuidedBackprop(linear, x, AttributionTarget.Class(0)).Attribution.ToArray());
        Assert.Equal(plain, ModifiedGradients.Deconvolution(linear, x, AttributionTarget.Class(0)).Attribution.ToArray());

        // one ReLU: y = Σ v·relu(u·x); guided keeps only positive gradients where u·x > 0, deconvnet ignores the sign of u·x
        var b = new ModelBuilder("relu1", new[] { 1, 1, 3 }, 0f, 1f);
        b.Add("flatten", new FlattenLayer(), "input");
        b.Add("act", ActivationLayer.Relu(), "flatten");
        var model = new Model("relu1", new ModelInput(new[] { 1, 1, 3 }, 0f, 1f),
            b.Build(new[] { "y" }).Nodes.Append(new ModelNode("logits", new LinearLayer(Tensor.FromArray(new[] { 2f, -3f, 4f }, 1, 3), null), new[] { "act" }, new[] { 1 })).ToList(), new[] { "y" });
        using var input = Tensor.FromArray(new[] { 1f, 1f, -1f }, 1, 1, 1, 3);
        Assert.Equal(new[] { 2f, 0f, 0f }, ModifiedGradients.GuidedBackprop(model, input, AttributionTarget.Class(0)).Attribution.ToArray());
        Assert.Equal(new[] { 2f, 0f, 4f }, ModifiedGradients.Deconvolution(model, input, AttributionTarget.Class(0)).Attribution.ToArray());
        Assert.Equal(new[] { 2f, -3f, 0f }, GradientAttribution.Saliency(model, input, AttributionTarget.Class(0), absolute: false).Attribution.ToArray());
    }

    [Fact]
    public void GradCam_OnAGlobalPoolingHead_IsTheClassActivationMap()
    {
        var b = new ModelBuilder("cam", new[] { 2, 5, 5 }, 0f, 1f, seed: 4);
        var t = b.ConvRelu("conv", "input", 3, 3, padding: 1);
        t = b.Add("gap", new GlobalAvgPoolLayer(), t);
        b.Linear("logits", t, 2);
        var model = b.Build(new[] { "a", "b" });
        using var x = new Rng(4).Uniform(new[] { 1, 2, 5, 5 });
        var cam = ClassActivationMaps.GradCam(model, x, AttributionTarget.Class(1), "conv").Attribution;
        Assert.Equal(new[] { 1, 1, 5, 5 }, cam.Shape.ToArray());
        var a = model.Run(x, null)["conv"];
        var w = model.Parameters.Single(p => p.Name == "logits.weight").Value;
        for (int i = 0; i < 25; i++)
        {
            double s = 0;
            for (int c = 0; c < 3; c++) s += w[1, c] / 25.0 * a[0, c, i / 5, i % 5];
            Assert.Equal(Math.Max(0, s), cam.Data[i], 5);
        }
        Assert.Throws<LucidArgumentException>(() => ClassActivationMaps.GradCam(model, x, AttributionTarget.Class(1), "gap"));
    }

    [Fact]
    public void Occlusion_OfALinearModelWithUnitWindows_IsInputTimesWeight()
    {
        var model = Linear(2);
        using var x = new Rng(2).Uniform(new[] { 1, 1, 4, 4 });
        var occlusion = PerturbationAttribution.Occlusion(model, x, AttributionTarget.Class(1), window: 1, stride: 1).Attribution.ToArray();
        var ixg = GradientAttribution.InputXGradient(model, x, AttributionTarget.Class(1)).Attribution.ToArray();
        for (int i = 0; i < 16; i++) Assert.Equal(ixg[i], occlusion[i], 4);
        // 2×2 windows with stride 2 tile the image: each pixel gets its window's total drop
        var tiles = PerturbationAttribution.Occlusion(model, x, AttributionTarget.Class(1), window: 2, stride: 2).Attribution.ToArray();
        double window00 = ixg[0] + ixg[1] + ixg[4] + ixg[5];
        Assert.Equal(window00, tiles[0], 4);
        Assert.Equal(window00, tiles[5], 4);
        Assert.Throws<LucidArgumentException>(() => PerturbationAttribution.Occlusion(model, x, AttributionTarget.Class(1), window: 0, stride: 1));
    }

    [Fact]
    public void Composites_AssignTheirRulesByLayerAndPosition()
    {
        var model = LrpTests.RandomBiasFreeNet(21);
        using var x = new Rng(22).Uniform(new[] { 1, 2, 8, 8 });
        var target = AttributionTarget.Class(0);
        foreach (LrpComposite composite in Enum.GetValues<LrpComposite>())
        {
            var r = LrpComposites.For(composite, model).Attribute(model, x, target);
            Assert.All(r.Attribution.ToArray(), v => Assert.True(float.IsFinite(v)));
        }
        // EpsilonGammaBox = z^B on the first conv, γ on the other convs, ε on linear layers — the same as spelling it out
        var spelled = new Lrp((tap, op) => tap == "conv1_pre_relu" ? new LrpZBox(0f, 1f) : op == "conv2d" ? new LrpGamma() : new LrpEpsilon());
        Assert.Equal(spelled.Attribute(model, x, target).Attribution.ToArray(), LrpComposites.For(LrpComposite.EpsilonGammaBox, model).Attribute(model, x, target).Attribution.ToArray());
    }
}
