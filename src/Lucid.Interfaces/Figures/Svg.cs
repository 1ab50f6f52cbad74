using System.Globalization;
using System.Text;
using Lucid.Imaging;
using Lucid.Tensors;

namespace Lucid.Interfaces.Figures;

/// <summary>
/// Renders a <see cref="Figure"/> as SVG: deterministic (same figure, same bytes — fixed layout rules, invariant
/// number formatting, images embedded as PNG data URIs from the library's own encoder), self-contained, diffable.
/// Text widths are estimated (0.6 em per character), so layout never depends on installed fonts.
/// </summary>
public static class Svg
{
    private const int Margin = 12, TitleSize = 16, CaptionSize = 11, PanelPadding = 8;

    public static string Render(Figure figure)
    {
        var (width, height, rootX, rootY) = Canvas(figure);
        var s = new StringBuilder();
        s.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\">\n"));
        s.Append(Invariant($"<title>{Escape(figure.Title)}</title>\n"));
        s.Append(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"));
        s.Append(Invariant($"<text x=\"{Margin}\" y=\"{Margin + TitleSize}\" font-size=\"{TitleSize}\" font-weight=\"bold\">{Escape(figure.Title)}</text>\n"));
        var gradients = new Dictionary<string, string>(StringComparer.Ordinal);
        var body = new StringBuilder();
        Draw(body, figure.Root, rootX, rootY, gradients);
        if (gradients.Count > 0)
        {
            s.Append("<defs>\n");
            foreach (var (_, definition) in gradients.OrderBy(g => g.Key, StringComparer.Ordinal)) s.Append(definition);
            s.Append("</defs>\n");
        }
        s.Append(body);
        s.Append("</svg>\n");
        return s.ToString();
    }

    /// <summary>The canvas of a figure and where its root element is drawn.</summary>
    public static (int Width, int Height, int RootX, int RootY) Canvas(Figure figure)
    {
        var (w, h) = Measure(figure.Root);
        // bold title text runs wider than the 0.6 em estimate: 0.65 em keeps it inside the canvas
        int width = Math.Max(w, (int)Math.Ceiling(figure.Title.Length * TitleSize * 0.65)) + 2 * Margin, height = h + 2 * Margin + TitleSize + 8;
        return (width, height, Margin, Margin + TitleSize + 8);
    }

    /// <summary>Where a panel's content starts, relative to the panel.</summary>
    internal static (int X, int Y) PanelContentOffset => (PanelPadding, PanelPadding + 18);

    /// <summary>The centres of a flow row's children (links join these).</summary>
    internal static int[] FlowCentres(IReadOnlyList<FigureElement> row, int x)
    {
        var centres = new int[row.Count];
        for (int i = 0; i < row.Count; i++)
        {
            int w = Measure(row[i]).Width;
            centres[i] = x + w / 2;
            x += w + 8;
        }
        return centres;
    }

    /// <summary>Writes the SVG atomically (temp file + rename).</summary>
    public static void Save(Figure figure, string path) =>
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(Render(figure))));

    /// <summary>Width and height an element occupies.</summary>
    public static (int Width, int Height) Measure(FigureElement element) => element switch
    {
        Row r => r.Children.Count == 0 ? (0, 0) : (r.Children.Sum(c => Measure(c).Width) + r.Gap * (r.Children.Count - 1), r.Children.Max(c => Measure(c).Height)),
        Column c => c.Children.Count == 0 ? (0, 0) : (c.Children.Max(x => Measure(x).Width), c.Children.Sum(x => Measure(x).Height) + c.Gap * (c.Children.Count - 1)),
        Panel p => PanelSize(p),
        ImageCell i => (Math.Max(i.Width, i.Caption is null ? 0 : TextWidth(i.Caption, CaptionSize)), i.Height + (i.Caption is null ? 0 : CaptionSize + 4)),
        Text t => (TextWidth(t.Value, t.Size), t.Size + 4),
        ColorLegend l => (l.Width, l.Height + CaptionSize + 4),
        Flow f => (Math.Max(Measure(new Row(f.Sources)).Width, Measure(new Row(f.Targets)).Width),
            Measure(new Row(f.Sources)).Height + f.Gap + Measure(new Row(f.Targets)).Height),
        _ => throw new LucidArgumentException(nameof(element), $"figure: unknown element {element.GetType().Name}."),
    };

    private static (int Width, int Height) PanelSize(Panel p)
    {
        var (w, h) = Measure(p.Content);
        return (Math.Max(w, TextWidth(p.Title, 12)) + 2 * PanelPadding, h + 2 * PanelPadding + 18);
    }

    private static void Draw(StringBuilder s, FigureElement element, int x, int y, Dictionary<string, string> gradients)
    {
        string id = (element.Id is { } name ? Invariant($" id=\"{Escape(name)}\"") : "") +
                    (element.Details is { } details ? Invariant($" data-details=\"{Escape(details)}\"") : "") +
                    (element.Key is { } key ? Invariant($" data-key=\"{Escape(key)}\"") : "");
        switch (element)
        {
            case Row r:
                Stack(s, id, r.Children, r.Gap, horizontal: true, x, y, gradients);
                break;
            case Column c:
                Stack(s, id, c.Children, c.Gap, horizontal: false, x, y, gradients);
                break;
            case Panel p:
            {
                var (w, h) = Measure(p);
                s.Append(Invariant($"<g{id}>\n<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"none\" stroke=\"#ccc\"/>\n"));
                s.Append(Invariant($"<text x=\"{x + PanelPadding}\" y=\"{y + PanelPadding + 12}\" font-size=\"12\" font-weight=\"bold\">{Escape(p.Title)}</text>\n"));
                Draw(s, p.Content, x + PanelPadding, y + PanelPadding + 18, gradients);
                s.Append("</g>\n");
                break;
            }
            case ImageCell i:
                s.Append(Invariant($"<g{id}>\n<image x=\"{x}\" y=\"{y}\" width=\"{i.Width}\" height=\"{i.Height}\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64,{Convert.ToBase64String(Png.Encode(i.Image))}\"/>\n"));
                if (i.Caption is { } caption)
                    s.Append(Invariant($"<text x=\"{x}\" y=\"{y + i.Height + CaptionSize + 1}\" font-size=\"{CaptionSize}\">{Escape(caption)}</text>\n"));
                s.Append("</g>\n");
                break;
            case Text t:
                s.Append(Invariant($"<text{id} x=\"{x}\" y=\"{y + t.Size}\" font-size=\"{t.Size}\"{(t.Bold ? " font-weight=\"bold\"" : "")}>{Escape(t.Value)}</text>\n"));
                break;
            case ColorLegend l:
            {
                string gradient = "legend-" + l.Map.Name;
                if (!gradients.ContainsKey(gradient))
                {
                    var stops = new StringBuilder(Invariant($"<linearGradient id=\"{gradient}\">"));
                    for (int k = 0; k <= 10; k++)
                    {
                        var (r, g, b) = l.Map[k / 10.0];
                        stops.Append(Invariant($"<stop offset=\"{k * 10}%\" stop-color=\"#{r:x2}{g:x2}{b:x2}\"/>"));
                    }
                    gradients[gradient] = stops.Append("</linearGradient>\n").ToString();
                }
                s.Append(Invariant($"<g{id}>\n<rect x=\"{x}\" y=\"{y}\" width=\"{l.Width}\" height=\"{l.Height}\" fill=\"url(#{gradient})\"/>\n"));
                s.Append(Invariant($"<text x=\"{x}\" y=\"{y + l.Height + CaptionSize + 1}\" font-size=\"{CaptionSize}\">{Escape(l.Low)}</text>\n"));
                s.Append(Invariant($"<text x=\"{x + l.Width}\" y=\"{y + l.Height + CaptionSize + 1}\" font-size=\"{CaptionSize}\" text-anchor=\"end\">{Escape(l.High)}</text>\n</g>\n"));
                break;
            }
            case Flow f:
                DrawFlow(s, id, f, x, y, gradients);
                break;
            default:
                throw new LucidArgumentException(nameof(element), $"figure: unknown element {element.GetType().Name}.");
        }
    }

    private static void DrawFlow(StringBuilder s, string id, Flow f, int x, int y, Dictionary<string, string> gradients)
    {
        if (f.Weights.GetLength(0) != f.Sources.Count || f.Weights.GetLength(1) != f.Targets.Count)
            throw new LucidArgumentException(nameof(f), $"figure: a flow of {f.Sources.Count} sources and {f.Targets.Count} targets needs [{f.Sources.Count}, {f.Targets.Count}] weights, got [{f.Weights.GetLength(0)}, {f.Weights.GetLength(1)}].");
        int sourceHeight = Measure(new Row(f.Sources)).Height, targetTop = y + sourceHeight + f.Gap;
        var from = FlowCentres(f.Sources, x);
        var to = FlowCentres(f.Targets, x);
        double max = 0;
        foreach (var w in f.Weights) max = Math.Max(max, Math.Abs(w));
        s.Append(Invariant($"<g{id}>\n"));
        for (int i = 0; i < f.Sources.Count; i++)
            for (int j = 0; j < f.Targets.Count; j++)
            {
                double weight = f.Weights[i, j];
                if (max == 0 || weight == 0) continue;
                double width = 6 * Math.Abs(weight) / max;
                string colour = weight > 0 ? "#d62728" : "#1f77b4";
                string details = f.Labels is { } labels ? Invariant($" data-details=\"{Escape(labels[i, j])}\"") : "";
                s.Append(Invariant($"<line x1=\"{from[i]}\" y1=\"{y + sourceHeight + 2}\" x2=\"{to[j]}\" y2=\"{targetTop - 2}\" stroke=\"{colour}\" stroke-width=\"{width:0.##}\" stroke-opacity=\"0.8\"{details}/>\n"));
            }
        Stack(s, "", f.Sources, 8, horizontal: true, x, y, gradients);
        Stack(s, "", f.Targets, 8, horizontal: true, x, targetTop, gradients);
        s.Append("</g>\n");
    }

    /// <summary>Children one after another, left to right or top to bottom, in a group.</summary>
    private static void Stack(StringBuilder s, string id, IReadOnlyList<FigureElement> children, int gap, bool horizontal, int x, int y, Dictionary<string, string> gradients)
    {
        s.Append(Invariant($"<g{id}>\n"));
        foreach (var child in children)
        {
            Draw(s, child, x, y, gradients);
            var (w, h) = Measure(child);
            if (horizontal) x += w + gap;
            else y += h + gap;
        }
        s.Append("</g>\n");
    }

    private static int TextWidth(string text, int size) => (int)Math.Ceiling(text.Length * size * 0.6);

    internal static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;").Replace("\n", "&#10;");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
