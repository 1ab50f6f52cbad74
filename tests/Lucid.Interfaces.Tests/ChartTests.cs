using Lucid.Interfaces.Figures;
using Lucid.Optvis;
using Lucid.Testing;
using Xunit;

namespace Lucid.Interfaces.Tests;

/// <summary>Charts (ScottPlot through Skia, embedded font): the plotted series are the computed numbers; PNG, SVG and PDF.</summary>
public class ChartTests
{
    [Fact]
    public void ObjectiveChart_PlotsTheRendersObjectiveAndTerms()
    {
        var render = Renderer.Render(InceptionMini.Model, Objectives.Channel("mixed4a", 3).Named("unit") - 1e-3 * Objectives.TotalVariation().Named("smooth"),
            new LucidImage(64, seed: 2), RenderOptions.ForSmallInput(64) with { Steps = 12, Seed = 2 });
        render.Image.Dispose();
        var chart = Plots.Objective(render.ObjectivePerStep, render.TermsPerStep, "a render");
        Assert.Equal(render.ObjectivePerStep.Select(v => (double)v), chart.Series[0].Y);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (double)i), chart.Series[0].X);
        Assert.Equal(new[] { "objective", "smooth", "unit" }, chart.Series.Select(s => s.Name));
        Assert.Equal(render.TermsPerStep["unit"].Select(v => (double)v), chart.Series.Single(s => s.Name == "unit").Y);
    }

    private static Chart Fixed() => Plots.Lines("deletion curves", "pixels removed", "logit", new[]
    {
        ("LRP (AUC 0.31)", new[] { 0.0, 0.25, 0.5, 0.75, 1.0 }, new[] { 4.0, 2.0, 1.0, 0.5, 0.2 }),
        ("gradient (AUC 0.52)", new[] { 0.0, 0.25, 0.5, 0.75, 1.0 }, new[] { 4.0, 3.0, 2.5, 1.5, 0.4 }),
    }, width: 480, height: 320);

    [Fact]
    public void Chart_Png_IsDeterministic_AndMatchesItsSnapshot()
    {
        var image = Fixed().Rasterize();
        Assert.Equal((480, 320), (image.Width, image.Height));
        Assert.Equal(image.Pixels, Fixed().Rasterize().Pixels);
        Snapshot.VerifyImage(image, "deletion-chart");
    }

    [RequiresDataFact(Pdf.TextTool, "poppler-utils")]
    public void Chart_PdfAndSvg_CarryTheirText()
    {
        var pdf = Path.Combine(Path.GetTempPath(), $"lucid-chart-{Guid.NewGuid():N}.pdf");
        var svg = Path.ChangeExtension(pdf, ".svg");
        try
        {
            Fixed().Save(pdf);
            Fixed().Save(svg);
            var text = Pdf.Text(pdf);
            foreach (var expected in new[] { "deletion curves", "pixels removed", "LRP (AUC 0.31)" }) Assert.Contains(expected, text);
            Assert.Contains("deletion curves", File.ReadAllText(svg));
        }
        finally { File.Delete(pdf); File.Delete(svg); }
    }

    [Fact]
    public void Chart_ToHtml_IsAnInlineSvgForNotebooks()
    {
        var html = Fixed().ToHtml();
        Assert.StartsWith("<div class=\"lucid-chart\"", html);
        Assert.Contains("<svg", html);
        Assert.Contains("deletion curves", html);
    }

    [Fact]
    public void LogAxes_RefuseNonPositiveValues_AndUnknownExtensionsAreRefused()
    {
        var e = Assert.Throws<Lucid.LucidArgumentException>(() => Plots.Lines("s", "f", "p", new[] { ("x", new[] { 1.0, 2.0 }, new[] { 1.0, -1.0 }) }, logY: true));
        Assert.Contains("positive", e.Message);
        Assert.Contains("must end in .png, .svg or .pdf", Assert.Throws<Lucid.LucidArgumentException>(() => Fixed().Save("chart.gif")).Message);
    }
}
