using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

/// <summary>An input attribution method by name: what the CLI's <c>attribute</c> command and the evaluation table run.</summary>
/// <param name="Key">Command-line name, e.g. <c>lrp-epsilon-plus-flat</c>.</param>
/// <param name="DisplayName">The name in tables, with its settings.</param>
/// <param name="Attribute">Computes the [N, C, H, W] attribution (a map the size of the input; CAMs are upsampled).</param>
/// <param name="Evaluated">Whether the evaluation table runs it (variants of a method it already runs are left out).</param>
public sealed record AttributionMethod(string Key, string DisplayName, Func<Model, Tensor, AttributionTarget, Tensor> Attribute, bool Evaluated = true);

/// <summary>The registry of input attribution methods with the settings the evaluation uses.</summary>
public static class AttributionMethods
{
    /// <summary>Every method; Grad-CAM variants explain <paramref name="camLayer"/> (omitted when null).</summary>
    public static IReadOnlyList<AttributionMethod> All(string? camLayer)
    {
        var methods = new List<AttributionMethod>
        {
            new("saliency", "saliency", (m, x, t) => GradientAttribution.Saliency(m, x, t).Attribution),
            new("input-x-gradient", "input × gradient", (m, x, t) => GradientAttribution.InputXGradient(m, x, t).Attribution),
            new("integrated-gradients", "integrated gradients (50, GL)", (m, x, t) => GradientAttribution.IntegratedGradients(m, x, t).Attribution),
            new("integrated-gradients-adaptive", "integrated gradients (adaptive, ≤ 256 steps, completeness 1e-3)",
                (m, x, t) => GradientAttribution.AdaptiveIntegratedGradients(m, x, t).Attribution, Evaluated: false),
            new("gradient-shap", "GradientSHAP (16 samples, black/white/noise baselines)", (m, x, t) =>
            {
                using var baselines = ShapBaselines(m, x);
                return GradientAttribution.GradientShap(m, x, t, baselines, samples: 16, seed: 1).Attribution;
            }),
            new("deeplift", "DeepLIFT (rescale, black baseline)", (m, x, t) => DeepLift.Attribute(m, x, t, Baseline.Black).Attribution),
            new("smoothgrad", "smoothgrad (10, σ 0.15)", (m, x, t) => GradientAttribution.NoiseTunnel(m, x, n => GradientAttribution.Saliency(m, n, t), samples: 10).Attribution),
            new("guided-backprop", "guided backprop", (m, x, t) => ModifiedGradients.GuidedBackprop(m, x, t).Attribution),
            new("deconvnet", "deconvnet", (m, x, t) => ModifiedGradients.Deconvolution(m, x, t).Attribution),
        };
        if (camLayer is not null)
        {
            methods.Add(new("grad-cam", $"grad-cam ({camLayer})", (m, x, t) => Upsampled(ModifiedGradients.GradCam(m, x, t, camLayer).Attribution, x)));
            methods.Add(new("guided-grad-cam", $"guided grad-cam ({camLayer})", (m, x, t) => ModifiedGradients.GuidedGradCam(m, x, t, camLayer).Attribution));
        }
        methods.AddRange(new AttributionMethod[]
        {
            new("occlusion", "occlusion (8×8, stride 4)", (m, x, t) => ModifiedGradients.Occlusion(m, x, t, 8, 4).Attribution),
            new("lrp-epsilon-plus", "LRP EpsilonPlus", (m, x, t) => LrpComposites.For(LrpComposite.EpsilonPlus, m).Attribute(m, x, t).Attribution),
            new("lrp-epsilon-plus-flat", "LRP EpsilonPlusFlat", (m, x, t) => LrpComposites.For(LrpComposite.EpsilonPlusFlat, m).Attribute(m, x, t).Attribution),
            new("lrp-epsilon-gamma-box", "LRP EpsilonGammaBox", (m, x, t) => LrpComposites.For(LrpComposite.EpsilonGammaBox, m).Attribute(m, x, t).Attribution),
            new("lrp-epsilon-alpha2-beta1", "LRP EpsilonAlpha2Beta1", (m, x, t) => LrpComposites.For(LrpComposite.EpsilonAlpha2Beta1, m).Attribute(m, x, t).Attribution),
            new("deep-taylor", "Deep Taylor (z⁺, z^B input)", (m, x, t) => Lrp.DeepTaylor(m).Attribute(m, x, t).Attribution),
        });
        return methods;
    }

    /// <summary>The method named <paramref name="key"/>, or an error listing the names.</summary>
    public static AttributionMethod Get(string key, string? camLayer) =>
        All(camLayer).FirstOrDefault(m => m.Key == key)
        ?? throw new LucidArgumentException("method", $"unknown attribution method '{key}'; known: {string.Join(", ", All(camLayer).Select(m => m.Key))}.");

    private static Tensor Upsampled(Tensor cam, Tensor x)
    {
        using var _ = GradMode.NoGrad();
        return Ops.Interpolate(cam, x.Size(2), x.Size(3), InterpolationMode.Bilinear);
    }

    /// <summary>A small baseline distribution for GradientSHAP: black, white and two uniform-noise images.</summary>
    private static Tensor ShapBaselines(Model m, Tensor x)
    {
        var one = x.Shape.ToArray();
        one[0] = 1;
        using var example = Tensor.Zeros(one);
        var parts = new[]
        {
            Baseline.Black.For(m, example), Tensor.Full(1f, one), Baseline.UniformNoise(1).For(m, example), Baseline.UniformNoise(2).For(m, example),
        };
        var all = Ops.Concat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }
}
