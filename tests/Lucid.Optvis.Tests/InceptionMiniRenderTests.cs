using Lucid.Imaging;
using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Xunit;

namespace Lucid.Optvis.Tests;

/// <summary>Feature visualization on the bundled, trained inception-mini: what the renders reach, and that they are reproducible.</summary>
public class InceptionMiniRenderTests
{
    private static readonly Lazy<Model> Trained = new(() => ModelFiles.LoadBesideSchema(Lucid.Testing.TestPaths.InceptionMiniSchema));

    [Fact]
    public void ClassRecipe_EveryClass_ReachesSoftmax099_In256Steps()
    {
        var model = Trained.Value;
        var result = Recipes.Classes(model, model.Labels, seed: 0);
        Assert.Equal(256, result.ObjectivePerStep.Length);
        using var images = result.Image;
        for (int k = 0; k < model.Labels.Count; k++)
        {
            using var one = Ops.Slice(images, 0, k, k + 1);
            var (p, margin) = Quality.SelfClassification(model, one, k)[0];
            Assert.True(p >= 0.99, $"class '{model.Labels[k]}': softmax {p:F4} (margin {margin:F2}) after 256 steps");
        }
    }

    /// <summary>
    /// The path-similarity sanity check on class renders: at most layers a render's channel profile ranks closer to real
    /// images of its class than to the other classes'; a render of pure noise passes no more often than chance.
    /// </summary>
    [Fact]
    public void ClassRenders_FollowTheirClassesPath_ByThePathSimilarityCheck()
    {
        var model = Trained.Value;
        var real = Enumerable.Range(0, model.Labels.Count).Select(k =>
            Tensor.FromArray(Enumerable.Range(0, 20).SelectMany(i => SyntheticScenes.Render(8, i, new[] { k }).Pixels).ToArray(), 20, 3, 64, 64)).ToList();
        var taps = new[] { "conv2d2", "mixed3a", "mixed3b", "mixed4a", "mixed4b" };
        var result = Recipes.Classes(model, model.Labels, seed: 0);
        using var images = result.Image;
        double passing = 0;
        for (int k = 0; k < model.Labels.Count; k++)
        {
            using var one = Ops.Slice(images, 0, k, k + 1);
            var check = Quality.PathSimilarityCheck(model, one, real, k, taps);
            Assert.Equal(taps.Length, check.Same.Length);
            passing += check.LayersPassing / model.Labels.Count;
        }
        Assert.True(passing >= 0.8, $"class renders pass the path-similarity check at {passing:P0} of layers on average");
        // noise follows no class's path in particular: averaged over the classes it passes about as often as chance (1/2)
        var rng = new Rng(3);
        using var noise = rng.Uniform(new[] { 1, 3, 64, 64 });
        double noisePassing = Enumerable.Range(0, model.Labels.Count).Average(k => Quality.PathSimilarityCheck(model, noise, real, k, taps).LayersPassing);
        Assert.True(noisePassing < passing - 0.2, $"noise passes at {noisePassing:P0}, class renders at {passing:P0}");
        foreach (var t in real) t.Dispose();
    }

    [Fact]
    public void Transferability_OnTheSameModel_IsSelfClassification_AndOnAnUntrainedOneNear_Chance()
    {
        var model = Trained.Value;
        var result = Recipes.Classes(model, new[] { "solid ring" }, options: RenderOptions.ForSmallInput(64) with { Steps = 128 }, seed: 1);
        using var render = result.Image;
        int k = model.Labels.ToList().IndexOf("solid ring");
        Assert.Equal(Quality.SelfClassification(model, render, k)[0], Quality.Transferability(model, render, k)[0]);
        var untrained = Zoo.InceptionMini(seed: 99);
        Assert.True(Quality.Transferability(untrained, render, k)[0].Probability < 0.5);
    }

    [Fact]
    public void Spearman_MatchesItsDefinition()
    {
        Assert.Equal(1.0, Quality.Spearman(new double[] { 1, 2, 3, 4 }, new double[] { 10, 20, 30, 400 }), 12);
        Assert.Equal(-1.0, Quality.Spearman(new double[] { 1, 2, 3 }, new double[] { 3, 2, 1 }), 12);
        // ties get average ranks: [1, 2.5, 2.5, 4] against [1, 2, 3, 4] → 0.9486…
        Assert.Equal(0.9486832980505138, Quality.Spearman(new double[] { 1, 2, 2, 4 }, new double[] { 1, 2, 3, 4 }), 12);
        Assert.Equal(0.0, Quality.Spearman(new double[] { 5, 5, 5 }, new double[] { 1, 2, 3 }));
    }

    [Fact]
    public void Mixed4aChannels_ReachActivationRatioAboveOne_AgainstAThousandScenes()
    {
        var model = Trained.Value;
        var scenes = SyntheticScenes.Generate(1000, seed: 11);
        using var references = scenes.Gather(Enumerable.Range(0, scenes.Count).ToArray()).Images;
        // the channels that respond to real scenes (largest mean activation ≥ 10 % of the layer's median largest),
        // 16 of them evenly spaced — not picked by how well they render
        var best = LargestChannelMeans(model, references, "mixed4a");
        double median = best.Where(b => b > 0).OrderBy(b => b).ElementAt(best.Count(b => b > 0) / 2);
        var responsive = Enumerable.Range(0, best.Length).Where(c => best[c] > 0 && best[c] >= 0.1 * median).ToArray();
        Assert.True(responsive.Length >= 100, $"only {responsive.Length} of {best.Length} channels respond");
        var channels = Enumerable.Range(0, 16).Select(i => responsive[i * responsive.Length / 16]).ToArray();
        var result = Recipes.Channels(model, "mixed4a", channels, options: RenderOptions.ForSmallInput(64) with { Seed = 1 }, seed: 1);
        for (int i = 0; i < channels.Length; i++)
        {
            using var one = Ops.Slice(result.Image, 0, i, i + 1);
            double ratio = Quality.ActivationRatio(model, one, "mixed4a", channels[i], references);
            Assert.True(ratio >= 1, $"mixed4a channel {channels[i]}: activation ratio {ratio:F2}");
        }
    }

    [Fact]
    public void SameSeed_GivesABitIdenticalPng_AndAnotherSeedDoesNot()
    {
        var model = Trained.Value;
        byte[] Png(ulong seed)
        {
            using var image = new LucidImage(64, seed: seed);
            var result = Renderer.Render(model, Objectives.Channel("mixed4a", 10), image, new RenderOptions { Steps = 48, Seed = seed });
            var path = Path.Combine(Path.GetTempPath(), $"lucid-seed-{Guid.NewGuid():N}.png");
            try
            {
                Image.FromTensor(result.Image).SavePng(path);
                return File.ReadAllBytes(path);
            }
            finally { File.Delete(path); }
        }
        var first = Png(5);
        Assert.Equal(first, Png(5));
        Assert.NotEqual(first, Png(6));
    }

    [Fact]
    public void FeatureAccentuation_RaisesTheTarget_WhileTheSeedTermKeepsItNearTheSeed()
    {
        var model = Trained.Value;
        int from = model.Labels.ToList().IndexOf("solid square"), to = model.Labels.ToList().IndexOf("checkered square");
        using var seed = Tensor.FromArray(SyntheticScenes.Render(8, 0, new[] { from }).Pixels, 1, 3, 64, 64);
        var target = Objectives.ClassLogit("checkered square", batch: 1);
        var free = Recipes.Accentuate(model, seed, target, "mixed3a", alpha: 0, seedNumber: 1);
        var held = Recipes.Accentuate(model, seed, target, "mixed3a", alpha: 1, seedNumber: 1);
        Assert.True(double.IsFinite(held.Beta) && held.Beta > 0, $"beta {held.Beta}");
        float Logit(Tensor x) { using var _ = GradMode.NoGrad(); return model.Forward(x).ToArray()[to]; }
        double Distance(Tensor x)
        {
            using var _ = GradMode.NoGrad();
            var a = model.Run(x, null, stopAfter: "mixed3a")["mixed3a"].ToArray();
            var b = model.Run(seed, null, stopAfter: "mixed3a")["mixed3a"].ToArray();
            return Math.Sqrt(a.Zip(b, (p, q) => (double)(p - q) * (p - q)).Sum());
        }
        using var freeImage = free.Image;
        using var heldImage = held.Image;
        float start = Logit(seed);
        Assert.True(Logit(freeImage) > start + 1 && Logit(heldImage) > start + 1, $"target logit: seed {start}, α=0 {Logit(freeImage)}, α=1 {Logit(heldImage)}");
        Assert.True(Distance(heldImage) < Distance(freeImage), $"distance to the seed at mixed3a: α=1 {Distance(heldImage):F2}, α=0 {Distance(freeImage):F2}");
    }

    [Fact]
    public void VitalUnit_MatchesTheRelevanceWeightedDistributions_OfTheUnitsTopScenes()
    {
        var model = Trained.Value;
        const string tap = "mixed4a";
        const int channel = 40;
        var scenes = SyntheticScenes.Generate(400, seed: 11);
        using var all = scenes.Gather(Enumerable.Range(0, scenes.Count).ToArray()).Images;
        float[] peaks;
        using (GradMode.NoGrad())
        {
            var a = model.Run(all, null, stopAfter: tap)[tap];
            int c = a.Size(1), plane = a.Count / (a.Size(0) * c);
            var d = a.ToArray();
            peaks = Enumerable.Range(0, a.Size(0)).Select(e => Enumerable.Range(0, plane).Max(i => d[(e * c + channel) * plane + i])).ToArray();
        }
        var top = Enumerable.Range(0, peaks.Length).OrderByDescending(i => peaks[i]).Take(20).ToArray();
        using var references = scenes.Gather(top).Images;
        var taps = new[] { "conv2d0", "mixed3a", "mixed3b" };
        var relevance = Lucid.Attribution.Lrp.UnitRelevance(model, tap, channel, taps);
        var result = Vital.RenderUnit(model, references, taps, relevance, steps: 120, learningRate: 0.1f, jitter: 4, warmup: 12, seed: 0, totalVariation: 5);
        var log = result.ObjectivePerStep;
        Assert.True(-log[^1] < 0.1 * -log[0], $"relevance-weighted sort-matching loss {-log[0]:F3} → {-log[^1]:F3}");
        double ratio = Quality.ActivationRatio(model, result.Image, tap, channel, references);
        Assert.True(ratio > 0, $"the unit stays silent on the render (ratio {ratio:F3})");
    }

    [Fact]
    public void QualityTable_ScoresRealScenesAndEveryMethod_AgainstHeldOutScenes()
    {
        var model = Trained.Value;
        var settings = new QualitySettings { Seeds = 2, ScenesPerClass = 4, LucidSteps = 4, MacoSteps = 2, VitalSteps = 4 };
        var rows = QualityTable.Run(model, settings);
        Assert.Equal(new[] { "real", "Lucid", "MACO", "VITAL" }, rows.Select(r => r.Method.Split(' ')[0].Split('-')[0]).ToArray());
        var real = rows[0];
        Assert.Equal(1.0, real.SelfClassification);        // the trained model knows its real scenes
        Assert.All(rows, r => Assert.Equal(2, r.FeatureDistance.Count));
        // four steps from a near-uniform image are far from real feature distributions; real scenes are not
        Assert.All(rows.Skip(1), r => Assert.True(r.FeatureDistance[1] > real.FeatureDistance[1], $"{r.Method}: {r.FeatureDistance[1]} vs real {real.FeatureDistance[1]}"));
        Assert.All(rows, r => Assert.InRange(r.Vendi, 1 - 1e-9, 2 + 1e-9));
        var markdown = QualityTable.ToMarkdown(rows, settings, model.Name);
        Assert.Equal(4 + 2, markdown.Split('\n').Count(l => l.StartsWith('|')));
        Assert.Contains("feature distance `conv2d2`", markdown);
    }

    private static double[] LargestChannelMeans(Model model, Tensor images, string tap)
    {
        using var _ = GradMode.NoGrad();
        int n = images.Size(0);
        double[]? best = null;
        for (int start = 0; start < n; start += 100)
        {
            using var scope = Tensor.Scope();
            var a = model.Run(Ops.Slice(images, 0, start, Math.Min(n, start + 100)), null, stopAfter: tap)[tap];
            int m = a.Size(0), c = a.Size(1), plane = a.Count / (m * c);
            best ??= Enumerable.Repeat(double.NegativeInfinity, c).ToArray();
            var d = a.Data;
            for (int e = 0; e < m; e++)
                for (int ch = 0; ch < c; ch++)
                {
                    double s = 0;
                    for (int i = 0; i < plane; i++) s += d[(e * c + ch) * plane + i];
                    best[ch] = Math.Max(best[ch], s / plane);
                }
        }
        return best!;
    }
}
