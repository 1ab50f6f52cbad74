using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Attribution.Tests;

public class EvaluationTests
{
    [Fact]
    public void Metrics_FollowTheirDefinitions()
    {
        var map = new float[] { 0.1f, 0.9f, -2f, 0.5f };
        var mask = new[] { false, true, false, true };
        Assert.True(Evaluation.PointingGame(map, mask));
        Assert.False(Evaluation.PointingGame(map, new[] { true, false, true, false }));
        Assert.Equal((0.9 + 0.5) / (0.1 + 0.9 + 0.5), Evaluation.MaskMass(map, mask), 6);
        Assert.Throws<ShapeMismatchException>(() => Evaluation.MaskMass(map, new bool[3]));
    }

    [Fact]
    public void LrpAndIntegratedGradients_BeatSaliencyOnMaskMass_OnTheBundledInceptionMini()
    {
        var model = Bundled.InceptionMini();
        double Mass(Func<Tensor, int, Tensor> attribute)
        {
            double total = 0;
            for (int i = 0; i < 20; i++)
            {
                var scene = SyntheticScenes.Render(2, i, new[] { i % 10 });
                using var x = Tensor.FromArray(scene.Pixels, 1, 3, 64, 64);
                using var a = attribute(x, i % 10);
                total += Evaluation.MaskMass(Evaluation.PixelMap(a.ToArray(), 3, 64, 64), scene.Objects[0].Mask);
            }
            return total / 20;
        }
        double saliency = Mass((x, c) => GradientAttribution.Saliency(model, x, AttributionTarget.Class(c)).Attribution);
        double ig = Mass((x, c) => GradientAttribution.IntegratedGradients(model, x, AttributionTarget.Class(c)).Attribution);
        double lrp = Mass((x, c) => LrpComposites.For(LrpComposite.EpsilonPlusFlat, model).Attribute(model, x, AttributionTarget.Class(c)).Attribution);
        Assert.True(ig > saliency, $"IG mask mass {ig:F3} should beat saliency {saliency:F3}");
        Assert.True(lrp > saliency, $"LRP EpsilonPlusFlat mask mass {lrp:F3} should beat saliency {saliency:F3}");
    }
}

public class SpearmanTests
{
    [Fact]
    public void Spearman_IsOneForMonotoneMaps_MinusOneForReversed_AndHandlesTies()
    {
        Assert.Equal(1.0, Evaluation.Spearman(new float[] { 1, 2, 3, 4 }, new float[] { 10, 20, 30, 400 }), 10);
        Assert.Equal(-1.0, Evaluation.Spearman(new float[] { 1, 2, 3, 4 }, new float[] { 4, 3, 2, 1 }), 10);
        Assert.Equal(0.0, Evaluation.Spearman(new float[] { 1, 1, 1 }, new float[] { 1, 2, 3 }), 10);
    }
}
