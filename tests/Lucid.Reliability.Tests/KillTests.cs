using System.Diagnostics;
using System.Text.Json;
using Lucid.Interfaces;
using Lucid.Models;
using Lucid.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Lucid.Reliability.Tests;

/// <summary>
/// Durability: a catalog process killed at 20 random moments (startup, mid-render, mid-write; chosen from the process's
/// own progress, so a slow or busy machine moves them with it) — after each kill every
/// file in the catalog is whole (images decode, records and the manifest parse), and resuming ends byte-identical to an
/// uninterrupted run.
/// </summary>
public class KillTests(ITestOutputHelper output)
{
    private const string Taps = "mixed4a_5x5_bottleneck,mixed3a_5x5_bottleneck,mixed3a_3x3_bottleneck,mixed3b_3x3_bottleneck";   // 8 + 8 + 16 + 24 units: more than 20 kills can let finish when the machine speeds up after trial 0 measured it

    [Fact]
    public void TwentyKillsAtRandomMoments_LeaveNoBrokenFile_AndResumeToTheSameCatalog()
    {
        var root = Path.Combine(Path.GetTempPath(), $"lucid-kill-{Guid.NewGuid():N}");
        string target = Path.Combine(root, "killed"), clean = Path.Combine(root, "clean");
        try
        {
            var rng = new Lucid.Tensors.Rng(77);
            int finishedBefore = 0, temporariesSeen = 0, killedRunning = 0;
            var delays = new List<string>();
            // kill moments follow the process's own progress, never a machine speed: even trials wait for the next unit
            // to finish and kill a random part of a unit's time later (mid-render, mid-write); odd trials kill at a
            // random part of the measured time to a first unit (startup, model load, the first render). Trial 0
            // measures both times.
            double toFirstUnit = 0, perUnit = 0;
            for (int trial = 0; trial < 20; trial++)
            {
                using (var process = Files.StartLucid("catalog", "inception-mini", "--taps", Taps, "--steps", "300", "--quiet", "-o", target))
                {
                    var clock = Stopwatch.StartNew();
                    if (trial == 0)
                    {
                        Assert.True(WaitForUnits(target, finishedBefore + 1, process), "no unit finished within 5 minutes");
                        toFirstUnit = clock.Elapsed.TotalMilliseconds;
                        Assert.True(WaitForUnits(target, finishedBefore + 2, process), "no second unit within 5 minutes");
                        perUnit = clock.Elapsed.TotalMilliseconds - toFirstUnit;
                        delays.Add($"after 2 units ({toFirstUnit:F0} ms to the first, {perUnit:F0} ms per unit)");
                    }
                    else if (trial % 2 == 0)
                    {
                        Assert.True(WaitForUnits(target, finishedBefore + 1, process), "no unit finished within 5 minutes");
                        int extra = rng.NextInt(0, Math.Max(1, (int)(0.8 * perUnit)));
                        Thread.Sleep(extra);
                        delays.Add($"unit + {extra}");
                    }
                    else
                    {
                        int delay = rng.NextInt((int)(0.1 * toFirstUnit), Math.Max((int)(0.1 * toFirstUnit) + 1, (int)toFirstUnit));
                        Thread.Sleep(delay);
                        delays.Add(delay.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                    if (!process.HasExited)
                    {
                        process.Kill(entireProcessTree: true);
                        killedRunning++;
                    }
                    process.WaitForExit();
                }
                temporariesSeen += Directory.Exists(target) ? Directory.GetFiles(target, ".*.tmp", SearchOption.AllDirectories).Length : 0;
                int finished = CheckWhole(target);
                Assert.True(finished >= finishedBefore, "a finished unit disappeared");
                finishedBefore = finished;
            }
            output.WriteLine($"20 kills: {string.Join("; ", delays)} ms ({killedRunning} while running); {finishedBefore} of 56 units finished by then; {temporariesSeen} stray temporaries seen (removed on resume)");
            Assert.True(killedRunning >= 18, $"only {killedRunning} of 20 kills hit a running process");
            Assert.True(finishedBefore is > 0 and < 56, $"{finishedBefore} of 56 units finished: the kills should fall mid-catalog");
            ChannelCatalog.Run(ModelFiles.LoadBesideSchema(TestPaths.InceptionMiniSchema),
                new CatalogSettings { Model = "inception-mini", Taps = Taps.Split(','), Steps = 300 }, target);
            ChannelCatalog.Run(ModelFiles.LoadBesideSchema(TestPaths.InceptionMiniSchema),
                new CatalogSettings { Model = "inception-mini", Taps = Taps.Split(','), Steps = 300 }, clean);
            Files.AssertSameTree(clean, target);
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, recursive: true); }
    }

    /// <summary>Polls until <paramref name="count"/> units have finished (false after 5 minutes or if the process ended first).</summary>
    private static bool WaitForUnits(string directory, int count, Process process)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            if (Finished(directory) >= count) return true;
            if (process.HasExited) return Finished(directory) >= count;
            Thread.Sleep(5);
        }
        return false;
    }

    private static int Finished(string directory)
    {
        var units = Path.Combine(directory, "units");
        try { return Directory.Exists(units) ? Directory.GetFiles(units, "*.json", SearchOption.AllDirectories).Count(f => !Path.GetFileName(f).StartsWith('.')) : 0; }
        catch (DirectoryNotFoundException) { return 0; }
    }

    /// <summary>Every visible file is whole; returns the finished units.</summary>
    private static int CheckWhole(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        foreach (var file in Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')))
        {
            if (file.EndsWith(".png")) Assert.Equal(64, Lucid.Imaging.Image.LoadPng(file).Width);
            else if (file.EndsWith(".json")) JsonDocument.Parse(File.ReadAllText(file)).Dispose();
        }
        return Finished(directory);
    }
}
