namespace Lucid.Dsl;

/// <summary>
/// Declares a Building Blocks interface layout on a model: the panels are the <see cref="InterfacePanelAttribute"/>s
/// on the same class, in the order written. The generator emits <c>Parts(model, image, seed)</c> (each panel's figure),
/// <c>Layout(model, image, seed)</c> (one figure: panels of one <see cref="InterfacePanelAttribute.Row"/> side by
/// side) and <c>Write(model, image, directory, seed)</c> (an SVG per panel, the layout's SVG and an interactive HTML
/// page); taps, classes and counts are checked against the model's schema at compile time.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class InterfaceAttribute(Type model) : Attribute
{
    /// <summary>A class marked <see cref="LucidModelAttribute"/>.</summary>
    public Type Model { get; } = model;
    /// <summary>The figure's title (default: the class name).</summary>
    public string? Title { get; set; }
    /// <summary>Feature-visualization steps of every icon (the small-input preset).</summary>
    public int IconSteps { get; set; } = 128;
}

/// <summary>A panel of an <see cref="InterfaceAttribute"/> layout.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public abstract class InterfacePanelAttribute : Attribute
{
    /// <summary>Panels with the same row number sit side by side; rows go top to bottom in the order their first panel is written. −1 (the default): a row of its own.</summary>
    public int Row { get; set; } = -1;
}

/// <summary>Neuron groups: NMF of a non-negative spatial tap into <see cref="Groups"/> groups, with icons and spatial maps.</summary>
public sealed class NeuronGroupsPanelAttribute(string tap) : InterfacePanelAttribute
{
    public string Tap { get; } = tap;
    /// <summary>NMF components (1 to the tap's channels).</summary>
    public int Groups { get; set; } = 4;
}

/// <summary>Attribution between the neuron groups of two layers, drawn as a flow diagram.</summary>
public sealed class GroupFlowPanelAttribute(string from, string to) : InterfacePanelAttribute
{
    /// <summary>The earlier layer (it must precede <see cref="To"/>).</summary>
    public string From { get; } = from;
    public string To { get; } = to;
    /// <summary>Groups of each layer (1 to the layer's channels).</summary>
    public int Groups { get; set; } = 4;
}

/// <summary>The activation grid: each position's activation vector rendered as a feature visualization.</summary>
public sealed class ActivationGridPanelAttribute(string tap) : InterfacePanelAttribute
{
    public string Tap { get; } = tap;
    /// <summary>Weight of the Fourier component shared by all cells (0: independent cells).</summary>
    public double SharedWeight { get; set; } = 1.0;
}

/// <summary>The semantic dictionary: per position, the strongest channels with their icons, and spatial attribution to a class.</summary>
public sealed class SemanticDictionaryPanelAttribute(string tap) : InterfacePanelAttribute
{
    public string Tap { get; } = tap;
    /// <summary>Channels listed per position (1 to the tap's channels).</summary>
    public int Top { get; set; } = 3;
    /// <summary>The class explained (null: the predicted class).</summary>
    public string? Class { get; set; }
}

/// <summary>Channel attribution: the channels for and against a class, with their icons.</summary>
public sealed class ChannelAttributionPanelAttribute(string tap) : InterfacePanelAttribute
{
    public string Tap { get; } = tap;
    /// <summary>Channels shown each way (1 to the tap's channels).</summary>
    public int Top { get; set; } = 4;
    /// <summary>The class explained (null: the predicted class).</summary>
    public string? Class { get; set; }
}

/// <summary>Spatial attribution between two layers: per later position, its sources among the earlier positions.</summary>
public sealed class SpatialAttributionPanelAttribute(string from, string to) : InterfacePanelAttribute
{
    /// <summary>The earlier layer (it must precede <see cref="To"/>).</summary>
    public string From { get; } = from;
    public string To { get; } = to;
}
