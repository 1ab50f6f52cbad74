using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

/// <summary>One term of a rule's z (Zennit's BasicHook): the layer run on a modified input with modified weights, and with its bias (modified) or without.</summary>
/// <param name="Input">The modified input x′ (relevance goes to it as x′ ⊙ ∂(Σ z ⊙ s)/∂x′).</param>
/// <param name="Weight">Weight modifier (null: the weights as they are). The weights it makes are kept between calls
/// while the layer's weights are unchanged, found again by the delegate (its method and an equal target): pass a static
/// method, a lambda that captures nothing or only the rule, so that each call does not build them afresh.</param>
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
