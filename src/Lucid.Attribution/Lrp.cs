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

    /// <summary>x′ ⊙ ∂/∂x′ Σ z′ ⊙ (R / stabilize(z′)) for one (input, weights, bias) variant: a single branch.</summary>
    private protected static Tensor Redistribute(LinearView layer, Tensor input, Func<Tensor, Tensor>? weight, bool useBias, Func<Tensor, Tensor>? biasMod,
        Tensor relevance, float epsilon) =>
        RedistributeBranches(layer, new Branch[] { new(input, weight, biasMod, useBias) }, relevance, epsilon);

    /// <summary>One term of a rule's z: the layer run on a modified input with modified weights (and bias, or none).</summary>
    private protected readonly record struct Branch(Tensor Input, Func<Tensor, Tensor>? Weight, Func<Tensor, Tensor>? Bias, bool UseBias);

    /// <summary>
    /// Zennit's multi-branch form: z = Σ_k layer(x_k; w_k, b_k), s = R / stabilize(z), R_in = Σ_k x_k ⊙ ∂(Σ z ⊙ s)/∂x_k.
    /// A branch whose input is all zeros (the negative part of a post-ReLU input) contributes nothing and is skipped.
    /// </summary>
    private protected static Tensor RedistributeBranches(LinearView layer, IReadOnlyList<Branch> branches, Tensor relevance, float epsilon)
    {
        var live = branches.Where(b => !IsZero(b.Input)).ToList();
        if (live.Count == 0) live.Add(branches[0]);
        using var grad = GradMode.EnableGrad();
        var leaves = live.Select(b => b.Input.Detach().RequireGrad()).ToArray();
        Tensor? z = null;
        for (int k = 0; k < live.Count; k++)
        {
            var term = layer.Forward(leaves[k], live[k].Weight, live[k].UseBias, live[k].Bias);
            z = z is null ? term : Ops.Add(z, term);
        }
        Tensor share;
        using (GradMode.NoGrad()) share = LrpKernels.StableDivide(relevance, z!, epsilon);
        var g = Gradients.Of(z!, leaves, gradOutput: share);
        using (GradMode.NoGrad())
        {
            Tensor result = Ops.Mul(live[0].Input, g[0]);
            for (int k = 1; k < live.Count; k++) result = Ops.Add(result, Ops.Mul(live[k].Input, g[k]));
            return result;
        }
    }

    private static bool IsZero(Tensor t)
    {
        foreach (var v in t.Data) if (v != 0f) return false;
        return true;
    }

    protected static Tensor Positive(Tensor t) => Ops.Clamp(t, 0f);
    protected static Tensor Negative(Tensor t) => Ops.Clamp(t, max: 0f);
}

/// <summary>One term of a rule's z (Zennit's BasicHook): the layer run on a modified input with modified weights, and with its bias (modified) or without.</summary>
/// <param name="Input">The modified input x′ (relevance goes to it as x′ ⊙ ∂(Σ z ⊙ s)/∂x′).</param>
/// <param name="Weight">Weight modifier (null: the weights as they are).</param>
/// <param name="Bias">Bias modifier (null: the bias as it is).</param>
/// <param name="UseBias">Whether the bias enters this branch.</param>
public readonly record struct LrpBranch(Tensor Input, Func<Tensor, Tensor>? Weight = null, Func<Tensor, Tensor>? Bias = null, bool UseBias = true);

/// <summary>The convolution, linear or average-pooling layer a rule redistributes through (a merged batch norm included).</summary>
public sealed class LrpLayer
{
    internal LrpLayer(LinearView view) => View = view;

    internal LinearView View { get; }

    /// <summary>"conv2d", "linear", "avg_pool2d" or "adaptive_avg_pool2d" (pooling ignores weight modifiers).</summary>
    public string Op => View.Op;

    /// <summary>The layer's input x.</summary>
    public Tensor Input => View.Input;

    /// <summary>Whether the layer has a bias (its own or a merged batch norm's shift) that rules may use.</summary>
    public bool HasBias => View.HasBias;

    /// <summary>z for input <paramref name="x"/> with modified weights and bias.</summary>
    public Tensor Forward(Tensor x, Func<Tensor, Tensor>? weight = null, bool useBias = true, Func<Tensor, Tensor>? bias = null) => View.Forward(x, weight, useBias, bias);
}

/// <summary>
/// A rule written as Zennit's BasicHook: the branches of z (input and parameter modifiers) and the stabilizer; the
/// redistribution R_in = Σ_k x_k ⊙ ∂(Σ z ⊙ R/stab(z))/∂x_k is Lucid's. Derive from it to write your own rule in a few
/// lines (rules from <c>Lucid.Attribution</c> run in TorchSharp too; a rule of your own runs in Lucid's engine).
/// </summary>
public abstract record LrpBranchRule : LrpRule
{
    /// <summary>The stabilizer ε of z + ε·sign(z).</summary>
    public float Stabilizer { get; init; } = DefaultEpsilon;

    /// <summary>The branches whose sum is the rule's z for <paramref name="layer"/>.</summary>
    protected abstract IReadOnlyList<LrpBranch> Branches(LrpLayer layer);

    internal sealed override Tensor Propagate(LinearView layer, Tensor relevance) =>
        RedistributeBranches(layer, Branches(new LrpLayer(layer)).Select(b => new Branch(b.Input, b.Weight, b.Bias, b.UseBias)).ToList(), relevance, Stabilizer);
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

/// <summary>
/// LRP-γ, Zennit's generalized form (Andéol et al., 2021): where the layer's output z = w·x + b is positive, inputs
/// x⁺ see w + γ·w⁺ (with bias b + γ·b⁺) and x⁻ see w + γ·w⁻ (no bias); where it is negative, the other way round
/// (x⁺ with w + γ·w⁻ and b + γ·b⁻, x⁻ with w + γ·w⁺); outputs of exactly 0 pass nothing. With non-negative inputs it
/// is the original γ rule. Zennit's default γ = 0.25.
/// </summary>
public sealed record LrpGamma(float Gamma = 0.25f, float Stabilizer = LrpRule.DefaultEpsilon) : LrpRule
{
    internal override Tensor Propagate(LinearView layer, Tensor relevance)
    {
        Tensor AddPositive(Tensor p) => Ops.Add(p, Ops.Mul(Positive(p), Gamma));
        Tensor AddNegative(Tensor p) => Ops.Add(p, Ops.Mul(Negative(p), Gamma));
        Tensor xPos, xNeg, up, down;
        using (GradMode.NoGrad())
        {
            xPos = Positive(layer.Input);
            xNeg = Negative(layer.Input);
            var z = layer.Output(layer.Input).ToArray();
            var r = relevance.ToArray();
            var rUp = new float[r.Length];
            var rDown = new float[r.Length];
            for (int j = 0; j < r.Length; j++)
            {
                if (z[j] > 0f) rUp[j] = r[j];
                else if (z[j] < 0f) rDown[j] = r[j];
            }
            up = Tensor.FromArray(rUp, relevance.Shape.ToArray());
            down = Tensor.FromArray(rDown, relevance.Shape.ToArray());
        }
        var positive = RedistributeBranches(layer, new Branch[] { new(xPos, AddPositive, AddPositive, true), new(xNeg, AddNegative, null, false) }, up, Stabilizer);
        var negative = RedistributeBranches(layer, new Branch[] { new(xPos, AddNegative, AddNegative, true), new(xNeg, AddPositive, null, false) }, down, Stabilizer);
        using (GradMode.NoGrad()) return Ops.Add(positive, negative);
    }
}

/// <summary>
/// z⁺ (Montavon et al., 2017) as Zennit defines it: z = w⁺·x⁺ + w⁻·x⁻ + b⁺ — the positive part of the bias in the
/// denominator, where it absorbs relevance — and R_in = x⁺ ⊙ w⁺ᵀ(R/z) + x⁻ ⊙ w⁻ᵀ(R/z). With
/// <see cref="IncludeBias"/> false the bias is left out and the rule conserves (Deep Taylor's z⁺ for ReLU layers).
/// </summary>
public sealed record LrpZPlus(float Stabilizer = LrpRule.DefaultEpsilon) : LrpRule
{
    /// <summary>Whether b⁺ enters the denominator (Zennit's ZPlus; default) or no bias does (Deep Taylor).</summary>
    public bool IncludeBias { get; init; } = true;

    internal override Tensor Propagate(LinearView layer, Tensor relevance)
    {
        Tensor xPos, xNeg;
        using (GradMode.NoGrad())
        {
            xPos = Positive(layer.Input);
            xNeg = Negative(layer.Input);
        }
        return RedistributeBranches(layer, new Branch[] { new(xPos, Positive, Positive, IncludeBias), new(xNeg, Negative, null, false) }, relevance, Stabilizer);
    }
}

/// <summary>
/// αβ (Bach et al., 2015) with α − β = 1, as Zennit defines it: R_in = α·[x⁺ ⊙ w⁺ᵀ(R/z⁺) + x⁻ ⊙ w⁻ᵀ(R/z⁺)] −
/// β·[x⁺ ⊙ w⁻ᵀ(R/z⁻) + x⁻ ⊙ w⁺ᵀ(R/z⁻)], with z⁺ = w⁺·x⁺ + w⁻·x⁻ + b⁺ and z⁻ = w⁻·x⁺ + w⁺·x⁻ + b⁻; default α = 2,
/// β = 1. Where an output has contributions of one sign only, the empty side's share is 0 and the output passes α
/// (or −β) times its relevance. <see cref="ConserveOneSided"/> instead routes such an output's relevance whole
/// through the side it has (and leaves biases out), so that every neuron conserves.
/// </summary>
public sealed record LrpAlphaBeta(float Alpha = 2f, float Beta = 1f, float Stabilizer = LrpRule.DefaultEpsilon) : LrpRule
{
    /// <summary>Coefficient 1 on the only non-empty side of an output, biases ignored: relevance is conserved at every neuron.</summary>
    public bool ConserveOneSided { get; init; }

    internal override Tensor Propagate(LinearView layer, Tensor relevance)
    {
        if (Math.Abs(Alpha - Beta - 1f) > 1e-6f || Alpha < 0 || Beta < 0)
            throw new LucidArgumentException(nameof(Alpha), $"LRP αβ: α and β must be non-negative with α − β = 1 for conservation, got α = {Alpha}, β = {Beta}.");
        Tensor xPos, xNeg;
        using (GradMode.NoGrad())
        {
            xPos = Positive(layer.Input);
            xNeg = Negative(layer.Input);
        }
        Tensor rPos = relevance, rNeg = relevance;
        float alpha = Alpha, beta = Beta;
        if (ConserveOneSided)
        {
            Tensor zPos, zNeg;
            using (GradMode.NoGrad())
            {
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
                rp[j] *= hasPos && hasNeg ? Alpha : hasPos ? 1f : 0f;
                rn[j] *= hasPos && hasNeg ? Beta : hasNeg ? -1f : 0f;
            }
            rPos = Tensor.FromArray(rp, relevance.Shape.ToArray());
            rNeg = Tensor.FromArray(rn, relevance.Shape.ToArray());
            alpha = beta = 1f;
        }
        bool bias = !ConserveOneSided;
        var pos = RedistributeBranches(layer, new Branch[] { new(xPos, Positive, Positive, bias), new(xNeg, Negative, null, false) }, rPos, Stabilizer);
        var neg = RedistributeBranches(layer, new Branch[] { new(xPos, Negative, Negative, bias), new(xNeg, Positive, null, false) }, rNeg, Stabilizer);
        using (GradMode.NoGrad()) return Ops.Sub(Ops.Mul(pos, Tensor.Scalar(alpha)), Ops.Mul(neg, Tensor.Scalar(beta)));
    }
}

/// <summary>Flat (Lapuschkin et al., 2019): relevance spread uniformly over each output's receptive field.</summary>
public sealed record LrpFlat(float Stabilizer = LrpRule.DefaultEpsilon) : LrpRule
{
    internal override Tensor Propagate(LinearView layer, Tensor relevance) =>
        Redistribute(layer, Tensor.OnesLike(layer.Input), w => Tensor.OnesLike(w), false, null, relevance, Stabilizer);
}

/// <summary>w² (Montavon et al., 2017): relevance in proportion to squared weights, independent of the input; as in Zennit the
/// squared bias joins the denominator (where it absorbs relevance).</summary>
public sealed record LrpWSquare(float Stabilizer = LrpRule.DefaultEpsilon) : LrpRule
{
    internal override Tensor Propagate(LinearView layer, Tensor relevance) =>
        Redistribute(layer, Tensor.OnesLike(layer.Input), w => Ops.Mul(w, w), true, b => Ops.Mul(b, b), relevance, Stabilizer);
}

/// <summary>
/// z^B (Montavon et al., 2017) for the input layer with inputs bounded in [low, high] — one bound for all channels, or
/// per channel (<see cref="ForModel"/> gives a model's pixel range in the space its first layer sees, after its
/// input normalization).
/// </summary>
public sealed record LrpZBox(float Low, float High, float[]? ChannelLows = null, float[]? ChannelHighs = null) : LrpRule
{
    /// <summary>The bounds of black and white pixels as <paramref name="model"/>'s first layer sees them (after its input contract).</summary>
    public static LrpZBox ForModel(Model model)
    {
        var bounds = model.Input.NetworkBounds();
        var lows = bounds.Select(b => b.Low).ToArray();
        var highs = bounds.Select(b => b.High).ToArray();
        if (lows.Distinct().Count() == 1 && highs.Distinct().Count() == 1) return new LrpZBox(lows[0], highs[0]);
        return new LrpZBox(lows.Min(), highs.Max(), lows, highs);
    }

    private Tensor Bound(Tensor like, float value, float[]? perChannel)
    {
        var shape = like.Shape.ToArray();
        if (perChannel is null) return Tensor.Full(value, shape);
        if (like.Rank < 2 || shape[1] != perChannel.Length)
            throw new ShapeMismatchException($"LRP z^B: {perChannel.Length} channel bounds for a layer input of shape [{string.Join(", ", shape)}].");
        var t = Tensor.Zeros(shape);
        int n = shape[0], c = shape[1], plane = t.Count / (n * c);
        for (int e = 0; e < n; e++)
            for (int ch = 0; ch < c; ch++) t.Data.Slice((e * c + ch) * plane, plane).Fill(perChannel[ch]);
        return t;
    }

    /// <summary>z = W·x − W⁺·l − W⁻·h as three branches (the bounds' weights negated, so their gradients carry the sign).</summary>
    internal override Tensor Propagate(LinearView layer, Tensor relevance) =>
        RedistributeBranches(layer, new Branch[]
        {
            new(layer.Input, null, null, false),
            new(Bound(layer.Input, Low, ChannelLows), w => Ops.Neg(Positive(w)), null, false),
            new(Bound(layer.Input, High, ChannelHighs), w => Ops.Neg(Negative(w)), null, false),
        }, relevance, DefaultEpsilon);
}

/// <summary>
/// A conv2d, linear or average-pooling node seen as z = W·x + b, re-runnable with modified weights. When the node's
/// output feeds an evaluation-mode batch normalization y = s·z + t, the view is of the merged layer W′ = s·W,
/// b′ = s·b + t (Zennit's BatchNorm canonizer, applied virtually: the model is not rewritten).
/// </summary>
internal sealed class LinearView
{
    private readonly Node _node;
    private readonly (Tensor Scale, Tensor Shift)? _merged;
    private readonly bool _ignoreBias;

    public LinearView(Node node, (Tensor Scale, Tensor Shift)? merged = null, bool ignoreBias = false)
    {
        _node = node;
        _merged = merged;
        _ignoreBias = ignoreBias;
        if (!IsLinear(node.Op))
            throw new LucidArgumentException("rule", $"LRP: a linear-layer rule cannot handle a '{node.Op}' node ('{node.Output.Name ?? node.Op}').");
    }

    public static bool IsLinear(string op) => op is "conv2d" or "linear" or "avg_pool2d" or "adaptive_avg_pool2d";

    public string Op => _node.Op;

    public Tensor Input => _node.Inputs[0];

    public bool HasBias => !_ignoreBias && (_merged is not null || _node.Op is "conv2d" or "linear" && _node.Inputs.Count > 2);

    private Tensor? _weight, _bias;

    /// <summary>The (merged) weight, built once per view — rules re-run the layer several times.</summary>
    private Tensor Weight => _weight ??= Merge(_node.Inputs[1]);

    private Tensor Merge(Tensor w)
    {
        if (_merged is not { } m) return w;
        // a constant for the rules: built outside any graph, so that several backward passes can share it
        using var _ = GradMode.NoGrad();
        var shape = new int[w.Rank];
        Array.Fill(shape, 1);
        shape[0] = w.Size(0);
        return Ops.Mul(w, Ops.Reshape(m.Scale, shape));
    }

    private bool _biasBuilt;

    /// <summary>The (merged) bias, or null; built once per view.</summary>
    private Tensor? Bias
    {
        get
        {
            if (_biasBuilt) return _bias;
            _biasBuilt = true;
            using var _ = GradMode.NoGrad();
            Tensor? b = _node.Op is "conv2d" or "linear" && _node.Inputs.Count > 2 ? _node.Inputs[2] : null;
            return _bias = _merged is not { } m ? b : b is null ? m.Shift : Ops.Add(Ops.Mul(b, m.Scale), m.Shift);
        }
    }

    /// <summary>The layer's output z (as recorded, or of the merged layer).</summary>
    public Tensor Output(Tensor x) => Forward(x, null, true, null);

    public Tensor Forward(Tensor x, Func<Tensor, Tensor>? weight, bool useBias, Func<Tensor, Tensor>? biasMod)
    {
        useBias &= !_ignoreBias;
        switch (_node.Op)
        {
            case "conv2d":
            {
                var a = (Conv2dAttributes)_node.Attributes!;
                var w = weight is null ? Weight : weight(Weight);
                Tensor? b = useBias && Bias is { } bias ? (biasMod is null ? bias : biasMod(bias)) : null;
                return Ops.Conv2d(x, w, b, (a.StrideH, a.StrideW), (a.PadH, a.PadW), (a.DilationH, a.DilationW), a.Groups);
            }
            case "linear":
            {
                var w = weight is null ? Weight : weight(Weight);
                Tensor? b = useBias && Bias is { } bias ? (biasMod is null ? bias : biasMod(bias)) : null;
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

/// <summary>How LRP passes relevance through max-pooling.</summary>
public enum MaxPoolRelevance
{
    /// <summary>All of an output's relevance to the window's maximum (the gradient's routing; Zennit's default).</summary>
    WinnerTakeAll,
    /// <summary>In proportion to the window's inputs, as if it were a sum pool (the z-rule with unit weights).</summary>
    Proportional,
}

/// <summary>An LRP attribution with the relevance at every tap (when recorded) and each linear layer's conservation delta.</summary>
public sealed record LrpResult(Tensor Attribution, float[] TargetValues, float[] Delta,
    IReadOnlyDictionary<string, float[]> LayerDeltas, IReadOnlyDictionary<string, Tensor> Relevance)
    : AttributionResult(Attribution, TargetValues, Delta);

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

    private static bool IsRuleKind(string kind) => kind is "conv2d" or "linear" or "avg_pool2d" or "global_avg_pool2d" or "adaptive_avg_pool2d";

    /// <summary>
    /// Deep Taylor Decomposition (Montavon et al., 2017): z⁺ on every hidden layer (ReLU networks), and at the first
    /// layer z^B with the model's pixel bounds (<paramref name="boundedInput"/>) or w² (unbounded input).
    /// </summary>
    public static Lrp DeepTaylor(Model model, bool boundedInput = true)
    {
        string? first = model.Nodes.FirstOrDefault(n => n.Layer.Kind is "conv2d" or "linear")?.Name;
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
                case "conv2d" or "linear" or "avg_pool2d" or "adaptive_avg_pool2d":
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
        if (producer is null || producer.Op is not ("conv2d" or "linear"))
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
        using var grad = GradMode.EnableGrad();
        var input = node.Inputs[0];
        var x = input.Detach().RequireGrad();
        var z = Ops.AvgPool2d(x, (a.KernelH, a.KernelW), (a.StrideH, a.StrideW), (a.PadH, a.PadW), a.CeilMode, countIncludePad: true);
        Tensor share;
        using (GradMode.NoGrad()) share = LrpKernels.StableDivide(r, z, _sumStabilizer);
        var g = Gradients.Of(z, new[] { x }, gradOutput: share)[0];
        using (GradMode.NoGrad()) return new Tensor?[] { Ops.Mul(input, g) };
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
