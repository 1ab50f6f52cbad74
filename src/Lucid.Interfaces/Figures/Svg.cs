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
        var (w, h) = Measure(figure.Root);
        int width = w + 2 * Margin, height = h + 2 * Margin + TitleSize + 8;
        var s = new StringBuilder();
        s.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\">\n"));
        s.Append(Invariant($"<title>{Escape(figure.Title)}</title>\n"));
        s.Append(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"));
        s.Append(Invariant($"<text x=\"{Margin}\" y=\"{Margin + TitleSize}\" font-size=\"{TitleSize}\" font-weight=\"bold\">{Escape(figure.Title)}</text>\n"));
        var gradients = new Dictionary<string, string>(StringComparer.Ordinal);
        var body = new StringBuilder();
        Draw(body, figure.Root, Margin, Margin + TitleSize + 8, gradients);
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
                    (element.Details is { } details ? Invariant($" data-details=\"{Escape(details)}\"") : "");
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
            default:
                throw new LucidArgumentException(nameof(element), $"figure: unknown element {element.GetType().Name}.");
        }
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
