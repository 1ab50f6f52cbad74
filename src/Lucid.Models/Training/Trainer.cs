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
    /// <summary>
    /// A directory for resumable checkpoints: after every epoch the weights, the optimizer's state and a manifest
    /// (epoch, step, RNG state, history), the manifest written last. A run given a directory holding a checkpoint of
    /// the same settings continues after that epoch, and ends bit-identical to a run that was never interrupted.
    /// </summary>
    public string? CheckpointDirectory { get; init; }
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.AdamW;
    /// <summary>Momentum of SGD (Nesterov).</summary>
    public float Momentum { get; init; } = 0.9f;
    /// <summary>Random flips and shifts of training images; null for none.</summary>
    public Augmentation? Augmentation { get; init; }
    /// <summary>
    /// Also report progress after every this many steps inside an epoch (the loss is the epoch's running mean, the
    /// accuracy null); 0 reports only at the end of each epoch. The history holds the epoch reports only.
    /// </summary>
    public int ReportEvery { get; init; }
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
        if (options.ReportEvery < 0) throw new LucidArgumentException(nameof(options), $"train: ReportEvery must be 0 (epochs only) or a positive number of steps, got {options.ReportEvery}.");
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
        int step = 0, first = 1;
        string fingerprint = Fingerprint(model, train, options);
        if (options.CheckpointDirectory is { } resumeFrom && Checkpoint.Read(resumeFrom) is { } resumed)
        {
            if (resumed.Fingerprint != fingerprint)
                throw new LucidArgumentException(nameof(options), $"train: {resumeFrom} holds a checkpoint of other settings ({resumed.Fingerprint}); this run has {fingerprint}. Use another directory.");
            model.LoadWeights(Path.Combine(resumeFrom, Checkpoint.WeightsFile));
            optimizer.LoadState(Weights.Safetensors.Read(Path.Combine(resumeFrom, Checkpoint.OptimizerFile)).ToDictionary(t => t.Key, t => { var a = t.Value.ToArray(); t.Value.Dispose(); return a; }));
            rng.Restore(resumed.Rng);
            history.AddRange(resumed.History);
            (step, first) = (resumed.Step, resumed.Epoch + 1);
        }
        for (int epoch = first; epoch <= options.Epochs; epoch++)
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
                if (options.ReportEvery > 0 && step % options.ReportEvery == 0 && batches < stepsPerEpoch)
                    progress?.Report(new TrainingProgress(epoch, step, total, (float)(lossSum / batches), null));
            }
            double? accuracy = test is null ? null : Evaluate(model, test);
            var report = new TrainingProgress(epoch, step, total, (float)(lossSum / batches), accuracy);
            history.Add(report);
            progress?.Report(report);
            if (options.CheckpointPath is { } path) model.SaveWeights(path);
            if (options.CheckpointDirectory is { } directory)
                Checkpoint.Write(directory, model, optimizer, new Checkpoint(fingerprint, epoch, step, rng.State, history.ToArray()));
        }
        return history;
    }

    /// <summary>What a checkpoint must match to be continued: the model, the data size and every setting that shapes the run.</summary>
    private static string Fingerprint(Model model, LabeledImages train, TrainingOptions o) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{model.Name} ({model.Parameters.Sum(p => (long)p.Value.Count)} parameters), {train.Count} images, {o.Epochs} epochs, batch {o.BatchSize}, lr {o.LearningRate}, " +
        $"wd {o.WeightDecay}, warm-up {o.WarmupSteps}, smoothing {o.LabelSmoothing}, seed {o.Seed}, {o.Optimizer}, momentum {o.Momentum}, augmentation {o.Augmentation}");

    /// <summary>A resumable checkpoint's manifest.</summary>
    private sealed record Checkpoint(string Fingerprint, int Epoch, int Step, string Rng, TrainingProgress[] History)
    {
        public const string ManifestFile = "checkpoint.json", WeightsFile = "weights.safetensors", OptimizerFile = "optimizer.safetensors";

        public static Checkpoint? Read(string directory)
        {
            var path = Path.Combine(directory, ManifestFile);
            if (!File.Exists(path)) return null;
            try
            {
                return System.Text.Json.JsonSerializer.Deserialize<Checkpoint>(File.ReadAllText(path)) ?? throw new ModelFormatException(path, "empty checkpoint manifest.");
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new ModelFormatException(path, $"not a checkpoint manifest ({e.Message}).", e);
            }
        }

        /// <summary>Weights and optimizer state first, the manifest last (each atomic): a manifest always describes whole files.</summary>
        public static void Write(string directory, Model model, Optimizer optimizer, Checkpoint manifest)
        {
            Directory.CreateDirectory(directory);
            model.SaveWeights(Path.Combine(directory, WeightsFile));
            var state = optimizer.SaveState().ToDictionary(s => s.Key, s => Tensor.FromArray(s.Value, s.Value.Length));
            try { Weights.Safetensors.Write(Path.Combine(directory, OptimizerFile), state); }
            finally { foreach (var t in state.Values) t.Dispose(); }
            AtomicFile.Write(Path.Combine(directory, ManifestFile), s => s.Write(System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(manifest))));
        }
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
