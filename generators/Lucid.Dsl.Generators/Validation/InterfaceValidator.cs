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
        var a = layout.Attribute;
        var name = layout.Type.Name;
        if (catalog.Model(layout.ModelFqn) is null)
            d.Add(TapChecks.WrongDeclaration(layout.ModelFqn, a.Where("model"), "a model binding", "[LucidModel(\"….schema.json\")]"));
        TapChecks.Positive(a, "IconSteps", name, d);
        if (layout.Panels.Count == 0)
            d.Add(DiagnosticInfo.Create(Diagnostics.MissingSetting, layout.Type.NameLocation, "Interface", name,
                "at least one panel: [NeuronGroupsPanel], [GroupFlowPanel], [ActivationGridPanel], [SemanticDictionaryPanel], [ChannelAttributionPanel] or [SpatialAttributionPanel]"));
        var schema = catalog.SchemaOf(layout.ModelFqn);
        foreach (var panel in layout.Panels)
        {
            string owner = $"{name}: [{panel.Name}]";
            if (panel.Int("Row", -1) < -1)
                d.Add(DiagnosticInfo.Create(Diagnostics.InvalidSetting, panel.Where("Row"), $"{owner} Row", "−1 (a row of its own) or a row number ≥ 0", panel.String("Row") ?? ""));
            if (panel.Get("SharedWeight") is { Text: not null } shared && shared.AsDouble < 0)
                d.Add(DiagnosticInfo.Create(Diagnostics.InvalidSetting, shared.Location, $"{owner} SharedWeight", "zero or positive", shared.Text));
            if (schema is null) continue;
            switch (panel.Name)
            {
                case "NeuronGroupsPanel":
                    Count(schema, Spatial(schema, panel, "tap", d), panel, "Groups", 4, owner, d);
                    break;
                case "ActivationGridPanel":
                    Spatial(schema, panel, "tap", d);
                    break;
                case "SemanticDictionaryPanel":
                case "ChannelAttributionPanel":
                    Count(schema, Spatial(schema, panel, "tap", d), panel, "Top", panel.Name == "SemanticDictionaryPanel" ? 3 : 4, owner, d);
                    TapChecks.Label(schema, panel.Get("Class"), d);
                    break;
                case "GroupFlowPanel":
                case "SpatialAttributionPanel":
                {
                    var from = Spatial(schema, panel, "from", d);
                    var to = Spatial(schema, panel, "to", d);
                    if (panel.Name == "GroupFlowPanel")
                    {
                        Count(schema, from, panel, "Groups", 4, owner, d);
                        Count(schema, to, panel, "Groups", 4, owner, d);
                    }
                    if (from is not null && to is not null && !DeclarationValidator.Precedes(schema, from.Name, to.Name))
                        d.Add(DiagnosticInfo.Create(Diagnostics.LayerNotUpstream, panel.Where("from"), from.Name, to.Name, schema.Name));
                    break;
                }
            }
        }
        return d.ToEquatableArray();
    }

    /// <summary>The tap named by the argument: LUCID001 if unknown, LUCID020 if it has no positions.</summary>
    private static TapSpec? Spatial(ModelSchemaSpec schema, AttributeSpec panel, string argument, List<DiagnosticInfo> d)
    {
        var arg = panel.Get(argument);
        var tap = TapChecks.Tap(schema, arg, d);
        if (tap is null || tap.IsSpatial) return tap;
        d.Add(DiagnosticInfo.Create(Diagnostics.NotSpatial, arg?.Location ?? panel.Location, $"[{panel.Name}]", tap.Name, schema.Name,
            $"flat ({Names.Int(tap.Channels)} features)"));
        return null;
    }

    /// <summary>LUCID021 unless the count (its default when not written) lies in [1, channels of the tap].</summary>
    private static void Count(ModelSchemaSpec schema, TapSpec? tap, AttributeSpec panel, string setting, int fallback, string owner, List<DiagnosticInfo> d)
    {
        if (tap is null) return;
        int count = panel.Int(setting, fallback);
        if (count < 1 || count > tap.Channels)
            d.Add(DiagnosticInfo.Create(Diagnostics.CountOutOfRange, panel.Where(setting), $"{owner} {setting}", Names.Int(count), tap.Name, schema.Name, Names.Int(tap.Channels)));
    }
}
