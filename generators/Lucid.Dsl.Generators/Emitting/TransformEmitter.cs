using System.Globalization;
using System.Linq;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;

namespace Lucid.Dsl.Generators.Emitting;

/// <summary>A transform set: <c>Create()</c> composing its steps in the order written.</summary>
internal static class TransformEmitter
{
    private const string T = "global::Lucid.Optvis.Transform";

    public static string Emit(TransformSetSpec set) => TypeEmitter.Write(set.Type, null, w =>
    {
        w.Summary("The transforms, applied left to right: " + (set.Steps.Count == 0 ? "none" : string.Join(", ", set.Steps.Select(s => s.Name))) + ".");
        w.Line(TypeEmitter.GeneratedCode);
        w.Line($"public static {T} Create() => {T}.Compose(");
        for (int i = 0; i < set.Steps.Count; i++) w.Line("    " + Step(set.Steps[i]) + (i + 1 < set.Steps.Count ? "," : ""));
        w.Line(");");
    });

    private static string Doubles(ArgSpec? arg) =>
        string.Join(", ", (arg?.Items ?? EquatableArray<string>.Empty).Select(x => Names.Literal(double.Parse(x, CultureInfo.InvariantCulture))));

    private static string Step(AttributeSpec s) => s.Name switch
    {
        "Pad" => $"{T}.Pad({Names.Int(s.Int("width", 0))}, global::Lucid.Optvis.PadKind.{s.String("Mode") ?? "Constant"}, {Names.FloatLiteral(s.Double("Value", 0.5))})",
        "Jitter" => $"{T}.Jitter({Names.Int(s.Int("pixels", 1))})",
        "Roll" => $"{T}.Roll({Names.Int(s.Int("pixels", 0))})",
        "RandomScale" => $"{T}.RandomScale({Doubles(s.Get("scales"))})",
        "RandomRotate" => $"{T}.RandomRotate({Doubles(s.Get("degrees"))})",
        "CropOrPadTo" => $"{T}.CropOrPadTo({Names.Int(s.Int("height", 1))}, {Names.Int(s.Int("width", 1))})",
        "Noise" => $"{T}.Noise({Names.FloatLiteral(s.Double("sigma", 0))})",
        "RandomCrops" => $"{T}.RandomCrops({Names.Int(s.Int("count", 1))}, {Names.Literal(s.Double("minBox", 0.5))}, {Names.Literal(s.Double("maxBox", 1))}, {Names.Int(s.Int("size", 1))})",
        "NormalizeGradient" => $"{T}.NormalizeGradient()",
        "CollapseAlpha" => $"{T}.CollapseAlpha({Names.FloatLiteral(s.Double("Sd", 0.5))})",
        "StandardTransforms" => $"{T}.Standard",
        _ => $"{T}.None",
    };
}
