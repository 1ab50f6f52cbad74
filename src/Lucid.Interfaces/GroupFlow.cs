using System.Globalization;
using Lucid.Attribution;
using Lucid.Interfaces.Figures;
using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Interfaces;

/// <summary>
/// Building Blocks attribution between the neuron groups of two layers of one image. Each later group j is the
/// projection of the later layer's activations on its NMF component, Σ_p ⟨a(p), h_j⟩; its gradient × activation at the
/// earlier layer is summed over positions per channel, and each channel's share is split among the earlier groups in
/// proportion to their components' weights on that channel. So Σ_i Attribution[i, j] is exactly the layer's total
/// gradient × activation for group j.
/// </summary>
/// <param name="From">The earlier layer's groups.</param>
/// <param name="To">The later layer's groups.</param>
/// <param name="Attribution">[from groups, to groups].</param>
public sealed record GroupFlow(NeuronGroups From, NeuronGroups To, double[,] Attribution)
{
    public static GroupFlow Of(Model model, Tensor image, string from, string to, int fromGroups = 4, int toGroups = 4, ulong seed = 0)
    {
        var a = NeuronGroups.Of(model, image, from, fromGroups, seed);
        var b = NeuronGroups.Of(model, image, to, toGroups, seed);
        int ca = a.Reducer.Channels, cb = b.Reducer.Channels;
        var attribution = new double[fromGroups, toGroups];
        for (int j = 0; j < toGroups; j++)
        {
            var component = Tensor.FromArray(Enumerable.Range(0, cb).Select(c => b.Reducer.Components[j, c]).ToArray(), 1, cb, 1, 1);
            var target = AttributionTarget.Function(to, t => Ops.Sum(Ops.Flatten(Ops.Mul(t, component), 1), 1), $"group {j} of {to}");
            var layer = LayerAttribution.GradientTimesActivation(model, image, target, from);
            using var perChannel = LayerAttribution.SumOverPositions(layer.Attribution);
            layer.Attribution.Dispose();
            component.Dispose();
            var s = perChannel.ToArray();
            for (int c = 0; c < ca; c++)
            {
                double total = 0;
                for (int i = 0; i < fromGroups; i++) total += a.Reducer.Components[i, c];
                for (int i = 0; i < fromGroups; i++)
                    attribution[i, j] += s[c] * (total > 0 ? a.Reducer.Components[i, c] / total : 1.0 / fromGroups);
            }
        }
        return new GroupFlow(a, b, attribution);
    }

    /// <summary>The figure: the earlier groups' icons above the later groups', joined by links as wide as the attribution.</summary>
    public Figure ToFigure(Model model, int iconSteps = 128, ulong seed = 0, int cell = 72)
    {
        var sourceIcons = NeuronGroupsFigure.RenderIcons(model, From, iconSteps, seed);
        var targetIcons = NeuronGroupsFigure.RenderIcons(model, To, iconSteps, seed);
        var labels = new string[From.Count, To.Count];
        for (int i = 0; i < From.Count; i++)
            for (int j = 0; j < To.Count; j++)
                labels[i, j] = Invariant($"{From.Tap} group {i} → {To.Tap} group {j}: {Attribution[i, j]:+0.000;-0.000}");
        var flow = new Flow(
            sourceIcons.Select((icon, i) => (FigureElement)new ImageCell(icon, cell, cell, $"{From.Tap} {i}")
            {
                Id = $"from-{i}", Key = FigureKeys.Group(From.Tap, From.Count, i),
                Details = Invariant($"group {i} of {From.Tap}, its attribution to the groups of {To.Tap}:\n") +
                          string.Join("\n", Enumerable.Range(0, To.Count).Select(j => Invariant($"→ group {j}: {Attribution[i, j]:+0.000;-0.000}"))),
            }).ToArray(),
            targetIcons.Select((icon, j) => (FigureElement)new ImageCell(icon, cell, cell, $"{To.Tap} {j}")
            {
                Id = $"to-{j}", Key = FigureKeys.Group(To.Tap, To.Count, j),
                Details = Invariant($"group {j} of {To.Tap}, its attribution from the groups of {From.Tap}:\n") +
                          string.Join("\n", Enumerable.Range(0, From.Count).Select(i => Invariant($"← group {i}: {Attribution[i, j]:+0.000;-0.000}"))),
            }).ToArray(),
            Attribution, labels) { Id = "flow" };
        return new Figure($"Attribution between neuron groups: {From.Tap} → {To.Tap}", new Column(new FigureElement[]
        {
            flow,
            new Text("link width: attribution (red for, blue against)", 10),
        }));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
