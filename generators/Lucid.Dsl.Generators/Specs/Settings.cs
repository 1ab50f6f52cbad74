using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Lucid.Dsl.Generators.Helpers;

namespace Lucid.Dsl.Generators.Specs;

/// <summary>
/// A setting of an attribute, typed: its value (the attribute's default where it is not written), whether it was
/// written, where it was written (the attribute itself where it was not) — what a diagnostic points at — and its text
/// as written (what a diagnostic quotes).
/// </summary>
internal readonly record struct Arg<T>(T Value, bool IsSet, LocationInfo? Location, string? Text = null);

/// <summary>
/// Reads an attribute's arguments into typed settings. This is the one place that looks arguments up by name: each
/// name is the attribute class's property (constructor arguments are read under their property's name, see
/// <c>SymbolReader.Attribute</c>), written with <c>nameof</c> of the settings record's own property, and a test
/// checks that every settings property is the attribute's, with the attribute's default.
/// </summary>
internal static class Read
{
    public static Arg<int> Int(AttributeSpec a, string name, int fallback) =>
        a.Get(name) is { Text: not null } arg ? new(arg.AsInt, true, arg.Location, arg.Text) : new(fallback, false, a.Location);

    public static Arg<int?> OptionalInt(AttributeSpec a, string name) =>
        a.Get(name) is { Text: not null } arg ? new(arg.AsInt, true, arg.Location, arg.Text) : new(null, false, a.Location);

    public static Arg<double> Double(AttributeSpec a, string name, double fallback) =>
        a.Get(name) is { Text: not null } arg ? new(arg.AsDouble, true, arg.Location, arg.Text) : new(fallback, false, a.Location);

    public static Arg<string?> String(AttributeSpec a, string name, string? fallback = null) =>
        a.Get(name) is { Text: not null } arg ? new(arg.Text, true, arg.Location, arg.Text) : new(fallback, false, a.Location);

    public static bool Bool(AttributeSpec a, string name, bool fallback) => a.Get(name) is { Text: not null } arg ? arg.AsBool : fallback;

    public static ulong ULong(AttributeSpec a, string name, ulong fallback) =>
        a.Get(name) is { Text: not null } arg ? ulong.Parse(arg.Text!, CultureInfo.InvariantCulture) : fallback;

    /// <summary>An array argument's items as written (null where the argument is not an array or not written).</summary>
    public static Arg<EquatableArray<string>?> Items(AttributeSpec a, string name) =>
        a.Get(name) is { IsArray: true } arg ? new(arg.Items, true, arg.Location, "[" + string.Join(", ", arg.Items) + "]") : new(null, false, a.Location);

    public static Arg<EquatableArray<double>?> Doubles(AttributeSpec a, string name) =>
        a.Get(name) is { IsArray: true } arg
            ? new(arg.Items.Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToEquatableArray(), true, arg.Location, "[" + string.Join(", ", arg.Items) + "]")
            : new(null, false, a.Location);

    public static Arg<EquatableArray<int>?> Ints(AttributeSpec a, string name) =>
        a.Get(name) is { IsArray: true } arg
            ? new(arg.Items.Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToEquatableArray(), true, arg.Location, "[" + string.Join(", ", arg.Items) + "]")
            : new(null, false, a.Location);
}

/// <summary>
/// A term attribute's settings (<c>[Channel]</c>, <c>[Neuron]</c>, … — every property of <c>TermAttribute</c> and its
/// kinds; a kind ignores the others'). <see cref="DefaultsFor"/> are the attribute classes' own defaults, written here
/// once (a test compares them with every term attribute class).
/// </summary>
internal sealed record TermSettings(
    double Weight, Arg<int> Batch, Arg<string?> Name, Arg<string?> Model,
    Arg<string?> Tap, Arg<int?> Channel, Arg<int> X, Arg<int> Y,
    Arg<EquatableArray<string>?> Direction, double CossimPower, Arg<EquatableArray<string>?> Weights,
    Arg<string?> Label, double DecayRatio,
    Arg<string?> Tap1, Arg<int?> Channel1, Arg<string?> Tap2, Arg<int?> Channel2,
    double Constant, Arg<int> Width)
{
    /// <summary>The penalties' taps default to the image; <c>[BoundaryComplexity]</c>'s constant is Lucid's 0.5.</summary>
    public static TermSettings DefaultsFor(string kind) => new(
        1, new(-1, false, null), new(null, false, null), new(null, false, null),
        new(kind is "TotalVariation" or "L1" or "L2" ? "input" : null, false, null), new(null, false, null), new(-1, false, null), new(-1, false, null),
        new(null, false, null), 0, new(null, false, null),
        new(null, false, null), 2,
        new(null, false, null), new(null, false, null), new(null, false, null), new(null, false, null),
        kind == "BoundaryComplexity" ? 0.5 : 0, new(20, false, null));

    public static TermSettings From(string kind, AttributeSpec a)
    {
        var d = DefaultsFor(kind);
        return new(
            Read.Double(a, nameof(Weight), d.Weight).Value, Read.Int(a, nameof(Batch), d.Batch.Value), Read.String(a, nameof(Name)), Read.String(a, nameof(Model)),
            Read.String(a, nameof(Tap), d.Tap.Value), Read.OptionalInt(a, nameof(Channel)), Read.Int(a, nameof(X), d.X.Value), Read.Int(a, nameof(Y), d.Y.Value),
            Read.Items(a, nameof(Direction)), Read.Double(a, nameof(CossimPower), d.CossimPower).Value, Read.Items(a, nameof(Weights)),
            Read.String(a, nameof(Label)), Read.Double(a, nameof(DecayRatio), d.DecayRatio).Value,
            Read.String(a, nameof(Tap1)), Read.OptionalInt(a, nameof(Channel1)), Read.String(a, nameof(Tap2)), Read.OptionalInt(a, nameof(Channel2)),
            Read.Double(a, nameof(Constant), d.Constant).Value, Read.Int(a, nameof(Width), d.Width.Value));
    }
}

/// <summary>
/// A transform step's settings (<c>[Pad]</c>, <c>[Jitter]</c>, … — the union of the step attributes' properties).
/// <see cref="Defaults"/> are the attribute classes' own where they have one (a test compares them); the values of
/// constructor arguments, which are always written, stand in only while the code does not compile.
/// </summary>
internal sealed record TransformStepSettings(
    Arg<int> Width, string Mode, double Value, Arg<int> Pixels, Arg<EquatableArray<double>?> Scales, Arg<EquatableArray<double>?> Degrees,
    Arg<int> Height, double Sigma, Arg<int> Count, double MinBox, double MaxBox, Arg<int> Size, double Sd)
{
    public static TransformStepSettings Defaults { get; } = new(
        new(1, false, null), "Constant", 0.5, new(1, false, null), new(null, false, null), new(null, false, null),
        new(1, false, null), 0, new(1, false, null), 1, 1, new(1, false, null), 0.5);

    public static TransformStepSettings From(AttributeSpec a) => new(
        Read.Int(a, nameof(Width), Defaults.Width.Value), Read.String(a, nameof(Mode), Defaults.Mode).Value!, Read.Double(a, nameof(Value), Defaults.Value).Value,
        Read.Int(a, nameof(Pixels), Defaults.Pixels.Value), Read.Doubles(a, nameof(Scales)), Read.Doubles(a, nameof(Degrees)),
        Read.Int(a, nameof(Height), Defaults.Height.Value), Read.Double(a, nameof(Sigma), Defaults.Sigma).Value, Read.Int(a, nameof(Count), Defaults.Count.Value),
        Read.Double(a, nameof(MinBox), Defaults.MinBox).Value, Read.Double(a, nameof(MaxBox), Defaults.MaxBox).Value, Read.Int(a, nameof(Size), Defaults.Size.Value),
        Read.Double(a, nameof(Sd), Defaults.Sd).Value);
}

/// <summary>One step of a transform set: its kind (the attribute's name without "Attribute") and settings.</summary>
internal sealed record TransformStepSpec(string Kind, TransformStepSettings Settings, LocationInfo? Location)
{
    public static TransformStepSpec From(AttributeSpec a) => new(a.Name, TransformStepSettings.From(a), a.Location);
}

/// <summary>
/// An interface panel's settings (the union of the panel attributes' properties). <see cref="DefaultsFor"/> are the
/// attribute classes' own (a test compares them): the semantic dictionary lists 3 channels a position, channel
/// attribution 4 each way.
/// </summary>
internal sealed record PanelSettings(Arg<int> Row, Arg<string?> Tap, Arg<string?> From, Arg<string?> To, Arg<int> Groups,
    Arg<double> SharedWeight, Arg<int> Top, Arg<string?> Class)
{
    public static PanelSettings DefaultsFor(string kind) => new(
        new(-1, false, null), new(null, false, null), new(null, false, null), new(null, false, null), new(4, false, null),
        new(1.0, false, null), new(kind == "SemanticDictionaryPanel" ? 3 : 4, false, null), new(null, false, null));

    public static PanelSettings Read(string kind, AttributeSpec a)
    {
        var d = DefaultsFor(kind);
        return new(
            Specs.Read.Int(a, nameof(Row), d.Row.Value), Specs.Read.String(a, nameof(Tap)), Specs.Read.String(a, nameof(From)), Specs.Read.String(a, nameof(To)),
            Specs.Read.Int(a, nameof(Groups), d.Groups.Value), Specs.Read.Double(a, nameof(SharedWeight), d.SharedWeight.Value), Specs.Read.Int(a, nameof(Top), d.Top.Value),
            Specs.Read.String(a, nameof(Class)));
    }
}

/// <summary>One panel of an interface layout: its kind (the attribute's name without "Attribute") and settings.</summary>
internal sealed record PanelSpec(string Kind, PanelSettings Settings, LocationInfo? Location)
{
    public static PanelSpec From(AttributeSpec a) => new(a.Name, PanelSettings.Read(a.Name, a), a.Location);
}

/// <summary><c>[Interface]</c>'s own settings; <see cref="Defaults"/> are <c>InterfaceAttribute</c>'s (a test compares them).</summary>
internal sealed record InterfaceSettings(Arg<string?> Model, string? Title, Arg<int> IconSteps)
{
    public static InterfaceSettings Defaults { get; } = new(new(null, false, null), null, new(128, false, null));

    public static InterfaceSettings From(AttributeSpec a) =>
        new(Read.String(a, nameof(Model)), Read.String(a, nameof(Title)).Value, Read.Int(a, nameof(IconSteps), Defaults.IconSteps.Value));
}

/// <summary><c>[LrpRule]</c>'s settings; <see cref="Defaults"/> are <c>LrpRuleAttribute</c>'s (a test compares them).</summary>
internal sealed record LrpRuleSettings(Arg<string?> Tap, string Rule, Arg<double> Parameter)
{
    /// <summary>The rule is the constructor's (always written); Epsilon stands in only while the code does not compile.</summary>
    public static LrpRuleSettings Defaults { get; } = new(new(null, false, null), "Epsilon", new(double.NaN, false, null));

    public static LrpRuleSettings From(AttributeSpec a) => new(Read.String(a, nameof(Tap)), Read.String(a, nameof(Rule)).Value ?? Defaults.Rule,
        Read.Double(a, nameof(Parameter), Defaults.Parameter.Value));
}
