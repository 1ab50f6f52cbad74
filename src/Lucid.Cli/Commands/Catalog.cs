namespace Lucid.Cli;

public static partial class Cli
{
    // ---- lucid catalog <model> --taps a,b -o dir [--shard i/N]    |    lucid catalog merge <dir>... -o dir
    private static Command CatalogCommand(Bind bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model name or an .onnx file." };
        var taps = new Option<string>("--taps") { Description = "Comma-separated taps whose every channel is rendered.", Required = true };
        var steps = new Option<int>("--steps") { Description = "Optimization steps per channel.", DefaultValueFactory = _ => 256 };
        var size = new Option<int>("--size") { Description = "Image size (0: the model's input size).", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Catalog seed (each unit's seed derives from it and the unit).", DefaultValueFactory = _ => 1 };
        var shard = new Option<string?>("--shard") { Description = "Render only shard i of N (i/N, 1-based), e.g. from $JOB_COMPLETION_INDEX or $SLURM_ARRAY_TASK_ID; merge afterwards." };
        var output = new Option<string>("--out", "-o") { Description = "Catalog directory (resumable: finished units are kept).", Required = true };
        var command = new Command("catalog", "Render a feature visualization of every channel of some taps into a browsable, resumable, shardable catalog.")
            { model, taps, steps, size, seed, shard, output };
        bind(command, (s, ct) =>
        {
            var m = s.Model(s.Get(model)!, withWeights: true);
            var (index, count) = ParseShard(s.Get(shard));
            var settings = new CatalogSettings
            {
                Model = m.Name,
                Taps = s.Get(taps)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Steps = s.Get(steps), Size = s.Get(size), Seed = s.Get(seed),
            };
            foreach (var t in settings.Taps) _ = m[t];      // an unknown tap fails here, by name
            string directory = s.Get(output)!;
            var clock = Stopwatch.StartNew();
            var result = s.WithProgress($"catalog {index}/{count}", report =>
                ChannelCatalog.Run(m, settings, directory, index, count,
                    new Progress<(CatalogUnit Unit, int Done, int Total)>(p => report(p.Done, p.Total, $"{p.Unit.Tap}:{p.Unit.Channel}")), ct));
            s.Say(Invariant($"catalog of {m.Name} ({string.Join(", ", settings.Taps)}), shard {index}/{count}: rendered {result.Rendered.Count}, already finished {result.Skipped.Count}, left to other shards {result.OtherShards} ({clock.Elapsed.TotalSeconds:F1} s)"));
            if (count == 1 && !result.Cancelled) s.Say($"browse {Path.Combine(directory, ChannelCatalog.IndexFile)}");
            else if (!result.Cancelled) s.Say($"when every shard has finished: lucid catalog merge <shard directories> -o <catalog>");
            s.Result(new { model = m.Name, taps = settings.Taps, shard = new { index, count }, directory, rendered = result.Rendered.Select(u => u.Stem), skipped = result.Skipped.Select(u => u.Stem),
                otherShards = result.OtherShards, cancelled = result.Cancelled, index = count == 1 && !result.Cancelled ? Path.Combine(directory, ChannelCatalog.IndexFile) : null, seconds = clock.Elapsed.TotalSeconds });
            if (result.Cancelled) ct.ThrowIfCancellationRequested();
        });

        var sources = new Argument<string[]>("catalogs") { Description = "The shards' catalog directories (or one shared directory).", Arity = ArgumentArity.OneOrMore };
        var mergeOutput = new Option<string>("--out", "-o") { Description = "The merged catalog directory.", Required = true };
        var merge = new Command("merge", "Join the shards of a catalog into one directory and write its index.html.") { sources, mergeOutput };
        bind(merge, (s, _) =>
        {
            string directory = s.Get(mergeOutput)!;
            int units = ChannelCatalog.Merge(s.Get(sources)!, directory);
            s.Say($"merged {units} units into {directory}; browse {Path.Combine(directory, ChannelCatalog.IndexFile)}");
            s.Result(new { directory, units, sources = s.Get(sources), index = Path.Combine(directory, ChannelCatalog.IndexFile) });
        });
        command.Subcommands.Add(merge);
        return command;
    }

    /// <summary>"i/N" → (i, N), 1 ≤ i ≤ N; null → (1, 1).</summary>
    internal static (int Index, int Count) ParseShard(string? text)
    {
        if (text is null) return (1, 1);
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i) ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            throw new LucidArgumentException("shard", $"--shard expects i/N (e.g. 2/8), got '{text}'.");
        if (n < 1 || i < 1 || i > n) throw new LucidArgumentException("shard", $"--shard {text}: shard {i} of {n} does not exist; shards are numbered 1 to {Math.Max(n, 1)}.");
        return (i, n);
    }
}
