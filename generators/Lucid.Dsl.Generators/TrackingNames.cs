namespace Lucid.Dsl.Generators;

/// <summary>Names of the pipeline steps (the caching tests assert every one is cached on a second run).</summary>
public static class TrackingNames
{
    public const string Schemas = nameof(Schemas);
    public const string Models = nameof(Models);
    public const string Objectives = nameof(Objectives);
    public const string Images = nameof(Images);
    public const string TransformSets = nameof(TransformSets);
    public const string Renders = nameof(Renders);
    public const string VitalRenders = nameof(VitalRenders);
    public const string Attributions = nameof(Attributions);
    public const string Interfaces = nameof(Interfaces);
    public const string Catalog = nameof(Catalog);
    public const string ModelOutputs = nameof(ModelOutputs);
    public const string ResolvedRenders = nameof(ResolvedRenders);
    public const string Diagnostics = nameof(Diagnostics);
    public const string TorchSharp = nameof(TorchSharp);
}
