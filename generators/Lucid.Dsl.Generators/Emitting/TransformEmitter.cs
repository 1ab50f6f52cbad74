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
        w.Summary("The transforms, applied left to right: " + (set.Steps.Count == 0 ? "none" : string.Join(", ", set.Steps.Select(s => s.Kind))) + ".");
        w.Line(TypeEmitter.GeneratedCode);
        w.Line($"public static {T} Create() => {T}.Compose(");
        for (int i = 0; i < set.Steps.Count; i++) w.Line("    " + Step(set.Steps[i]) + (i + 1 < set.Steps.Count ? "," : ""));
        w.Line(");");
    });

    private static string Doubles(Arg<EquatableArray<double>?> values) =>
        string.Join(", ", (values.Value ?? EquatableArray<double>.Empty).Select(Names.Literal));

    private static string Step(TransformStepSpec step)
    {
        var t = step.Settings;
        return step.Kind switch
        {
            "Pad" => $"{T}.Pad({Names.Int(t.Width.Value)}, global::Lucid.Optvis.PadKind.{t.Mode}, {Names.FloatLiteral(t.Value)})",
            "Jitter" => $"{T}.Jitter({Names.Int(t.Pixels.Value)})",
            "Roll" => $"{T}.Roll({Names.Int(t.Pixels.Value)})",
            "RandomScale" => $"{T}.RandomScale({Doubles(t.Scales)})",
            "RandomRotate" => $"{T}.RandomRotate({Doubles(t.Degrees)})",
            "CropOrPadTo" => $"{T}.CropOrPadTo({Names.Int(t.Height.Value)}, {Names.Int(t.Width.Value)})",
            "Noise" => $"{T}.Noise({Names.FloatLiteral(t.Sigma)})",
            "RandomCrops" => $"{T}.RandomCrops({Names.Int(t.Count.Value)}, {Names.Literal(t.MinBox)}, {Names.Literal(t.MaxBox)}, {Names.Int(t.Size.Value)})",
            "NormalizeGradient" => $"{T}.NormalizeGradient()",
            "CollapseAlpha" => $"{T}.CollapseAlpha({Names.FloatLiteral(t.Sd)})",
            "StandardTransforms" => $"{T}.Standard",
            _ => $"{T}.None",
        };
    }
}
