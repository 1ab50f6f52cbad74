using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Lucid.Dsl.Generators.Helpers;

/// <summary>
/// Where something was written, as plain values (a <see cref="Location"/> holds its syntax tree and would keep
/// specs from comparing equal). Diagnostics map it back to the tree of the current compilation when reported.
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public static LocationInfo? From(SyntaxNode? node) => node is null ? null : From(node.GetLocation());

    public static LocationInfo? From(Location? location) =>
        location is null || location.SourceTree is null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
}
