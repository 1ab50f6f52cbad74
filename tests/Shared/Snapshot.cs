using System.Runtime.CompilerServices;
using System.Text;

namespace Lucid.Testing;

/// <summary>
/// Verify-style snapshots: <c>_snapshots/{Class}.{Method}#{name}.verified.{ext}</c> committed beside the tests; a
/// mismatch writes <c>.received.</c> beside it (git-ignored) and fails with the first differing line. Set
/// LUCID_ACCEPT_SNAPSHOTS=1 to accept the received text. Text is compared with LF line ends.
/// </summary>
public static class Snapshot
{
    /// <summary>
    /// An image snapshot (<c>.verified.png</c>) compared with a tolerance: same size, and at most
    /// <paramref name="maxDifferingFraction"/> of the pixels differ by more than <paramref name="threshold"/> levels in
    /// any channel (anti-aliasing and font hinting move a few edge pixels; a changed figure moves many).
    /// </summary>
    public static void VerifyImage(Lucid.Imaging.Image image, string name, double maxDifferingFraction = 0.002, int threshold = 24,
        [CallerFilePath] string file = "", [CallerMemberName] string method = "")
    {
        if (file.StartsWith("/_/", StringComparison.Ordinal)) file = Path.Combine(TestPaths.RepositoryRoot(), file[3..]);
        var directory = Path.Combine(Path.GetDirectoryName(file)!, "_snapshots");
        var stem = $"{Path.GetFileNameWithoutExtension(file)}.{method}#{name}";
        var verified = Path.Combine(directory, $"{stem}.verified.png");
        var received = Path.Combine(directory, $"{stem}.received.png");
        if (Environment.GetEnvironmentVariable("LUCID_ACCEPT_SNAPSHOTS") == "1")
        {
            image.SavePng(verified);
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        string? problem = null;
        if (!File.Exists(verified)) problem = $"No snapshot {verified}";
        else
        {
            var expected = Lucid.Imaging.Image.LoadPng(verified).WithChannels(3);
            var actual = image.WithChannels(3);
            if (expected.Width != actual.Width || expected.Height != actual.Height)
                problem = $"Snapshot {verified} is {expected.Width}×{expected.Height}, the image {actual.Width}×{actual.Height}";
            else
            {
                int differing = 0, pixels = actual.Width * actual.Height;
                for (int p = 0; p < pixels; p++)
                {
                    int worst = 0;
                    for (int c = 0; c < 3; c++) worst = Math.Max(worst, Math.Abs(expected.Pixels[p * 3 + c] - actual.Pixels[p * 3 + c]));
                    if (worst > threshold) differing++;
                }
                double fraction = differing / (double)pixels;
                if (fraction > maxDifferingFraction)
                    problem = $"Snapshot {verified}: {differing} of {pixels} pixels ({fraction:P2}) differ by more than {threshold} levels (tolerance {maxDifferingFraction:P2})";
            }
        }
        if (problem is null)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        image.SavePng(received);
        throw new Xunit.Sdk.XunitException($"{problem}; the image was written to {received} (LUCID_ACCEPT_SNAPSHOTS=1 accepts it).");
    }

    public static void Verify(string text, string name, string extension = "cs", [CallerFilePath] string file = "", [CallerMemberName] string method = "")
    {
        // under ContinuousIntegrationBuild the compiler maps source paths to "/_/": map them back to this checkout
        if (file.StartsWith("/_/", StringComparison.Ordinal)) file = Path.Combine(TestPaths.RepositoryRoot(), file[3..]);
        var directory = Path.Combine(Path.GetDirectoryName(file)!, "_snapshots");
        var stem = $"{Path.GetFileNameWithoutExtension(file)}.{method}#{name}";
        var verified = Path.Combine(directory, $"{stem}.verified.{extension}");
        var received = Path.Combine(directory, $"{stem}.received.{extension}");
        text = text.Replace("\r\n", "\n");
        if (Environment.GetEnvironmentVariable("LUCID_ACCEPT_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verified, text, new UTF8Encoding(false));
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        var expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : null;
        if (expected == text)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        Directory.CreateDirectory(directory);
        File.WriteAllText(received, text, new UTF8Encoding(false));
        if (expected is null) throw new Xunit.Sdk.XunitException($"No snapshot {verified}; the output was written to {received} (LUCID_ACCEPT_SNAPSHOTS=1 accepts it).");
        var a = expected.Split('\n');
        var b = text.Split('\n');
        int line = 0;
        while (line < Math.Min(a.Length, b.Length) && a[line] == b[line]) line++;
        throw new Xunit.Sdk.XunitException($"Snapshot {verified} differs at line {line + 1}:\n  verified: {(line < a.Length ? a[line] : "<end>")}\n  received: {(line < b.Length ? b[line] : "<end>")}\n(received written to {received}; LUCID_ACCEPT_SNAPSHOTS=1 accepts it).");
    }
}
