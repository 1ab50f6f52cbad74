using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Lucid.Attribution;

/// <summary>Noise-tunnel aggregations (Captum's NoiseTunnel types).</summary>
public enum NoiseTunnelType { SmoothGrad, SmoothGradSquared, VarGrad }

/// <summary>
/// The gradient family: saliency, input × gradient, Integrated Gradients and noise tunnels over any of them.
/// Results are detached tensors owned by the caller; models are only read.
/// </summary>
public static class GradientAttribution
{
    /// <summary>Captum's defaults: 50 steps, Gauss–Legendre.</summary>
    public const int DefaultSteps = 50;

    /// <summary>∂target/∂input (absolute value by default, as Captum's Saliency).</summary>
    public static AttributionResult Saliency(Model model, Tensor input, AttributionTarget target, bool absolute = true)
    {
        var (gradient, values) = Gradient(model, input, target);
        if (absolute) TP.Abs(gradient.Data, gradient.Data);
        return new AttributionResult(gradient, values);
    }

    /// <summary>input ⊙ ∂target/∂input.</summary>
    public static AttributionResult InputXGradient(Model model, Tensor input, AttributionTarget target)
    {
        var (gradient, values) = Gradient(model, input, target);
        TP.Multiply(gradient.Data, input.Data, gradient.Data);
        return new AttributionResult(gradient, values);
    }

    /// <summary>
    /// Integrated Gradients (Sundararajan et al., 2017): (x − x′) ⊙ ∫₀¹ ∂f(x′ + α(x − x′))/∂x dα, discretized by
    /// <paramref name="method"/> with <paramref name="steps"/> nodes, evaluated <paramref name="internalBatch"/> path
    /// points per forward pass (0: all of them). The baseline defaults to zeros. The result carries the completeness
    /// delta Σ attribution − (f(x) − f(x′)) per example.
    /// </summary>
    public static AttributionResult IntegratedGradients(Model model, Tensor input, AttributionTarget target, Tensor? baseline = null,
        int steps = DefaultSteps, IntegrationMethod method = IntegrationMethod.GaussLegendre, int internalBatch = 0)
    {
        var (alphas, weights) = Quadrature.Rule(method, steps);
        if (baseline is not null && !baseline.Shape.SequenceEqual(input.Shape))
            throw new ShapeMismatchException($"integrated gradients: baseline of shape [{string.Join(", ", baseline.Shape.ToArray())}] does not match the input [{string.Join(", ", input.Shape.ToArray())}].");
        if (internalBatch < 0) throw new LucidArgumentException(nameof(internalBatch), $"integrated gradients: internal batch must be non-negative, got {internalBatch}.");
        int n = input.Size(0);
        var x = input.ToArray();
        var x0 = baseline is null ? new float[input.Count] : baseline.ToArray();
        var total = new double[input.Count];
        int chunk = internalBatch == 0 ? steps : internalBatch;
        var shape = input.Shape.ToArray();
        // the endpoints f(x) and f(x′) ride along with the first chunk (two more rows) instead of two batch-1 passes
        var fx = new float[n];
        var fx0 = new float[n];
        for (int s0 = 0; s0 < steps; s0 += chunk)
        {
            int m = Math.Min(chunk, steps - s0), extra = s0 == 0 ? 2 : 0;
            using var scope = Tensor.Scope();
            var batchShape = (int[])shape.Clone();
            batchShape[0] = n * (m + extra);
            var path = Tensor.Zeros(batchShape).RequireGrad();
            var pd = path.Data;
            for (int k = 0; k < m; k++)
            {
                float alpha = (float)alphas[s0 + k];
                for (int i = 0; i < input.Count; i++) pd[k * input.Count + i] = x0[i] + alpha * (x[i] - x0[i]);
            }
            if (extra > 0)
            {
                x.CopyTo(pd.Slice(m * input.Count, input.Count));
                x0.CopyTo(pd.Slice((m + 1) * input.Count, input.Count));
            }
            var values = TargetValues(model, path, target);
            if (extra > 0)
            {
                var v = values.Data;
                v.Slice(m * n, n).CopyTo(fx);
                v.Slice((m + 1) * n, n).CopyTo(fx0);
            }
            var gradient = Gradients.Of(Ops.Sum(values), new[] { path })[0].Data;
            for (int k = 0; k < m; k++)
            {
                double weight = weights[s0 + k];
                for (int i = 0; i < input.Count; i++) total[i] += weight * gradient[k * input.Count + i];
            }
        }
        var attribution = Tensor.Zeros(shape).DetachFromScope();
        var ad = attribution.Data;
        for (int i = 0; i < ad.Length; i++) ad[i] = (float)((x[i] - x0[i]) * total[i]);
        var delta = Completeness.Delta(ad, n, e => fx[e] - fx0[e]);
        return new AttributionResult(attribution, fx, delta);
    }

    /// <summary>
    /// Integrated Gradients with a completeness target: adaptive composite trapezoid quadrature along the straight path.
    /// Starts from <paramref name="initialSteps"/> equal intervals and bisects, <paramref name="internalBatch"/> at a
    /// time, the intervals whose error is largest, until |Σ attribution − (f(x) − f(x′))| ≤ <paramref name="tolerance"/> ·
    /// |f(x) − f(x′)| or <paramref name="maxSteps"/> gradient evaluations (path points, both ends included) are spent.
    /// Each interval's error is known exactly — its trapezoid estimate (b − a)/2 · (∇f(a) + ∇f(b))·(x − x′) against
    /// f(b) − f(a), both read off the gradient passes — so steps go where the integrand jumps (on a ReLU network it is
    /// piecewise constant along the path). Not Captum's fixed rule: the nodes depend on the input; the result is the
    /// same integral. Delta as in <see cref="IntegratedGradients(Model, Tensor, AttributionTarget, Tensor?, int, IntegrationMethod, int)"/>.
    /// </summary>
    public static AttributionResult AdaptiveIntegratedGradients(Model model, Tensor input, AttributionTarget target, Tensor? baseline = null,
        int maxSteps = 256, double tolerance = 1e-3, int initialSteps = 16, int internalBatch = 16)
    {
        if (baseline is not null && !baseline.Shape.SequenceEqual(input.Shape))
            throw new ShapeMismatchException($"adaptive integrated gradients: baseline of shape [{string.Join(", ", baseline.Shape.ToArray())}] does not match the input [{string.Join(", ", input.Shape.ToArray())}].");
        if (initialSteps < 1) throw new LucidArgumentException(nameof(initialSteps), $"adaptive integrated gradients: initial steps must be at least 1, got {initialSteps}.");
        if (maxSteps < initialSteps + 1) throw new LucidArgumentException(nameof(maxSteps), $"adaptive integrated gradients: max steps must be at least initial steps + 1 = {initialSteps + 1} (the path's points, both ends included), got {maxSteps}.");
        if (!(tolerance >= 0)) throw new LucidArgumentException(nameof(tolerance), $"adaptive integrated gradients: tolerance must be non-negative, got {tolerance}.");
        if (internalBatch < 1) throw new LucidArgumentException(nameof(internalBatch), $"adaptive integrated gradients: internal batch must be positive, got {internalBatch}.");
        int n = input.Size(0), per = input.Count / n;
        var x = input.ToArray();
        var x0 = baseline is null ? new float[input.Count] : baseline.ToArray();
        var exampleShape = input.Shape.ToArray();
        exampleShape[0] = 1;
        var attribution = Tensor.Zeros(input.Shape.ToArray()).DetachFromScope();
        var fx = new float[n];
        var fx0 = new float[n];
        var steps = new int[n];
        for (int e = 0; e < n; e++)
        {
            var xe = x.AsSpan(e * per, per).ToArray();
            var be = x0.AsSpan(e * per, per).ToArray();
            var difference = new float[per];
            TP.Subtract(xe, be, difference);
            var nodes = new SortedList<double, (double F, double Slope, float[] Gradient)>();
            void EvaluateAt(IReadOnlyList<double> alphas)
            {
                for (int s0 = 0; s0 < alphas.Count; s0 += internalBatch)
                {
                    int m = Math.Min(internalBatch, alphas.Count - s0);
                    using var scope = Tensor.Scope();
                    var shape = (int[])exampleShape.Clone();
                    shape[0] = m;
                    var path = Tensor.Zeros(shape).RequireGrad();
                    var pd = path.Data;
                    for (int k = 0; k < m; k++)
                    {
                        float alpha = (float)alphas[s0 + k];
                        for (int i = 0; i < per; i++) pd[k * per + i] = be[i] + alpha * difference[i];
                    }
                    var values = TargetValues(model, path, target);
                    var v = values.ToArray();
                    var gradient = Gradients.Of(Ops.Sum(values), new[] { path })[0].Data;
                    for (int k = 0; k < m; k++)
                    {
                        var row = gradient.Slice(k * per, per).ToArray();
                        nodes[alphas[s0 + k]] = (v[k], TP.Dot(row, difference), row);
                    }
                }
            }
            EvaluateAt(Enumerable.Range(0, initialSteps + 1).Select(k => (double)k / initialSteps).ToArray());
            double change = nodes[1.0].F - nodes[0.0].F;
            while (true)
            {
                var alphas = nodes.Keys;
                var errors = new List<(double Error, double Left, double Right)>(alphas.Count - 1);
                double delta = 0;
                for (int k = 0; k + 1 < alphas.Count; k++)
                {
                    var (a, b) = (alphas[k], alphas[k + 1]);
                    var (left, right) = (nodes.Values[k], nodes.Values[k + 1]);
                    double error = (b - a) / 2 * (left.Slope + right.Slope) - (right.F - left.F);
                    delta += error;
                    errors.Add((Math.Abs(error), a, b));
                }
                int budget = maxSteps - nodes.Count;
                if (Math.Abs(delta) <= tolerance * Math.Abs(change) || budget <= 0) break;
                var split = errors.OrderByDescending(t => t.Error).Take(Math.Min(internalBatch, budget))
                    .Where(t => t.Right - t.Left > 1e-9).Select(t => (t.Left + t.Right) / 2).ToArray();
                if (split.Length == 0) break;
                EvaluateAt(split);
            }
            var total = new double[per];
            var keys = nodes.Keys;
            for (int k = 0; k < keys.Count; k++)
            {
                double weight = ((k + 1 < keys.Count ? keys[k + 1] : keys[k]) - (k > 0 ? keys[k - 1] : keys[k])) / 2;
                var g = nodes.Values[k].Gradient;
                for (int i = 0; i < per; i++) total[i] += weight * g[i];
            }
            var ad = attribution.Data.Slice(e * per, per);
            for (int i = 0; i < per; i++) ad[i] = (float)(difference[i] * total[i]);
            fx[e] = (float)nodes[1.0].F;
            fx0[e] = (float)nodes[0.0].F;
            steps[e] = nodes.Count;
        }
        var deltas = Completeness.Delta(attribution.Data, n, e => fx[e] - fx0[e]);
        return new AttributionResult(attribution, fx, deltas) { Steps = steps };
    }

    /// <summary>Integrated Gradients from a <see cref="Baseline"/> kind (black, blurred, noise, dataset mean, ...).</summary>
    public static AttributionResult IntegratedGradients(Model model, Tensor input, AttributionTarget target, Baseline baseline,
        int steps = DefaultSteps, IntegrationMethod method = IntegrationMethod.GaussLegendre, int internalBatch = 0)
    {
        using var reference = baseline.For(model, input);
        return IntegratedGradients(model, input, target, reference, steps, method, internalBatch);
    }

    /// <summary>Adaptive Integrated Gradients from a <see cref="Baseline"/> kind.</summary>
    public static AttributionResult AdaptiveIntegratedGradients(Model model, Tensor input, AttributionTarget target, Baseline baseline,
        int maxSteps = 256, double tolerance = 1e-3, int initialSteps = 16, int internalBatch = 16)
    {
        using var reference = baseline.For(model, input);
        return AdaptiveIntegratedGradients(model, input, target, reference, maxSteps, tolerance, initialSteps, internalBatch);
    }

    /// <summary>
    /// GradientSHAP (Lundberg &amp; Lee, 2017; Captum's formulation, also called expected gradients): for each of
    /// <paramref name="samples"/> draws per example, a baseline b from <paramref name="baselines"/> ([B, ...] — a
    /// distribution of references), α ~ U(0, 1) and x̃ = x + N(0, <paramref name="stdev"/>²); the attribution is the mean
    /// of ∂f(b + α(x̃ − b))/∂x ⊙ (x̃ − b). In expectation Σ attribution = f(x) − E_b f(b) (for stdev 0); the delta
    /// reports Σ attribution − (f(x) − mean of f over the drawn baselines).
    /// </summary>
    public static AttributionResult GradientShap(Model model, Tensor input, AttributionTarget target, Tensor baselines,
        int samples = 5, float stdev = 0f, ulong seed = 0)
    {
        if (samples <= 0) throw new LucidArgumentException(nameof(samples), $"GradientSHAP: samples must be positive, got {samples}.");
        if (!(stdev >= 0)) throw new LucidArgumentException(nameof(stdev), $"GradientSHAP: stdev must be non-negative, got {stdev}.");
        var exampleShape = input.Shape.ToArray()[1..];
        if (baselines.Rank != input.Rank || !baselines.Shape.ToArray()[1..].SequenceEqual(exampleShape))
            throw new ShapeMismatchException($"GradientSHAP: baselines of shape [{string.Join(", ", baselines.Shape.ToArray())}] must be [B, {string.Join(", ", exampleShape)}] for the input [{string.Join(", ", input.Shape.ToArray())}].");
        int n = input.Size(0), per = input.Count / n, b = baselines.Size(0);
        var rng = new Rng(seed);
        var x = input.ToArray();
        var refs = baselines.ToArray();
        var shape = input.Shape.ToArray();
        var batchShape = (int[])shape.Clone();
        batchShape[0] = n * samples;
        var points = new float[n * samples * per];
        var differences = new float[n * samples * per];
        var chosen = new int[n * samples];
        for (int e = 0; e < n; e++)
            for (int s = 0; s < samples; s++)
            {
                int row = e * samples + s;
                int k = chosen[row] = (int)(rng.NextUInt64() % (ulong)b);
                float alpha = rng.NextFloat();
                for (int i = 0; i < per; i++)
                {
                    float noisy = x[e * per + i] + (stdev > 0 ? (float)(stdev * rng.NextNormal()) : 0f);
                    float reference = refs[k * per + i];
                    differences[row * per + i] = noisy - reference;
                    points[row * per + i] = reference + alpha * (noisy - reference);
                }
            }
        float[] gradient;
        using (Tensor.Scope())
        {
            var path = Tensor.FromArray(points, batchShape).RequireGrad();
            var values = TargetValues(model, path, target);
            gradient = Gradients.Of(Ops.Sum(values), new[] { path })[0].ToArray();
        }
        var attribution = Tensor.Zeros(shape).DetachFromScope();
        var ad = attribution.Data;
        for (int e = 0; e < n; e++)
            for (int s = 0; s < samples; s++)
            {
                int row = e * samples + s;
                for (int i = 0; i < per; i++) ad[e * per + i] += gradient[row * per + i] * differences[row * per + i] / samples;
            }
        var fx = Evaluate(model, input, target);
        var fb = Evaluate(model, baselines, target);
        var delta = Completeness.Delta(ad, n, e => fx[e] - Enumerable.Range(0, samples).Average(s => (double)fb[chosen[e * samples + s]]));
        return new AttributionResult(attribution, fx, delta);
    }

    /// <summary>
    /// A noise tunnel (Smilkov et al., 2017; Adebayo et al., 2018): runs <paramref name="method"/> on
    /// <paramref name="samples"/> copies of the input with Gaussian noise of standard deviation
    /// <paramref name="relativeSigma"/> × (input range of the model) and aggregates by <paramref name="type"/>.
    /// </summary>
    public static AttributionResult NoiseTunnel(Model model, Tensor input, Func<Tensor, AttributionResult> method, NoiseTunnelType type = NoiseTunnelType.SmoothGrad,
        int samples = 25, float relativeSigma = 0.15f, ulong seed = 0)
    {
        if (samples <= 0) throw new LucidArgumentException(nameof(samples), $"noise tunnel: samples must be positive, got {samples}.");
        if (!(relativeSigma >= 0)) throw new LucidArgumentException(nameof(relativeSigma), $"noise tunnel: sigma must be non-negative, got {relativeSigma}.");
        float sigma = relativeSigma;            // of the pixel range, which is [0, 1] for every model
        var rng = new Rng(seed);
        var sum = new double[input.Count];
        var sumSquares = new double[input.Count];
        var values = new double[input.Size(0)];
        for (int s = 0; s < samples; s++)
        {
            using var scope = Tensor.Scope();
            var noisy = input.Clone();
            var nd = noisy.Data;
            for (int i = 0; i < nd.Length; i++) nd[i] += (float)(sigma * rng.NextNormal());
            var result = method(noisy);
            var a = result.Attribution.Data;
            for (int i = 0; i < a.Length; i++)
            {
                sum[i] += a[i];
                sumSquares[i] += (double)a[i] * a[i];
            }
            for (int e = 0; e < values.Length; e++) values[e] += result.TargetValues[e];
            result.Attribution.Dispose();
        }
        var output = Tensor.Zeros(input.Shape.ToArray()).DetachFromScope();
        var od = output.Data;
        for (int i = 0; i < od.Length; i++)
        {
            double mean = sum[i] / samples, meanSquare = sumSquares[i] / samples;
            od[i] = (float)(type switch
            {
                NoiseTunnelType.SmoothGrad => mean,
                NoiseTunnelType.SmoothGradSquared => meanSquare,
                _ => meanSquare - mean * mean,
            });
        }
        return new AttributionResult(output, values.Select(v => (float)(v / samples)).ToArray());
    }

    /// <summary>Per-example target values (no graph).</summary>
    public static float[] Evaluate(Model model, Tensor input, AttributionTarget target)
    {
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        return TargetValues(model, input, target).ToArray();
    }

    internal static Tensor TargetValues(Model model, Tensor input, AttributionTarget target)
    {
        string tap = target.Tap(model);
        var taps = model.Run(input, null, stopAfter: tap);
        return target.Evaluate(model, taps[tap]);
    }

    private static (Tensor Gradient, float[] Values) Gradient(Model model, Tensor input, AttributionTarget target)
    {
        using var scope = Tensor.Scope();
        var x = input.Detach().RequireGrad();
        var values = TargetValues(model, x, target);
        var result = values.ToArray();
        var gradient = Gradients.Of(Ops.Sum(values), new[] { x })[0];
        return (gradient.Clone().DetachFromScope(), result);
    }
}
