using Lucid.Dsl;
using Lucid.Models.Graph;
using Lucid.Testing;
using Xunit;

namespace Lucid.TorchSharp.Tests;

/// <summary>torchvision's resnet18 in TorchSharp, bound by its schema (written by TorchModels.WriteSchema).</summary>
[LucidModel("schemas/resnet18-torchsharp.schema.json")]
public static partial class TorchResNet18;

[Objective(typeof(TorchResNet18))]
public partial class Layer3Unit
{
    [Channel("layer3.1", 9)] public partial Term Unit { get; }
}

[FourierImage(Width = 224)] public partial class TorchCanvas;

[Render(typeof(TorchCanvas), typeof(Layer3Unit), Steps = 4)] public partial class TorchUnitRender;

/// <summary>A declaration compiled against a TorchSharp model's schema, run on the model.</summary>
public class DslTests
{
    private static TorchModelOptions Options(int size) => TorchNets.Options(size) with { Labels = Array.Empty<string>() };

    private static string Committed => Path.Combine(TestPaths.RepositoryRoot(), "tests", "Lucid.TorchSharp.Tests", "schemas", "resnet18-torchsharp.schema.json");

    [RequiresTorchFact]
    public void TheCommittedSchema_IsWhatWriteSchemaWritesForTheModule()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lucid-schema-{Guid.NewGuid():N}.json");
        try
        {
            var schema = TorchModels.WriteSchema(TorchNets.Resnet18, Options(224), path);
            if (Environment.GetEnvironmentVariable("LUCID_ACCEPT_SNAPSHOTS") == "1") File.Copy(path, Committed, overwrite: true);
            Assert.Equal(File.ReadAllText(Committed), File.ReadAllText(path));
            Assert.Contains(schema.Taps, t => t.Name == "layer3.1.add" && t.Kind == "add");
        }
        finally { File.Delete(path); }
    }

    [RequiresTorchFact]
    public void TheGeneratedRender_RunsOnTheImportedModule_AndBindRejectsAnotherNetwork()
    {
        Assert.Equal(256, TorchResNet18.Taps.Layer3_1.Channels);
        var model = TorchResNet18.Bind(TorchModels.Import(TorchNets.Resnet18, Options(224)));
        var result = TorchUnitRender.Run(model, seed: 1);
        Assert.Equal(4, result.ObjectivePerStep.Length);
        Assert.True(result.ObjectivePerStep[^1] > result.ObjectivePerStep[0], $"the unit's objective went {result.ObjectivePerStep[0]} → {result.ObjectivePerStep[^1]}");
        Assert.Equal(new[] { 1, 3, 224, 224 }, result.Images.Shape.ToArray());

        var other = Assert.Throws<ModelFormatException>(() => TorchResNet18.Bind(TorchModels.Import(TorchNets.Resnet18, Options(112))));
        Assert.Contains("schema input shape [3, 224, 224] does not match model 'resnet18-torch' ([3, 112, 112])", other.Message);
    }
}
