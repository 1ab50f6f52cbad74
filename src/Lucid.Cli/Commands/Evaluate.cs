namespace Lucid.Cli;

public static partial class Cli
{
    // ---- lucid evaluate <model>
    private static Command EvaluateCommand(Bind bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model (inception-mini)." };
        var scenes = new Option<int>("--scenes") { Description = "Synthetic test scenes to score.", DefaultValueFactory = _ => 50 };
        var output = new Option<string?>("--out", "-o") { Description = "Write the table as Markdown to this file." };
        var plot = new Option<string?>("--plot") { Description = "Also chart the mean deletion and insertion curves of every method and the mask mass as bars: FILE-deletion.EXT, FILE-insertion.EXT, FILE-mask-mass.EXT (.png, .svg or .pdf)." };
        var command = new Command("evaluate", "Score every attribution method on synthetic test scenes with ground-truth masks (pointing game, mask mass, deletion/insertion AUC, randomization).")
            { model, scenes, output, plot };
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
            string[]? plots = null;
            if (s.Get(plot) is { } plotPath)
            {
                string stem = Path.Combine(Path.GetDirectoryName(plotPath) ?? "", Path.GetFileNameWithoutExtension(plotPath)), extension = Path.GetExtension(plotPath);
                plots = new[] { $"{stem}-deletion{extension}", $"{stem}-insertion{extension}", $"{stem}-mask-mass{extension}" };
                Lucid.Interfaces.Figures.Plots.Bars($"{name}: relevance inside the object's mask over {count} scenes", "mask mass",
                    rows.Select(r => (Lucid.Interfaces.Figures.Plots.ShortName(r.Method), r.MaskMass)).ToList(), width: 1200, height: 560).Save(plots[2]);
                foreach (var (file, deletion) in new[] { (plots[0], true), (plots[1], false) })
                {
                    var series = rows.Select(r =>
                    {
                        var curve = deletion ? r.DeletionCurve : r.InsertionCurve;
                        var fractions = Enumerable.Range(0, curve.Length).Select(i => i / (double)(curve.Length - 1)).ToArray();
                        return (Invariant($"{r.Method} (AUC {(deletion ? r.DeletionAuc : r.InsertionAuc):F3})"), fractions, curve);
                    }).ToList();
                    Lucid.Interfaces.Figures.Plots.Lines($"{name}: {(deletion ? "deletion" : "insertion")} curves over {count} scenes",
                        deletion ? "fraction of pixels removed" : "fraction of pixels revealed", "probability of the class", series, width: 1200, height: 560).Save(file);
                }
            }
            s.Result(new { model = name, scenes = count, seconds = clock.Elapsed.TotalSeconds, rows, plots });
        });
        return command;
    }
}
