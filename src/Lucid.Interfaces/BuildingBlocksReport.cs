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
        // a backbone without labels explains its strongest output direction (null label)
        var label = model.Labels.Count > 0 ? Panels.PredictedClass(model, image) : null;
        var parts = new List<ReportPart>
        {
            Panels.NeuronGroups(model, image, tap, groups, seed: seed),
            Panels.GroupFlow(model, image, from, tap, groups, groups, seed: seed),
            Panels.ActivationGrid(model, image, tap, seed: seed),
            Panels.SemanticDictionary(model, image, tap, label, seed: seed),
            Panels.ChannelAttribution(model, image, tap, label, seed: seed),
            Panels.SpatialAttribution(model, image, from, tap),
        };
        return ($"Building Blocks of {model.Name}: {label ?? "its strongest output direction"}", parts);
    }

    /// <summary>
    /// Writes every part as an SVG and a PNG (<see cref="FigurePng"/>: a browser screenshot when one is present, else the
    /// library's own raster) and the interactive page into <paramref name="directory"/>, each file atomically; returns the page's path.
    /// The page shows the parts one below the other, or <paramref name="pageFigure"/> (e.g. the parts laid out by <see cref="Panels.Layout"/>) when given.
    /// </summary>
    public static string Write(string title, IReadOnlyList<ReportPart> parts, string directory, string page = "index.html", bool png = true, Figure? pageFigure = null)
    {
        Directory.CreateDirectory(directory);
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in parts)
        {
            // two parts of one kind on one layer (a layout may declare both) get "-2", "-3", … rather than overwriting
            var file = part.File;
            for (int n = 2; !used.Add(file); n++) file = $"{Path.GetFileNameWithoutExtension(part.File)}-{n}{Path.GetExtension(part.File)}";
            Svg.Save(part.Figure, Path.Combine(directory, file));
            if (png) FigurePng.Save(part.Figure, Path.Combine(directory, Path.ChangeExtension(file, ".png")));
        }
        var path = Path.Combine(directory, page);
        Html.Save(title, pageFigure is null ? parts.Select(p => p.Figure).ToList() : new[] { pageFigure }, path);
        return path;
    }
}
