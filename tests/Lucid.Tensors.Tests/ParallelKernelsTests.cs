using Lucid.Tensors.Kernels;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>
/// The kernels' fork-join pool: every item of every region runs exactly once, whether the workers are polling for the
/// next region, blocked after a pause longer than their polling window, or joining a region the caller has nearly
/// finished; a failing item surfaces as the library's exception; a region started inside a region runs inline.
/// </summary>
[Collection(nameof(KernelSwitchCollection))]
public class ParallelKernelsTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void EveryItemRunsOnce_AcrossBackToBackAndPausedRegions(int threads) => KernelThreads.With(threads, () =>
    {
        var random = new Random(threads);
        for (int region = 0; region < 400; region++)
        {
            int count = random.Next(1, 300);
            var hits = new int[count];
            ParallelKernels.For(count, hits, static (i, h) => Interlocked.Increment(ref h[i]));
            for (int i = 0; i < count; i++)
                Assert.True(hits[i] == 1, $"region {region} ({count} items, {threads} threads): item {i} ran {hits[i]} times");
            // now and then a pause past the workers' polling window (2 ms), so they block and must be woken
            int pause = random.Next(10);
            if (pause == 0) Thread.Sleep(3);
            else if (pause == 1) Thread.SpinWait(2000);
        }
    });

    [Fact]
    public void AFailingItem_SurfacesAsLucidException_AndThePoolStaysUsable() => KernelThreads.With(2, () =>
    {
        var e = Assert.Throws<LucidException>(() =>
            ParallelKernels.For(64, 0, static (i, _) => { if (i == 37) throw new InvalidOperationException("item 37 failed"); }));
        Assert.Contains("item 37 failed", e.Message);
        var hits = new int[100];
        ParallelKernels.For(100, hits, static (i, h) => Interlocked.Increment(ref h[i]));
        Assert.All(hits, h => Assert.Equal(1, h));
    });

    [Fact]
    public void ARegionInsideARegion_RunsInlineOnItsThread() => KernelThreads.With(2, () =>
    {
        var outer = new int[8];
        var innerOnOtherThread = new int[1];
        ParallelKernels.For(8, (outer, innerOnOtherThread), static (i, s) =>
        {
            int thread = Environment.CurrentManagedThreadId;
            var inner = new int[16];
            ParallelKernels.For(16, (inner, thread, s.innerOnOtherThread), static (j, t) =>
            {
                t.inner[j]++;
                if (Environment.CurrentManagedThreadId != t.thread) Interlocked.Increment(ref t.innerOnOtherThread[0]);
            });
            Assert.All(inner, h => Assert.Equal(1, h));
            Interlocked.Increment(ref s.outer[i]);
        });
        Assert.All(outer, h => Assert.Equal(1, h));
        Assert.Equal(0, innerOnOtherThread[0]);
    });
}
