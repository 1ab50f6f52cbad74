using System.Globalization;
using System.Linq;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;

namespace Lucid.Dsl.Generators.Emitting;

/// <summary>A render plan: its settings as constants and typed <c>Run</c> methods.</summary>
internal static class RenderEmitter
{
    public static string Emit(ResolvedRender resolved, bool torchSharp = false)
    {
        var render = resolved.Render;
        var settings = render.Settings;
        var result = $"global::Lucid.Dsl.RenderResult<{resolved.ImageFqn}>";
        const string Model = "global::Lucid.Models.Graph.Model";
        const string Progress = "global::System.IProgress<global::Lucid.Optvis.RenderProgress>?";
        const string Token = "global::System.Threading.CancellationToken";
        string magnitudeParameter = resolved.ImageIsMaco ? "global::Lucid.Tensors.Tensor magnitude, " : "";
        string magnitudeArgument = resolved.ImageIsMaco ? "magnitude, " : "";
        return TypeEmitter.Write(render.Type, null, w =>
        {
            w.Member("Optimization steps.", $"public const int Steps = {Names.Int(settings.Steps.Value)};");
            w.Member("Adam's learning rate.", $"public const double LearningRate = {Names.Literal(settings.LearningRate.Value)};");
            w.Member("The seed used when none is given.", $"public const ulong DefaultSeed = {settings.Seed.ToString(CultureInfo.InvariantCulture)}UL;");
            w.Line();
            w.Summary($"Renders {Short(resolved.ObjectiveFqn)} on {Short(resolved.ImageFqn)}.");
            w.Param("model", "The model (its taps must be those the objective was checked against).");
            if (resolved.ImageIsMaco) w.Param("magnitude", "MACO's fixed magnitude spectrum.");
            RunParameters(w, "Seeds the initial image and every transform draw (default: <see cref=\"DefaultSeed\"/>); the same seed gives the same bits.");
            w.Open($"public static {result} Run({Model} model, {magnitudeParameter}ulong? seed = null, {Progress} progress = null, {Token} cancellationToken = default)");
            Prepare(w, resolved, magnitudeArgument);
            w.Line($"return new {result}(global::Lucid.Optvis.Renderer.Render(model, objective, image, options));");
            w.Close();
            w.Line();
            w.Summary("The render's settings as declared.");
            w.Line(TypeEmitter.GeneratedCode);
            w.Open($"private static global::Lucid.Optvis.RenderOptions CreateRenderOptions(ulong s, {Progress} progress, {Token} cancellationToken)");
            Options(w, settings, resolved);
            w.Line("return options;");
            w.Close();
            if (torchSharp && !resolved.ImageIsMaco)
            {
                const string Torch = "global::Lucid.TorchSharp";
                w.Line();
                w.Summary($"Renders {Short(resolved.ObjectiveFqn)} on {Short(resolved.ImageFqn)} natively in TorchSharp: the image, transforms, objective and Adam are TorchSharp tensors on the module's device.");
                w.Param("model", "The TorchSharp model (its taps are those the objective was checked against when its schema is the one bound).");
                RunParameters(w, "Seeds the initial image and every transform draw (default: <see cref=\"DefaultSeed\"/>).");
                w.Open($"public static {Torch}.TorchRenderResult Run({Torch}.TorchModel model, ulong? seed = null, {Progress} progress = null, {Token} cancellationToken = default)");
                Prepare(w, resolved, "");
                w.Line($"return {Torch}.TorchRender.Render(model, objective, image, options);");
                w.Close();
            }
            if (resolved.ModelFqn is { } modelFqn)
            {
                w.Line();
                w.Summary($"Loads {Short(modelFqn)} and renders on it.");
                if (resolved.ImageIsMaco) w.Line("/// <param name=\"magnitude\">MACO's fixed magnitude spectrum.</param>");
                w.Line("/// <param name=\"seed\">Seeds the initial image and every transform draw.</param>");
                w.Line("/// <param name=\"progress\">Receives the objective after each step.</param>");
                w.Line("/// <param name=\"cancellationToken\">Stops the render early.</param>");
                w.Line(TypeEmitter.GeneratedCode);
                w.Line($"public static {result} Run({magnitudeParameter}ulong? seed = null, {Progress} progress = null, {Token} cancellationToken = default) =>");
                w.Line($"    Run({modelFqn}.Load(), {magnitudeArgument}seed, progress, cancellationToken);");
            }
        });
    }

    public static string EmitVital(VitalSpec vital)
    {
        var settings = vital.Settings;
        return TypeEmitter.Write(vital.Type, null, w =>
        {
            w.Member("The class rendered.", $"public const string Label = {Names.Literal(settings.Label.Value ?? "")};");
            w.Member("Optimization steps.", $"public const int Steps = {Names.Int(settings.Steps.Value)};");
            w.Summary("The layers whose feature distributions are matched.");
            w.Line($"public static global::System.Collections.Generic.IReadOnlyList<string> Taps {{ get; }} = new string[] {{ {string.Join(", ", (settings.Taps.Value ?? EquatableArray<string>.Empty).Select(Names.Literal))} }};");
            w.Line();
            w.Summary("VITAL: renders the class by sort-matching the image's feature distributions to those of the reference images.");
            w.Param("model", "The model.");
            w.Line("/// <param name=\"classImages\">Reference images of the class, [N, C, H, W].</param>");
            w.Line("/// <param name=\"seed\">Seeds the start image and the jitter.</param>");
            w.Line(TypeEmitter.GeneratedCode);
            w.Line("public static global::Lucid.Optvis.RenderResult Run(global::Lucid.Models.Graph.Model model, global::Lucid.Tensors.Tensor classImages, ulong? seed = null) =>");
            w.Line($"    global::Lucid.Optvis.Vital.RenderClass(model, classImages, Taps, steps: Steps, learningRate: {Names.FloatLiteral(settings.LearningRate.Value)}, " +
                   $"seed: seed ?? {settings.Seed.ToString(CultureInfo.InvariantCulture)}UL, totalVariation: {Names.Literal(settings.TotalVariation)});");
        });
    }

    /// <summary>The seed, progress and cancellation parameters' docs, and the generated-code attribute.</summary>
    private static void RunParameters(SourceWriter w, string seed)
    {
        w.Param("seed", seed);
        w.Param("progress", "Receives the objective after each step.");
        w.Param("cancellationToken", "Stops the render early; the result then holds the latest image.");
        w.Line(TypeEmitter.GeneratedCode);
    }

    /// <summary>A Run's locals: the seed, the objective, the image (disposed with the scope) and the options.</summary>
    private static void Prepare(SourceWriter w, ResolvedRender resolved, string magnitudeArgument)
    {
        w.Line("ulong s = seed ?? DefaultSeed;");
        w.Line($"var objective = new {resolved.ObjectiveFqn}().ToObjective();");
        w.Line($"using var image = {resolved.ImageFqn}.Create({magnitudeArgument}s);");
        w.Line("var options = CreateRenderOptions(s, progress, cancellationToken);");
    }

    /// <summary>The render's options, as a local <c>options</c>.</summary>
    private static void Options(SourceWriter w, RenderSettings settings, ResolvedRender resolved)
    {
        w.Line("var options = new global::Lucid.Optvis.RenderOptions");
        w.Line("{");
        w.Line("    Steps = Steps,");
        w.Line($"    LearningRate = {Names.FloatLiteral(settings.LearningRate.Value)},");
        w.Line($"    Beta1 = {Names.FloatLiteral(settings.Beta1)},");
        w.Line($"    Beta2 = {Names.FloatLiteral(settings.Beta2)},");
        if (settings.NoTransforms) w.Line("    Transforms = global::Lucid.Optvis.Transform.None,");
        else if (resolved.TransformsFqn is { } transforms) w.Line($"    Transforms = {transforms}.Create(),");
        else w.Line("    Transforms = global::Lucid.Optvis.Transform.Standard,");
        if (settings.Thresholds.Value is { } thresholds)
            w.Line($"    Thresholds = new int[] {{ {string.Join(", ", thresholds.Select(Names.Int))} }},");
        w.Line("    Seed = s,");
        w.Line($"    RedirectRelu = {(settings.RedirectRelu ? "true" : "false")},");
        w.Line("    Progress = progress,");
        w.Line("    Cancellation = cancellationToken,");
        w.Line("};");
    }

    private static string Short(string fqn) => fqn.Replace("global::", "");
}
