using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using static Lucid.Benchmarks.BenchmarkCases;

namespace Lucid.Benchmarks;

/// <summary>
/// Runs our suites with BenchmarkDotNet and the same cases in PyTorch (peer/torch_peer.py), then prints
/// <c>case | ours ms | torch ms | torch/ours</c> (above 1 means we are faster) with the acceptance summary.
/// </summary>
public static class SideBySide
{
    public static int Run(string[] args)
    {
        string python = Environment.GetEnvironmentVariable("LUCID_PEER_PYTHON") ?? "/usr/bin/python3";
        string? outFile = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault();
        Quick = args.Contains("--quick");

        // Each group is measured next to its peer: ours, then PyTorch's, before the next group. The VM's speed changes
        // over minutes (a shared host throttles sustained load), so a comparison is fair only between neighbours.
        // Groups: engine (GEMM, convolutions, Adam, inception-mini), resnet18, googlenet, torchsharp (TorchSharp's engine
        // cases and torchvision's resnet18). --only g1,g2 runs those; --real-only drops engine, --no-real resnet18 and
        // googlenet, --torchsharp-only is --only torchsharp, --no-torchsharp every TorchSharp measurement except GoogLeNet's (the network is built in TorchSharp).
        var only = args.Contains("--torchsharp-only") ? new HashSet<string> { "torchsharp" }
            : args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',').ToHashSet();
        bool Group(string name, bool dropped) => only?.Contains(name) ?? !dropped;
        bool engineGroup = Group("engine", args.Contains("--real-only")), resnetGroup = Group("resnet18", args.Contains("--no-real")),
            googlenetGroup = Group("googlenet", args.Contains("--no-real")), torchSharpGroup = Group("torchsharp", args.Contains("--no-torchsharp"));
        bool torchSharpColumns = !args.Contains("--no-torchsharp");
        bool avx512Off = Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0" || Environment.GetEnvironmentVariable("DOTNET_EnableAVX512F") == "0";
        if ((torchSharpGroup || googlenetGroup || resnetGroup && torchSharpColumns) && avx512Off && Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") is null)
            Console.Error.WriteLine("note: AVX-512 is off for us, but TorchSharp's libtorch in this process reads its ISA cap at load: "
                + "export ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 before the run to compare the AVX2 paths.");
        void Round(Dictionary<string, double> ours, Dictionary<string, double> torch, Dictionary<string, long> allocated, Dictionary<string, double> torchSharp)
        {
            if (engineGroup)
            {
                var (attribution, _) = RunOurs(typeof(AttributionBenchmarks));
                foreach (var (k, v) in RunTorch(python, "torch_attribution.py")) torch[k] = v;
                var (render, _) = RunOurs(typeof(RenderBenchmarks));
                foreach (var (k, v) in RunTorch(python, "torch_render.py")) torch[k] = v;
                var (engine, engineAllocated) = RunOurs(typeof(GemmBenchmarks), typeof(ConvBenchmarks), typeof(TrainingStepBenchmarks));
                foreach (var (k, v) in engine) ours[k] = v;
                foreach (var (k, v) in engineAllocated) allocated[k] = v;
                foreach (var (k, v) in RunTorch(python, "torch_peer.py")) torch[k] = v;
                foreach (var (k, v) in attribution) ours[k] = v;      // listed last, as before
                foreach (var (k, v) in render) ours[k] = v;
            }
            if (resnetGroup)
            {
                // ML.NET's ResNet-18 at 224²: the peer runs the same ONNX file's weights and first checks its output against ours
                var (real, realAllocated) = RunOurs(typeof(ResNet18Benchmarks), typeof(ResNet18RenderBenchmarks), typeof(ResNet18AttributionBenchmarks));
                // and TorchSharp on the same ONNX file's nodes and weights (no LRP there: TorchSharp has no rules of its own)
                if (torchSharpColumns && Lucid.TorchSharp.TorchRuntime.IsAvailable)
                    Split(RunOurs(typeof(TorchSharpResNet18Benchmarks), typeof(TorchSharpResNet18RenderBenchmarks), typeof(TorchSharpResNet18AttributionBenchmarks)).Medians, real, torchSharp);
                var check = WriteCheck();
                try { foreach (var (k, v) in RunTorch(python, "torch_resnet18.py", $"\"{Lucid.Models.ResNet18.FindFile()}\" \"{check}\"")) torch[k] = v; }
                finally { File.Delete(check); }
                foreach (var (k, v) in real) ours[k] = v;
                foreach (var (k, v) in realAllocated) allocated[k] = v;
                foreach (int batch in new[] { 1, 4 })
                    SteadyAllocated[$"render step 224x224 resnet18 b{batch}"] = ResNet18RenderBenchmarks.SteadyStepBytes(batch);
            }
            // torchvision's GoogLeNet with one set of weights in all three engines (built in TorchSharp, so it needs it)
            if (googlenetGroup)
            {
                if (!Lucid.TorchSharp.TorchRuntime.IsAvailable)
                    Console.Error.WriteLine($"GoogLeNet cases not run (the network is built in TorchSharp): {Lucid.TorchSharp.TorchRuntime.FailureReason}");
                else
                {
                    var (measured, measuredAllocated) = RunOurs(typeof(GoogLeNetBenchmarks), typeof(GoogLeNetRenderBenchmarks), typeof(GoogLeNetAttributionBenchmarks));
                    var prefix = GoogLeNetPeer.WriteForPeer();
                    try { foreach (var (k, v) in RunTorch(python, "torch_googlenet.py", $"\"{prefix}\"")) torch[k] = v; }
                    finally { GoogLeNetPeer.Delete(prefix); }
                    Split(measured, ours, torchSharp);
                    foreach (var (k, v) in measuredAllocated) if (!k.StartsWith(TorchSharpPrefix, StringComparison.Ordinal)) allocated[k] = v;
                }
            }
            // TorchSharp (libtorch 2.10) in this process, next to our engine cases and on torchvision's resnet18 in both engines
            if (torchSharpGroup)
            {
                if (!Lucid.TorchSharp.TorchRuntime.IsAvailable)
                    Console.Error.WriteLine($"TorchSharp peer not run: {Lucid.TorchSharp.TorchRuntime.FailureReason}");
                else
                {
                    if (!engineGroup) foreach (var (k, v) in RunOurs(typeof(GemmBenchmarks), typeof(ConvBenchmarks)).Medians) ours[k] = v;
                    var (measured, _) = RunOurs(typeof(TorchSharpGemmBenchmarks), typeof(TorchSharpConvBenchmarks), typeof(TorchvisionResNet18Benchmarks), typeof(TorchSharpRenderBenchmarks), typeof(TorchSharpAttributionBenchmarks));
                    Split(measured, ours, torchSharp);
                }
            }
        }

        // --rounds R: the groups R times over, each of ours next to its peer; a case's ms are the medians over the rounds and
        // its ratio the median of the rounds' own ratios, so a slow spell of the host moves both sides of a ratio at once
        int rounds = int.TryParse(args.SkipWhile(a => a != "--rounds").Skip(1).FirstOrDefault(), out var r) && r > 1 ? r : 1;
        var perRound = new List<(Dictionary<string, double> Ours, Dictionary<string, double> Torch, Dictionary<string, double> TorchSharp)>();
        var allocated = new Dictionary<string, long>();
        for (int round = 0; round < rounds; round++)
        {
            var (o, t, ts) = (new Dictionary<string, double>(), new Dictionary<string, double>(), new Dictionary<string, double>());
            Round(o, t, allocated, ts);
            perRound.Add((o, t, ts));
            if (rounds > 1) Console.Error.WriteLine($"round {round + 1} of {rounds} done");
        }
        var ours = MedianOver(perRound.Select(x => x.Ours));
        var torch = MedianOver(perRound.Select(x => x.Torch));
        var torchSharp = MedianOver(perRound.Select(x => x.TorchSharp));
        Dictionary<string, double>? ratios = null;
        if (rounds > 1)
            ratios = MedianOver(perRound.Select(x => x.Ours.Where(kv => x.Torch.ContainsKey(kv.Key)).ToDictionary(kv => kv.Key, kv => x.Torch[kv.Key] / kv.Value)));
        var report = Format(ours, torch, allocated, torchSharp, ratios, rounds);
        Console.WriteLine(report);
        if (outFile is not null)
        {
            var tmp = outFile + ".tmp";
            File.WriteAllText(tmp, report);
            File.Move(tmp, outFile, overwrite: true);
        }
        return 0;
    }

    /// <summary>Per key, the median of its values over the dictionaries that have it (the mean of the middle two when even).</summary>
    private static Dictionary<string, double> MedianOver(IEnumerable<Dictionary<string, double>> runs)
    {
        var values = new Dictionary<string, List<double>>();
        foreach (var run in runs)
            foreach (var (k, v) in run)
            {
                if (!values.TryGetValue(k, out var list)) values[k] = list = new List<double>();
                list.Add(v);
            }
        return values.ToDictionary(kv => kv.Key, kv =>
        {
            var sorted = kv.Value.Order().ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        });
    }

    /// <summary>Managed bytes per steady-state step of the renders that report them (the last round's).</summary>
    private static readonly Dictionary<string, double> SteadyAllocated = new();

    /// <summary>--quick: one warm-up and three iterations per case — to check the wiring, not for numbers.</summary>
    private static bool Quick;

    /// <summary>Cases named with the TorchSharp prefix go to TorchSharp's column under the same case's name, the rest to ours.</summary>
    private static void Split(Dictionary<string, double> measured, Dictionary<string, double> ours, Dictionary<string, double> torchSharp)
    {
        foreach (var (k, v) in measured)
        {
            if (k.StartsWith(TorchSharpPrefix, StringComparison.Ordinal)) torchSharp[k[TorchSharpPrefix.Length..]] = v;
            else ours[k] = v;
        }
    }

    private static (Dictionary<string, double> Medians, Dictionary<string, long> Allocated) RunOurs(params Type[] suites)
    {
        var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(Quick ? 1 : 3).WithIterationCount(Quick ? 3 : 10).WithLaunchCount(1).WithId("side-by-side");
        var config = ManualConfig.CreateEmpty().AddJob(job).AddLogger(BenchmarkDotNet.Loggers.NullLogger.Instance)
            .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
            .WithOptions(ConfigOptions.DisableLogFile);
        var results = new Dictionary<string, double>();
        var allocated = new Dictionary<string, long>();
        foreach (var summary in suites.Select(suite => BenchmarkRunner.Run(suite, config)))
        {
            foreach (var report in summary.Reports)
            {
                if (report.ResultStatistics is null) continue;
                results[Name(report)] = report.ResultStatistics.Median / 1e6;
                if (report.BenchmarkCase.Config.HasMemoryDiagnoser() && report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) is { } bytes)
                    allocated[Name(report)] = bytes;
            }
        }
        return (results, allocated);
    }

    private static string Name(BenchmarkReport report)
    {
        var b = report.BenchmarkCase;
        string Param(string n) => b.Parameters.Items.First(p => p.Name == n).Value.ToString()!;
        if (b.Descriptor.Type == typeof(TorchSharpGemmBenchmarks)) return $"{TorchSharpPrefix}sgemm {Param("Case")}";
        if (b.Descriptor.Type == typeof(TorchSharpConvBenchmarks))
            return $"{TorchSharpPrefix}conv {(b.Descriptor.WorkloadMethod.Name == "Forward" ? "fwd" : "fwd+bwd")} b{Param("Batch")} {Param("Case")}";
        if (b.Descriptor.Type == typeof(TorchvisionResNet18Benchmarks))
        {
            string method = b.Descriptor.WorkloadMethod.Name;
            return $"{(method.StartsWith("TorchSharp", StringComparison.Ordinal) ? TorchSharpPrefix : "")}torchvision resnet18 {(method.EndsWith("InputGradient", StringComparison.Ordinal) ? "fwd+input grad" : "fwd")} b{Param("Batch")}";
        }
        if (b.Descriptor.Type == typeof(GoogLeNetBenchmarks) || b.Descriptor.Type == typeof(GoogLeNetRenderBenchmarks) || b.Descriptor.Type == typeof(GoogLeNetAttributionBenchmarks))
        {
            string method = b.Descriptor.WorkloadMethod.Name;
            string engine = method.StartsWith("TorchSharp", StringComparison.Ordinal) ? TorchSharpPrefix : "";
            string work = method[(engine.Length > 0 ? "TorchSharp".Length : "Ours".Length)..];
            return engine + work switch
            {
                "Forward" => $"googlenet fwd b{Param("Batch")}",
                "ForwardInputGradient" => $"googlenet fwd+input grad b{Param("Batch")}",
                "RenderStep" => $"render step 224x224 googlenet b{Param("Batch")}",
                "LrpEpsilonPlusFlat" => "lrp epsilon-plus-flat googlenet b1",
                "IntegratedGradients50" => "ig 50 steps googlenet b1",
                var other => other,
            };
        }
        if (b.Descriptor.Type == typeof(TorchSharpResNet18Benchmarks))
            return $"{TorchSharpPrefix}resnet18 {(b.Descriptor.WorkloadMethod.Name == "Forward" ? "fwd" : "fwd+input grad")} b{Param("Batch")}";
        if (b.Descriptor.Type == typeof(TorchSharpResNet18RenderBenchmarks)) return $"{TorchSharpPrefix}render step 224x224 resnet18 b{Param("Batch")}";
        if (b.Descriptor.Type == typeof(TorchSharpResNet18AttributionBenchmarks)) return $"{TorchSharpPrefix}ig 50 steps resnet18 b1";
        if (b.Descriptor.Type == typeof(TorchSharpRenderBenchmarks))
            return b.Descriptor.WorkloadMethod.Name switch
            {
                "OursOnImported" => "render step 224x224 torchvision resnet18 b1",
                "OursOnWrapped" => "render step 224x224 torchvision resnet18 b1, our loop on TorchModels.Wrap",
                "OursNative" => "render step 224x224 torchvision resnet18 b1, our loop native in TorchSharp (TorchRender)",
                _ => TorchSharpPrefix + "render step 224x224 torchvision resnet18 b1",
            };
        if (b.Descriptor.Type == typeof(TorchSharpAttributionBenchmarks))
            return b.Descriptor.WorkloadMethod.Name switch
            {
                "LrpImported" => "lrp epsilon-plus-flat torchvision resnet18 layer3.1 b1, imported",
                "LrpNative" => "lrp epsilon-plus-flat torchvision resnet18 layer3.1 b1, native TorchSharp",
                "IntegratedGradients16Wrapped" => "ig 16 steps torchvision resnet18 b1, TorchModels.Wrap",
                _ => "ig 16 steps torchvision resnet18 b1, native TorchSharp",
            };
        return b.Descriptor.WorkloadMethod.Name switch
        {
            "RenderStep" when b.Descriptor.Type == typeof(ResNet18RenderBenchmarks) => $"render step 224x224 resnet18 b{Param("Batch")}",
            "Forward" when b.Descriptor.Type == typeof(ResNet18Benchmarks) => $"resnet18 fwd b{Param("Batch")}",
            "ForwardInputGradient" => $"resnet18 fwd+input grad b{Param("Batch")}",
            "LrpEpsilonPlusFlat" when b.Descriptor.Type == typeof(ResNet18AttributionBenchmarks) => "lrp epsilon-plus-flat resnet18 b1",
            "IntegratedGradients50" when b.Descriptor.Type == typeof(ResNet18AttributionBenchmarks) => "ig 50 steps resnet18 b1",
            "Sgemm" => $"sgemm {Param("Case")}",
            "Forward" => $"conv fwd b{Param("Batch")} {Param("Case")}",
            "ForwardBackward" => $"conv fwd+bwd b{Param("Batch")} {Param("Case")}",
            "AdamStep" => $"adam step small CNN b{TrainingBatch}",
            "IntegratedGradients50" => "ig 50 steps inception-mini b1",
            "LrpEpsilonPlusFlat" => "lrp epsilon-plus-flat inception-mini b1",
            "RenderStep" => $"render step {Param("Size")}x{Param("Size")} inception-mini",
            var other => other,
        };
    }

    /// <summary>Pixels [1, 3, 224, 224] and our ResNet-18 features [1, 512, 1, 1] for the peer's equality check (float32 file).</summary>
    private static string WriteCheck()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lucid-resnet18-check-{Environment.ProcessId}.bin");
        using var scope = Lucid.Tensors.Tensor.Scope();
        using var _ = Lucid.Tensors.Autograd.GradMode.NoGrad();
        var pixels = RealNetwork.Pixels(1, seed: 3);
        var features = RealNetwork.ResNet18Model.Forward(pixels);
        var data = pixels.ToArray().Concat(features.ToArray()).ToArray();
        var bytes = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    internal static Dictionary<string, double> RunTorch(string python, string scriptName, string arguments = "")
    {
        var script = Path.Combine(AppContext.BaseDirectory, "peer", scriptName);
        var psi = new ProcessStartInfo(python, $"\"{script}\" {arguments}") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["OMP_NUM_THREADS"] = "2";
        psi.Environment["OPENBLAS_NUM_THREADS"] = "2";
        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0" || Environment.GetEnvironmentVariable("DOTNET_EnableAVX512F") == "0")
        {
            // AVX-512 switched off for us (to measure the AVX2 path on an AVX-512 host): the peer's oneDNN and OpenBLAS too
            psi.Environment["ONEDNN_MAX_CPU_ISA"] = "AVX2";
            psi.Environment["DNNL_MAX_CPU_ISA"] = "AVX2";
            psi.Environment["OPENBLAS_CORETYPE"] = "Haswell";
        }
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEnd();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                Console.Error.WriteLine($"PyTorch peer failed (exit {p.ExitCode}): {stderr.Trim()}");
                return new();
            }
            return JsonSerializer.Deserialize<Dictionary<string, double>>(stdout) ?? new();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.Error.WriteLine($"PyTorch peer not run: cannot start '{python}' ({e.Message}). Install python3-torch and libopenblas0-pthread.");
            return new();
        }
    }

    private const string TorchSharpPrefix = "torchsharp: ";

    private static string Format(Dictionary<string, double> ours, Dictionary<string, double> torch, Dictionary<string, long> allocated, Dictionary<string, double> torchSharp,
        Dictionary<string, double>? ratios = null, int rounds = 1)
    {
        // the plain TorchSharp render loop is the peer of both of our loops
        if (torchSharp.TryGetValue("render step 224x224 torchvision resnet18 b1", out var plain))
        {
            torchSharp["render step 224x224 torchvision resnet18 b1, our loop on TorchModels.Wrap"] = plain;
            torchSharp["render step 224x224 torchvision resnet18 b1, our loop native in TorchSharp (TorchRender)"] = plain;
        }
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"Lucid.Dsl vs PyTorch {(torch.Count > 0 ? "" : "(peer unavailable) ")}— {Environment.ProcessorCount} cores, AVX-512 {(System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? "yes" : "no")}, GEMM kernel {Lucid.Tensors.Kernels.Gemm.KernelName}, convolution {Lucid.Tensors.Kernels.Gemm.ConvolutionPath}, {DateTime.UtcNow:yyyy-MM-dd}");
        sb.AppendLine();
        bool ts = torchSharp.Count > 0;
        if (ts) sb.AppendLine("TorchSharp 0.107 (libtorch 2.10) measured in this process with BenchmarkDotNet, next to our engine.");
        if (rounds > 1) sb.AppendLine(string.Create(inv, $"{rounds} rounds, each group of ours next to its peer: ms are medians over the rounds, torch/ours the median of the rounds' own ratios."));
        sb.AppendLine(ts ? "| case | ours ms | torch ms | torch/ours | TorchSharp ms | TorchSharp/ours |" : "| case | ours ms | torch ms | torch/ours |");
        sb.AppendLine(ts ? "|---|---:|---:|---:|---:|---:|" : "|---|---:|---:|---:|");
        var tsRatios = new List<double>();
        var convRatios = new List<double>();
        var allRatios = new List<(string Name, double Ratio)>();
        foreach (var (name, ms) in ours)
        {
            string t = "—", ratio = "—";
            if (torch.TryGetValue(name, out var tm))
            {
                t = tm.ToString("F3", inv);
                double r = ratios is not null && ratios.TryGetValue(name, out var rr) ? rr : tm / ms;
                ratio = r.ToString("F2", inv);
                if (name.StartsWith("conv fwd+bwd", StringComparison.Ordinal)) convRatios.Add(r);
                allRatios.Add((name, r));
            }
            string extra = name.StartsWith("sgemm", StringComparison.Ordinal) ? $" ({GemmFlops(name) / ms / 1e6:F0} GFLOP/s)" : "";
            string tsColumns = "";
            if (ts)
            {
                tsColumns = torchSharp.TryGetValue(name, out var tsm) ? string.Create(inv, $" {tsm:F3} | {tsm / ms:F2} |") : " — | — |";
                if (torchSharp.ContainsKey(name)) tsRatios.Add(tsm / ms);
            }
            sb.AppendLine(string.Create(inv, $"| {name} | {ms:F3}{extra} | {t} | {ratio} |{tsColumns}"));
        }
        if (convRatios.Count > 0)
        {
            convRatios.Sort();
            double median = convRatios.Count % 2 == 1 ? convRatios[convRatios.Count / 2] : (convRatios[convRatios.Count / 2 - 1] + convRatios[convRatios.Count / 2]) / 2;
            sb.AppendLine();
            sb.AppendLine(string.Create(inv, $"conv2d forward+backward: median torch/ours {median:F2}, worst {convRatios[0]:F2} over {convRatios.Count} cases."));
        }
        if (allRatios.Count > 0)
        {
            var sorted = allRatios.OrderBy(r => r.Ratio).ToList();
            double median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2].Ratio : (sorted[sorted.Count / 2 - 1].Ratio + sorted[sorted.Count / 2].Ratio) / 2;
            sb.AppendLine(string.Create(inv, $"All cases: median torch/ours {median:F2}; {sorted.Count(r => r.Ratio >= 1)} of {sorted.Count} at ≥ 1.0; slowest {sorted[0].Name} ({sorted[0].Ratio:F2})."));
        }
        if (tsRatios.Count > 0)
        {
            tsRatios.Sort();
            double median = tsRatios.Count % 2 == 1 ? tsRatios[tsRatios.Count / 2] : (tsRatios[tsRatios.Count / 2 - 1] + tsRatios[tsRatios.Count / 2]) / 2;
            sb.AppendLine(string.Create(inv, $"Against TorchSharp: median TorchSharp/ours {median:F2}; {tsRatios.Count(r => r >= 1)} of {tsRatios.Count} at ≥ 1.0."));
        }
        foreach (var (name, bytes) in allocated)
        {
            string steady = SteadyAllocated.TryGetValue(name, out var perStep)
                ? string.Create(inv, $"; a steady-state step {perStep / 1024.0:F1} KiB (steps 5–20 of a render, between its progress reports: without the render's setup)")
                : "";
            sb.AppendLine(string.Create(inv, $"{name}: {bytes / 1024.0:F1} KiB allocated per operation on the managed heap{steady}."));
        }
        return sb.ToString();
    }

    private static double GemmFlops(string name)
    {
        var dims = name["sgemm ".Length..].Split('x').Select(int.Parse).ToArray();
        return 2.0 * dims[0] * dims[1] * dims[2];
    }
}
