using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

/// <summary>
/// Attribution to a hidden tap instead of the input — the Building Blocks' spatial and channel attribution between
/// layers: explain a target (a class, or a channel / neuron of a later tap) by the activations of an earlier tap.
/// </summary>
public static class LayerAttribution
{
    /// <summary>Activation ⊙ ∂target/∂activation at <paramref name="layer"/> (shape of the tap, batch first).</summary>
    public static AttributionResult GradientTimesActivation(Model model, Tensor input, AttributionTarget target, string layer)
    {
        RequireOrder(model, layer, target);
        using var scope = Tensor.Scope();
        Tensor? activation = null;
        string tap = target.Tap(model);
        var x = input.Detach().RequireGrad();
        var taps = model.Run(x, (name, value) => { if (name == layer) activation = value; return null; }, stopAfter: tap);
        var values = target.Evaluate(model, taps[tap]);
        var result = values.ToArray();
        var gradient = Gradients.Of(Ops.Sum(values), new[] { activation! })[0];
        using (GradMode.NoGrad())
            return new AttributionResult(Ops.Mul(gradient, activation!).Clone().DetachFromScope(), result);
    }

    /// <summary>
    /// Layer Integrated Gradients: the tap's activation a is replaced by a′ + α(a − a′) along the path (a′ = 0 by
    /// default), and (a − a′) ⊙ ∫ ∂target/∂tap dα is returned with its completeness delta against
    /// f(tap = a) − f(tap = a′).
    /// </summary>
    public static AttributionResult IntegratedGradients(Model model, Tensor input, AttributionTarget target, string layer,
        int steps = GradientAttribution.DefaultSteps, IntegrationMethod method = IntegrationMethod.GaussLegendre)
    {
        RequireOrder(model, layer, target);
        var (alphas, weights) = Quadrature.Rule(method, steps);
        string tap = target.Tap(model);
        float[] activation;
        int[] shape;
        using (GradMode.NoGrad())
        using (Tensor.Scope())
        {
            var a = model.Run(input, null, stopAfter: layer)[layer];
            activation = a.ToArray();
            shape = a.Shape.ToArray();
        }
        var total = new double[activation.Length];
        float[]? endpoint = null, start = null;
        for (int k = 0; k < steps; k++)
        {
            using var scope = Tensor.Scope();
            float alpha = (float)alphas[k];
            var point = Tensor.FromArray(activation.Select(v => alpha * v).ToArray(), shape).RequireGrad();
            var taps = model.Run(input, (name, value) => name == layer ? point : null, stopAfter: tap);
            var values = target.Evaluate(model, taps[tap]);
            var g = Gradients.Of(Ops.Sum(values), new[] { point })[0].Data;
            for (int i = 0; i < total.Length; i++) total[i] += weights[k] * g[i];
        }
        using (GradMode.NoGrad())
        using (Tensor.Scope())
        {
            endpoint = Evaluate(model, input, target, layer, Tensor.FromArray(activation, shape));
            start = Evaluate(model, input, target, layer, Tensor.Zeros(shape));
        }
        var attribution = Tensor.Zeros(shape).DetachFromScope();
        var ad = attribution.Data;
        for (int i = 0; i < ad.Length; i++) ad[i] = (float)(activation[i] * total[i]);
        var delta = Completeness.Delta(ad, shape[0], e => endpoint[e] - start[e]);
        return new AttributionResult(attribution, endpoint, delta);
    }

    private static float[] Evaluate(Model model, Tensor input, AttributionTarget target, string layer, Tensor replacement)
    {
        string tap = target.Tap(model);
        var taps = model.Run(input, (name, value) => name == layer ? replacement : null, stopAfter: tap);
        return target.Evaluate(model, taps[tap]).ToArray();
    }

    private static void RequireOrder(Model model, string layer, AttributionTarget target)
    {
        string tap = target.Tap(model);
        var order = model.Taps.ToList();
        int li = layer == "input" ? -1 : order.IndexOf(model[layer].Name), ti = order.IndexOf(tap);
        if (li >= ti)
            throw new LucidArgumentException(nameof(layer), $"layer attribution: tap '{layer}' does not precede the target's tap '{tap}' in model '{model.Name}'.");
    }
}
