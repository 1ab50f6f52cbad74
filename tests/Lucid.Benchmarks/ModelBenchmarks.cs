using BenchmarkDotNet.Attributes;
using Lucid.Models;
using Lucid.Models.Graph;

namespace Lucid.Benchmarks;

/// <summary>Loading a bundled model: building its graph and reading its safetensors weights (target: under 1 s).</summary>
[MemoryDiagnoser]
public class ModelLoadBenchmarks
{
    [Params("fashion-cnn", "inception-mini")]
    public string Name { get; set; } = "fashion-cnn";

    private string _weights = "";

    [GlobalSetup]
    public void Setup()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models", Name, $"{Name}.safetensors");
            if (File.Exists(candidate)) { _weights = candidate; return; }
        }
        throw new FileNotFoundException($"bundled weights for {Name} not found above {AppContext.BaseDirectory}");
    }

    [Benchmark]
    public Model Load()
    {
        var model = Name == "fashion-cnn" ? Zoo.FashionCnn() : Zoo.InceptionMini();
        model.LoadWeights(_weights);
        return model;
    }
}
