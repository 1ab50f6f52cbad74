using System.Collections.Generic;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;

namespace Lucid.Dsl.Generators.Validation;

/// <summary>
/// Checks an <c>[Interface]</c> layout against its model's schema: every panel's taps exist and are spatial, group and
/// channel counts fit the tap, classes are labels of the model, an earlier layer precedes the later one.
/// </summary>
internal static class InterfaceValidator
{
    public static EquatableArray<DiagnosticInfo> Validate(InterfaceSpec layout, Catalog catalog)
    {
        var d = new List<DiagnosticInfo>();
        DeclarationValidator.Partial(layout.Type, d);
        var settings = layout.Settings;
        var name = layout.Type.Name;
        if (catalog.Model(layout.ModelFqn) is null)
            d.Add(SettingChecks.WrongDeclaration(layout.ModelFqn, settings.Model.Location, "a model binding", "[LucidModel(\"….schema.json\")]"));
        SettingChecks.Positive(settings.IconSteps, nameof(settings.IconSteps), name, d);
        if (layout.Panels.Count == 0)
            d.Add(DiagnosticInfo.Create(Diagnostics.MissingSetting, layout.Type.NameLocation, "Interface", name,
                "at least one panel: [NeuronGroupsPanel], [GroupFlowPanel], [ActivationGridPanel], [SemanticDictionaryPanel], [ChannelAttributionPanel] or [SpatialAttributionPanel]"));
        var schema = catalog.SchemaOf(layout.ModelFqn);
        foreach (var panel in layout.Panels)
        {
            string owner = $"{name}: [{panel.Kind}]";
            var p = panel.Settings;
            if (p.Row.Value < -1)
                d.Add(DiagnosticInfo.Create(Diagnostics.InvalidSetting, p.Row.Location, $"{owner} Row", "−1 (a row of its own) or a row number ≥ 0", p.Row.Text ?? ""));
            if (p.SharedWeight.IsSet && p.SharedWeight.Value < 0)
                d.Add(DiagnosticInfo.Create(Diagnostics.InvalidSetting, p.SharedWeight.Location, $"{owner} SharedWeight", "zero or positive", p.SharedWeight.Text!));
            if (schema is null) continue;
            switch (panel.Kind)
            {
                case "NeuronGroupsPanel":
                    Count(schema, Spatial(schema, panel, p.Tap, d), p.Groups, nameof(p.Groups), owner, d);
                    break;
                case "ActivationGridPanel":
                    Spatial(schema, panel, p.Tap, d);
                    break;
                case "SemanticDictionaryPanel":
                case "ChannelAttributionPanel":
                    Count(schema, Spatial(schema, panel, p.Tap, d), p.Top, nameof(p.Top), owner, d);
                    TapChecks.Label(schema, p.Class, d);
                    break;
                case "GroupFlowPanel":
                case "SpatialAttributionPanel":
                {
                    var from = Spatial(schema, panel, p.From, d);
                    var to = Spatial(schema, panel, p.To, d);
                    if (panel.Kind == "GroupFlowPanel")
                    {
                        Count(schema, from, p.Groups, nameof(p.Groups), owner, d);
                        Count(schema, to, p.Groups, nameof(p.Groups), owner, d);
                    }
                    if (from is not null && to is not null && !DeclarationValidator.Precedes(schema, from.Name, to.Name))
                        d.Add(DiagnosticInfo.Create(Diagnostics.LayerNotUpstream, p.From.Location, from.Name, to.Name, schema.Name));
                    break;
                }
            }
        }
        return d.ToEquatableArray();
    }

    /// <summary>The tap named by the argument: LUCID001 if unknown, LUCID020 if it has no positions.</summary>
    private static TapSpec? Spatial(ModelSchemaSpec schema, PanelSpec panel, Arg<string?> arg, List<DiagnosticInfo> d)
    {
        var tap = TapChecks.Tap(schema, arg, d);
        if (tap is null || tap.IsSpatial) return tap;
        d.Add(DiagnosticInfo.Create(Diagnostics.NotSpatial, arg.IsSet ? arg.Location : panel.Location, $"[{panel.Kind}]", tap.Name, schema.Name,
            $"flat ({Names.Int(tap.Channels)} features)"));
        return null;
    }

    /// <summary>LUCID021 unless the count (its default when not written) lies in [1, channels of the tap].</summary>
    private static void Count(ModelSchemaSpec schema, TapSpec? tap, Arg<int> count, string setting, string owner, List<DiagnosticInfo> d)
    {
        if (tap is null) return;
        if (count.Value < 1 || count.Value > tap.Channels)
            d.Add(DiagnosticInfo.Create(Diagnostics.CountOutOfRange, count.Location, $"{owner} {setting}", Names.Int(count.Value), tap.Name, schema.Name, Names.Int(tap.Channels)));
    }
}
