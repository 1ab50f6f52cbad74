using System.Collections.Generic;
using System.Linq;
using Lucid.Dsl.Generators.Helpers;

namespace Lucid.Dsl.Generators.Specs;

/// <summary>A <c>[LucidModel]</c> binding.</summary>
internal sealed record ModelBindingSpec(TypeSpec Type, string SchemaPath, LocationInfo? PathLocation);

/// <summary>A term property of an objective: its attribute (kind = the attribute's short name) and declaration.</summary>
/// <param name="Property">The property's name.</param>
/// <param name="Accessibility">"public", "internal", …</param>
/// <param name="TypeName">The declared type as written (must be Lucid.Dsl.Term).</param>
/// <param name="IsTermType">Whether the declared type is Lucid.Dsl.Term.</param>
/// <param name="IsPartialGetOnly">Whether it is a partial property with only a getter.</param>
/// <param name="Attribute">The term attribute.</param>
/// <param name="ModelFqn">The term's own model (typeof in <c>Model = …</c>), if any.</param>
/// <param name="Location">The property's identifier.</param>
internal sealed record TermSpec(string Property, string Accessibility, string TypeName, bool IsTermType, bool IsPartialGetOnly,
    AttributeSpec Attribute, string? ModelFqn, LocationInfo? Location)
{
    public string Kind => Attribute.Name;

    /// <summary>The term's settings, typed, with its attribute's defaults where it sets none.</summary>
    public TermSettings Settings => TermSettings.From(Kind, Attribute);

    public string LogName => Settings.Name.Value ?? Property;

    /// <summary>Terms that are penalties (Lucid subtracts them): the default composition subtracts these.</summary>
    public bool IsPenalty => Kind is "TotalVariation" or "L1" or "L2" or "BlurInputEachStep" or "Diversity";
}

/// <summary>An <c>[Objective]</c> declaration.</summary>
internal sealed record ObjectiveSpec(TypeSpec Type, string? ModelFqn, LocationInfo? AttributeLocation, bool HasCompose, EquatableArray<TermSpec> Terms);

/// <summary>An image declaration (kind: Fourier, Pixel, LaplacianPyramid, Cppn, Maco).</summary>
internal sealed record ImageSpec(TypeSpec Type, AttributeSpec Attribute)
{
    public string Kind => Attribute.Name.Replace("Image", "");

    /// <summary>The declaration's settings, typed, with the attribute's defaults where it sets none.</summary>
    public ImageSettings Settings => ImageSettings.From(Attribute);

    public int Width => Settings.Width.Value;
    /// <summary>The height in pixels (the width where the declaration leaves it 0: a square image).</summary>
    public int Height => Settings.Height.Value == 0 ? Width : Settings.Height.Value;
    public int Batch => Settings.Batch.Value;
    public bool Alpha => Settings.Alpha;
    public int Channels => Alpha ? 4 : 3;
}

/// <summary>
/// The image attributes' settings, typed: every property of <c>ImageAttribute</c> and its five kinds (a kind ignores
/// the others'). <see cref="Defaults"/> are the attribute classes' own, written here once (a test compares them).
/// </summary>
internal sealed record ImageSettings(Arg<int> Width, Arg<int> Height, Arg<int> Batch, bool Decorrelated, Arg<double> Sd, Arg<double> DecayPower, bool Clip,
    bool Alpha, Arg<int> Levels, Arg<int> Hidden, Arg<int> Layers)
{
    public static ImageSettings Defaults { get; } = new(new(128, false, null), new(0, false, null), new(1, false, null), true, new(0.01, false, null),
        new(1, false, null), false, false, new(4, false, null), new(24, false, null), new(8, false, null));

    public static ImageSettings From(AttributeSpec a) => new(
        Read.Int(a, nameof(Width), Defaults.Width.Value), Read.Int(a, nameof(Height), Defaults.Height.Value), Read.Int(a, nameof(Batch), Defaults.Batch.Value),
        Read.Bool(a, nameof(Decorrelated), Defaults.Decorrelated), Read.Double(a, nameof(Sd), Defaults.Sd.Value),
        Read.Double(a, nameof(DecayPower), Defaults.DecayPower.Value), Read.Bool(a, nameof(Clip), Defaults.Clip), Read.Bool(a, nameof(Alpha), Defaults.Alpha),
        Read.Int(a, nameof(Levels), Defaults.Levels.Value), Read.Int(a, nameof(Hidden), Defaults.Hidden.Value), Read.Int(a, nameof(Layers), Defaults.Layers.Value));

    /// <summary>The settings that must be positive, by name (for the diagnostic).</summary>
    public IEnumerable<(string Name, Arg<double> Value)> Positive()
    {
        yield return (nameof(Width), new(Width.Value, Width.IsSet, Width.Location));
        yield return (nameof(Batch), new(Batch.Value, Batch.IsSet, Batch.Location));
        yield return (nameof(Sd), Sd);
        yield return (nameof(Levels), new(Levels.Value, Levels.IsSet, Levels.Location));
        yield return (nameof(Hidden), new(Hidden.Value, Hidden.IsSet, Hidden.Location));
        yield return (nameof(Layers), new(Layers.Value, Layers.IsSet, Layers.Location));
    }
}

/// <summary>A <c>[TransformSet]</c> declaration: its steps in the order written.</summary>
internal sealed record TransformSetSpec(TypeSpec Type, EquatableArray<TransformStepSpec> Steps);

/// <summary>A <c>[Render]</c> declaration.</summary>
internal sealed record RenderSpec(TypeSpec Type, AttributeSpec Attribute, string? ImageFqn, string? ObjectiveFqn, string? TransformsFqn)
{
    /// <summary>The declaration's settings, typed, with the attribute's defaults where it sets none.</summary>
    public RenderSettings Settings => RenderSettings.From(Attribute);
}

/// <summary>
/// <c>[Render]</c>'s settings, typed (Lucid's render_vis defaults). <see cref="Defaults"/> are <c>RenderAttribute</c>'s
/// own, written here once for the emitter and the validator (a test compares them with the attribute class).
/// </summary>
internal sealed record RenderSettings(Arg<string?> Image, Arg<string?> Objective, Arg<string?> Transforms, Arg<int> Steps, Arg<double> LearningRate,
    double Beta1, double Beta2, Arg<EquatableArray<int>?> Thresholds, bool NoTransforms, ulong Seed, bool RedirectRelu)
{
    public static RenderSettings Defaults { get; } = new(new(null, false, null), new(null, false, null), new(null, false, null),
        new(512, false, null), new(0.05, false, null), 0.9, 0.999, new(null, false, null), false, 0, true);

    public static RenderSettings From(AttributeSpec a) => new(
        Read.String(a, nameof(Image)), Read.String(a, nameof(Objective)), Read.String(a, nameof(Transforms)),
        Read.Int(a, nameof(Steps), Defaults.Steps.Value), Read.Double(a, nameof(LearningRate), Defaults.LearningRate.Value),
        Read.Double(a, nameof(Beta1), Defaults.Beta1).Value, Read.Double(a, nameof(Beta2), Defaults.Beta2).Value, Read.Ints(a, nameof(Thresholds)),
        Read.Bool(a, nameof(NoTransforms), Defaults.NoTransforms), Read.ULong(a, nameof(Seed), Defaults.Seed), Read.Bool(a, nameof(RedirectRelu), Defaults.RedirectRelu));
}

/// <summary>A <c>[VitalRender]</c> declaration.</summary>
internal sealed record VitalSpec(TypeSpec Type, AttributeSpec Attribute, string? ModelFqn)
{
    /// <summary>The declaration's settings, typed, with the attribute's defaults where it sets none.</summary>
    public VitalSettings Settings => VitalSettings.From(Attribute);
}

/// <summary><c>[VitalRender]</c>'s settings, typed; <see cref="Defaults"/> are <c>VitalRenderAttribute</c>'s own (a test compares them).</summary>
internal sealed record VitalSettings(Arg<string?> Model, Arg<string?> Label, Arg<EquatableArray<string>?> Taps, Arg<int> Steps, Arg<double> LearningRate,
    double TotalVariation, ulong Seed)
{
    public static VitalSettings Defaults { get; } = new(new(null, false, null), new(null, false, null), new(EquatableArray<string>.Empty, false, null),
        new(300, false, null), new(0.1, false, null), 0, 0);

    public static VitalSettings From(AttributeSpec a) => new(
        Read.String(a, nameof(Model)), Read.String(a, nameof(Label)), Read.Items(a, nameof(Taps)) is { IsSet: true } taps ? taps : Defaults.Taps,
        Read.Int(a, nameof(Steps), Defaults.Steps.Value),
        Read.Double(a, nameof(LearningRate), Defaults.LearningRate.Value), Read.Double(a, nameof(TotalVariation), Defaults.TotalVariation).Value,
        Read.ULong(a, nameof(Seed), Defaults.Seed));
}

/// <summary>An <c>[Attribution]</c> declaration with its per-tap LRP rules.</summary>
internal sealed record AttributionSpec(TypeSpec Type, AttributeSpec Attribute, string? ModelFqn, EquatableArray<AttributeSpec> Rules)
{
    public string Method => Settings.Method.Value!;

    /// <summary>The declaration's settings, typed, with the attribute's defaults where it sets none.</summary>
    public AttributionSettings Settings => AttributionSettings.From(Attribute);

    /// <summary>The [LrpRule]s, typed.</summary>
    public IEnumerable<(LrpRuleSettings Rule, LocationInfo? Location)> RuleSettings => Rules.Select(r => (LrpRuleSettings.From(r), r.Location));
}

/// <summary>
/// <c>[Attribution]</c>'s settings, typed. <see cref="Defaults"/> are <c>AttributionAttribute</c>'s own defaults,
/// written here once for the emitter and the validator (a test compares them with the attribute class).
/// </summary>
internal sealed record AttributionSettings(Arg<string?> Model, Arg<string?> Method, Arg<string?> Class, Arg<string?> TargetTap, Arg<int> TargetChannel,
    Arg<int> TargetX, Arg<int> TargetY, Arg<string?> Layer, string Composite, Arg<int> Steps, string Baseline, Arg<int> Window, Arg<int> Stride)
{
    public static AttributionSettings Defaults { get; } = new(new(null, false, null), new("Saliency", false, null), new(null, false, null),
        new(null, false, null), new(-1, false, null), new(-1, false, null), new(-1, false, null), new(null, false, null), "EpsilonPlusFlat",
        new(50, false, null), "Black", new(8, false, null), new(4, false, null));

    public static AttributionSettings From(AttributeSpec a) => new(
        Read.String(a, nameof(Model)), Read.String(a, nameof(Method), Defaults.Method.Value), Read.String(a, nameof(Class)), Read.String(a, nameof(TargetTap)),
        Read.Int(a, nameof(TargetChannel), Defaults.TargetChannel.Value), Read.Int(a, nameof(TargetX), Defaults.TargetX.Value),
        Read.Int(a, nameof(TargetY), Defaults.TargetY.Value), Read.String(a, nameof(Layer)), Read.String(a, nameof(Composite), Defaults.Composite).Value!,
        Read.Int(a, nameof(Steps), Defaults.Steps.Value), Read.String(a, nameof(Baseline), Defaults.Baseline).Value!,
        Read.Int(a, nameof(Window), Defaults.Window.Value), Read.Int(a, nameof(Stride), Defaults.Stride.Value));
}

/// <summary>An <c>[Interface]</c> layout: its panels in the order written.</summary>
internal sealed record InterfaceSpec(TypeSpec Type, AttributeSpec Attribute, string? ModelFqn, EquatableArray<PanelSpec> Panels)
{
    /// <summary>The layout's own settings, typed.</summary>
    public InterfaceSettings Settings => InterfaceSettings.From(Attribute);

    /// <summary>Each panel's row index: panels sharing a <c>Row</c> number share a row; <c>Row = -1</c> starts a row of its own; rows in the order their first panel is written.</summary>
    public int[] Rows()
    {
        var rows = new int[Panels.Count];
        var byNumber = new System.Collections.Generic.Dictionary<int, int>();
        int next = 0;
        for (int i = 0; i < Panels.Count; i++)
        {
            int number = Panels[i].Settings.Row.Value;
            if (number < 0) rows[i] = next++;
            else if (byNumber.TryGetValue(number, out var row)) rows[i] = row;
            else rows[i] = byNumber[number] = next++;
        }
        return rows;
    }
}

/// <summary>A render with its references resolved (what the render emitter needs from the image, objective and model).</summary>
internal sealed record ResolvedRender(RenderSpec Render, string ImageFqn, bool ImageIsMaco, string ObjectiveFqn, string? ModelFqn, string? TransformsFqn)
{
    public static ResolvedRender? From(RenderSpec render, Catalog catalog)
    {
        var image = catalog.Image(render.ImageFqn);
        var objective = catalog.Objective(render.ObjectiveFqn);
        if (image is null || objective is null) return null;
        var transforms = catalog.TransformSet(render.TransformsFqn);
        return new ResolvedRender(render, image.Type.FullyQualifiedName, image.Kind == "Maco", objective.Type.FullyQualifiedName,
            catalog.ModelOf(objective), transforms?.Type.FullyQualifiedName);
    }
}
