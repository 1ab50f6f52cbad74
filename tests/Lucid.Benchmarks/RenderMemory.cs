using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Lucid.Models;
using Lucid.Models.Graph;
using Lucid.Optvis;

namespace Lucid.Benchmarks;

/// <summary>
/// <c>render-memory [--batch 4] [--steps 8]</c>: the peak resident set of a Lucid-style render of ResNet-18 at 224²
/// (the <see cref="ResNet18RenderBenchmarks"/> render: Fourier + decorrelated image, Lucid's standard transforms,
/// channel 17 of layer3.1, Adam) in this process, next to the PyTorch peer's in its own process. Each side reports its
/// resident set once the network is loaded (baseline) and its high-water mark after the steps (/proc/self/status), so
/// the render's own memory is the difference. Then the managed allocation of a steady-state step, by BenchmarkDotNet
/// (<see cref="ResNet18RenderAllocationBenchmarks"/>). Neither is a speed: they do not depend on the machine's load.
/// </summary>
public static class RenderMemory
{
    public static int Run(string[] args)
    {
        int batch = Option(args, "--batch", 4), steps = Option(args, "--steps", 8);
        var model = ResNet18.Load(preview: false);
        var objective = Objectives.Channel(RealNetwork.Tap, RealNetwork.Channel);
        using var image = new LucidImage(224, batch: batch, seed: 1);
        GC.Collect();
        double baseline = Resident("VmRSS");
        Renderer.Render(model, objective, image, new RenderOptions { Steps = steps, Seed = 1, RedirectRelu = false }).Image.Dispose();
        double peak = Resident("VmHWM");
        string python = Environment.GetEnvironmentVariable("LUCID_PEER_PYTHON") ?? "/usr/bin/python3";
        var torch = SideBySide.RunTorch(python, "torch_resnet18.py", $"--render-memory \"{ResNet18.FindFile()}\" {batch} {steps}");
        Console.WriteLine($"render of ResNet-18 at 224², batch {batch}, {steps} steps — {Environment.ProcessorCount} cores, AVX-512 {(System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? "yes" : "no")}, {DateTime.UtcNow:yyyy-MM-dd}");
        Console.WriteLine("| process | resident after loading MiB | peak MiB | render's own MiB |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| Lucid.Dsl | {baseline:F0} | {peak:F0} | {peak - baseline:F0} |");
        if (torch.TryGetValue("baseline MiB", out var tb) && torch.TryGetValue("peak MiB", out var tp))
            Console.WriteLine($"| PyTorch 1.13 | {tb:F0} | {tp:F0} | {tp - tb:F0} |");
        else
            Console.WriteLine("| PyTorch 1.13 | — | — | (peer unavailable) |");

        var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(2).WithIterationCount(4).WithLaunchCount(1).WithId("allocation");
        var config = ManualConfig.CreateEmpty().AddJob(job).AddLogger(BenchmarkDotNet.Loggers.NullLogger.Instance)
            .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray()).WithOptions(ConfigOptions.DisableLogFile);
        var perRender = new Dictionary<int, double>();
        foreach (var report in BenchmarkRunner.Run<ResNet18RenderAllocationBenchmarks>(config).Reports)
            if (report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) is { } bytes)
                perRender[(int)report.BenchmarkCase.Parameters["Steps"]] = bytes;
        if (perRender.TryGetValue(ResNet18RenderAllocationBenchmarks.Short, out var few) && perRender.TryGetValue(ResNet18RenderAllocationBenchmarks.Long, out var many))
        {
            double step = (many - few) / (ResNet18RenderAllocationBenchmarks.Long - ResNet18RenderAllocationBenchmarks.Short);
            Console.WriteLine($"managed allocation (BenchmarkDotNet, batch 1): a render of {ResNet18RenderAllocationBenchmarks.Short} steps {few / 1024:F0} KiB, of {ResNet18RenderAllocationBenchmarks.Long} steps {many / 1024:F0} KiB: "
                + $"{step / 1024:F1} KiB per steady-state step, {(few - ResNet18RenderAllocationBenchmarks.Short * step) / 1024:F0} KiB per render (image, optimizer state, logs)");
        }
        return 0;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) && v > 0 ? v : fallback;
    }

    private static double Resident(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }
}

/// <summary>
/// Whole renders of ResNet-18 at 224², batch 1 (the <see cref="ResNet18RenderBenchmarks"/> render), of two lengths: the
/// difference of their managed allocations over the difference of their steps is a steady-state step's allocation,
/// free of what a render allocates once (its image, Adam's state, the logs).
/// </summary>
[MemoryDiagnoser]
public class ResNet18RenderAllocationBenchmarks
{
    public const int Short = 8, Long = 40;
    private Model _model = null!;
    private LucidImage _image = null!;
    private Objective _objective = null!;

    [Params(Short, Long)]
    public int Steps { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _model = RealNetwork.ResNet18Model;
        _image = new LucidImage(224, batch: 1, seed: 1);
        _objective = Objectives.Channel(RealNetwork.Tap, RealNetwork.Channel);
    }

    [Benchmark]
    public void Render() =>
        Renderer.Render(_model, _objective, _image, new RenderOptions { Steps = Steps, Seed = 1, RedirectRelu = false }).Image.Dispose();
}
