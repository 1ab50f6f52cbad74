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
            NativeDefaults();
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or NotSupportedException or DllNotFoundException or EntryPointNotFoundException)
        {
            return new TorchSharpLoadException(Explain(e), e);
        }
    }

    /// <summary>
    /// libtorch settings Lucid makes once libtorch has loaded (C++ entry points of at::Context, Linux and macOS):
    /// <list type="bullet">
    /// <item><b>oneDNN convolutions off.</b> libtorch 2.10's oneDNN 3.7.1 computes wrong input gradients of
    /// convolutions with batch &gt; 1 whose output channels do not fill its SIMD blocks (16 with AVX-512, 8 with AVX2):
    /// measured here, a 3×3 convolution 3 → 4 channels on [2, 3, 8, 8] gives a batched input gradient summing to 146.7
    /// where each item's own gradients sum to 281.5 (on AVX-512 also 5 → 8 channels, and the first call on two threads
    /// NaN). Batch 1 is right; libtorch's own convolution is right everywhere, and on ResNet-18 at 224² (forward +
    /// input gradient, batch 1) it is also faster here (186 ms against 237). <c>TorchRuntimeTests</c> checks the
    /// batched gradients against each item's. <see cref="UseOneDnn"/> turns oneDNN back on.</item>
    /// <item><b>NNPACK off where it cannot run.</b> Where cpuinfo cannot read the CPU (containers), libtorch tries NNPACK
    /// on every convolution and warns "Could not initialize NNPACK! Reason: Unsupported hardware." each time.</item>
    /// </list>
    /// </summary>
    private static void NativeDefaults()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        try
        {
            var context = GlobalContext();
            SetUserEnabledMkldnn(context, false);
            if (!NnpackAvailable()) SetUserEnabledNnpack(context, false);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    /// <summary>Whether libtorch may use oneDNN for convolutions (Lucid turns it off when it loads libtorch: see the remarks).</summary>
    /// <remarks>libtorch 2.10's oneDNN gives wrong input gradients of some batched convolutions (channels not filling its SIMD blocks).</remarks>
    public static bool UseOneDnn
    {
        get { EnsureLoaded(); return UserEnabledMkldnn(GlobalContext()); }
        set { EnsureLoaded(); SetUserEnabledMkldnn(GlobalContext(), value); }
    }

    private const string LibTorchCpu = "libtorch_cpu";

    [DllImport(LibTorchCpu, EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport(LibTorchCpu, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(LibTorchCpu, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledMkldnn(IntPtr context);

    [DllImport(LibTorchCpu, EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(LibTorchCpu, EntryPoint = "_ZN2at6native17_nnpack_availableEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool NnpackAvailable();

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
