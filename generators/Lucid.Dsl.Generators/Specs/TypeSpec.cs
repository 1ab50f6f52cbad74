using Lucid.Dsl.Generators.Helpers;

namespace Lucid.Dsl.Generators.Specs;

/// <summary>
/// A declared type as plain values: what the emitters need to reopen it as a partial (namespace, enclosing types,
/// keyword, modifiers). Specs in this folder hold only strings, numbers, enums and equatable arrays — never a symbol,
/// syntax node, compilation or <c>Location</c> — so equal inputs give equal specs and the pipeline stays cached.
/// </summary>
/// <param name="Namespace">The namespace ("" for the global one).</param>
/// <param name="Name">The type's name.</param>
/// <param name="FullyQualifiedName">"global::Ns.Outer.Name" — the key other declarations use to refer to it.</param>
/// <param name="Containing">Enclosing type declarations, outermost first, e.g. "partial class Outer".</param>
/// <param name="Declaration">"static partial class", "partial class", "sealed partial class", …</param>
/// <param name="IsPartial">Whether every declaration of it (and its enclosing types) is partial.</param>
/// <param name="NameLocation">The type's identifier (where declaration-level diagnostics point).</param>
internal sealed record TypeSpec(string Namespace, string Name, string FullyQualifiedName, EquatableArray<string> Containing,
    string Declaration, bool IsPartial, LocationInfo? NameLocation)
{
    /// <summary>A short name for hint files: "Ns.Outer.Name".</summary>
    public string HintName => FullyQualifiedName.Replace("global::", "");
}

/// <summary>
/// One attribute argument as written: its parameter or property name, its value as invariant text (numbers,
/// strings, enum member names, "global::…" type names) or items (arrays), and where it was written.
/// </summary>
internal sealed record ArgSpec(string Name, string? Text, EquatableArray<string> Items, bool IsArray, LocationInfo? Location)
{
    public int AsInt => int.Parse(Text!, System.Globalization.CultureInfo.InvariantCulture);
    public double AsDouble => double.Parse(Text!, System.Globalization.CultureInfo.InvariantCulture);
    public bool AsBool => Text == "true";
}

/// <summary>
/// An attribute's arguments by name — each under the attribute's property name, whether written positionally or
/// named. Read only by the parser and the typed settings (<c>Specs/Settings.cs</c>); emitters and validators see the
/// typed settings.
/// </summary>
internal sealed record AttributeSpec(string Name, EquatableArray<ArgSpec> Args, LocationInfo? Location)
{
    public ArgSpec? Get(string name)
    {
        foreach (var a in Args) if (a.Name == name) return a;
        return null;
    }

    public string? String(string name) => Get(name)?.Text;
}
