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
        var a = layout.Attribute;
        var rows = layout.Rows();
        return TypeEmitter.Write(layout.Type, null, w =>
        {
            w.Summary("The layout's title.");
            w.Line($"public const string Title = {Names.Literal(a.String("Title") ?? layout.Type.Name)};");
            w.Summary("Feature-visualization steps of every icon.");
            w.Line($"public const int IconSteps = {Names.Int(a.Int("IconSteps", 128))};");
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

    private static string Call(AttributeSpec panel)
    {
        string Tap(string name) => Names.Literal(panel.String(name) ?? "");
        string Label() => panel.String("Class") is { } label ? Names.Literal(label) : "null";
        return panel.Name switch
        {
            "NeuronGroupsPanel" => $"{I}.Panels.NeuronGroups(model, image, {Tap("tap")}, {Names.Int(panel.Int("Groups", 4))}, IconSteps, seed)",
            "GroupFlowPanel" => $"{I}.Panels.GroupFlow(model, image, {Tap("from")}, {Tap("to")}, {Names.Int(panel.Int("Groups", 4))}, {Names.Int(panel.Int("Groups", 4))}, IconSteps, seed)",
            "ActivationGridPanel" => $"{I}.Panels.ActivationGrid(model, image, {Tap("tap")}, IconSteps, {Names.FloatLiteral(panel.Double("SharedWeight", 1.0))}, seed)",
            "SemanticDictionaryPanel" => $"{I}.Panels.SemanticDictionary(model, image, {Tap("tap")}, {Label()}, {Names.Int(panel.Int("Top", 3))}, IconSteps, seed)",
            "ChannelAttributionPanel" => $"{I}.Panels.ChannelAttribution(model, image, {Tap("tap")}, {Label()}, {Names.Int(panel.Int("Top", 4))}, IconSteps, seed)",
            "SpatialAttributionPanel" => $"{I}.Panels.SpatialAttribution(model, image, {Tap("from")}, {Tap("to")})",
            _ => $"throw new global::Lucid.LucidArgumentException(\"panel\", {Names.Literal($"interface panel [{panel.Name}] is not known to this version of Lucid.Dsl.")})",
        };
    }
}
