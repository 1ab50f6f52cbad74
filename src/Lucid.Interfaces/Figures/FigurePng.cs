using System.Diagnostics;
using Lucid.Imaging;

namespace Lucid.Interfaces.Figures;

/// <summary>
/// Figures as PNG. With a headless Chromium on the machine (<see cref="Browser"/>), the figure's SVG is screenshotted —
/// text, links and all. Without one, <see cref="Rasterize"/> draws it with the library alone: every image cell at its
/// displayed size (nearest-neighbour), panel frames, colour legends and flow links, but no text (that needs fonts).
/// Both write atomically.
/// </summary>
public static class FigurePng
{
    /// <summary>A headless Chromium: <c>$LUCID_CHROMIUM</c>, then Debian's chromium-headless-shell or chromium; null if none.</summary>
    public static string? Browser() =>
        new[] { Environment.GetEnvironmentVariable("LUCID_CHROMIUM"), "/usr/bin/chromium-headless-shell", "/usr/bin/chromium", "/usr/bin/google-chrome" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    /// <summary>Writes the figure as a PNG: a browser screenshot when one is present and allowed, else <see cref="Rasterize"/>. Returns whether the browser drew it.</summary>
    public static bool Save(Figure figure, string path, bool useBrowser = true)
    {
        var browser = useBrowser ? Browser() : null;
        if (browser is null)
        {
            Rasterize(figure).SavePng(path);
            return false;
        }
        var (width, height, _, _) = Svg.Canvas(figure);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}");
        try
        {
            File.WriteAllText(stem + ".svg", Svg.Render(figure));
            Screenshot(browser, "file://" + stem + ".svg", stem + ".png", width, height);
            File.Move(stem + ".png", full, overwrite: true);
        }
        finally
        {
            File.Delete(stem + ".svg");
            File.Delete(stem + ".png");
        }
        return true;
    }

    /// <summary>Screenshots a page (an SVG or HTML file URL) at <paramref name="width"/> × <paramref name="height"/> CSS pixels into <paramref name="png"/>.</summary>
    public static void Screenshot(string browser, string url, string png, int width, int height, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(browser) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1", "--default-background-color=ffffffff",
                     $"--window-size={width},{height}", $"--screenshot={png}", url })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new LucidException($"figure: could not start the browser '{browser}'.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new LucidException($"figure: the browser '{browser}' did not finish a screenshot of {url} within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds:0} s.");
        }
        _ = stdout.Result;
        var errors = stderr.Result;
        if (process.ExitCode != 0 || !File.Exists(png))
            throw new LucidException($"figure: the browser '{browser}' failed to screenshot {url} (exit code {process.ExitCode}): {errors.Split('\n').FirstOrDefault(l => l.Length > 0)}");
    }

    /// <summary>The figure drawn by the library alone (no text): deterministic, the same size as its SVG.</summary>
    public static Image Rasterize(Figure figure)
    {
        var (width, height, x, y) = Svg.Canvas(figure);
        var canvas = new Image(width, height, 3);
        Array.Fill(canvas.Pixels, (byte)255);
        Draw(canvas, figure.Root, x, y);
        return canvas;
    }

    private static void Draw(Image canvas, FigureElement element, int x, int y)
    {
        switch (element)
        {
            case Row r:
                foreach (var child in r.Children) { Draw(canvas, child, x, y); x += Svg.Measure(child).Width + r.Gap; }
                break;
            case Column c:
                foreach (var child in c.Children) { Draw(canvas, child, x, y); y += Svg.Measure(child).Height + c.Gap; }
                break;
            case Panel p:
            {
                var (w, h) = Svg.Measure(p);
                Frame(canvas, x, y, w, h, (0xcc, 0xcc, 0xcc));
                var (dx, dy) = Svg.PanelContentOffset;
                Draw(canvas, p.Content, x + dx, y + dy);
                break;
            }
            case ImageCell i:
                Blit(canvas, i.Image, x, y, i.Width, i.Height);
                break;
            case ColorLegend l:
                for (int px = 0; px < l.Width; px++)
                {
                    var colour = l.Map[l.Width == 1 ? 0 : px / (double)(l.Width - 1)];
                    for (int py = 0; py < l.Height; py++) Set(canvas, x + px, y + py, colour);
                }
                break;
            case Flow f:
            {
                int sourceHeight = Svg.Measure(new Row(f.Sources)).Height, targetTop = y + sourceHeight + f.Gap;
                var from = Svg.FlowCentres(f.Sources, x);
                var to = Svg.FlowCentres(f.Targets, x);
                double max = 0;
                foreach (var w in f.Weights) max = Math.Max(max, Math.Abs(w));
                for (int i = 0; i < f.Sources.Count; i++)
                    for (int j = 0; j < f.Targets.Count; j++)
                    {
                        double weight = f.Weights[i, j];
                        if (max == 0 || weight == 0) continue;
                        Line(canvas, from[i], y + sourceHeight + 2, to[j], targetTop - 2, 6 * Math.Abs(weight) / max, weight > 0 ? Red : Blue);
                    }
                Draw(canvas, new Row(f.Sources), x, y);
                Draw(canvas, new Row(f.Targets), x, targetTop);
                break;
            }
        }
    }

    private static readonly (byte, byte, byte) Red = (0xd6, 0x27, 0x28), Blue = (0x1f, 0x77, 0xb4);

    private static void Set(Image canvas, int x, int y, (byte R, byte G, byte B) colour)
    {
        if (x < 0 || y < 0 || x >= canvas.Width || y >= canvas.Height) return;
        int k = (y * canvas.Width + x) * 3;
        canvas.Pixels[k] = colour.R;
        canvas.Pixels[k + 1] = colour.G;
        canvas.Pixels[k + 2] = colour.B;
    }

    private static void Frame(Image canvas, int x, int y, int w, int h, (byte, byte, byte) colour)
    {
        for (int i = 0; i < w; i++) { Set(canvas, x + i, y, colour); Set(canvas, x + i, y + h - 1, colour); }
        for (int i = 0; i < h; i++) { Set(canvas, x, y + i, colour); Set(canvas, x + w - 1, y + i, colour); }
    }

    /// <summary>Draws the image scaled to w × h by nearest neighbour (grey images as grey, alpha composited on white).</summary>
    private static void Blit(Image canvas, Image image, int x, int y, int w, int h)
    {
        int ch = image.Channels;
        for (int py = 0; py < h; py++)
            for (int px = 0; px < w; px++)
            {
                int sy = py * image.Height / h, sx = px * image.Width / w;
                byte r = image[sy, sx, 0], g = ch >= 3 ? image[sy, sx, 1] : r, b = ch >= 3 ? image[sy, sx, 2] : r;
                if (ch is 2 or 4)
                {
                    int a = image[sy, sx, ch - 1];
                    r = (byte)((r * a + 255 * (255 - a)) / 255);
                    g = (byte)((g * a + 255 * (255 - a)) / 255);
                    b = (byte)((b * a + 255 * (255 - a)) / 255);
                }
                Set(canvas, x + px, y + py, (r, g, b));
            }
    }

    /// <summary>A straight line of the given width (at least one pixel), by distance to the segment.</summary>
    private static void Line(Image canvas, int x0, int y0, int x1, int y1, double width, (byte, byte, byte) colour)
    {
        double half = Math.Max(0.5, width / 2), dx = x1 - x0, dy = y1 - y0, length2 = dx * dx + dy * dy;
        int left = (int)Math.Floor(Math.Min(x0, x1) - half), right = (int)Math.Ceiling(Math.Max(x0, x1) + half);
        int top = (int)Math.Floor(Math.Min(y0, y1) - half), bottom = (int)Math.Ceiling(Math.Max(y0, y1) + half);
        for (int py = top; py <= bottom; py++)
            for (int px = left; px <= right; px++)
            {
                double t = length2 == 0 ? 0 : Math.Clamp(((px - x0) * dx + (py - y0) * dy) / length2, 0, 1);
                double ex = px - (x0 + t * dx), ey = py - (y0 + t * dy);
                if (ex * ex + ey * ey <= half * half) Set(canvas, px, py, colour);
            }
    }
}
