using System.Diagnostics;
using Lucid.Imaging;
using Lucid.Interfaces.Figures;
using Lucid.Testing;
using Xunit;

namespace Lucid.Interfaces.Tests;

/// <summary>
/// The interactive page in a real browser (Debian's chromium-headless-shell, which .ci/run installs): pointing at an
/// element highlights it and shows its data in the side panel; leaving restores the panel.
/// </summary>
public class BrowserTests
{
    /// <summary>The browser, or null on a user's bare machine (under CI it is installed, and missing it fails the run).</summary>
    private static string? Browser()
    {
        var browser = FigurePng.Browser();
        Assert.False(browser is null && Environment.GetEnvironmentVariable("CI") == "true", "CI: chromium-headless-shell is missing (.ci/run installs it)");
        return browser;
    }

    /// <summary>Loads the page with the probe script appended and returns the JSON the probe left in body[data-probe].</summary>
    private static async Task<System.Text.Json.JsonElement> Probe(string browser, string html, string probe)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lucid-browser-{Guid.NewGuid():N}.html");
        File.WriteAllText(path, html.Replace("</body>", "<script>\n//<![CDATA[\n" + probe + "\n//]]>\n</script>\n</body>"));
        try
        {
            var start = new ProcessStartInfo(browser) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + path }) start.ArgumentList.Add(arg);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            var dom = await stdout;
            await stderr;
            var probeJson = System.Text.RegularExpressions.Regex.Match(dom, "data-probe=\"([^\"]*)\"").Groups[1].Value;
            Assert.False(string.IsNullOrEmpty(probeJson), "the page's DOM holds no probe result:\n" + dom[..Math.Min(2000, dom.Length)]);
            return System.Text.Json.JsonDocument.Parse(System.Net.WebUtility.HtmlDecode(probeJson)).RootElement.Clone();
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public async Task Hover_ShowsTheElementsDetails_AndLeavingRestoresThePanel()
    {
        var browser = Browser();
        if (browser is null) return;
        var figure = new Figure("hover", new Row(new FigureElement[]
        {
            new ImageCell(new Image(2, 2, 3), 40, 40, "a") { Id = "cell-a", Details = "alpha: 1.00\nsecond line" },
            new ImageCell(new Image(2, 2, 3), 40, 40, "b") { Id = "cell-b", Details = "beta" },
        }));
        var html = Html.Render("browser test", new[] { figure });
        // after the page's own script: point at cell b, record the panel, leave it, point at cell a
        var r = await Probe(browser, html, """
            var b = document.getElementById('f0-cell-b'), a = document.getElementById('f0-cell-a'), panel = document.getElementById('details');
            b.dispatchEvent(new MouseEvent('mouseenter'));
            var shownB = panel.textContent, litB = b.classList.contains('lucid-hover');
            b.dispatchEvent(new MouseEvent('mouseleave'));
            var restored = panel.textContent, unlitB = !b.classList.contains('lucid-hover');
            a.dispatchEvent(new MouseEvent('mouseenter'));
            document.body.setAttribute('data-probe', JSON.stringify({ shownB: shownB, litB: litB, restored: restored, unlitB: unlitB, shownA: panel.textContent }));
            """);
        Assert.Equal("beta", r.GetProperty("shownB").GetString());
        Assert.True(r.GetProperty("litB").GetBoolean());
        Assert.Equal("Point at a cell to see the data behind it.", r.GetProperty("restored").GetString());
        Assert.True(r.GetProperty("unlitB").GetBoolean());
        Assert.Equal("alpha: 1.00\nsecond line", r.GetProperty("shownA").GetString());
    }

    /// <summary>
    /// The real interfaces of a two-object scene (activation grid and semantic dictionary at mixed4a, few icon steps):
    /// pointing at a grid cell shows that position's semantic dictionary — its strongest channels, the same as the
    /// dictionary's entry — and highlights that position in the dictionary; pointing at another cell changes it; the page with a cell pointed at matches its
    /// screenshot snapshot within a tolerance.
    /// </summary>
    [Fact]
    public async Task HoveringAGridCell_ShowsItsSemanticDictionary_AndThePageMatchesItsScreenshot()
    {
        var browser = Browser();
        if (browser is null) return;
        var model = InceptionMini.Model;
        using var image = InceptionMini.Scene(4, 8, 7);
        var grid = Panels.ActivationGrid(model, image, "mixed4a", steps: 16, seed: 1);
        var dictionary = SemanticDictionary.Of(model, image, "mixed4a", Panels.ClassTarget(model, image, null));
        var html = Html.Render("Activation grid and semantic dictionary", new[] { grid.Figure, dictionary.ToFigure(model, image, iconSteps: 16, seed: 1) });
        const string hover = """
            var panel = document.getElementById('details');
            var first = document.getElementById('f0-cell-1-2'), second = document.getElementById('f0-cell-3-0');
            second.dispatchEvent(new MouseEvent('mouseenter'));
            var shownSecond = panel.textContent;
            second.dispatchEvent(new MouseEvent('mouseleave'));
            var position = document.getElementById('f1-position-1-2'), other = document.getElementById('f1-position-3-0');
            var linkedSecond = other.classList.contains('lucid-linked');
            first.dispatchEvent(new MouseEvent('mouseenter'));
            document.body.setAttribute('data-probe', JSON.stringify({ first: panel.textContent, second: shownSecond, linkedSecond: linkedSecond,
              linkedFirst: position.classList.contains('lucid-linked'), otherAfter: other.classList.contains('lucid-linked') }));
            """;
        var r = await Probe(browser, html, hover);
        var shown = r.GetProperty("first").GetString()!;
        var entry = dictionary.Entries.Single(e => e.Y == 1 && e.X == 2);
        Assert.StartsWith("position (1, 2) of mixed4a", shown);
        Assert.Contains($"strongest channels:\nchannel {entry.Channels[0]}: ", shown);
        Assert.All(entry.Channels, c => Assert.Contains($"channel {c}: ", shown));
        Assert.StartsWith("position (3, 0) of mixed4a", r.GetProperty("second").GetString());
        Assert.NotEqual(shown, r.GetProperty("second").GetString());
        // the same position in the dictionary lights up with the grid cell, and goes dark when the pointer leaves
        Assert.True(r.GetProperty("linkedFirst").GetBoolean());
        Assert.False(r.GetProperty("linkedSecond").GetBoolean());
        Assert.False(r.GetProperty("otherAfter").GetBoolean());

        var page = Path.Combine(Path.GetTempPath(), $"lucid-screenshot-{Guid.NewGuid():N}.html");
        var png = Path.ChangeExtension(page, ".png");
        File.WriteAllText(page, html.Replace("</body>", "<script>\n//<![CDATA[\n" + hover + "\n//]]>\n</script>\n</body>"));
        try
        {
            FigurePng.Screenshot(browser, "file://" + page, png, 1280, 900);
            Snapshot.VerifyImage(Lucid.Imaging.Image.LoadPng(png), "grid-and-dictionary");
        }
        finally
        {
            File.Delete(page);
            File.Delete(png);
        }
    }

    /// <summary>
    /// The real network's page under a real mouse (Playwright driving Debian's Chromium): resnet18's activation grid and
    /// semantic dictionary of the bundled photo at layer4.1 (7×7, icons rendered on the network itself). Moving the
    /// pointer onto a grid cell shows that position's strongest channels in the side panel and lights the same position
    /// in the dictionary; moving it away restores the panel. The same page with its hover script cut out shows nothing —
    /// the check that this test proves the page's logic, not the test's.
    /// </summary>
    [Fact]
    public async Task OnResNet18AndAPhoto_ARealPointerOnAGridCell_ShowsItsChannels()
    {
        var browser = Browser();
        if (browser is null) return;
        var model = Lucid.Models.ResNet18.Load();
        using var image = Lucid.Imaging.Photo.Load(Path.Combine(TestPaths.RepositoryRoot(), "models", "resnet18", "demo-photo.jpg"), 224);
        var grid = Panels.ActivationGrid(model, image, "layer4.1", steps: 4, seed: 1);
        var dictionary = SemanticDictionary.Of(model, image, "layer4.1", Panels.ClassTarget(model, image, null));
        var html = Html.Render("resnet18: activation grid and semantic dictionary", new[] { grid.Figure, dictionary.ToFigure(model, image, iconSteps: 4, seed: 1) });
        var entry = dictionary.Entries.Single(e => e.Y == 3 && e.X == 2);

        var live = await Point(browser, html);
        Assert.StartsWith("position (3, 2) of layer4.1", live.Shown);
        Assert.All(entry.Channels, c => Assert.Contains($"channel {c}: ", live.Shown));
        Assert.True(live.Linked, "the dictionary's (3, 2) is not lit while the pointer is on the grid cell");
        Assert.False(live.OtherLinked);
        Assert.DoesNotContain("position (3, 2)", live.AfterLeaving);

        int start = html.IndexOf("<script>", StringComparison.Ordinal), end = html.IndexOf("</script>", start, StringComparison.Ordinal) + "</script>".Length;
        var inert = await Point(browser, html[..start] + html[end..]);
        Assert.DoesNotContain("position (3, 2)", inert.Shown);
        Assert.False(inert.Linked);
    }

    /// <summary>Opens the page, moves the mouse onto grid cell (3, 2), reads the panel and the highlights, then moves away.</summary>
    private static async Task<(string Shown, bool Linked, bool OtherLinked, string AfterLeaving)> Point(string browser, string html)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lucid-pointer-{Guid.NewGuid():N}.html");
        File.WriteAllText(path, html);
        try
        {
            using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
            await using var chromium = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = browser, Headless = true, Args = new[] { "--no-sandbox" } });
            var page = await chromium.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 1200 } });
            await page.GotoAsync("file://" + path);
            var cell = await page.QuerySelectorAsync("#f0-cell-3-2") ?? throw new InvalidOperationException("no grid cell (3, 2) on the page");
            await cell.ScrollIntoViewIfNeededAsync();
            var box = await cell.BoundingBoxAsync() ?? throw new InvalidOperationException("grid cell (3, 2) is not visible");
            await page.Mouse.MoveAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
            string shown = await page.InnerTextAsync("#details");
            bool linked = await page.EvalOnSelectorAsync<bool>("#f1-position-3-2", "e => e.classList.contains('lucid-linked')");
            bool other = await page.EvalOnSelectorAsync<bool>("#f1-position-0-6", "e => e.classList.contains('lucid-linked')");
            await page.Mouse.MoveAsync(2, 2);
            string after = await page.InnerTextAsync("#details");
            return (shown, linked, other, after);
        }
        finally { File.Delete(path); }
    }
}
