namespace Lucid.Cli;

public static partial class Cli
{
    // ---- lucid evaluate <model>
    private static Command EvaluateCommand(Bind bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model (inception-mini)." };
        var scenes = new Option<int>("--scenes") { Description = "Synthetic test scenes to score.", DefaultValueFactory = _ => 50 };
        var output = new Option<string?>("--out", "-o") { Description = "Write the table as Markdown to this file." };
        var command = new Command("evaluate", "Score every attribution method on synthetic test scenes with ground-truth masks (pointing game, mask mass, deletion/insertion AUC, randomization).")
            { model, scenes, output };
        bind(command, (s, _) =>
        {
            string name = s.Get(model)!;
            var m = BundledModels.Load(name);
            int count = s.Get(scenes);
            if (count < 1) throw new LucidArgumentException("scenes", $"evaluate: --scenes must be positive, got {count}.");
            var clock = Stopwatch.StartNew();
            var randomized = BundledModels.Architecture(name)(12345);
            var rows = Lucid.Attribution.EvaluationTable.Run(m, randomized, count, seed: 2, camLayer: m.Taps.Contains("mixed4b") ? "mixed4b" : null,
                new Progress<string>(line => s.Note(Invariant($"  {line} ({clock.Elapsed.TotalSeconds:F0} s)"))));
            var table = Lucid.Attribution.EvaluationTable.Markdown(rows, name, count);
            s.Table(table, s.Get(output));
            s.Result(new { model = name, scenes = count, seconds = clock.Elapsed.TotalSeconds, rows });
        });
        return command;
    }
}
