using Lucid.Attribution;
using Lucid.Interfaces.Figures;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Interfaces;

/// <summary>
/// Each Building Blocks interface as one report part (file name, figure, summary line), with the settings a layout
/// declares: what <see cref="BuildingBlocksReport"/> assembles and what the generator's <c>[Interface]</c> layouts call.
/// Every builder checks the image against the model first, so a wrong size fails with the model's expected shape.
/// </summary>
public static class Panels
{
    /// <summary>The class the model predicts for one image [1, C, H, W].</summary>
    public static string PredictedClass(Model model, Tensor image)
    {
        CheckImage(model, image);
        if (model.Labels.Count == 0)
            throw new LucidArgumentException("label", $"interfaces: model '{model.Name}' has no class labels (it ends at '{model.OutputTap}'), so it predicts no class; explain its strongest output direction (a null label) or a unit instead.");
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var logits = model.Forward(image).ToArray();
        return model.Labels[Ops.ArgMax(logits)];
    }

    /// <summary>
    /// What the interfaces explain: the class given, else the predicted class — or, for a network without class labels
    /// (a backbone), the image's own direction at the output: ⟨a(x), a(x₀)/‖a(x₀)‖⟩, the strongest direction there.
    /// </summary>
    public static AttributionTarget ClassTarget(Model model, Tensor image, string? label)
    {
        if (label is not null && model.Labels.Count == 0)
            throw new LucidArgumentException(nameof(label), $"interfaces: model '{model.Name}' has no class labels, so class '{label}' cannot be explained; pass no label to explain its strongest output direction.");
        if (label is not null && !model.Labels.Contains(label))
            throw new LucidArgumentException(nameof(label), $"interfaces: model '{model.Name}' has no class '{label}'.");
        if (label is null && model.Labels.Count == 0) return StrongestDirection(model, image, model.OutputTap);
        return AttributionTarget.Class(label ?? PredictedClass(model, image));
    }

    /// <summary>The image's mean activation vector at <paramref name="tap"/>, normalized, as a direction target.</summary>
    public static AttributionTarget StrongestDirection(Model model, Tensor image, string tap)
    {
        CheckImage(model, image);
        var direction = model.ChannelMeans(image, tap)[0].Select(v => (float)v).ToArray();
        int c = direction.Length;
        double norm = Math.Sqrt(direction.Sum(v => (double)v * v));
        if (norm > 0) for (int ch = 0; ch < c; ch++) direction[ch] = (float)(direction[ch] / norm);
        return AttributionTarget.Direction(model.Resolve(tap), direction);
    }

    public static ReportPart NeuronGroups(Model model, Tensor image, string tap, int groups = 4, int iconSteps = 128, ulong seed = 1)
    {
        CheckImage(model, image);
        var (figure, found) = NeuronGroupsFigure.Build(model, image, tap, groups, iconSteps, seed);
        return new($"neuron-groups-{tap}.svg", figure, $"neuron groups at {found.Tap}: {found.Count} groups (NMF relative error {found.Reducer.RelativeError:F3})");
    }

    public static ReportPart GroupFlow(Model model, Tensor image, string from, string to, int fromGroups = 4, int toGroups = 4, int iconSteps = 128, ulong seed = 1)
    {
        CheckImage(model, image);
        var flow = Interfaces.GroupFlow.Of(model, image, from, to, fromGroups, toGroups, seed);
        return new($"group-flow-{from}-{to}.svg", flow.ToFigure(model, iconSteps, seed), $"attribution between neuron groups {from} → {to}");
    }

    public static ReportPart ActivationGrid(Model model, Tensor image, string tap, int steps = 128, float sharedWeight = 1f, ulong seed = 1)
    {
        CheckImage(model, image);
        var grid = Interfaces.ActivationGrid.Of(model, image, tap, steps, sharedWeight, seed);
        return new($"activation-grid-{tap}.svg", grid.ToFigure(model, image), $"activation grid at {tap}: {grid.Height}×{grid.Width} cells");
    }

    /// <summary>The semantic dictionary; its spatial attribution explains <paramref name="label"/> (null: the predicted class).</summary>
    public static ReportPart SemanticDictionary(Model model, Tensor image, string tap, string? label = null, int top = 3, int iconSteps = 128, ulong seed = 1)
    {
        var target = ClassTarget(model, image, label);
        var dictionary = Interfaces.SemanticDictionary.Of(model, image, tap, target, top);
        return new($"semantic-dictionary-{tap}.svg", dictionary.ToFigure(model, image, iconSteps, seed),
            $"semantic dictionary at {tap}: {dictionary.Entries.Count} positions, attribution to {target}");
    }

    /// <summary>Channel attribution toward <paramref name="label"/> (null: the predicted class).</summary>
    public static ReportPart ChannelAttribution(Model model, Tensor image, string tap, string? label = null, int count = 4, int iconSteps = 128, ulong seed = 1)
    {
        var target = ClassTarget(model, image, label);
        var channels = Interfaces.ChannelAttribution.Of(model, image, tap, target, count);
        return new($"channel-attribution-{tap}.svg", channels.ToFigure(model, image, iconSteps, seed),
            $"channel attribution at {tap}: for [{string.Join(", ", channels.For)}], against [{string.Join(", ", channels.Against)}]");
    }

    public static ReportPart SpatialAttribution(Model model, Tensor image, string from, string to)
    {
        CheckImage(model, image);
        var spatial = Interfaces.SpatialAttribution.Of(model, image, from, to);
        return new($"spatial-attribution-{from}-{to}.svg", spatial.ToFigure(model, image), $"spatial attribution {from} → {to}");
    }

    /// <summary>
    /// One figure of several parts laid out in rows: parts with the same row number side by side, rows top to bottom
    /// in ascending order; each part in a titled panel, its element ids prefixed with <c>p{index}-</c> so they stay unique.
    /// </summary>
    public static Figure Layout(string title, IReadOnlyList<ReportPart> parts, IReadOnlyList<int> rows)
    {
        if (rows.Count != parts.Count)
            throw new LucidArgumentException(nameof(rows), $"interfaces: {parts.Count} parts need {parts.Count} row numbers, got {rows.Count}.");
        var lines = parts.Select((part, i) => (Row: rows[i], Panel: (FigureElement)new Panel(part.Figure.Title, FigureIds.Prefix(part.Figure.Root, $"p{i}-"))))
            .GroupBy(x => x.Row).OrderBy(g => g.Key)
            .Select(g => (FigureElement)new Row(g.Select(x => x.Panel).ToArray(), Gap: 16)).ToArray();
        return new Figure(title, new Column(lines, Gap: 16));
    }

    /// <summary>Refuses anything but one image of the model's input shape, naming the model and the expected shape.</summary>
    public static void CheckImage(Model model, Tensor image)
    {
        if (!model.Input.Accepts(image, count: 1))
            throw new ShapeMismatchException(
                $"interfaces: model '{model.Name}' takes one image [1, {string.Join(", ", model.Input.Shape)}], got {Shapes.Format(image.Shape)}.");
    }
}
