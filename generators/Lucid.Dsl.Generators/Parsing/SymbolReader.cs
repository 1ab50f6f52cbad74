using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Lucid.Dsl.Generators.Parsing;

/// <summary>Turns symbols and attribute data into plain-value specs (nothing returned holds a symbol or a tree).</summary>
internal static class SymbolReader
{
    public static readonly SymbolDisplayFormat FullyQualified = SymbolDisplayFormat.FullyQualifiedFormat;

    public static string Fqn(ITypeSymbol type) => type.ToDisplayString(FullyQualified);

    public static TypeSpec Type(INamedTypeSymbol symbol)
    {
        var ns = symbol.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : "";
        var containing = new List<string>();
        bool partial = IsPartial(symbol);
        for (var outer = symbol.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containing.Insert(0, Declaration(outer) + " " + outer.Name + TypeParameters(outer));
            partial &= IsPartial(outer);
        }
        var location = symbol.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).OfType<TypeDeclarationSyntax>().FirstOrDefault()?.Identifier.GetLocation();
        return new TypeSpec(ns, symbol.Name, Fqn(symbol), containing.ToEquatableArray(), Declaration(symbol), partial, LocationInfo.From(location));
    }

    private static string TypeParameters(INamedTypeSymbol t) => t.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", t.TypeParameters.Select(p => p.Name)) + ">";

    private static string Declaration(INamedTypeSymbol t) =>
        (t.IsStatic ? "static " : "") + "partial " + (t.IsRecord ? "record " : "") + (t.TypeKind == TypeKind.Struct ? "struct" : "class");

    private static bool IsPartial(INamedTypeSymbol t) =>
        t.DeclaringSyntaxReferences.Length > 0 &&
        t.DeclaringSyntaxReferences.All(r => r.GetSyntax() is TypeDeclarationSyntax d && d.Modifiers.Any(SyntaxKind.PartialKeyword));

    /// <summary>Whether <paramref name="attribute"/>'s class is or derives from <paramref name="metadataName"/>.</summary>
    public static bool Is(AttributeData attribute, string metadataName)
    {
        for (var t = attribute.AttributeClass; t is not null; t = t.BaseType)
            if (t.ToDisplayString() == metadataName) return true;
        return false;
    }

    /// <summary>The attribute's arguments by name, each with the span of the argument as written.</summary>
    public static AttributeSpec Attribute(AttributeData attribute)
    {
        var syntax = attribute.ApplicationSyntaxReference?.GetSyntax() as AttributeSyntax;
        var written = syntax?.ArgumentList?.Arguments ?? default;
        var args = new List<ArgSpec>();
        var parameters = attribute.AttributeConstructor?.Parameters ?? ImmutableParameters;
        var positional = written.Where(a => a.NameEquals is null && a.NameColon is null).ToList();
        for (int i = 0; i < attribute.ConstructorArguments.Length && i < parameters.Length; i++)
        {
            var name = parameters[i].Name;
            Location? where = written.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == name)?.GetLocation();
            if (where is null && i < positional.Count)
                where = parameters[i].IsParams && positional.Count > i + 1
                    ? Location.Create(positional[i].SyntaxTree, Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(positional[i].SpanStart, positional[positional.Count - 1].Span.End))
                    : positional[i].GetLocation();
            // under its property's name (every attribute keeps a constructor argument in the property of the same name,
            // capitalized), so a setting has one name whether it is written positionally or named
            args.Add(Arg(PropertyName(name), attribute.ConstructorArguments[i], where ?? syntax?.GetLocation()));
        }
        foreach (var named in attribute.NamedArguments)
        {
            var where = written.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == named.Key)?.Expression.GetLocation();
            args.Add(Arg(named.Key, named.Value, where ?? syntax?.GetLocation()));
        }
        var shortName = attribute.AttributeClass?.Name ?? "";
        if (shortName.EndsWith("Attribute", StringComparison.Ordinal)) shortName = shortName.Substring(0, shortName.Length - "Attribute".Length);
        return new AttributeSpec(shortName, args.ToEquatableArray(), LocationInfo.From(syntax));
    }

    private static string PropertyName(string parameter) => parameter.Length == 0 ? parameter : char.ToUpperInvariant(parameter[0]) + parameter.Substring(1);

    private static readonly System.Collections.Immutable.ImmutableArray<IParameterSymbol> ImmutableParameters = System.Collections.Immutable.ImmutableArray<IParameterSymbol>.Empty;

    private static ArgSpec Arg(string name, TypedConstant value, Location? where)
    {
        var location = LocationInfo.From(where);
        if (value.Kind == TypedConstantKind.Array)
            return new ArgSpec(name, null, (value.IsNull ? Enumerable.Empty<string>() : value.Values.Select(Text).Where(t => t is not null).Select(t => t!)).ToEquatableArray(), true, location);
        return new ArgSpec(name, Text(value), EquatableArray<string>.Empty, false, location);
    }

    private static string? Text(TypedConstant value)
    {
        if (value.IsNull || value.Kind == TypedConstantKind.Error) return null;
        switch (value.Kind)
        {
            case TypedConstantKind.Type:
                return value.Value is ITypeSymbol t ? Fqn(t) : null;
            case TypedConstantKind.Enum:
                var member = value.Type?.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, value.Value));
                return member?.Name ?? Convert.ToString(value.Value, CultureInfo.InvariantCulture);
            default:
                return value.Value switch
                {
                    bool b => b ? "true" : "false",
                    double d => d.ToString("R", CultureInfo.InvariantCulture),
                    float f => ((double)f).ToString("R", CultureInfo.InvariantCulture),
                    IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
                    var other => other?.ToString(),
                };
        }
    }
}
