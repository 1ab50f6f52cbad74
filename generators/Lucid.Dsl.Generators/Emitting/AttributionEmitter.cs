using System.Globalization;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;

namespace Lucid.Dsl.Generators.Emitting;

/// <summary>An attribution pipeline: its target and a typed <c>Attribute(model, images)</c>.</summary>
internal static class AttributionEmitter
{
    private const string A = "global::Lucid.Attribution";

    public static string Emit(AttributionSpec attribution, bool torchSharp = false)
    {
        var a = attribution.Settings;
        bool lrp = attribution.Method is "Lrp" or "DeepTaylor";
        string resultType = lrp ? $"{A}.LrpResult" : $"{A}.AttributionResult";
        return TypeEmitter.Write(attribution.Type, null, w =>
        {
            w.Summary("What is explained.");
            w.Line($"public static {A}.AttributionTarget Target {{ get; }} = {Target(a)};");
            if (a.Layer.Value is { } layer)
            {
                w.Member("The layer explained by layer methods and CAMs.", $"public const string Layer = {Names.Literal(layer)};");
            }
            w.Line();
            w.Summary($"{attribution.Method} attribution of the target for a batch of images.");
            w.Param("model", "The model.");
            w.Param("images", "Inputs, [N, C, H, W] in the model's input range.");
            w.Line(TypeEmitter.GeneratedCode);
            w.Open($"public static {resultType} Attribute(global::Lucid.Models.Graph.Model model, global::Lucid.Tensors.Tensor images)");
            if (lrp)
            {
                if (attribution.Rules.Count > 0) Rules(w, attribution);
                w.Line(attribution.Method == "DeepTaylor"
                    ? $"return new {A}.DeepTaylor().Attribute(model, images, Target);"
                    : $"return new {A}.CompositeLrp {{ Composite = {A}.LrpComposite.{a.Composite}{(attribution.Rules.Count > 0 ? ", Rules = rules" : "")} }}.Attribute(model, images, Target);");
            }
            else w.Line("return " + Call(attribution) + ";");
            w.Close();
            if (torchSharp && TorchCall(attribution) is { } native)
            {
                const string Torch = "global::Lucid.TorchSharp";
                w.Line();
                w.Summary($"{attribution.Method} attribution natively in TorchSharp: the map is a TorchSharp tensor on the module's device.");
                w.Param("model", "The TorchSharp model.");
                w.Param("images", "Pixels, [N, C, H, W] RGB in [0, 1], on the model's device.");
                w.Line(TypeEmitter.GeneratedCode);
                w.Open($"public static {Torch}.TorchAttributionResult Attribute({Torch}.TorchModel model, global::TorchSharp.torch.Tensor images)");
                if (attribution.Method == "Lrp" && attribution.Rules.Count > 0) Rules(w, attribution);
                w.Line("return " + native + ";");
                w.Close();
            }
        });
    }

    /// <summary>The declaration's [LrpRule]s as a local <c>rules</c> dictionary by tap.</summary>
    private static void Rules(SourceWriter w, AttributionSpec attribution)
    {
        w.Line($"var rules = new global::System.Collections.Generic.Dictionary<string, {A}.LrpRule>");
        w.Line("{");
        foreach (var (rule, _) in attribution.RuleSettings) w.Line($"    [{Names.Literal(rule.Tap.Value ?? "")}] = {Rule(rule)},");
        w.Line("};");
    }

    /// <summary>The native TorchSharp call for methods path (b) runs (gradients, IG, LRP), or null.</summary>
    private static string? TorchCall(AttributionSpec attribution)
    {
        const string T = "global::Lucid.TorchSharp.TorchAttribution";
        var a = attribution.Settings;
        string baseline = a.Baseline is "Black" or "Zero"
            ? "null"
            : $"global::Lucid.TorchSharp.TorchTensors.ToTorch({Baseline(a)}.For(model.View, global::Lucid.TorchSharp.TorchTensors.ToLucid(images)), model.Device)";
        return attribution.Method switch
        {
            "Saliency" => $"{T}.Saliency(model, images, Target)",
            "InputXGradient" => $"{T}.InputXGradient(model, images, Target)",
            "IntegratedGradients" => $"{T}.IntegratedGradients(model, images, Target, {baseline}, steps: {Names.Int(a.Steps.Value)})",
            "Lrp" => $"{T}.Lrp(model, images, Target, {T}.Rules(model, {A}.LrpComposite.{a.Composite}{(attribution.Rules.Count > 0 ? ", rules" : "")}))",
            "DeepTaylor" => $"{T}.DeepTaylor(model, images, Target)",
            _ => null,
        };
    }

    private static string Target(AttributionSettings a)
    {
        if (a.Class.Value is { } label) return $"{A}.AttributionTarget.Class({Names.Literal(label)})";
        var tap = Names.Literal(a.TargetTap.Value ?? "");
        int channel = System.Math.Max(a.TargetChannel.Value, 0), x = a.TargetX.Value, y = a.TargetY.Value;
        return x >= 0 && y >= 0
            ? $"{A}.AttributionTarget.Neuron({tap}, {Names.Int(channel)}, {Names.Int(y)}, {Names.Int(x)})"
            : $"{A}.AttributionTarget.Channel({tap}, {Names.Int(channel)})";
    }

    private static string Baseline(AttributionSettings a) => a.Baseline switch
    {
        "Zero" => $"{A}.Baseline.Zero",
        "Blurred" => $"{A}.Baseline.Blurred()",
        "UniformNoise" => $"{A}.Baseline.UniformNoise()",
        "DatasetMean" => $"{A}.Baseline.DatasetMean()",
        _ => $"{A}.Baseline.Black",
    };

    private static string Call(AttributionSpec attribution)
    {
        var a = attribution.Settings;
        string steps = Names.Int(a.Steps.Value);
        string layer = Names.Literal(a.Layer.Value ?? "");
        string Run(string method) => $"new {A}.{method}.Attribute(model, images, Target)";
        return attribution.Method switch
        {
            "Saliency" => Run("Saliency()"),
            "InputXGradient" => Run("InputXGradient()"),
            "IntegratedGradients" => Run($"IntegratedGradients {{ Baseline = {Baseline(a)}, Steps = {steps} }}"),
            "SmoothGrad" => Run($"NoiseTunnel {{ Method = new {A}.Saliency(), Samples = {steps} }}"),
            "DeepLift" => Run($"DeepLift {{ Baseline = {Baseline(a)} }}"),
            "GuidedBackprop" => Run("GuidedBackprop()"),
            "Deconvnet" => Run("Deconvolution()"),
            "GradCam" => Run($"GradCam {{ Layer = {layer} }}"),
            "GuidedGradCam" => Run($"GuidedGradCam {{ Layer = {layer} }}"),
            "Occlusion" => Run($"Occlusion {{ Window = {Names.Int(a.Window.Value)}, Stride = {Names.Int(a.Stride.Value)} }}"),
            "LayerGradientXActivation" => Run($"LayerGradientXActivation {{ Layer = {layer} }}"),
            "LayerIntegratedGradients" => Run($"LayerIntegratedGradients {{ Layer = {layer}, Steps = {steps} }}"),
            "LayerConductance" => Run($"LayerConductance {{ Layer = {layer}, Baseline = {Baseline(a)}, Steps = {steps} }}"),
            _ => $"throw new global::Lucid.LucidArgumentException(\"method\", {Names.Literal($"attribution method '{attribution.Method}' is not known to this version of Lucid.Dsl.")})",
        };
    }

    private static string Rule(LrpRuleSettings rule)
    {
        double p = rule.Parameter.Value;
        bool has = !double.IsNaN(p);
        return rule.Rule switch
        {
            "Zero" => $"new {A}.LrpZero()",
            "Epsilon" => has ? $"new {A}.LrpEpsilon({Names.FloatLiteral(p)})" : $"new {A}.LrpEpsilon()",
            "Gamma" => has ? $"new {A}.LrpGamma({Names.FloatLiteral(p)})" : $"new {A}.LrpGamma()",
            "ZPlus" => $"new {A}.LrpZPlus()",
            "AlphaBeta" => has ? $"new {A}.LrpAlphaBeta({Names.FloatLiteral(p)}, {Names.FloatLiteral(p - 1)})" : $"new {A}.LrpAlphaBeta()",
            "Flat" => $"new {A}.LrpFlat()",
            "WSquare" => $"new {A}.LrpWSquare()",
            _ => $"{A}.LrpZBox.ForModel(model)",
        };
    }
}
