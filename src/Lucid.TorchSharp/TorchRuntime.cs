using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Lucid.Tensors;

namespace Lucid.TorchSharp;

/// <summary>TorchSharp's native library could not be loaded; the message says why and what to do.</summary>
public sealed class TorchSharpLoadException(string message, Exception inner) : LucidException(message, inner);

/// <summary>
/// Loads TorchSharp's natives once and, when that fails, reports the real reason. TorchSharp 0.107's shim
/// (libLibTorchSharp.so, built by GCC 15) needs libstdc++'s GLIBCXX_3.4.32; on older systems (Debian 12, Ubuntu 22.04)
/// TorchSharp itself says only that the application "doesn't contain a reference to libtorch-cpu-linux-x64".
/// </summary>
public static class TorchRuntime
{
    private static readonly Lazy<Exception?> Failure = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Whether TorchSharp's natives load on this machine.</summary>
    public static bool IsAvailable => Failure.Value is null;

    /// <summary>Why TorchSharp does not load here (null when it does).</summary>
    public static string? FailureReason => Failure.Value?.Message;

    /// <summary>Loads TorchSharp, or throws <see cref="TorchSharpLoadException"/> naming the cause.</summary>
    public static void EnsureLoaded()
    {
        if (Failure.Value is { } e) throw e;
    }

    private static Exception? TryLoad()
    {
        // known in advance to fail: say so without trying (a failed load makes TorchSharp copy ~478 MB of natives
        // beside the application on every run)
        if (MissingCxxAbi() is { } reason && !File.Exists(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", CompatLibrary))
            && !File.Exists(Path.Combine(AppContext.BaseDirectory, CompatLibrary)))
            return new TorchSharpLoadException(reason, new DllNotFoundException("libLibTorchSharp.so: version `GLIBCXX_3.4.32' not found"));
        try
        {
            using var probe = global::TorchSharp.torch.zeros(1);
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or NotSupportedException or DllNotFoundException or EntryPointNotFoundException)
        {
            return new TorchSharpLoadException(Explain(e), e);
        }
    }

    /// <summary>The libstdc++ version TorchSharp 0.107's shim needs.</summary>
    internal const string NeededCxxAbi = "GLIBCXX_3.4.32";

    /// <summary>The library scripts/torchsharp-compat.sh places beside the patched shim.</summary>
    internal const string CompatLibrary = "libLucidIosBaseInit.so";

    private static string Explain(Exception e)
    {
        var innermost = e;
        while (innermost.InnerException is not null) innermost = innermost.InnerException;
        return MissingCxxAbi() ?? $"TorchSharp does not load: {innermost.GetType().Name}: {innermost.Message}";
    }

    /// <summary>Why the shim cannot load as shipped on this system (null when libstdc++ is new enough, or not Linux x64).</summary>
    private static string? MissingCxxAbi()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || LibStdCxx() is not { } path) return null;
        var highest = HighestCxxAbi(File.ReadAllBytes(path));
        return highest is not null && CompareAbi(highest, NeededCxxAbi) < 0
            ? $"TorchSharp does not load: its native shim libLibTorchSharp.so needs {NeededCxxAbi} (libstdc++ of GCC 13 or later), " +
              $"and this system's {path} ends at {highest}. Run scripts/torchsharp-compat.sh from the Lucid.Dsl repository " +
              "(it patches the NuGet folder's copy once; nothing is needed on Debian 13 or Ubuntu 24.04), then remove the project's obj/ and build again."
            : null;
    }

    private static string? LibStdCxx()
    {
        foreach (var dir in new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib" })
        {
            var path = Path.Combine(dir, "libstdc++.so.6");
            if (File.Exists(path)) return path;
        }
        return null;
    }

    /// <summary>The highest GLIBCXX_3.4.N version string in a libstdc++ image (null when it has none).</summary>
    internal static string? HighestCxxAbi(byte[] image)
    {
        string? best = null;
        foreach (Match m in Regex.Matches(Encoding.Latin1.GetString(image), @"GLIBCXX_3\.4(\.\d+)?(?=\0)"))
            if (best is null || CompareAbi(m.Value, best) > 0) best = m.Value;
        return best;
    }

    /// <summary>Orders GLIBCXX_3.4[.N] strings by N (3.4 itself is N = 0).</summary>
    internal static int CompareAbi(string a, string b)
    {
        static int Minor(string v) => v.Count(c => c == '.') == 2 ? int.Parse(v[(v.LastIndexOf('.') + 1)..], System.Globalization.CultureInfo.InvariantCulture) : 0;
        return Minor(a).CompareTo(Minor(b));
    }
}
