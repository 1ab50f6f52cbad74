namespace Lucid.Dsl;

/// <summary>
/// Binds a <c>static partial class</c> to a model through its schema (<c>lucid schema</c> writes one). The generator
/// reads the schema at compile time (it must be an <c>AdditionalFiles</c> item; the package adds every
/// <c>**/*.schema.json</c>) and emits a typed handle per tap, an enum of the class labels and <c>Load()</c>, which finds
/// the weights beside the schema. Declarations that name a tap, channel or label the schema lacks fail to compile.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class LucidModelAttribute(string schemaPath) : Attribute
{
    /// <summary>The schema's path relative to the project (as it appears among the additional files).</summary>
    public string SchemaPath { get; } = schemaPath;
}
