using System.Diagnostics;
using System.Text.Json;
using Lucid.Interfaces;
using Lucid.Models;
using Lucid.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Lucid.Reliability.Tests;

/// <summary>
/// Durability: a catalog process killed at 20 random moments (startup, mid-render, mid-write) — after each kill every
/// file in the catalog is whole (images decode, records and the manifest parse), and resuming ends byte-identical to an
/// uninterrupted run.
/// </summary>
public class KillTests(ITestOutputHelper output)
{
    private const string Taps = "mixed4a_5x5_bottleneck,mixed3a_5x5_bottleneck,mixed3a_3x3_bottleneck";   // 8 + 8 + 16 units

    [Fact]
    public void TwentyKillsAtRandomMoments_LeaveNoBrokenFile_AndResumeToTheSameCatalog()
    {
        var root = Path.Combine(Path.GetTempPath(), $"lucid-kill-{Guid.NewGuid():N}");
        string target = Path.Combine(root, "killed"), clean = Path.Combine(root, "clean");
        try
        {
            var rng = new Lucid.Tensors.Rng(77);
            int finishedBefore = 0, temporariesSeen = 0, killedRunning = 0;
            var delays = new List<int>();
            for (int trial = 0; trial < 20; trial++)
            {
                int delay = rng.NextInt(150, 1500);
                delays.Add(delay);
                using (var process = Files.StartLucid("catalog", "inception-mini", "--taps", Taps, "--steps", "300", "--quiet", "-o", target))
                {
                    Thread.Sleep(delay);
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
            output.WriteLine($"20 kills after {string.Join(", ", delays)} ms ({killedRunning} while running); {finishedBefore} of 32 units finished by then; {temporariesSeen} stray temporaries seen (removed on resume)");
            Assert.True(killedRunning >= 18, $"only {killedRunning} of 20 kills hit a running process");
            Assert.True(finishedBefore is > 0 and < 32, $"{finishedBefore} of 32 units finished: the kills should fall mid-catalog");
            ChannelCatalog.Run(ModelFiles.LoadBesideSchema(TestPaths.InceptionMiniSchema),
                new CatalogSettings { Model = "inception-mini", Taps = Taps.Split(','), Steps = 300 }, target);
            ChannelCatalog.Run(ModelFiles.LoadBesideSchema(TestPaths.InceptionMiniSchema),
                new CatalogSettings { Model = "inception-mini", Taps = Taps.Split(','), Steps = 300 }, clean);
            Files.AssertSameTree(clean, target);
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, recursive: true); }
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
        return Directory.Exists(Path.Combine(directory, "units")) ? Directory.GetFiles(Path.Combine(directory, "units"), "*.json", SearchOption.AllDirectories).Count(f => !Path.GetFileName(f).StartsWith('.')) : 0;
    }
}
