using System.Collections.Generic;
using System.Linq;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;

namespace Lucid.Dsl.Generators.Emitting;

/// <summary>A model binding: constants for the input and every tap, the label enum, and <c>Load()</c>.</summary>
internal static class ModelEmitter
{
    public static string Emit(ModelBindingSpec binding, ModelSchemaSpec? schema)
    {
        return TypeEmitter.Write(binding.Type, null, w =>
        {
            w.Member($"The schema this binding was generated from (relative to the project).", $"public const string SchemaPath = {Names.Literal(binding.SchemaPath)};");
            w.Line();
            w.Summary("Loads the model: finds the schema under the application directory, the working directory or one of their parents, then the weights beside it (an .onnx file, or .safetensors for a bundled architecture), and checks them against the schema.");
            w.Line(TypeEmitter.GeneratedCode);
            w.Line("public static global::Lucid.Models.Graph.Model Load() => global::Lucid.Models.ModelFiles.LoadBesideSchema(global::Lucid.Models.ModelFiles.Find(SchemaPath));");
            w.Line();
            w.Summary("Loads the model whose schema is at the given path (weights beside it).");
            w.Line("/// <param name=\"schemaPath\">The schema file.</param>");
            w.Line(TypeEmitter.GeneratedCode);
            w.Line("public static global::Lucid.Models.Graph.Model Load(string schemaPath) => global::Lucid.Models.ModelFiles.LoadBesideSchema(schemaPath);");
            w.Line();
            w.Summary("Checks that a model made in code (a TorchSharp module through TorchModels.Import or Wrap, a network built by hand) is the one this binding was generated from — the schema's input, taps (names, kinds, shapes) and labels — and returns it.");
            w.Param("model", "The model.");
            w.Line(TypeEmitter.GeneratedCode);
            w.Open("public static global::Lucid.Models.Graph.Model Bind(global::Lucid.Models.Graph.Model model)");
            w.Line("var path = global::Lucid.Models.ModelFiles.Find(SchemaPath);");
            w.Line("global::Lucid.Models.Graph.ModelSchema.Load(path).Verify(model, path);");
            w.Line("return model;");
            w.Close();
            if (schema is null) return;
            w.Line();
            w.Member("The model's name in its schema.", $"public const string Name = {Names.Literal(schema.Name)};");
            if (schema.InputShape.Count == 3)
            {
                w.Member("Input channels.", $"public const int InputChannels = {Names.Int(schema.InputShape[0])};");
                w.Member("Input height in pixels.", $"public const int InputHeight = {Names.Int(schema.InputShape[1])};");
                w.Member("Input width in pixels.", $"public const int InputWidth = {Names.Int(schema.InputShape[2])};");
            }
            if (schema.Taps.Count > 0)
            {
                w.Member("The output tap (class objectives and attributions read it).", $"public const string OutputTap = {Names.Literal(schema.Taps[schema.Taps.Count - 1].Name)};");
            }
            EmitLabels(w, schema);
            EmitTaps(w, schema);
        });
    }

    private static void EmitLabels(SourceWriter w, ModelSchemaSpec schema)
    {
        w.Line();
        w.Summary("The class labels, in output order.");
        w.Open("public enum Label");
        var names = Names.DistinctPascal(schema.Labels, new HashSet<string>());
        for (int i = 0; i < names.Length; i++)
        {
            w.Summary($"'{schema.Labels[i]}' (output {i}).");
            w.Line($"{names[i]} = {Names.Int(i)},");
        }
        w.Close();
        w.Line();
        w.Summary("The label strings, in output order.");
        w.Line("public static global::System.Collections.Generic.IReadOnlyList<string> Labels { get; } = new string[]");
        w.Line("{");
        foreach (var label in schema.Labels) w.Line("    " + Names.Literal(label) + ",");
        w.Line("};");
        w.Line();
        w.Summary("The label string of a class.");
        w.Line("/// <param name=\"label\">The class.</param>");
        w.Line("public static string LabelName(Label label) => Labels[(int)label];");
    }

    private static void EmitTaps(SourceWriter w, ModelSchemaSpec schema)
    {
        w.Line();
        w.Summary("Every tap of the model, in topological order: name, kind, channel count and spatial size as constants.");
        w.Open("public static class Taps");
        var names = Names.DistinctPascal(schema.Taps.Select(t => t.Name).ToList(), new HashSet<string> { "All", "Taps" });
        for (int i = 0; i < names.Length; i++)
        {
            var tap = schema.Taps[i];
            w.Summary($"'{tap.Name}' ({tap.Kind}, [{string.Join(", ", tap.Shape)}]).");
            w.Open($"public static class {names[i]}");
            w.Line($"public const string Name = {Names.Literal(tap.Name)};");
            w.Line($"public const string Kind = {Names.Literal(tap.Kind)};");
            w.Line($"public const int Channels = {Names.Int(tap.Channels)};");
            w.Line($"public const int Height = {Names.Int(tap.Height)};");
            w.Line($"public const int Width = {Names.Int(tap.Width)};");
            w.Line($"public static global::Lucid.Dsl.TapInfo Info {{ get; }} = new(Name, Kind, Channels, Height, Width);");
            w.Close();
        }
        w.Line();
        w.Summary("All taps, in topological order.");
        w.Line("public static global::System.Collections.Generic.IReadOnlyList<global::Lucid.Dsl.TapInfo> All { get; } = new global::Lucid.Dsl.TapInfo[]");
        w.Line("{");
        foreach (var name in names) w.Line($"    {name}.Info,");
        w.Line("};");
        w.Close();
    }
}
