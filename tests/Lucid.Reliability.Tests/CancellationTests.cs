using System.Diagnostics;
using Lucid.Attribution;
using Lucid.Interfaces;
using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Models.Training;
using Lucid.Optvis;
using Lucid.Tensors;
using Lucid.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Lucid.Reliability.Tests;

/// <summary>Cancels when the n-th report arrives, on the reporting thread (Progress&lt;T&gt; would post it elsewhere, later).</summary>
internal sealed class CancelAt<T>(int at, CancellationTokenSource source) : IProgress<T>
{
    private int _seen;
    public void Report(T value)
    {
        if (++_seen == at) source.Cancel();
    }
}

/// <summary>
/// Long work cancelled at random points: renders, batch attribution, training and catalogs stop promptly, keep what
/// was finished (equal to what an uncancelled run computes for it), and leave nothing half-written.
/// </summary>
public class CancellationTests(ITestOutputHelper output)
{
    private static readonly Lazy<Model> Mini = new(() => ModelFiles.LoadBesideSchema(TestPaths.InceptionMiniSchema));

    [Fact]
    public void Render_CancelledAtRandomSteps_ReturnsTheImageSoFar()
    {
        var model = Mini.Value;
        var full = Renderer.Render(model, Objectives.Channel("mixed4a", 11), new LucidImage(64, seed: 4), RenderOptions.ForSmallInput(64) with { Steps = 40, Seed = 4 });
        var rng = new Rng(21);
        for (int trial = 0; trial < 8; trial++)
        {
            int at = rng.NextInt(1, 40);
            using var source = new CancellationTokenSource();
            using var image = new LucidImage(64, seed: 4);
            var result = Renderer.Render(model, Objectives.Channel("mixed4a", 11), image, RenderOptions.ForSmallInput(64) with
            {
                Steps = 40, Seed = 4, Cancellation = source.Token, Progress = new CancelAt<RenderProgress>(at, source),
            });
            Assert.True(result.Cancelled);
            Assert.Equal(at, result.ObjectivePerStep.Length);                                   // stopped right after step `at`
            Assert.Equal(full.ObjectivePerStep[..at], result.ObjectivePerStep);                 // the same steps as the full run
            Assert.All(result.Image.ToArray(), v => Assert.True(v is >= 0 and <= 1));
        }
    }

    [Fact]
    public void BatchAttribution_CancelledAfterRandomBatches_KeepsTheFinishedExamples()
    {
        var model = Mini.Value;
        var scenes = Enumerable.Range(0, 24).SelectMany(i => SyntheticScenes.Render(3, i, new[] { i % 10 }).Pixels).ToArray();
        using var images = Tensor.FromArray(scenes, 24, 3, 64, 64);
        var lrp = AttributionMethods.Get("lrp-epsilon-plus-flat", null).Method;
        var target = AttributionTarget.Class("solid ring");
        var full = BatchAttribution.Run(model, images, target, lrp, batchSize: 5);
        Assert.False(full.Cancelled);
        Assert.Equal(24, full.Completed);
        var everything = full.Attribution!.ToArray();
        int per = everything.Length / 24;
        foreach (int batches in new[] { 1, 2, 4 })
        {
            using var source = new CancellationTokenSource();
            var part = BatchAttribution.Run(model, images, target, lrp, batchSize: 5, progress: new CancelAt<int>(batches, source), cancellation: source.Token);
            Assert.True(part.Cancelled);
            Assert.Equal(5 * batches, part.Completed);
            Assert.Equal(everything[..(5 * batches * per)], part.Attribution!.ToArray());
            part.Attribution.Dispose();
        }
        full.Attribution.Dispose();
    }

    [Fact]
    public void Training_CancelledAtARandomStep_StopsThereWithFiniteWeightsAndSaysWhere()
    {
        var data = SyntheticScenes.Generate(512, seed: 1);
        var rng = new Rng(5);
        for (int trial = 0; trial < 4; trial++)
        {
            var model = Zoo.InceptionMini(seed: 3);
            using var source = new CancellationTokenSource();
            // a random step of the second of three epochs (16 steps each); the cut follows the training's own steps,
            // not the machine's speed: reports come every step, the n-th one cancels
            int at = 17 + rng.NextInt(0, 15);
            var reports = new List<TrainingProgress>();
            var progress = new Immediate<TrainingProgress>(p =>
            {
                reports.Add(p);
                if (p.Step == at) source.Cancel();
            });
            var e = Assert.Throws<LucidCancelledException>(() =>
                Trainer.Fit(model, data, null, new TrainingOptions { Epochs = 3, BatchSize = 32, ReportEvery = 1 }, progress, cancellationToken: source.Token));
            Assert.Equal($"train: cancelled at epoch 2, step {at} of 48; the model holds the weights after step {at}.", e.Message);
            Assert.Equal(Enumerable.Range(1, at), reports.Select(r => r.Step));                 // every step reported once, in order
            Assert.Equal(Enumerable.Range(1, at).Select(step => step <= 16 ? 1 : 2), reports.Select(r => r.Epoch));
            Assert.All(model.Parameters, p => Assert.True(p.Value.ToArray().All(float.IsFinite), $"{p.Name} is not finite"));
            output.WriteLine(e.Message);
        }
    }

    [Fact]
    public void Catalog_CancelledAtRandomSteps_ResumesToTheUninterruptedCatalog()
    {
        var model = Mini.Value;
        var settings = new CatalogSettings { Model = model.Name, Taps = new[] { "mixed4a_5x5_bottleneck" }, Steps = 80 };
        var root = Path.Combine(Path.GetTempPath(), $"lucid-cancel-{Guid.NewGuid():N}");
        try
        {
            string clean = Path.Combine(root, "clean"), resumed = Path.Combine(root, "resumed");
            ChannelCatalog.Run(model, settings, clean);
            var rng = new Rng(8);
            int finished = 0;
            for (int trial = 0; trial < 6; trial++)
            {
                using var source = new CancellationTokenSource();
                // cancel at a random optimization step of this run (its first or second unit, never a unit's last step):
                // counted in the render's own steps, so the cut falls at the same place on every machine
                int at = rng.NextInt(1, 2 * settings.Steps);
                if (at % settings.Steps == 0) at++;
                var result = ChannelCatalog.Run(model, settings, resumed, cancellation: source.Token, stepProgress: new CancelAt<RenderProgress>(at, source));
                Assert.True(result.Cancelled);
                Assert.Equal(at / settings.Steps, result.Rendered.Count);                          // the units finished before the cut
                Assert.Equal(finished, result.Skipped.Count);                                       // and every earlier run's, kept
                finished += result.Rendered.Count;
                // finished units only: every record has its image, every image decodes
                var records = Directory.GetFiles(resumed, "*.json", SearchOption.AllDirectories).Where(f => f.Contains("/units/")).ToList();
                Assert.Equal(finished, records.Count);
                foreach (var record in records)
                    Assert.Equal(64, Lucid.Imaging.Image.LoadPng(Path.ChangeExtension(record, ".png")).Width);
            }
            ChannelCatalog.Run(model, settings, resumed);
            output.WriteLine($"{finished} units finished across 6 cancelled runs");
            Files.AssertSameTree(clean, resumed);
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, recursive: true); }
    }
}

/// <summary>NaN and infinity: caught at the step they appear, named by term and tap, the last good image kept.</summary>
public class NumericalGuardTests
{
    [Fact]
    public void ANaNTerm_IsReportedAtItsStep_ByNameAndTap_WithTheLastGoodImage()
    {
        var model = ModelFiles.LoadBesideSchema(TestPaths.InceptionMiniSchema);
        // a term that turns to NaN at step 5 (the square root of a negative number)
        var poison = Objectives.Custom("poison", new[] { "mixed4a" }, c => Ops.Sqrt(Ops.Add(Ops.Mul(Ops.Mean(c["mixed4a"]), 0f), c.Step >= 5 ? -1f : 1f))).Named("poison");
        var objective = Objectives.Channel("mixed4a", 3).Named("unit") + poison;
        using var image = new LucidImage(64, seed: 1);
        var e = Assert.Throws<NumericalException>(() => Renderer.Render(model, objective, image, RenderOptions.ForSmallInput(64) with { Steps = 20 }));
        Assert.Contains("at step 5", e.Message);
        Assert.Contains("term 'poison' = NaN", e.Message);
        Assert.DoesNotContain("'unit'", e.Message);
        Assert.NotNull(e.LastGood);
        Assert.Equal(new[] { 1, 3, 64, 64 }, e.LastGood!.Shape.ToArray());
        Assert.All(e.LastGood.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void ANaNWeight_IsTracedToTheFirstTapItReaches()
    {
        var model = ModelFiles.LoadBesideSchema(TestPaths.InceptionMiniSchema);
        var weight = model.Parameters.First(p => p.Name.StartsWith("mixed3b", StringComparison.Ordinal) && p.Name.EndsWith("weight", StringComparison.Ordinal));
        weight.Value.Data[0] = float.NaN;
        using var image = new LucidImage(64, seed: 1);
        var e = Assert.Throws<NumericalException>(() => Renderer.Render(model, Objectives.Channel("mixed4a", 3), image, RenderOptions.ForSmallInput(64) with { Steps = 3 }));
        Assert.Contains("at step 1", e.Message);
        Assert.Contains("first non-finite activation at tap 'mixed3b", e.Message);
    }
}

/// <summary>An IProgress that reports on the caller's thread, at once (Progress&lt;T&gt; posts to the thread pool, too late to time a cut).</summary>
internal sealed class Immediate<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
