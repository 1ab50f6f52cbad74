using System.Linq;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;

namespace Lucid.Dsl.Generators.Emitting;

/// <summary>An interface layout: its title and rows, and typed <c>Parts</c>, <c>Layout</c> and <c>Write</c>.</summary>
internal static class InterfaceEmitter
{
    private const string I = "global::Lucid.Interfaces";
    private const string Parameters = "global::Lucid.Models.Graph.Model model, global::Lucid.Tensors.Tensor image";

    public static string Emit(InterfaceSpec layout)
    {
        var settings = layout.Settings;
        var rows = layout.Rows();
        return TypeEmitter.Write(layout.Type, null, w =>
        {
            w.Member("The layout's title.", $"public const string Title = {Names.Literal(settings.Title ?? layout.Type.Name)};");
            w.Member("Feature-visualization steps of every icon.", $"public const int IconSteps = {Names.Int(settings.IconSteps.Value)};");
            w.Summary("Each panel's row, in the order the panels are declared.");
            w.Line($"public static global::System.Collections.Generic.IReadOnlyList<int> Rows {{ get; }} = new int[] {{ {string.Join(", ", rows.Select(Names.Int))} }};");
            w.Line();
            w.Summary("Every panel of the layout for one image, in the order declared.");
            w.Line("/// <param name=\"model\">The model the layout was declared on.</param>");
            w.Line("/// <param name=\"image\">One image [1, C, H, W] of the model's input size.</param>");
            w.Line("/// <param name=\"seed\">Seeds the factorizations and every icon.</param>");
            w.Line(TypeEmitter.GeneratedCode);
            w.Open($"public static global::System.Collections.Generic.IReadOnlyList<{I}.ReportPart> Parts({Parameters}, ulong seed = 1)");
            w.Line($"{I}.Panels.CheckImage(model, image);");
            w.Line($"return new {I}.ReportPart[]");
            w.Line("{");
            foreach (var panel in layout.Panels) w.Line("    " + Call(panel) + ",");
            w.Line("};");
            w.Close();
            w.Line();
            w.Summary("The whole layout as one figure: the panels of a row side by side, rows top to bottom.");
            w.Line(TypeEmitter.GeneratedCode);
            w.Line($"public static {I}.Figures.Figure Layout({Parameters}, ulong seed = 1) => {I}.Panels.Layout(Title, Parts(model, image, seed), Rows);");
            w.Line();
            w.Summary("Writes each panel and the whole layout (layout.svg) as SVG and PNG, and the layout as an interactive page, into the directory (each file atomically); returns the page's path.");
            w.Line(TypeEmitter.GeneratedCode);
            w.Open($"public static string Write({Parameters}, string directory, ulong seed = 1, string page = \"index.html\")");
            w.Line("var parts = Parts(model, image, seed);");
            w.Line($"var layout = {I}.Panels.Layout(Title, parts, Rows);");
            w.Line($"var path = {I}.BuildingBlocksReport.Write(Title, parts, directory, page, pageFigure: layout);");
            w.Line($"{I}.Figures.Svg.Save(layout, global::System.IO.Path.Combine(directory, \"layout.svg\"));");
            w.Line($"{I}.Figures.FigurePng.Save(layout, global::System.IO.Path.Combine(directory, \"layout.png\"));");
            w.Line("return path;");
            w.Close();
        });
    }

    private static string Call(PanelSpec panel)
    {
        var p = panel.Settings;
        static string Tap(Arg<string?> tap) => Names.Literal(tap.Value ?? "");
        string label = p.Class.Value is { } name ? Names.Literal(name) : "null";
        string groups = Names.Int(p.Groups.Value);
        return panel.Kind switch
        {
            "NeuronGroupsPanel" => $"{I}.Panels.NeuronGroups(model, image, {Tap(p.Tap)}, {groups}, IconSteps, seed)",
            "GroupFlowPanel" => $"{I}.Panels.GroupFlow(model, image, {Tap(p.From)}, {Tap(p.To)}, {groups}, {groups}, IconSteps, seed)",
            "ActivationGridPanel" => $"{I}.Panels.ActivationGrid(model, image, {Tap(p.Tap)}, IconSteps, {Names.FloatLiteral(p.SharedWeight.Value)}, seed)",
            "SemanticDictionaryPanel" => $"{I}.Panels.SemanticDictionary(model, image, {Tap(p.Tap)}, {label}, {Names.Int(p.Top.Value)}, IconSteps, seed)",
            "ChannelAttributionPanel" => $"{I}.Panels.ChannelAttribution(model, image, {Tap(p.Tap)}, {label}, {Names.Int(p.Top.Value)}, IconSteps, seed)",
            "SpatialAttributionPanel" => $"{I}.Panels.SpatialAttribution(model, image, {Tap(p.From)}, {Tap(p.To)})",
            _ => $"throw new global::Lucid.LucidArgumentException(\"panel\", {Names.Literal($"interface panel [{panel.Kind}] is not known to this version of Lucid.Dsl.")})",
        };
    }
}
