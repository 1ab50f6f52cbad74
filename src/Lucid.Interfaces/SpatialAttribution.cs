using System.Globalization;
using Lucid.Attribution;
using Lucid.Imaging;
using Lucid.Interfaces.Figures;
using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Interfaces;

/// <summary>
/// Building Blocks spatial attribution between two layers of one image: for every position q of the later layer, how
/// much each position p of the earlier layer contributes to q's activations — gradient × activation at the earlier
/// layer of Σ_c a_later[c, q], summed over the earlier layer's channels.
/// </summary>
/// <param name="From">The earlier layer.</param>
/// <param name="To">The later layer.</param>
/// <param name="FromHeight">Height of the earlier layer.</param>
/// <param name="FromWidth">Width of the earlier layer.</param>
/// <param name="ToHeight">Height of the later layer.</param>
/// <param name="ToWidth">Width of the later layer.</param>
/// <param name="Maps">Per later position q (row-major), the map over the earlier layer's positions (row-major).</param>
public sealed record SpatialAttribution(string From, string To, int FromHeight, int FromWidth, int ToHeight, int ToWidth, float[][] Maps)
{
    public static SpatialAttribution Of(Model model, Tensor image, string from, string to)
    {
        InputChecks.OneImage(image, "spatial attribution");
        var a = model[from].OutputShape;
        var b = model[to].OutputShape;
        if (a.Length != 3 || b.Length != 3) throw new LucidArgumentException(nameof(from), $"spatial attribution: '{from}' and '{to}' must both be spatial layers.");
        int th = b[1], tw = b[2];
        var maps = new float[th * tw][];
        for (int q = 0; q < th * tw; q++)
        {
            int y = q / tw, x = q % tw;
            var target = AttributionTarget.Function(to, t => Ops.Sum(Ops.Flatten(Ops.Slice(Ops.Slice(t, 2, y, y + 1), 3, x, x + 1), 1), 1), $"Σ_c {to}[c, {y}, {x}]");
            var layer = LayerAttribution.GradientTimesActivation(model, image, target, from);
            using var spatial = LayerAttribution.SumOverChannels(layer.Attribution);
            layer.Attribution.Dispose();
            maps[q] = spatial.ToArray();
        }
        return new SpatialAttribution(from, to, a[1], a[2], th, tw, maps);
    }

    /// <summary>The figure: per later position, its map over the earlier layer laid over the image.</summary>
    public Figure ToFigure(Model model, Tensor image, int cell = 56)
    {
        var input = Image.FromTensor(image);
        var rows = new List<FigureElement>();
        for (int y = 0; y < ToHeight; y++)
            rows.Add(new Row(Enumerable.Range(0, ToWidth).Select(x =>
            {
                int q = y * ToWidth + x;
                using var map = Tensor.FromArray(Maps[q], 1, 1, FromHeight, FromWidth);
                var heat = Heatmap.Render(map, HeatmapScaling.Signed, Colormap.Bwr).ResizeNearest(input.Width, input.Height);
                float total = Maps[q].Sum();
                return (FigureElement)new ImageCell(Heatmap.Overlay(input, heat, opacity: 0.7), cell, cell)
                {
                    Id = $"to-{y}-{x}",
                    Key = FigureKeys.Position(To, y, x),
                    Details = string.Create(CultureInfo.InvariantCulture, $"{To} position ({y}, {x})\nattribution from {From}: total {total:+0.00;-0.00}, largest {Maps[q].Max():0.00}"),
                };
            }).ToArray(), Gap: 2));
        var root = new Row(new FigureElement[]
        {
            new Column(new FigureElement[] { new ImageCell(input, 128, 128, "input") { Id = "input" }, new ColorLegend(Colormap.Bwr, "−", "+"), new Text($"cell: a {To} position", 10), new Text($"colour: its sources in {From}", 10) }),
            new Column(rows, Gap: 2) { Id = "flow" },
        }, Gap: 16);
        return new Figure($"Spatial attribution {From} → {To}", root);
    }
}
