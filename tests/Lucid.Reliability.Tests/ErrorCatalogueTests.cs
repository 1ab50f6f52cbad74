using Lucid.Testing;
using Xunit;

namespace Lucid.Reliability.Tests;

public class ErrorCatalogueTests
{
    /// <summary>docs/errors.md lists every exception type the library defines, each deriving from LucidException.</summary>
    [Fact]
    public void EveryLibraryException_IsALucidException_AndDocumented()
    {
        var doc = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot(), "docs", "errors.md"));
        var assemblies = new[]
        {
            typeof(LucidException).Assembly, typeof(Lucid.Models.Graph.Model).Assembly, typeof(Lucid.Imaging.Image).Assembly,
            typeof(Lucid.Optvis.Renderer).Assembly, typeof(Lucid.Attribution.Lrp).Assembly, typeof(Lucid.Interfaces.Panels).Assembly,
        };
        var exceptions = assemblies.SelectMany(a => a.GetExportedTypes()).Where(t => typeof(Exception).IsAssignableFrom(t)).ToList();
        Assert.True(exceptions.Count >= 12, $"found only {exceptions.Count} exception types");
        foreach (var type in exceptions)
        {
            Assert.True(typeof(LucidException).IsAssignableFrom(type), $"{type.FullName} does not derive from LucidException");
            Assert.Contains(type.Name, doc);                                    // in the hierarchy
            if (type != typeof(LucidException) && type != typeof(LucidFormatException))
                Assert.Contains($"| `{type.Name}` | `", doc);                  // and with an example message
        }
    }
}
