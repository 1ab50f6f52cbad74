using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;

namespace Lucid.Dsl.Generators.Validation;

/// <summary>
/// Checks each declaration against the catalog (and through it the model schema) and returns its diagnostics. Pure
/// functions of specs: the diagnostics pipeline runs them, the emitters never wait on them.
/// </summary>
internal static class DeclarationValidator
{
    public static EquatableArray<DiagnosticInfo> Model(ModelBindingSpec binding, Catalog catalog)
    {
        var d = new List<DiagnosticInfo>();
        Partial(binding.Type, d);
        var file = catalog.SchemaFor(binding);
        if (file is null) d.Add(DiagnosticInfo.Create(Diagnostics.SchemaNotFound, binding.PathLocation, binding.SchemaPath));
        else if (file.Schema is null)
            d.Add(DiagnosticInfo.Create(Diagnostics.SchemaMalformed, binding.PathLocation, binding.SchemaPath, Names.Int(file.Line), Names.Int(file.Column), file.Error ?? ""));
        return d.ToEquatableArray();
    }

    public static EquatableArray<DiagnosticInfo> Objective(ObjectiveSpec objective, Catalog catalog)
    {
        var d = new List<DiagnosticInfo>();
        Partial(objective.Type, d);
        if (objective.ModelFqn is { } explicitModel && catalog.Model(explicitModel) is null)
            d.Add(SettingChecks.WrongDeclaration(explicitModel, objective.AttributeLocation, "a model binding", "[LucidModel(\"….schema.json\")]"));
        var model = catalog.ModelOf(objective);
        if (model is null)
            d.Add(DiagnosticInfo.Create(Diagnostics.NoModel, objective.Type.NameLocation, objective.Type.Name,
                catalog.Models.Count == 0 ? "no model" : $"{catalog.Models.Count} models"));
        var schema = catalog.SchemaOf(model);
        var names = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (var term in objective.Terms)
        {
            var settings = term.Settings;
            if (!term.IsTermType || !term.IsPartialGetOnly)
                d.Add(DiagnosticInfo.Create(Diagnostics.TermType, term.Location, term.Property));
            if (!names.Add(term.LogName))
                d.Add(DiagnosticInfo.Create(Diagnostics.Duplicate, (settings.Name.IsSet ? settings.Name.Location : term.Location), "Term name", term.LogName, objective.Type.Name));
            if (term.ModelFqn is { } termModel)
            {
                if (catalog.Model(termModel) is null)
                    d.Add(SettingChecks.WrongDeclaration(termModel, settings.Model.Location, "a model binding", "[LucidModel(\"….schema.json\")]"));
                else if (model is not null && termModel != model)
                    d.Add(DiagnosticInfo.Create(Diagnostics.MixedModels, settings.Model.Location, objective.Type.Name, term.Property,
                        Short(termModel), Short(model)));
            }
            if (settings.Batch.Value < -1)
                d.Add(DiagnosticInfo.Create(Diagnostics.InvalidSetting, settings.Batch.Location, $"{term.Property}: Batch", "−1 (every image) or a batch index", settings.Batch.Text ?? ""));
            var termSchema = term.ModelFqn is { } own ? catalog.SchemaOf(own) : schema;
            if (termSchema is not null) Term(termSchema, term, d);
        }
        if (objective.Terms.Count == 0 && !objective.HasCompose)
            d.Add(DiagnosticInfo.Create(Diagnostics.NothingToMaximize, objective.Type.NameLocation, objective.Type.Name, "it declares no terms"));
        else if (!objective.HasCompose && objective.Terms.All(t => t.IsPenalty))
            d.Add(DiagnosticInfo.Create(Diagnostics.NothingToMaximize, objective.Type.NameLocation, objective.Type.Name,
                "every term is a penalty (total variation, L1, L2, blur, diversity), so the render only smooths the image; add a channel, neuron, direction or class term"));
        return d.ToEquatableArray();
    }

    private static void Term(ModelSchemaSpec schema, TermSpec term, List<DiagnosticInfo> d)
    {
        var t = term.Settings;
        switch (term.Kind)
        {
            case "Channel":
                TapChecks.Channel(schema, TapChecks.Tap(schema, t.Tap, d), t.Channel, d);
                break;
            case "Neuron":
            case "DirectionNeuron":
            {
                var tap = TapChecks.Tap(schema, t.Tap, d);
                if (term.Kind == "Neuron") TapChecks.Channel(schema, tap, t.Channel, d);
                else TapChecks.VectorLength(schema, tap, t.Direction, "Direction", d);
                TapChecks.Position(schema, tap, t.X, t.Y, d);
                break;
            }
            case "Direction":
                TapChecks.VectorLength(schema, TapChecks.Tap(schema, t.Tap, d), t.Direction, "Direction", d);
                break;
            case "ChannelWeight":
                TapChecks.VectorLength(schema, TapChecks.Tap(schema, t.Tap, d), t.Weights, "Channel weight", d);
                break;
            case "ClassLogit":
            case "ClassLogProbability":
                TapChecks.Label(schema, t.Label, d);
                break;
            case "DeepDream":
            case "Diversity":
            case "Alignment":
            case "TotalVariation":
            case "L1":
            case "L2":
                TapChecks.Tap(schema, t.Tap, d);
                break;
            case "ChannelInterpolate":
                TapChecks.Channel(schema, TapChecks.Tap(schema, t.Tap1, d), t.Channel1, d);
                TapChecks.Channel(schema, TapChecks.Tap(schema, t.Tap2, d), t.Channel2, d);
                break;
            case "BoundaryComplexity":
                SettingChecks.Positive(t.Width, nameof(TermSettings.Width), term.Property, d);
                break;
        }
    }

    public static EquatableArray<DiagnosticInfo> Image(ImageSpec image)
    {
        var d = new List<DiagnosticInfo>();
        Partial(image.Type, d);
        var settings = image.Settings;
        foreach (var (name, value) in settings.Positive()) SettingChecks.Positive(value, name, image.Type.Name, d);
        if (settings.Height.Value < 0)
            d.Add(DiagnosticInfo.Create(Diagnostics.InvalidSetting, settings.Height.Location, $"{image.Type.Name}: Height", "positive (or 0 for a square image)", settings.Height.Text!));
        if (settings.DecayPower.Value is < 0.5 or > 2)
            d.Add(DiagnosticInfo.Create(Diagnostics.UnusualHyperparameter, settings.DecayPower.Location, "DecayPower", settings.DecayPower.Text!,
                "Lucid uses 1 (a 1/f spectrum); outside [0.5, 2] images turn to noise or to blurs"));
        return d.ToEquatableArray();
    }

    public static EquatableArray<DiagnosticInfo> TransformSet(TransformSetSpec set)
    {
        var d = new List<DiagnosticInfo>();
        Partial(set.Type, d);
        foreach (var step in set.Steps)
        {
            var owner = $"{set.Type.Name} {step.Kind}";
            var t = step.Settings;
            switch (step.Kind)
            {
                case "Jitter": SettingChecks.Positive(t.Pixels, nameof(t.Pixels), owner, d); break;
                case "CropOrPadTo": SettingChecks.Positive(t.Height, nameof(t.Height), owner, d); SettingChecks.Positive(t.Width, nameof(t.Width), owner, d); break;
                case "RandomCrops": SettingChecks.Positive(t.Count, nameof(t.Count), owner, d); SettingChecks.Positive(t.Size, nameof(t.Size), owner, d); break;
                case "RandomScale":
                    if (t.Scales.Value is { } scales && (scales.Count == 0 || scales.Any(x => !(x > 0))))
                        d.Add(DiagnosticInfo.Create(Diagnostics.InvalidSetting, t.Scales.Location, $"{owner}: Scales", "one or more positive factors", t.Scales.Text!));
                    break;
                case "Pad":
                    NotNegative(t.Width, nameof(t.Width));
                    break;
                case "Roll":
                    NotNegative(t.Pixels, nameof(t.Pixels));
                    break;
            }

            void NotNegative(Arg<int> value, string name)
            {
                if (value.IsSet && value.Value < 0)
                    d.Add(DiagnosticInfo.Create(Diagnostics.InvalidSetting, value.Location, $"{owner}: {name}", "zero or positive", value.Text!));
            }
        }
        return d.ToEquatableArray();
    }

    public static EquatableArray<DiagnosticInfo> Render(RenderSpec render, Catalog catalog)
    {
        var d = new List<DiagnosticInfo>();
        Partial(render.Type, d);
        var settings = render.Settings;
        var image = catalog.Image(render.ImageFqn);
        var objective = catalog.Objective(render.ObjectiveFqn);
        if (image is null) d.Add(SettingChecks.WrongDeclaration(render.ImageFqn, settings.Image.Location, "an image declaration", "[FourierImage], [PixelImage], [LaplacianPyramidImage], [CppnImage] or [MacoImage]"));
        if (objective is null) d.Add(SettingChecks.WrongDeclaration(render.ObjectiveFqn, settings.Objective.Location, "an objective declaration", "[Objective]"));
        var transforms = catalog.TransformSet(render.TransformsFqn);
        if (render.TransformsFqn is not null && transforms is null)
            d.Add(SettingChecks.WrongDeclaration(render.TransformsFqn, settings.Transforms.Location, "a transform set", "[TransformSet]"));
        SettingChecks.Positive(settings.Steps, nameof(settings.Steps), render.Type.Name, d);
        SettingChecks.Positive(settings.LearningRate, nameof(settings.LearningRate), render.Type.Name, d);
        int steps = settings.Steps.Value;
        if (settings.Thresholds.Value is { } thresholds && steps > 0)
        {
            var bad = thresholds.Where(t => t < 1 || t > steps).ToList();
            if (bad.Count > 0)
                d.Add(DiagnosticInfo.Create(Diagnostics.InvalidSetting, settings.Thresholds.Location, $"{render.Type.Name}: every threshold", $"a step in [1, {steps}]",
                    string.Join(", ", bad.Select(Names.Int))));
        }
        if (settings.LearningRate.Value > 1)
            d.Add(DiagnosticInfo.Create(Diagnostics.UnusualHyperparameter, settings.LearningRate.Location, "LearningRate", settings.LearningRate.Text!,
                "Lucid renders with Adam at 0.05; above 1 the image saturates within a few steps"));
        if (image is null || objective is null) return d.ToEquatableArray();
        var modelFqn = catalog.ModelOf(objective);
        if (catalog.SchemaOf(modelFqn) is { } schema)
        {
            int modelChannels = schema.InputShape.Count > 0 ? schema.InputShape[0] : 0;
            if (modelChannels != 3)
                d.Add(DiagnosticInfo.Create(Diagnostics.ImageModelMismatch, settings.Image.Location, image.Type.Name, schema.Name,
                    $"the model takes {modelChannels}-channel input and image declarations render RGB"));
            else if (image.Alpha && !(transforms?.Steps.Any(s => s.Kind == "CollapseAlpha") ?? false))
                d.Add(DiagnosticInfo.Create(Diagnostics.ImageModelMismatch, settings.Image.Location, image.Type.Name, schema.Name,
                    "an RGBA image needs a transform set with [CollapseAlpha] before an RGB model sees it"));
        }
        if (!settings.NoTransforms)
        {
            int minimum = transforms is null ? TransformSizes.StandardMinimum : TransformSizes.MinimumSize(transforms.Steps);
            if (System.Math.Min(image.Width, image.Height) < minimum)
                d.Add(DiagnosticInfo.Create(Diagnostics.ImageModelMismatch, settings.Image.Location, image.Type.Name, catalog.SchemaOf(modelFqn)?.Name ?? Short(modelFqn ?? "(no model)"),
                    $"a {image.Width}×{image.Height} image is too small for the transforms (they need at least {minimum}×{minimum})"));
        }
        foreach (var term in objective.Terms)
        {
            var batchArg = term.Settings.Batch;
            int batch = batchArg.Value;
            if (batch >= image.Batch)
                d.Add(DiagnosticInfo.Create(Diagnostics.BatchOutOfRange, batchArg.Location, term.Property, Names.Int(batch), image.Type.Name,
                    Names.Int(image.Batch), Names.Int(image.Batch - 1)));
        }
        return d.ToEquatableArray();
    }

    public static EquatableArray<DiagnosticInfo> Vital(VitalSpec vital, Catalog catalog)
    {
        var d = new List<DiagnosticInfo>();
        Partial(vital.Type, d);
        var settings = vital.Settings;
        if (catalog.Model(vital.ModelFqn) is null)
            d.Add(SettingChecks.WrongDeclaration(vital.ModelFqn, settings.Model.Location, "a model binding", "[LucidModel(\"….schema.json\")]"));
        SettingChecks.Positive(settings.Steps, nameof(settings.Steps), vital.Type.Name, d);
        SettingChecks.Positive(settings.LearningRate, nameof(settings.LearningRate), vital.Type.Name, d);
        var taps = settings.Taps;
        if (taps.Value is not { Count: > 0 })
            d.Add(DiagnosticInfo.Create(Diagnostics.MissingSetting, vital.Type.NameLocation, "VITAL render", vital.Type.Name, "Taps: the layers whose feature distributions are matched"));
        if (catalog.SchemaOf(vital.ModelFqn) is { } schema)
        {
            TapChecks.Label(schema, settings.Label, d);
            foreach (var tap in taps.Value ?? EquatableArray<string>.Empty)
                TapChecks.Tap(schema, new Arg<string?>(tap, true, taps.Location, tap), d);
        }
        return d.ToEquatableArray();
    }

    private static readonly string[] LayerMethods = { "GradCam", "GuidedGradCam", "LayerGradientXActivation", "LayerIntegratedGradients", "LayerConductance" };

    public static EquatableArray<DiagnosticInfo> Attribution(AttributionSpec attribution, Catalog catalog)
    {
        var d = new List<DiagnosticInfo>();
        Partial(attribution.Type, d);
        var settings = attribution.Settings;
        var name = attribution.Type.Name;
        if (catalog.Model(attribution.ModelFqn) is null)
            d.Add(SettingChecks.WrongDeclaration(attribution.ModelFqn, settings.Model.Location, "a model binding", "[LucidModel(\"….schema.json\")]"));
        SettingChecks.Positive(settings.Steps, nameof(settings.Steps), name, d);
        SettingChecks.Positive(settings.Window, nameof(settings.Window), name, d);
        SettingChecks.Positive(settings.Stride, nameof(settings.Stride), name, d);
        bool hasClass = settings.Class.Value is not null, hasTap = settings.TargetTap.Value is not null;
        if (!hasClass && !hasTap)
            d.Add(DiagnosticInfo.Create(Diagnostics.MissingSetting, attribution.Type.NameLocation, "Attribution", name, "a target: Class = \"label\" or TargetTap (with TargetChannel)"));
        if (hasTap && settings.TargetChannel.Value < 0)
            d.Add(DiagnosticInfo.Create(Diagnostics.MissingSetting, settings.TargetTap.Location, "Attribution", name, "TargetChannel with TargetTap"));
        bool layerMethod = LayerMethods.Contains(attribution.Method);
        if (layerMethod && settings.Layer.Value is null)
            d.Add(DiagnosticInfo.Create(Diagnostics.MissingSetting, settings.Method.Location, "Attribution", name, $"Layer: {attribution.Method} explains a layer"));
        bool lrp = attribution.Method is "Lrp" or "DeepTaylor";
        if (attribution.Rules.Count > 0 && !lrp)
            d.Add(DiagnosticInfo.Create(Diagnostics.InvalidSetting, attribution.Rules[0].Location, $"{name}: Method", "Lrp or DeepTaylor for [LrpRule]s to apply", attribution.Method));
        var schema = catalog.SchemaOf(attribution.ModelFqn);
        var seenRules = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (var (rule, _) in attribution.RuleSettings)
        {
            var tapName = rule.Tap.Value;
            if (tapName is not null && !seenRules.Add(tapName))
                d.Add(DiagnosticInfo.Create(Diagnostics.Duplicate, rule.Tap.Location, "LRP rule for tap", tapName, name));
            var kind = rule.Rule;
            double parameter = rule.Parameter.Value;
            if (kind == "Gamma" && parameter < 0 || kind == "Epsilon" && parameter < 0)
                d.Add(DiagnosticInfo.Create(Diagnostics.InvalidSetting, rule.Parameter.Location, $"{name}: {kind} parameter", "zero or positive", rule.Parameter.Text!));
            if (kind == "AlphaBeta" && parameter < 1)
                d.Add(DiagnosticInfo.Create(Diagnostics.InvalidSetting, rule.Parameter.Location, $"{name}: α of AlphaBeta", "at least 1 (β = α − 1 ≥ 0)", rule.Parameter.Text!));
            if (schema is not null && TapChecks.Tap(schema, rule.Tap, d) is { } tap && !IsRuleKind(tap.Kind))
                d.Add(DiagnosticInfo.Create(Diagnostics.LrpRuleOnWrongKind, rule.Tap.Location, kind, tap.Name, schema.Name, tap.Kind));
        }
        if (schema is null) return d.ToEquatableArray();
        if (hasClass) TapChecks.Label(schema, settings.Class, d);
        TapSpec? target = schema.Taps.Count > 0 ? schema.Taps[schema.Taps.Count - 1] : null;
        if (hasTap)
        {
            target = TapChecks.Tap(schema, settings.TargetTap, d);
            TapChecks.Channel(schema, target, settings.TargetChannel, d, "Target channel");
            TapChecks.Position(schema, target, settings.TargetX, settings.TargetY, d);
        }
        if (TapChecks.Tap(schema, settings.Layer, d) is { } layer && target is not null && !Precedes(schema, layer.Name, target.Name))
            d.Add(DiagnosticInfo.Create(Diagnostics.LayerNotUpstream, settings.Layer.Location, layer.Name, target.Name, schema.Name));
        return d.ToEquatableArray();
    }

    private static bool IsRuleKind(string kind) => Lucid.Attribution.LrpKinds.IsRuleLayer(kind);

    /// <summary>Whether a path leads from <paramref name="layer"/> to <paramref name="target"/> (by the schema's inputs, or its order if it has none).</summary>
    internal static bool Precedes(ModelSchemaSpec schema, string layer, string target)
    {
        if (layer == target) return false;
        var byName = schema.Taps.ToDictionary(t => t.Name);
        if (!schema.Taps.Any(t => t.Inputs.Count > 0))
        {
            int li = schema.Taps.ToList().FindIndex(t => t.Name == layer), ti = schema.Taps.ToList().FindIndex(t => t.Name == target);
            return li >= 0 && li < ti;
        }
        var seen = new HashSet<string>(System.StringComparer.Ordinal);
        var stack = new Stack<string>();
        stack.Push(target);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            if (!byName.TryGetValue(current, out var tap)) continue;
            foreach (var input in tap.Inputs)
            {
                if (input == layer) return true;
                if (seen.Add(input)) stack.Push(input);
            }
        }
        return false;
    }

    internal static void Partial(TypeSpec type, List<DiagnosticInfo> d)
    {
        if (!type.IsPartial) d.Add(DiagnosticInfo.Create(Diagnostics.NotPartial, type.NameLocation, type.Name));
    }

    private static string Short(string fqn) => fqn.Replace("global::", "");
}
