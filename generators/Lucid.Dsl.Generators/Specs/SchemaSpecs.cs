using Lucid.Dsl.Generators.Helpers;

namespace Lucid.Dsl.Generators.Specs;

/// <summary>One tap of a model schema: name, kind, output shape without batch, and the taps it reads.</summary>
internal sealed record TapSpec(string Name, string Kind, EquatableArray<int> Shape, EquatableArray<string> Inputs)
{
    public int Channels => Shape.Count > 0 ? Shape[0] : 0;
    public bool IsSpatial => Shape.Count == 3;
    public int Height => Shape.Count == 3 ? Shape[1] : 1;
    public int Width => Shape.Count == 3 ? Shape[2] : 1;
}

/// <summary>A parsed model schema (the file <c>lucid schema</c> writes).</summary>
internal sealed record ModelSchemaSpec(string Name, EquatableArray<int> InputShape, EquatableArray<TapSpec> Taps, EquatableArray<string> Labels)
{
    public TapSpec? Tap(string name)
    {
        foreach (var t in Taps) if (t.Name == name) return t;
        return null;
    }
}

/// <summary>A schema additional file: its path and the schema, or why it could not be read.</summary>
internal sealed record SchemaFile(string Path, ModelSchemaSpec? Schema, string? Error, int Line, int Column);
