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
        // From step 1,000 on (pools and JIT warmed up), nothing grows with the step count. Scratch buffers still reach a new
        // high-water mark now and then (per thread: which core runs a kernel's items depends on timing, and randomly scaled
        // views change the sizes), which moves the heap by a few hundred KiB at some step — one run alone grew 1.0 MiB, all
        // by step 2,500, the next not at all. A leak moves both halves of the run alike (525 bytes a step: 1 MiB each), so
        // the smaller half's growth is the leak test, and the whole run's growth stays bounded.
        long HeapAt(int step) => samples.Single(s => s.Step == step).Heap;
        long first = HeapAt(3000) - HeapAt(1000), second = HeapAt(5000) - HeapAt(3000);
        Assert.True(Math.Min(first, second) < 1 << 20,
            $"the managed heap grew {first / 1024.0:F0} KiB from step 1,000 to 3,000 and {second / 1024.0:F0} KiB from 3,000 to 5,000");
        Assert.True(first + second < 4 << 20, $"the managed heap grew {(first + second) / 1024.0:F0} KiB from step 1,000 to 5,000");
        var settled = samples.Where(s => s.Step >= 1000).ToList();
        long setGrowth = settled[^1].WorkingSet - settled[0].WorkingSet;
        Assert.True(setGrowth < 24 << 20, $"the working set grew {setGrowth / 1048576.0:F1} MiB from step 1,000 to 5,000");
    }
}

[CollectionDefinition("alone", DisableParallelization = true)]
public class AloneCollection;
