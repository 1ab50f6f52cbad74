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

    /// <summary>
    /// Layer conductance (Dhamdhere et al., 2018): the flow of Integrated Gradients through each unit of
    /// <paramref name="layer"/> — Σ_k ½(∂f/∂a(x_k) + ∂f/∂a(x_{k+1})) ⊙ (a(x_{k+1}) − a(x_k)) along the input path
    /// x_k = x′ + (k/steps)(x − x′), a trapezoid sum of the path integral ∫ ∂f/∂a · da. Σ conductance → f(x) − f(x′)
    /// as steps grow; the delta reports the remainder. The baseline is zeros unless given.
    /// </summary>
    public static AttributionResult Conductance(Model model, Tensor input, AttributionTarget target, string layer, Baseline? baseline = null,
        int steps = GradientAttribution.DefaultSteps)
    {
        RequireOrder(model, layer, target);
        if (steps <= 0) throw new LucidArgumentException(nameof(steps), $"layer conductance: steps must be positive, got {steps}.");
        var alphas = Enumerable.Range(0, steps + 1).Select(k => (double)k / steps).ToArray();
        var (activations, gradients, shape) = AlongPath(model, input, target, layer, baseline, alphas);
        int n = input.Size(0), per = activations[0].Length;
        var total = new double[per];
        for (int k = 0; k < steps; k++)
            for (int i = 0; i < per; i++)
                total[i] += 0.5 * (gradients[k][i] + gradients[k + 1][i]) * ((double)activations[k + 1][i] - activations[k][i]);
        return Finish(model, input, target, baseline, total, shape, n);
    }

    /// <summary>
    /// Internal influence (Leino et al., 2018; Captum's InternalInfluence): ∫₀¹ ∂f/∂a(x′ + α(x − x′)) dα at
    /// <paramref name="layer"/> — the layer's gradient integrated along the input path (not multiplied by any
    /// difference, so it has no completeness law).
    /// </summary>
    public static AttributionResult InternalInfluence(Model model, Tensor input, AttributionTarget target, string layer, Baseline? baseline = null,
        int steps = GradientAttribution.DefaultSteps, IntegrationMethod method = IntegrationMethod.GaussLegendre)
    {
        RequireOrder(model, layer, target);
        var (alphas, weights) = Quadrature.Rule(method, steps);
        var (_, gradients, shape) = AlongPath(model, input, target, layer, baseline, alphas);
        var total = new double[gradients[0].Length];
        for (int k = 0; k < steps; k++)
            for (int i = 0; i < total.Length; i++) total[i] += weights[k] * gradients[k][i];
        var result = Tensor.FromArray(total.Select(v => (float)v).ToArray(), shape).DetachFromScope();
        return new AttributionResult(result, GradientAttribution.Evaluate(model, input, target));
    }

    /// <summary>The tap's activation and ∂target/∂tap at each path point x′ + α(x − x′), in one batched pass.</summary>
    private static (float[][] Activations, float[][] Gradients, int[] Shape) AlongPath(Model model, Tensor input, AttributionTarget target,
        string layer, Baseline? baseline, double[] alphas)
    {
        using var scope = Tensor.Scope();
        int n = input.Size(0), per = input.Count / n, m = alphas.Length;
        var reference = (baseline ?? Baseline.Zero).For(model, input);
        var x = input.Data;
        var x0 = reference.Data;
        var shape = input.Shape.ToArray();
        shape[0] = n * m;
        var path = Tensor.Zeros(shape);
        var pd = path.Data;
        for (int k = 0; k < m; k++)
        {
            float alpha = (float)alphas[k];
            for (int i = 0; i < n * per; i++) pd[k * n * per + i] = x0[i] + alpha * (x[i] - x0[i]);
        }
        Tensor? activation = null;
        string tap = target.Tap(model);
        var taps = model.Run(path.RequireGrad(), (name, value) => { if (name == layer) activation = value; return null; }, stopAfter: tap);
        var values = target.Evaluate(model, taps[tap]);
        var gradient = Gradients.Of(Ops.Sum(values), new[] { activation! })[0];
        int layerPer = activation!.Count / m;
        var a = activation.ToArray();
        var g = gradient.ToArray();
        var activations = new float[m][];
        var gradients = new float[m][];
        for (int k = 0; k < m; k++)
        {
            activations[k] = a[(k * layerPer)..((k + 1) * layerPer)];
            gradients[k] = g[(k * layerPer)..((k + 1) * layerPer)];
        }
        var layerShape = activation.Shape.ToArray();
        layerShape[0] = n;
        return (activations, gradients, layerShape);
    }

    private static AttributionResult Finish(Model model, Tensor input, AttributionTarget target, Baseline? baseline, double[] total, int[] shape, int n)
    {
        var result = Tensor.FromArray(total.Select(v => (float)v).ToArray(), shape).DetachFromScope();
        var fx = GradientAttribution.Evaluate(model, input, target);
        float[] fx0;
        using (var reference = (baseline ?? Baseline.Zero).For(model, input)) fx0 = GradientAttribution.Evaluate(model, reference, target);
        var delta = Completeness.Delta(result.Data, n, e => fx[e] - fx0[e]);
        return new AttributionResult(result, fx, delta);
    }

    /// <summary>Per position: the sum over channels of a [N, C, H, W] attribution → [N, H, W] (the Building Blocks' spatial attribution).</summary>
    public static Tensor SumOverChannels(Tensor attribution)
    {
        if (attribution.Rank != 4) throw new ShapeMismatchException($"sum over channels: expected [N, C, H, W], got [{string.Join(", ", attribution.Shape.ToArray())}].");
        using (GradMode.NoGrad()) return Ops.Sum(attribution, 1);
    }

    /// <summary>Per channel: the sum over positions of a [N, C, H, W] attribution → [N, C] (the Building Blocks' channel attribution).</summary>
    public static Tensor SumOverPositions(Tensor attribution)
    {
        if (attribution.Rank != 4) throw new ShapeMismatchException($"sum over positions: expected [N, C, H, W], got [{string.Join(", ", attribution.Shape.ToArray())}].");
        using (GradMode.NoGrad()) return Ops.Sum(attribution, new[] { 2, 3 });
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
