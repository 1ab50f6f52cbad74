using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

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
/// <remarks>
/// On a convolution the rule's two passes (z of unit inputs and weights, then its transpose) are computed in closed
/// form — z is the number of taps in bounds, the same for every channel — instead of two convolutions of the layer's
/// size (a 7×7 stem at 224²: 2 × 118 M multiply-adds); the result is the same sum in another order.
/// </remarks>
public sealed record LrpFlat(float Stabilizer = LrpRule.DefaultEpsilon) : LrpRule
{
    internal override Tensor Propagate(LinearView layer, Tensor relevance) =>
        layer.Convolution is { Attributes: { Groups: 1, OutputPadH: 0, OutputPadW: 0 } attributes } conv && layer.Input.Rank == 4
            ? LrpKernels.FlatConvolution(relevance, layer.Input.Shape.ToArray(), conv.KernelH, conv.KernelW, attributes, Stabilizer)
            : Redistribute(layer, Tensor.OnesLike(layer.Input), w => Tensor.OnesLike(w), false, null, relevance, Stabilizer);
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
            throw new ShapeMismatchException($"LRP z^B: {perChannel.Length} channel bounds for a layer input of shape {Shapes.Format(shape)}.");
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
