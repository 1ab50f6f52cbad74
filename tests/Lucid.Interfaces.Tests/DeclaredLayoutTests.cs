using Lucid.Dsl;
using Lucid.Imaging;
using Lucid.Interfaces.Figures;
using Xunit;

namespace Lucid.Interfaces.Tests;

[LucidModel("models/inception-mini/inception-mini.schema.json")]
static partial class MiniBinding;

/// <summary>A layout compiled by the generator (checked against the schema when this project builds).</summary>
[Interface(typeof(MiniBinding), Title = "Two panels side by side, one below", IconSteps = 8)]
[NeuronGroupsPanel("mixed4a", Groups = 3, Row = 5), ChannelAttributionPanel("mixed4a", Top = 2, Class = "checkered star", Row = 5)]
[SpatialAttributionPanel("mixed3b", "mixed4a")]
partial class SmallLayout;

/// <summary>A declared <c>[Interface]</c> layout, run end to end: its parts, its one-figure layout, and its files.</summary>
public class DeclaredLayoutTests
{
    [Fact]
    public void DeclaredLayout_WritesEveryPanelAndTheLayout_WithUniqueIds()
    {
        var model = InceptionMini.Model;
        using var image = InceptionMini.Scene(4, 8, 7);
        Assert.Equal(new[] { 0, 0, 1 }, SmallLayout.Rows);
        var directory = Path.Combine(Path.GetTempPath(), $"lucid-layout-{Guid.NewGuid():N}");
        try
        {
            var page = SmallLayout.Write(model, image, directory, seed: 2);
            Assert.Equal(Path.Combine(directory, "index.html"), page);
            var files = Directory.GetFiles(directory).Select(Path.GetFileName).Order().ToArray();
            Assert.Equal(new[]
            {
                "channel-attribution-mixed4a.png", "channel-attribution-mixed4a.svg", "index.html", "layout.png", "layout.svg",
                "neuron-groups-mixed4a.png", "neuron-groups-mixed4a.svg", "spatial-attribution-mixed3b-mixed4a.png", "spatial-attribution-mixed3b-mixed4a.svg",
            }, files);
            // the layout's PNG is its SVG's size; its ids are unique although every panel has an "input"
            var layout = SmallLayout.Layout(model, image, seed: 2);
            var (width, height, _, _) = Svg.Canvas(layout);
            var png = Image.LoadPng(Path.Combine(directory, "layout.png"));
            Assert.Equal((width, height), (png.Width, png.Height));
            var ids = FigureIds.All(layout.Root).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.Contains("p0-input", ids);
            Assert.Contains("p2-input", ids);
            // panels 0 and 1 share the first row: one row of two panels above a row of one
            var rows = Assert.IsType<Column>(layout.Root).Children.Cast<Row>().ToList();
            Assert.Equal(new[] { 2, 1 }, rows.Select(r => r.Children.Count));
            Assert.Equal(Svg.Render(layout), File.ReadAllText(Path.Combine(directory, "layout.svg")));
            Assert.Contains("checkered star", Svg.Render(SmallLayout.Parts(model, image, seed: 2)[1].Figure));
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    [Fact]
    public void DeclaredLayout_RefusesAnImageOfTheWrongSize()
    {
        using var wrong = Lucid.Tensors.Tensor.Zeros(1, 3, 32, 32);
        var e = Assert.Throws<ShapeMismatchException>(() => SmallLayout.Parts(InceptionMini.Model, wrong));
        Assert.Equal("interfaces: model 'inception-mini' takes one image [1, 3, 64, 64], got [1, 3, 32, 32].", e.Message);
    }

    [Fact]
    public void Rasterize_DrawsImageCellsWhereTheSvgPlacesThem_AndIsDeterministic()
    {
        var red = new Image(2, 2, 3, Enumerable.Repeat(new byte[] { 255, 0, 0 }, 4).SelectMany(x => x).ToArray());
        var blue = new Image(1, 1, 3, new byte[] { 0, 0, 255 });
        var figure = new Figure("t", new Row(new FigureElement[] { new ImageCell(red, 10, 10), new ImageCell(blue, 6, 6) }, Gap: 4));
        var raster = FigurePng.Rasterize(figure);
        var (width, height, x, y) = Svg.Canvas(figure);
        Assert.Equal((width, height), (raster.Width, raster.Height));
        Assert.Equal((255, 0, 0), (raster[y + 5, x + 5, 0], raster[y + 5, x + 5, 1], raster[y + 5, x + 5, 2]));
        Assert.Equal((0, 0, 255), (raster[y + 3, x + 14 + 3, 0], raster[y + 3, x + 14 + 3, 1], raster[y + 3, x + 14 + 3, 2]));
        Assert.Equal((255, 255, 255), (raster[y + 8, x + 14 + 3, 0], raster[y + 8, x + 14 + 3, 1], raster[y + 8, x + 14 + 3, 2]));   // below the 6-pixel blue cell
        Assert.Equal(raster.Pixels, FigurePng.Rasterize(figure).Pixels);
    }

    [Fact]
    public void NotebookHtml_IsSelfContained_AndTwoFiguresKeepTheirOwnIds()
    {
        var cell = new Image(2, 2, 3);
        var figure = new Figure("f", new Row(new FigureElement[] { new ImageCell(cell, 8, 8) { Id = "a", Details = "alpha" } }));
        string first = figure.ToHtml(), second = figure.ToHtml();
        var firstId = System.Text.RegularExpressions.Regex.Match(first, "id=\"(lucid-\\d+)\"").Groups[1].Value;
        var secondId = System.Text.RegularExpressions.Regex.Match(second, "id=\"(lucid-\\d+)\"").Groups[1].Value;
        Assert.NotEqual(firstId, secondId);
        Assert.Contains($"id=\"{firstId}-a\"", first);
        Assert.Contains("data-details=\"alpha\"", first);
        Assert.Contains($"getElementById('{firstId}')", first);
        // nothing fetched: the only URLs are XML namespaces and data URIs
        Assert.DoesNotMatch("(src|href)=\"http", first);
        Assert.StartsWith("<img width=\"8\" height=\"8\"", cell.ToHtml());
        Assert.Contains("data:image/png;base64,", cell.ToHtml());
    }
}
