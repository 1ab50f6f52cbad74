using Lucid.Interfaces.Figures;
using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Testing;
using Xunit;

namespace Lucid.Interfaces.Tests;

public class SpatialAttributionTests
{
    [Fact]
    public void EachLaterPosition_DrawsOnlyOnItsReceptiveField_AndNotOnNothing()
    {
        var model = InceptionMini.Model;
        using var image = InceptionMini.Scene(4, 4, 9);
        var flow = SpatialAttribution.Of(model, image, "mixed3b", "mixed4a");
        Assert.Equal((8, 8, 4, 4), (flow.FromHeight, flow.FromWidth, flow.ToHeight, flow.ToWidth));
        for (int q = 0; q < 16; q++)
        {
            int y = q / 4, x = q % 4;
            // mixed4a (y, x) sees maxpool4 rows y − 2 … y + 2 (its 5×5 branch, padding 2), which pool mixed3b rows
            // 2(y − 2) … 2(y + 2) + 2 (3×3, stride 2): attribution outside that window is exactly zero
            static int Low(int v) => Math.Max(0, 2 * (v - 2));
            static int High(int v) => Math.Min(7, 2 * (v + 2) + 2);
            var map = flow.Maps[q];
            for (int p = 0; p < 64; p++)
            {
                int py = p / 8, px = p % 8;
                bool inside = py >= Low(y) && py <= High(y) && px >= Low(x) && px <= High(x);
                if (!inside) Assert.True(map[p] == 0f, $"mixed4a ({y}, {x}) draws {map[p]} from mixed3b ({py}, {px}) outside its receptive field");
            }
            Assert.Contains(map, v => v != 0f);
        }
        var svg = Svg.Render(flow.ToFigure(model, image));
        Assert.Equal(svg, Svg.Render(SpatialAttribution.Of(model, image, "mixed3b", "mixed4a").ToFigure(model, image)));
        Snapshot.Verify(FigureSnapshots.Scrubbed(svg), "mixed3b-mixed4a", "svg");
    }
}
