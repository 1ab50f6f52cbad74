using Microsoft.CodeAnalysis;
using Xunit;

namespace Lucid.Dsl.Generators.Tests;

/// <summary>
/// The schema TorchModels.WriteSchema writes for torchvision's resnet18 in TorchSharp (module names as taps, batch norms
/// and blocks' sums included), through the generator: declarations compile, wrong modules and channels do not.
/// </summary>
public class TorchSharpSchemaTests
{
    private const string SchemaPath = "/project/schemas/resnet18-torchsharp.schema.json";

    private static GeneratorRun Run(string declarations) => GeneratorHarness.Run("""
        using Lucid.Dsl;

        [LucidModel("schemas/resnet18-torchsharp.schema.json")]
        public static partial class TorchResNet18;

        """ + declarations,
        new InMemoryAdditionalText(SchemaPath, File.ReadAllText(Path.Combine(GeneratorHarness.RepositoryRoot(), "tests", "Lucid.TorchSharp.Tests", "schemas", "resnet18-torchsharp.schema.json"))));

    [Fact]
    public void ADeclarationAgainstTheModulesSchema_CompilesWithTypedModuleTaps_AndABind()
    {
        var run = Run("""
            [Objective(typeof(TorchResNet18))] public partial class Unit
            {
                [Channel("layer3.1", 9)] public partial Term A { get; }
                [Channel("layer2.0.bn2", 100)] public partial Term B { get; }
            }
            [FourierImage(Width = 224)] public partial class Canvas;
            [Render(typeof(Canvas), typeof(Unit), Steps = 64)] public partial class UnitRender;
            public static class Use { public static int Channels => TorchResNet18.Taps.Layer2_0Bn2.Channels; }
            """);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems);
        var binding = run.Sources.Single(s => s.HintName.StartsWith("TorchResNet18.", StringComparison.Ordinal)).SourceText.ToString();
        Lucid.Testing.Snapshot.Verify(binding, "TorchResNet18.Model");
    }

    [Fact]
    public void AModuleTheNetworkLacks_OrAChannelPastItsWidth_IsACompileError()
    {
        var run = Run("""
            [Objective(typeof(TorchResNet18))] public partial class A { [Channel("layer3.1.relu2", 9)] public partial Term T { get; } }
            [Objective(typeof(TorchResNet18))] public partial class B { [Channel("layer3.1.conv1", 256)] public partial Term T { get; } }
            """);
        Assert.Equal(new[] { "LUCID001", "LUCID002" }, run.GeneratorDiagnostics.Select(d => d.Id).Order().ToArray());
        Assert.Contains("did you mean 'layer3.1.relu1'", run.GeneratorDiagnostics.Single(d => d.Id == "LUCID001").GetMessage());
        Assert.Contains("256 channels", run.GeneratorDiagnostics.Single(d => d.Id == "LUCID002").GetMessage());
    }

    [Fact]
    public void ACompilationReferencingLucidTorchSharp_GetsNativeRunAndAttributeOverloads_OthersDoNot()
    {
        const string declarations = """
            [Objective(typeof(TorchResNet18))] public partial class Unit { [Channel("layer3.1", 9)] public partial Term A { get; } }
            [FourierImage(Width = 224)] public partial class Canvas;
            [Render(typeof(Canvas), typeof(Unit), Steps = 64)] public partial class UnitRender;
            [Attribution(typeof(TorchResNet18), AttributionKind.Lrp, TargetTap = "layer3.1", TargetChannel = 9, Composite = Lucid.Attribution.LrpComposite.EpsilonGammaBox)]
            [LrpRule("layer4.1.conv2", LrpRuleKind.Gamma, Parameter = 0.5)]
            public partial class UnitLrp;
            [Attribution(typeof(TorchResNet18), AttributionKind.IntegratedGradients, TargetTap = "layer3.1", TargetChannel = 9, Steps = 16, Baseline = BaselineKind.Blurred)]
            public partial class UnitIg;
            [Attribution(typeof(TorchResNet18), AttributionKind.GradCam, TargetTap = "layer3.1", TargetChannel = 9, Layer = "layer2.1")]
            public partial class UnitCam;
            """;
        string Source(GeneratorRun run, string type) => run.Sources.Single(s => s.HintName == $"{type}.g.cs").SourceText.ToString();
        var plain = Run(declarations);
        Assert.Empty(plain.GeneratorDiagnostics);
        Assert.Empty(plain.CompilationProblems);
        Assert.DoesNotContain("Lucid.TorchSharp", Source(plain, "UnitRender.Render") + Source(plain, "UnitLrp.Attribution"));
        // the marker the generator looks for (the real library is referenced where the generated code runs: Lucid.TorchSharp.Tests)
        var native = Run(declarations + "\nnamespace Lucid.TorchSharp { public static class TorchRender { } }\n");
        Assert.Empty(native.GeneratorDiagnostics);
        Lucid.Testing.Snapshot.Verify(Source(native, "UnitRender.Render"), "TorchSharp.UnitRender.Render");
        Lucid.Testing.Snapshot.Verify(Source(native, "UnitLrp.Attribution"), "TorchSharp.UnitLrp.Attribution");
        Assert.Contains("global::Lucid.TorchSharp.TorchAttribution.IntegratedGradients(model, images, Target, global::Lucid.TorchSharp.TorchTensors.ToTorch(", Source(native, "UnitIg.Attribution"));
        Assert.DoesNotContain("Lucid.TorchSharp", Source(native, "UnitCam.Attribution"));     // Grad-CAM runs through path (a) only
    }
}
