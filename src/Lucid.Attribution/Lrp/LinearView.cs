using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

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

    public static bool IsLinear(string op) => LrpKinds.IsRuleOp(op);

    public string Op => _node.Op;

    /// <summary>A conv2d node's attributes and kernel size (null for the other layers).</summary>
    public (Conv2dAttributes Attributes, int KernelH, int KernelW)? Convolution =>
        _node.Op == "conv2d" ? ((Conv2dAttributes)_node.Attributes!, _node.Inputs[1].Size(2), _node.Inputs[1].Size(3)) : null;

    public Tensor Input => _node.Inputs[0];

    public bool HasBias => !_ignoreBias && (_merged is not null || _node.Op is "conv2d" or "linear" && _node.Inputs.Count > 2);

    private Tensor? _weight, _bias;

    /// <summary>The (merged) weight, built once per view — rules re-run the layer several times.</summary>
    private Tensor Weight => _weight ??= Merge(_node.Inputs[1]);

    private DerivedWeights.Generation? _derived;

    /// <summary>
    /// The weights a rule runs the layer with: the layer's own, or — merged or modified — the derived tensor kept from
    /// the last call while the layer's weights are unchanged (<see cref="DerivedWeights"/>).
    /// </summary>
    private Tensor WeightFor(Func<Tensor, Tensor>? modifier)
    {
        if (modifier is null && _merged is null) return _node.Inputs[1];
        _derived ??= DerivedWeights.For(_node.Inputs[1], _merged?.Scale);
        return _derived.Get(modifier, () => modifier is null ? Weight : modifier(Weight));
    }

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
                var w = WeightFor(weight);
                Tensor? b = useBias && Bias is { } bias ? (biasMod is null ? bias : biasMod(bias)) : null;
                return Ops.Conv2d(x, w, b, (a.StrideH, a.StrideW), (a.PadH, a.PadW), (a.DilationH, a.DilationW), a.Groups);
            }
            case "linear":
            {
                var w = WeightFor(weight);
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
