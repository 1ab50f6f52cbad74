using System.Globalization;
using Lucid.Attribution;
using Lucid.Imaging;
using Lucid.Interfaces.Figures;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Interfaces;

/// <summary>One position of a semantic dictionary: its strongest channels and how much it contributes to the target.</summary>
/// <param name="Y">Row in the layer.</param>
/// <param name="X">Column in the layer.</param>
/// <param name="Channels">The strongest channels at this position, strongest first.</param>
/// <param name="Activations">Their activations.</param>
/// <param name="Attribution">Σ over channels of activation × ∂target/∂activation at this position (spatial attribution).</param>
public sealed record DictionaryEntry(int Y, int X, int[] Channels, float[] Activations, float Attribution);

/// <summary>
/// The Building Blocks semantic dictionary of one image at one layer: for every position, the top channels by
/// activation — each shown by its feature visualization — and the position's spatial attribution (gradient ×
/// activation summed over channels) toward a target, e.g. the predicted class.
/// </summary>
public sealed record SemanticDictionary(string Tap, int Height, int Width, IReadOnlyList<DictionaryEntry> Entries, string Target)
{
    /// <param name="model">The model.</param>
    /// <param name="image">One image [1, C, H, W].</param>
    /// <param name="tap">A spatial layer.</param>
    /// <param name="target">What the spatial attribution explains (e.g. <c>AttributionTarget.Class("solid ring")</c>); it must read a later tap.</param>
    /// <param name="top">Channels listed per position.</param>
    public static SemanticDictionary Of(Model model, Tensor image, string tap, AttributionTarget target, int top = 3)
    {
        InputChecks.OneImage(image, "semantic dictionary");
        var shape = InputChecks.SpatialShape(model, tap, "semantic dictionary");
        if (top < 1 || top > shape[0]) throw new LucidArgumentException(nameof(top), $"semantic dictionary: {top} channels per position for the {shape[0]} of '{tap}'.");
        int c = shape[0], h = shape[1], w = shape[2], plane = h * w;
        float[] activations;
        using (GradMode.NoGrad())
        using (Tensor.Scope())
            activations = model.Run(image, null, stopAfter: tap)[tap].ToArray();
        var attribution = LayerAttribution.GradientTimesActivation(model, image, target, tap);
        var spatial = LayerAttribution.SumOverChannels(attribution.Attribution).ToArray();
        attribution.Attribution.Dispose();
        var entries = new List<DictionaryEntry>();
        for (int p = 0; p < plane; p++)
        {
            // strongest first; ties by channel index, so the order is deterministic
            var order = Enumerable.Range(0, c).OrderByDescending(ch => activations[ch * plane + p]).ThenBy(ch => ch).Take(top).ToArray();
            entries.Add(new DictionaryEntry(p / w, p % w, order, order.Select(ch => activations[ch * plane + p]).ToArray(), spatial[p]));
        }
        return new SemanticDictionary(tap, h, w, entries, target.ToString() ?? "target");
    }

    /// <summary>
    /// The figure: the image with the spatial attribution laid over it, and the grid of positions, each with its top
    /// channels' icons (feature visualizations rendered as one batch with the small-input preset).
    /// </summary>
    public Figure ToFigure(Model model, Tensor image, int iconSteps = 128, ulong seed = 0, int icon = 40)
    {
        var icons = Icons.ForChannels(model, Tap, Entries.SelectMany(e => e.Channels), iconSteps, seed);
        var input = Image.FromTensor(image);
        using var map = Tensor.FromArray(Entries.Select(e => e.Attribution).ToArray(), 1, 1, Height, Width);
        var heat = Heatmap.Render(map, HeatmapScaling.Signed, Colormap.Bwr).ResizeNearest(input.Width, input.Height);
        var grid = new List<FigureElement>();
        for (int y = 0; y < Height; y++)
            grid.Add(new Row(Entries.Where(e => e.Y == y).Select(e => (FigureElement)new Column(new FigureElement[]
            {
                new Text(Invariant($"({e.Y}, {e.X})  {e.Attribution:+0.00;-0.00}"), 10),
                new Row(e.Channels.Select((ch, k) => (FigureElement)new ImageCell(icons[ch], icon, icon, Invariant($"{ch}: {e.Activations[k]:0.0}"))).ToArray(), Gap: 2),
            })
            {
                Id = $"position-{e.Y}-{e.X}",
                Key = FigureKeys.Position(Tap, e.Y, e.X),
                Details = Invariant($"position ({e.Y}, {e.X}) of {Tap}\nattribution to {Target}: {e.Attribution:+0.000;-0.000}\n") +
                          string.Join("\n", e.Channels.Select((ch, k) => Invariant($"channel {ch}: {e.Activations[k]:0.00}"))),
            }).ToArray(), Gap: 10));
        var root = new Row(new FigureElement[]
        {
            new Column(new FigureElement[]
            {
                new ImageCell(input, 128, 128, "input") { Id = "input" },
                new ImageCell(Heatmap.Overlay(input, heat, opacity: 0.7), 128, 128, "spatial attribution") { Id = "attribution" },
                new ColorLegend(Colormap.Bwr, "against", "for"),
                new Text(Target, 10),
            }),
            new Column(grid, Gap: 6) { Id = "dictionary" },
        }, Gap: 16);
        return new Figure($"Semantic dictionary of {model.Name} at {Tap}", root);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
