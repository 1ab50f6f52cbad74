using Lucid.Testing;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Lucid.Dsl.Generators.Tests;

/// <summary>The generated source of every declaration kind, snapshot-tested, and proven to compile cleanly.</summary>
public class GeneratedSourceTests
{
    /// <summary>A program using every declaration kind, all valid against inception-mini.</summary>
    internal const string EveryKind = GeneratorHarness.Binding + """
        namespace Experiments
        {
            [Objective(typeof(InceptionMini))]
            public partial class StripedBall
            {
                [Channel("mixed4a", 97)] public partial Term Stripes { get; }
                [ClassLogit("striped circle", Batch = 1)] public partial Term Ball { get; }
                [Neuron("mixed3b", 5, X = 3, Y = 4)] internal partial Term Center { get; }
                [TotalVariation(Weight = 1e-3)] public partial Term Smooth { get; }
                public Term Compose() => Stripes + 0.5 * Ball + Center - Smooth;
            }

            [Objective]
            public partial class Everything
            {
                [Direction("mixed3a_3x3_bottleneck", 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, CossimPower = 1)] public partial Term Dir { get; }
                [ChannelWeight("mixed3a_5x5_bottleneck", 1, -1, 0, 0, 0, 0, 0, 0.5f)] public partial Term Weights { get; }
                [ClassLogProbability("solid ring")] public partial Term Ring { get; }
                [DeepDream("mixed4b")] public partial Term Dream { get; }
                [Diversity("mixed4a", Weight = 100)] public partial Term Diverse { get; }
                [Alignment("mixed3b", DecayRatio = 3)] public partial Term Align { get; }
                [ChannelInterpolate("mixed4a", 1, "mixed4b", 2)] public partial Term Interp { get; }
                [L1(Constant = 0.5f)] public partial Term Sparse { get; }
                [L2(Tap = "conv2d0")] public partial Term Energy { get; }
                [BlurInputEachStep(Weight = 0.1)] public partial Term Blur { get; }
                [BoundaryComplexity(Width = 8)] public partial Term Border { get; }
                [DirectionNeuron("mixed3a_5x5_bottleneck", 1, 0, 0, 0, 0, 0, 0, 0, X = 2, Y = 2)] public partial Term DirNeuron { get; }
            }

            [FourierImage(Width = 128, Height = 96, Batch = 2, DecayPower = 1.5)] public partial class Canvas;
            [PixelImage(Width = 64, Clip = true)] public partial class Pixels;
            [LaplacianPyramidImage(Width = 64, Levels = 3)] public partial class Pyramid;
            [CppnImage(Width = 64, Hidden = 16)] public partial class Pattern;
            [MacoImage(Width = 64, Batch = 2)] public partial class Phase;
            [FourierImage(Width = 64, Alpha = true, Batch = 2)] public partial class Transparent;

            [TransformSet, Pad(4, Mode = PadMode.Reflect), Jitter(4), RandomScale(0.95, 1.0, 1.05), RandomRotate(-5, 0, 5), Jitter(2)]
            public partial class Mild;

            [TransformSet, CollapseAlpha, StandardTransforms]
            public partial class AlphaSet;

            [Render(typeof(Canvas), typeof(StripedBall), Steps = 256, LearningRate = 0.05, Thresholds = new[] { 64, 256 }, Transforms = typeof(Mild), Seed = 7)]
            public partial class StripedBallRender;

            [Render(typeof(Phase), typeof(StripedBall), Steps = 128, NoTransforms = true)]
            public partial class PhaseRender;

            [Render(typeof(Transparent), typeof(StripedBall), Transforms = typeof(AlphaSet))]
            public partial class TransparentRender;

            public static partial class Outer
            {
                [VitalRender(typeof(InceptionMini), "dotted circle", Taps = new[] { "conv2d0_pre_relu", "mixed3a", "mixed4b" }, TotalVariation = 5)]
                public partial class DottedVital;
            }

            [Attribution(typeof(InceptionMini), AttributionKind.Lrp, Class = "striped circle", Composite = Lucid.Attribution.LrpComposite.EpsilonGammaBox)]
            [LrpRule("conv2d0_pre_relu", LrpRuleKind.ZBox), LrpRule("mixed4a_1x1_pre_relu", LrpRuleKind.Gamma, Parameter = 0.5), LrpRule("logits", LrpRuleKind.Epsilon)]
            public partial class StripesLrp;

            [Attribution(typeof(InceptionMini), AttributionKind.IntegratedGradients, TargetTap = "mixed4a", TargetChannel = 3, TargetX = 1, TargetY = 2, Steps = 32, Baseline = BaselineKind.Blurred)]
            public partial class NeuronIg;

            [Attribution(typeof(InceptionMini), AttributionKind.LayerConductance, Class = "solid ring", Layer = "mixed3b")]
            public partial class RingConductance;

            [Attribution(typeof(InceptionMini), AttributionKind.GuidedGradCam, Class = "solid ring", Layer = "mixed4b")]
            public partial class RingCam;

            [Interface(typeof(InceptionMini), Title = "Building blocks of a ring", IconSteps = 64)]
            [NeuronGroupsPanel("mixed4a", Groups = 5, Row = 0), GroupFlowPanel("mixed3b", "mixed4a", Groups = 3, Row = 0)]
            [ActivationGridPanel("mixed4a", SharedWeight = 0.5)]
            [SemanticDictionaryPanel("mixed4a", Top = 2, Class = "solid ring", Row = 2), ChannelAttributionPanel("mixed4b", Row = 2)]
            [SpatialAttributionPanel("mixed3b", "mixed4a")]
            public partial class RingBlocks;
        }
        """;

    [Fact]
    public void EveryDeclarationKind_GeneratesSnapshottedSource_ThatCompilesWithoutDiagnostics()
    {
        var run = GeneratorHarness.RunWithInceptionMini(EveryKind);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems);
        var hints = run.Sources.Select(s => s.HintName).ToList();
        Assert.Equal(new[]
        {
            "Experiments.Canvas.Image.g.cs", "Experiments.Everything.Objective.g.cs", "Experiments.Mild.Transforms.g.cs", "Experiments.NeuronIg.Attribution.g.cs",
            "Experiments.Outer.DottedVital.Vital.g.cs", "Experiments.Pattern.Image.g.cs", "Experiments.Phase.Image.g.cs", "Experiments.PhaseRender.Render.g.cs",
            "Experiments.Pixels.Image.g.cs", "Experiments.Pyramid.Image.g.cs", "Experiments.RingBlocks.Interface.g.cs", "Experiments.RingCam.Attribution.g.cs", "Experiments.RingConductance.Attribution.g.cs",
            "Experiments.StripedBall.Objective.g.cs", "Experiments.StripedBallRender.Render.g.cs", "Experiments.StripesLrp.Attribution.g.cs",
            "Experiments.Transparent.Image.g.cs", "Experiments.TransparentRender.Render.g.cs", "Experiments.AlphaSet.Transforms.g.cs", "InceptionMini.Model.g.cs",
        }.OrderBy(h => h, StringComparer.Ordinal), hints);
        foreach (var hint in new[] { "InceptionMini.Model.g.cs", "Experiments.StripedBall.Objective.g.cs", "Experiments.Everything.Objective.g.cs",
                     "Experiments.Canvas.Image.g.cs", "Experiments.Phase.Image.g.cs", "Experiments.Mild.Transforms.g.cs", "Experiments.StripedBallRender.Render.g.cs",
                     "Experiments.PhaseRender.Render.g.cs", "Experiments.Outer.DottedVital.Vital.g.cs", "Experiments.StripesLrp.Attribution.g.cs",
                     "Experiments.NeuronIg.Attribution.g.cs", "Experiments.RingConductance.Attribution.g.cs", "Experiments.RingBlocks.Interface.g.cs" })
            Snapshot.Verify(run.Sources.Single(s => s.HintName == hint).SourceText.ToString(), hint.Replace(".g.cs", ""));
    }

    [Fact]
    public void GeneratedMembers_HaveTheDeclaredTypesAndConstants()
    {
        var run = GeneratorHarness.RunWithInceptionMini(EveryKind);
        var output = run.Output;
        var binding = output.GetTypeByMetadataName("InceptionMini")!;
        var label = binding.GetTypeMembers("Label").Single();
        Assert.Equal(10, label.GetMembers().OfType<IFieldSymbol>().Count());
        var mixed4a = binding.GetTypeMembers("Taps").Single().GetTypeMembers("Mixed4a").Single();
        Assert.Equal(156, mixed4a.GetMembers("Channels").OfType<IFieldSymbol>().Single().ConstantValue);
        Assert.Equal(4, mixed4a.GetMembers("Height").OfType<IFieldSymbol>().Single().ConstantValue);
        var render = output.GetTypeByMetadataName("Experiments.StripedBallRender")!;
        var run2 = render.GetMembers("Run").OfType<IMethodSymbol>().ToList();
        Assert.Equal(2, run2.Count);
        Assert.All(run2, m => Assert.Equal("global::Lucid.Dsl.RenderResult<global::Experiments.Canvas>", m.ReturnType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)));
        var lrp = output.GetTypeByMetadataName("Experiments.StripesLrp")!.GetMembers("Attribute").OfType<IMethodSymbol>().Single();
        Assert.Equal("LrpResult", lrp.ReturnType.Name);
        var ig = output.GetTypeByMetadataName("Experiments.NeuronIg")!.GetMembers("Attribute").OfType<IMethodSymbol>().Single();
        Assert.Equal("AttributionResult", ig.ReturnType.Name);
        var blocks = output.GetTypeByMetadataName("Experiments.RingBlocks")!;
        Assert.Equal("Building blocks of a ring", blocks.GetMembers("Title").OfType<IFieldSymbol>().Single().ConstantValue);
        Assert.Equal("Figure", blocks.GetMembers("Layout").OfType<IMethodSymbol>().Single().ReturnType.Name);
        Assert.Equal("String", blocks.GetMembers("Write").OfType<IMethodSymbol>().Single().ReturnType.Name);
    }
}
