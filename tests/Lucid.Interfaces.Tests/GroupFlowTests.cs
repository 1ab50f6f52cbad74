using Lucid.Attribution;
using Lucid.Interfaces.Figures;
using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Testing;
using Xunit;

namespace Lucid.Interfaces.Tests;

public class GroupFlowTests
{
    [Fact]
    public void EachLaterGroupsAttribution_IsSplitAmongTheEarlierGroups_WithoutLoss()
    {
        var model = InceptionMini.Model;
        using var image = InceptionMini.Scene(4, 4, 9);
        var flow = GroupFlow.Of(model, image, "mixed3b", "mixed4a", fromGroups: 3, toGroups: 4, seed: 1);
        Assert.Equal((3, 4), (flow.Attribution.GetLength(0), flow.Attribution.GetLength(1)));
        for (int j = 0; j < 4; j++)
        {
            // the layer total for group j, computed directly
            var component = Tensor.FromArray(Enumerable.Range(0, flow.To.Reducer.Channels).Select(c => flow.To.Reducer.Components[j, c]).ToArray(), 1, flow.To.Reducer.Channels, 1, 1);
            var target = AttributionTarget.Function("mixed4a", t => Ops.Sum(Ops.Flatten(Ops.Mul(t, component), 1), 1));
            double total = LayerAttribution.GradientTimesActivation(model, image, target, "mixed3b").Attribution.ToArray().Sum(v => (double)v);
            double split = Enumerable.Range(0, 3).Sum(i => flow.Attribution[i, j]);
            Assert.True(Math.Abs(split - total) <= 1e-3 * (Math.Abs(total) + 1), $"group {j}: split {split} vs layer total {total}");
        }
        var svg = Svg.Render(flow.ToFigure(model, iconSteps: 16, seed: 1));
        Assert.Equal(svg, Svg.Render(GroupFlow.Of(model, image, "mixed3b", "mixed4a", fromGroups: 3, toGroups: 4, seed: 1).ToFigure(model, iconSteps: 16, seed: 1)));
        Assert.Equal(12, System.Text.RegularExpressions.Regex.Matches(svg, "<line ").Count);
        Snapshot.Verify(FigureSnapshots.Scrubbed(System.Text.RegularExpressions.Regex.Replace(svg, "stroke-width=\"[0-9.]+\"", "stroke-width=\"{w}\"")), "mixed3b-mixed4a", "svg");
    }

    [Fact]
    public void Flow_RefusesWeightsOfTheWrongShape()
    {
        var cell = new ImageCell(new Lucid.Imaging.Image(1, 1, 3), 10, 10);
        var figure = new Figure("f", new Flow(new FigureElement[] { cell, cell }, new FigureElement[] { cell }, new double[1, 1]));
        Assert.Contains("needs [2, 1] weights, got [1, 1]", Assert.Throws<LucidArgumentException>(() => Svg.Render(figure)).Message);
    }
}
