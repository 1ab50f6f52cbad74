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

        // Each group is measured next to its peer: ours, then PyTorch's, before the next group. The VM's speed changes
        // over minutes (a shared host throttles sustained load), so a comparison is fair only between neighbours.
        var (attribution, _) = RunOurs(typeof(AttributionBenchmarks));
        var torch = RunTorch(python, "torch_attribution.py");
        var (render, _) = RunOurs(typeof(RenderBenchmarks));
        foreach (var (k, v) in RunTorch(python, "torch_render.py")) torch[k] = v;
        var (ours, allocated) = RunOurs(typeof(GemmBenchmarks), typeof(ConvBenchmarks), typeof(TrainingStepBenchmarks));
        foreach (var (k, v) in RunTorch(python, "torch_peer.py")) torch[k] = v;
        foreach (var (k, v) in attribution) ours[k] = v;      // listed last, as before
        foreach (var (k, v) in render) ours[k] = v;
        var report = Format(ours, torch, allocated);
        Console.WriteLine(report);
        if (outFile is not null)
        {
            var tmp = outFile + ".tmp";
            File.WriteAllText(tmp, report);
            File.Move(tmp, outFile, overwrite: true);
        }
        return 0;
    }

    private static (Dictionary<string, double> Medians, Dictionary<string, long> Allocated) RunOurs(params Type[] suites)
    {
        var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(3).WithIterationCount(10).WithLaunchCount(1).WithId("side-by-side");
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
        return b.Descriptor.WorkloadMethod.Name switch
        {
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

    private static Dictionary<string, double> RunTorch(string python, string scriptName)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "peer", scriptName);
        var psi = new ProcessStartInfo(python, $"\"{script}\"") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["OMP_NUM_THREADS"] = "2";
        psi.Environment["OPENBLAS_NUM_THREADS"] = "2";
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

    private static string Format(Dictionary<string, double> ours, Dictionary<string, double> torch, Dictionary<string, long> allocated)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"Lucid.Dsl vs PyTorch {(torch.Count > 0 ? "" : "(peer unavailable) ")}— {Environment.ProcessorCount} cores, GEMM kernel {Lucid.Tensors.Kernels.Gemm.KernelName}, {DateTime.UtcNow:yyyy-MM-dd}");
        sb.AppendLine();
        sb.AppendLine("| case | ours ms | torch ms | torch/ours |");
        sb.AppendLine("|---|---:|---:|---:|");
        var convRatios = new List<double>();
        foreach (var (name, ms) in ours)
        {
            string t = "—", ratio = "—";
            if (torch.TryGetValue(name, out var tm))
            {
                t = tm.ToString("F3", inv);
                double r = tm / ms;
                ratio = r.ToString("F2", inv);
                if (name.StartsWith("conv fwd+bwd", StringComparison.Ordinal)) convRatios.Add(r);
            }
            string extra = name.StartsWith("sgemm", StringComparison.Ordinal) ? $" ({GemmFlops(name) / ms / 1e6:F0} GFLOP/s)" : "";
            sb.AppendLine(string.Create(inv, $"| {name} | {ms:F3}{extra} | {t} | {ratio} |"));
        }
        if (convRatios.Count > 0)
        {
            convRatios.Sort();
            double median = convRatios.Count % 2 == 1 ? convRatios[convRatios.Count / 2] : (convRatios[convRatios.Count / 2 - 1] + convRatios[convRatios.Count / 2]) / 2;
            sb.AppendLine();
            sb.AppendLine(string.Create(inv, $"conv2d forward+backward: median torch/ours {median:F2}, worst {convRatios[0]:F2} over {convRatios.Count} cases."));
        }
        foreach (var (name, bytes) in allocated)
            sb.AppendLine(string.Create(inv, $"{name}: {bytes / 1024.0:F1} KiB allocated per operation on the managed heap."));
        return sb.ToString();
    }

    private static double GemmFlops(string name)
    {
        var dims = name["sgemm ".Length..].Split('x').Select(int.Parse).ToArray();
        return 2.0 * dims[0] * dims[1] * dims[2];
    }
}
