using Lucid.Imaging;

namespace Lucid.Interfaces.Figures;

/// <summary>
/// A node of a figure: a small tree of rows, columns, panels, image cells, text and colour legends. Figures are data:
/// <see cref="Svg"/> renders them deterministically (the canonical, diffable output); <see cref="Id"/> names an
/// element so interactive renderers can link it to others.
/// </summary>
public abstract record FigureElement
{
    /// <summary>A name unique within the figure (for interactivity and tests), or null.</summary>
    public string? Id { get; init; }

    /// <summary>What the interactive HTML shows when the pointer is over this element (the data behind it), or null.</summary>
    public string? Details { get; init; }

    /// <summary>
    /// What this element shows, when the same thing appears in several places of a page (a position of a layer, a
    /// neuron group; see <see cref="FigureKeys"/>): pointing at one element highlights every element with its key.
    /// </summary>
    public string? Key { get; init; }
}

/// <summary>The keys that link elements across the interfaces of one page.</summary>
public static class FigureKeys
{
    /// <summary>Position (y, x) of a layer.</summary>
    public static string Position(string tap, int y, int x) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{tap}@{y},{x}");

    /// <summary>Group g of a layer's factorization into <paramref name="count"/> groups (the same seed gives the same groups in every interface).</summary>
    public static string Group(string tap, int count, int g) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{tap}#{count}:{g}");
}

/// <summary>Children side by side, top-aligned.</summary>
public sealed record Row(IReadOnlyList<FigureElement> Children, int Gap = 8) : FigureElement;

/// <summary>Children stacked, left-aligned.</summary>
public sealed record Column(IReadOnlyList<FigureElement> Children, int Gap = 8) : FigureElement;

/// <summary>A titled box around its content.</summary>
public sealed record Panel(string Title, FigureElement Content) : FigureElement;

/// <summary>An image drawn at <paramref name="Width"/> × <paramref name="Height"/> pixels (nearest-neighbour scaling), with an optional caption below.</summary>
public sealed record ImageCell(Image Image, int Width, int Height, string? Caption = null) : FigureElement;

/// <summary>A line of text.</summary>
public sealed record Text(string Value, int Size = 12, bool Bold = false) : FigureElement;

/// <summary>A horizontal colour bar for a colormap, with labels at its two ends.</summary>
public sealed record ColorLegend(Colormap Map, string Low, string High, int Width = 120, int Height = 10) : FigureElement;

/// <summary>
/// Two rows of elements joined by weighted links (Building Blocks' attribution between neuron groups): a link from
/// source i to target j has a width proportional to |Weights[i, j]| (the largest drawn 6 px wide) and is red when
/// positive, blue when negative. <paramref name="Labels"/>, when given, are the links' hover details.
/// </summary>
public sealed record Flow(IReadOnlyList<FigureElement> Sources, IReadOnlyList<FigureElement> Targets, double[,] Weights, string[,]? Labels = null, int Gap = 72)
    : FigureElement;

/// <summary>A whole figure: a title and the root element.</summary>
public sealed record Figure(string Title, FigureElement Root);

/// <summary>Element ids across a tree.</summary>
public static class FigureIds
{
    /// <summary>
    /// The same tree with every id prefixed (so figures placed together, in one layout or one page, keep unique ids).
    /// </summary>
    public static FigureElement Prefix(FigureElement element, string prefix)
    {
        var renamed = element switch
        {
            Row r => r with { Children = r.Children.Select(c => Prefix(c, prefix)).ToArray() },
            Column c => c with { Children = c.Children.Select(x => Prefix(x, prefix)).ToArray() },
            Panel p => p with { Content = Prefix(p.Content, prefix) },
            Flow f => f with { Sources = f.Sources.Select(x => Prefix(x, prefix)).ToArray(), Targets = f.Targets.Select(x => Prefix(x, prefix)).ToArray() },
            _ => element,
        };
        return renamed.Id is { } id ? renamed with { Id = prefix + id } : renamed;
    }

    /// <summary>Every id in the tree, in drawing order.</summary>
    public static IEnumerable<string> All(FigureElement element)
    {
        if (element.Id is { } id) yield return id;
        IEnumerable<FigureElement> children = element switch
        {
            Row r => r.Children,
            Column c => c.Children,
            Panel p => new[] { p.Content },
            Flow f => f.Sources.Concat(f.Targets),
            _ => Array.Empty<FigureElement>(),
        };
        foreach (var child in children)
            foreach (var x in All(child)) yield return x;
    }
}
