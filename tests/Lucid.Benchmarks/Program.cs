using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Lucid.Benchmarks;

public static class Program
{
    /// <summary>
    /// <c>side-by-side [--only groups] [--rounds R] [--out file.md]</c>: our suites and the PyTorch peer in one run, as a table
    /// (with <c>--rounds</c>, R rounds, each group next to its peer: medians over the rounds);
    /// <c>render-memory [--batch 4] [--steps 8]</c>: the batch-4 render's peak working set next to PyTorch's.
    /// Anything else goes to BenchmarkDotNet's switcher (e.g. <c>--filter *TrainingStep*</c>).
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "side-by-side") return SideBySide.Run(args[1..]);
        if (args.Length > 0 && args[0] == "render-memory") return RenderMemory.Run(args[1..]);
        var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }
}
