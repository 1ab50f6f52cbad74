using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

/// <summary>
/// An attribution method, Captum's calling shape: the settings are the object's (init properties), the model is
/// passed once, at <see cref="Attribute"/>. Every method returns one <see cref="AttributionResult"/> — the map, the
/// target value per example, and the completeness delta where the method has one (LRP returns its subtype
/// <see cref="LrpResult"/>, with per-tap relevance and per-layer deltas).
/// </summary>
public interface IAttribution
{
    /// <summary>The method with its settings, as tables and reports name it (e.g. "integrated gradients (50, GaussLegendre)").</summary>
    string Name { get; }

    /// <summary>Explains <paramref name="target"/> of <paramref name="model"/> for a batch of <paramref name="inputs"/>.</summary>
    /// <param name="model">The model (its input contract maps the pixels).</param>
    /// <param name="inputs">[N, C, H, W] in the model's pixels (RGB in [0, 1]).</param>
    /// <param name="target">What is explained.</param>
    /// <param name="cancellationToken">Checked between the method's passes (path points, samples, windows); cancelling throws <see cref="OperationCanceledException"/>.</param>
    AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default);
}

/// <summary>Methods that read gradients (or modified gradients) of the network.</summary>
public abstract record GradientMethod : IAttribution
{
    public abstract string Name { get; }
    public abstract AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default);
    public override string ToString() => Name;
}

/// <summary>Methods that perturb the input and watch the target change (no gradients).</summary>
public abstract record PerturbationMethod : IAttribution
{
    public abstract string Name { get; }
    public abstract AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default);
    public override string ToString() => Name;
}

/// <summary>Methods that explain a hidden layer: the map has the layer's shape (Captum's layer methods).</summary>
public abstract record LayerMethod : IAttribution
{
    /// <summary>The tap explained.</summary>
    public required string Layer { get; init; }
    public abstract string Name { get; }
    public abstract AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default);
    public override string ToString() => Name;
}

/// <summary>∂target/∂input — absolute by default, as Captum's Saliency.</summary>
public sealed record Saliency : GradientMethod
{
    public bool Absolute { get; init; } = true;
    public override string Name => Absolute ? "saliency" : "gradient";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return GradientAttribution.Saliency(model, inputs, target, Absolute);
    }
}

/// <summary>input ⊙ ∂target/∂input.</summary>
public sealed record InputXGradient : GradientMethod
{
    public override string Name => "input × gradient";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return GradientAttribution.InputXGradient(model, inputs, target);
    }
}

/// <summary>Integrated Gradients (Sundararajan et al., 2017) with Captum's defaults: 50 steps, Gauss–Legendre, a zero baseline.</summary>
public sealed record IntegratedGradients : GradientMethod
{
    public int Steps { get; init; } = GradientAttribution.DefaultSteps;
    public IntegrationMethod Method { get; init; } = IntegrationMethod.GaussLegendre;
    public Baseline Baseline { get; init; } = Baseline.Zero;
    /// <summary>Path points per forward pass (0: all of them in one pass).</summary>
    public int InternalBatch { get; init; }
    public override string Name => $"integrated gradients ({Steps}, {(Method == IntegrationMethod.GaussLegendre ? "GL" : Method.ToString())})";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return GradientAttribution.IntegratedGradients(model, inputs, target, Baseline, Steps, Method, InternalBatch);
    }
}

/// <summary>Integrated Gradients with a completeness target: adaptive trapezoid quadrature (not Captum's fixed rule; the same integral).</summary>
public sealed record AdaptiveIntegratedGradients : GradientMethod
{
    public int MaxSteps { get; init; } = 256;
    public double Tolerance { get; init; } = 1e-3;
    public int InitialSteps { get; init; } = 16;
    public int InternalBatch { get; init; } = 16;
    public Baseline Baseline { get; init; } = Baseline.Zero;
    public override string Name => $"integrated gradients (adaptive, ≤ {MaxSteps} steps, completeness {Tolerance.ToString("0e0", System.Globalization.CultureInfo.InvariantCulture)})";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return GradientAttribution.AdaptiveIntegratedGradients(model, inputs, target, Baseline, MaxSteps, Tolerance, InitialSteps, InternalBatch);
    }
}

/// <summary>GradientSHAP (Lundberg &amp; Lee): expected gradients from baselines drawn from a distribution, with input noise.</summary>
public sealed record GradientShap : GradientMethod
{
    /// <summary>The baseline distribution (default: black, white and two uniform-noise images).</summary>
    public IReadOnlyList<Baseline> Baselines { get; init; } = new[] { Baseline.Black, Baseline.White, Baseline.UniformNoise(1), Baseline.UniformNoise(2) };
    public int Samples { get; init; } = 5;
    public float Stdev { get; init; }
    public ulong Seed { get; init; }
    public override string Name => $"GradientSHAP ({Samples} samples, {string.Join("/", Baselines.Select(b => b.ToString()).Distinct())} baselines)";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Baselines.Count == 0) throw new LucidArgumentException(nameof(Baselines), "GradientSHAP: give at least one baseline.");
        var one = inputs.Shape.ToArray();
        one[0] = 1;
        using var example = Tensor.Zeros(one);
        var parts = Baselines.Select(b => b.For(model, example)).ToArray();
        using var all = parts.Length == 1 ? parts[0].Clone() : Ops.Concat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return GradientAttribution.GradientShap(model, inputs, target, all, Samples, Stdev, Seed);
    }
}

/// <summary>Captum's NoiseTunnel: another gradient method averaged over noisy copies of the input (SmoothGrad, SmoothGrad², VarGrad).</summary>
public sealed record NoiseTunnel : GradientMethod
{
    public required IAttribution Method { get; init; }
    public NoiseTunnelType Type { get; init; } = NoiseTunnelType.SmoothGrad;
    public int Samples { get; init; } = 25;
    /// <summary>The noise's standard deviation relative to the input's range.</summary>
    public float RelativeSigma { get; init; } = 0.15f;
    public ulong Seed { get; init; }
    public override string Name => Type == NoiseTunnelType.SmoothGrad && Method is Saliency
        ? $"smoothgrad ({Samples}, σ {RelativeSigma:G3})"
        : $"{Type} of {Method.Name} ({Samples}, σ {RelativeSigma:G3})";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default) =>
        GradientAttribution.NoiseTunnel(model, inputs, noisy =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Method.Attribute(model, noisy, target, cancellationToken);
        }, Type, Samples, RelativeSigma, Seed);
}

/// <summary>DeepLIFT with the rescale rule (Shrikumar et al., 2017), as Captum's DeepLift.</summary>
public sealed record DeepLift : GradientMethod
{
    public Baseline Baseline { get; init; } = Baseline.Zero;
    public override string Name => $"DeepLIFT (rescale, {Baseline} baseline)";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return DeepLiftRescale.Attribute(model, inputs, target, Baseline);
    }

    /// <summary>DeepLIFT against a baseline tensor of the input's shape.</summary>
    public AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, Tensor baseline) => DeepLiftRescale.Attribute(model, inputs, target, baseline);
}

/// <summary>Guided backpropagation (Springenberg et al., 2015).</summary>
public sealed record GuidedBackprop : GradientMethod
{
    public override string Name => "guided backprop";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ModifiedGradients.GuidedBackprop(model, inputs, target);
    }
}

/// <summary>Deconvolution (Zeiler &amp; Fergus, 2014): ReLUs pass the positive part of the gradient.</summary>
public sealed record Deconvolution : GradientMethod
{
    public override string Name => "deconvnet";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ModifiedGradients.Deconvolution(model, inputs, target);
    }
}

/// <summary>Grad-CAM (Selvaraju et al., 2017) of a layer; <see cref="Upsample"/> resizes the map to the input (bilinear).</summary>
public sealed record GradCam : LayerMethod
{
    public bool Relu { get; init; } = true;
    public bool Upsample { get; init; }
    public override string Name => $"grad-cam ({Layer})";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var result = ClassActivationMaps.GradCam(model, inputs, target, Layer, Relu);
        if (!Upsample) return result;
        Tensor map;
        using (GradMode.NoGrad()) map = Ops.Interpolate(result.Attribution, inputs.Size(2), inputs.Size(3), InterpolationMode.Bilinear);
        result.Attribution.Dispose();
        return result with { Attribution = map };
    }
}

/// <summary>Guided Grad-CAM: guided backpropagation times the upsampled Grad-CAM map.</summary>
public sealed record GuidedGradCam : LayerMethod
{
    public InterpolationMode Upsampling { get; init; } = InterpolationMode.Nearest;
    public override string Name => $"guided grad-cam ({Layer})";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ClassActivationMaps.GuidedGradCam(model, inputs, target, Layer, Upsampling);
    }
}

/// <summary>Layer gradient × activation.</summary>
public sealed record LayerGradientXActivation : LayerMethod
{
    public override string Name => $"layer gradient × activation ({Layer})";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return LayerAttribution.GradientTimesActivation(model, inputs, target, Layer);
    }
}

/// <summary>Layer Integrated Gradients (Captum's LayerIntegratedGradients): the path is taken in the layer's activations.</summary>
public sealed record LayerIntegratedGradients : LayerMethod
{
    public int Steps { get; init; } = GradientAttribution.DefaultSteps;
    public IntegrationMethod Method { get; init; } = IntegrationMethod.GaussLegendre;
    public override string Name => $"layer integrated gradients ({Layer}, {Steps})";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return LayerAttribution.IntegratedGradients(model, inputs, target, Layer, Steps, Method);
    }
}

/// <summary>Layer conductance (Dhamdhere et al., 2018).</summary>
public sealed record LayerConductance : LayerMethod
{
    public Baseline Baseline { get; init; } = Baseline.Zero;
    public int Steps { get; init; } = GradientAttribution.DefaultSteps;
    public override string Name => $"layer conductance ({Layer}, {Steps})";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return LayerAttribution.Conductance(model, inputs, target, Layer, Baseline, Steps);
    }
}

/// <summary>Internal influence (Leino et al., 2018): the layer's gradients integrated along the input path.</summary>
public sealed record InternalInfluence : LayerMethod
{
    public Baseline Baseline { get; init; } = Baseline.Zero;
    public int Steps { get; init; } = GradientAttribution.DefaultSteps;
    public IntegrationMethod Method { get; init; } = IntegrationMethod.GaussLegendre;
    public override string Name => $"internal influence ({Layer}, {Steps})";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return LayerAttribution.InternalInfluence(model, inputs, target, Layer, Baseline, Steps, Method);
    }
}

/// <summary>Occlusion (Zeiler &amp; Fergus, 2014): the target's drop when a window is replaced by a constant, spread over the window.</summary>
public sealed record Occlusion : PerturbationMethod
{
    public int Window { get; init; } = 8;
    public int Stride { get; init; } = 4;
    public float Value { get; init; }
    public override string Name => $"occlusion ({Window}×{Window}, stride {Stride})";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return PerturbationAttribution.Occlusion(model, inputs, target, Window, Stride, Value);
    }
}

/// <summary>Feature ablation (Captum's FeatureAblation): each group of the feature mask replaced by the baseline at once.</summary>
public sealed record FeatureAblation : PerturbationMethod
{
    /// <summary>A group index per input element of one example (C·H·W entries).</summary>
    public required int[] FeatureMask { get; init; }
    public Baseline Baseline { get; init; } = Baseline.Zero;
    public int GroupsPerEvaluation { get; init; } = 16;
    public override string Name => $"feature ablation ({FeatureMask.Distinct().Count()} groups)";
    public override AttributionResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return PerturbationAttribution.FeatureAblation(model, inputs, target, FeatureMask, Baseline, GroupsPerEvaluation);
    }
}

/// <summary>
/// LRP with one of Zennit's composites, assigned to the model it is run on (its first convolution or linear layer is
/// the input layer), with rules for named taps overriding the composite (Zennit's name map).
/// </summary>
public sealed record CompositeLrp : LrpAssignment
{
    public required LrpComposite Composite { get; init; }
    /// <summary>ε of the composite's ε layers (Zennit's default 1e-6).</summary>
    public float Epsilon { get; init; } = LrpRule.DefaultEpsilon;
    /// <summary>Rules for named taps (conv2d, linear or average-pooling layers), over the composite's.</summary>
    public IReadOnlyDictionary<string, LrpRule>? Rules { get; init; }
    public bool IgnoreBias { get; init; }
    public MaxPoolRelevance MaxPool { get; init; } = MaxPoolRelevance.WinnerTakeAll;
    /// <summary>As tables name it: the composite and its options, unless given.</summary>
    public override string Name
    {
        get => _name ?? $"LRP {Composite}{(Rules is { Count: > 0 } ? " (with rules by tap)" : "")}{(IgnoreBias ? " (biases ignored)" : "")}";
        init => _name = value;
    }
    private readonly string? _name;

    /// <summary>The assignment for <paramref name="model"/>.</summary>
    public override Lrp For(Model model)
    {
        var lrp = LrpComposites.For(Composite, model, Epsilon);
        if (Rules is { Count: > 0 }) lrp = lrp.WithOverrides(model, Rules);
        if (IgnoreBias) lrp = lrp.IgnoringBias();
        return MaxPool == lrp.MaxPool ? lrp : lrp.WithMaxPool(MaxPool);
    }
}

/// <summary>Deep Taylor Decomposition (Montavon et al., 2017) on the model it is run on: z⁺ on hidden layers, z^B (the model's pixel bounds) or w² at the first.</summary>
public sealed record DeepTaylor : IAttribution
{
    public bool BoundedInput { get; init; } = true;
    public string Name => BoundedInput ? "Deep Taylor (z⁺, z^B input)" : "Deep Taylor (z⁺, w² input)";

    public LrpResult Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Lrp.DeepTaylor(model, BoundedInput).Attribute(model, inputs, target);
    }

    AttributionResult IAttribution.Attribute(Model model, Tensor inputs, AttributionTarget target, CancellationToken cancellationToken) =>
        Attribute(model, inputs, target, cancellationToken);

    public override string ToString() => Name;
}
