using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Testing;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Attribution.Tests;

public class LayerAttributionTests
{
    /// <summary>Layer IG is complete at the layer: Σ attr = f(tap = a) − f(tap = 0), on smooth networks at 256 Gauss–Legendre steps.</summary>
    [Property(MaxTest = 100)]
    public void LayerIntegratedGradients_IsCompleteAtTheLayer(Seed seed)
    {
        var model = GradientAttributionTests.RandomNet((ulong)seed, () => new("softplus", t => Ops.Softplus(t)));
        using var x = new Rng((ulong)seed).Uniform(new[] { 2, 2, 6, 6 });
        var r = LayerAttribution.IntegratedGradients(model, x, AttributionTarget.Class(seed % 4), "act1", steps: 256);
        Assert.Equal(new[] { 2, 3, 6, 6 }, r.Attribution.Shape.ToArray());
        Assert.All(r.Delta!, d => Assert.True(Math.Abs(d) <= 2e-5, $"seed {seed}: delta {d}"));
    }

    [Fact]
    public void GradientTimesActivation_AtTheInputTap_IsInputTimesGradient_AndTapToTapWorks()
    {
        var model = GradientAttributionTests.RandomNet(5, Lucid.Models.Graph.ActivationLayer.Relu);
        using var x = new Rng(5).Uniform(new[] { 1, 2, 6, 6 });
        var target = AttributionTarget.Class(1);
        var layerInput = LayerAttribution.GradientTimesActivation(model, x, target, "input").Attribution.ToArray();
        var ixg = GradientAttribution.InputXGradient(model, x, target).Attribution.ToArray();
        Assert.Equal(ixg, layerInput);
        // a channel of a later tap explained by an earlier tap (the Building Blocks' layer-to-layer attribution)
        var between = LayerAttribution.GradientTimesActivation(model, x, AttributionTarget.Channel("act2", 2), "act1");
        Assert.Equal(new[] { 1, 3, 6, 6 }, between.Attribution.Shape.ToArray());
        var e = Assert.Throws<LucidArgumentException>(() => LayerAttribution.GradientTimesActivation(model, x, AttributionTarget.Channel("act1", 0), "act2"));
        Assert.Contains("does not precede", e.Message);
    }
}
