namespace Lucid.Cli;

public static partial class Cli
{
    // ---- lucid quality <model>
    private static Command QualityCommand(Bind bind)
    {
        var model = new Argument<string>("model") { Description = "inception-mini (class renders against synthetic scenes) or resnet18 (hidden units against photographs)." };
        var photos = new Option<string>("--photos") { Description = "resnet18: a directory of photographs (JPEG/PNG) as the reference.", DefaultValueFactory = _ => "/usr/share/darknet/data" };
        var channels = new Option<int>("--channels") { Description = "resnet18: channels per layer rendered Lucid-style (evenly spaced).", DefaultValueFactory = _ => 16 };
        var compared = new Option<int>("--compared") { Description = "resnet18: of those, how many also with MACO and VITAL.", DefaultValueFactory = _ => 8 };
        var comparedSteps = new Option<int>("--compared-steps") { Description = "resnet18: steps of the MACO and VITAL renders.", DefaultValueFactory = _ => 256 };
        var plot = new Option<string?>("--plot") { Description = "Chart the radial power spectrum of each method's renders against real images (and, for class renders, FILE-ratio: the activation ratios as bars); .png, .svg or .pdf." };
        var renders = new Option<string?>("--renders") { Description = "resnet18: write every render as a PNG into this directory (and a grid per method and layer)." };
        var seeds = new Option<int>("--seeds") { Description = "Renders per class and method.", DefaultValueFactory = _ => 3 };
        var steps = new Option<int?>("--steps") { Description = "Steps of every render (default: 256 Lucid-style and MACO, 300 VITAL)." };
        var scenes = new Option<int>("--scenes-per-class") { Description = "Real scenes per class (VITAL's references; as many held out).", DefaultValueFactory = _ => 50 };
        var transfer = new Option<string?>("--transfer") { Description = "Schema of an independently trained model for transferability (default: models/<model>-seed2/ when bundled; 'none' to skip)." };
        var output = new Option<string?>("--out", "-o") { Description = "Write the table as Markdown to this file." };
        var command = new Command("quality", "Render every class Lucid-style, with MACO and with VITAL, and score the renders (activation ratio, self-classification, held-out feature distance, spectrum, repetition, Vendi, path similarity, transferability).")
            { model, seeds, steps, scenes, transfer, output, photos, channels, compared, comparedSteps, renders, plot };
        bind(command, (s, _) =>
        {
            string name = s.Get(model)!;
            if (name == Lucid.Models.ResNet18.Name)
            {
                var unitSettings = new Lucid.Optvis.UnitQualitySettings { LucidChannels = s.Get(channels), ComparedChannels = s.Get(compared), Steps = s.Get(steps) ?? 512, ComparedSteps = s.Get(comparedSteps) };
                UnitQuality(s, unitSettings, s.Get(photos)!, s.Get(output), s.Get(renders), s.Get(plot));
                return;
            }
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
            if (s.Get(plot) is { } plotPath)
            {
                static string Short(string method) => Lucid.Interfaces.Figures.Plots.ShortName(method);
                Lucid.Interfaces.Figures.Plots.Spectra($"{name}: radial power spectrum of class renders and real scenes",
                    rows.Select(r => (Short(r.Method), r.RadialSpectrum)).ToList()).Save(plotPath);
                string bars = Path.Combine(Path.GetDirectoryName(plotPath) ?? "", Path.GetFileNameWithoutExtension(plotPath) + "-ratio" + Path.GetExtension(plotPath));
                Lucid.Interfaces.Figures.Plots.Bars($"{name}: activation ratio (render / best real scene)", "activation ratio",
                    rows.Select(r => (Short(r.Method), r.ActivationRatio)).ToList()).Save(bars);
            }
            s.Result(new { model = name, seeds = settings.Seeds, seconds = clock.Elapsed.TotalSeconds, rows });
        });
        return command;
    }

    /// <summary>The element-wise mean of equally long arrays.</summary>
    private static double[] Mean(IReadOnlyList<double[]> arrays) =>
        Enumerable.Range(0, arrays[0].Length).Select(i => arrays.Average(a => a[i])).ToArray();

    /// <summary><c>lucid quality resnet18</c>: hidden units of a network without labels, against photographs.</summary>
    private static void UnitQuality(Session s, Lucid.Optvis.UnitQualitySettings settings, string photoDirectory, string? output, string? renderDirectory, string? plotPath)
    {
        if (settings.LucidChannels < 1 || settings.ComparedChannels < 0 || settings.Steps < 1 || settings.ComparedSteps < 1)
            throw new LucidArgumentException("channels", "quality: --channels and --steps must be positive and --compared not negative.");
        var m = s.Model(Lucid.Models.ResNet18.Name);
        int size = m.Input.Shape[^1];
        using var photos = Lucid.Imaging.Photo.CropsOf(photoDirectory, size);
        int count = photos.Size(0);
        double photoSlope = Enumerable.Range(0, count).Average(i =>
        {
            using var one = photos[i..(i + 1)];
            return Lucid.Optvis.Quality.SpectralSlope(one);
        });
        var spectra = new Dictionary<string, List<double[]>>(StringComparer.Ordinal)
        {
            ["photos"] = Enumerable.Range(0, count).Select(i =>
            {
                using var one = photos[i..(i + 1)];
                return Lucid.Optvis.Quality.RadialPowerSpectrum(one);
            }).ToList(),
        };
        var clock = Stopwatch.StartNew();
        var images = new List<(Lucid.Optvis.UnitQualityRow Row, Lucid.Imaging.Image Image)>();
        var rows = Lucid.Optvis.UnitQualityTable.Run(m, photos, settings, (tap, channel, below) => Lucid.Attribution.Lrp.UnitRelevance(m, tap, channel, below),
            new Progress<string>(line => s.Note(Invariant($"  {line} ({clock.Elapsed.TotalSeconds:F0} s)"))),
            (row, render) =>
            {
                images.Add((row, Lucid.Imaging.Image.FromTensor(render)));
                if (!spectra.TryGetValue(row.Method, out var list)) spectra[row.Method] = list = new List<double[]>();
                list.Add(Lucid.Optvis.Quality.RadialPowerSpectrum(render));
            });
        if (plotPath is not null)
            Lucid.Interfaces.Figures.Plots.Spectra($"{m.Name}: radial power spectrum of renders and photos",
                spectra.Select(p => (Invariant($"{p.Key} ({p.Value.Count})"), Mean(p.Value))).ToList()).Save(plotPath);
        if (renderDirectory is not null)
        {
            Directory.CreateDirectory(renderDirectory);
            foreach (var (row, image) in images) image.SavePng(Path.Combine(renderDirectory, $"{row.Method}-{row.Tap}-{row.Channel}.png"));
            foreach (var group in images.GroupBy(x => (x.Row.Method, x.Row.Tap)))
                Lucid.Imaging.ImageGrid.Compose(group.Select(x => x.Image).ToArray(), group.Select(x => Invariant($"{x.Row.Channel}: {x.Row.ActivationRatio:F1}")).ToArray(), columns: 8)
                    .SavePng(Path.Combine(renderDirectory, $"{group.Key.Method}-{group.Key.Tap}.png"));
        }
        string command = $"lucid quality resnet18 --channels {settings.LucidChannels} --compared {settings.ComparedChannels} --steps {settings.Steps} --compared-steps {settings.ComparedSteps}";
        var table = Lucid.Optvis.UnitQualityTable.ToMarkdown(rows, settings, m.Name, photoSlope, count, command);
        s.Table(table, output);
        s.Result(new { model = m.Name, photos = count, photoSlope, seconds = clock.Elapsed.TotalSeconds, rows, plot = plotPath });
    }
}
