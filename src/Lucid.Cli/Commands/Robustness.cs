using System.Text;
using Lucid.Attribution.Robustness;

namespace Lucid.Cli;

public static partial class Cli
{
    // ---- lucid robustness <model>
    private static Command RobustnessCommand(Bind bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled classifier: inception-mini (synthetic test scenes) or fashion-cnn (Fashion-MNIST's test split)." };
        var examples = new Option<int>("--examples") { Description = "Test images to attack.", DefaultValueFactory = _ => 200 };
        var epsilons = new Option<string>("--epsilons") { Description = "Attack strengths in 1/255 of the pixel range, comma-separated.", DefaultValueFactory = _ => "0,1,2,4,8,16" };
        var steps = new Option<int>("--pgd-steps") { Description = "PGD steps (step size 2.5·ε/steps, random start).", DefaultValueFactory = _ => 10 };
        var data = new Option<string?>("--data") { Description = "Fashion-MNIST directory (default: Debian's dataset-fashion-mnist)." };
        var output = new Option<string?>("--out", "-o") { Description = "Write the table as Markdown to this file." };
        var plot = new Option<string?>("--plot") { Description = "Chart accuracy against ε (.png, .svg or .pdf)." };
        var command = new Command("robustness", "Accuracy of a bundled classifier under FGSM and PGD (L∞) at increasing ε.")
            { model, examples, epsilons, steps, data, output, plot };
        bind(command, (s, _) =>
        {
            string name = s.Get(model)!;
            var m = BundledModels.Load(name);
            var values = s.Get(epsilons)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(v => float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f >= 0 ? f / 255f
                    : throw new LucidArgumentException("epsilons", $"robustness: --epsilons takes non-negative numbers in 1/255, got '{v}'."))
                .ToArray();
            var dataset = name == "inception-mini"
                ? Lucid.Models.Data.SyntheticScenes.Generate(s.Get(examples), seed: 2)
                : Lucid.Models.Data.FashionMnist.Test(s.Get(data) ?? Lucid.Models.Data.FashionMnist.DebianDirectory);
            var clock = Stopwatch.StartNew();
            var points = RobustnessCurve.Measure(m, dataset, values, s.Get(examples), s.Get(steps),
                progress: new Progress<string>(line => s.Note(Invariant($"  {line} ({clock.Elapsed.TotalSeconds:F0} s)"))));
            int count = Math.Min(s.Get(examples), dataset.Count);
            var table = new StringBuilder();
            table.AppendLine(Invariant($"Accuracy of `{name}` on {count} test images under untargeted attacks (L∞; PGD: {s.Get(steps)} steps of 2.5·ε/{s.Get(steps)}, random start)."));
            table.AppendLine();
            table.AppendLine("| ε (×1/255) | FGSM accuracy | PGD accuracy |");
            table.AppendLine("|---:|---:|---:|");
            foreach (var p in points) table.AppendLine(Invariant($"| {p.Epsilon * 255:G4} | {100 * p.FgsmAccuracy:F1} % | {100 * p.PgdAccuracy:F1} % |"));
            s.Table(table.ToString(), s.Get(output));
            if (s.Get(plot) is { } plotPath)
            {
                var x = points.Select(p => (double)p.Epsilon * 255).ToArray();
                Lucid.Interfaces.Figures.Plots.Lines($"{name}: accuracy under attack ({count} test images)", "ε (in 1/255 of the pixel range)", "accuracy",
                    new[] { ("FGSM", x, points.Select(p => p.FgsmAccuracy).ToArray()), ($"PGD ({s.Get(steps)} steps)", x, points.Select(p => p.PgdAccuracy).ToArray()) },
                    width: 800, height: 480).Save(plotPath);
            }
            s.Result(new { model = name, examples = count, seconds = clock.Elapsed.TotalSeconds, points, plot = s.Get(plot) });
        });
        return command;
    }
}
