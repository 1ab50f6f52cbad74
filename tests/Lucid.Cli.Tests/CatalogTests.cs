using System.Diagnostics;
using System.Text.Json;
using Lucid.Imaging;
using Lucid.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Lucid.Cli.Tests;

/// <summary>
/// <c>lucid catalog</c>: shards plus merge give the same bytes as one run; a run killed midway resumes without
/// rendering a finished unit again, leaves no truncated file, and ends equal to an uninterrupted run.
/// </summary>
[Collection("cli")]
public class CatalogTests(ITestOutputHelper output)
{
    private const string Taps = "mixed4a_5x5_bottleneck,mixed3a_5x5_bottleneck";   // 8 + 8 channels

    [Fact]
    public void ThreeShardsAndMerge_AreByteIdenticalToOneRun()
    {
        var root = Lucid.Temp("catalog");
        try
        {
            string single = Path.Combine(root, "single"), merged = Path.Combine(root, "merged");
            var one = Lucid.Json("catalog", "inception-mini", "--taps", Taps, "--steps", "6", "-o", single);
            Assert.Equal(16, one.GetProperty("rendered").GetArrayLength());
            Assert.True(File.Exists(one.GetProperty("index").GetString()));
            var shards = Enumerable.Range(1, 3).Select(i => Path.Combine(root, $"shard{i}")).ToArray();
            var counts = shards.Select((dir, i) => Lucid.Json("catalog", "inception-mini", "--taps", Taps, "--steps", "6", "--shard", $"{i + 1}/3", "-o", dir)
                .GetProperty("rendered").GetArrayLength()).ToArray();
            Assert.Equal(new[] { 6, 5, 5 }, counts);                              // units i ≡ shard − 1 (mod 3)
            Assert.All(shards, dir => Assert.False(File.Exists(Path.Combine(dir, "index.html"))));
            var m = Lucid.Json(new[] { "catalog", "merge" }.Concat(shards).Concat(new[] { "-o", merged }).ToArray());
            Assert.Equal(16, m.GetProperty("units").GetInt32());
            Files.AssertSameTree(single, merged);
            Assert.Equal(16 * 2 + 2, Files.Tree(merged).Count);                        // a PNG and a JSON per unit, the manifest, the index
            // merging an incomplete set names what is missing
            var (code, _, error) = Lucid.Run("catalog", "merge", shards[0], shards[1], "-o", Path.Combine(root, "partial"));
            Assert.Equal(2, code);
            Assert.Contains("5 of 16 units are missing", error);
            // a directory rendered with other settings is refused, not mixed
            var (mixed, _, why) = Lucid.Run("catalog", "inception-mini", "--taps", Taps, "--steps", "7", "-o", single);
            Assert.Equal(2, mixed);
            Assert.Contains("holds a catalog with other settings", why);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void AKilledRun_ResumesWithoutRenderingAFinishedUnitTwice()
    {
        var root = Lucid.Temp("resume");
        string killed = Path.Combine(root, "killed"), clean = Path.Combine(root, "clean");
        try
        {
            using (var process = Files.StartLucid("catalog", "inception-mini", "--taps", Taps, "--steps", "40", "--quiet", "-o", killed))
            {
                var clock = Stopwatch.StartNew();
                // wait for a few finished units, then kill it in the middle of the next render
                while (Finished(killed).Count < 1 && !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(5);
                var first = clock.Elapsed;
                while (Finished(killed).Count < 4 && !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(5);
                // half a unit's time (measured on this run) after the fourth: inside the fifth render, on any machine
                Thread.Sleep((clock.Elapsed - first) / 3 / 2);
                Assert.False(process.HasExited, "the catalog finished before it could be killed");
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
            var before = Finished(killed);
            output.WriteLine($"killed after {before.Count} finished units");
            Assert.InRange(before.Count, 4, 15);
            // nothing truncated: every PNG decodes, every record parses
            foreach (var png in Directory.GetFiles(killed, "*.png", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')))
                Assert.Equal(64, Image.LoadPng(png).Width);
            foreach (var record in Directory.GetFiles(killed, "*.json", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')))
                JsonDocument.Parse(File.ReadAllText(record)).Dispose();

            var resumed = Lucid.Json("catalog", "inception-mini", "--taps", Taps, "--steps", "40", "-o", killed);
            var rendered = resumed.GetProperty("rendered").EnumerateArray().Select(e => e.GetString()!).ToHashSet();
            var skipped = resumed.GetProperty("skipped").EnumerateArray().Select(e => e.GetString()!).ToHashSet();
            Assert.Empty(rendered.Intersect(before));                              // no finished unit rendered twice
            Assert.True(skipped.SetEquals(before));
            Assert.Equal(16, rendered.Count + skipped.Count);
            Assert.Empty(Directory.GetFiles(killed, ".*.tmp", SearchOption.AllDirectories));   // the killed write's temporary is gone

            Lucid.Json("catalog", "inception-mini", "--taps", Taps, "--steps", "40", "-o", clean);
            Files.AssertSameTree(clean, killed);
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, recursive: true); }
    }

    /// <summary>The units with a record (finished), as "units/TAP/NNNN".</summary>
    private static HashSet<string> Finished(string directory) =>
        Directory.Exists(Path.Combine(directory, "units"))
            ? Directory.GetFiles(Path.Combine(directory, "units"), "*.json", SearchOption.AllDirectories)
                .Where(f => !Path.GetFileName(f).StartsWith('.'))
                .Select(f => Path.GetRelativePath(directory, f).Replace('\\', '/')[..^5]).ToHashSet()
            : new HashSet<string>();
}
