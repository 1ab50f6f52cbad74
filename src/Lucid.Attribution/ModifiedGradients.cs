using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

/// <summary>
/// Methods that change how ReLUs pass gradients back — guided backprop (Springenberg et al., 2015) and deconvnet
/// (Zeiler &amp; Fergus, 2014) — on the engine's hooks.
/// </summary>
public static class ModifiedGradients
{
    /// <summary>Guided backprop: a ReLU passes only positive gradients, and only where its input was positive.</summary>
    public static AttributionResult GuidedBackprop(Model model, Tensor input, AttributionTarget target) =>
        WithReluRule(model, input, target, (node, g) =>
        {
            var standard = node.ComputeDefaultGradients(g)[0]!;  // gradient where the input was positive
            var guided = Ops.Relu(standard);
            standard.Dispose();
            return guided;
        });

    /// <summary>Deconvnet: a ReLU passes the positive part of the gradient, ignoring the forward sign.</summary>
    public static AttributionResult Deconvolution(Model model, Tensor input, AttributionTarget target) =>
        WithReluRule(model, input, target, (_, g) => Ops.Relu(g));

    private static AttributionResult WithReluRule(Model model, Tensor input, AttributionTarget target, Func<Node, Tensor, Tensor> rule)
    {
        using var scope = Tensor.Scope();
        var x = input.Detach().RequireGrad();
        string tap = target.Tap(model);
        var values = target.Evaluate(model, model.Run(x, null, stopAfter: tap)[tap]);
        var result = values.ToArray();
        NodeBackwardHook hook = (node, g) => node.Op == "relu" ? new Tensor?[] { rule(node, g) } : null;
        var gradient = Gradients.Of(Ops.Sum(values), new[] { x }, nodeHook: hook)[0];
        return new AttributionResult(gradient.Clone().DetachFromScope(), result);
    }
}
