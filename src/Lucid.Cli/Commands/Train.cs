namespace Lucid.Cli;

public static partial class Cli
{
    // ---- lucid train <model>
    private static Command TrainCommand(Bind bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model to reproduce (fashion-cnn, inception-mini)." };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 10 };
        var seed = new Option<ulong>("--seed") { Description = "Seed for initialization and shuffling.", DefaultValueFactory = _ => 1 };
        var data = new Option<string>("--data") { Description = "Fashion-MNIST directory.", DefaultValueFactory = _ => FashionMnist.DebianDirectory };
        var trainSamples = new Option<int?>("--train-samples") { Description = "Use only the first N training images (default: all; the recipe's)." };
        var testSamples = new Option<int?>("--test-samples") { Description = "Use only the first N test images." };
        var output = new Option<string?>("--out", "-o") { Description = "Output directory (default: the bundled model's directory)." };
        var checkpoints = new Option<string?>("--checkpoints") { Description = "Resumable checkpoints after every epoch in this directory; run again with it to continue a stopped training." };
        var command = new Command("train", "Train a bundled model from scratch with its recorded recipe.") { model, epochs, seed, data, trainSamples, testSamples, output, checkpoints };
        bind(command, (s, ct) =>
        {
            string name = s.Get(model)!;
            var architecture = BundledModels.Architecture(name)(s.Get(seed));
            if (s.Get(epochs) < 1) throw new LucidArgumentException("epochs", $"train: --epochs must be positive, got {s.Get(epochs)}.");
            var (train, test) = name == "inception-mini"
                ? (SyntheticScenes.Generate(s.Get(trainSamples) ?? 20000, seed: 1), SyntheticScenes.Generate(s.Get(testSamples) ?? 2000, seed: 2))
                : (FashionMnist.Train(s.Get(data)!), FashionMnist.Test(s.Get(data)!));
            if (s.Get(trainSamples) is { } n) train = train.Take(n);
            if (s.Get(testSamples) is { } k) test = test.Take(k);
            string directory = s.Get(output) ?? BundledModels.Directory(name);
            var options = new TrainingOptions { Epochs = s.Get(epochs), BatchSize = 64, LearningRate = 2e-3f, WeightDecay = 1e-4f, WarmupSteps = Math.Min(200, train.Count / 64 + 1), Seed = s.Get(seed), CheckpointDirectory = s.Get(checkpoints) };
            var clock = Stopwatch.StartNew();
            var history = s.WithProgress($"train {name}", report => Trainer.Fit(architecture, train, test, options, new Progress<TrainingProgress>(p =>
            {
                report(p.Step, p.TotalSteps, Invariant($"epoch {p.Epoch}, loss {p.Loss:F4}"));
                if (p.TestAccuracy is { } accuracy) s.Note(Invariant($"epoch {p.Epoch}/{options.Epochs}  loss {p.Loss:F4}  test accuracy {accuracy:P2}  ({clock.Elapsed.TotalSeconds:F0} s)"));
            })));
            Directory.CreateDirectory(directory);
            string weights = Path.Combine(directory, $"{name}.safetensors"), schema = Path.Combine(directory, $"{name}.schema.json");
            architecture.SaveWeights(weights);
            ModelSchema.From(architecture).Save(schema);
            double? final = history.LastOrDefault(h => h.TestAccuracy is not null)?.TestAccuracy;
            s.Say(Invariant($"{name}: test accuracy {final:P2} after {options.Epochs} epochs in {clock.Elapsed.TotalMinutes:F1} min; wrote {directory}"));
            s.Result(new { model = name, epochs = options.Epochs, trainImages = train.Count, testImages = test.Count, testAccuracy = final, minutes = clock.Elapsed.TotalMinutes, weights, schema });
        });
        return command;
    }
}
