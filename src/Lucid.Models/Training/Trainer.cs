using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Lucid.Tensors.Optim;

namespace Lucid.Models.Training;

/// <summary>Hyper-parameters of <see cref="Trainer.Fit"/>.</summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 64;
    public float LearningRate { get; init; } = 1e-3f;
    public float WeightDecay { get; init; }
    /// <summary>Warm-up steps of the cosine schedule (0: none).</summary>
    public int WarmupSteps { get; init; }
    public float LabelSmoothing { get; init; }
    public ulong Seed { get; init; } = 1;
    /// <summary>Where to write a checkpoint (safetensors) after every epoch; null for none.</summary>
    public string? CheckpointPath { get; init; }
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.AdamW;
    /// <summary>Momentum of SGD (Nesterov).</summary>
    public float Momentum { get; init; } = 0.9f;
    /// <summary>Random flips and shifts of training images; null for none.</summary>
    public Augmentation? Augmentation { get; init; }
}

public enum OptimizerKind { AdamW, Adam, Sgd }

/// <summary>Progress of training, reported after every epoch (and every <c>ReportEvery</c> steps).</summary>
public sealed record TrainingProgress(int Epoch, int Step, int TotalSteps, float Loss, double? TestAccuracy);

/// <summary>Minibatch training with AdamW, warm-up + cosine schedule, cross-entropy, evaluation and checkpoints.</summary>
public static class Trainer
{
    public static IReadOnlyList<TrainingProgress> Fit(Model model, LabeledImages train, LabeledImages? test, TrainingOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (options.Epochs <= 0) throw new LucidArgumentException(nameof(options), $"train: epochs must be positive, got {options.Epochs}.");
        var parameters = model.Parameters.Select(p => p.Value).ToList();
        Optimizer optimizer = options.Optimizer switch
        {
            OptimizerKind.Adam => new Adam(parameters, options.LearningRate, weightDecay: options.WeightDecay),
            OptimizerKind.Sgd => new Sgd(parameters, options.LearningRate, options.Momentum, nesterov: options.Momentum > 0, weightDecay: options.WeightDecay),
            _ => new AdamW(parameters, options.LearningRate, weightDecay: options.WeightDecay),
        };
        int stepsPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        int total = stepsPerEpoch * options.Epochs;
        optimizer.Schedule = new CosineWarmupSchedule(Math.Min(options.WarmupSteps, total - 1), total);
        var rng = new Rng(options.Seed);
        var history = new List<TrainingProgress>();
        int step = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            double lossSum = 0;
            int batches = 0;
            foreach (var batch in train.Batches(options.BatchSize, rng))
            {
                if (cancellationToken.IsCancellationRequested)
                    throw new LucidCancelledException($"train: cancelled at epoch {epoch}, step {step} of {total}; the model holds the weights after step {step}" +
                        (options.CheckpointPath is { } saved && epoch > 1 ? $", and {saved} those after epoch {epoch - 1}." : "."));
                using var scope = Tensor.Scope();
                var (images, labels) = options.Augmentation is { } augmentation ? train.Gather(batch, augmentation, rng) : train.Gather(batch);
                optimizer.ZeroGrad();
                var loss = Ops.CrossEntropy(model.Forward(images), labels, options.LabelSmoothing);
                float value = loss.Item();
                if (!float.IsFinite(value))
                    throw new NumericalException($"train: the loss became {value} at epoch {epoch}, step {step}; lower the learning rate.");
                loss.Backward();
                optimizer.Step();
                lossSum += value;
                batches++;
                step++;
            }
            double? accuracy = test is null ? null : Evaluate(model, test);
            var report = new TrainingProgress(epoch, step, total, (float)(lossSum / batches), accuracy);
            history.Add(report);
            progress?.Report(report);
            if (options.CheckpointPath is { } path) model.SaveWeights(path);
        }
        return history;
    }

    /// <summary>Top-1 accuracy on <paramref name="data"/>.</summary>
    public static double Evaluate(Model model, LabeledImages data, int batchSize = 256)
    {
        int correct = 0;
        using var _ = GradMode.NoGrad();
        foreach (var batch in data.Batches(batchSize, null))
        {
            using var scope = Tensor.Scope();
            var (images, labels) = data.Gather(batch);
            var logits = model.Forward(images);
            var d = logits.Data;
            int classes = logits.Size(1);
            for (int i = 0; i < labels.Length; i++)
            {
                int best = 0;
                for (int c = 1; c < classes; c++) if (d[i * classes + c] > d[i * classes + best]) best = c;
                if (best == labels[i]) correct++;
            }
        }
        return (double)correct / data.Count;
    }
}
