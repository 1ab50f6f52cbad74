using Lucid.Imaging;
using Lucid.Tensors;
using SkiaSharp;

namespace Lucid.Interfaces.Figures;

/// <summary>
/// A chart (ScottPlot 5, MIT, drawing through Skia) with the same outputs as figures: PNG (our encoder: deterministic
/// bytes), SVG and a vector PDF, in the embedded DejaVu Sans so no system font is needed. <see cref="Series"/> keeps
/// the plotted numbers, so tests can check a chart shows what was computed.
/// </summary>
public sealed class Chart
{
    internal Chart(ScottPlot.Plot plot, string title, IReadOnlyList<(string Name, double[] X, double[] Y)> series, int width, int height)
    {
        Plot = plot;
        Title = title;
        Series = series;
        Width = width;
        Height = height;
    }

    /// <summary>The ScottPlot plot, for further styling.</summary>
    public ScottPlot.Plot Plot { get; }
    public string Title { get; }
    /// <summary>Every plotted series as given (name, x, y).</summary>
    public IReadOnlyList<(string Name, double[] X, double[] Y)> Series { get; }
    public int Width { get; }
    public int Height { get; }

    /// <summary>The chart as an RGB image at <paramref name="scale"/> pixels per unit.</summary>
    public Image Rasterize(float scale = 1f) => FigureSkia.Raster(Width, Height, scale, canvas => Plot.Render(canvas, Width, Height));

    public void SavePng(string path, float scale = 1f) => Rasterize(scale).SavePng(path);

    public void SaveSvg(string path) => AtomicFile.Write(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(Plot.GetSvgXml(Width, Height))));

    public void SavePdf(string path) => FigureSkia.Pdf(path, Title, Width, Height, canvas => Plot.Render(canvas, Width, Height));

    /// <summary>The chart as an inline SVG fragment: the same display path as figures in notebooks and reports.</summary>
    public string ToHtml() =>
        $"<div class=\"lucid-chart\" title=\"{Svg.Escape(Title)}\">{Plot.GetSvgXml(Width, Height)}</div>";

    /// <summary>Writes PNG, SVG or PDF by the path's extension.</summary>
    public void Save(string path)
    {
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".png": SavePng(path); break;
            case ".svg": SaveSvg(path); break;
            case ".pdf": SavePdf(path); break;
            default: throw new LucidArgumentException("path", $"chart: '{path}' must end in .png, .svg or .pdf.");
        }
    }
}

/// <summary>The charts Lucid.Dsl draws: line plots (objective over steps, curves), log-log spectra, bars.</summary>
public static class Plots
{
    private const string FontName = "Lucid Sans";

    static Plots()
    {
        // the embedded DejaVu Sans for every chart: no system font needed (Skia's self-contained natives have none)
        ScottPlot.Fonts.FontResolvers.Insert(0, new EmbeddedFonts());
        ScottPlot.Fonts.Default = FontName;
    }

    private sealed class EmbeddedFonts : ScottPlot.IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) => FigureSkia.Typeface(bold);

        public SKTypeface? CreateTypeface(string fontName, ScottPlot.FontWeight weight, ScottPlot.FontSlant slant, ScottPlot.FontSpacing width) =>
            FigureSkia.Typeface((int)weight >= (int)ScottPlot.FontWeight.SemiBold);
    }

    /// <summary>Lines, one per series, with a legend; optionally log-scaled axes (values must then be positive).</summary>
    public static Chart Lines(string title, string xLabel, string yLabel, IReadOnlyList<(string Name, double[] X, double[] Y)> series,
        bool logX = false, bool logY = false, int width = 640, int height = 400)
    {
        if (series.Count == 0) throw new LucidArgumentException(nameof(series), "chart: give at least one series.");
        var plot = new ScottPlot.Plot();
        foreach (var (name, x, y) in series)
        {
            if (x.Length != y.Length || x.Length == 0)
                throw new LucidArgumentException(nameof(series), $"chart: series '{name}' has {x.Length} x and {y.Length} y values.");
            double[] px = logX ? x.Select(Log).ToArray() : x, py = logY ? y.Select(Log).ToArray() : y;
            var line = plot.Add.ScatterLine(px, py);
            line.LegendText = name;
            line.LineWidth = 1.5f;
            // more series than the palette's ten colours: the second ten dashed
            if (plot.GetPlottables().Count() > 10) line.LinePattern = ScottPlot.LinePattern.Dashed;
        }
        if (logX) plot.Axes.Bottom.TickGenerator = LogTicks();
        if (logY) plot.Axes.Left.TickGenerator = LogTicks();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        // a few series: the legend inside; many: beside the data, which it would otherwise cover
        if (series.Count > 4) plot.ShowLegend(ScottPlot.Edge.Right);
        else if (series.Count > 1) plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.Font.Set(FontName);
        return new Chart(plot, title, series, width, height);
    }

    /// <summary>Decades labelled 10^k (values are plotted as log10), with log-spaced minor ticks.</summary>
    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = v => Math.Pow(10, v).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
    };

    private static double Log(double v) => v > 0 ? Math.Log10(v) : throw new LucidArgumentException("series", $"chart: a log axis needs positive values, got {v}.");

    /// <summary>A render's objective and each named term over the steps.</summary>
    public static Chart Objective(IReadOnlyList<float> objective, IReadOnlyDictionary<string, float[]> terms, string title)
    {
        double[] Steps(int n) => Enumerable.Range(1, n).Select(i => (double)i).ToArray();
        var series = new List<(string, double[], double[])> { ("objective", Steps(objective.Count), objective.Select(v => (double)v).ToArray()) };
        foreach (var (name, values) in terms.OrderBy(t => t.Key, StringComparer.Ordinal))
            series.Add((name, Steps(values.Length), values.Select(v => (double)v).ToArray()));
        return Lines(title, "step", "value", series);
    }

    /// <summary>Radial power spectra (index = cycles per image), log-log: renders beside real images.</summary>
    public static Chart Spectra(string title, IReadOnlyList<(string Name, double[] Power)> spectra)
    {
        var series = spectra.Select(s =>
        {
            var radii = Enumerable.Range(1, s.Power.Length - 1).Where(r => s.Power[r] > 0).ToArray();
            return (s.Name, radii.Select(r => (double)r).ToArray(), radii.Select(r => s.Power[r]).ToArray());
        }).ToList();
        return Lines(title, "frequency (cycles per image)", "power", series, logX: true, logY: true);
    }

    /// <summary>A method's name without its parenthesized settings: "integrated gradients (50, GL)" → "integrated gradients".</summary>
    public static string ShortName(string method)
    {
        int paren = method.IndexOf(" (", StringComparison.Ordinal);
        return paren > 0 ? method[..paren] : method;
    }

    /// <summary>A bar per value, labelled.</summary>
    public static Chart Bars(string title, string yLabel, IReadOnlyList<(string Label, double Value)> bars, int width = 640, int height = 400)
    {
        if (bars.Count == 0) throw new LucidArgumentException(nameof(bars), "chart: give at least one bar.");
        var plot = new ScottPlot.Plot();
        var values = bars.Select(b => b.Value).ToArray();
        plot.Add.Bars(values);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, bars.Count).Select(i => (double)i).ToArray(), bars.Select(b => b.Label).ToArray());
        if (bars.Any(b => b.Label.Length > 8))
        {
            // long names slanted so that neighbours do not overlap
            plot.Axes.Bottom.TickLabelStyle.Rotation = -35;
            plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleRight;
            plot.Axes.Bottom.MinimumSize = 12 + 7 * bars.Max(b => b.Label.Length) * 0.6f;   // room for the slanted names
        }
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.Font.Set(FontName);
        var positions = Enumerable.Range(0, bars.Count).Select(i => (double)i).ToArray();
        return new Chart(plot, title, new[] { (yLabel, positions, values) }, width, height);
    }
}
