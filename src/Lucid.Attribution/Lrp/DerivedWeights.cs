using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

/// <summary>
/// The weights LRP's rules derive from a layer's weights — the BatchNorm-merged s·W, its positive part for z⁺ and αβ,
/// γ's w + γ·w⁺ — kept between calls, per model weight tensor (and collected with it), while that tensor's values and
/// the merged scale are unchanged.
/// </summary>
/// <remarks>
/// Built afresh, they were new tensors on every call: each cost a pass over the layer's weights, and the convolutions
/// could not reuse work tied to a weight tensor (Winograd's transform of it, cached while its values are unchanged),
/// so every 3×3 convolution of a rule transformed its weights again, into newly allocated arrays, and pushed the
/// network's own transforms out of that cache. Held here, a derived tensor is the same tensor with the same values on
/// the next call. Validity is checked once per layer and call, bit for bit against a copy of the weights
/// (a comparison costs less than deriving again); when the weights have changed (a training step), a new generation
/// starts and a call still running on the old one keeps its tensors.
/// </remarks>
internal static class DerivedWeights
{
    /// <summary>More variants of one layer's weights than any built-in rule uses (γ takes four, αβ two); beyond it the oldest goes.</summary>
    private const int MaxVariants = 8;

    private static readonly ConditionalWeakTable<Tensor, Slot> Slots = new();

    private sealed class Slot
    {
        public Generation? Current;
    }

    /// <summary>The derived weights of one set of values of a layer's weights and merged scale.</summary>
    internal sealed class Generation
    {
        private readonly float[] _weights;
        private readonly float[]? _scale;
        private readonly List<(Delegate? Modifier, Tensor Derived)> _variants = new();

        public Generation(ReadOnlySpan<float> weights, ReadOnlySpan<float> scale, bool merged)
        {
            _weights = weights.ToArray();
            _scale = merged ? scale.ToArray() : null;
        }

        public bool Matches(ReadOnlySpan<float> weights, Tensor? scale) =>
            (scale is null) == (_scale is null) && SameBits(weights, _weights) && (scale is null || SameBits(scale.Data, _scale));

        /// <summary>
        /// The variant <paramref name="modifier"/> of the layer's (merged) weights: built by <paramref name="build"/>
        /// the first time, then the same tensor. Modifiers are the same when their methods are and their targets are
        /// equal: the rules' modifiers are static methods, lambdas without captures, or closures over the rule itself —
        /// a record, so another instance of the rule with the same parameters finds the same weights.
        /// </summary>
        public Tensor Get(Delegate? modifier, Func<Tensor> build)
        {
            lock (_variants)
            {
                foreach (var (m, derived) in _variants)
                    if (SameModifier(m, modifier)) return derived;
                Tensor built;
                using (GradMode.NoGrad()) built = build().DetachFromScope();
                if (_variants.Count == MaxVariants) _variants.RemoveAt(0);
                _variants.Add((modifier, built));
                return built;
            }
        }
    }

    private static bool SameModifier(Delegate? a, Delegate? b) =>
        a is null || b is null ? a is null && b is null : a.Method == b.Method && Equals(a.Target, b.Target);

    /// <summary>
    /// The current generation for <paramref name="weights"/> merged with <paramref name="scale"/> (null: not merged) —
    /// a new one when the values differ from the last call's.
    /// </summary>
    public static Generation For(Tensor weights, Tensor? scale)
    {
        var slot = Slots.GetValue(weights, static _ => new Slot());
        lock (slot)
        {
            if (slot.Current is { } current && current.Matches(weights.Data, scale)) return current;
            return slot.Current = new Generation(weights.Data, scale is null ? default : scale.Data, scale is not null);
        }
    }

    private static bool SameBits(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        MemoryMarshal.Cast<float, int>(a).SequenceEqual(MemoryMarshal.Cast<float, int>(b));
}
