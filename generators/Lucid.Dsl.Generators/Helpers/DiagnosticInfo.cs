using System.Linq;
using Microsoft.CodeAnalysis;

namespace Lucid.Dsl.Generators.Helpers;

/// <summary>A diagnostic as plain values: the catalogue id, where, and the message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(descriptor.Id, location, arguments.ToEquatableArray());

    /// <summary>The diagnostic at a location in <paramref name="compilation"/>'s own tree (so <c>#pragma</c> applies to it).</summary>
    public Diagnostic ToDiagnostic(Compilation? compilation)
    {
        var descriptor = Diagnostics.ById(Id);
        var location = Microsoft.CodeAnalysis.Location.None;
        if (Location is { } l)
        {
            var tree = compilation?.SyntaxTrees.FirstOrDefault(t => t.FilePath == l.FilePath);
            location = tree is not null && l.Span.End <= tree.Length
                ? Microsoft.CodeAnalysis.Location.Create(tree, l.Span)
                : Microsoft.CodeAnalysis.Location.Create(l.FilePath, l.Span, l.LineSpan);
        }
        return Diagnostic.Create(descriptor, location, Arguments.Cast<object>().ToArray());
    }
}
