using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Testing;
using Lucid.Interfaces.Embedding;
using Lucid.Interfaces.Figures;
using Lucid.Models.Data;
using Lucid.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace Lucid.Interfaces.Tests;

public class AtlasTests(ITestOutputHelper output)
{
    /// <summary>k well-separated Gaussian clusters in d dimensions, <paramref name="each"/> points per cluster.</summary>
    private static (double[,] X, int[] Labels) Clusters(int k, int d, int each, ulong seed)
    {
        var rng = new Rng(seed);
        var centres = new double[k, d];
        for (int c = 0; c < k; c++) for (int j = 0; j < d; j++) centres[c, j] = rng.NextNormal() * 10;
        var x = new double[k * each, d];
        var labels = new int[k * each];
        for (int i = 0; i < k * each; i++)
        {
            labels[i] = i % k;
            for (int j = 0; j < d; j++) x[i, j] = centres[labels[i], j] + rng.NextNormal();
        }
        return (x, labels);
    }

    /// <summary>Fraction of points whose nearest neighbour in the embedding has their label.</summary>
    private static double NeighbourAgreement(double[,] y, int[] labels)
    {
        int n = labels.Length, agree = 0;
        for (int i = 0; i < n; i++)
        {
            int best = -1;
            double bestDistance = double.MaxValue;
            for (int j = 0; j < n; j++)
            {
                if (j == i) continue;
                double dx = y[i, 0] - y[j, 0], dy = y[i, 1] - y[j, 1], dist = dx * dx + dy * dy;
                if (dist < bestDistance) { bestDistance = dist; best = j; }
            }
            if (labels[best] == labels[i]) agree++;
        }
        return agree / (double)n;
    }

    public sealed record ClustersCase(int K, int Dimensions, ulong Seed) : Case;

    public static Arbitrary<ClustersCase> ClusterCases() => (
        from k in Gen.Choose(2, 5) from d in Gen.Choose(5, 30) from seed in Gen.Choose(0, int.MaxValue) select new ClustersCase(k, d, (ulong)seed)).ToArbitrary();

    [Property(MaxTest = 12, Arbitrary = new[] { typeof(AtlasTests) })]
    public void Tsne_KeepsPlantedClustersApart(ClustersCase c)
    {
        var (x, labels) = Clusters(c.K, c.Dimensions, 25, c.Seed);
        var result = Tsne.Fit(x, new TsneOptions { Perplexity = 15, Iterations = 400, ExaggerationIterations = 100 });
        double agreement = NeighbourAgreement(result.Embedding, labels);
        Assert.True(agreement >= 0.98, $"{c.K} clusters in {c.Dimensions} dimensions: nearest-neighbour label agreement {agreement:F3}");
        Assert.True(double.IsFinite(result.KlDivergence) && result.KlDivergence >= 0);
    }

    [Fact]
    public void Tsne_MoreIterationsLowerTheDivergence_AndRunsAreBitIdentical()
    {
        var (x, _) = Clusters(3, 10, 30, 5);
        var shortRun = Tsne.Fit(x, new TsneOptions { Perplexity = 20, Iterations = 260, ExaggerationIterations = 250 });
        var full = Tsne.Fit(x, new TsneOptions { Perplexity = 20 });
        var again = Tsne.Fit(x, new TsneOptions { Perplexity = 20 });
        Assert.True(full.KlDivergence < shortRun.KlDivergence, $"KL after 1000 iterations {full.KlDivergence} vs after 260 {shortRun.KlDivergence}");
        Assert.Equal(full.Embedding.Cast<double>(), again.Embedding.Cast<double>());
    }

    [Fact]
    public void Tsne_RefusesTooFewPointsAndABadPerplexity()
    {
        Assert.Contains("at least 4 points", Assert.Throws<LucidArgumentException>(() => Tsne.Fit(new double[3, 2])).Message);
        Assert.Contains("perplexity must be in (0, 10)", Assert.Throws<LucidArgumentException>(() => Tsne.Fit(new double[10, 2], new TsneOptions { Perplexity = 30 })).Message);
        var bad = new double[5, 2];
        bad[2, 1] = double.NaN;
        Assert.Contains("point 2", Assert.Throws<NumericalException>(() => Tsne.Fit(bad, new TsneOptions { Perplexity = 2 })).Message);
    }

    /// <summary>
    /// 400 one-object scenes, two positions each, at mixed4a: a sample's label is its scene's class when the object covers
    /// at least a quarter of the position's 16×16-pixel cell, else "background". The atlas places like samples together:
    /// an object sample's nearest object sample in the layout is of its class far more often than with shuffled classes.
    /// </summary>
    [Fact]
    public void Atlas_GroupsActivationsOfTheSameObject_AndDrawsDeterministically()
    {
        var model = InceptionMini.Model;
        const int n = 400, size = SyntheticScenes.Size;
        var scenes = Enumerable.Range(0, n).Select(i => SyntheticScenes.Render(21, i, new[] { i % 10 })).ToArray();
        using var images = Tensor.FromArray(scenes.SelectMany(s => s.Pixels).ToArray(), n, 3, size, size);
        var atlas = ActivationAtlas.Of(model, images, "mixed4a", samplesPerImage: 2, grid: 8, minCount: 3, iconSteps: 32, seed: 3);
        Assert.Equal(2 * n, atlas.Samples.Count);
        string Label(AtlasSample s)
        {
            var mask = scenes[s.Image].Objects[0].Mask;
            int cell = size / 4, covered = 0;
            for (int y = s.Y * cell; y < (s.Y + 1) * cell; y++) for (int x = s.X * cell; x < (s.X + 1) * cell; x++) if (mask[y * size + x]) covered++;
            return covered * 4 >= cell * cell ? SyntheticScenes.ClassNames[scenes[s.Image].Objects[0].ClassIndex] : "background";
        }
        var labels = atlas.Samples.Select(Label).ToArray();
        // among the samples on an object, how often the nearest other object sample in the atlas is of the same class
        var onObject = Enumerable.Range(0, labels.Length).Where(i => labels[i] != "background").ToArray();
        double Agreement(string[] classOf)
        {
            int agree = 0;
            foreach (int i in onObject)
            {
                int best = onObject.Where(j => j != i).MinBy(j => Math.Pow(atlas.Embedding[i, 0] - atlas.Embedding[j, 0], 2) + Math.Pow(atlas.Embedding[i, 1] - atlas.Embedding[j, 1], 2));
                if (classOf[best] == classOf[i]) agree++;
            }
            return agree / (double)onObject.Length;
        }
        double agreement = Agreement(labels);
        var rng = new Rng(7);
        double chance = Enumerable.Range(0, 10).Average(_ =>
        {
            var order = rng.Permutation(onObject.Length);
            var shuffled = (string[])labels.Clone();
            for (int k = 0; k < onObject.Length; k++) shuffled[onObject[k]] = labels[onObject[order[k]]];
            return Agreement(shuffled);
        });
        output.WriteLine($"{atlas.Cells.Count} cells hold {atlas.Cells.Sum(c => c.Samples.Length)} of {labels.Length} samples; {onObject.Length} samples on an object; " +
                         $"nearest-neighbour class agreement {agreement:F3} vs {chance:F3} with shuffled classes; KL {atlas.KlDivergence:F3}");
        Assert.True(agreement >= 3 * chance, $"nearest-neighbour class agreement {agreement:F3} vs {chance:F3} with shuffled classes");
        Assert.All(atlas.Cells, c => Assert.True(c.Samples.Length >= 3));

        var figure = atlas.ToFigure(model, samples => string.Join(", ", samples.GroupBy(Label).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));
        var svg = Svg.Render(figure);
        var again = Svg.Render(ActivationAtlas.Of(model, images, "mixed4a", samplesPerImage: 2, grid: 8, minCount: 3, iconSteps: 32, seed: 3)
            .ToFigure(model, samples => string.Join(", ", samples.GroupBy(Label).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"))));
        Assert.Equal(svg, again);
        Assert.Equal(atlas.Cells.Count, FigureIds.All(figure.Root).Count(id => id.StartsWith("atlas-")));
        Snapshot.Verify(FigureSnapshots.Scrubbed(svg), "mixed4a", "svg");
    }
}
