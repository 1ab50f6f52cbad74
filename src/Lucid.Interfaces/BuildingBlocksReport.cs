using Lucid.Attribution;
using Lucid.Interfaces.Figures;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Interfaces;

/// <summary>One written part of a report: its file name, figure, and a one-line summary.</summary>
public sealed record ReportPart(string File, Figure Figure, string Summary);

/// <summary>
/// The Building Blocks report of one image: neuron groups, attribution between the groups of two layers, the
/// activation grid, the semantic dictionary and channel attribution (both explaining the predicted class) and spatial
/// attribution between the two layers — each as an SVG, and all together as one interactive HTML page.
/// </summary>
public static class BuildingBlocksReport
{
    /// <param name="model">The model.</param>
    /// <param name="image">One image [1, C, H, W].</param>
    /// <param name="tap">The layer the interfaces explain (non-negative, spatial; e.g. mixed4a).</param>
    /// <param name="from">An earlier layer for the attribution between layers (e.g. mixed3b).</param>
    /// <param name="groups">Neuron groups per layer.</param>
    /// <param name="seed">Seeds the factorizations and every rendered icon.</param>
    public static (string Title, IReadOnlyList<ReportPart> Parts) Build(Model model, Tensor image, string tap, string from, int groups = 4, ulong seed = 1)
    {
        int predicted;
        using (GradMode.NoGrad())
        {
            var logits = model.Forward(image).ToArray();
            predicted = Array.IndexOf(logits, logits.Max());
        }
        var target = AttributionTarget.Class(model.Labels[predicted]);
        var parts = new List<ReportPart>();
        var (groupsFigure, found) = NeuronGroupsFigure.Build(model, image, tap, groups, seed: seed);
        parts.Add(new("neuron-groups.svg", groupsFigure, $"neuron groups at {found.Tap}: {found.Count} groups (NMF relative error {found.Reducer.RelativeError:F3})"));
        var flow = GroupFlow.Of(model, image, from, tap, groups, groups, seed);
        parts.Add(new("group-flow.svg", flow.ToFigure(model, seed: seed), $"attribution between neuron groups {from} → {tap}"));
        var grid = ActivationGrid.Of(model, image, tap, seed: seed);
        parts.Add(new("activation-grid.svg", grid.ToFigure(model, image), $"activation grid at {tap}: {grid.Height}×{grid.Width} cells"));
        var dictionary = SemanticDictionary.Of(model, image, tap, target);
        parts.Add(new("semantic-dictionary.svg", dictionary.ToFigure(model, image, seed: seed), $"semantic dictionary at {tap}: {dictionary.Entries.Count} positions, attribution to {target}"));
        var channels = ChannelAttribution.Of(model, image, tap, target);
        parts.Add(new("channel-attribution.svg", channels.ToFigure(model, image, seed: seed), $"channel attribution at {tap}: for [{string.Join(", ", channels.For)}], against [{string.Join(", ", channels.Against)}]"));
        var spatial = SpatialAttribution.Of(model, image, from, tap);
        parts.Add(new("spatial-attribution.svg", spatial.ToFigure(model, image), $"spatial attribution {from} → {tap}"));
        return ($"Building Blocks of {model.Name}: {model.Labels[predicted]}", parts);
    }

    /// <summary>Writes every part as an SVG and <c>index.html</c> into <paramref name="directory"/> (each file atomically); returns the page's path.</summary>
    public static string Write(string title, IReadOnlyList<ReportPart> parts, string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var part in parts) Svg.Save(part.Figure, Path.Combine(directory, part.File));
        var page = Path.Combine(directory, "index.html");
        Html.Save(title, parts.Select(p => p.Figure).ToList(), page);
        return page;
    }
}
