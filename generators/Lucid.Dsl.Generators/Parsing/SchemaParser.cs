using System;
using System.Collections.Generic;
using System.Linq;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;

namespace Lucid.Dsl.Generators.Parsing;

/// <summary>Reads a <c>*.schema.json</c> additional file into a <see cref="ModelSchemaSpec"/> or an error with line and column.</summary>
internal static class SchemaParser
{
    public static SchemaFile Parse(string path, string? text)
    {
        if (text is null) return new SchemaFile(path, null, "the file could not be read", 1, 1);
        object? root;
        try { root = MiniJson.Parse(text); }
        catch (JsonSyntaxException e) { return new SchemaFile(path, null, e.Message, e.Line, e.Column); }
        try { return new SchemaFile(path, Read(root), null, 0, 0); }
        catch (FormatException e) { return new SchemaFile(path, null, e.Message, 1, 1); }
    }

    private static ModelSchemaSpec Read(object? root)
    {
        if (root is not Dictionary<string, object?> o) throw new FormatException("the schema must be a JSON object");
        if (Get(o, "format") as string != "lucid-model-schema") throw new FormatException("'format' must be \"lucid-model-schema\"");
        if (Get(o, "version") is not double version || version != 1) throw new FormatException("'version' must be 1");
        var name = Get(o, "name") as string ?? throw new FormatException("'name' is missing");
        var input = Get(o, "input") as Dictionary<string, object?> ?? throw new FormatException("'input' is missing");
        var inputShape = Ints(Get(input, "shape"), "input.shape");
        var taps = (Get(o, "taps") as List<object?> ?? throw new FormatException("'taps' is missing")).Select((t, i) =>
        {
            if (t is not Dictionary<string, object?> tap) throw new FormatException($"taps[{i}] must be an object");
            var tapName = Get(tap, "name") as string ?? throw new FormatException($"taps[{i}] has no 'name'");
            var kind = Get(tap, "kind") as string ?? throw new FormatException($"tap '{tapName}' has no 'kind'");
            var shape = Ints(Get(tap, "shape"), $"tap '{tapName}' shape");
            var inputs = Get(tap, "inputs") is List<object?> list ? list.Select(x => x as string ?? throw new FormatException($"tap '{tapName}' inputs must be strings")).ToEquatableArray() : EquatableArray<string>.Empty;
            return new TapSpec(tapName, kind, shape, inputs);
        }).ToEquatableArray();
        var labels = (Get(o, "labels") as List<object?> ?? throw new FormatException("'labels' is missing"))
            .Select(x => x as string ?? throw new FormatException("labels must be strings")).ToEquatableArray();
        return new ModelSchemaSpec(name, inputShape, taps, labels);
    }

    private static object? Get(Dictionary<string, object?> o, string key) => o.TryGetValue(key, out var v) ? v : null;

    private static EquatableArray<int> Ints(object? value, string what)
    {
        if (value is not List<object?> list) throw new FormatException($"{what} must be an array of positive integers");
        return list.Select(x => x is double d && d >= 1 && d == Math.Floor(d) && d <= int.MaxValue ? (int)d : throw new FormatException($"{what} must be an array of positive integers")).ToEquatableArray();
    }
}
