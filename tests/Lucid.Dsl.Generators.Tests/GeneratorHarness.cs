using System.Collections.Immutable;
using System.Reflection;
using Lucid.Dsl.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Lucid.Dsl.Generators.Tests;

/// <summary>An additional file held in memory.</summary>
internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    public override string Path { get; } = path;
    public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
}

/// <summary>The result of one generator run: the driver, the compilation with the generated files, and what was reported.</summary>
internal sealed record GeneratorRun(GeneratorDriver Driver, Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    public GeneratorDriverRunResult Result => Driver.GetRunResult();

    public IReadOnlyList<GeneratedSourceResult> Sources => Result.Results.SelectMany(r => r.GeneratedSources).OrderBy(s => s.HintName, StringComparer.Ordinal).ToList();

    /// <summary>Errors and warnings of the compiled output (user code plus generated code).</summary>
    public IReadOnlyList<Diagnostic> CompilationProblems =>
        Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
}

/// <summary>Runs <see cref="LucidGenerator"/> on source text the way the compiler does, with the Lucid.Dsl runtime referenced.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Preview);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        // the platform plus the runtime the generated code targets (Lucid.Dsl and what it references)
        _ = typeof(Lucid.Dsl.Term);
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(new[] { "Lucid.Dsl", "Lucid.Interfaces", "Lucid.Optvis", "Lucid.Attribution", "Lucid.Models", "Lucid.Tensors", "Lucid.Imaging" }
                .Select(n => Path.Combine(AppContext.BaseDirectory, n + ".dll")))
            .Distinct();
        return paths.Where(File.Exists).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    /// <summary>The real bundled inception-mini schema (what the examples bind).</summary>
    public static string InceptionMiniSchema => File.ReadAllText(Path.Combine(RepositoryRoot(), "models", "inception-mini", "inception-mini.schema.json"));

    public const string InceptionMiniPath = "/project/models/inception-mini/inception-mini.schema.json";

    public static CSharpCompilation Compilation(params string[] sources) =>
        CSharpCompilation.Create("UserProject",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"/project/File{i}.cs")),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver(params AdditionalText[] additionalFiles) =>
        CSharpGeneratorDriver.Create(new[] { new LucidGenerator().AsSourceGenerator() }, additionalFiles, ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GeneratorRun Run(string source, params AdditionalText[] additionalFiles) => Run(Compilation(source), additionalFiles);

    public static GeneratorRun Run(Compilation compilation, params AdditionalText[] additionalFiles)
    {
        var driver = Driver(additionalFiles).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return new GeneratorRun(driver, output, diagnostics);
    }

    /// <summary>Runs with the bundled inception-mini schema as an additional file.</summary>
    public static GeneratorRun RunWithInceptionMini(string source) => Run(source, new InMemoryAdditionalText(InceptionMiniPath, InceptionMiniSchema));

    public static string RepositoryRoot() => Lucid.Testing.TestPaths.RepositoryRoot();

    /// <summary>The binding every test source starts with.</summary>
    public const string Binding = """
        using Lucid.Dsl;

        [LucidModel("models/inception-mini/inception-mini.schema.json")]
        public static partial class InceptionMini;

        """;
}
