using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

/// <summary>
/// DeepLIFT with the rescale rule (Shrikumar et al., 2017), on the engine's backward hooks. The input and its baseline
/// run as one batch [x; x′]; backward then carries multipliers instead of gradients: linear operations keep their own
/// rule, and every nonlinearity y = f(x) uses Δy/Δx (its derivative where |Δx| &lt; 1e-10, as Captum). Max-pooling uses
/// the rescale rule on the max function: with y and y′ the pooled input and baseline, an output sends
/// g·(max(y, y′) − y′) to the input's winner and g·(y − max(y, y′)) to the baseline's winner, and each input element
/// gets the total it received divided by its Δx. Local response normalization is rescaled element-wise (its
/// normalizer acting as a gate, as LRP treats it). So Σ attribution = f(x) − f(x′) exactly up to float rounding on
/// ReLU networks with convolutions, pooling, concatenation and residual sums — the delta reports the remainder.
/// </summary>
internal static class DeepLiftRescale
{
    private const float Eps = 1e-10f;

    /// <summary>(x − x′) ⊙ multipliers, with the delta Σ attribution − (f(x) − f(x′)).</summary>
    public static AttributionResult Attribute(Model model, Tensor input, AttributionTarget target, Baseline? baseline = null)
    {
        using var reference = (baseline ?? Baseline.Zero).For(model, input);
        return Attribute(model, input, target, reference);
    }

    /// <summary>DeepLIFT against an explicit reference tensor shaped like the input.</summary>
    public static AttributionResult Attribute(Model model, Tensor input, AttributionTarget target, Tensor baseline)
    {
        if (!baseline.Shape.SequenceEqual(input.Shape))
            throw new ShapeMismatchException($"DeepLIFT: baseline of shape [{string.Join(", ", baseline.Shape.ToArray())}] does not match the input [{string.Join(", ", input.Shape.ToArray())}].");
        int n = input.Size(0);
        string tap = target.Tap(model);
        using var scope = Tensor.Scope();
        var both = Ops.Concat(new[] { input.Detach(), baseline.Detach() }, 0).Detach().RequireGrad();
        var values = target.Evaluate(model, model.Run(both, null, stopAfter: tap)[tap]);
        var all = values.ToArray();
        var fx = all[..n];
        var fx0 = all[n..];
        var seed = new float[2 * n];
        Array.Fill(seed, 1f, 0, n);
        var multipliers = Gradients.Of(values, new[] { both }, gradOutput: Tensor.FromArray(seed, 2 * n), nodeHook: Rule)[0];
        var shape = input.Shape.ToArray();
        var attribution = Tensor.Zeros(shape).DetachFromScope();
        var ad = attribution.Data;
        var m = multipliers.Data;
        var x = input.Data;
        var x0 = baseline.Data;
        for (int i = 0; i < ad.Length; i++) ad[i] = (x[i] - x0[i]) * m[i];
        var delta = Completeness.Delta(ad, n, e => fx[e] - fx0[e]);
        return new AttributionResult(attribution, fx, delta);
    }

    private static Tensor?[]? Rule(Node node, Tensor g) => node.Op switch
    {
        "relu" or "leaky_relu" or "elu" or "gelu" or "tanh" or "sigmoid" or "softplus" or "local_response_norm" => Rescale(node, g),
        "max_pool2d" => MaxPool(node, g),
        _ => null,
    };

    /// <summary>m = Δy/Δx element-wise on the input half; the baseline half carries nothing.</summary>
    private static Tensor?[] Rescale(Node node, Tensor g)
    {
        var x = node.Inputs[0].Data;
        var y = node.Output.Data;
        var gd = g.Data;
        int half = x.Length / 2;
        float[]? fallback = null;
        var result = Tensor.Zeros(node.Inputs[0].Shape.ToArray());
        var r = result.Data;
        for (int i = 0; i < half; i++)
        {
            float dx = x[i] - x[half + i];
            if (MathF.Abs(dx) >= Eps)
            {
                r[i] = gd[i] * (y[i] - y[half + i]) / dx;
                continue;
            }
            fallback ??= Default(node, g);
            r[i] = fallback[i];
        }
        var grads = new Tensor?[node.Inputs.Count];
        grads[0] = result;
        return grads;
    }

    private static float[] Default(Node node, Tensor g)
    {
        var d = node.ComputeDefaultGradients(g)[0]!;
        var copy = d.ToArray();
        d.Dispose();
        return copy;
    }

    private static Tensor?[] MaxPool(Node node, Tensor g)
    {
        var a = (Pool2dAttributes)node.Attributes!;
        var input = node.Inputs[0];
        int n2 = input.Size(0), c = input.Size(1), h = input.Size(2), w = input.Size(3);
        int half = n2 / 2, inPlane = h * w;
        var (pooled, winners) = Ops.MaxPool2dWithIndices(input.Detach(), (a.KernelH, a.KernelW), (a.StrideH, a.StrideW), (a.PadH, a.PadW), (a.DilationH, a.DilationW), a.CeilMode);
        int outPlane = pooled.Size(2) * pooled.Size(3);
        var y = pooled.Data;
        var gd = g.Data;
        var x = input.Data;
        int halfOut = half * c * outPlane, halfIn = half * c * inPlane;
        var received = new double[halfIn];
        for (int o = 0; o < halfOut; o++)
        {
            int plane = o / outPlane;
            float yx = y[o], yb = y[halfOut + o], top = Math.Max(yx, yb);
            if (winners[o] >= 0) received[plane * inPlane + winners[o]] += (double)gd[o] * (top - yb);
            if (winners[halfOut + o] >= 0) received[plane * inPlane + winners[halfOut + o]] += (double)gd[o] * (yx - top);
        }
        float[]? fallback = null;
        var result = Tensor.Zeros(input.Shape.ToArray());
        var r = result.Data;
        for (int i = 0; i < halfIn; i++)
        {
            float dx = x[i] - x[halfIn + i];
            if (MathF.Abs(dx) >= Eps) r[i] = (float)(received[i] / dx);
            else r[i] = (fallback ??= Default(node, g))[i];
        }
        pooled.Dispose();
        return new Tensor?[] { result };
    }
}
