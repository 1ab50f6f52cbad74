using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

/// <summary>The propagation: the backward pass with each layer's rule in its hook.</summary>
public sealed partial class Lrp
{
    /// <summary>Explains <paramref name="target"/>: relevance R = f(x) enters at the target and is propagated to the input.</summary>
    /// <param name="model">The model (only read).</param>
    /// <param name="input">A batch of inputs.</param>
    /// <param name="target">What is explained.</param>
    /// <param name="recordRelevance">Keep the relevance at every tap (in <see cref="LrpResult.Relevance"/>).</param>
    public LrpResult Attribute(Model model, Tensor input, AttributionTarget target, bool recordRelevance = false)
    {
        string tap = target.Tap(model);
        // The convolutions take the engine's fast paths, Winograd's included: its rounding differs from a direct sum's
        // by ~1e-6 of the output's scale, and LRP moves by as little — ML.NET's ResNet-18 on a photograph 2.0e-6
        // (layer3 channel) and 3.7e-6 (class logit), relative L2, TorchSharp's direct sums against ours 1–2e-6 for
        // every composite. Convolutions.Direct() around the call sums directly. The rules' weights are kept between
        // calls (DerivedWeights), so the transforms of them are too.
        using var scope = Tensor.Scope();
        var x = input.Detach().RequireGrad();
        var taps = model.Run(x, null, stopAfter: tap);
        var activation = taps[tap];
        var values = target.Evaluate(model, activation);
        var targetValues = values.ToArray();
        // Zennit's start: every element of the target tap enters with its own contribution to f, a ⊙ ∂f/∂a (a class
        // logit: the logit at its index; a channel: each position's activation; a direction: a ⊙ d) — so Σ R at the
        // tap is f(x) for every target linear in the tap, not f(x) at each position
        var mask = Gradients.Of(values, new[] { activation }, gradOutput: Tensor.Full(1f, values.Shape.ToArray()), retainGraph: true)[0];
        var start = Ops.Mul(activation.Detach(), mask);
        int n = input.Size(0);
        var relevance = new Dictionary<string, Tensor>();
        var layerDeltas = new Dictionary<string, float[]>();
        var merged = new Dictionary<Tensor, (Tensor Scale, Tensor Shift)>(ReferenceEqualityComparer.Instance);
        NodeBackwardHook hook = (node, r) =>
        {
            if (recordRelevance && node.Output.Name is { } name && !relevance.ContainsKey(name))
                relevance[name] = r.Clone().DetachFromScope();
            switch (node.Op)
            {
                case var op when LrpKinds.IsRuleOp(op):
                    return Linear(node, r);
                // element-wise activations and local response normalization pass relevance through unchanged (Zennit's
                // Pass rule; iNNvestigate treats LRN the same way)
                case "relu" or "leaky_relu" or "elu" or "gelu" or "tanh" or "sigmoid" or "softplus" or "identity" or "local_response_norm":
                    return new Tensor?[] { r.Clone() };
                case "batch_norm":
                    return MergeBatchNorm(node, r, merged);
                // a sum of two tensors splits relevance; adding a constant scalar passes it (the gradient routes it)
                case "add" when node.Inputs.Count == 2:
                    return Proportional(node, r, _sumStabilizer, _positiveSumSplit);
                case "mul" or "div" when ConstantOperand(node) is { } variable:
                {
                    // scaling by a constant (a model's input normalization): relevance is not rescaled
                    var grads = new Tensor?[node.Inputs.Count];
                    grads[variable] = r.Clone();
                    return grads;
                }
                case "max_pool2d" when MaxPool == MaxPoolRelevance.Proportional:
                    return ProportionalPool(node, r);
                default:
                    return null; // max-pool, concat, reshape, slice, flatten, subtraction of constants: the gradient routes relevance
            }
        };
        var result = Gradients.Of(activation, new[] { x }, gradOutput: start, nodeHook: hook)[0];
        if (recordRelevance) relevance["input"] = result.Clone().DetachFromScope();
        var attribution = result.Clone().DetachFromScope();
        var delta = Completeness.Delta(attribution.Data, n, e => targetValues[e]);
        return new LrpResult(attribution, targetValues, delta, layerDeltas, relevance);

        Tensor?[] Linear(Node node, Tensor r)
        {
            var view = new LinearView(node, merged.TryGetValue(node.Output, out var m) ? m : null, IgnoreBias);
            var rule = _ruleFor(node.Output.Name, node.Op);
            var grads = new Tensor?[node.Inputs.Count];
            var propagated = rule.Propagate(view, r);
            grads[0] = propagated;
            string key = node.Output.Name ?? $"{node.Op}#{layerDeltas.Count}";
            // the layer's conservation: Σ R_in − Σ R_out per example
            var sumIn = LrpKernels.SumPerExample(propagated, n);
            var sumOut = LrpKernels.SumPerExample(r, n);
            var delta = new float[n];
            for (int e = 0; e < n; e++) delta[e] = (float)(sumIn[e] - sumOut[e]);
            layerDeltas.TryAdd(key, delta);
            return grads;
        }
    }

    /// <summary>
    /// An evaluation-mode batch normalization after a convolution or linear layer: recorded as y = s·z + t (per channel)
    /// for the layer before it, which then propagates as the merged layer; relevance passes through unchanged.
    /// </summary>
    private static Tensor?[] MergeBatchNorm(Node node, Tensor r, Dictionary<Tensor, (Tensor Scale, Tensor Shift)> merged)
    {
        var a = (BatchNormAttributes)node.Attributes!;
        string name = node.Output.Name ?? "batch_norm";
        if (a.Training)
            throw new LucidArgumentException("model", $"LRP: batch normalization '{name}' is in training mode; explain a model in evaluation mode.");
        var producer = node.Inputs[0].GradFn;
        if (producer is null || !LrpKinds.HasWeights(producer.Op))
            throw new LucidArgumentException("model", $"LRP: batch normalization '{name}' does not follow a convolution or linear layer (it follows '{producer?.Op ?? "the input"}'), so it cannot be merged into one.");
        int c = a.RunningMean.Count;
        var scale = new float[c];
        var shift = new float[c];
        var mean = a.RunningMean.Data;
        var variance = a.RunningVar.Data;
        for (int ch = 0; ch < c; ch++)
        {
            float gamma = a.Weight?.Data[ch] ?? 1f, beta = a.Bias?.Data[ch] ?? 0f;
            scale[ch] = gamma / MathF.Sqrt(variance[ch] + a.Epsilon);
            shift[ch] = beta - mean[ch] * scale[ch];
        }
        merged[node.Inputs[0]] = (Tensor.FromArray(scale, c), Tensor.FromArray(shift, c));
        var grads = new Tensor?[node.Inputs.Count];
        grads[0] = r.Clone();
        return grads;
    }

    /// <summary>For x·c or x / c with a constant c (one that needs no gradient): the index of the variable operand.</summary>
    private static int? ConstantOperand(Node node)
    {
        if (node.Inputs.Count != 2) return null;
        bool a = node.Inputs[0].RequiresGrad, b = node.Inputs[1].RequiresGrad;
        if (a && !b && node.Inputs[1].Count < node.Inputs[0].Count) return 0;
        if (b && !a && node.Op == "mul" && node.Inputs[0].Count < node.Inputs[1].Count) return 1;
        return null;
    }

    /// <summary>Max-pooling as a sum pool for relevance: R_i = x_i · Σ_j R_j / stabilize(Σ_{i ∈ window j} x_i).</summary>
    private Tensor?[]? ProportionalPool(Node node, Tensor r)
    {
        var a = (Pool2dAttributes)node.Attributes!;
        if (a.DilationH != 1 || a.DilationW != 1) return null;
        // the z-rule with unit weights: a sum pool (an average pool, whose constant factor the share cancels)
        return new Tensor?[]
        {
            LrpRule.Redistribute(new[] { node.Inputs[0] }, xs => Ops.AvgPool2d(xs[0], (a.KernelH, a.KernelW), (a.StrideH, a.StrideW), (a.PadH, a.PadW), a.CeilMode, countIncludePad: true),
                r, _sumStabilizer),
        };
    }

    /// <summary>
    /// Residual sums: each summand gets the share of the sum it contributed. Where the summands cancel exactly (e.g.
    /// both zero — activation-independent rules like flat and w² send relevance there too), it is split equally, so
    /// relevance is conserved. Summands that were broadcast are not split.
    /// </summary>
    private static Tensor?[] Proportional(Node node, Tensor relevance, float stabilizer, bool positive)
    {
        var a = node.Inputs[0];
        var b = node.Inputs[1];
        if (!a.Shape.SequenceEqual(b.Shape)) return new Tensor?[] { relevance.Clone(), null };
        var (ra, rb) = LrpKernels.Split(relevance, a, b, stabilizer, positive);
        return new Tensor?[] { ra, rb };
    }
}
