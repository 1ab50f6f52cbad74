using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lucid.Imaging;
using Lucid.Interfaces.Figures;
using Lucid.Models.Graph;
using Lucid.Optvis;
using Lucid.Tensors;

namespace Lucid.Interfaces;

/// <summary>What a catalog renders: the model, its taps, and the render settings every unit shares.</summary>
public sealed record CatalogSettings
{
    public required string Model { get; init; }
    public required IReadOnlyList<string> Taps { get; init; }
    public int Steps { get; init; } = 256;
    /// <summary>Image size (0: the model's input size).</summary>
    public int Size { get; init; }
    /// <summary>The catalog's seed; each unit's seed is derived from it and the unit alone (<see cref="ChannelCatalog.UnitSeed"/>).</summary>
    public ulong Seed { get; init; } = 1;
}

/// <summary>One channel of the catalog: its place in the catalog's fixed order, its tap and channel, its own seed.</summary>
public sealed record CatalogUnit(int Index, string Tap, int Channel, ulong Seed)
{
    /// <summary>The unit's files, relative to the catalog: <c>units/TAP/CHANNEL.png</c> and <c>.json</c>.</summary>
    public string Stem => $"units/{Tap}/{Channel.ToString("D4", CultureInfo.InvariantCulture)}";
}

/// <summary>What one catalog run did: units rendered now, units already finished (skipped), and units left to other shards.</summary>
public sealed record CatalogRunResult(IReadOnlyList<CatalogUnit> Rendered, IReadOnlyList<CatalogUnit> Skipped, int OtherShards, bool Cancelled);

/// <summary>
/// A browsable catalog of every channel of some taps: a feature visualization per channel, rendered independently
/// with a seed derived from the catalog seed and the unit alone, so a unit's image is the same whichever run, shard
/// or machine renders it. Shards (<c>shard</c> of <c>shards</c>: units whose index ≡ shard − 1 mod shards) run
/// independently — an Indexed Job or an array task each — into one directory or several; <see cref="Merge"/> joins them and
/// writes the index. Every file is written atomically and a unit counts as finished once its <c>.json</c> exists,
/// so a killed run resumes without redoing finished units or leaving a truncated file.
/// </summary>
public static class ChannelCatalog
{
    public const string ManifestFile = "catalog.json";
    public const string IndexFile = "index.html";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Every unit, in the catalog's order (taps as given, channels ascending).</summary>
    public static IReadOnlyList<CatalogUnit> Units(Model model, CatalogSettings settings)
    {
        if (settings.Taps.Count == 0) throw new LucidArgumentException("taps", "catalog: give at least one tap.");
        if (settings.Steps < 1) throw new LucidArgumentException("steps", $"catalog: steps must be positive, got {settings.Steps}.");
        if (settings.Size < 0) throw new LucidArgumentException("size", $"catalog: size must be positive (or 0 for the model's), got {settings.Size}.");
        var units = new List<CatalogUnit>();
        foreach (var tap in settings.Taps)
        {
            if (settings.Taps.Count(t => t == tap) > 1) throw new LucidArgumentException("taps", $"catalog: tap '{tap}' is listed twice.");
            int channels = model[tap].OutputShape[0];
            for (int c = 0; c < channels; c++) units.Add(new CatalogUnit(units.Count, tap, c, UnitSeed(settings.Seed, tap, c)));
        }
        return units;
    }

    /// <summary>A unit's seed: the catalog seed's sub-stream (<see cref="Rng.ForStream"/>) for the tap's name (FNV-1a) and the channel.</summary>
    public static ulong UnitSeed(ulong seed, string tap, int channel)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(tap)) h = (h ^ b) * 1099511628211UL;
        return Rng.ForStream(seed, h ^ (ulong)channel * 0x9E3779B97F4A7C15UL).Seed;
    }

    /// <summary>
    /// Renders the units of one shard (1-based <paramref name="shard"/> of <paramref name="shards"/>) into
    /// <paramref name="directory"/>, skipping finished ones. The directory's manifest must match the settings (a new
    /// directory gets one). With one shard, the index is written too. <paramref name="progress"/> hears of every
    /// finished unit, <paramref name="stepProgress"/> of every optimization step of the unit being rendered.
    /// </summary>
    public static CatalogRunResult Run(Model model, CatalogSettings settings, string directory, int shard = 1, int shards = 1,
        IProgress<(CatalogUnit Unit, int Done, int Total)>? progress = null, CancellationToken cancellation = default,
        IProgress<RenderProgress>? stepProgress = null)
    {
        if (shards < 1 || shard < 1 || shard > shards)
            throw new LucidArgumentException("shard", $"catalog: shard {shard}/{shards} does not exist; shards are numbered 1 to N (e.g. 1/3, 2/3, 3/3).");
        if (settings.Model != model.Name)
            throw new LucidArgumentException("model", $"catalog: the settings name model '{settings.Model}' but the model is '{model.Name}'.");
        var units = Units(model, settings);
        Directory.CreateDirectory(directory);
        var manifest = Manifest.Of(settings, settings.Taps.Select(t => model[t].OutputShape[0]).ToArray(), model.Input.Shape[^1]);
        var manifestPath = Path.Combine(directory, ManifestFile);
        if (File.Exists(manifestPath))
        {
            var existing = ReadManifest(manifestPath);
            if (existing != manifest)
                throw new LucidArgumentException("out", $"catalog: {directory} holds a catalog with other settings ({existing.Describe()}); this run has {manifest.Describe()}. Use another directory.");
        }
        else AtomicFile.Write(manifestPath, s => s.Write(Encoding.UTF8.GetBytes(manifest.ToJson())));
        RemoveStaleTemporaries(directory);
        var mine = units.Where(u => u.Index % shards == shard - 1).ToList();
        var rendered = new List<CatalogUnit>();
        var skipped = new List<CatalogUnit>();
        int size = manifest.Size;
        var preset = size < 128 ? RenderOptions.ForSmallInput(size) : new RenderOptions();
        bool cancelled = false;
        foreach (var unit in mine)
        {
            if (cancellation.IsCancellationRequested) { cancelled = true; break; }
            var record = Path.Combine(directory, unit.Stem + ".json");
            if (File.Exists(record)) { skipped.Add(unit); continue; }
            var result = Recipes.Channels(model, unit.Tap, new[] { unit.Channel }, size, preset with { Steps = settings.Steps, Seed = unit.Seed, Cancellation = cancellation, Progress = stepProgress }, unit.Seed);
            using (var image = result.Image)
            {
                // a render stopped midway is not this unit's image: nothing is written, a later run renders it whole
                if (result.Cancelled) { cancelled = true; break; }
                Image.FromTensor(image).SavePng(Path.Combine(directory, unit.Stem + ".png"));
            }
            var values = result.ObjectivePerStep;
            var unitRecord = new UnitRecord(unit.Tap, unit.Channel, unit.Seed.ToString(CultureInfo.InvariantCulture), values.Length, Round(values[0]), Round(values[^1]), Round(values.Max()));
            AtomicFile.Write(record, s => s.Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(unitRecord, Json) + "\n")));
            rendered.Add(unit);
            progress?.Report((unit, rendered.Count + skipped.Count, mine.Count));
        }
        if (shards == 1 && !cancelled) WriteIndex(directory);
        return new CatalogRunResult(rendered, skipped, units.Count - mine.Count, cancelled);
    }

    /// <summary>
    /// Joins catalog directories (the shards' outputs, or one shared directory) into <paramref name="output"/>: their
    /// manifests must agree, their units are copied (an identical unit in two sources is fine; differing bytes are an
    /// error), and every unit must be present; then the index is written. Returns the number of units.
    /// </summary>
    public static int Merge(IReadOnlyList<string> sources, string output)
    {
        if (sources.Count == 0) throw new LucidArgumentException("sources", "catalog merge: give at least one catalog directory.");
        Manifest? manifest = null;
        foreach (var source in sources)
        {
            var path = Path.Combine(source, ManifestFile);
            if (!File.Exists(path)) throw new LucidArgumentException("sources", $"catalog merge: {source} is not a catalog (no {ManifestFile}).");
            var m = ReadManifest(path);
            if (manifest is not null && m != manifest)
                throw new LucidArgumentException("sources", $"catalog merge: {source} was rendered with other settings ({m.Describe()}) than {sources[0]} ({manifest.Describe()}).");
            manifest = m;
        }
        Directory.CreateDirectory(output);
        var outManifest = Path.Combine(output, ManifestFile);
        if (File.Exists(outManifest) && ReadManifest(outManifest) != manifest)
            throw new LucidArgumentException("out", $"catalog merge: {output} holds a catalog with other settings.");
        AtomicFile.Write(outManifest, s => s.Write(Encoding.UTF8.GetBytes(manifest!.ToJson())));
        foreach (var source in sources)
        {
            var units = Path.Combine(source, "units");
            if (!Directory.Exists(units)) continue;
            foreach (var file in Directory.GetFiles(units, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (Path.GetFileName(file).StartsWith('.')) continue;    // a killed run's temporary
                var relative = Path.GetRelativePath(source, file);
                var target = Path.Combine(output, relative);
                var bytes = File.ReadAllBytes(file);
                if (File.Exists(target))
                {
                    if (!File.ReadAllBytes(target).AsSpan().SequenceEqual(bytes))
                        throw new LucidException($"catalog merge: {relative} differs between sources (found again in {source}); were the shards run with the same build and settings?");
                    continue;
                }
                AtomicFile.Write(target, s => s.Write(bytes));
            }
        }
        var missing = Missing(output, manifest!);
        if (missing.Count > 0)
            throw new LucidException($"catalog merge: {missing.Count} of {manifest!.Units} units are missing (first: {missing[0]}); run the shards that render them, then merge again.");
        WriteIndex(output);
        return manifest!.Units;
    }

    /// <summary>The unit records a directory lacks, by stem.</summary>
    private static List<string> Missing(string directory, Manifest manifest)
    {
        var missing = new List<string>();
        foreach (var (tap, channels) in manifest.Taps.Zip(manifest.Channels))
            for (int c = 0; c < channels; c++)
            {
                var stem = $"units/{tap}/{c.ToString("D4", CultureInfo.InvariantCulture)}";
                if (!File.Exists(Path.Combine(directory, stem + ".json")) || !File.Exists(Path.Combine(directory, stem + ".png"))) missing.Add(stem);
            }
        return missing;
    }

    /// <summary>The browsable page: per tap, every channel's image with its objective on hover (self-contained, deterministic).</summary>
    public static void WriteIndex(string directory)
    {
        var manifest = ReadManifest(Path.Combine(directory, ManifestFile));
        var missing = Missing(directory, manifest);
        if (missing.Count > 0) throw new LucidException($"catalog: {missing.Count} units are not rendered yet (first: {missing[0]}).");
        var figures = new List<Figure>();
        foreach (var (tap, channels) in manifest.Taps.Zip(manifest.Channels))
        {
            var cells = new List<FigureElement>();
            for (int c = 0; c < channels; c++)
            {
                var stem = Path.Combine(directory, $"units/{tap}/{c.ToString("D4", CultureInfo.InvariantCulture)}");
                var record = JsonSerializer.Deserialize<UnitRecord>(File.ReadAllText(stem + ".json"), Json)!;
                cells.Add(new ImageCell(Image.LoadPng(stem + ".png"), 64, 64, c.ToString(CultureInfo.InvariantCulture))
                {
                    Id = $"{tap}-{c}",
                    Details = string.Create(CultureInfo.InvariantCulture, $"{tap} channel {c}\nobjective {record.First:G4} → {record.Last:G4} in {record.Steps} steps\nseed {record.Seed}"),
                });
            }
            var rows = cells.Chunk(16).Select(row => (FigureElement)new Row(row, Gap: 4)).ToList();
            figures.Add(new Figure(string.Create(CultureInfo.InvariantCulture, $"{tap}: {channels} channels"), new Column(rows, Gap: 4)));
        }
        Html.Save(string.Create(CultureInfo.InvariantCulture, $"Channel catalog of {manifest.Model}: {manifest.Steps} steps, {manifest.Size} px, seed {manifest.Seed}"),
            figures, Path.Combine(directory, IndexFile));
    }

    /// <summary>Temporary files a killed run left behind (hidden <c>.NAME.PID.GUID.tmp</c>).</summary>
    private static void RemoveStaleTemporaries(string directory)
    {
        foreach (var file in Directory.GetFiles(directory, ".*.tmp", SearchOption.AllDirectories))
        {
            try { File.Delete(file); }
            catch (IOException) { /* another shard's write in flight: leave it */ }
        }
    }

    private static float Round(float v) => float.Parse(v.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static Manifest ReadManifest(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path), Json) ?? throw new LucidException($"catalog: {path} is empty.");
        }
        catch (JsonException e)
        {
            throw new LucidException($"catalog: {path} is not a catalog manifest ({e.Message}).");
        }
    }

    private sealed record UnitRecord(string Tap, int Channel, string Seed, int Steps, float First, float Last, float Max);

    private sealed record Manifest(string Format, string Model, string[] Taps, int[] Channels, int Steps, int Size, string Seed, int Units)
    {
        public static Manifest Of(CatalogSettings settings, int[] channels, int inputSize) => new("lucid-channel-catalog/1", settings.Model, settings.Taps.ToArray(),
            channels, settings.Steps, settings.Size == 0 ? inputSize : settings.Size, settings.Seed.ToString(CultureInfo.InvariantCulture), channels.Sum());

        public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

        public string Describe() => string.Create(CultureInfo.InvariantCulture, $"model {Model}, taps {string.Join(",", Taps)}, {Steps} steps, {Size} px, seed {Seed}");

        public bool Equals(Manifest? other) => other is not null && Format == other.Format && Model == other.Model && Taps.SequenceEqual(other.Taps) &&
                                               Channels.SequenceEqual(other.Channels) && Steps == other.Steps && Size == other.Size && Seed == other.Seed && Units == other.Units;

        public override int GetHashCode() => HashCode.Combine(Model, Steps, Size, Seed, Units);
    }
}
