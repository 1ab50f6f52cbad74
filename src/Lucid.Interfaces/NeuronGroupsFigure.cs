using System.Globalization;
using Lucid.Imaging;
using Lucid.Interfaces.Figures;
using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Interfaces;

/// <summary>
/// The Building Blocks "neuron groups" interface for one image: the image; per group, a feature visualization of the
/// group's direction in channel space (its icon) above the group's spatial map laid over the image; a legend.
/// </summary>
public static class NeuronGroupsFigure
{
    /// <summary>
    /// Every group's icon: a feature visualization of its direction in channel space (cosine power 1), all groups as
    /// one batch with the small-input preset.
    /// </summary>
    public static IReadOnlyList<Image> RenderIcons(Model model, NeuronGroups groups, int steps = 128, ulong seed = 0) =>
        Icons.ForDirections(model, groups.Tap,
            Enumerable.Range(0, groups.Count).Select(g => Enumerable.Range(0, groups.Reducer.Channels).Select(c => groups.Reducer.Components[g, c]).ToArray()).ToList(),
            steps, seed);

    private static string GroupDetails(NeuronGroups groups, int g, double mass)
    {
        var strongest = Enumerable.Range(0, groups.Reducer.Channels).OrderByDescending(c => groups.Reducer.Components[g, c]).ThenBy(c => c).Take(5)
            .Select(c => string.Create(CultureInfo.InvariantCulture, $"channel {c}: {groups.Reducer.Components[g, c]:0.00}"));
        return string.Create(CultureInfo.InvariantCulture, $"group {g} of {groups.Count} at {groups.Tap}\ntotal weight {mass:0.00}\nstrongest channels:\n") + string.Join("\n", strongest);
    }

    /// <param name="model">The model.</param>
    /// <param name="image">One image [1, 3, H, W] in [0, 1].</param>
    /// <param name="tap">A non-negative spatial layer (e.g. mixed4a).</param>
    /// <param name="groups">Number of groups (NMF components).</param>
    /// <param name="iconSteps">Render steps per icon (the small-input preset).</param>
    /// <param name="seed">Seeds the factorization and the icons.</param>
    /// <param name="cell">Displayed size of each image cell in pixels.</param>
    public static (Figure Figure, NeuronGroups Groups) Build(Model model, Tensor image, string tap, int groups = 4, int iconSteps = 128, ulong seed = 0, int cell = 96)
    {
        var found = NeuronGroups.Of(model, image, tap, groups, seed);
        int size = model.Input.Shape[^1];
        var icons = RenderIcons(model, found, iconSteps, seed);
        var input = Image.FromTensor(image);
        var shares = found.Shares();
        int plane = found.Height * found.Width;
        var columns = new List<FigureElement>
        {
            new Column(new FigureElement[] { new ImageCell(input, cell, cell, "input") { Id = "input" }, new Text(tap + ", " + groups.ToString(CultureInfo.InvariantCulture) + " groups", 11) }),
        };
        for (int g = 0; g < groups; g++)
        {
            var map = Tensor.FromArray(shares.AsSpan(g * plane, plane).ToArray(), 1, 1, found.Height, found.Width);
            var heat = Heatmap.Render(map, HeatmapScaling.Positive, Colormap.Hot).ResizeNearest(input.Width, input.Height);
            double mass = 0;
            for (int p = 0; p < plane; p++) mass += found.Maps[g * plane + p];
            columns.Add(new Column(new FigureElement[]
            {
                new ImageCell(icons[g], cell, cell, $"group {g}") { Id = $"group-{g}-icon" },
                new ImageCell(Heatmap.Overlay(input, heat, opacity: 0.7), cell, cell, $"weight {mass.ToString("F1", CultureInfo.InvariantCulture)}") { Id = $"group-{g}-map" },
            }) { Id = $"group-{g}", Key = FigureKeys.Group(tap, groups, g), Details = GroupDetails(found, g, mass) });
            map.Dispose();
        }
        var root = new Column(new FigureElement[]
        {
            new Row(columns, Gap: 12),
            new Row(new FigureElement[] { new ColorLegend(Colormap.Hot, "0", "1"), new Text("a group's share of the group weight at each position", 11) }, Gap: 12),
        });
        return (new Figure($"Neuron groups of {model.Name} at {tap}", root), found);
    }
}
