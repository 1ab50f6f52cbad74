using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

/// <summary>An input attribution method by name: what the CLI's <c>attribute</c> command and the evaluation table run.</summary>
/// <param name="Key">Command-line name, e.g. <c>lrp-epsilon-plus-flat</c>.</param>
/// <param name="Method">The method with the settings the evaluation uses (its map is the size of the input: CAMs are upsampled).</param>
/// <param name="Evaluated">Whether the evaluation table runs it (variants of a method it already runs are left out).</param>
public sealed record AttributionMethod(string Key, IAttribution Method, bool Evaluated = true)
{
    /// <summary>The name in tables, with its settings.</summary>
    public string DisplayName => Method.Name;

    /// <summary>Runs the method.</summary>
    public AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default) =>
        Method.Attribute(model, inputs, target, cancellationToken);
}

/// <summary>The registry of input attribution methods with the settings the evaluation uses.</summary>
public static class AttributionMethods
{
    /// <summary>Every method; Grad-CAM variants explain <paramref name="camLayer"/> (omitted when null).</summary>
    public static IReadOnlyList<AttributionMethod> All(string? camLayer)
    {
        var methods = new List<AttributionMethod>
        {
            new("saliency", new Saliency()),
            new("input-x-gradient", new InputXGradient()),
            new("integrated-gradients", new IntegratedGradients()),
            new("integrated-gradients-adaptive", new AdaptiveIntegratedGradients(), Evaluated: false),
            new("gradient-shap", new GradientShap { Samples = 16, Seed = 1 }),
            new("deeplift", new DeepLift { Baseline = Baseline.Black }),
            new("smoothgrad", new NoiseTunnel { Method = new Saliency(), Samples = 10 }),
            new("guided-backprop", new GuidedBackprop()),
            new("deconvnet", new Deconvolution()),
        };
        if (camLayer is not null)
        {
            methods.Add(new("grad-cam", new GradCam { Layer = camLayer, Upsample = true }));
            methods.Add(new("guided-grad-cam", new GuidedGradCam { Layer = camLayer }));
        }
        methods.AddRange(new AttributionMethod[]
        {
            new("occlusion", new Occlusion { Window = 8, Stride = 4 }),
            new("lrp-epsilon-plus", new CompositeLrp { Composite = LrpComposite.EpsilonPlus }),
            new("lrp-epsilon-plus-flat", new CompositeLrp { Composite = LrpComposite.EpsilonPlusFlat }),
            new("lrp-epsilon-gamma-box", new CompositeLrp { Composite = LrpComposite.EpsilonGammaBox }),
            new("lrp-epsilon-alpha2-beta1", new CompositeLrp { Composite = LrpComposite.EpsilonAlpha2Beta1 }),
            new("deep-taylor", new DeepTaylor()),
        });
        return methods;
    }

    /// <summary>The method named <paramref name="key"/>, or an error listing the names.</summary>
    public static AttributionMethod Get(string key, string? camLayer) =>
        All(camLayer).FirstOrDefault(m => m.Key == key)
        ?? throw new LucidArgumentException("method", $"unknown attribution method '{key}'; known: {string.Join(", ", All(camLayer).Select(m => m.Key))}.");
}
