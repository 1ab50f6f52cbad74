using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

/// <summary>
/// A rule for layers that compute z = Σ w·x (+ b): conv2d, linear and average pooling. Relevance R at the layer's
/// output is redistributed to its input as R_in = x′ ⊙ ∂/∂x′ [Σ z′(x′) ⊙ R / stabilize(z′)] with the rule's modified
/// input x′ and weights — Zennit's formulation, evaluated with the engine's autograd inside a backward hook.
/// Defaults follow Zennit: stabilizer 1e-6 (sign-aware, sign(0) = +1), γ = 0.25, α = 2, β = 1.
/// </summary>
public abstract record LrpRule
{
    /// <summary>Zennit's default stabilizer.</summary>
    public const float DefaultEpsilon = 1e-6f;

    /// <summary>Returns the relevance of the layer's input (the first node input).</summary>
    internal abstract Tensor Propagate(LinearView layer, Tensor relevance);

    /// <summary>z + ε·sign(z), with sign(0) = +1 so an all-zero output never divides by zero.</summary>
    internal static float Stabilize(float z, float epsilon) => z >= 0 ? z + epsilon : z - epsilon;

    protected static Tensor Stabilize(Tensor z, float epsilon)
    {
        var s = z.ToArray();
        for (int i = 0; i < s.Length; i++) s[i] = Stabilize(s[i], epsilon);
        return Tensor.FromArray(s, z.Shape.ToArray());
    }

    /// <summary>x′ ⊙ ∂/∂x′ Σ z′ ⊙ (R / stabilize(z′)) for one (input, weights, bias) variant.</summary>
    private protected static Tensor Redistribute(LinearView layer, Tensor input, Func<Tensor, Tensor>? weight, bool useBias, Func<Tensor, Tensor>? biasMod,
        Tensor relevance, float epsilon, bool multiplyByInput = true)
    {
        using var grad = GradMode.EnableGrad();
        var x = input.Detach().RequireGrad();
        var z = layer.Forward(x, weight, useBias, biasMod);
        Tensor share;
        using (GradMode.NoGrad()) share = Ops.Div(relevance, Stabilize(z, epsilon));
        var g = Gradients.Of(Ops.Sum(Ops.Mul(z, share)), new[] { x })[0];
        using (GradMode.NoGrad()) return multiplyByInput ? Ops.Mul(input, g) : g;
    }

    protected static Tensor Positive(Tensor t) => Ops.Clamp(t, 0f);
    protected static Tensor Negative(Tensor t) => Ops.Clamp(t, max: 0f);
}

/// <summary>LRP-0 (Bach et al., 2015): relevance in proportion to the contributions x·w (the stabilizer only guards against 0/0).</summary>
public sealed record LrpZero(float Stabilizer = LrpRule.DefaultEpsilon) : LrpRule
{
    internal override Tensor Propagate(LinearView layer, Tensor relevance) => Redistribute(layer, layer.Input, null, true, null, relevance, Stabilizer);
}

/// <summary>LRP-ε: the stabilizer absorbs relevance of weak or contradictory contributions.</summary>
public sealed record LrpEpsilon(float Epsilon = LrpRule.DefaultEpsilon) : LrpRule
{
    internal override Tensor Propagate(LinearView layer, Tensor relevance) => Redistribute(layer, layer.Input, null, true, null, relevance, Epsilon);
}

/// <summary>LRP-γ: favours positive contributions, w + γ·w⁺ (and b + γ·b⁺); Zennit's default γ = 0.25.</summary>
public sealed record LrpGamma(float Gamma = 0.25f, float Stabilizer = LrpRule.DefaultEpsilon) : LrpRule
{
    internal override Tensor Propagate(LinearView layer, Tensor relevance) =>
        Redistribute(layer, layer.Input, w => Ops.Add(w, Ops.Mul(Positive(w), Gamma)), true, b => Ops.Add(b, Ops.Mul(Positive(b), Gamma)), relevance, Stabilizer);
}

/// <summary>z⁺ (Montavon et al., 2017; the Deep Taylor rule for ReLU layers): positive weights only, bias ignored.</summary>
public sealed record LrpZPlus(float Stabilizer = LrpRule.DefaultEpsilon) : LrpRule
{
    internal override Tensor Propagate(LinearView layer, Tensor relevance) =>
        Redistribute(layer, layer.Input, Positive, false, null, relevance, Stabilizer);
}

/// <summary>
/// αβ (Bach et al., 2015) with α − β = 1: α·(share of the positive contributions) − β·(share of the negative ones);
/// default α = 2, β = 1. Where an output has contributions of one sign only, all of its relevance goes through that
/// sign (coefficient 1 on it, 0 on the empty side), so relevance is conserved at every neuron.
/// </summary>
public sealed record LrpAlphaBeta(float Alpha = 2f, float Beta = 1f, float Stabilizer = LrpRule.DefaultEpsilon) : LrpRule
{
    internal override Tensor Propagate(LinearView layer, Tensor relevance)
    {
        if (Math.Abs(Alpha - Beta - 1f) > 1e-6f)
            throw new LucidArgumentException(nameof(Alpha), $"LRP αβ: α − β must be 1 for conservation, got α = {Alpha}, β = {Beta}.");
        var xPos = Positive(layer.Input);
        var xNeg = Negative(layer.Input);
        Tensor zPos, zNeg;
        using (GradMode.NoGrad())
        {
            // positive contributions: w⁺x⁺ + w⁻x⁻; negative: w⁻x⁺ + w⁺x⁻ (bias ignored)
            zPos = Ops.Add(layer.Forward(xPos, Positive, false, null), layer.Forward(xNeg, Negative, false, null));
            zNeg = Ops.Add(layer.Forward(xPos, Negative, false, null), layer.Forward(xNeg, Positive, false, null));
        }
        var rp = relevance.ToArray();
        var rn = relevance.ToArray();
        var zp = zPos.ToArray();
        var zn = zNeg.ToArray();
        for (int j = 0; j < rp.Length; j++)
        {
            // a side counts only if it is not negligible next to the other: a side of 1e-10 would be divided by its
            // stabilizer and lose most of the α (or β) share it was given
            float magnitude = zp[j] - zn[j];
            bool hasPos = zp[j] > 1e-4f * magnitude, hasNeg = -zn[j] > 1e-4f * magnitude;
            float a = hasPos && hasNeg ? Alpha : hasPos ? 1f : 0f;
            float b = hasPos && hasNeg ? Beta : hasNeg ? -1f : 0f;
            rp[j] *= a;
            rn[j] *= b;
        }
        var pos = Redistribute2(layer, xPos, Positive, xNeg, Negative, Tensor.FromArray(rp, relevance.Shape.ToArray()));
        var neg = Redistribute2(layer, xPos, Negative, xNeg, Positive, Tensor.FromArray(rn, relevance.Shape.ToArray()));
        return Ops.Sub(pos, neg);
    }

    private Tensor Redistribute2(LinearView layer, Tensor a, Func<Tensor, Tensor> wa, Tensor b, Func<Tensor, Tensor> wb, Tensor relevance)
    {
        using var grad = GradMode.EnableGrad();
        var xa = a.Detach().RequireGrad();
        var xb = b.Detach().RequireGrad();
        var z = Ops.Add(layer.Forward(xa, wa, false, null), layer.Forward(xb, wb, false, null));
        Tensor share;
        using (GradMode.NoGrad()) share = Ops.Div(relevance, Stabilize(z, Stabilizer));
        var g = Gradients.Of(Ops.Sum(Ops.Mul(z, share)), new[] { xa, xb });
        using (GradMode.NoGrad()) return Ops.Add(Ops.Mul(a, g[0]), Ops.Mul(b, g[1]));
    }
}

/// <summary>Flat (Lapuschkin et al., 2019): relevance spread uniformly over each output's receptive field.</summary>
public sealed record LrpFlat(float Stabilizer = LrpRule.DefaultEpsilon) : LrpRule
{
    internal override Tensor Propagate(LinearView layer, Tensor relevance) =>
        Redistribute(layer, Tensor.OnesLike(layer.Input), w => Tensor.OnesLike(w), false, null, relevance, Stabilizer, multiplyByInput: false);
}

/// <summary>w² (Montavon et al., 2017): relevance in proportion to squared weights, independent of the input.</summary>
public sealed record LrpWSquare(float Stabilizer = LrpRule.DefaultEpsilon) : LrpRule
{
    internal override Tensor Propagate(LinearView layer, Tensor relevance) =>
        Redistribute(layer, Tensor.OnesLike(layer.Input), w => Ops.Mul(w, w), false, null, relevance, Stabilizer, multiplyByInput: false);
}

/// <summary>z^B (Montavon et al., 2017) for the input layer with pixels bounded in [low, high].</summary>
public sealed record LrpZBox(float Low, float High) : LrpRule
{
    internal override Tensor Propagate(LinearView layer, Tensor relevance)
    {
        using var grad = GradMode.EnableGrad();
        var x = layer.Input.Detach().RequireGrad();
        var l = Tensor.Full(Low, layer.Input.Shape.ToArray()).RequireGrad();
        var h = Tensor.Full(High, layer.Input.Shape.ToArray()).RequireGrad();
        var z = Ops.Sub(Ops.Sub(layer.Forward(x, null, false, null), layer.Forward(l, Positive, false, null)), layer.Forward(h, Negative, false, null));
        Tensor share;
        using (GradMode.NoGrad()) share = Ops.Div(relevance, Stabilize(z, DefaultEpsilon));
        var g = Gradients.Of(Ops.Sum(Ops.Mul(z, share)), new[] { x, l, h });
        // the bound terms enter z with negative signs, which their gradients already carry
        using (GradMode.NoGrad()) return Ops.Add(Ops.Add(Ops.Mul(layer.Input, g[0]), Ops.Mul(l, g[1])), Ops.Mul(h, g[2]));
    }
}

/// <summary>A conv2d, linear or average-pooling node seen as z = W·x + b, re-runnable with modified weights.</summary>
internal sealed class LinearView
{
    private readonly Node _node;

    public LinearView(Node node)
    {
        _node = node;
        if (node.Op is not ("conv2d" or "linear" or "avg_pool2d" or "adaptive_avg_pool2d"))
            throw new LucidArgumentException("rule", $"LRP: a linear-layer rule cannot handle a '{node.Op}' node ('{node.Output.Name ?? node.Op}').");
    }

    public Tensor Input => _node.Inputs[0];

    public Tensor Forward(Tensor x, Func<Tensor, Tensor>? weight, bool useBias, Func<Tensor, Tensor>? biasMod)
    {
        switch (_node.Op)
        {
            case "conv2d":
            {
                var a = (Conv2dAttributes)_node.Attributes!;
                var w = weight is null ? _node.Inputs[1] : weight(_node.Inputs[1]);
                Tensor? b = useBias && _node.Inputs.Count > 2 ? (biasMod is null ? _node.Inputs[2] : biasMod(_node.Inputs[2])) : null;
                return Ops.Conv2d(x, w, b, (a.StrideH, a.StrideW), (a.PadH, a.PadW), (a.DilationH, a.DilationW), a.Groups);
            }
            case "linear":
            {
                var w = weight is null ? _node.Inputs[1] : weight(_node.Inputs[1]);
                Tensor? b = useBias && _node.Inputs.Count > 2 ? (biasMod is null ? _node.Inputs[2] : biasMod(_node.Inputs[2])) : null;
                return Ops.Linear(x, w, b);
            }
            case "avg_pool2d":
            {
                // average pooling is a linear layer with fixed non-negative weights; modifiers of w leave it unchanged
                var a = (Pool2dAttributes)_node.Attributes!;
                return Ops.AvgPool2d(x, (a.KernelH, a.KernelW), (a.StrideH, a.StrideW), (a.PadH, a.PadW), a.CeilMode, a.CountIncludePad);
            }
            default:
            {
                var (oh, ow) = ((int, int))_node.Attributes!;
                return Ops.AdaptiveAvgPool2d(x, oh, ow);
            }
        }
    }
}

/// <summary>
/// Layer-wise relevance propagation on a model, through the engine's backward hooks: linear layers (conv2d, linear,
/// average pooling) follow their assigned rule; element-wise activations pass relevance through; residual sums split
/// it in proportion to the summands (Zennit's canonized form); max-pooling sends it to the winner; concatenation,
/// reshapes and slices route it. Relevance at every tap is recorded.
/// </summary>
public sealed class Lrp
{
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

    /// <summary>One rule everywhere (z⁺ splits residual sums by positive parts, as Deep Taylor requires).</summary>
    public static Lrp Uniform(LrpRule rule, float sumStabilizer = LrpRule.DefaultEpsilon) =>
        new((_, _) => rule, sumStabilizer, positiveSumSplit: rule is LrpZPlus);

    /// <summary>EpsilonPlus (Zennit): z⁺ on convolutions, ε on fully connected layers.</summary>
    public static Lrp EpsilonPlus(float epsilon = LrpRule.DefaultEpsilon) => new((_, op) => op == "linear" ? new LrpEpsilon(epsilon) : new LrpZPlus());

    public AttributionResult Attribute(Model model, Tensor input, AttributionTarget target, IDictionary<string, Tensor>? tapRelevance = null)
    {
        string tap = target.Tap(model);
        using var scope = Tensor.Scope();
        var x = input.Detach().RequireGrad();
        var taps = model.Run(x, null, stopAfter: tap);
        var values = target.Evaluate(model, taps[tap]);
        var targetValues = values.ToArray();
        // the relevance entering the graph is the explained value itself: R = f(x) at the target, 0 elsewhere
        NodeBackwardHook hook = (node, relevance) =>
        {
            if (tapRelevance is not null && node.Output.Name is { } name && !tapRelevance.ContainsKey(name))
                tapRelevance[name] = relevance.Clone().DetachFromScope();
            return node.Op switch
            {
                "conv2d" or "linear" or "avg_pool2d" or "adaptive_avg_pool2d" => Linear(node, relevance),
                // element-wise activations and local response normalization pass relevance through unchanged (Zennit's
                // Pass rule; iNNvestigate treats LRN the same way)
                "relu" or "leaky_relu" or "elu" or "gelu" or "tanh" or "sigmoid" or "softplus" or "identity" or "local_response_norm" => new Tensor?[] { relevance.Clone() },
                "batch_norm" => throw new LucidArgumentException("model", $"LRP: batch normalization ('{node.Output.Name}') must be merged into the preceding layer first (canonize the model)."),
                "add" => Proportional(node, relevance, _sumStabilizer, _positiveSumSplit),
                _ => null, // max-pool, concat, reshape, slice, flatten: the gradient routes relevance unchanged
            };
        };
        var seed = Tensor.FromArray(targetValues, values.Shape.ToArray());
        var result = Gradients.Of(values, new[] { x }, gradOutput: seed, nodeHook: hook)[0];
        if (tapRelevance is not null)
            tapRelevance["input"] = result.Clone().DetachFromScope();
        var attribution = result.Clone().DetachFromScope();
        var delta = Completeness.Delta(attribution.Data, input.Size(0), e => targetValues[e]);
        return new AttributionResult(attribution, targetValues, delta);

        Tensor?[] Linear(Node node, Tensor relevance)
        {
            var rule = _ruleFor(node.Output.Name, node.Op);
            var grads = new Tensor?[node.Inputs.Count];
            grads[0] = rule.Propagate(new LinearView(node), relevance);
            return grads;
        }
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
        var ad = a.ToArray();
        var bd = b.ToArray();
        if (positive)
            for (int i = 0; i < ad.Length; i++) { ad[i] = Math.Max(ad[i], 0f); bd[i] = Math.Max(bd[i], 0f); }
        var r = relevance.ToArray();
        var ra = new float[r.Length];
        var rb = new float[r.Length];
        for (int i = 0; i < r.Length; i++)
        {
            float sum = ad[i] + bd[i];
            if (sum == 0f)
            {
                ra[i] = rb[i] = 0.5f * r[i];
                continue;
            }
            float share = r[i] / LrpRule.Stabilize(sum, stabilizer);
            ra[i] = ad[i] * share;
            rb[i] = bd[i] * share;
        }
        var shape = a.Shape.ToArray();
        return new Tensor?[] { Tensor.FromArray(ra, shape), Tensor.FromArray(rb, shape) };
    }
}
