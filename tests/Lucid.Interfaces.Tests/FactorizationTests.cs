using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Testing;
using Lucid.Interfaces.Factorization;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Interfaces.Tests;

[Properties(Arbitrary = new[] { typeof(FactorizationTests) })]
public class FactorizationTests
{
    /// <summary>A random non-negative matrix (with zero rows and columns sometimes) and a component count.</summary>
    public sealed record MatrixCase(double[,] X, int K, ulong Seed) : Case;

    public sealed record PlantedCase(int K, ulong Seed) : Case;

    public static Arbitrary<MatrixCase> Matrices() => (
        from n in Gen.Choose(1, 12)
        from m in Gen.Choose(1, 10)
        from k in Gen.Choose(1, 5)
        from seed in Gen.Choose(0, int.MaxValue)
        from zeros in Gen.Choose(0, 3)
        select new MatrixCase(Random(n, m, (ulong)seed, zeros), k, (ulong)seed)).ToArbitrary();

    public static Arbitrary<PlantedCase> Planted() => (
        from k in Gen.Choose(2, 4) from seed in Gen.Choose(0, int.MaxValue) select new PlantedCase(k, (ulong)seed)).ToArbitrary();

    private static double[,] Random(int n, int m, ulong seed, int zeroRows)
    {
        var rng = new Rng(seed);
        var x = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) x[i, j] = i < zeroRows ? 0 : rng.NextDouble() * (1 + j);
        return x;
    }

    [Property]
    public void Nmf_FactorsAreNonNegative(MatrixCase c)
    {
        var r = Nmf.Fit(c.X, c.K, iterations: 50, seed: c.Seed);
        Assert.All(r.W.Cast<double>(), v => Assert.True(v >= 0 && double.IsFinite(v)));
        Assert.All(r.H.Cast<double>(), v => Assert.True(v >= 0 && double.IsFinite(v)));
    }

    [Property]
    public void Nmf_ReconstructionErrorNeverIncreases(MatrixCase c)
    {
        var errors = Nmf.Fit(c.X, c.K, iterations: 80, seed: c.Seed, tolerance: 0).ErrorPerIteration;
        for (int i = 1; i < errors.Length; i++)
            Assert.True(errors[i] <= errors[i - 1] * (1 + 1e-12) + 1e-12, $"iteration {i}: {errors[i - 1]} → {errors[i]}");
    }

    [Property(MaxTest = 20)]
    public void Nmf_RecoversPlantedFactors_UpToPermutationAndScale(PlantedCase c)
    {
        // separable planted factors: each component owns an anchor column, and each row an anchor loading
        var rng = new Rng(c.Seed);
        int k = c.K, n = 30, m = 12;
        var h = new double[k, m];
        for (int g = 0; g < k; g++)
            for (int j = 0; j < m; j++) h[g, j] = j < k ? (j == g ? 1 : 0) : rng.NextDouble();
        var w = new double[n, k];
        for (int i = 0; i < n; i++)
            for (int g = 0; g < k; g++) w[i, g] = i < k ? (i == g ? 1 : 0) : rng.NextDouble();
        var x = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
                for (int g = 0; g < k; g++) x[i, j] += w[i, g] * h[g, j];
        var fit = Nmf.Fit(x, k, iterations: 3000, seed: 7, tolerance: 1e-14);
        Assert.True(fit.RelativeError(x) < 1e-3, $"relative error {fit.RelativeError(x)}");
        // every planted component matches one fitted component (cosine ≥ 0.99), each used once
        var used = new bool[k];
        for (int g = 0; g < k; g++)
        {
            int best = -1; double bestCos = -1;
            for (int f = 0; f < k; f++)
            {
                double dot = 0, a = 0, b = 0;
                for (int j = 0; j < m; j++) { dot += h[g, j] * fit.H[f, j]; a += h[g, j] * h[g, j]; b += fit.H[f, j] * fit.H[f, j]; }
                double cos = dot / Math.Sqrt(a * b + 1e-300);
                if (cos > bestCos) { bestCos = cos; best = f; }
            }
            Assert.True(bestCos >= 0.99 && !used[best], $"planted component {g}: best cosine {bestCos:F4} (fitted {best}, used {used[best]})");
            used[best] = true;
        }
    }

    [Fact]
    public void Nmf_RefusesNegativeOrNonFiniteData_NamingTheEntry()
    {
        var e = Assert.Throws<LucidArgumentException>(() => Nmf.Fit(new double[,] { { 1, 2 }, { -0.5, 1 } }, 1));
        Assert.Contains("entry (1, 0) is -0.5", e.Message);
        Assert.Throws<LucidArgumentException>(() => Nmf.Fit(new double[,] { { double.NaN } }, 1));
        Assert.Throws<LucidArgumentException>(() => Nmf.Fit(new double[,] { { 1 } }, 0));
    }

    [Fact]
    public void Pca_FindsTheDirectionOfLargestVariance_AndScoresAreCenteredProjections()
    {
        var rng = new Rng(3);
        int n = 400;
        var x = new double[n, 3];
        for (int i = 0; i < n; i++)
        {
            double t = rng.NextDouble() * 10 - 5, s = rng.NextDouble() - 0.5;
            x[i, 0] = 2 + t; x[i, 1] = -1 + t + s; x[i, 2] = 0.1 * s;    // main axis (1, 1, 0)/√2
        }
        var pca = Pca.Fit(x, 2);
        Assert.True(Math.Abs(pca.Components[0, 0] - Math.Sqrt(0.5)) < 0.02 && Math.Abs(pca.Components[0, 1] - Math.Sqrt(0.5)) < 0.02, $"first component ({pca.Components[0, 0]}, {pca.Components[0, 1]}, {pca.Components[0, 2]})");
        Assert.True(pca.Variance[0] > 10 * pca.Variance[1]);
        var scores = pca.Transform(x);
        double mean = 0;
        for (int i = 0; i < n; i++) mean += scores[i, 0] / n;
        Assert.True(Math.Abs(mean) < 1e-9);
    }

    [Fact]
    public void ChannelReducer_TransformOfTheFittedActivations_ReproducesTheFittedMaps()
    {
        var rng = new Rng(5);
        using var activations = rng.Uniform(new[] { 2, 6, 3, 4 });
        var reducer = ChannelReducer.Fit(activations, 3, seed: 2, iterations: 2000);
        Assert.Equal(new[] { 2, 3, 3, 4 }, reducer.FittedShape);
        using var maps = reducer.Transform(activations);
        var again = maps.ToArray();
        for (int i = 0; i < again.Length; i++) Assert.True(Math.Abs(again[i] - reducer.FittedTransform[i]) < 2e-3, $"map entry {i}: {again[i]} vs {reducer.FittedTransform[i]}");
        var e = Assert.Throws<LucidArgumentException>(() => ChannelReducer.Fit(activations, 7));
        Assert.Contains("7 groups for 6 channels", e.Message);
    }
}
