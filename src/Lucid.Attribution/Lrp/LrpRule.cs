using System.Runtime.Intrinsics;
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
        return Redistribute(live.Select(b => b.Input).ToArray(), leaves =>
        {
            Tensor? z = null;
            for (int k = 0; k < live.Count; k++)
            {
                var term = layer.Forward(leaves[k], live[k].Weight, live[k].UseBias, live[k].Bias);
                z = z is null ? term : Ops.Add(z, term);
            }
            return z!;
        }, relevance, epsilon);
    }

    /// <summary>
    /// The one redistribution step every rule (and the proportional max-pool) is made of, Zennit's BasicHook:
    /// z = forward(x₁ … x_k), s = R / stabilize(z), R_in = Σ_k x_k ⊙ ∂(Σ z ⊙ s)/∂x_k.
    /// </summary>
    internal static Tensor Redistribute(IReadOnlyList<Tensor> inputs, Func<Tensor[], Tensor> forward, Tensor relevance, float epsilon)
    {
        using var grad = GradMode.EnableGrad();
        var leaves = inputs.Select(t => t.Detach().RequireGrad()).ToArray();
        var z = forward(leaves);
        Tensor share;
        using (GradMode.NoGrad()) share = LrpKernels.StableDivide(relevance, z, epsilon);
        var g = Gradients.Of(z, leaves, gradOutput: share);
        using (GradMode.NoGrad())
        {
            Tensor result = Ops.Mul(inputs[0], g[0]);
            for (int k = 1; k < inputs.Count; k++) result = Ops.Add(result, Ops.Mul(inputs[k], g[k]));
            return result;
        }
    }

    /// <summary>Whether every element is ±0 (NaN counts as non-zero, as <c>v != 0</c> has it): eight at a time, as bits.</summary>
    private static bool IsZero(Tensor t)
    {
        var bits = System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>((ReadOnlySpan<float>)t.Data);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var magnitude = Vector256.Create(0x7FFF_FFFFu);
            for (; i + 8 <= bits.Length; i += 8)
                if ((Vector256.Create(bits.Slice(i, 8)) & magnitude) != Vector256<uint>.Zero) return false;
        }
        for (; i < bits.Length; i++)
            if ((bits[i] & 0x7FFF_FFFFu) != 0) return false;
        return true;
    }

    protected static Tensor Positive(Tensor t) => Ops.Clamp(t, 0f);
    protected static Tensor Negative(Tensor t) => Ops.Clamp(t, max: 0f);
}
