using System;
using System.Linq;
using Lucid.Dsl.Generators.Helpers;

namespace Lucid.Dsl.Generators.Specs;

/// <summary>
/// Everything declarations refer to one another by: the model bindings, their schema files, objectives, images and
/// transform sets (all specs, so the catalog compares by value). Validators and the render emitter resolve names here.
/// </summary>
internal sealed record Catalog(EquatableArray<ModelBindingSpec> Models, EquatableArray<SchemaFile> Schemas, EquatableArray<ObjectiveSpec> Objectives,
    EquatableArray<ImageSpec> Images, EquatableArray<TransformSetSpec> TransformSets)
{
    public ModelBindingSpec? Model(string? fqn) => fqn is null ? null : Models.FirstOrDefault(m => m.Type.FullyQualifiedName == fqn);
    public ObjectiveSpec? Objective(string? fqn) => fqn is null ? null : Objectives.FirstOrDefault(o => o.Type.FullyQualifiedName == fqn);
    public ImageSpec? Image(string? fqn) => fqn is null ? null : Images.FirstOrDefault(i => i.Type.FullyQualifiedName == fqn);
    public TransformSetSpec? TransformSet(string? fqn) => fqn is null ? null : TransformSets.FirstOrDefault(t => t.Type.FullyQualifiedName == fqn);

    /// <summary>
    /// The schema file a binding names: the additional file whose path ends with the attribute's path (separators
    /// normalized, leading "./" and "../" segments dropped, so "../../models/m.schema.json" finds it from a sub-project).
    /// </summary>
    public SchemaFile? SchemaFor(ModelBindingSpec binding) => FindSchema(Schemas, binding.SchemaPath);

    /// <summary>See <see cref="SchemaFor"/>.</summary>
    public static SchemaFile? FindSchema(EquatableArray<SchemaFile> schemas, string path)
    {
        var wanted = Normalize(path);
        while (wanted.StartsWith("../", StringComparison.Ordinal)) wanted = wanted.Substring(3);
        while (wanted.StartsWith("./", StringComparison.Ordinal)) wanted = wanted.Substring(2);
        if (wanted.Length == 0) return null;
        return schemas.Where(s => Normalize(s.Path) == wanted || Normalize(s.Path).EndsWith("/" + wanted, StringComparison.Ordinal))
            .OrderBy(s => s.Path, StringComparer.Ordinal).FirstOrDefault();
    }

    /// <summary>The schema of the model bound by <paramref name="fqn"/>, if it was read.</summary>
    public ModelSchemaSpec? SchemaOf(string? fqn) => Model(fqn) is { } m ? SchemaFor(m)?.Schema : null;

    /// <summary>The model an objective reads: its own, the one its terms name, or the project's only binding.</summary>
    public string? ModelOf(ObjectiveSpec objective) =>
        objective.ModelFqn ?? objective.Terms.Select(t => t.ModelFqn).FirstOrDefault(m => m is not null) ?? (Models.Count == 1 ? Models[0].Type.FullyQualifiedName : null);

    private static string Normalize(string path) => path.Replace('\\', '/');
}
