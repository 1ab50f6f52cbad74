using Lucid.Attribution;
using TorchSharp;
using static TorchSharp.torch;
using LrpRules = Lucid.Attribution.Lrp;
using Tensor = TorchSharp.torch.Tensor;
using Lucid.Tensors;

namespace Lucid.TorchSharp;

/// <summary>A native attribution: the map is a TorchSharp tensor on the model's device, shaped as the input.</summary>
public sealed record TorchAttributionResult(Tensor Attribution, float[] TargetValues, float[]? Delta = null)
{
    /// <summary>The same result in Lucid tensors (copied to the CPU), for figures, evaluation and Building Blocks pages.</summary>
    public AttributionResult ToLucid() => new(TorchTensors.ToLucid(Attribution), TargetValues, Delta);
}

/// <summary>
/// Gradient attribution and LRP run natively in TorchSharp (path (b)): inputs are pixel tensors [N, C, H, W] in [0, 1] on
/// the model's device; the input contract is applied in TorchSharp; gradients are libtorch's. The methods compute what
/// their namesakes in <see cref="GradientAttribution"/> and <see cref="LrpRules"/> compute (Captum's and Zennit's
/// definitions), with the same quadrature, the same start relevance a ⊙ ∂f/∂a and the same rule assignment: LRP uses
/// the composite's <see cref="LrpRule"/> records as Lucid's engine does, applied through forward hooks and custom
/// autograd functions (batch norm merged into the layer before it, ReLU passing, residual sums split in proportion).
/// Targets: classes, channels, neurons and directions (a function target is code in Lucid's engine: use path (a)).
/// </summary>
public static class TorchAttribution
{
    /// <summary>∂target/∂input (absolute value by default, as Captum's Saliency).</summary>
    public static TorchAttributionResult Saliency(TorchModel model, Tensor input, AttributionTarget target, bool absolute = true)
    {
        var (gradient, values) = Gradient(model, input, target);
        return new(absolute ? gradient.abs() : gradient, values);
    }

    /// <summary>input ⊙ ∂target/∂input.</summary>
    public static TorchAttributionResult InputXGradient(TorchModel model, Tensor input, AttributionTarget target)
    {
        var (gradient, values) = Gradient(model, input, target);
        return new(gradient * input.detach(), values);
    }

    /// <summary>
    /// Integrated Gradients as <see cref="GradientAttribution.IntegratedGradients(Lucid.Models.Graph.Model, Lucid.Tensors.Tensor, AttributionTarget, Lucid.Tensors.Tensor?, int, IntegrationMethod, int)"/>:
    /// the same nodes and weights (<see cref="Quadrature.Rule"/>, Gauss–Legendre by default), the path points
    /// <paramref name="internalBatch"/> per pass (0: all), the endpoints riding along with the first pass, the sum in
    /// double precision, and the completeness delta per example. The baseline defaults to zeros (black).
    /// </summary>
    public static TorchAttributionResult IntegratedGradients(TorchModel model, Tensor input, AttributionTarget target, Tensor? baseline = null,
        int steps = GradientAttribution.DefaultSteps, IntegrationMethod method = IntegrationMethod.GaussLegendre, int internalBatch = 0)
    {
        Check(model, input, nameof(input));
        if (baseline is not null)
        {
            model.RequireDevice(baseline, nameof(baseline));
            if (!baseline.shape.SequenceEqual(input.shape))
                throw new ShapeMismatchException($"integrated gradients: baseline of shape {Shapes.Format(baseline.shape)} does not match the input {Shapes.Format(input.shape)}.");
        }
        if (internalBatch < 0) throw new LucidArgumentException(nameof(internalBatch), $"integrated gradients: internal batch must be non-negative, got {internalBatch}.");
        var (alphas, weights) = Quadrature.Rule(method, steps);
        string tap = target.Tap(model.View);
        long n = input.shape[0];
        var x = input.detach().to(float32);
        var x0 = baseline?.detach().to(float32) ?? zeros_like(x);
        var total = zeros(x.shape, float64, device: x.device);
        var fx = new float[n];
        var fx0 = new float[n];
        int chunk = internalBatch == 0 ? steps : internalBatch;
        for (int s0 = 0; s0 < steps; s0 += chunk)
        {
            using var scope = NewDisposeScope();
            int m = Math.Min(chunk, steps - s0);
            var rows = new List<Tensor>();
            for (int k = 0; k < m; k++) rows.Add(x0 + (x - x0) * (float)alphas[s0 + k]);
            if (s0 == 0) { rows.Add(x); rows.Add(x0); }
            var path = cat(rows, 0).detach().requires_grad_(true);
            using var pass = model.Run(model.Normalize(path), BackwardMode.Plain);
            var values = Values(model, pass, tap, target);
            if (s0 == 0)
            {
                var v = values.detach().cpu().data<float>().ToArray();
                Array.Copy(v, m * n, fx, 0, n);
                Array.Copy(v, (m + 1) * n, fx0, 0, n);
            }
            var gradient = torch.autograd.grad(new[] { values.sum() }, new[] { path })[0].to(float64);
            using (no_grad())
                for (int k = 0; k < m; k++) total.add_(gradient.narrow(0, k * n, n) * weights[s0 + k]);
        }
        var attribution = ((x - x0).to(float64) * total).to(float32);
        var delta = Completeness.Delta(TorchTensors.ToLucid(attribution).Data, (int)n, e => fx[e] - fx0[e]);
        return new(attribution, fx, delta);
    }

    /// <summary>LRP with one of Zennit's composites (<see cref="LrpComposites"/>), as Lucid's engine assigns it.</summary>
    public static TorchAttributionResult Lrp(TorchModel model, Tensor input, AttributionTarget target, LrpComposite composite, float epsilon = LrpRule.DefaultEpsilon) =>
        Lrp(model, input, target, Rules(model, composite, epsilon: epsilon));

    /// <summary>
    /// A composite's rule assignment for <paramref name="model"/>'s modules (its first convolution or linear module is the
    /// input layer), with rules for named modules overriding it (Zennit's name map). A name must be a convolution, linear
    /// or average-pooling module of the model.
    /// </summary>
    public static LrpRules Rules(TorchModel model, LrpComposite composite, IReadOnlyDictionary<string, LrpRule>? overrides = null, float epsilon = LrpRule.DefaultEpsilon)
    {
        var rules = LrpComposites.For(composite, model.FirstLinear, () => LrpZBox.ForModel(model.View), epsilon);
        if (overrides is null || overrides.Count == 0) return rules;
        foreach (var (name, rule) in overrides)
        {
            string kind = model.KindOf(name);
            if (!LrpKinds.IsRuleOp(kind))
                throw new LucidArgumentException(nameof(overrides), $"LRP: rule {rule.GetType().Name} is assigned to module '{name}' of TorchSharp model '{model.Name}', a {kind}; rules apply to convolution, linear and average-pooling modules.");
        }
        var byName = new Dictionary<string, LrpRule>(overrides, StringComparer.Ordinal);
        return new LrpRules((tap, op) => tap is not null && byName.TryGetValue(tap, out var r) ? r : rules.RuleFor(tap, op), rules.SumStabilizer, rules.PositiveSumSplit)
        {
            IgnoreBias = rules.IgnoreBias,
        };
    }

    /// <summary>Deep Taylor Decomposition as <see cref="LrpRules.DeepTaylor"/>: z⁺ without biases on hidden layers, z^B (the model's pixel bounds) or w² at the first; residual sums split by positive parts.</summary>
    public static TorchAttributionResult DeepTaylor(TorchModel model, Tensor input, AttributionTarget target, bool boundedInput = true)
    {
        string? first = model.FirstLinear;
        LrpRule inputRule = boundedInput ? LrpZBox.ForModel(model.View) : new LrpWSquare();
        return Lrp(model, input, target, new LrpRules((tap, _) => tap == first ? inputRule : new LrpZPlus { IncludeBias = false }, positiveSumSplit: true));
    }

    /// <summary>
    /// LRP with a rule assignment: relevance starts at the target's tap as a ⊙ ∂f/∂a (Zennit's output ⊙ mask) and flows back
    /// through the rules to the pixels (the input contract's scaling passes relevance unchanged, as in Lucid's engine).
    /// The delta is Σ relevance − f(x) per example.
    /// </summary>
    public static TorchAttributionResult Lrp(TorchModel model, Tensor input, AttributionTarget target, LrpRules rules)
    {
        Check(model, input, nameof(input));
        if (rules.MaxPool != MaxPoolRelevance.WinnerTakeAll)
            throw new LucidArgumentException(nameof(rules), $"LRP on TorchSharp model '{model.Name}': max-pool relevance {rules.MaxPool} runs through TorchModels.Import (the native path routes it to the winner, as Zennit does).");
        string tap = target.Tap(model.View);
        long n = input.shape[0];
        var x = input.detach().to(float32).requires_grad_(true);
        using var pass = model.Run(Routed(model, x), BackwardMode.Lrp, rules);
        var activation = tap == model.View.OutputTap ? pass.Output : pass[tap, model.Name];
        var values = Values(model, pass, tap, target);
        var targetValues = values.detach().cpu().data<float>().ToArray();
        var mask = torch.autograd.grad(new[] { values }, new[] { activation }, new[] { ones_like(values) }, retain_graph: true)[0];
        var start = activation.detach() * mask;
        var relevance = torch.autograd.grad(new[] { activation }, new[] { x }, new[] { start })[0];
        var delta = Completeness.Delta(TorchTensors.ToLucid(relevance).Data, (int)n, e => targetValues[e]);
        return new(relevance, targetValues, delta);
    }

    /// <summary>The network input from pixels; its backward passes relevance unchanged (only the channel order is undone).</summary>
    private static Tensor Routed(TorchModel model, Tensor pixels)
    {
        Tensor value;
        using (no_grad()) value = model.Normalize(pixels);
        var perm = model.View.Input.Permutation;
        return NativeFunctions.Apply(value, g =>
        {
            if (perm is null) return new Tensor?[] { g.clone() };
            var inverse = new long[perm.Length];
            for (int k = 0; k < perm.Length; k++) inverse[perm[k]] = k;
            return new Tensor?[] { g.index_select(1, tensor(inverse, device: g.device)) };
        }, pixels);
    }

    private static (Tensor Gradient, float[] Values) Gradient(TorchModel model, Tensor input, AttributionTarget target)
    {
        Check(model, input, nameof(input));
        string tap = target.Tap(model.View);
        var x = input.detach().to(float32).requires_grad_(true);
        using var pass = model.Run(model.Normalize(x), BackwardMode.Plain);
        var values = Values(model, pass, tap, target);
        var gradient = torch.autograd.grad(new[] { values.sum() }, new[] { x })[0];
        return (gradient, values.detach().cpu().data<float>().ToArray());
    }

    private static void Check(TorchModel model, Tensor input, string argument)
    {
        model.RequireDevice(input, argument);
        var shape = model.View.Input.Shape;
        if (input.dim() != shape.Length + 1 || !input.shape.Skip(1).SequenceEqual(shape.Select(d => (long)d)))
            throw new ShapeMismatchException($"TorchSharp model '{model.Name}' takes [N, {string.Join(", ", shape)}]; {argument} is {Shapes.Format(input.shape)}.");
    }

    /// <summary>The target's value per example [N], from the tap of a native pass (the same definitions as the targets' own).</summary>
    private static Tensor Values(TorchModel model, NativePass pass, string tap, AttributionTarget target)
    {
        var a = tap == model.View.OutputTap ? pass.Output : pass[tap, model.Name];
        switch (target)
        {
            case ClassTarget c:
                return a.narrow(1, c.IndexIn(model.View), 1).reshape(-1);
            case ChannelTarget c:
            {
                var channel = a.narrow(1, c.ChannelIndex, 1);
                if (c.Y is { } y && c.X is { } x) return channel.narrow(2, y, 1).narrow(3, x, 1).reshape(-1);
                return channel.flatten(1).sum(1);
            }
            case DirectionTarget d:
            {
                var shape = Enumerable.Repeat(1L, (int)a.dim()).ToArray();
                shape[1] = d.Vector.Length;
                var projected = (a * tensor(d.Vector, device: a.device).view(shape)).sum(1);
                if (a.dim() == 2) return projected;
                if (d.Y is { } y && d.X is { } x) return projected.narrow(1, y, 1).narrow(2, x, 1).reshape(-1);
                return projected.flatten(1).sum(1);
            }
            default:
                throw new LucidArgumentException("target", $"attribution on TorchSharp model '{model.Name}': target {target} is code in Lucid's engine; attribute it through TorchModels.Wrap.");
        }
    }
}
