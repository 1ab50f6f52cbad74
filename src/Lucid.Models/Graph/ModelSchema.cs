using Lucid.Tensors;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lucid.Models.Graph;

/// <summary>
/// One tap of a schema: name, layer kind, output shape without batch (C, H, W) or (F), and the taps it reads (absent
/// for the input and in schemas written before inputs were recorded; the DSL generator uses them to check that an
/// attribution layer lies upstream of its target).
/// </summary>
public sealed record TapSchema(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("shape")] int[] Shape,
    [property: JsonPropertyName("inputs"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string[]? Inputs = null);

/// <summary>
/// The compile-time contract of a model (what the DSL generator reads): input shape and value range, every tap in
/// topological order with its kind and shape, and the class labels. Serialized as <c>&lt;name&gt;.schema.json</c>,
/// format "lucid-model-schema", version 1.
/// </summary>
public sealed record ModelSchema(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("input")] InputSchema Input,
    [property: JsonPropertyName("taps")] TapSchema[] Taps,
    [property: JsonPropertyName("labels")] string[] Labels)
{
    public const string FormatName = "lucid-model-schema";
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static ModelSchema From(Model model) => new(FormatName, CurrentVersion, model.Name,
        InputSchema.From(model.Input),
        new[] { new TapSchema("input", "input", model.Input.Shape) }
            .Concat(model.Nodes.Select(n => new TapSchema(n.Name, n.Layer.Kind, n.OutputShape, n.Inputs))).ToArray(),
        model.Labels.ToArray());

    public string ToJson() => JsonSerializer.Serialize(this, Options).Replace("\r\n", "\n") + "\n";

    public void Save(string path) => AtomicFile.Write(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(ToJson())));

    /// <summary>
    /// Checks that this schema describes <paramref name="model"/>: same input, and every tap with the same kind and
    /// shape, in the same order. A schema that does not match its weights' architecture is reported naming the file
    /// and the first differing tap.
    /// </summary>
    public void Verify(Model model, string? path = null)
    {
        var actual = From(model);
        if (!Input.Shape.SequenceEqual(actual.Input.Shape))
            throw new ModelFormatException(path, $"schema input shape {Shapes.Format(Input.Shape)} does not match model '{model.Name}' ({Shapes.Format(actual.Input.Shape)}).");
        for (int i = 0; i < Math.Max(Taps.Length, actual.Taps.Length); i++)
        {
            var expected = i < Taps.Length ? Taps[i] : null;
            var found = i < actual.Taps.Length ? actual.Taps[i] : null;
            if (expected is null || found is null || expected.Name != found.Name || expected.Kind != found.Kind || !expected.Shape.SequenceEqual(found.Shape))
                throw new ModelFormatException(path, $"schema tap {i} is {Describe(expected)} but model '{model.Name}' has {Describe(found)}.");
        }
        if (!Labels.SequenceEqual(actual.Labels))
            throw new ModelFormatException(path, $"schema labels do not match model '{model.Name}' ({Labels.Length} vs {actual.Labels.Length}).");
    }

    private static string Describe(TapSchema? t) => t is null ? "nothing" : $"'{t.Name}' ({t.Kind}, {Shapes.Format(t.Shape)})";

    public static ModelSchema Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, $"cannot read model schema: {e.Message}", e);
        }
        return Parse(text, path);
    }

    public static ModelSchema Parse(string json, string? path = null)
    {
        ModelSchema? schema;
        try { schema = JsonSerializer.Deserialize<ModelSchema>(json, Options); }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, $"model schema is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }
        if (schema is null || schema.Format != FormatName)
            throw new ModelFormatException(path, $"not a model schema: 'format' must be \"{FormatName}\".");
        if (schema.Version != CurrentVersion)
            throw new ModelFormatException(path, $"model schema version {schema.Version} is not supported (expected {CurrentVersion}).");
        if (schema.Taps is null || schema.Taps.Length == 0 || schema.Input?.Shape is null || schema.Labels is null)
            throw new ModelFormatException(path, "model schema lacks 'input', 'taps' or 'labels'.");
        foreach (var tap in schema.Taps)
            if (string.IsNullOrEmpty(tap.Name) || tap.Shape is null || tap.Shape.Any(d => d <= 0))
                throw new ModelFormatException(path, $"model schema tap '{tap.Name}' has no name or a non-positive dimension.");
        return schema;
    }
}

/// <summary>
/// The input contract of a schema: shape (C, H, W) of the RGB [0, 1] pixels callers feed, and what the network sees —
/// "range" [min, max], "order" ("bgr"; absent for RGB), per-channel "mean" and "std" in the network's order and range.
/// </summary>
public sealed record InputSchema(
    [property: JsonPropertyName("shape")] int[] Shape,
    [property: JsonPropertyName("range")] float[] Range,
    [property: JsonPropertyName("mean"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float[]? Mean = null,
    [property: JsonPropertyName("std"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float[]? Std = null,
    [property: JsonPropertyName("order"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Order = null)
{
    public static InputSchema From(ModelInput input) => new(input.Shape, new[] { input.Min, input.Max }, input.Mean, input.Std,
        input.Order == ChannelOrder.Bgr ? "bgr" : null);

    /// <summary>The contract this schema states (checked as a model's input is).</summary>
    public ModelInput ToModelInput(string model, string? path = null)
    {
        if (Range is not { Length: 2 })
            throw new ModelFormatException(path, "model schema input 'range' must be [min, max].");
        var order = Order switch
        {
            null or "rgb" => ChannelOrder.Rgb,
            "bgr" => ChannelOrder.Bgr,
            _ => throw new ModelFormatException(path, $"model schema input 'order' must be \"rgb\" or \"bgr\", got \"{Order}\"."),
        };
        var input = new ModelInput(Shape, Range[0], Range[1], Mean, Std, order);
        try { input.Validate(model); }
        catch (ModelException e) { throw new ModelFormatException(path, e.Message, e); }
        return input;
    }
}
