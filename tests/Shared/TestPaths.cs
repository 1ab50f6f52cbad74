namespace Lucid.Testing;

/// <summary>Where the tests find the checkout (shared by the test projects that link it).</summary>
public static class TestPaths
{
    /// <summary>The checkout the tests run from (found above the test binaries, so it holds under CI's "/_/" path map too).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Lucid.Dsl.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root (Lucid.Dsl.sln) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The schema of the bundled inception-mini (its weights lie beside it).</summary>
    public static string InceptionMiniSchema => Path.Combine(RepositoryRoot(), "models", "inception-mini", "inception-mini.schema.json");
}
