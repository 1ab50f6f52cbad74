using BenchmarkDotNet.Attributes;
using Lucid.Attribution;
using Lucid.Models;
using Lucid.Models.Graph;
using Lucid.Optvis;
using Lucid.Tensors;

namespace Lucid.Benchmarks;

/// <summary>ML.NET's ImageNet ResNet-18 (restored by NuGet) at 224², loaded once per process.</summary>
internal static class RealNetwork
{
    private static readonly Lazy<Model> Shared = new(() => ResNet18.Load(preview: false));
    public static Model ResNet18Model => Shared.Value;

    /// <summary>The render and attribution target of the real-network cases: channel 17 of layer3.1.</summary>
    public const string Tap = "layer3.1";
    public const int Channel = 17;

    public static Tensor Pixels(int batch, ulong seed = 1) => new Rng(seed).Uniform(new[] { batch, 3, 224, 224 }).DetachFromScope();
}

/// <summary>ResNet-18 at 224²: forward, and forward + input gradient (of the summed avgpool features), batch 1 and 8.</summary>
public class ResNet18Benchmarks
{
    private Model _model = null!;
    private Tensor _x = null!;

    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _model = RealNetwork.ResNet18Model;
        _x = RealNetwork.Pixels(Batch);
    }

    [Benchmark]
    public void Forward() => Passes.Forward(_model, _x);

    [Benchmark]
    public void ForwardInputGradient() => Passes.InputGradient(_model, _x);
}

/// <summary>
/// A Lucid-style render step on ResNet-18 at 224² (Fourier + decorrelated + sigmoid image, Lucid's standard transforms,
/// channel 17 of layer3.1, Adam 0.05, plain ReLU gradients), per step, batch 1 and 4; allocations per step.
/// </summary>
[MemoryDiagnoser]
public class ResNet18RenderBenchmarks
{
    private const int Steps = 4;
    private Model _model = null!;
    private LucidImage _image = null!;
    private Objective _objective = null!;

    [Params(1, 4)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _model = RealNetwork.ResNet18Model;
        _image = new LucidImage(224, batch: Batch, seed: 1);
        _objective = Objectives.Channel(RealNetwork.Tap, RealNetwork.Channel);
    }

    [Benchmark(OperationsPerInvoke = Steps)]
    public void RenderStep() =>
        Renderer.Render(_model, _objective, _image, new RenderOptions { Steps = Steps, Seed = 1, RedirectRelu = false }).Image.Dispose();

    /// <summary>
    /// Bytes a steady-state step allocates on the managed heap, every thread's: counted between the render's own progress
    /// reports (one per step, after the optimizer's step) over steps 5–20 of a 20-step render, after the benchmark runs
    /// have left the loop's code optimized — where the per-operation figure of <see cref="RenderStep"/> carries a
    /// quarter of a render's setup. The smaller of three renders.
    /// </summary>
    public static double SteadyStepBytes(int batch)
    {
        var model = RealNetwork.ResNet18Model;
        var objective = Objectives.Channel(RealNetwork.Tap, RealNetwork.Channel);
        double best = double.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            var marks = new List<long>(32);
            var progress = new Reports(_ => marks.Add(GC.GetTotalAllocatedBytes(precise: true)));
            Renderer.Render(model, objective, new LucidImage(224, batch: batch, seed: 1),
                new RenderOptions { Steps = 20, Seed = 1, RedirectRelu = false, Progress = progress }).Image.Dispose();
            best = Math.Min(best, (marks[19] - marks[4]) / 15.0);
        }
        return best;
    }

    private sealed class Reports(Action<RenderProgress> report) : IProgress<RenderProgress>
    {
        public void Report(RenderProgress value) => report(value);
    }
}

/// <summary>Attribution on ResNet-18 at 224², batch 1, target channel 17 of layer3.1: LRP EpsilonPlusFlat (BatchNorm merged), IG with 50 steps in one batch.</summary>
public class ResNet18AttributionBenchmarks
{
    private Model _model = null!;
    private Tensor _photo = null!;
    private Lrp _lrp = null!;
    private readonly AttributionTarget _target = AttributionTarget.Channel(RealNetwork.Tap, RealNetwork.Channel);

    [GlobalSetup]
    public void Setup()
    {
        _model = RealNetwork.ResNet18Model;
        _photo = RealNetwork.Pixels(1, seed: 2);
        _lrp = LrpComposites.For(LrpComposite.EpsilonPlusFlat, _model);
    }

    [Benchmark]
    public void LrpEpsilonPlusFlat() => _lrp.Attribute(_model, _photo, _target).Attribution.Dispose();

    [Benchmark]
    public void IntegratedGradients50() =>
        GradientAttribution.IntegratedGradients(_model, _photo, _target, steps: 50, internalBatch: 50).Attribution.Dispose();
}
