using Lucid.Attribution.Robustness;
using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Attribution.Tests;

public class ConfidentLearningTests
{
    /// <summary>
    /// Planted noise: 3 % of 2,000 synthetic test scenes (seed 2) get a random wrong label; with inception-mini's
    /// out-of-sample probabilities, confident learning recovers at least 70 % of the flips at a precision of at least 70 %.
    /// </summary>
    [Fact]
    public void PlantedLabelNoise_IsRecovered_WithHighPrecision()
    {
        var model = Bundled.InceptionMini();
        var data = SyntheticScenes.Generate(2000, seed: 2);
        var probabilities = ConfidentLearning.PredictProbabilities(model, data);
        var labels = (int[])data.Labels.Clone();
        var rng = new Rng(11);
        var planted = rng.Permutation(labels.Length).Take(labels.Length * 3 / 100).ToHashSet();
        foreach (int e in planted) labels[e] = (labels[e] + 1 + rng.NextInt(0, 9)) % 10;
        var result = ConfidentLearning.Find(probabilities, labels, 10);
        int found = result.Issues.Count(i => planted.Contains(i.Index));
        double recall = (double)found / planted.Count, precision = (double)found / Math.Max(1, result.Issues.Count);
        Assert.True(recall >= 0.7 && precision >= 0.7, $"recall {recall:P1} ({found} of {planted.Count}), precision {precision:P1} ({result.Issues.Count} flagged)");
        // the suggested class of a recovered flip is its true label
        Assert.True(result.Issues.Where(i => planted.Contains(i.Index)).Count(i => i.Suggested == data.Labels[i.Index]) >= 0.9 * found);
    }

    /// <summary>The definitions on a hand-made case: thresholds are per-class mean self-confidence, the joint counts confident classes, a confidently mislabelled example is the one flagged.</summary>
    [Fact]
    public void ThresholdsJointAndPruning_FollowTheirDefinitions()
    {
        // 3 classes, 6 examples; example 5 is labelled 0 but is confidently class 2
        var p = new float[]
        {
            0.8f, 0.1f, 0.1f,
            0.7f, 0.2f, 0.1f,
            0.1f, 0.8f, 0.1f,
            0.2f, 0.6f, 0.2f,
            0.1f, 0.1f, 0.8f,
            0.05f, 0.05f, 0.9f,
        };
        var labels = new[] { 0, 0, 1, 1, 2, 0 };
        var result = ConfidentLearning.Find(p, labels, 3);
        Assert.Equal((0.8f + 0.7f + 0.05f) / 3, result.Thresholds[0], 5);
        Assert.Equal(0.7f, result.Thresholds[1], 5);
        Assert.Equal(0.8f, result.Thresholds[2], 5);
        Assert.Equal(2, result.ConfidentJoint[0, 0]);
        Assert.Equal(1, result.ConfidentJoint[0, 2]);
        Assert.Equal(1, result.ConfidentJoint[1, 1]);       // 0.6 < 0.7: example 3 counts nowhere
        var issue = Assert.Single(result.Issues);
        Assert.Equal((5, 0, 2), (issue.Index, issue.Given, issue.Suggested));
        Assert.Equal(0.85f, issue.Margin, 5);
        // calibration: row 0 sums to its 3 labels
        Assert.Equal(3.0, result.CalibratedJoint[0, 0] + result.CalibratedJoint[0, 1] + result.CalibratedJoint[0, 2], 9);
    }

    [Fact]
    public void BadInput_GetsOneClearMessageEach()
    {
        var e1 = Assert.Throws<LucidArgumentException>(() => ConfidentLearning.Find(Array.Empty<float>(), Array.Empty<int>(), 3));
        Assert.Contains("the dataset is empty", e1.Message);
        var e2 = Assert.Throws<ShapeMismatchException>(() => ConfidentLearning.Find(new float[5], new[] { 0, 1 }, 3));
        Assert.Contains("5 probabilities for 2 examples of 3 classes", e2.Message);
        var e3 = Assert.Throws<LucidArgumentException>(() => ConfidentLearning.Find(new float[6], new[] { 0, 3 }, 3));
        Assert.Contains("label 3 of example 1 is not a class", e3.Message);
        var e4 = Assert.Throws<LucidArgumentException>(() => ConfidentLearning.Find(new float[2], new[] { 0, 0 }, 1));
        Assert.Contains("at least 2 classes", e4.Message);
    }

    /// <summary>
    /// k-fold cross-validated probabilities: every example is scored by the one model that did not see it, each example
    /// is left out exactly once, and fold sizes differ by at most one. The "models" here answer with their own fold's
    /// number (a bias-only linear layer), and each image carries its index as its pixel, so both can be traced.
    /// </summary>
    [Theory]
    [InlineData(23, 5, 1UL)]
    [InlineData(10, 2, 7UL)]
    [InlineData(6, 6, 3UL)]
    public void CrossValidatedProbabilities_ScoreEachExampleWithTheModelThatLeftItOut(int n, int folds, ulong seed)
    {
        var names = Enumerable.Range(0, folds).Select(i => $"fold{i}").ToArray();
        var data = new LabeledImages(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), Enumerable.Range(0, n).Select(i => i % folds).ToArray(), 1, 1, 1, names);
        var trainedOn = new List<HashSet<int>>();
        Model Train(LabeledImages subset)
        {
            int id = trainedOn.Count;
            trainedOn.Add(subset.Pixels.Select(v => (int)v).ToHashSet());
            var bias = new float[folds];
            bias[id] = 10f;
            var nodes = new List<ModelNode>
            {
                new("flat", new FlattenLayer(), new[] { "input" }, new[] { 1 }),
                new("logits", new LinearLayer(Tensor.Zeros(folds, 1), Tensor.FromArray(bias, folds)), new[] { "flat" }, new[] { folds }),
            };
            return new Model($"fold-model-{id}", new ModelInput(new[] { 1, 1, 1 }, 0f, (float)n), nodes, names);
        }
        var p = ConfidentLearning.CrossValidatedProbabilities(data, folds, Train, seed);
        Assert.Equal(folds, trainedOn.Count);
        var scoredBy = Enumerable.Range(0, n).Select(i => Ops.ArgMax(p.AsSpan(i * folds, folds))).ToArray();
        for (int i = 0; i < n; i++) Assert.DoesNotContain(i, trainedOn[scoredBy[i]]);
        // each example left out exactly once: the k training sets together miss every example once
        for (int i = 0; i < n; i++) Assert.Equal(folds - 1, trainedOn.Count(set => set.Contains(i)));
        var sizes = trainedOn.Select(set => n - set.Count).ToArray();
        Assert.True(sizes.Max() - sizes.Min() <= 1, $"fold sizes {string.Join(", ", sizes)}");
        Assert.Equal(n, sizes.Sum());
    }

    [Fact]
    public void CrossValidation_RefusesTooFewExamplesOrFolds()
    {
        var data = new LabeledImages(new float[3], new[] { 0, 1, 0 }, 1, 1, 1, new[] { "a", "b" });
        var small = Assert.Throws<LucidArgumentException>(() => ConfidentLearning.CrossValidatedProbabilities(data, 5, _ => throw new InvalidOperationException()));
        Assert.Contains("3 examples cannot fill 5 folds", small.Message);
        var one = Assert.Throws<LucidArgumentException>(() => ConfidentLearning.CrossValidatedProbabilities(data, 1, _ => throw new InvalidOperationException()));
        Assert.Contains("at least 2 folds", one.Message);
    }
}
