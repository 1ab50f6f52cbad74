using Lucid.Models.Graph;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Optvis.Tests;

public class QualityTests
{
    /// <summary>An image whose power spectrum is |f|^−β with random phases (real by Hermitian symmetry).</summary>
    private static Tensor PowerLaw(int size, double beta, ulong seed)
    {
        var rng = new Rng(seed);
        var re = new double[size * size];
        var im = new double[size * size];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double fy = (y <= size / 2 ? y : y - size), fx = (x <= size / 2 ? x : x - size);
                double f = Math.Sqrt(fx * fx + fy * fy);
                if (f == 0) continue;
                double amplitude = Math.Pow(f, -beta / 2), phase = 2 * Math.PI * rng.NextDouble();
                re[y * size + x] = amplitude * Math.Cos(phase);
                im[y * size + x] = amplitude * Math.Sin(phase);
            }
        var pixels = new float[size * size];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double s = 0;
                for (int ky = 0; ky < size; ky++)
                    for (int kx = 0; kx < size; kx++)
                    {
                        double a = 2 * Math.PI * ((ky * y + kx * x) % size) / size;
                        s += re[ky * size + kx] * Math.Cos(a) - im[ky * size + kx] * Math.Sin(a);
                    }
                pixels[y * size + x] = (float)s;
            }
        return Tensor.FromArray(pixels, 1, size, size);
    }

    /// <summary>The spectral slope recovers the exponent of power-law images (natural images: about −2).</summary>
    [Theory]
    [InlineData(2.0)]
    [InlineData(1.0)]
    [InlineData(3.0)]
    public void SpectralSlope_RecoversThePowerLaw(double beta)
    {
        using var image = PowerLaw(32, beta, 5);
        Assert.InRange(Quality.SpectralSlope(image), -beta - 0.25, -beta + 0.25);
    }

    [Fact]
    public void HighFrequencyRatio_IsZeroForSmoothAndOneForNyquistPatterns()
    {
        using var flat = Tensor.Full(0.4f, 3, 16, 16);
        Assert.Equal(0.0, Quality.HighFrequencyEnergyRatio(flat));
        var checker = new float[16 * 16];
        for (int i = 0; i < checker.Length; i++) checker[i] = (i / 16 + i % 16) % 2;
        using var board = Tensor.FromArray(checker, 1, 16, 16);
        Assert.Equal(1.0, Quality.HighFrequencyEnergyRatio(board), 6);
        using var smooth = PowerLaw(16, 4, 2);
        Assert.True(Quality.HighFrequencyEnergyRatio(smooth) < 0.05);
    }

    [Fact]
    public void Repetition_IsHighForTiledPatterns_AndLowForNoise()
    {
        var rng = new Rng(9);
        var tile = Enumerable.Range(0, 16).Select(_ => rng.NextFloat()).ToArray();
        var tiled = new float[32 * 32];
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++) tiled[y * 32 + x] = tile[(y % 4) * 4 + x % 4];
        using var pattern = Tensor.FromArray(tiled, 1, 32, 32);
        Assert.True(Quality.RepetitionScore(pattern) > 0.99);
        using var noise = new Rng(10).Uniform(new[] { 1, 32, 32 });
        Assert.True(Quality.RepetitionScore(noise) < 0.3);
    }

    [Fact]
    public void Vendi_CountsDistinctItems()
    {
        var same = Enumerable.Repeat(new[] { 1f, 2f, 3f }, 5).ToArray();
        Assert.Equal(1.0, Quality.VendiScore(same), 6);
        var orthogonal = Enumerable.Range(0, 4).Select(i => Enumerable.Range(0, 4).Select(j => i == j ? 1f : 0f).ToArray()).ToArray();
        Assert.Equal(4.0, Quality.VendiScore(orthogonal), 6);
        var twoGroups = new[] { new[] { 1f, 0f }, new[] { 1f, 0f }, new[] { 0f, 1f }, new[] { 0f, 1f } };
        Assert.Equal(2.0, Quality.VendiScore(twoGroups), 6);
    }

    [Fact]
    public void ActivationRatioAndSelfClassification_FollowTheirDefinitions()
    {
        var model = TestModels.Known(channels: 2, size: 2);
        using var references = Tensor.FromArray(new[] { 1f, 1, 1, 1, 0, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0 }, 2, 2, 2, 2);
        using var render = Tensor.FromArray(new[] { 3f, 3, 3, 3, 1, 1, 1, 1 }, 1, 2, 2, 2);
        Assert.Equal(1.5, Quality.ActivationRatio(model, render, "acts", 0, references), 6);     // 3 / max(1, 2)
        var (p, margin) = Quality.SelfClassification(model, render, 0)[0];
        Assert.Equal(1 / (1 + Math.Exp(-2)), p, 6);                                            // logits 3 and 1
        Assert.Equal(2.0, margin, 6);
        Assert.Throws<LucidArgumentException>(() => Quality.ActivationRatio(model, render, "acts", 1, Tensor.Zeros(1, 2, 2, 2)));
    }
}

public class FeatureDistanceTests
{
    [Fact]
    public void FeatureDistributionDistance_IsTheMeanSquaredGapBetweenSortedActivationsAndReferenceQuantiles()
    {
        // identity tap "acts" (1 channel, 2×2): the reference quantiles are the mean of the sorted references
        var model = TestModels.Known(channels: 1, size: 2);
        using var references = Tensor.FromArray(new float[] { 4, 1, 3, 2, /**/ 0, 2, 6, 4 }, 2, 1, 2, 2);  // sorted: 1 2 3 4 | 0 2 4 6 → q = 0.5 2 3.5 5
        using var image = Tensor.FromArray(new float[] { 5, 0, 1, 3 }, 1, 1, 2, 2);                        // sorted: 0 1 3 5
        double expected = (0.25 + 1 + 0.25 + 0) / 4;
        Assert.Equal(expected, Quality.FeatureDistributionDistance(model, image, references, "acts"), 6);
        // an image whose sorted values equal the quantiles is at distance 0, whatever its arrangement
        using var matching = Tensor.FromArray(new float[] { 3.5f, 0.5f, 5, 2 }, 1, 1, 2, 2);
        Assert.Equal(0, Quality.FeatureDistributionDistance(model, matching, references, "acts"), 9);
    }

    [Fact]
    public void FeatureDistributionDistance_RefusesReferencesOfAnotherSize_NamingTheModel()
    {
        var model = TestModels.Known(channels: 1, size: 4);
        using var references = Tensor.Ones(2, 1, 2, 2);
        using var image = Tensor.Ones(1, 1, 4, 4);
        var error = Assert.Throws<ModelException>(() => Quality.FeatureDistributionDistance(model, image, references, "acts"));
        Assert.Contains("model 'known'", error.Message);
    }
}
