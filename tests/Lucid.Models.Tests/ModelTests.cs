using Lucid.Testing;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Models.Training;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Models.Tests;

public class ModelTests
{
    [Fact]
    public void FashionCnn_HasInceptionStyleTapsWithShapes()
    {
        var model = Zoo.FashionCnn();
        var schema = ModelSchema.From(model);
        Assert.Equal(new[] { "input", "conv1_pre_relu", "conv1", "pool1", "conv2_pre_relu", "conv2", "pool2", "flatten", "fc1_pre_relu", "fc1", "logits" },
            schema.Taps.Select(t => t.Name));
        Assert.Equal(new[] { 64, 7, 7 }, schema.Taps.Single(t => t.Name == "pool2").Shape);
        Assert.Equal(new[] { 10 }, schema.Taps[^1].Shape);
        Assert.Equal("t-shirt", schema.Labels[0]);
    }

    [Fact]
    public void Run_ReturnsEveryTap_AndTheirShapesMatchTheSchema()
    {
        var model = Zoo.FashionCnn(seed: 3);
        using var x = new Rng(1).Uniform(new[] { 2, 1, 28, 28 });
        var taps = model.Run(x, null);
        foreach (var node in model.Nodes)
            Assert.Equal(new[] { 2 }.Concat(node.OutputShape), taps[node.Name].Shape.ToArray());
    }

    [Fact]
    public void TapOverride_ChangesEverythingDownstream()
    {
        var model = Zoo.FashionCnn(seed: 3);
        using var x = new Rng(1).Uniform(new[] { 1, 1, 28, 28 });
        var zeroed = model.Run(x, (tap, value) => tap == "fc1" ? Ops.Mul(value, 0f) : null);
        // with fc1 zeroed, the logits are exactly the last layer's bias
        var bias = model.Parameters.Single(p => p.Name == "logits.bias").Value;
        Assert.Equal(bias.ToArray(), zeroed["logits"].ToArray());
    }

    [Fact]
    public void UnknownTap_SuggestsTheNearestName()
    {
        var e = Assert.Throws<ModelException>(() => Zoo.FashionCnn()["conv3"]);
        Assert.Contains("no tap 'conv3'", e.Message);
        Assert.Contains("did you mean 'conv1'", e.Message);
    }

    [Fact]
    public void WrongInputShape_NamesTheExpectedShape()
    {
        var e = Assert.Throws<ModelException>(() => Zoo.FashionCnn().Forward(Tensor.Zeros(1, 3, 28, 28)));
        Assert.Contains("[N, 1, 28, 28]", e.Message);
        Assert.Contains("[1, 3, 28, 28]", e.Message);
    }

    [Fact]
    public void Weights_RoundTrip_AndMisShapedOrMissingTensorsAreNamed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lucid-{Guid.NewGuid():N}.safetensors");
        try
        {
            var a = Zoo.FashionCnn(seed: 1);
            a.SaveWeights(path);
            var b = Zoo.FashionCnn(seed: 2);
            b.LoadWeights(path);
            Assert.Equal(a.Parameters.SelectMany(p => p.Value.ToArray()), b.Parameters.SelectMany(p => p.Value.ToArray()));

            var broken = a.Parameters.ToDictionary(p => p.Name, p => p.Value);
            broken["fc1_pre_relu.bias"] = Tensor.Zeros(7);
            Weights.Safetensors.Write(path, broken);
            var e = Assert.Throws<ModelFormatException>(() => b.LoadWeights(path));
            Assert.Contains("fc1_pre_relu.bias", e.Message);
            Assert.Contains("[128]", e.Message);

            broken.Remove("fc1_pre_relu.bias");
            Weights.Safetensors.Write(path, broken);
            e = Assert.Throws<ModelFormatException>(() => b.LoadWeights(path));
            Assert.Contains("lack tensor 'fc1_pre_relu.bias'", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Schema_RoundTripsThroughJson_AndRejectsForeignFiles()
    {
        var schema = ModelSchema.From(Zoo.FashionCnn());
        var parsed = ModelSchema.Parse(schema.ToJson());
        Assert.Equal(schema.ToJson(), parsed.ToJson());
        Assert.Throws<ModelFormatException>(() => ModelSchema.Parse("{\"format\":\"other\",\"version\":1}", "x.schema.json"));
        var e = Assert.Throws<ModelFormatException>(() => ModelSchema.Parse("{\"format\": ", "y.schema.json"));
        Assert.Contains("y.schema.json", e.Message);
        Assert.Contains("line", e.Message);
    }

    [Fact]
    public void Trainer_LearnsASeparableTask()
    {
        var data = BrightVersusDark();
        var model = Zoo.FashionCnn(seed: 5);
        var history = Trainer.Fit(model, data, data, new TrainingOptions { Epochs = 2, BatchSize = 32, LearningRate = 2e-3f });
        Assert.True(history[^1].TestAccuracy > 0.95, $"accuracy {history[^1].TestAccuracy}");
        Assert.True(history[^1].Loss < history[0].Loss);
    }

    [RequiresDataFact(FashionMnist.DebianDirectory, "dataset-fashion-mnist")]
    public void BundledFashionCnn_ReachesItsCardAccuracyOnTheTestSplit()
    {
        var model = Zoo.FashionCnn();
        model.LoadWeights(Path.Combine(RepositoryRoot(), "models", "fashion-cnn", "fashion-cnn.safetensors"));
        double accuracy = Trainer.Evaluate(model, FashionMnist.Test());
        Assert.True(accuracy >= 0.91, $"fashion-cnn test accuracy {accuracy:P2} is below the 91% of its model card");
    }

    [Fact]
    public void BundledFashionCnn_SchemaFileMatchesTheArchitecture()
    {
        var path = Path.Combine(RepositoryRoot(), "models", "fashion-cnn", "fashion-cnn.schema.json");
        Assert.Equal(ModelSchema.From(Zoo.FashionCnn()).ToJson(), File.ReadAllText(path));
    }

    /// <summary>Two separable classes: bright images and dark images, with pixel noise.</summary>
    internal static LabeledImages BrightVersusDark(int n = 256)
    {
        var rng = new Rng(4);
        var pixels = new float[n * 784];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2;
            for (int p = 0; p < 784; p++) pixels[i * 784 + p] = Math.Clamp(0.3f + 0.4f * labels[i] + 0.3f * (float)rng.NextNormal(), 0f, 1f);
        }
        return new LabeledImages(pixels, labels, 1, 28, 28, FashionMnist.ClassNames);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Lucid.Dsl.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}

public class BundledInceptionMiniTests
{
    /// <summary>The synthetic test split (seed 2, 2,000 scenes) is generated, so this runs everywhere, CI included.</summary>
    [Fact]
    public void BundledInceptionMini_ReachesItsCardAccuracyOnTheSyntheticTestSplit()
    {
        var model = Zoo.InceptionMini();
        model.LoadWeights(Path.Combine(ModelTests.RepositoryRoot(), "models", "inception-mini", "inception-mini.safetensors"));
        double accuracy = Trainer.Evaluate(model, SyntheticScenes.Generate(2000, seed: 2));
        Assert.True(accuracy >= 0.97, $"inception-mini test accuracy {accuracy:P2} is below the 97% of its model card");
    }

    [Fact]
    public void BundledInceptionMini_SchemaFileMatchesTheArchitecture()
    {
        var path = Path.Combine(ModelTests.RepositoryRoot(), "models", "inception-mini", "inception-mini.schema.json");
        Assert.Equal(ModelSchema.From(Zoo.InceptionMini()).ToJson(), File.ReadAllText(path));
    }
}

public class ModelContractTests
{
    [Fact]
    public void Normalization_IsAppliedInsideTheModel_AndRecordedInTheSchema()
    {
        var b = new ModelBuilder("norm", new[] { 2, 1, 1 });
        b.Add("flat", new FlattenLayer(), "input");
        var plain = b.Build(new[] { "a", "b" });
        var normalized = new Model("norm", new ModelInput(new[] { 2, 1, 1 }, 0f, 1f, new[] { 0.5f, 0.25f }, new[] { 2f, 0.5f }), plain.Nodes, plain.Labels);
        var x = Tensor.FromArray(new[] { 1.5f, 1.25f }, 1, 2, 1, 1).RequireGrad();
        var taps = normalized.Run(x, null);
        Assert.Equal(new[] { 0.5f, 2f }, taps["flat"].ToArray());
        // gradients flow back to the raw pixels through the normalization: d/dx = 1/std
        Ops.Sum(taps["flat"]).Backward();
        Assert.Equal(new[] { 0.5f, 2f }, x.Grad!.ToArray());
        var schema = ModelSchema.From(normalized);
        Assert.Equal(new[] { 0.5f, 0.25f }, schema.Input.Mean);
        Assert.Contains("\"std\"", schema.ToJson());
        Assert.DoesNotContain("\"mean\"", ModelSchema.From(plain).ToJson());
        Assert.Throws<ModelException>(() => new Model("bad", new ModelInput(new[] { 2, 1, 1 }, 0f, 1f, new[] { 0f }, new[] { 1f }), plain.Nodes, plain.Labels));
    }

    [Fact]
    public void SchemaThatDoesNotMatchTheModel_IsReportedNamingFileAndTap()
    {
        var model = Zoo.FashionCnn();
        var schema = ModelSchema.From(model);
        schema.Verify(model, "ok.schema.json");
        var json = schema.ToJson().Replace("\"fc1\",\n      \"kind\": \"relu\",\n      \"shape\": [\n        128", "\"fc1\",\n      \"kind\": \"relu\",\n      \"shape\": [\n        64");
        Assert.NotEqual(schema.ToJson(), json);
        var e = Assert.Throws<ModelFormatException>(() => ModelSchema.Parse(json).Verify(model, "fashion-cnn.schema.json"));
        Assert.Contains("fashion-cnn.schema.json", e.Message);
        Assert.Contains("'fc1'", e.Message);
    }

    [Fact]
    public void Augmentation_FlipsMirrorAndShiftsRepeatTheEdge_Deterministically()
    {
        var pixels = Enumerable.Range(0, 2 * 4 * 4).Select(i => (float)i).ToArray();
        var data = new LabeledImages(pixels, new[] { 0, 1 }, 1, 4, 4, new[] { "a", "b" });
        var (flipped, _) = data.Gather(new[] { 0 }, new Augmentation(FlipProbability: 1, MaxShift: 0), new Rng(1));
        Assert.Equal(new float[] { 3, 2, 1, 0 }, flipped.ToArray()[..4]);
        var (a, _) = data.Gather(new[] { 0, 1 }, new Augmentation(0.5, 2), new Rng(5));
        var (b, _) = data.Gather(new[] { 0, 1 }, new Augmentation(0.5, 2), new Rng(5));
        Assert.Equal(a.ToArray(), b.ToArray());
        // every augmented pixel is one of the image's own pixels
        Assert.All(a.ToArray()[..16], v => Assert.InRange(v, 0f, 15f));
    }

    [Fact]
    public void SgdWithAugmentation_LearnsASeparableTask()
    {
        var data = ModelTests.BrightVersusDark();
        var model = Zoo.FashionCnn(seed: 5);
        var history = Trainer.Fit(model, data, data, new TrainingOptions { Epochs = 3, BatchSize = 32, LearningRate = 0.02f, Optimizer = OptimizerKind.Sgd, Augmentation = new Augmentation() });
        Assert.True(history[^1].TestAccuracy > 0.95, $"accuracy {history[^1].TestAccuracy}");
    }

    [Fact]
    public void Training_CanBeCancelled()
    {
        var data = SyntheticScenes.Generate(64, seed: 3);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<LucidCancelledException>(() => Trainer.Fit(Zoo.InceptionMini(), data, null, new TrainingOptions { Epochs = 1 }, cancellationToken: cts.Token));
    }
}
