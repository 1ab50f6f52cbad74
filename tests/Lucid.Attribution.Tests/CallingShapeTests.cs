using Lucid.Models.Graph;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Attribution.Tests;

/// <summary>One calling shape: every method is an <see cref="IAttribution"/> object, the model given at Attribute.</summary>
public class CallingShapeTests
{
    private static Model Net(ulong seed) => GradientAttributionTests.RandomNet(seed, ActivationLayer.Relu, channels: 3, size: 8);

    /// <summary>Each object computes what the function it stands for computes, bit for bit, on random networks.</summary>
    [Fact]
    public void EveryMethodObject_GivesItsFunctionsResult_BitForBit()
    {
        for (ulong seed = 1; seed <= 12; seed++)
        {
            var model = Net(seed);
            using var scope = Tensor.Scope();
            var x = new Rng(seed).Uniform(new[] { 2, 3, 8, 8 }, 0f, 1f);
            var target = AttributionTarget.Class((int)(seed % 4));
            var pairs = new (IAttribution Method, Func<AttributionResult> Function)[]
            {
                (new Saliency(), () => GradientAttribution.Saliency(model, x, target)),
                (new Saliency { Absolute = false }, () => GradientAttribution.Saliency(model, x, target, absolute: false)),
                (new InputXGradient(), () => GradientAttribution.InputXGradient(model, x, target)),
                (new IntegratedGradients { Steps = 12, Baseline = Baseline.Black, InternalBatch = 5 },
                    () => GradientAttribution.IntegratedGradients(model, x, target, Baseline.Black, 12, IntegrationMethod.GaussLegendre, 5)),
                (new DeepLift { Baseline = Baseline.Blurred(2) }, () => new DeepLift().Attribute(model, x, target, Baseline.Blurred(2).For(model, x))),
                (new GuidedBackprop(), () => ModifiedGradients.GuidedBackprop(model, x, target)),
                (new Deconvolution(), () => ModifiedGradients.Deconvolution(model, x, target)),
                (new GradCam { Layer = "act2" }, () => ClassActivationMaps.GradCam(model, x, target, "act2")),
                (new Occlusion { Window = 3, Stride = 2 }, () => PerturbationAttribution.Occlusion(model, x, target, 3, 2)),
                (new LayerConductance { Layer = "act1", Steps = 8 }, () => LayerAttribution.Conductance(model, x, target, "act1", Baseline.Zero, 8)),
                (new CompositeLrp { Composite = LrpComposite.EpsilonGammaBox }, () => LrpComposites.For(LrpComposite.EpsilonGammaBox, model).Attribute(model, x, target)),
                (new DeepTaylor(), () => Lrp.DeepTaylor(model).Attribute(model, x, target)),
                (LrpComposites.For(LrpComposite.EpsilonPlusFlat, model), () => LrpComposites.For(LrpComposite.EpsilonPlusFlat, model).Attribute(model, x, target)),
            };
            foreach (var (method, function) in pairs)
            {
                var a = method.Attribute(model, x, target);
                var b = function();
                Assert.True(a.Attribution.ToArray().SequenceEqual(b.Attribution.ToArray()), $"{method.Name} on net {seed}: the object and the function differ");
                Assert.Equal(b.TargetValues, a.TargetValues);
                Assert.Equal(b.Delta, a.Delta);
            }
        }
    }

    [Fact]
    public void GradCamUpsampled_IsTheInputsSize_AndLrpObjectsReturnTheirRelevanceSubtype()
    {
        var model = Net(3);
        using var scope = Tensor.Scope();
        var x = new Rng(3).Uniform(new[] { 1, 3, 8, 8 }, 0f, 1f);
        Assert.Equal(new[] { 1, 1, 8, 8 }, new GradCam { Layer = "act2", Upsample = true }.Attribute(model, x, AttributionTarget.Class(1)).Attribution.Shape.ToArray());
        IAttribution lrp = new CompositeLrp { Composite = LrpComposite.EpsilonPlus, Rules = new Dictionary<string, LrpRule> { ["conv1"] = new LrpFlat() } };
        var result = Assert.IsType<LrpResult>(lrp.Attribute(model, x, AttributionTarget.Class(1)));
        Assert.NotEmpty(result.LayerDeltas);
        Assert.Equal("LRP EpsilonPlus (with rules by tap)", lrp.Name);
        var reference = LrpComposites.For(LrpComposite.EpsilonPlus, model).WithOverrides(model, new Dictionary<string, LrpRule> { ["conv1"] = new LrpFlat() }).Attribute(model, x, AttributionTarget.Class(1));
        Assert.Equal(reference.Attribution.ToArray(), result.Attribution.ToArray());
    }

    [Fact]
    public void ACancelledToken_StopsEveryMethod_BeforeItRuns()
    {
        var model = Net(5);
        using var scope = Tensor.Scope();
        var x = new Rng(5).Uniform(new[] { 1, 3, 8, 8 }, 0f, 1f);
        using var source = new CancellationTokenSource();
        source.Cancel();
        foreach (var method in AttributionMethods.All("act2").Select(m => m.Method))
            Assert.ThrowsAny<OperationCanceledException>(() => method.Attribute(model, x, AttributionTarget.Class(0), source.Token));
    }

    [Fact]
    public void TheRegistryNamesAreTheMethodsOwn_AndEveryKeyIsDistinct()
    {
        var all = AttributionMethods.All("act2");
        Assert.Equal(all.Count, all.Select(m => m.Key).Distinct().Count());
        Assert.Contains(all, m => m.DisplayName == "integrated gradients (50, GL)" && m.Method is IntegratedGradients { Steps: 50 });
        Assert.Contains(all, m => m.DisplayName == "DeepLIFT (rescale, black baseline)");
        Assert.Contains(all, m => m.DisplayName == "smoothgrad (10, σ 0.15)");
        Assert.Contains(all, m => m.DisplayName == "LRP EpsilonPlusFlat" && m.Method is CompositeLrp);
        Assert.Contains(all, m => m.DisplayName == "grad-cam (act2)" && m.Method is GradCam { Upsample: true });
        var error = Assert.Throws<LucidArgumentException>(() => AttributionMethods.Get("lrp-epsilon", null));
        Assert.Contains("unknown attribution method 'lrp-epsilon'", error.Message);
    }

    /// <summary>z⁺ without bias written by a user in a few lines, as Zennit's BasicHook: two branches, positive and negative parts.</summary>
    private sealed record HandWrittenZPlus : LrpBranchRule
    {
        protected override IReadOnlyList<LrpBranch> Branches(LrpLayer layer) => new[]
        {
            new LrpBranch(Ops.Clamp(layer.Input, 0f), w => Ops.Clamp(w, 0f), UseBias: false),
            new LrpBranch(Ops.Clamp(layer.Input, max: 0f), w => Ops.Clamp(w, max: 0f), UseBias: false),
        };
    }

    [Fact]
    public void AUsersOwnRule_InAFewLines_IsTheBuiltInRuleItRewrites()
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            var model = Net(seed);
            using var scope = Tensor.Scope();
            var x = new Rng(seed).Uniform(new[] { 2, 3, 8, 8 }, 0f, 1f);
            var target = AttributionTarget.Class((int)(seed % 4));
            var mine = Lrp.Uniform(new HandWrittenZPlus()).Attribute(model, x, target);
            var builtIn = Lrp.Uniform(new LrpZPlus { IncludeBias = false }).Attribute(model, x, target);
            Assert.Equal(builtIn.Attribution.ToArray(), mine.Attribution.ToArray());
        }
    }

    [Fact]
    public void ACompositeBuiltFromData_IsTheNamedCompositeItSpellsOut()
    {
        var spelled = new LrpRuleMap
        {
            Name = "EpsilonPlusFlat, spelled out",
            First = new LrpFlat(),
            ByKind = new Dictionary<string, LrpRule> { ["conv2d"] = new LrpZPlus(), ["linear"] = new LrpEpsilon() },
            PositiveSumSplit = true,
        };
        for (ulong seed = 1; seed <= 20; seed++)
        {
            var model = Net(seed);
            using var scope = Tensor.Scope();
            var x = new Rng(seed).Uniform(new[] { 1, 3, 8, 8 }, 0f, 1f);
            var target = AttributionTarget.Class((int)(seed % 4));
            var a = spelled.Attribute(model, x, target);
            var b = new CompositeLrp { Composite = LrpComposite.EpsilonPlusFlat }.Attribute(model, x, target);
            Assert.Equal(b.Attribution.ToArray(), a.Attribution.ToArray());
            // a name map over the data: the first layer by name instead of by position
            var named = (spelled with { First = null, ByName = new Dictionary<string, LrpRule> { ["conv1"] = new LrpFlat() } }).Attribute(model, x, target);
            Assert.Equal(b.Attribution.ToArray(), named.Attribution.ToArray());
        }
        var wrong = Assert.Throws<LucidArgumentException>(() => (spelled with { ByName = new Dictionary<string, LrpRule> { ["act1"] = new LrpFlat() } }).For(Net(1)));
        Assert.Contains("tap 'act1'", wrong.Message);
    }
}
