namespace Lucid.Cli;

public static partial class Cli
{
    // ---- lucid quality <model>
    private static Command QualityCommand(Bind bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model trained on the synthetic scenes (inception-mini)." };
        var seeds = new Option<int>("--seeds") { Description = "Renders per class and method.", DefaultValueFactory = _ => 3 };
        var steps = new Option<int?>("--steps") { Description = "Steps of every render (default: 256 Lucid-style and MACO, 300 VITAL)." };
        var scenes = new Option<int>("--scenes-per-class") { Description = "Real scenes per class (VITAL's references; as many held out).", DefaultValueFactory = _ => 50 };
        var transfer = new Option<string?>("--transfer") { Description = "Schema of an independently trained model for transferability (default: models/<model>-seed2/ when bundled; 'none' to skip)." };
        var output = new Option<string?>("--out", "-o") { Description = "Write the table as Markdown to this file." };
        var command = new Command("quality", "Render every class Lucid-style, with MACO and with VITAL, and score the renders (activation ratio, self-classification, held-out feature distance, spectrum, repetition, Vendi, path similarity, transferability).")
            { model, seeds, steps, scenes, transfer, output };
        bind(command, (s, _) =>
        {
            string name = s.Get(model)!;
            var m = BundledModels.Load(name);
            if (s.Get(seeds) < 1 || s.Get(scenes) < 2 || s.Get(steps) is < 1)
                throw new LucidArgumentException("seeds", "quality: --seeds and --steps must be positive and --scenes-per-class at least 2.");
            string? transferSchema = s.Get(transfer) ?? Path.Combine(BundledModels.Directory(name + "-seed2"), $"{name}.schema.json");
            var other = transferSchema != "none" && File.Exists(transferSchema) ? Lucid.Models.ModelFiles.LoadBesideSchema(transferSchema) : null;
            if (s.Get(transfer) is { } given && given != "none" && other is null) throw new LucidArgumentException("transfer", $"quality: no model schema at '{given}'.");
            var settings = new Lucid.Optvis.QualitySettings { Seeds = s.Get(seeds), ScenesPerClass = s.Get(scenes), TransferModel = other };
            if (s.Get(steps) is { } n) settings = settings with { LucidSteps = n, MacoSteps = n, VitalSteps = n };
            var clock = Stopwatch.StartNew();
            var rows = Lucid.Optvis.QualityTable.Run(m, settings, new Progress<string>(line => s.Note(Invariant($"  {line} ({clock.Elapsed.TotalSeconds:F0} s)"))));
            var table = Lucid.Optvis.QualityTable.ToMarkdown(rows, settings, name);
            s.Table(table, s.Get(output));
            s.Result(new { model = name, seeds = settings.Seeds, seconds = clock.Elapsed.TotalSeconds, rows });
        });
        return command;
    }
}
