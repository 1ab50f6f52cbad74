using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Models.Training;
using Lucid.Tensors.Optim;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Reliability.Tests;

/// <summary>Training checkpoints: a run stopped midway and resumed from its checkpoint directory ends bit-identical to one never stopped.</summary>
public class CheckpointTests
{
    private static readonly LabeledImages Data = SyntheticScenes.Generate(192, seed: 1);

    private static TrainingOptions Options(string directory) => new()
    {
        Epochs = 3, BatchSize = 32, LearningRate = 2e-3f, WeightDecay = 1e-4f, WarmupSteps = 4, Seed = 9,
        Augmentation = new Augmentation(), CheckpointDirectory = directory,
    };

    [Fact]
    public void AResumedTraining_EndsBitIdenticalToAnUninterruptedOne()
    {
        var root = Path.Combine(Path.GetTempPath(), $"lucid-checkpoint-{Guid.NewGuid():N}");
        try
        {
            var straight = Zoo.InceptionMini(seed: 3);
            var expected = Trainer.Fit(straight, Data, null, Options(Path.Combine(root, "straight")));

            var stopped = Zoo.InceptionMini(seed: 3);
            using (var source = new CancellationTokenSource())
                Assert.Throws<LucidCancelledException>(() => Trainer.Fit(stopped, Data, null, Options(Path.Combine(root, "resumed")),
                    new CancelAt<TrainingProgress>(1, source), source.Token));     // stops at the start of epoch 2
            var resumedModel = Zoo.InceptionMini(seed: 77);                         // other weights: the checkpoint's are loaded
            var resumed = Trainer.Fit(resumedModel, Data, null, Options(Path.Combine(root, "resumed")));

            Assert.Equal(expected.Select(h => (h.Epoch, h.Step, h.Loss)), resumed.Select(h => (h.Epoch, h.Step, h.Loss)));
            foreach (var ((name, a), (_, b)) in straight.Parameters.Zip(resumedModel.Parameters))
                Assert.True(a.Data.SequenceEqual(b.Data), $"{name} differs after resuming");

            // a checkpoint of other settings is refused, not mixed in
            var e = Assert.Throws<LucidArgumentException>(() => Trainer.Fit(Zoo.InceptionMini(), Data, null, Options(Path.Combine(root, "resumed")) with { LearningRate = 1e-3f }));
            Assert.Contains("holds a checkpoint of other settings", e.Message);
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void OptimizerState_RoundTrips_SoTheNextStepIsTheSame()
    {
        foreach (Func<Tensor[], Optimizer> make in new Func<Tensor[], Optimizer>[]
                 { p => new AdamW(p, 0.01f, weightDecay: 0.1f), p => new Sgd(p, 0.1f, 0.9f, nesterov: true), p => new NAdam(p) })
        {
            var rng = new Rng(1);
            Tensor Parameter() { var t = rng.Normal(new[] { 5, 3 }); t.RequiresGrad = true; return t; }
            var a = new[] { Parameter(), Parameter() };
            var b = a.Select(t => { var c = Tensor.FromArray(t.ToArray(), 5, 3); c.RequiresGrad = true; return c; }).ToArray();
            var first = make(a);
            void Steps(Optimizer o, Tensor[] ps, int n, ulong seed)
            {
                var g = new Rng(seed);
                for (int i = 0; i < n; i++)
                {
                    foreach (var p in ps) { p.Grad ??= Tensor.Zeros(5, 3); g.FillNormal(p.Grad.Data); }
                    o.Step();
                }
            }
            Steps(first, a, 4, 5);
            // a second optimizer over copied parameters, loaded with the first's state, takes the same next steps
            for (int i = 0; i < a.Length; i++) a[i].Data.CopyTo(b[i].Data);
            var second = make(b);
            second.LoadState(first.SaveState());
            Steps(first, a, 3, 6);
            Steps(second, b, 3, 6);
            for (int i = 0; i < a.Length; i++) Assert.True(a[i].Data.SequenceEqual(b[i].Data), $"{first.GetType().Name}: parameter {i} differs");
        }
    }
}
