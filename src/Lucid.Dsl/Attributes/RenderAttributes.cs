namespace Lucid.Dsl;

/// <summary>
/// Declares a feature-visualization render of an objective on an image declaration. The generator emits
/// <c>Run(model, seed, progress, cancellationToken)</c> (and <c>Run(seed, …)</c>, which loads the model) returning a
/// <see cref="RenderResult{TImage}"/>. Defaults are Lucid's render_vis: 512 steps, Adam 0.05, standard transforms.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RenderAttribute(Type image, Type objective) : Attribute
{
    /// <summary>A class marked with an image attribute (<see cref="FourierImageAttribute"/>, …).</summary>
    public Type Image { get; } = image;
    /// <summary>A class marked <see cref="ObjectiveAttribute"/>.</summary>
    public Type Objective { get; } = objective;
    public int Steps { get; set; } = 512;
    public double LearningRate { get; set; } = 0.05;
    public double Beta1 { get; set; } = 0.9;
    public double Beta2 { get; set; } = 0.999;
    /// <summary>Steps whose image is kept (default: the last).</summary>
    public int[]? Thresholds { get; set; }
    /// <summary>A class marked <see cref="TransformSetAttribute"/> (null: Lucid's standard transforms).</summary>
    public Type? Transforms { get; set; }
    /// <summary>No transforms at all (overrides <see cref="Transforms"/>).</summary>
    public bool NoTransforms { get; set; }
    public ulong Seed { get; set; }
    /// <summary>Lucid's redirected ReLU gradient in the first 16 steps.</summary>
    public bool RedirectRelu { get; set; } = true;
}

/// <summary>
/// Declares a VITAL class render: the image's feature distributions at <see cref="Taps"/> are sort-matched to those of
/// reference images of the class. The generator emits <c>Run(model, classImages, seed, …)</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class VitalRenderAttribute(Type model, string label) : Attribute
{
    public Type Model { get; } = model;
    public string Label { get; } = label;
    /// <summary>The layers whose distributions are matched.</summary>
    public string[] Taps { get; set; } = [];
    public int Steps { get; set; } = 300;
    public double LearningRate { get; set; } = 0.1;
    /// <summary>Weight of the total-variation penalty.</summary>
    public double TotalVariation { get; set; }
    public ulong Seed { get; set; }
}
