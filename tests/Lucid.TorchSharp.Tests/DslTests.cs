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

[FourierImage(Width = 112)] public partial class SmallCanvas;

[Render(typeof(SmallCanvas), typeof(Layer3Unit), Steps = 3, RedirectRelu = false)] public partial class SmallUnitRender;

[Attribution(typeof(TorchResNet18), AttributionKind.Lrp, TargetTap = "layer3.1", TargetChannel = 9)]
[LrpRule("layer4.1.conv2", LrpRuleKind.Gamma, Parameter = 0.5)]
public partial class UnitLrp;

[Attribution(typeof(TorchResNet18), AttributionKind.IntegratedGradients, TargetTap = "layer3.1", TargetChannel = 9, Steps = 8)]
public partial class UnitIg;

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

    [RequiresTorchFact]
    public void TheGeneratedRunAndAttribute_TakeATorchSharpModel_AndRunNatively()
    {
        var torchModel = TorchModel.Create(TorchNets.Resnet18, Options(112));
        var native = SmallUnitRender.Run(torchModel, seed: 2);
        Assert.Equal(torchModel.Device.type, native.Image.device.type);
        Assert.Equal(new long[] { 1, 3, 112, 112 }, native.Image.shape);
        var wrapped = SmallUnitRender.Run(torchModel.View, seed: 2);
        double first = Math.Abs(native.ObjectivePerStep[0] - wrapped.ObjectivePerStep[0]);
        Assert.True(first <= 1e-5 * Math.Max(1, Math.Abs(wrapped.ObjectivePerStep[0])), $"the generated render's first objective: {native.ObjectivePerStep[0]} natively, {wrapped.ObjectivePerStep[0]} through path (a)");

        var images = TorchNets.Images(1, 112, 9);
        var x = TorchTensors.ToTorch(images, torchModel.Device);
        var lrp = UnitLrp.Attribute(torchModel, x);
        Assert.Equal(torchModel.Device.type, lrp.Attribution.device.type);
        var imported = TorchModels.Import(TorchNets.Resnet18, Options(112));
        var reference = UnitLrp.Attribute(imported, images);
        Assert.True(TorchNets.Relative(lrp.ToLucid().Attribution.ToArray(), reference.Attribution.ToArray()) <= 1e-4, "the generated LRP differs between engines");
        var ig = UnitIg.Attribute(torchModel, x);
        var igReference = UnitIg.Attribute(torchModel.View, images);
        Assert.True(TorchNets.Relative(ig.ToLucid().Attribution.ToArray(), igReference.Attribution.ToArray()) <= 1e-5, "the generated IG differs between paths");
    }
}
