using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

/// <summary>
/// Layer-wise relevance propagation on a model, through the engine's backward hooks: linear layers (conv2d, linear,
/// average pooling) follow their assigned rule; element-wise activations and local response normalization pass
/// relevance through; residual sums split it in proportion to the summands (Zennit's canonized form); max-pooling
/// sends it to the winner (or in proportion, see <see cref="MaxPoolRelevance"/>); concatenation (Inception branches),
/// reshapes and slices route each branch its own share; an evaluation-mode batch normalization is merged into the
/// convolution or linear layer before it; per-channel constant scalings (a model's input normalization) pass it
/// through. Each linear layer reports its conservation delta Σ R_in − Σ R_out — with biases, the relevance they absorb.
/// </summary>
public sealed partial class Lrp : IAttribution
{

    /// <summary>The assignment's name in tables ("LRP EpsilonPlusFlat" for a composite).</summary>
    public string Name { get; init; } = "LRP";

    /// <summary>LRP through the common contract (relevance is not recorded per tap; use <see cref="Attribute(Model, Tensor, AttributionTarget, bool)"/> for that).</summary>
    AttributionResult IAttribution.Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Attribute(model, inputs, target);
    }

    public override string ToString() => Name;

    private readonly Func<string?, string, LrpRule> _ruleFor;
    private readonly float _sumStabilizer;
    private readonly bool _positiveSumSplit;

    /// <param name="ruleFor">The rule for a layer given its tap name and op ("conv2d", "linear", "avg_pool2d", ...).</param>
    /// <param name="sumStabilizer">Stabilizer of the proportional split at residual sums (Zennit's default 1e-6).</param>
    /// <param name="positiveSumSplit">Split residual sums by the summands' positive parts (for z⁺/Deep Taylor, which
    /// propagates positive relevance only); otherwise by the summands themselves.</param>
    public Lrp(Func<string?, string, LrpRule> ruleFor, float sumStabilizer = LrpRule.DefaultEpsilon, bool positiveSumSplit = false)
    {
        _ruleFor = ruleFor;
        _sumStabilizer = sumStabilizer;
        _positiveSumSplit = positiveSumSplit;
    }

    /// <summary>The rule for a layer (its tap and op), as this assignment gives it.</summary>
    internal LrpRule RuleFor(string? tap, string op) => _ruleFor(tap, op);

    /// <summary>The stabilizer of the proportional split at residual sums.</summary>
    internal float SumStabilizer => _sumStabilizer;

    /// <summary>Whether residual sums split by the summands' positive parts.</summary>
    internal bool PositiveSumSplit => _positiveSumSplit;

    /// <summary>Ignore every layer's bias (and a merged batch normalization's shift): z = W·x only.</summary>
    public bool IgnoreBias { get; init; }

    /// <summary>This assignment with every bias ignored (<see cref="IgnoreBias"/>): every layer then conserves relevance.</summary>
    public Lrp IgnoringBias() => new(_ruleFor, _sumStabilizer, _positiveSumSplit) { IgnoreBias = true, MaxPool = MaxPool, Name = Name + " (biases ignored)" };

    /// <summary>This assignment with max-pooling relevance <paramref name="maxPool"/>.</summary>
    public Lrp WithMaxPool(MaxPoolRelevance maxPool) => new(_ruleFor, _sumStabilizer, _positiveSumSplit) { IgnoreBias = IgnoreBias, MaxPool = maxPool, Name = Name };

    /// <summary>Max-pooling: winner-take-all (default) or proportional redistribution.</summary>
    public MaxPoolRelevance MaxPool { get; init; } = MaxPoolRelevance.WinnerTakeAll;

    /// <summary>One rule everywhere (z⁺ splits residual sums by positive parts, as Deep Taylor requires).</summary>
    public static Lrp Uniform(LrpRule rule, float sumStabilizer = LrpRule.DefaultEpsilon) =>
        new((_, _) => rule, sumStabilizer, positiveSumSplit: rule is LrpZPlus);

    /// <summary>EpsilonPlus (Zennit): z⁺ on convolutions, ε on fully connected layers.</summary>
    public static Lrp EpsilonPlus(float epsilon = LrpRule.DefaultEpsilon) => new((_, op) => op == "linear" ? new LrpEpsilon(epsilon) : new LrpZPlus());

    /// <summary>
    /// Rules by tap name, with <paramref name="byKind"/> for every other layer (given its op). Every named tap must be a
    /// layer LRP rules apply to (conv2d, linear, average pooling); anything else is rejected here, naming the tap.
    /// </summary>
    public static Lrp WithRules(Model model, IReadOnlyDictionary<string, LrpRule> byTap, Func<string, LrpRule> byKind, bool positiveSumSplit = false)
    {
        var rules = CheckedRules(model, byTap);
        return new Lrp((tap, op) => tap is not null && rules.TryGetValue(tap, out var r) ? r : byKind(op), positiveSumSplit: positiveSumSplit);
    }

    /// <summary>
    /// This assignment (e.g. a composite) with the rules of <paramref name="byTap"/> in place of its own at those taps;
    /// residual sums split as before. The taps are checked as in <see cref="WithRules"/>.
    /// </summary>
    public Lrp WithOverrides(Model model, IReadOnlyDictionary<string, LrpRule> byTap)
    {
        var rules = CheckedRules(model, byTap);
        var inner = _ruleFor;
        return new Lrp((tap, op) => tap is not null && rules.TryGetValue(tap, out var r) ? r : inner(tap, op), _sumStabilizer, _positiveSumSplit)
        {
            IgnoreBias = IgnoreBias,
            MaxPool = MaxPool,
            Name = Name + " (with rules by tap)",
        };
    }

    private static Dictionary<string, LrpRule> CheckedRules(Model model, IReadOnlyDictionary<string, LrpRule> byTap)
    {
        foreach (var (tap, rule) in byTap)
        {
            var node = model[tap];
            if (!IsRuleKind(node.Layer.Kind))
                throw new LucidArgumentException(nameof(byTap), $"LRP: rule {rule.GetType().Name} is assigned to tap '{tap}' of model '{model.Name}', a '{node.Layer.Kind}' layer; rules apply to conv2d, linear and average-pooling layers.");
        }
        return new Dictionary<string, LrpRule>(byTap);
    }

    private static bool IsRuleKind(string kind) => LrpKinds.IsRuleLayer(kind);

    /// <summary>
    /// Deep Taylor Decomposition (Montavon et al., 2017): z⁺ on every hidden layer (ReLU networks), and at the first
    /// layer z^B with the model's pixel bounds (<paramref name="boundedInput"/>) or w² (unbounded input).
    /// </summary>
    public static Lrp DeepTaylor(Model model, bool boundedInput = true)
    {
        string? first = model.Nodes.FirstOrDefault(n => LrpKinds.HasWeights(n.Layer.Kind))?.Name;
        LrpRule input = boundedInput ? LrpZBox.ForModel(model) : new LrpWSquare();
        return new Lrp((tap, _) => tap == first ? input : new LrpZPlus { IncludeBias = false }, positiveSumSplit: true)
        {
            Name = boundedInput ? "Deep Taylor (z⁺, z^B input)" : "Deep Taylor (z⁺, w² input)",
        };
    }

    /// <summary>
    /// The relevance of a hidden unit — channel <paramref name="channel"/> of <paramref name="tap"/> — at each of
    /// <paramref name="taps"/>, as VITAL weights features for hidden units: z⁺ LRP (Deep Taylor's rule for ReLU
    /// networks; residual sums split by positive parts) started from the unit's activation map (every other channel
    /// zero): the channel target's start is each position's own activation. Maps are clamped at 0.
    /// </summary>
    public static Func<Tensor, IReadOnlyDictionary<string, Tensor>> UnitRelevance(Model model, string tap, int channel, IReadOnlyList<string> taps)
    {
        var node = model[tap];
        if (channel < 0 || channel >= node.OutputShape[0])
            throw new LucidArgumentException(nameof(channel), $"unit relevance: tap '{tap}' of model '{model.Name}' has {node.OutputShape[0]} channels; channel {channel} does not exist.");
        foreach (var t in taps) _ = model[t];
        var lrp = Uniform(new LrpZPlus { IncludeBias = false });
        var target = AttributionTarget.Channel(tap, channel);
        return images =>
        {
            var result = lrp.Attribute(model, images, target, recordRelevance: true);
            result.Attribution.Dispose();
            var maps = new Dictionary<string, Tensor>();
            foreach (var t in taps)
            {
                if (!result.Relevance.TryGetValue(t, out var r))
                    throw new LucidArgumentException(nameof(taps), $"unit relevance: no relevance reaches tap '{t}' from '{tap}' (is it upstream?).");
                maps[t] = Ops.Clamp(r, 0f, float.MaxValue).DetachFromScope();
            }
            foreach (var r in result.Relevance.Values) r.Dispose();
            return maps;
        };
    }
}
