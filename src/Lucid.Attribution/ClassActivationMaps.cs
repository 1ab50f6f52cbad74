using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

/// <summary>Class activation maps: Grad-CAM (Selvaraju et al., 2017) and guided Grad-CAM.</summary>
public static class ClassActivationMaps
{
    /// <summary>
    /// Grad-CAM on tap <paramref name="layer"/> (a [C, H, W] tap): ReLU(Σ_c α_c·A_c) with α_c the spatial mean of
    /// ∂target/∂A_c; the map has the tap's spatial size (upsample it with <see cref="Ops.Interpolate"/> to overlay).
    /// </summary>
    public static AttributionResult GradCam(Model model, Tensor input, AttributionTarget target, string layer, bool relu = true)
    {
        var node = model[layer];
        if (node.OutputShape.Length != 3)
            throw new LucidArgumentException(nameof(layer), $"Grad-CAM: tap '{layer}' has shape {Shapes.Format(node.OutputShape)}; it needs a spatial [C, H, W] tap.");
        using var scope = Tensor.Scope();
        Tensor? activation = null;
        string tap = target.Tap(model);
        var x = input.Detach().RequireGrad();
        var taps = model.Run(x, (name, value) => { if (name == layer) activation = value; return null; }, stopAfter: tap);
        if (activation is null)
            throw new LucidArgumentException(nameof(layer), $"Grad-CAM: tap '{layer}' is not computed before the target's tap '{tap}'.");
        // gradients with respect to an intermediate tap
        var values = target.Evaluate(model, taps[tap]);
        var result = values.ToArray();
        var gradient = Gradients.Of(Ops.Sum(values), new[] { activation })[0];
        using (GradMode.NoGrad())
        {
            var weights = Ops.Mean(gradient, new[] { 2, 3 }, keepDim: true);
            var cam = Ops.Sum(Ops.Mul(weights, activation), 1, keepDim: true);
            if (relu) cam = Ops.Relu(cam);
            return new AttributionResult(cam.Clone().DetachFromScope(), result);
        }
    }

    /// <summary>
    /// Guided Grad-CAM (Selvaraju et al., 2017): guided backprop ⊙ the Grad-CAM map of <paramref name="layer"/>
    /// upsampled to the input (nearest neighbour, as Captum), the same map for every input channel.
    /// </summary>
    public static AttributionResult GuidedGradCam(Model model, Tensor input, AttributionTarget target, string layer,
        InterpolationMode upsampling = InterpolationMode.Nearest)
    {
        if (input.Rank != 4) throw new ShapeMismatchException($"guided Grad-CAM: input must be [N, C, H, W], got {Shapes.Format(input.Shape)}.");
        var cam = GradCam(model, input, target, layer);
        var guided = ModifiedGradients.GuidedBackprop(model, input, target);
        using (GradMode.NoGrad())
        using (Tensor.Scope())
        {
            var map = Ops.Interpolate(cam.Attribution, input.Size(2), input.Size(3), upsampling);
            var product = Ops.Mul(guided.Attribution, map).Clone().DetachFromScope();
            cam.Attribution.Dispose();
            guided.Attribution.Dispose();
            return new AttributionResult(product, guided.TargetValues);
        }
    }
}
