namespace Lucid.Dsl;

/// <summary>The attribution methods a pipeline can run.</summary>
public enum AttributionKind
{
    Saliency, InputXGradient, IntegratedGradients, SmoothGrad, DeepLift, GuidedBackprop, Deconvnet, GradCam, GuidedGradCam,
    Occlusion, Lrp, DeepTaylor,
    /// <summary>Layer attribution: gradient × activation at <see cref="AttributionAttribute.Layer"/>.</summary>
    LayerGradientXActivation,
    /// <summary>Layer attribution: Integrated Gradients at <see cref="AttributionAttribute.Layer"/>.</summary>
    LayerIntegratedGradients,
    /// <summary>Layer attribution: conductance at <see cref="AttributionAttribute.Layer"/>.</summary>
    LayerConductance,
}

/// <summary>Baselines for path methods.</summary>
public enum BaselineKind { Zero, Black, Blurred, UniformNoise, DatasetMean }

/// <summary>
/// Declares an attribution pipeline on a model. The target is a class (<see cref="Class"/>) or a channel/neuron of a
/// tap (<see cref="TargetTap"/>, <see cref="TargetChannel"/>, <see cref="TargetX"/>, <see cref="TargetY"/>); layer
/// methods and CAMs explain <see cref="Layer"/>, which must lie upstream of the target. LRP takes a
/// <see cref="Composite"/> and per-tap <see cref="LrpRuleAttribute"/>s. The generator emits <c>Attribute(model, images)</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class AttributionAttribute(Type model, AttributionKind method) : Attribute
{
    public Type Model { get; } = model;
    public AttributionKind Method { get; } = method;
    /// <summary>A class label (or null with a tap target).</summary>
    public string? Class { get; set; }
    public string? TargetTap { get; set; }
    public int TargetChannel { get; set; } = -1;
    public int TargetX { get; set; } = -1;
    public int TargetY { get; set; } = -1;
    /// <summary>The layer explained by layer methods and CAMs.</summary>
    public string? Layer { get; set; }
    public global::Lucid.Attribution.LrpComposite Composite { get; set; } = global::Lucid.Attribution.LrpComposite.EpsilonPlusFlat;
    /// <summary>Integration steps (Integrated Gradients: 50 Gauss–Legendre, Captum's default) or samples (SmoothGrad).</summary>
    public int Steps { get; set; } = 50;
    public BaselineKind Baseline { get; set; } = BaselineKind.Black;
    /// <summary>Occlusion window and stride.</summary>
    public int Window { get; set; } = 8;
    public int Stride { get; set; } = 4;
}

/// <summary>LRP rules assignable per tap.</summary>
public enum LrpRuleKind { Zero, Epsilon, Gamma, ZPlus, AlphaBeta, Flat, WSquare, ZBox }

/// <summary>An LRP rule for one tap of an <see cref="AttributionAttribute"/> pipeline (overrides the composite there).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class LrpRuleAttribute(string tap, LrpRuleKind rule) : Attribute
{
    public string Tap { get; } = tap;
    public LrpRuleKind Rule { get; } = rule;
    /// <summary>ε for Epsilon, γ for Gamma (Zennit: 0.25), α for AlphaBeta (β = α − 1); ignored otherwise (NaN: the default).</summary>
    public double Parameter { get; set; } = double.NaN;
}
