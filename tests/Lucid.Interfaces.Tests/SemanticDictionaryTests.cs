using System.Text.RegularExpressions;
using Lucid.Attribution;
using Lucid.Interfaces.Figures;
using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Lucid.Testing;
using Xunit;

namespace Lucid.Interfaces.Tests;

public class SemanticDictionaryTests
{
    [Fact]
    public void EachPosition_ListsItsStrongestChannels_AndTheAttributionsSumToTheLayersTotal()
    {
        var model = InceptionMini.Model;
        using var image = InceptionMini.Scene(7, 8, 2);
        var target = AttributionTarget.Class(model.Labels[8]);
        var dictionary = SemanticDictionary.Of(model, image, "mixed4a", target, top: 3);
        Assert.Equal(16, dictionary.Entries.Count);
        float[] a;
        using (GradMode.NoGrad()) a = model.Run(image, null, stopAfter: "mixed4a")["mixed4a"].ToArray();
        foreach (var e in dictionary.Entries)
        {
            int p = e.Y * 4 + e.X;
            var expected = Enumerable.Range(0, 156).OrderByDescending(c => a[c * 16 + p]).ThenBy(c => c).Take(3).ToArray();
            Assert.Equal(expected, e.Channels);
            Assert.Equal(expected.Select(c => a[c * 16 + p]).ToArray(), e.Activations);
        }
        var layer = LayerAttribution.GradientTimesActivation(model, image, target, "mixed4a").Attribution.ToArray();
        Assert.Equal(layer.Sum(), dictionary.Entries.Sum(e => e.Attribution), 3);
        Assert.Equal($"class '{model.Labels[8]}'", dictionary.Target);
    }

    [Fact]
    public void Figure_IsDeterministic_ShowsEveryPosition_AndItsLayoutMatchesTheSnapshot()
    {
        var model = InceptionMini.Model;
        using var image = InceptionMini.Scene(7, 8, 2);
        var dictionary = SemanticDictionary.Of(model, image, "mixed4a", AttributionTarget.Class(8), top: 2);
        var svg = Svg.Render(dictionary.ToFigure(model, image, iconSteps: 16, seed: 1));
        Assert.Equal(svg, Svg.Render(dictionary.ToFigure(model, image, iconSteps: 16, seed: 1)));
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) Assert.Contains($"id=\"position-{y}-{x}\"", svg);
        Assert.Equal(2 + 16 * 2, Regex.Matches(svg, "<image ").Count);
        Snapshot.Verify(FigureSnapshots.Scrubbed(svg), "mixed4a-top2", "svg");
    }
}
