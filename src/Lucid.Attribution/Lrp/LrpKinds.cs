namespace Lucid.Attribution;

/// <summary>
/// The op and layer kinds LRP assigns rules to, named in one place: Lucid's engine, Lucid.TorchSharp's native LRP and
/// the DSL generator's validator (which compiles this file too) read them from here.
/// </summary>
internal static class LrpKinds
{
    public const string Conv2d = "conv2d";
    public const string Linear = "linear";
    public const string AvgPool2d = "avg_pool2d";
    public const string AdaptiveAvgPool2d = "adaptive_avg_pool2d";
    /// <summary>The layer kind of ONNX's GlobalAveragePool (its node computes adaptive average pooling).</summary>
    public const string GlobalAvgPool2d = "global_avg_pool2d";

    /// <summary>Ops computed as z = W·x (+ b) that a rule redistributes through (pooling has fixed non-negative weights).</summary>
    public static bool IsRuleOp(string op) => op is Conv2d or Linear or AvgPool2d or AdaptiveAvgPool2d;

    /// <summary>Layer kinds whose nodes compute a rule op (what a rule may be assigned to by name).</summary>
    public static bool IsRuleLayer(string kind) => IsRuleOp(kind) || kind == GlobalAvgPool2d;

    /// <summary>Layers with weights and a bias: the input layer of a composite, and what a batch norm merges into.</summary>
    public static bool HasWeights(string kind) => kind is Conv2d or Linear;
}
