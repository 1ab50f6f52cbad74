using Lucid.Attribution;
using Lucid.Attribution.Robustness;
using Lucid.Imaging;
using Lucid.Tensors;

namespace Lucid.Cli;

public static partial class Cli
{
    // ---- lucid audit-labels <model>
    private static Command AuditLabelsCommand(Bind bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled classifier: fashion-cnn (Fashion-MNIST's test split) or inception-mini (synthetic test scenes)." };
        var examples = new Option<int?>("--examples") { Description = "Audit only the first N test images (default: all; inception-mini: 2,000)." };
        var top = new Option<int>("--top") { Description = "Suspects shown in the grid, most confident first.", DefaultValueFactory = _ => 32 };
        var data = new Option<string?>("--data") { Description = "Fashion-MNIST directory (default: Debian's dataset-fashion-mnist)." };
        var output = new Option<string?>("--out", "-o") { Description = "Write the suspects as a grid PNG: each image, then its Integrated Gradients overlay for the suggested class, labelled with the index and the given label, and 'like' the suggested one." };
        var command = new Command("audit-labels", "Find likely label errors in a labelled test set with confident learning (Northcutt et al.) over the model's out-of-sample probabilities.")
            { model, examples, top, data, output };
        bind(command, (s, _) =>
        {
            string name = s.Get(model)!;
            var m = BundledModels.Load(name);
            if (s.Get(top) < 1) throw new LucidArgumentException("top", $"audit-labels: --top must be positive, got {s.Get(top)}.");
            if (s.Get(examples) is < 1)
                throw new LucidArgumentException("examples", $"audit-labels: --examples must be positive, got {s.Get(examples)}.");
            var dataset = name == "inception-mini"
                ? SyntheticScenes.Generate(s.Get(examples) ?? 2000, seed: 2)
                : FashionMnist.Test(s.Get(data) ?? FashionMnist.DebianDirectory);
            if (s.Get(examples) is { } n) dataset = dataset.Take(Math.Min(n, dataset.Count));
            var clock = Stopwatch.StartNew();
            var probabilities = ConfidentLearning.PredictProbabilities(m, dataset);
            var result = ConfidentLearning.Find(probabilities, dataset.Labels, m.Labels.Count);
            string Label(int k) => m.Labels[k];
            var shown = result.Issues.Take(s.Get(top)).ToList();
            if (s.Get(output) is { } path && shown.Count > 0)
            {
                var cells = new List<Image>();
                var captions = new List<string?>();
                foreach (var issue in shown)
                {
                    var (image, _) = dataset.Gather(new[] { issue.Index });
                    using (image)
                    {
                        var picture = Image.FromTensor(image);
                        var ig = GradientAttribution.IntegratedGradients(m, image, AttributionTarget.Class(issue.Suggested), steps: 32);
                        using (ig.Attribution)
                            cells.Add(Heatmap.Overlay(picture, Heatmap.Render(ig.Attribution)));
                        cells.Insert(cells.Count - 1, picture);
                    }
                    captions.Add(Invariant($"{issue.Index} {Label(issue.Given)}"));
                    captions.Add(Invariant($"like {Label(issue.Suggested)}"));
                }
                ImageGrid.Compose(cells, captions, columns: 8, scale: dataset.Height <= 32 ? 3 : 1).SavePng(path);
            }
            s.Note(Invariant($"{result.Issues.Count} suspected label errors among {dataset.Count} images ({100.0 * result.Issues.Count / dataset.Count:F1} %)"));
            foreach (var issue in shown.Take(10))
                s.Note(Invariant($"  #{issue.Index}: labelled {Label(issue.Given)} (p {issue.GivenProbability:F3}), looks like {Label(issue.Suggested)} (p {issue.SuggestedProbability:F3})"));
            s.Result(new
            {
                model = name,
                images = dataset.Count,
                suspected = result.Issues.Count,
                seconds = clock.Elapsed.TotalSeconds,
                issues = shown.Select(i => new { index = i.Index, given = Label(i.Given), suggested = Label(i.Suggested), givenProbability = i.GivenProbability, suggestedProbability = i.SuggestedProbability }),
                grid = s.Get(output),
            });
        });
        return command;
    }
}
