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
    public string LogName => Attribute.String("Name") ?? Property;

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

    public int Width => Settings.Width;
    /// <summary>The height in pixels (the width where the declaration leaves it 0: a square image).</summary>
    public int Height => Settings.Height == 0 ? Width : Settings.Height;
    public int Batch => Settings.Batch;
    public bool Alpha => Settings.Alpha;
    public int Channels => Alpha ? 4 : 3;
}

/// <summary>
/// The image attributes' settings, typed: every property of <c>ImageAttribute</c> and its five kinds (a kind ignores
/// the others'). <see cref="Defaults"/> are the attribute classes' own, written here once (a test compares them).
/// </summary>
internal sealed record ImageSettings(int Width, int Height, int Batch, bool Decorrelated, double Sd, double DecayPower, bool Clip, bool Alpha,
    int Levels, int Hidden, int Layers)
{
    public static ImageSettings Defaults { get; } = new(128, 0, 1, true, 0.01, 1, false, false, 4, 24, 8);

    public static ImageSettings From(AttributeSpec a) => new(
        a.Int(nameof(Width), Defaults.Width), a.Int(nameof(Height), Defaults.Height), a.Int(nameof(Batch), Defaults.Batch),
        a.Bool(nameof(Decorrelated), Defaults.Decorrelated), a.Double(nameof(Sd), Defaults.Sd), a.Double(nameof(DecayPower), Defaults.DecayPower),
        a.Bool(nameof(Clip), Defaults.Clip), a.Bool(nameof(Alpha), Defaults.Alpha), a.Int(nameof(Levels), Defaults.Levels),
        a.Int(nameof(Hidden), Defaults.Hidden), a.Int(nameof(Layers), Defaults.Layers));

    /// <summary>The settings that must be positive.</summary>
    public static readonly string[] Positive = { nameof(Width), nameof(Batch), nameof(Sd), nameof(Levels), nameof(Hidden), nameof(Layers) };
}

/// <summary>A <c>[TransformSet]</c> declaration: its steps in the order written.</summary>
internal sealed record TransformSetSpec(TypeSpec Type, EquatableArray<AttributeSpec> Steps);

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
internal sealed record RenderSettings(int Steps, double LearningRate, double Beta1, double Beta2, EquatableArray<int>? Thresholds,
    bool NoTransforms, ulong Seed, bool RedirectRelu)
{
    public static RenderSettings Defaults { get; } = new(512, 0.05, 0.9, 0.999, null, false, 0, true);

    public static RenderSettings From(AttributeSpec a) => new(
        a.Int(nameof(Steps), Defaults.Steps), a.Double(nameof(LearningRate), Defaults.LearningRate), a.Double(nameof(Beta1), Defaults.Beta1),
        a.Double(nameof(Beta2), Defaults.Beta2), a.Ints(nameof(Thresholds)), a.Bool(nameof(NoTransforms), Defaults.NoTransforms),
        a.ULong(nameof(Seed), Defaults.Seed), a.Bool(nameof(RedirectRelu), Defaults.RedirectRelu));
}

/// <summary>A <c>[VitalRender]</c> declaration.</summary>
internal sealed record VitalSpec(TypeSpec Type, AttributeSpec Attribute, string? ModelFqn)
{
    /// <summary>The declaration's settings, typed, with the attribute's defaults where it sets none.</summary>
    public VitalSettings Settings => VitalSettings.From(Attribute);
}

/// <summary><c>[VitalRender]</c>'s settings, typed; <see cref="Defaults"/> are <c>VitalRenderAttribute</c>'s own (a test compares them).</summary>
internal sealed record VitalSettings(string Label, EquatableArray<string> Taps, int Steps, double LearningRate, double TotalVariation, ulong Seed)
{
    public static VitalSettings Defaults { get; } = new("", EquatableArray<string>.Empty, 300, 0.1, 0, 0);

    public static VitalSettings From(AttributeSpec a) => new(
        a.String("label") /* the constructor's parameter */ ?? Defaults.Label, a.Strings(nameof(Taps)), a.Int(nameof(Steps), Defaults.Steps),
        a.Double(nameof(LearningRate), Defaults.LearningRate), a.Double(nameof(TotalVariation), Defaults.TotalVariation), a.ULong(nameof(Seed), Defaults.Seed));
}

/// <summary>An <c>[Attribution]</c> declaration with its per-tap LRP rules.</summary>
internal sealed record AttributionSpec(TypeSpec Type, AttributeSpec Attribute, string? ModelFqn, EquatableArray<AttributeSpec> Rules)
{
    public string Method => Attribute.String("method") ?? "Saliency";

    /// <summary>The declaration's settings, typed, with the attribute's defaults where it sets none.</summary>
    public AttributionSettings Settings => AttributionSettings.From(Attribute);
}

/// <summary>
/// <c>[Attribution]</c>'s settings, typed. <see cref="Defaults"/> are <c>AttributionAttribute</c>'s own defaults,
/// written here once for the emitter and the validator (a test compares them with the attribute class).
/// </summary>
internal sealed record AttributionSettings(string? Class, string? TargetTap, int TargetChannel, int TargetX, int TargetY, string? Layer,
    string Composite, int Steps, string Baseline, int Window, int Stride)
{
    public static AttributionSettings Defaults { get; } = new(null, null, -1, -1, -1, null, "EpsilonPlusFlat", 50, "Black", 8, 4);

    public static AttributionSettings From(AttributeSpec a) => new(
        a.String(nameof(Class)), a.String(nameof(TargetTap)), a.Int(nameof(TargetChannel), Defaults.TargetChannel),
        a.Int(nameof(TargetX), Defaults.TargetX), a.Int(nameof(TargetY), Defaults.TargetY), a.String(nameof(Layer)),
        a.String(nameof(Composite)) ?? Defaults.Composite, a.Int(nameof(Steps), Defaults.Steps), a.String(nameof(Baseline)) ?? Defaults.Baseline,
        a.Int(nameof(Window), Defaults.Window), a.Int(nameof(Stride), Defaults.Stride));
}

/// <summary>An <c>[Interface]</c> layout: its panels in the order written.</summary>
internal sealed record InterfaceSpec(TypeSpec Type, AttributeSpec Attribute, string? ModelFqn, EquatableArray<AttributeSpec> Panels)
{
    /// <summary>Each panel's row index: panels sharing a <c>Row</c> number share a row; <c>Row = -1</c> starts a row of its own; rows in the order their first panel is written.</summary>
    public int[] Rows()
    {
        var rows = new int[Panels.Count];
        var byNumber = new System.Collections.Generic.Dictionary<int, int>();
        int next = 0;
        for (int i = 0; i < Panels.Count; i++)
        {
            int number = Panels[i].Int("Row", -1);
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
