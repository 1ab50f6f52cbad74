using Lucid.Imaging;
using Lucid.Interfaces.Figures;
using Lucid.Testing;
using Xunit;

namespace Lucid.Interfaces.Tests;

/// <summary>
/// Figures drawn by Skia with the embedded font — no browser and no system font involved: PNG with text, a vector PDF
/// whose text reads back, both deterministic.
/// </summary>
public class FigureSkiaTests
{
    private static Figure Sample(string caption = "channel 17: 3.4")
    {
        var gradient = new Image(16, 16, 3);
        for (int y = 0; y < 16; y++) for (int x = 0; x < 16; x++) { gradient[y, x, 0] = (byte)(16 * x); gradient[y, x, 2] = (byte)(16 * y); }
        var content = new Column(new FigureElement[]
        {
            new Row(new FigureElement[] { new ImageCell(gradient, 64, 64, caption), new ImageCell(gradient, 32, 32, "small") }),
            new Text("neuron groups at layer4.1", 12, Bold: true),
            new ColorLegend(Colormap.Hot, "0", "1"),
        });
        return new Figure("Building Blocks of resnet18", new Panel("Semantic dictionary", content));
    }

    [Fact]
    public void Png_CarriesItsText_WhereTheSvgPutsIt()
    {
        var with = FigurePng.Rasterize(Sample());
        var without = FigurePng.Rasterize(Sample(caption: new string(' ', 15)));     // the same width in the layout, no glyphs
        var (width, height, x, y) = Svg.Canvas(Sample());
        Assert.Equal((width, height), (with.Width, with.Height));
        // the title's glyphs darken the top band; a caption's glyphs appear under its image cell and nowhere else
        Assert.Contains(Enumerable.Range(12, 200), px => with[20, px, 0] < 100);
        int captionTop = y + 8 + 18 + 64, changed = 0, outside = 0;
        for (int py = 0; py < with.Height; py++)
            for (int px = 0; px < with.Width; px++)
                if (with[py, px, 0] != without[py, px, 0])
                {
                    changed++;
                    if (py < captionTop || py > captionTop + 16) outside++;
                }
        Assert.True(changed > 50, $"{changed} pixels differ with a caption");
        Assert.True(outside == 0, $"{outside} differing pixels outside rows {captionTop}…{captionTop + 16}, e.g. rows {string.Join(", ", Enumerable.Range(0, with.Height).Where(py => Enumerable.Range(0, with.Width).Any(px => with[py, px, 0] != without[py, px, 0])).Take(40))}");
    }

    [Fact]
    public void Png_IsDeterministic_AndScales()
    {
        var figure = Sample();
        Assert.Equal(FigurePng.Rasterize(figure).Pixels, FigurePng.Rasterize(figure).Pixels);
        var twice = FigurePng.Rasterize(figure, 2f);
        var once = FigurePng.Rasterize(figure);
        Assert.Equal((2 * once.Width, 2 * once.Height), (twice.Width, twice.Height));
        Snapshot.VerifyImage(once, "figure-with-text");
    }

    [RequiresDataFact(Pdf.TextTool, "poppler-utils")]
    public void Pdf_IsVector_WithText_AndDeterministic()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lucid-figure-{Guid.NewGuid():N}.pdf");
        try
        {
            FigureSkia.SavePdf(Sample(), path);
            var bytes = File.ReadAllBytes(path);
            Assert.StartsWith("%PDF-", System.Text.Encoding.ASCII.GetString(bytes, 0, 5));
            var text = Pdf.Text(path);
            foreach (var expected in new[] { "Building Blocks of resnet18", "Semantic dictionary", "channel 17: 3.4", "small", "neuron groups at layer4.1" })
                Assert.Contains(expected, text);
            FigureSkia.SavePdf(Sample(), path);
            Assert.Equal(bytes, File.ReadAllBytes(path));
            // images are embedded losslessly (a JPEG-compressed 16×16 icon loses its colours)
            var images = Pdf.Images(path).Split('\n').Skip(2).Where(l => l.Trim().Length > 0).ToList();
            Assert.NotEmpty(images);
            Assert.All(images, l => Assert.DoesNotContain(" jpeg ", l));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void BadScale_IsRefusedByName() =>
        Assert.Contains("scale must lie in (0, 16]", Assert.Throws<Lucid.LucidArgumentException>(() => FigurePng.Rasterize(Sample(), 0f)).Message);
}
