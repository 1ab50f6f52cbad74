using System.Diagnostics;
using Lucid.Models;
using Lucid.Optvis;
using Lucid.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Lucid.Reliability.Tests;

/// <summary>A long render holds a flat managed heap and working set: nothing grows with the step count. (Alone: other
/// tests running beside it would move the process-wide numbers it reads.)</summary>
[Collection("alone")]
public class SoakTests(ITestOutputHelper output)
{
    private sealed class Sampler(List<(int Step, long Heap, long WorkingSet)> samples) : IProgress<RenderProgress>
    {
        public void Report(RenderProgress p)
        {
            if (p.Step % 500 != 0) return;
            long heap = GC.GetTotalMemory(forceFullCollection: true);
            using var self = Process.GetCurrentProcess();
            samples.Add((p.Step, heap, self.WorkingSet64));
        }
    }

    [Fact]
    public void AFiveThousandStepRender_HoldsAFlatHeapAndWorkingSet()
    {
        var model = ModelFiles.LoadBesideSchema(TestPaths.InceptionMiniSchema);
        var samples = new List<(int Step, long Heap, long WorkingSet)>();
        var clock = Stopwatch.StartNew();
        using var image = new LucidImage(64, seed: 2);
        var result = Renderer.Render(model, Objectives.Channel("mixed4a", 40) - 1e-3 * Objectives.TotalVariation(), image,
            RenderOptions.ForSmallInput(64) with { Steps = 5000, Seed = 2, Progress = new Sampler(samples) });
        Assert.Equal(5000, result.ObjectivePerStep.Length);
        output.WriteLine($"5,000 steps in {clock.Elapsed.TotalSeconds:F1} s; managed heap after a full collection / working set (MiB) at step: " +
                         string.Join(", ", samples.Select(s => $"{s.Step}: {s.Heap / 1048576.0:F1} / {s.WorkingSet / 1048576.0:F0}")));
        // from step 1,000 on (pools and JIT warmed up), nothing grows
        var settled = samples.Where(s => s.Step >= 1000).ToList();
        long heapGrowth = settled[^1].Heap - settled[0].Heap, setGrowth = settled[^1].WorkingSet - settled[0].WorkingSet;
        Assert.True(heapGrowth < 1 << 20, $"the managed heap grew {heapGrowth / 1024.0:F0} KiB from step 1,000 to 5,000");
        Assert.True(setGrowth < 24 << 20, $"the working set grew {setGrowth / 1048576.0:F1} MiB from step 1,000 to 5,000");
    }
}

[CollectionDefinition("alone", DisableParallelization = true)]
public class AloneCollection;
