using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Xunit;

namespace Lucid.Optvis.Tests;

public class VitalTests
{
    private static Model Identity(int size) => TestModels.Known(3, size);

    /// <summary>The quantiles are the mean of each reference image's sorted channel values.</summary>
    [Fact]
    public void Quantiles_AreMeanSortedActivations()
    {
        var model = Identity(2);
        using var refs = Tensor.FromArray(new[]
        {
            4f, 1f, 3f, 2f, 0f, 0f, 0f, 0f, 1f, 1f, 1f, 1f,
            0f, 2f, 8f, 6f, 1f, 1f, 1f, 1f, 5f, 6f, 7f, 8f,
        }, 2, 3, 2, 2);
        var q = Vital.Quantiles(model, refs, new[] { "acts" })["acts"];
        Assert.Equal(new[] { 3, 4 }, q.Shape.ToArray());
        // channel 0: sort(4,1,3,2) = 1,2,3,4 and sort(0,2,8,6) = 0,2,6,8 → 0.5, 2, 4.5, 6
        Assert.Equal(new[] { 0.5f, 2f, 4.5f, 6f }, q.ToArray()[..4]);
        Assert.Equal(new[] { 3f, 3.5f, 4f, 4.5f }, q.ToArray()[8..]);
    }

    /// <summary>
    /// Sort-matching is the per-channel squared Wasserstein-2 distance: zero for an image whose values are any
    /// permutation of the quantiles, the mean squared gap of the sorted values otherwise; its gradient is exact
    /// (finite differences) while the order holds.
    /// </summary>
    [Fact]
    public void SortMatching_IsTheSortedDistance_AndItsGradientIsExact()
    {
        var model = Identity(2);
        var q = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f, 0f, 0f, 0f, 0f, 5f, 6f, 7f, 8f }, 3, 4);
        var objective = Vital.SortMatching(new Dictionary<string, Tensor> { ["acts"] = q });
        float Value(float[] pixels)
        {
            using var x = Tensor.FromArray(pixels, 1, 3, 2, 2);
            return objective.Evaluate(new ObjectiveContext(model, x, model.Run(x, null), 1)).Item();
        }
        Assert.Equal(0f, Value(new[] { 3f, 1f, 4f, 2f, 0f, 0f, 0f, 0f, 8f, 5f, 7f, 6f }), 6);
        var pixels = new[] { 0.5f, 2.5f, 1.5f, 3.5f, 1f, 0f, 0f, 0f, 5f, 6f, 7f, 9f };
        // sorted gaps: channel 0: (0.5,1.5,2.5,3.5) − (1,2,3,4) = −0.5 each; channel 1: one 1; channel 2: one 1
        double expected = -(4 * 0.25 + 1 + 1) / 12.0;
        Assert.Equal(expected, Value(pixels), 6);
        using var leaf = Tensor.FromArray(pixels, 1, 3, 2, 2).RequireGrad();
        objective.Evaluate(new ObjectiveContext(model, leaf, model.Run(leaf, null), 1)).Backward();
        var grad = leaf.Grad!.ToArray();
        for (int i = 0; i < pixels.Length; i++)
        {
            if (i >= 5 && i <= 7) continue;                                      // ties at 0: no derivative
            var plus = (float[])pixels.Clone(); plus[i] += 1e-3f;
            var minus = (float[])pixels.Clone(); minus[i] -= 1e-3f;
            double numeric = (Value(plus) - Value(minus)) / 2e-3;
            Assert.True(Math.Abs(numeric - grad[i]) < 1e-3, $"element {i}: analytic {grad[i]}, numeric {numeric}");
        }
    }

    /// <summary>A VITAL render moves the image's value distribution onto the references'.</summary>
    [Fact]
    public void RenderClass_MatchesTheReferenceDistribution()
    {
        var model = Identity(8);
        var rng = new Rng(3);
        // references: channel 0 bright, channel 1 dark, channel 2 a ramp
        var data = new float[4 * 3 * 64];
        for (int e = 0; e < 4; e++)
            for (int i = 0; i < 64; i++)
            {
                data[(e * 3 + 0) * 64 + i] = 0.8f + 0.1f * rng.NextFloat();
                data[(e * 3 + 1) * 64 + i] = 0.1f * rng.NextFloat();
                data[(e * 3 + 2) * 64 + i] = i / 64f;
            }
        using var refs = Tensor.FromArray(data, 4, 3, 8, 8);
        var r = Vital.RenderClass(model, refs, new[] { "acts" }, steps: 150, learningRate: 0.1f, jitter: 1, warmup: 10, seed: 1);
        Assert.True(r.ObjectivePerStep[^1] > 0.1 * r.ObjectivePerStep[0], $"loss {-r.ObjectivePerStep[0]:G3} → {-r.ObjectivePerStep[^1]:G3}");
        var img = r.Image.ToArray();
        Assert.True(img[..64].Average() > 0.7 && img[64..128].Average() < 0.2, $"channel means {img[..64].Average():G3}, {img[64..128].Average():G3}");
        // the optional total-variation penalty smooths the render: a sort-matched image's value order is free, and TV picks a smooth one
        var smooth = Vital.RenderClass(model, refs, new[] { "acts" }, steps: 150, learningRate: 0.1f, jitter: 1, warmup: 10, seed: 1, totalVariation: 5);
        double Tv(Tensor t) => Objectives.TotalVariation().Evaluate(new ObjectiveContext(model, t, model.Run(t, null), 1)).Item();
        Assert.True(Tv(smooth.Image) < 0.8 * Tv(r.Image), $"total variation {Tv(smooth.Image):G3} with the penalty, {Tv(r.Image):G3} without");
    }
}
