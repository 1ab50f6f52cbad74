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
            bool before = LibTorchInProcess();
            using var probe = global::TorchSharp.torch.zeros(1);
            LoadedBeforeLucid = before;
            NativeDefaults();
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or NotSupportedException or DllNotFoundException or EntryPointNotFoundException)
        {
            return new TorchSharpLoadException(Explain(e), e);
        }
    }

    /// <summary>
    /// libtorch settings Lucid makes when it loads libtorch (Linux and macOS; C++ entry points of at::Context and the
    /// process environment, set natively before oneDNN reads it):
    /// <list type="bullet">
    /// <item><b>oneDNN at AVX2.</b> libtorch 2.10's oneDNN 3.7.1 computes wrong input gradients of batched convolutions
    /// whose output channels do not fill its SIMD blocks — 16 channels with AVX-512, 8 with AVX2. Measured here: a 3×3
    /// convolution 3 → 4 channels on [2, 3, 8, 8] gives a batched input gradient summing to 146.7 where each item's own
    /// gradients sum to 281.5; with AVX-512 also 5 → 8 channels (and the first call on two threads NaN). Batch 1 is
    /// right; libtorch's own convolution is right everywhere but 3–12× slower on batches. Capping oneDNN at AVX2
    /// (<c>ONEDNN_MAX_CPU_ISA</c>, where the user has not set it) keeps it right for every network whose convolutions
    /// have multiples of 8 output channels — torchvision's ResNets and GoogLeNet (whose 24- and 48-channel branches
    /// AVX-512 gets wrong) — and <see cref="Guard"/> turns oneDNN off for a module that has another kind of
    /// convolution. <c>TorchRuntimeTests</c> compares batched input gradients with each item's own.</item>
    /// <item><b>NNPACK off where it cannot run.</b> Where cpuinfo cannot read the CPU (containers), libtorch tries NNPACK
    /// on every convolution and warns "Could not initialize NNPACK! Reason: Unsupported hardware." each time.</item>
    /// </list>
    /// </summary>
    private static void NativeDefaults()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        try
        {
            if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported && Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") is null
                && Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA") is null)
            {
                Environment.SetEnvironmentVariable("ONEDNN_MAX_CPU_ISA", "AVX2");
                _ = setenv("ONEDNN_MAX_CPU_ISA", "AVX2", 0);
            }
            var context = GlobalContext();
            if (!NnpackAvailable()) SetUserEnabledNnpack(context, false);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv(string name, string value, int overwrite);

    /// <summary>Whether the process ran libtorch before Lucid loaded it (oneDNN may then have read its ISA already).</summary>
    internal static bool LoadedBeforeLucid { get; private set; }

    private static bool LibTorchInProcess()
    {
        try { return File.ReadAllText("/proc/self/maps").Contains("libtorch_cpu.so", StringComparison.Ordinal); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// The output-channel block oneDNN's convolutions fill: 8 when it runs at AVX2 (Lucid's cap, or a machine without
    /// AVX-512), 16 when it may run at AVX-512 — the cap set by someone else, or libtorch loaded before Lucid could set it.
    /// </summary>
    internal static int OneDnnChannelBlock
    {
        get
        {
            if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return 8;
            string? isa = Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA");
            bool capped = isa is not null && (isa.Equals("AVX2", StringComparison.OrdinalIgnoreCase) || isa.StartsWith("SSE", StringComparison.OrdinalIgnoreCase)
                || isa.Equals("AVX", StringComparison.OrdinalIgnoreCase) || isa.Equals("AVX2_VNNI", StringComparison.OrdinalIgnoreCase));
            return capped && !LoadedBeforeLucid ? 8 : 16;
        }
    }

    /// <summary>Why oneDNN was turned off (a module's convolution it computes wrong), or null while it is on.</summary>
    public static string? OneDnnOffBecause { get; private set; }

    /// <summary>
    /// Turns libtorch's oneDNN convolutions off when <paramref name="module"/> has a convolution oneDNN 3.7.1 differentiates
    /// wrong in batches (output channels not a multiple of its block — 8 at AVX2, 16 where it may run AVX-512 — or grouped); called by <see cref="TorchModels.Wrap"/> and
    /// <see cref="TorchModel.Create"/>. The switch is process-wide: libtorch's own convolution is then used for every module.
    /// </summary>
    public static void Guard(global::TorchSharp.torch.nn.Module module, string model)
    {
        EnsureLoaded();
        foreach (var (name, m) in module.named_modules())
        {
            int block = OneDnnChannelBlock;
            if (m is not global::TorchSharp.Modules.Conv2d conv || conv.out_channels % block == 0 && conv.groups == 1) continue;
            if (UseOneDnn)
            {
                UseOneDnn = false;
                OneDnnOffBecause = $"model '{model}': convolution '{name}' has {conv.out_channels} output channels{(conv.groups == 1 ? "" : $" in {conv.groups} groups")}, which libtorch 2.10's oneDNN differentiates wrong in batches (block {block})";
            }
            return;
        }
    }

    /// <summary>Whether libtorch may use oneDNN for convolutions (<see cref="Guard"/> turns it off for modules it would get wrong).</summary>
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
