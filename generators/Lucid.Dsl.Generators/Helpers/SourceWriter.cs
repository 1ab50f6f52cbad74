using System.Text;

namespace Lucid.Dsl.Generators.Helpers;

/// <summary>An indented writer for generated C# (four spaces, LF line ends).</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', _indent * 4).Append(line);
        _text.Append('\n');
        return this;
    }

    public SourceWriter Open(string line)
    {
        Line(line);
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    /// <summary>Writes a /// summary (the text XML-escaped).</summary>
    public SourceWriter Summary(string text)
    {
        Line("/// <summary>" + Escape(text) + "</summary>");
        return this;
    }

    /// <summary>Writes a documented member on one line: its summary, then the declaration.</summary>
    public SourceWriter Member(string summary, string declaration) => Summary(summary).Line(declaration);

    /// <summary>Writes a /// param line (the text as XML: it may hold a &lt;see/&gt;).</summary>
    public SourceWriter Param(string name, string xml) => Line($"/// <param name=\"{name}\">{xml}</param>");

    public static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    public override string ToString() => _text.ToString();
}
