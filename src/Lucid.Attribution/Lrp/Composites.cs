using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Attribution;

/// <summary>Zennit's composites (rule assignments by layer kind and position).</summary>
public enum LrpComposite { EpsilonPlus, EpsilonPlusFlat, EpsilonGammaBox, EpsilonAlpha2Beta1, EpsilonAlpha2Beta1Flat, ExcitationBackprop }

public static class LrpComposites
{
    /// <summary>
    /// The rule assignment of <paramref name="composite"/> for <paramref name="model"/>: ε on fully connected layers;
    /// z⁺, γ or α2β1 on convolutions; on the first linear layer (the one reading the input) flat or z^B where the
    /// composite says so (z^B uses the model's input range as its bounds). Average pooling takes the convolution rule's
    /// place in Plus composites only through its own kind ("avg_pool2d" → ε, which is what Zennit's Norm rule computes).
    /// </summary>
    public static Lrp For(LrpComposite composite, Model model, float epsilon = LrpRule.DefaultEpsilon) =>
        For(composite, model.Nodes.FirstOrDefault(n => LrpKinds.HasWeights(n.Layer.Kind))?.Name, () => LrpZBox.ForModel(model), epsilon);

    /// <summary>The composite's assignment given the first linear layer's tap and the z^B bounds (for engines that see the network's layers themselves).</summary>
    internal static Lrp For(LrpComposite composite, string? first, Func<LrpZBox> zBox, float epsilon = LrpRule.DefaultEpsilon)
    {
        LrpRule dense = new LrpEpsilon(epsilon);
        LrpRule conv = composite switch
        {
            LrpComposite.EpsilonGammaBox => new LrpGamma(),
            LrpComposite.EpsilonAlpha2Beta1 or LrpComposite.EpsilonAlpha2Beta1Flat => new LrpAlphaBeta(),
            _ => new LrpZPlus(),
        };
        LrpRule? firstRule = composite switch
        {
            LrpComposite.EpsilonPlusFlat or LrpComposite.EpsilonAlpha2Beta1Flat => new LrpFlat(),
            LrpComposite.EpsilonGammaBox => zBox(),
            _ => null,
        };
        bool excitation = composite == LrpComposite.ExcitationBackprop;
        return new Lrp((tap, op) =>
        {
            if (firstRule is not null && tap == first) return firstRule;
            if (excitation) return op == "avg_pool2d" || op == "adaptive_avg_pool2d" ? new LrpEpsilon(epsilon) : new LrpZPlus();
            return op switch
            {
                "linear" => dense,
                "conv2d" => conv,
                _ => new LrpEpsilon(epsilon),
            };
        }, positiveSumSplit: excitation || composite == LrpComposite.EpsilonPlus || composite == LrpComposite.EpsilonPlusFlat)
        {
            Name = $"LRP {composite}",
        };
    }
}

/// <summary>
/// A composite as data (Zennit's LayerMapComposite + NameMapComposite): the input layer's rule, a rule per layer kind
/// ("conv2d", "linear", "avg_pool2d", "adaptive_avg_pool2d"; a kind not listed gets ε), rules by tap name over both,
/// and how residual sums split.
/// </summary>
public sealed record LrpRuleMap : LrpAssignment
{
    /// <summary>The rule of the model's first convolution or linear layer (null: by its kind).</summary>
    public LrpRule? First { get; init; }
    public IReadOnlyDictionary<string, LrpRule> ByKind { get; init; } = new Dictionary<string, LrpRule>();
    public IReadOnlyDictionary<string, LrpRule> ByName { get; init; } = new Dictionary<string, LrpRule>();
    /// <summary>Split residual sums by the summands' positive parts (z⁺ composites) rather than the summands.</summary>
    public bool PositiveSumSplit { get; init; }
    public float SumStabilizer { get; init; } = LrpRule.DefaultEpsilon;
    public override string Name { get; init; } = "LRP (rule map)";

    /// <summary>The assignment for <paramref name="model"/> (names are checked against its layers).</summary>
    public override Lrp For(Model model)
    {
        string? first = model.Nodes.FirstOrDefault(n => LrpKinds.HasWeights(n.Layer.Kind))?.Name;
        var byKind = ByKind;
        var epsilon = new LrpEpsilon();
        var lrp = new Lrp((tap, op) => First is not null && tap == first ? First : byKind.TryGetValue(op, out var r) ? r : epsilon, SumStabilizer, PositiveSumSplit) { Name = Name };
        return ByName.Count == 0 ? lrp : lrp.WithOverrides(model, ByName);
    }
}

/// <summary>
/// An LRP method that assigns rules to a model's layers (a composite, a rule map): <see cref="For"/> is the assignment,
/// attributing runs it.
/// </summary>
public abstract record LrpAssignment : IAttribution
{
    public abstract string Name { get; init; }

    /// <summary>The rules this method assigns to <paramref name="model"/>'s layers.</summary>
    public abstract Lrp For(Model model);

    public LrpResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return For(model).Attribute(model, inputs, target);
    }

    AttributionResult IAttribution.Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken) =>
        Attribute(model, inputs, target, cancellationToken);

    public sealed override string ToString() => Name;
}
