using System.Diagnostics;
using Lucid.Imaging;
using Lucid.Interfaces.Figures;
using Xunit;

namespace Lucid.Interfaces.Tests;

/// <summary>
/// The interactive page in a real browser (Debian's chromium-headless-shell, which .ci/run installs): pointing at an
/// element highlights it and shows its data in the side panel; leaving restores the panel.
/// </summary>
public class BrowserTests
{
    private static string? Browser() =>
        new[] { Environment.GetEnvironmentVariable("LUCID_CHROMIUM"), "/usr/bin/chromium-headless-shell", "/usr/bin/chromium" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    [Fact]
    public async Task Hover_ShowsTheElementsDetails_AndLeavingRestoresThePanel()
    {
        var browser = Browser();
        if (browser is null)
        {
            // a user's bare machine may lack a browser; under CI it is installed, and missing it fails the run
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", "CI: chromium-headless-shell is missing (.ci/run installs it)");
            return;
        }
        var figure = new Figure("hover", new Row(new FigureElement[]
        {
            new ImageCell(new Image(2, 2, 3), 40, 40, "a") { Id = "cell-a", Details = "alpha: 1.00\nsecond line" },
            new ImageCell(new Image(2, 2, 3), 40, 40, "b") { Id = "cell-b", Details = "beta" },
        }));
        var html = Html.Render("browser test", new[] { figure });
        // after the page's own script: point at cell b, record the panel, leave it, point at cell a, and dump the DOM
        var probe = """
            <script>
            //<![CDATA[
            var b = document.getElementById('f0-cell-b'), a = document.getElementById('f0-cell-a'), panel = document.getElementById('details');
            b.dispatchEvent(new MouseEvent('mouseenter'));
            var shownB = panel.textContent, litB = b.classList.contains('lucid-hover');
            b.dispatchEvent(new MouseEvent('mouseleave'));
            var restored = panel.textContent, unlitB = !b.classList.contains('lucid-hover');
            a.dispatchEvent(new MouseEvent('mouseenter'));
            document.body.setAttribute('data-probe', JSON.stringify({ shownB: shownB, litB: litB, restored: restored, unlitB: unlitB, shownA: panel.textContent }));
            //]]>
            </script>
            </body>
            """;
        var path = Path.Combine(Path.GetTempPath(), $"lucid-browser-{Guid.NewGuid():N}.html");
        File.WriteAllText(path, html.Replace("</body>", probe));
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
            using var result = System.Text.Json.JsonDocument.Parse(System.Net.WebUtility.HtmlDecode(probeJson));
            var r = result.RootElement;
            Assert.Equal("beta", r.GetProperty("shownB").GetString());
            Assert.True(r.GetProperty("litB").GetBoolean());
            Assert.Equal("Point at a cell to see the data behind it.", r.GetProperty("restored").GetString());
            Assert.True(r.GetProperty("unlitB").GetBoolean());
            Assert.Equal("alpha: 1.00\nsecond line", r.GetProperty("shownA").GetString());
        }
        finally { File.Delete(path); }
    }
}
