using Microsoft.CodeAnalysis;
using Xunit;

namespace Lucid.Dsl.Generators.Tests;

/// <summary>The committed resnet18 schema (torchvision's dotted tap names, no labels) through the generator.</summary>
public class ResNet18SchemaTests
{
    private const string SchemaPath = "/project/models/resnet18/resnet18.schema.json";

    private static GeneratorRun Run(string declarations) => GeneratorHarness.Run("""
        using Lucid.Dsl;

        [LucidModel("models/resnet18/resnet18.schema.json")]
        public static partial class ResNet18;

        """ + declarations,
        new InMemoryAdditionalText(SchemaPath, File.ReadAllText(Path.Combine(GeneratorHarness.RepositoryRoot(), "models", "resnet18", "resnet18.schema.json"))));

    [Fact]
    public void ADeclarationAgainstResNet18_CompilesWithTypedDottedTaps()
    {
        var run = Run("""
            [Objective(typeof(ResNet18))] public partial class Faces { [Channel("layer3.1", 17)] public partial Term Unit { get; } }
            [FourierImage(Width = 224)] public partial class Canvas;
            [Render(typeof(Canvas), typeof(Faces), Steps = 512)] public partial class FacesRender;
            public static class Use { public static int Channels => ResNet18.Taps.Layer3_1.Channels; }
            """);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems);
        var model = run.Sources.Single(s => s.HintName.StartsWith("ResNet18.", StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("\"layer3.1\"", model);
    }

    [Fact]
    public void AWrongTapOrChannel_IsACompileErrorWithASuggestion()
    {
        var run = Run("""
            [Objective(typeof(ResNet18))] public partial class A { [Channel("layer3.7", 17)] public partial Term T { get; } }
            [Objective(typeof(ResNet18))] public partial class B { [Channel("layer3.1", 256)] public partial Term T { get; } }
            [Objective(typeof(ResNet18))] public partial class C { [ClassLogit("dog")] public partial Term T { get; } }
            """);
        var ids = run.GeneratorDiagnostics.Select(d => d.Id).Order().ToArray();
        Assert.Equal(new[] { "LUCID001", "LUCID002", "LUCID003" }, ids);
        Assert.Contains("did you mean 'layer3.", run.GeneratorDiagnostics.Single(d => d.Id == "LUCID001").GetMessage());
        Assert.Contains("256 channels", run.GeneratorDiagnostics.Single(d => d.Id == "LUCID002").GetMessage());
    }
}
