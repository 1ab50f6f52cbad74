using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Lucid.Dsl.Generators.Emitting;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Parsing;
using Lucid.Dsl.Generators.Specs;
using Lucid.Dsl.Generators.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Lucid.Dsl.Generators;

/// <summary>
/// The Lucid.Dsl generator: declarations (one attribute provider each) → equatable specs → one emitter per concern.
/// Schemas come from the additional files. Diagnostics are a separate output computed from the same specs, so a
/// moved error never re-emits code and an emitted file never waits on validation.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class LucidGenerator : IIncrementalGenerator
{
    private const string Ns = "Lucid.Dsl.";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var schemas = context.AdditionalTextsProvider
            .Where(static file => file.Path.EndsWith(".schema.json", StringComparison.OrdinalIgnoreCase))
            .Select(static (file, ct) => SchemaParser.Parse(file.Path, file.GetText(ct)?.ToString()))
            .WithTrackingName(TrackingNames.Schemas);
        var allSchemas = schemas.Collect().Select(static (files, _) => files.OrderBy(f => f.Path, StringComparer.Ordinal).ToEquatableArray());

        var models = Declarations(context, Ns + "LucidModelAttribute", DeclarationParser.ModelBinding, TrackingNames.Models);
        var objectives = Declarations(context, Ns + "ObjectiveAttribute", DeclarationParser.Objective, TrackingNames.Objectives);
        var imageProviders = new[] { "FourierImageAttribute", "PixelImageAttribute", "LaplacianPyramidImageAttribute", "CppnImageAttribute", "MacoImageAttribute" }
            .Select(name => Declarations(context, Ns + name, DeclarationParser.Image, TrackingNames.Images)).ToList();
        var transformSets = Declarations(context, Ns + "TransformSetAttribute", DeclarationParser.TransformSet, TrackingNames.TransformSets);
        var renders = Declarations(context, Ns + "RenderAttribute", DeclarationParser.Render, TrackingNames.Renders);
        var vitals = Declarations(context, Ns + "VitalRenderAttribute", DeclarationParser.Vital, TrackingNames.VitalRenders);
        var attributions = Declarations(context, Ns + "AttributionAttribute", DeclarationParser.Attribution, TrackingNames.Attributions);
        var interfaces = Declarations(context, Ns + "InterfaceAttribute", DeclarationParser.Interface, TrackingNames.Interfaces);

        var allImages = imageProviders.Skip(1).Aggregate(
            imageProviders[0].Collect().Select(static (a, _) => a.ToEquatableArray()),
            (all, next) => all.Combine(next.Collect()).Select(static (x, _) => x.Left.Concat(x.Right).ToEquatableArray()));

        var catalog = models.Collect().Combine(allSchemas).Combine(objectives.Collect()).Combine(allImages).Combine(transformSets.Collect())
            .Select(static (x, _) => new Catalog(x.Left.Left.Left.Left.ToEquatableArray(), x.Left.Left.Left.Right, x.Left.Left.Right.ToEquatableArray(),
                x.Left.Right, x.Right.ToEquatableArray()))
            .WithTrackingName(TrackingNames.Catalog);

        // Code: each declaration from its own spec (a render also from what it refers to).
        var modelOutputs = models.Combine(allSchemas)
            .Select(static (x, _) => (Binding: x.Left, Schema: Catalog.FindSchema(x.Right, x.Left.SchemaPath)?.Schema))
            .WithTrackingName(TrackingNames.ModelOutputs);
        context.RegisterSourceOutput(modelOutputs, static (spc, x) => Add(spc, x.Binding.Type, "Model", () => ModelEmitter.Emit(x.Binding, x.Schema)));
        context.RegisterSourceOutput(objectives, static (spc, o) => Add(spc, o.Type, "Objective", () => ObjectiveEmitter.Emit(o)));
        foreach (var images in imageProviders)
            context.RegisterSourceOutput(images, static (spc, i) => Add(spc, i.Type, "Image", () => ImageEmitter.Emit(i)));
        context.RegisterSourceOutput(transformSets, static (spc, t) => Add(spc, t.Type, "Transforms", () => TransformEmitter.Emit(t)));
        context.RegisterSourceOutput(vitals, static (spc, v) => Add(spc, v.Type, "Vital", () => RenderEmitter.EmitVital(v)));
        // a compilation that references Lucid.TorchSharp also gets Run/Attribute overloads for TorchSharp models
        var torchSharp = context.CompilationProvider
            .Select(static (c, _) => c.GetTypeByMetadataName("Lucid.TorchSharp.TorchRender") is not null)
            .WithTrackingName(TrackingNames.TorchSharp);
        context.RegisterSourceOutput(attributions.Combine(torchSharp), static (spc, x) => Add(spc, x.Left.Type, "Attribution", () => AttributionEmitter.Emit(x.Left, x.Right)));
        context.RegisterSourceOutput(interfaces, static (spc, i) => Add(spc, i.Type, "Interface", () => InterfaceEmitter.Emit(i)));
        var resolvedRenders = renders.Combine(catalog)
            .Select(static (x, _) => ResolvedRender.From(x.Left, x.Right))
            .WithTrackingName(TrackingNames.ResolvedRenders);
        context.RegisterSourceOutput(resolvedRenders.Combine(torchSharp), static (spc, x) =>
        {
            if (x.Left is { } r) Add(spc, r.Render.Type, "Render", () => RenderEmitter.Emit(r, x.Right));
        });

        // Diagnostics: validated from the same specs, reported at locations in the current compilation's trees.
        var diagnostics = catalog.Combine(renders.Collect()).Combine(vitals.Collect()).Combine(attributions.Collect()).Combine(interfaces.Collect())
            .Select(static (x, _) => Validate(x.Left.Left.Left.Left, x.Left.Left.Left.Right, x.Left.Left.Right, x.Left.Right, x.Right))
            .WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics.Combine(context.CompilationProvider), static (spc, x) =>
        {
            foreach (var d in x.Left) spc.ReportDiagnostic(d.ToDiagnostic(x.Right));
        });
    }

    private static IncrementalValuesProvider<T> Declarations<T>(IncrementalGeneratorInitializationContext context, string attribute,
        Func<GeneratorAttributeSyntaxContext, CancellationToken, T?> parse, string trackingName) where T : class =>
        context.SyntaxProvider.ForAttributeWithMetadataName(attribute, static (node, _) => node is TypeDeclarationSyntax, (c, ct) => parse(c, ct))
            .Where(static s => s is not null)
            .Select(static (s, _) => s!)
            .WithTrackingName(trackingName);

    private static void Add(SourceProductionContext spc, TypeSpec type, string kind, Func<string> emit)
    {
        // a non-partial declaration gets LUCID007, not a cascade of compiler errors from a second part
        if (!type.IsPartial) return;
        var hint = new string(type.HintName.Select(c => char.IsLetterOrDigit(c) || c == '.' || c == '_' ? c : '_').ToArray());
        spc.AddSource($"{hint}.{kind}.g.cs", emit());
    }

    internal static EquatableArray<DiagnosticInfo> Validate(Catalog catalog, ImmutableArray<RenderSpec> renders, ImmutableArray<VitalSpec> vitals,
        ImmutableArray<AttributionSpec> attributions, ImmutableArray<InterfaceSpec> interfaces)
    {
        var all = new List<DiagnosticInfo>();
        foreach (var m in catalog.Models) all.AddRange(DeclarationValidator.Model(m, catalog));
        foreach (var o in catalog.Objectives) all.AddRange(DeclarationValidator.Objective(o, catalog));
        foreach (var i in catalog.Images) all.AddRange(DeclarationValidator.Image(i));
        foreach (var t in catalog.TransformSets) all.AddRange(DeclarationValidator.TransformSet(t));
        foreach (var r in renders) all.AddRange(DeclarationValidator.Render(r, catalog));
        foreach (var v in vitals) all.AddRange(DeclarationValidator.Vital(v, catalog));
        foreach (var a in attributions) all.AddRange(DeclarationValidator.Attribution(a, catalog));
        foreach (var i in interfaces) all.AddRange(InterfaceValidator.Validate(i, catalog));
        return all.ToEquatableArray();
    }
}
