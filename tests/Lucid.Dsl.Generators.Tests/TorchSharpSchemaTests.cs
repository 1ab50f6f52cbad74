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
}
