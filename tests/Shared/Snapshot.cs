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
