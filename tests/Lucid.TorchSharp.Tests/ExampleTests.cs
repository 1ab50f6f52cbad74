using System.Globalization;
using System.Text.RegularExpressions;
using Lucid.Models.Data;
using Xunit;
using Xunit.Abstractions;

namespace Lucid.TorchSharp.Tests;

/// <summary>examples/TorchSharp, run whole: a TorchSharp CNN trained one epoch on Fashion-MNIST, then explained.</summary>
public class ExampleTests(ITestOutputHelper output)
{
    [RequiresTorchFact(FashionMnist.DebianDirectory, "dataset-fashion-mnist")]
    public void TheTorchSharpExample_TrainsRendersExplainsAndWritesThePage()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"lucid-torchsharp-example-{Guid.NewGuid():N}");
        try
        {
            var lines = TorchSharpExample.Run(directory, 60_000).ToList();
            foreach (var line in lines) output.WriteLine(line);
            double accuracy = double.Parse(Regex.Match(lines[0], @"test accuracy in Lucid's engine ([\d.]+) %").Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.InRange(accuracy, 80, 100);                                              // one epoch of a small CNN: ~87 %
            var sums = Regex.Match(lines[1], @"LRP relevance sums to (-?[\d.]+) of f\(x\) = (-?[\d.]+)");
            double relevance = double.Parse(sums.Groups[1].Value, CultureInfo.InvariantCulture), value = double.Parse(sums.Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.InRange(relevance, 0.5 * value, 1.05 * value);                            // biases absorb some, none is created
            var apart = Regex.Match(lines[2], @"LRP ([\d.E+-]+) and IG ([\d.E+-]+) apart");
            Assert.True(double.Parse(apart.Groups[1].Value, CultureInfo.InvariantCulture) <= 1e-4, lines[2]);   // the same rules, another engine
            Assert.True(double.Parse(apart.Groups[2].Value, CultureInfo.InvariantCulture) <= 1e-3, lines[2]);
            Assert.EndsWith("index.html", lines[3]);
            foreach (var png in new[] { "conv2-channels.png", "conv2-channels-native.png", "explanations.png", "neuron-groups-relu2.png", "activation-grid-relu2.png", "spatial-attribution-relu1-relu2.png" })
                Assert.True(Lucid.Imaging.Image.LoadPng(Path.Combine(directory, png)).Width > 100, $"{png} is missing or empty");
            Assert.Contains("Neuron groups of fashion-torchsharp at relu2", File.ReadAllText(Path.Combine(directory, "index.html")));
        }
        finally { if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true); }
    }
}
