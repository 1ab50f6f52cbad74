using System.Diagnostics;

namespace Lucid.Testing;

/// <summary>What poppler-utils reads out of a PDF (Debian's poppler-utils, which .ci/run installs).</summary>
public static class Pdf
{
    public const string TextTool = "/usr/bin/pdftotext";

    /// <summary>The text of every page, as pdftotext extracts it.</summary>
    public static string Text(string path) => Run(TextTool, path, "-");

    /// <summary>pdfimages -list: one line per embedded image (after two header lines).</summary>
    public static string Images(string path) => Run("/usr/bin/pdfimages", "-list", path);

    private static string Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text;
    }
}
