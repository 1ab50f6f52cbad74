using BenchmarkDotNet.Attributes;
using Lucid.Models;
using Lucid.Models.Graph;
using Lucid.Optvis;

namespace Lucid.Benchmarks;

/// <summary>
/// Feature visualization on inception-mini: render steps with Lucid's defaults (Fourier + decorrelated + sigmoid image,
/// standard transforms, Adam 0.05) for channel 7 of mixed4a, at 64² and 128²; reported per step.
/// </summary>
public class RenderBenchmarks
{
    private const int Steps = 8;
    private Model _model = null!;
    private LucidImage _image = null!;
    private Objective _objective = null!;

    [Params(64, 128)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _model = Zoo.InceptionMini(seed: 1);
        _image = new LucidImage(Size, seed: 1);
        _objective = Objectives.Channel("mixed4a", 7);
    }

    [Benchmark(OperationsPerInvoke = Steps)]
    public void RenderStep() => Renderer.Render(_model, _objective, _image, new RenderOptions { Steps = Steps, Seed = 1 }).Image.Dispose();
}
