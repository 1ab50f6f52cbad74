using Lucid.Interfaces.Figures;
using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Testing;
using Xunit;

namespace Lucid.Interfaces.Tests;

public class ActivationGridTests
{
    private static double MeanPairwiseCorrelation(IReadOnlyList<Lucid.Imaging.Image> icons)
    {
        var vectors = icons.Select(i => i.Pixels.Select(b => (double)b).ToArray()).ToArray();
        double total = 0;
        int pairs = 0;
        for (int i = 0; i < vectors.Length; i++)
            for (int j = i + 1; j < vectors.Length; j++, pairs++)
            {
                double ma = vectors[i].Average(), mb = vectors[j].Average(), sab = 0, saa = 0, sbb = 0;
                for (int k = 0; k < vectors[i].Length; k++)
                {
                    double da = vectors[i][k] - ma, db = vectors[j][k] - mb;
                    sab += da * db; saa += da * da; sbb += db * db;
                }
                total += sab / Math.Sqrt(saa * sbb + 1e-12);
            }
        return total / pairs;
    }

    [Fact]
    public void Grid_RendersEveryPosition_RaisesItsObjective_AndTheSharedComponentMakesCellsAlike()
    {
        var model = InceptionMini.Model;
        using var image = InceptionMini.Scene(4, 4, 9);
        var shared = ActivationGrid.Of(model, image, "mixed4a", steps: 64, sharedWeight: 1, seed: 1);
        var independent = ActivationGrid.Of(model, image, "mixed4a", steps: 64, sharedWeight: 0, seed: 1);
        Assert.Equal(16, shared.Icons.Count);
        Assert.True(shared.ObjectivePerStep[^1] > shared.ObjectivePerStep[0] + 1, $"objective {shared.ObjectivePerStep[0]} → {shared.ObjectivePerStep[^1]}");
        double alike = MeanPairwiseCorrelation(shared.Icons), apart = MeanPairwiseCorrelation(independent.Icons);
        Assert.True(alike > apart + 0.05, $"mean pairwise pixel correlation: shared {alike:F3}, independent {apart:F3}");
        var svg = Svg.Render(shared.ToFigure(model, image));
        Assert.Equal(svg, Svg.Render(ActivationGrid.Of(model, image, "mixed4a", steps: 64, sharedWeight: 1, seed: 1).ToFigure(model, image)));
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) Assert.Contains($"id=\"cell-{y}-{x}\"", svg);
        Snapshot.Verify(FigureSnapshots.Scrubbed(svg), "mixed4a", "svg");
    }
}
