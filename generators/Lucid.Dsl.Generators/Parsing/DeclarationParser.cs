using System.Linq;
using System.Threading;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Lucid.Dsl.Generators.Parsing;

/// <summary>
/// The transforms of the attribute providers: one declaration (its symbol, read once) → one spec. Cross-references
/// (an objective's model, a render's image) stay fully qualified names, resolved later against the collected specs,
/// so an edit to one declaration re-parses only that declaration.
/// </summary>
internal static class DeclarationParser
{
    public const string Namespace = "Lucid.Dsl.";

    public static ModelBindingSpec? ModelBinding(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type) return null;
        var attribute = SymbolReader.Attribute(context.Attributes[0]);
        var path = attribute.Get(nameof(ModelBindingSpec.SchemaPath));
        return new ModelBindingSpec(SymbolReader.Type(type), path?.Text ?? "", path?.Location ?? attribute.Location);
    }

    public static ObjectiveSpec? Objective(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type) return null;
        var attribute = SymbolReader.Attribute(context.Attributes[0]);
        var terms = type.GetMembers().OfType<IPropertySymbol>()
            .Select(p => (Property: p, Attribute: p.GetAttributes().FirstOrDefault(a => SymbolReader.Is(a, Namespace + "TermAttribute"))))
            .Where(x => x.Attribute is not null)
            .Select(x => Term(x.Property, x.Attribute!))
            .ToEquatableArray();
        bool hasCompose = type.GetMembers("Compose").OfType<IMethodSymbol>()
            .Any(m => m.Parameters.Length == 0 && m.ReturnType.ToDisplayString() == Namespace + "Term");
        return new ObjectiveSpec(SymbolReader.Type(type), attribute.String(nameof(TermSettings.Model)), attribute.Location, hasCompose, terms);
    }

    private static TermSpec Term(IPropertySymbol property, AttributeData attributeData)
    {
        var attribute = SymbolReader.Attribute(attributeData);
        var syntax = property.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).OfType<PropertyDeclarationSyntax>().FirstOrDefault();
        bool partialGetOnly = syntax is not null && syntax.Modifiers.Any(SyntaxKind.PartialKeyword) && syntax.ExpressionBody is null &&
            syntax.AccessorList is { Accessors: { Count: 1 } accessors } && accessors[0].IsKind(SyntaxKind.GetAccessorDeclaration) &&
            accessors[0].Body is null && accessors[0].ExpressionBody is null && !property.IsStatic;
        var accessibility = SyntaxFacts.GetText(property.DeclaredAccessibility);
        return new TermSpec(property.Name, accessibility, property.Type.ToDisplayString(SymbolReader.FullyQualified),
            property.Type.ToDisplayString() == Namespace + "Term", partialGetOnly, attribute, attribute.String(nameof(TermSettings.Model)),
            LocationInfo.From(syntax?.Identifier.GetLocation()));
    }

    public static ImageSpec? Image(GeneratorAttributeSyntaxContext context, CancellationToken ct) =>
        context.TargetSymbol is INamedTypeSymbol type ? new ImageSpec(SymbolReader.Type(type), SymbolReader.Attribute(context.Attributes[0])) : null;

    public static TransformSetSpec? TransformSet(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type) return null;
        var steps = type.GetAttributes().Where(a => SymbolReader.Is(a, Namespace + "TransformStepAttribute"))
            .OrderBy(a => a.ApplicationSyntaxReference?.SyntaxTree.FilePath, System.StringComparer.Ordinal)
            .ThenBy(a => a.ApplicationSyntaxReference?.Span.Start ?? 0)
            .Select(SymbolReader.Attribute).Select(TransformStepSpec.From).ToEquatableArray();
        return new TransformSetSpec(SymbolReader.Type(type), steps);
    }

    public static RenderSpec? Render(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type) return null;
        var attribute = SymbolReader.Attribute(context.Attributes[0]);
        return new RenderSpec(SymbolReader.Type(type), attribute, attribute.String(nameof(RenderSettings.Image)), attribute.String(nameof(RenderSettings.Objective)),
            attribute.String(nameof(RenderSettings.Transforms)));
    }

    public static VitalSpec? Vital(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type) return null;
        var attribute = SymbolReader.Attribute(context.Attributes[0]);
        return new VitalSpec(SymbolReader.Type(type), attribute, attribute.String(nameof(VitalSettings.Model)));
    }

    public static AttributionSpec? Attribution(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type) return null;
        var attribute = SymbolReader.Attribute(context.Attributes[0]);
        var rules = type.GetAttributes().Where(a => SymbolReader.Is(a, Namespace + "LrpRuleAttribute"))
            .OrderBy(a => a.ApplicationSyntaxReference?.Span.Start ?? 0)
            .Select(SymbolReader.Attribute).ToEquatableArray();
        return new AttributionSpec(SymbolReader.Type(type), attribute, attribute.String(nameof(AttributionSettings.Model)), rules);
    }

    public static InterfaceSpec? Interface(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type) return null;
        var attribute = SymbolReader.Attribute(context.Attributes[0]);
        var panels = type.GetAttributes().Where(a => SymbolReader.Is(a, Namespace + "InterfacePanelAttribute"))
            .OrderBy(a => a.ApplicationSyntaxReference?.SyntaxTree.FilePath, System.StringComparer.Ordinal)
            .ThenBy(a => a.ApplicationSyntaxReference?.Span.Start ?? 0)
            .Select(SymbolReader.Attribute).Select(PanelSpec.From).ToEquatableArray();
        return new InterfaceSpec(SymbolReader.Type(type), attribute, attribute.String(nameof(InterfaceSettings.Model)), panels);
    }
}
