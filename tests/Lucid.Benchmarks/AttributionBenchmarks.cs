using BenchmarkDotNet.Attributes;
using Lucid.Attribution;
using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Benchmarks;

/// <summary>Attribution on inception-mini at batch 1: LRP EpsilonPlusFlat, and Integrated Gradients with 50 steps in one batch.</summary>
public class AttributionBenchmarks
{
    private Model _model = null!;
    private Tensor _image = null!;
    private Lrp _lrp = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = Zoo.InceptionMini(seed: 1);
        _image = Tensor.FromArray(SyntheticScenes.Render(2, 0, new[] { 3 }).Pixels, 1, 3, 64, 64).DetachFromScope();
        _lrp = LrpComposites.For(LrpComposite.EpsilonPlusFlat, _model);
    }

    [Benchmark]
    public void LrpEpsilonPlusFlat() => _lrp.Attribute(_model, _image, AttributionTarget.Class(3)).Attribution.Dispose();

    [Benchmark]
    public void IntegratedGradients50() =>
        GradientAttribution.IntegratedGradients(_model, _image, AttributionTarget.Class(3), steps: 50, internalBatch: 50).Attribution.Dispose();
}
