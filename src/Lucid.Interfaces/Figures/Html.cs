using System.Text;
using Lucid.Tensors;

namespace Lucid.Interfaces.Figures;

/// <summary>
/// A self-contained interactive page of figures: every figure's SVG inline (images are data URIs), a stylesheet and a
/// short script, no network access. Pointing at an element that carries <see cref="FigureElement.Details"/> highlights
/// it, shows its details in a side panel and highlights every element with the same <see cref="FigureElement.Key"/>
/// (the same position or group in the page's other interfaces) — the Distill articles' hover interaction. The page is well-formed XML
/// (XHTML syntax), deterministic, and written atomically.
/// </summary>
public static class Html
{
    private const string Style = """
        body { font-family: sans-serif; margin: 24px; display: flex; gap: 24px; align-items: flex-start; }
        main { flex: 1; }
        figure { margin: 0 0 24px 0; }
        aside { position: sticky; top: 24px; width: 280px; min-height: 80px; padding: 12px; border: 1px solid #ccc; font-size: 13px; white-space: pre-wrap; }
        [data-details] { cursor: pointer; }
        .lucid-hover { filter: drop-shadow(0 0 4px #f80); }
        .lucid-linked { filter: drop-shadow(0 0 4px #08f); }
        """;

    /// <summary>The hover interaction, for the elements under <paramref name="root"/> with <paramref name="panel"/> as the details panel (JavaScript expressions; the panel's may use <c>root</c>).</summary>
    internal static string HoverScript(string root, string panel) => $$"""
        (function () {
          var root = {{root}}, panel = {{panel}}, idle = panel.textContent;
          function linked(el) {
            var key = el.getAttribute('data-key');
            if (!key) return [];
            return Array.prototype.filter.call(root.querySelectorAll('[data-key]'), function (other) { return other !== el && other.getAttribute('data-key') === key; });
          }
          root.querySelectorAll('[data-details]').forEach(function (el) {
            el.addEventListener('mouseenter', function () {
              el.classList.add('lucid-hover');
              linked(el).forEach(function (other) { other.classList.add('lucid-linked'); });
              panel.textContent = el.getAttribute('data-details');
            });
            el.addEventListener('mouseleave', function () {
              el.classList.remove('lucid-hover');
              linked(el).forEach(function (other) { other.classList.remove('lucid-linked'); });
              panel.textContent = idle;
            });
          });
        })();
        """;

    private static readonly string Script = HoverScript("document", "document.getElementById('details')");

    public static string Render(string title, IReadOnlyList<Figure> figures)
    {
        var s = new StringBuilder();
        s.Append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
        s.Append("<title>").Append(Svg.Escape(title)).Append("</title>\n<style>\n").Append(Style).Append("\n</style>\n</head>\n<body>\n<main>\n");
        s.Append("<h1>").Append(Svg.Escape(title)).Append("</h1>\n");
        // ids are prefixed per figure ("f0-", "f1-", …): figures drawn separately may reuse names such as "input"
        for (int k = 0; k < figures.Count; k++)
            s.Append("<figure>\n").Append(Svg.Render(figures[k] with { Root = FigureIds.Prefix(figures[k].Root, IdPrefix(k)) })).Append("</figure>\n");
        s.Append("</main>\n<aside id=\"details\">Point at a cell to see the data behind it.</aside>\n");
        s.Append("<script>\n//<![CDATA[\n").Append(Script).Append("\n//]]>\n</script>\n</body>\n</html>\n");
        return s.ToString();
    }

    /// <summary>The prefix of the ids of the page's figure <paramref name="index"/>.</summary>
    public static string IdPrefix(int index) => "f" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-";

    /// <summary>Writes the page atomically (temp file + rename).</summary>
    public static void Save(string title, IReadOnlyList<Figure> figures, string path) =>
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(Render(title, figures))));
}

/// <summary>
/// HTML fragments for notebooks (.NET Interactive / Polyglot: <c>display(HTML(figure.ToHtml()))</c>, or register
/// <c>Formatter.Register&lt;Figure&gt;((f, w) =&gt; w.Write(f.ToHtml()), "text/html")</c> once): self-contained, no network,
/// with the page's hover interaction scoped to the fragment.
/// </summary>
public static class NotebookHtml
{
    private static int _counter;

    /// <summary>The figure's SVG with a details line below it that shows the data of the element under the pointer.</summary>
    public static string ToHtml(this Figure figure)
    {
        // a fragment id unique within the notebook, so several figures keep their own ids and panels
        string id = "lucid-" + Interlocked.Increment(ref _counter).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var svg = Svg.Render(figure with { Root = FigureIds.Prefix(figure.Root, id + "-") });
        return $$"""
            <div id="{{id}}" class="lucid-figure">
            <style>#{{id}} .lucid-hover { filter: drop-shadow(0 0 4px #f80); } #{{id}} .lucid-linked { filter: drop-shadow(0 0 4px #08f); } #{{id}} [data-details] { cursor: pointer; }</style>
            {{svg}}<pre class="lucid-details" style="font-size:12px;min-height:1.5em;white-space:pre-wrap">Point at a cell to see the data behind it.</pre>
            <script>
            {{Html.HoverScript($"document.getElementById('{id}')", "root.querySelector('.lucid-details')")}}
            </script>
            </div>
            """;
    }

    /// <summary>An image as an <c>&lt;img&gt;</c> with a PNG data URI, drawn at <paramref name="scale"/>× without smoothing.</summary>
    public static string ToHtml(this Lucid.Imaging.Image image, int scale = 4) =>
        $"<img width=\"{image.Width * scale}\" height=\"{image.Height * scale}\" style=\"image-rendering:pixelated\" src=\"data:image/png;base64,{Convert.ToBase64String(Lucid.Imaging.Png.Encode(image))}\"/>";
}
