using System.Text.RegularExpressions;
using Lucid.Attribution;
using Lucid.Interfaces.Figures;
using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Testing;
using Xunit;

namespace Lucid.Interfaces.Tests;

public class ChannelAttributionTests
{
    [Fact]
    public void ChannelsForAndAgainst_AreTheExtremesOfScoresThatSumToTheLayersTotal()
    {
        var model = InceptionMini.Model;
        using var image = InceptionMini.Scene(3, 3, 8);
        var target = AttributionTarget.Class(model.Labels[3]);
        var result = ChannelAttribution.Of(model, image, "mixed4a", target, count: 4);
        Assert.Equal(156, result.Scores.Length);
        var layer = LayerAttribution.GradientTimesActivation(model, image, target, "mixed4a").Attribution.ToArray();
        Assert.Equal(layer.Sum(), result.Scores.Sum(), 3);
        var sorted = result.Scores.OrderByDescending(v => v).ToArray();
        Assert.Equal(sorted.Where(v => v > 0).Take(4), result.For.Select(c => result.Scores[c]));
        Assert.Equal(sorted.Reverse().Where(v => v < 0).Take(4), result.Against.Select(c => result.Scores[c]));
        Assert.Equal(4, result.For.Length);
    }

    [Fact]
    public void Figure_IsDeterministic_AndItsLayoutMatchesTheSnapshot()
    {
        var model = InceptionMini.Model;
        using var image = InceptionMini.Scene(3, 3, 8);
        var result = ChannelAttribution.Of(model, image, "mixed4a", AttributionTarget.Class(3), count: 3);
        var svg = Svg.Render(result.ToFigure(model, image, iconSteps: 16, seed: 1));
        Assert.Equal(svg, Svg.Render(result.ToFigure(model, image, iconSteps: 16, seed: 1)));
        Assert.Contains("id=\"for\"", svg);
        Assert.Contains("id=\"against\"", svg);
        Snapshot.Verify(FigureSnapshots.Scrubbed(svg), "mixed4a-3", "svg");
    }
}
