using System.Globalization;
using Lucid.Attribution;
using Lucid.Imaging;
using Lucid.Interfaces.Figures;
using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Interfaces;

/// <summary>
/// The Building Blocks channel attribution of one image: every channel of a layer scored by gradient × activation
/// summed over positions toward a target; the strongest channels for and against it, shown by their feature
/// visualizations.
/// </summary>
/// <param name="Tap">The layer.</param>
/// <param name="Scores">Every channel's attribution (they add up to the layer's total gradient × activation).</param>
/// <param name="For">The channels with the largest positive attribution, strongest first.</param>
/// <param name="Against">The channels with the most negative attribution, strongest first.</param>
/// <param name="Target">What was explained.</param>
public sealed record ChannelAttribution(string Tap, float[] Scores, int[] For, int[] Against, string Target)
{
    public static ChannelAttribution Of(Model model, Tensor image, string tap, AttributionTarget target, int count = 4)
    {
        InputChecks.OneImage(image, "channel attribution");
        var shape = InputChecks.SpatialShape(model, tap, "channel attribution");
        if (count < 1 || count > shape[0]) throw new LucidArgumentException(nameof(count), $"channel attribution: {count} channels each way for the {shape[0]} of '{tap}'.");
        var layer = LayerAttribution.GradientTimesActivation(model, image, target, tap);
        using var perChannel = LayerAttribution.SumOverPositions(layer.Attribution);
        layer.Attribution.Dispose();
        var scores = perChannel.ToArray();
        var order = Enumerable.Range(0, scores.Length).OrderByDescending(c => scores[c]).ThenBy(c => c).ToArray();
        var positive = order.Where(c => scores[c] > 0).Take(count).ToArray();
        var negative = order.Reverse().Where(c => scores[c] < 0).Take(count).ToArray();
        return new ChannelAttribution(tap, scores, positive, negative, target.ToString() ?? "target");
    }

    /// <summary>The figure: the image, then a row of icons for the channels for the target and one for those against it.</summary>
    public Figure ToFigure(Model model, Tensor image, int iconSteps = 128, ulong seed = 0, int icon = 64)
    {
        var icons = Icons.ForChannels(model, Tap, For.Concat(Against), iconSteps, seed);
        FigureElement Strip(string title, int[] list, string id) => new Panel(title, list.Length == 0
            ? new Text("none", 11)
            : new Row(list.Select(c => (FigureElement)new ImageCell(icons[c], icon, icon, $"{c}: {Scores[c].ToString("+0.00;-0.00", CultureInfo.InvariantCulture)}") { Id = $"channel-{c}", Details = $"channel {c} of {Tap}\nattribution to {Target}: {Scores[c].ToString("+0.000;-0.000", CultureInfo.InvariantCulture)}" }).ToArray(), Gap: 6)) { Id = id };
        var root = new Row(new FigureElement[]
        {
            new Column(new FigureElement[] { new ImageCell(Image.FromTensor(image), 128, 128, "input") { Id = "input" }, new Text(Target, 10) }),
            new Column(new[] { Strip("for", For, "for"), Strip("against", Against, "against") }),
        }, Gap: 16);
        return new Figure($"Channel attribution of {model.Name} at {Tap}", root);
    }
}
