using System.Diagnostics;

namespace Lucid.Testing;

/// <summary>Directory comparisons and the <c>lucid</c> tool as a process, for tests of resumable and sharded output.</summary>
public static class Files
{
    /// <summary>Every visible file under a directory (relative path with '/' → bytes); hidden temporaries excluded.</summary>
    public static SortedDictionary<string, byte[]> Tree(string directory) =>
        new(Directory.GetFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .ToDictionary(f => Path.GetRelativePath(directory, f).Replace('\\', '/'), File.ReadAllBytes), StringComparer.Ordinal);

    /// <summary>The two directories hold the same files with the same bytes.</summary>
    public static void AssertSameTree(string expected, string actual)
    {
        var a = Tree(expected);
        var b = Tree(actual);
        Xunit.Assert.Equal(a.Keys, b.Keys);
        foreach (var (name, bytes) in a)
            Xunit.Assert.True(bytes.AsSpan().SequenceEqual(b[name]), $"{name} differs between {expected} and {actual}");
    }

    /// <summary>Starts <c>lucid.dll</c> (copied beside the tests by their project reference) with output drained.</summary>
    public static Process StartLucid(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lucid.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start lucid.dll");
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }
}
