namespace Lucid.Dsl;

/// <summary>
/// Declares an objective: a <c>partial class</c> whose <c>partial Term</c> properties carry term attributes
/// (<see cref="ChannelAttribute"/>, <see cref="ClassLogitAttribute"/>, <see cref="TotalVariationAttribute"/>, …). An
/// optional <c>Term Compose()</c> method combines them with operators; without one the objective is the sum of the
/// terms minus the penalties (total variation, L1, L2, blur, diversity). The generator implements the properties and
/// <c>ToObjective()</c>, and checks every tap, channel, position and label against the model's schema.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ObjectiveAttribute : Attribute
{
    /// <summary>An objective on the only model bound in the project.</summary>
    public ObjectiveAttribute() { }

    /// <summary>An objective on <paramref name="model"/>, a class marked <see cref="LucidModelAttribute"/>.</summary>
    public ObjectiveAttribute(Type model) => Model = model;

    public Type? Model { get; }
}

/// <summary>Common settings of a term.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public abstract class TermAttribute : Attribute
{
    /// <summary>Multiplies the term's value.</summary>
    public double Weight { get; set; } = 1;

    /// <summary>The batch image the term applies to (−1: every image, averaged).</summary>
    public int Batch { get; set; } = -1;

    /// <summary>The name in the per-term loss log (default: the property's name).</summary>
    public string? Name { get; set; }

    /// <summary>The model of this term when it differs from the objective's (two models in one objective is an error).</summary>
    public Type? Model { get; set; }
}

/// <summary>Mean activation of one channel (Lucid's <c>channel</c>).</summary>
public sealed class ChannelAttribute(string tap, int channel) : TermAttribute
{
    public string Tap { get; } = tap;
    public int Channel { get; } = channel;
}

/// <summary>One neuron: a channel at a position (Lucid's <c>neuron</c>; the centre when <see cref="X"/>/<see cref="Y"/> are −1).</summary>
public sealed class NeuronAttribute(string tap, int channel) : TermAttribute
{
    public string Tap { get; } = tap;
    public int Channel { get; } = channel;
    public int X { get; set; } = -1;
    public int Y { get; set; } = -1;
}

/// <summary>Projection of every position's activation vector on a direction (Lucid's <c>direction</c>).</summary>
public sealed class DirectionAttribute(string tap, params float[] direction) : TermAttribute
{
    public string Tap { get; } = tap;
    public float[] Direction { get; } = direction;
    /// <summary>Cosine-similarity power (0: plain dot product).</summary>
    public double CossimPower { get; set; }
}

/// <summary>A direction at one position (Lucid's <c>direction_neuron</c>; the centre when X/Y are −1).</summary>
public sealed class DirectionNeuronAttribute(string tap, params float[] direction) : TermAttribute
{
    public string Tap { get; } = tap;
    public float[] Direction { get; } = direction;
    public int X { get; set; } = -1;
    public int Y { get; set; } = -1;
    public double CossimPower { get; set; }
}

/// <summary>Lucent's channel weight: Σ_c w_c·a_c averaged over positions.</summary>
public sealed class ChannelWeightAttribute(string tap, params float[] weights) : TermAttribute
{
    public string Tap { get; } = tap;
    public float[] Weights { get; } = weights;
}

/// <summary>A class logit by label.</summary>
public sealed class ClassLogitAttribute(string label) : TermAttribute
{
    public string Label { get; } = label;
}

/// <summary>A class log-probability (log-softmax) by label.</summary>
public sealed class ClassLogProbabilityAttribute(string label) : TermAttribute
{
    public string Label { get; } = label;
}

/// <summary>DeepDream: the mean squared activation of a whole tap.</summary>
public sealed class DeepDreamAttribute(string tap) : TermAttribute
{
    public string Tap { get; } = tap;
}

/// <summary>Lucid's diversity (Gram cosine similarity across the batch) — a penalty.</summary>
public sealed class DiversityAttribute(string tap) : TermAttribute
{
    public string Tap { get; } = tap;
}

/// <summary>Lucid's alignment of neighbouring batch images (already negative: added).</summary>
public sealed class AlignmentAttribute(string tap) : TermAttribute
{
    public string Tap { get; } = tap;
    public double DecayRatio { get; set; } = 2;
}

/// <summary>Lucid's channel interpolation across the batch.</summary>
public sealed class ChannelInterpolateAttribute(string tap1, int channel1, string tap2, int channel2) : TermAttribute
{
    public string Tap1 { get; } = tap1;
    public int Channel1 { get; } = channel1;
    public string Tap2 { get; } = tap2;
    public int Channel2 { get; } = channel2;
}

/// <summary>Total variation of a tap (the image by default) — a penalty.</summary>
public sealed class TotalVariationAttribute : TermAttribute
{
    public string Tap { get; set; } = "input";
}

/// <summary>L1 norm of a tap minus a constant — a penalty.</summary>
public sealed class L1Attribute : TermAttribute
{
    public string Tap { get; set; } = "input";
    public float Constant { get; set; }
}

/// <summary>L2 norm of a tap minus a constant — a penalty.</summary>
public sealed class L2Attribute : TermAttribute
{
    public string Tap { get; set; } = "input";
    public float Constant { get; set; }
}

/// <summary>Lucid's blur-input-each-step — a penalty.</summary>
public sealed class BlurInputEachStepAttribute : TermAttribute;

/// <summary>Lucid's boundary-complexity penalty (already negative: added).</summary>
public sealed class BoundaryComplexityAttribute : TermAttribute
{
    public int Width { get; set; } = 20;
    public float Constant { get; set; } = 0.5f;
}
