using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Lucid.Dsl.Generators.Tests;

/// <summary>
/// The example notebook (examples/Notebook/BuildingBlocks.ipynb) is a valid .NET Interactive notebook whose C# cells
/// compile against the current library: the cells are joined as one program — #r lines dropped, each cell's final
/// expression displayed, the notebook kernel's Formatter stubbed — and compiled with no errors.
/// </summary>
public class NotebookTests
{
    [Fact]
    public void ExampleNotebook_CompilesAgainstTheLibrary()
    {
        var path = Path.Combine(GeneratorHarness.RepositoryRoot(), "examples", "Notebook", "BuildingBlocks.ipynb");
        using var notebook = JsonDocument.Parse(File.ReadAllText(path));
        var root = notebook.RootElement;
        Assert.Equal(4, root.GetProperty("nbformat").GetInt32());
        Assert.Equal(".net-csharp", root.GetProperty("metadata").GetProperty("kernelspec").GetProperty("name").GetString());
        var cells = root.GetProperty("cells").EnumerateArray()
            .Where(c => c.GetProperty("cell_type").GetString() == "code")
            .Select(c => string.Concat(c.GetProperty("source").EnumerateArray().Select(l => l.GetString()))).ToList();
        Assert.True(cells.Count >= 4);
        var usings = new List<string>();
        var body = new System.Text.StringBuilder();
        foreach (var cell in cells)
        {
            var lines = cell.Split('\n').Where(l => !l.StartsWith("#r ") && !l.StartsWith("#i ")).ToList();
            usings.AddRange(lines.Where(l => l.StartsWith("using ") && l.TrimEnd().EndsWith(';') && !l.Contains('(') && !l.Contains("Microsoft.DotNet.Interactive")));
            lines = lines.Where(l => !(l.StartsWith("using ") && !l.Contains('('))).ToList();
            // the cell's value: its last line when it is an expression (no semicolon)
            int last = lines.FindLastIndex(l => l.Trim().Length > 0);
            if (last >= 0 && !lines[last].TrimEnd().EndsWith(';') && !lines[last].TrimEnd().EndsWith('}')) lines[last] = $"display({lines[last].Trim()});";
            body.AppendLine(string.Join("\n", lines));          // cells share variables, as in a notebook
        }
        var program = string.Join("\n", usings.Distinct()) + "\n" + body + """

            static void display(object value) { }
            static class Formatter
            {
                public static void Register<T>(System.Action<T, System.IO.TextWriter> format, string mimeType) { }
            }
            """;
        var compilation = CSharpCompilation.Create("Notebook", new[] { CSharpSyntaxTree.ParseText(program, GeneratorHarness.ParseOptions) },
            GeneratorHarness.Compilation().References, new CSharpCompilationOptions(OutputKind.ConsoleApplication));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors) + "\n" + program);
    }
}
