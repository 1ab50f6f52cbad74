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
public sealed class Lrp : IAttribution
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

    /// <summary>Explains <paramref name="target"/>: relevance R = f(x) enters at the target and is propagated to the input.</summary>
    /// <param name="model">The model (only read).</param>
    /// <param name="input">A batch of inputs.</param>
    /// <param name="target">What is explained.</param>
    /// <param name="recordRelevance">Keep the relevance at every tap (in <see cref="LrpResult.Relevance"/>).</param>
    public LrpResult Attribute(Model model, Tensor input, AttributionTarget target, bool recordRelevance = false)
    {
        string tap = target.Tap(model);
        // Rules divide by z (R / (z + ε)): where z is near zero, its rounding decides the relevance, and the 1e-6 by which
        // Winograd's rounding differs from a direct sum moved LRP on a trained CNN by 7.5e-3 (relative L2). So LRP's
        // forward pass and rules sum directly, as Zennit's and the native path's convolutions do (the rules' modified
        // weights are also built afresh on every call: a Winograd transform of them would not be reused).
        using var direct = Convolutions.Direct();
        using var scope = Tensor.Scope();
        var x = input.Detach().RequireGrad();
        var taps = model.Run(x, null, stopAfter: tap);
        var activation = taps[tap];
        var values = target.Evaluate(model, activation);
        var targetValues = values.ToArray();
        // Zennit's start: every element of the target tap enters with its own contribution to f, a ⊙ ∂f/∂a (a class
        // logit: the logit at its index; a channel: each position's activation; a direction: a ⊙ d) — so Σ R at the
        // tap is f(x) for every target linear in the tap, not f(x) at each position
        var mask = Gradients.Of(values, new[] { activation }, gradOutput: Tensor.Full(1f, values.Shape.ToArray()), retainGraph: true)[0];
        var start = Ops.Mul(activation.Detach(), mask);
        int n = input.Size(0);
        var relevance = new Dictionary<string, Tensor>();
        var layerDeltas = new Dictionary<string, float[]>();
        var merged = new Dictionary<Tensor, (Tensor Scale, Tensor Shift)>(ReferenceEqualityComparer.Instance);
        NodeBackwardHook hook = (node, r) =>
        {
            if (recordRelevance && node.Output.Name is { } name && !relevance.ContainsKey(name))
                relevance[name] = r.Clone().DetachFromScope();
            switch (node.Op)
            {
                case var op when LrpKinds.IsRuleOp(op):
                    return Linear(node, r);
                // element-wise activations and local response normalization pass relevance through unchanged (Zennit's
                // Pass rule; iNNvestigate treats LRN the same way)
                case "relu" or "leaky_relu" or "elu" or "gelu" or "tanh" or "sigmoid" or "softplus" or "identity" or "local_response_norm":
                    return new Tensor?[] { r.Clone() };
                case "batch_norm":
                    return MergeBatchNorm(node, r, merged);
                // a sum of two tensors splits relevance; adding a constant scalar passes it (the gradient routes it)
                case "add" when node.Inputs.Count == 2:
                    return Proportional(node, r, _sumStabilizer, _positiveSumSplit);
                case "mul" or "div" when ConstantOperand(node) is { } variable:
                {
                    // scaling by a constant (a model's input normalization): relevance is not rescaled
                    var grads = new Tensor?[node.Inputs.Count];
                    grads[variable] = r.Clone();
                    return grads;
                }
                case "max_pool2d" when MaxPool == MaxPoolRelevance.Proportional:
                    return ProportionalPool(node, r);
                default:
                    return null; // max-pool, concat, reshape, slice, flatten, subtraction of constants: the gradient routes relevance
            }
        };
        var result = Gradients.Of(activation, new[] { x }, gradOutput: start, nodeHook: hook)[0];
        if (recordRelevance) relevance["input"] = result.Clone().DetachFromScope();
        var attribution = result.Clone().DetachFromScope();
        var delta = Completeness.Delta(attribution.Data, n, e => targetValues[e]);
        return new LrpResult(attribution, targetValues, delta, layerDeltas, relevance);

        Tensor?[] Linear(Node node, Tensor r)
        {
            var view = new LinearView(node, merged.TryGetValue(node.Output, out var m) ? m : null, IgnoreBias);
            var rule = _ruleFor(node.Output.Name, node.Op);
            var grads = new Tensor?[node.Inputs.Count];
            var propagated = rule.Propagate(view, r);
            grads[0] = propagated;
            string key = node.Output.Name ?? $"{node.Op}#{layerDeltas.Count}";
            var delta = new float[n];
            int perIn = propagated.Count / n, perOut = r.Count / n;
            var pi = propagated.Data;
            var ro = r.Data;
            for (int e = 0; e < n; e++)
            {
                double sum = 0;
                for (int i = 0; i < perIn; i++) sum += pi[e * perIn + i];
                for (int i = 0; i < perOut; i++) sum -= ro[e * perOut + i];
                delta[e] = (float)sum;
            }
            layerDeltas.TryAdd(key, delta);
            return grads;
        }
    }

    /// <summary>
    /// An evaluation-mode batch normalization after a convolution or linear layer: recorded as y = s·z + t (per channel)
    /// for the layer before it, which then propagates as the merged layer; relevance passes through unchanged.
    /// </summary>
    private static Tensor?[] MergeBatchNorm(Node node, Tensor r, Dictionary<Tensor, (Tensor Scale, Tensor Shift)> merged)
    {
        var a = (BatchNormAttributes)node.Attributes!;
        string name = node.Output.Name ?? "batch_norm";
        if (a.Training)
            throw new LucidArgumentException("model", $"LRP: batch normalization '{name}' is in training mode; explain a model in evaluation mode.");
        var producer = node.Inputs[0].GradFn;
        if (producer is null || !LrpKinds.HasWeights(producer.Op))
            throw new LucidArgumentException("model", $"LRP: batch normalization '{name}' does not follow a convolution or linear layer (it follows '{producer?.Op ?? "the input"}'), so it cannot be merged into one.");
        int c = a.RunningMean.Count;
        var scale = new float[c];
        var shift = new float[c];
        var mean = a.RunningMean.Data;
        var variance = a.RunningVar.Data;
        for (int ch = 0; ch < c; ch++)
        {
            float gamma = a.Weight?.Data[ch] ?? 1f, beta = a.Bias?.Data[ch] ?? 0f;
            scale[ch] = gamma / MathF.Sqrt(variance[ch] + a.Epsilon);
            shift[ch] = beta - mean[ch] * scale[ch];
        }
        merged[node.Inputs[0]] = (Tensor.FromArray(scale, c), Tensor.FromArray(shift, c));
        var grads = new Tensor?[node.Inputs.Count];
        grads[0] = r.Clone();
        return grads;
    }

    /// <summary>For x·c or x / c with a constant c (one that needs no gradient): the index of the variable operand.</summary>
    private static int? ConstantOperand(Node node)
    {
        if (node.Inputs.Count != 2) return null;
        bool a = node.Inputs[0].RequiresGrad, b = node.Inputs[1].RequiresGrad;
        if (a && !b && node.Inputs[1].Count < node.Inputs[0].Count) return 0;
        if (b && !a && node.Op == "mul" && node.Inputs[0].Count < node.Inputs[1].Count) return 1;
        return null;
    }

    /// <summary>Max-pooling as a sum pool for relevance: R_i = x_i · Σ_j R_j / stabilize(Σ_{i ∈ window j} x_i).</summary>
    private Tensor?[]? ProportionalPool(Node node, Tensor r)
    {
        var a = (Pool2dAttributes)node.Attributes!;
        if (a.DilationH != 1 || a.DilationW != 1) return null;
        // the z-rule with unit weights: a sum pool (an average pool, whose constant factor the share cancels)
        return new Tensor?[]
        {
            LrpRule.Redistribute(new[] { node.Inputs[0] }, xs => Ops.AvgPool2d(xs[0], (a.KernelH, a.KernelW), (a.StrideH, a.StrideW), (a.PadH, a.PadW), a.CeilMode, countIncludePad: true),
                r, _sumStabilizer),
        };
    }

    /// <summary>
    /// Residual sums: each summand gets the share of the sum it contributed. Where the summands cancel exactly (e.g.
    /// both zero — activation-independent rules like flat and w² send relevance there too), it is split equally, so
    /// relevance is conserved. Summands that were broadcast are not split.
    /// </summary>
    private static Tensor?[] Proportional(Node node, Tensor relevance, float stabilizer, bool positive)
    {
        var a = node.Inputs[0];
        var b = node.Inputs[1];
        if (!a.Shape.SequenceEqual(b.Shape)) return new Tensor?[] { relevance.Clone(), null };
        var (ra, rb) = LrpKernels.Split(relevance, a, b, stabilizer, positive);
        return new Tensor?[] { ra, rb };
    }
}

