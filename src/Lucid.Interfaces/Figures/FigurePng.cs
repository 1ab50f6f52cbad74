using System.Diagnostics;
using Lucid.Imaging;

namespace Lucid.Interfaces.Figures;

/// <summary>
/// Figures as PNG: drawn by Skia with the embedded DejaVu Sans (<see cref="FigureSkia"/>) — text, images, frames,
/// legends and links — on every machine, deterministically, written atomically. <see cref="Browser"/> and
/// <see cref="Screenshot"/> remain for pages (the interactive report's browser tests).
/// </summary>
public static class FigurePng
{
    /// <summary>A headless Chromium: <c>$LUCID_CHROMIUM</c>, then Debian's chromium-headless-shell or chromium; null if none.</summary>
    public static string? Browser() =>
        new[] { Environment.GetEnvironmentVariable("LUCID_CHROMIUM"), "/usr/bin/chromium-headless-shell", "/usr/bin/chromium", "/usr/bin/google-chrome" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    /// <summary>Writes the figure as a PNG at <paramref name="scale"/> pixels per SVG unit (2: print resolution).</summary>
    public static void Save(Figure figure, string path, float scale = 1f) => FigureSkia.SavePng(figure, path, scale);

    /// <summary>The figure as an RGB image, the size of its SVG times <paramref name="scale"/>.</summary>
    public static Image Rasterize(Figure figure, float scale = 1f) => FigureSkia.Rasterize(figure, scale);

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
}
