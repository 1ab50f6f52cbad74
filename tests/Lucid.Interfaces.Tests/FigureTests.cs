using System.Text.RegularExpressions;
using Lucid.Imaging;
using Lucid.Interfaces.Figures;
using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Testing;
using System.Xml.Linq;
using Xunit;

namespace Lucid.Interfaces.Tests;

/// <summary>What figure snapshots keep: the layout. Image bytes and the hover details (model numbers) are scrubbed —
/// pixels may differ across CPUs' SIMD paths, and the details are checked by the interfaces' own tests.</summary>
internal static class FigureSnapshots
{
    public static string Scrubbed(string svg) =>
        Regex.Replace(Regex.Replace(svg, "data:image/png;base64,[A-Za-z0-9+/=]+", "data:image/png;base64,{png}"), "data-details=\"[^\"]*\"", "data-details=\"{details}\"");
}

public class FigureTests
{
    /// <summary>The SVG with embedded image bytes replaced by their size class (pixels differ across CPUs' SIMD paths; the layout must not).</summary>

    [Fact]
    public void NeuronGroupsFigure_IsDeterministic_AndItsLayoutMatchesTheSnapshot()
    {
        var model = InceptionMini.Model;
        using var image = InceptionMini.Scene(4, 4, 3);
        var (figure, groups) = NeuronGroupsFigure.Build(model, image, "mixed4a", groups: 4, iconSteps: 32, seed: 1);
        var first = Svg.Render(figure);
        var (again, _) = NeuronGroupsFigure.Build(model, image, "mixed4a", groups: 4, iconSteps: 32, seed: 1);
        Assert.Equal(first, Svg.Render(again));
        Assert.Equal(4, groups.Count);
        for (int g = 0; g < 4; g++)
        {
            Assert.Contains($"id=\"group-{g}-icon\"", first);
            Assert.Contains($"id=\"group-{g}-map\"", first);
        }
        Assert.Equal(1 + 2 * 4, Regex.Matches(first, "<image ").Count);
        Snapshot.Verify(FigureSnapshots.Scrubbed(first), "mixed4a-4-groups", "svg");
    }

    [Fact]
    public void Svg_LaysOutRowsColumnsAndPanels_ByTheirMeasuredSizes()
    {
        var pixel = new Image(2, 2, 3);
        var cell = new ImageCell(pixel, 40, 30, "a");
        var figure = new Figure("t", new Panel("p", new Row(new FigureElement[] { cell, new Column(new FigureElement[] { cell, cell }, Gap: 5) }, Gap: 10)));
        var (w, h) = Svg.Measure(figure.Root);
        // a cell is 40 × (30 + caption 15); the column 40 × (2·45 + 5); the row 40 + 10 + 40 wide; the panel adds 2·8 and a title of 18
        Assert.Equal((40 + 10 + 40 + 16, 95 + 16 + 18), (w, h));
        var svg = Svg.Render(figure);
        // the panel's content starts at (margin 12 + padding 8, margin 12 + title 16 + 8 + padding 8 + panel title 18) =
        // (20, 62); the column is one cell and a gap to the right, its second cell one cell (45) and a gap (5) lower
        Assert.Contains("<image x=\"70\" y=\"112\"", svg);
        Assert.StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"", svg);
    }
}

public class HtmlTests
{
    [Fact]
    public void Page_IsWellFormed_SelfContained_Deterministic_AndCarriesEveryDetail()
    {
        var pixel = new Lucid.Imaging.Image(2, 2, 3);
        var figure = new Figure("a & b", new Row(new FigureElement[]
        {
            new ImageCell(pixel, 20, 20) { Id = "one", Details = "first\nline two <x>" },
            new Text("t") { Id = "two", Details = "second" },
        }));
        var html = Html.Render("report \"1\"", new[] { figure, figure with { Title = "again" } });
        Assert.Equal(html, Html.Render("report \"1\"", new[] { figure, figure with { Title = "again" } }));
        var document = System.Xml.Linq.XDocument.Parse(html);                 // well-formed (XHTML syntax)
        XNamespace svg = "http://www.w3.org/2000/svg";
        var details = document.Descendants().Select(e => (string?)e.Attribute("data-details")).Where(d => d is not null).ToList();
        Assert.Equal(new[] { "first\nline two <x>", "second", "first\nline two <x>", "second" }, details);   // newlines survive the attribute
        Assert.Equal(2, document.Descendants(svg + "svg").Count());
        // nothing is fetched: the only URLs are XML namespaces
        Assert.DoesNotContain(Regex.Matches(html, "(?:src|href)=\"(?!data:)[^\"]*\"").Select(m => m.Value), v => true);
        Assert.Contains("addEventListener('mouseenter'", html);
    }
}
