using Lucid.Attribution;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;
using Lucid.Tensors;

namespace Lucid.TorchSharp;

/// <summary>
/// One custom autograd function for every rewritten backward of a native pass: its forward returns a value computed
/// beforehand, its backward is a delegate. TorchSharp 0.107 has no backward hooks, so a module's backward is rewritten by
/// passing its output through this function inside the module's forward hook.
/// </summary>
internal sealed class DelegateFunction : torch.autograd.SingleTensorFunction<DelegateFunction>
{
    internal sealed class Spec(Tensor value, Func<Tensor, Tensor?[]> backward)
    {
        public Tensor Value { get; } = value;
        public Func<Tensor, Tensor?[]> Backward { get; } = backward;
    }

    public override string Name => "LucidNative";

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var spec = (Spec)vars[0];
        ctx.save_data("spec", spec);
        return spec.Value.clone();
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor grad_output)
    {
        var spec = (Spec)ctx.get_data("spec");
        using var _ = torch.enable_grad();
        var grads = new List<Tensor> { null! };
        grads.AddRange(spec.Backward(grad_output)!);
        return grads;
    }
}

/// <summary>The backward rewrites of native passes: Lucid's redirected ReLU, LRP's pass-through, residual split and layer rules.</summary>
internal static class NativeFunctions
{
    /// <summary><paramref name="value"/> in forward; <paramref name="backward"/> maps the output gradient to one gradient per input.</summary>
    public static Tensor Apply(Tensor value, Func<Tensor, Tensor?[]> backward, params Tensor[] inputs)
    {
        var vars = new object[inputs.Length + 1];
        vars[0] = new DelegateFunction.Spec(value.detach(), backward);
        for (int i = 0; i < inputs.Length; i++) vars[i + 1] = inputs[i];
        return DelegateFunction.apply(vars);
    }

    /// <summary>
    /// relu(x) whose gradient is Lucid's redirected one: the ReLU's own, except for a batch item whose ReLU lets no gradient
    /// through at all — there the gradient that would raise negative inputs (x &lt; 0 and g &lt; 0) passes, so an image
    /// that starts in a dead region can move (the same rule as Lucid's engine, Renderer.RedirectedRelu).
    /// </summary>
    public static Tensor RedirectedRelu(NativePass pass, Tensor x)
    {
        var saved = pass.Keep(x.detach());
        return Apply(nn.functional.relu(saved), g =>
        {
            using var _ = no_grad();
            var standard = g * saved.gt(0).to(g.dtype);
            var alive = standard.ne(0).flatten(1).any(1);                              // [N]
            var dead = alive.logical_not().view(new long[] { -1 }.Concat(Enumerable.Repeat(1L, (int)g.dim() - 1)).ToArray());
            var redirect = saved.lt(0).logical_and(g.lt(0));
            return new Tensor?[] { where(dead.logical_and(redirect), g, standard) };
        }, x);
    }

    /// <summary><paramref name="value"/> forward; the gradient passes unchanged to <paramref name="input"/> (Zennit's Pass rule).</summary>
    public static Tensor Pass(Tensor input, Tensor value) => Apply(value, g => new Tensor?[] { g.clone() }, input);


    /// <summary>
    /// A residual sum a + b (and the ReLU after it, which passes): relevance splits as R·a/stabilize(a + b) and
    /// R·b/stabilize(a + b), halves where the sum is 0; with <paramref name="positive"/>, by the summands' positive parts.
    /// </summary>
    public static Tensor SumRule(NativePass pass, Tensor a, Tensor b, Tensor value, float stabilizer, bool positive)
    {
        var av = pass.Keep(a.detach());
        var bv = pass.Keep(b.detach());
        return Apply(value, r =>
        {
            using var _ = no_grad();
            var pa = positive ? av.clamp_min(0) : av;
            var pb = positive ? bv.clamp_min(0) : bv;
            var sum = pa + pb;
            var share = r / Stabilize(sum, stabilizer);
            var zero = sum.eq(0);
            var half = r * 0.5;
            return new Tensor?[] { where(zero, half, pa * share), where(zero, half, pb * share) };
        }, a, b);
    }

    /// <summary>A linear layer's output whose backward is an LRP rule: relevance at the output becomes the rule's relevance at the input.</summary>
    public static Tensor Rule(NativePass pass, Tensor input, Tensor value, LrpRule rule, NativeLinear layer)
    {
        var x = pass.Keep(input.detach().clone());                    // torchvision's in-place ops never reach what the rule reads
        return Apply(value, r => new Tensor?[] { NativeRules.Propagate(rule, layer, x, r) }, input);
    }

    /// <summary>z + ε·sign(z) with sign(0) = +1.</summary>
    public static Tensor Stabilize(Tensor z, double epsilon) => z + where(z.ge(0), epsilon, -epsilon);
}

/// <summary>
/// A TorchSharp convolution, linear or pooling module seen as z = W·x + b, re-runnable with modified weights (Lucid's
/// LinearView in TorchSharp tensors). A batch norm after it is merged: W′ = s·W, b′ = s·b + t (Zennit's canonizer).
/// </summary>
internal sealed class NativeLinear
{
    private readonly nn.Module _module;
    private readonly bool _ignoreBias;
    private Tensor? _weight, _bias;

    private readonly NativePass _pass;

    public NativeLinear(NativePass pass, nn.Module module, string kind, bool ignoreBias)
    {
        _pass = pass;
        _module = module;
        Kind = kind;
        _ignoreBias = ignoreBias;
        if (module is Conv2d conv)
        {
            _weight = pass.Keep(conv.weight!.detach());
            _bias = conv.bias is null ? null : pass.Keep(conv.bias.detach());
        }
        else if (module is Linear linear)
        {
            _weight = pass.Keep(linear.weight!.detach());
            _bias = linear.bias is null ? null : pass.Keep(linear.bias.detach());
        }
    }

    public string Kind { get; }

    /// <summary>Whether the rules' modifiers apply (pooling has fixed non-negative weights they leave unchanged).</summary>
    public bool HasWeights => _weight is not null;

    /// <summary>Folds an evaluation-mode batch norm y = s·z + t into the layer.</summary>
    public void MergeBatchNorm(BatchNorm2d bn)
    {
        if (_weight is null) throw new ModelException("LRP: a batch norm can only be merged into a convolution or linear layer.");
        using var _ = no_grad();
        var variance = bn.running_var!.detach();
        var mean = bn.running_mean!.detach();
        var scale = (bn.weight?.detach() ?? ones_like(mean)) / sqrt(variance + bn.eps);
        var shift = (bn.bias?.detach() ?? zeros_like(mean)) - mean * scale;
        var shape = new long[_weight.dim()];
        Array.Fill(shape, 1L);
        shape[0] = -1;
        _weight = _pass.Keep(_weight * scale.view(shape));
        _bias = _pass.Keep(_bias is null ? shift : _bias * scale + shift);
    }

    /// <summary>z for input <paramref name="x"/> with the weight (and bias) modified, or none.</summary>
    public Tensor Forward(Tensor x, Func<Tensor, Tensor>? weight, bool useBias, Func<Tensor, Tensor>? biasMod)
    {
        useBias &= !_ignoreBias;
        Tensor? b = useBias && _bias is { } bias ? (biasMod is null ? bias : biasMod(bias)) : null;
        switch (_module)
        {
            case Conv2d conv:
            {
                var w = weight is null ? _weight! : weight(_weight!);
                if (conv.padding_mode != PaddingModes.Zeros)
                    throw new ModelException($"LRP: convolution with padding mode {conv.padding_mode} is not supported (zeros only).");
                return nn.functional.conv2d(x, w, b, conv.stride, conv.padding, conv.dilation, conv.groups);
            }
            case Linear:
                return nn.functional.linear(x, weight is null ? _weight! : weight(_weight!), b);
            case nn.Module<Tensor, Tensor> pool:
                return pool.forward(x);                                // average pooling: no parameters, modifiers do not apply
            default:
                throw new ModelException($"LRP: module {_module.GetType().Name} is not a linear layer.");
        }
    }
}

/// <summary>
/// Lucid's LRP rules (the same <see cref="LrpRule"/> records and parameters the engine's composites assign) evaluated on
/// TorchSharp tensors in Zennit's branch form: z = Σ_k layer(x_k; w_k, b_k), s = R / stabilize(z),
/// R_in = Σ_k x_k ⊙ ∂(Σ z ⊙ s)/∂x_k, a branch whose input is all zero skipped.
/// </summary>
internal static class NativeRules
{
    private readonly record struct Branch(Tensor Input, Func<Tensor, Tensor>? Weight, Func<Tensor, Tensor>? Bias, bool UseBias);

    private static Tensor Pos(Tensor t) => t.clamp_min(0);
    private static Tensor Neg(Tensor t) => t.clamp_max(0);

    public static Tensor Propagate(LrpRule rule, NativeLinear layer, Tensor x, Tensor r)
    {
        switch (rule)
        {
            case LrpZero z:
                return Branches(layer, new[] { new Branch(x, null, null, true) }, r, z.Stabilizer);
            case LrpEpsilon e:
                return Branches(layer, new[] { new Branch(x, null, null, true) }, r, e.Epsilon);
            case LrpZPlus p:
                return Branches(layer, new[] { new Branch(Pos(x), Pos, Pos, p.IncludeBias), new Branch(Neg(x), Neg, null, false) }, r, p.Stabilizer);
            case LrpFlat f:
                return Branches(layer, new[] { new Branch(ones_like(x), w => ones_like(w), null, false) }, r, f.Stabilizer);
            case LrpWSquare s:
                return Branches(layer, new[] { new Branch(ones_like(x), w => w * w, b => b * b, true) }, r, s.Stabilizer);
            case LrpGamma g:
            {
                Tensor AddPos(Tensor p) => p + Pos(p) * g.Gamma;
                Tensor AddNeg(Tensor p) => p + Neg(p) * g.Gamma;
                Tensor z, up, down;
                using (no_grad())
                {
                    z = layer.Forward(x, null, true, null);
                    up = where(z.gt(0), r, zeros_like(r));
                    down = where(z.lt(0), r, zeros_like(r));
                }
                var positive = Branches(layer, new[] { new Branch(Pos(x), AddPos, AddPos, true), new Branch(Neg(x), AddNeg, null, false) }, up, g.Stabilizer);
                var negative = Branches(layer, new[] { new Branch(Pos(x), AddNeg, AddNeg, true), new Branch(Neg(x), AddPos, null, false) }, down, g.Stabilizer);
                return positive + negative;
            }
            case LrpAlphaBeta ab:
                return AlphaBeta(ab, layer, x, r);
            case LrpZBox box:
            {
                var low = Bound(x, box.Low, box.ChannelLows);
                var high = Bound(x, box.High, box.ChannelHighs);
                return Branches(layer, new[]
                {
                    new Branch(x, null, null, false),
                    new Branch(low, w => -Pos(w), null, false),
                    new Branch(high, w => -Neg(w), null, false),
                }, r, LrpRule.DefaultEpsilon);
            }
            default:
                throw new LucidArgumentException("rule", $"LRP on a TorchSharp model: rule {rule.GetType().Name} has no TorchSharp form.");
        }
    }

    private static Tensor AlphaBeta(LrpAlphaBeta ab, NativeLinear layer, Tensor x, Tensor r)
    {
        if (Math.Abs(ab.Alpha - ab.Beta - 1f) > 1e-6f || ab.Alpha < 0 || ab.Beta < 0)
            throw new LucidArgumentException(nameof(ab.Alpha), $"LRP αβ: α and β must be non-negative with α − β = 1 for conservation, got α = {ab.Alpha}, β = {ab.Beta}.");
        var xPos = Pos(x);
        var xNeg = Neg(x);
        Tensor rPos = r, rNeg = r;
        double alpha = ab.Alpha, beta = ab.Beta;
        if (ab.ConserveOneSided)
        {
            using (no_grad())
            {
                var zp = layer.Forward(xPos, Pos, false, null) + layer.Forward(xNeg, Neg, false, null);
                var zn = layer.Forward(xPos, Neg, false, null) + layer.Forward(xNeg, Pos, false, null);
                var magnitude = zp - zn;
                var hasPos = zp.gt(magnitude * 1e-4);
                var hasNeg = (-zn).gt(magnitude * 1e-4);
                var both = hasPos.logical_and(hasNeg);
                rPos = r * where(both, ab.Alpha, where(hasPos, 1.0, 0.0));
                rNeg = r * where(both, ab.Beta, where(hasNeg, -1.0, 0.0));
            }
            alpha = beta = 1;
        }
        bool bias = !ab.ConserveOneSided;
        var pos = Branches(layer, new[] { new Branch(xPos, Pos, Pos, bias), new Branch(xNeg, Neg, null, false) }, rPos, ab.Stabilizer);
        var neg = Branches(layer, new[] { new Branch(xPos, Neg, Neg, bias), new Branch(xNeg, Pos, null, false) }, rNeg, ab.Stabilizer);
        return pos * alpha - neg * beta;
    }

    private static Tensor Bound(Tensor like, float value, float[]? perChannel)
    {
        if (perChannel is null) return full_like(like, value);
        if (like.dim() < 2 || like.shape[1] != perChannel.Length)
            throw new ShapeMismatchException($"LRP z^B: {perChannel.Length} channel bounds for a layer input of shape {Shapes.Format(like.shape)}.");
        var shape = new long[like.dim()];
        Array.Fill(shape, 1L);
        shape[1] = perChannel.Length;
        return (zeros_like(like) + tensor(perChannel, device: like.device).view(shape)).contiguous();
    }

    private static Tensor Branches(NativeLinear layer, IReadOnlyList<Branch> branches, Tensor r, float epsilon)
    {
        var live = branches.Where(b => b.Input.ne(0).any().item<bool>()).ToList();
        if (live.Count == 0) live.Add(branches[0]);
        if (!layer.HasWeights) live = live.Select(b => b with { Weight = null, Bias = null }).ToList();
        using var grad = enable_grad();
        var leaves = live.Select(b => b.Input.detach().requires_grad_(true)).ToArray();
        Tensor? z = null;
        for (int k = 0; k < live.Count; k++)
        {
            var term = layer.Forward(leaves[k], live[k].Weight, live[k].UseBias, live[k].Bias);
            z = z is null ? term : z + term;
        }
        Tensor share;
        using (no_grad()) share = r / NativeFunctions.Stabilize(z!.detach(), epsilon);
        var g = torch.autograd.grad(new[] { z! }, leaves, new[] { share });
        using (no_grad())
        {
            var result = live[0].Input * g[0];
            for (int k = 1; k < live.Count; k++) result = result + live[k].Input * g[k];
            return result;
        }
    }
}
