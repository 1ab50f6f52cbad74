using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace Lucid.Dsl.Generators.Helpers;

/// <summary>Identifiers, literals and "did you mean" for generated code and diagnostics.</summary>
internal static class Names
{
    /// <summary>"mixed4a_3x3_pre_relu" → "Mixed4a3x3PreRelu", "t-shirt" → "TShirt", "1x1" → "_1x1"; keywords get an '@'.</summary>
    public static string Pascal(string text)
    {
        var result = new StringBuilder();
        bool upper = true;
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                // digits on both sides of a separator stay apart: "layer3.1" → Layer3_1, not Layer31
                if (upper && char.IsDigit(c) && result.Length > 0 && char.IsDigit(result[result.Length - 1])) result.Append('_');
                result.Append(upper ? char.ToUpperInvariant(c) : c);
                upper = false;
            }
            else upper = true;
        }
        if (result.Length == 0) return "_";
        if (char.IsDigit(result[0])) result.Insert(0, '_');
        var s = result.ToString();
        return SyntaxFacts.GetKeywordKind(s) != SyntaxKind.None ? "@" + s : s;
    }

    /// <summary>Distinct identifiers for <paramref name="texts"/> (a clash gets its index appended).</summary>
    public static string[] DistinctPascal(IReadOnlyList<string> texts, ISet<string> reserved)
    {
        var used = new HashSet<string>(reserved, StringComparer.Ordinal);
        var names = new string[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            var name = Pascal(texts[i]);
            if (!used.Add(name))
            {
                int k = i;
                while (!used.Add(name + "_" + k.ToString(CultureInfo.InvariantCulture))) k++;
                name += "_" + k.ToString(CultureInfo.InvariantCulture);
            }
            names[i] = name;
        }
        return names;
    }

    public static string Literal(string text) => SymbolDisplay.FormatLiteral(text, quote: true);

    public static string Literal(double value)
    {
        var s = value.ToString("R", CultureInfo.InvariantCulture);
        return s.IndexOfAny(new[] { '.', 'E' }) >= 0 ? s : s + ".0";
    }

    public static string FloatLiteral(double value) => ((float)value).ToString("R", CultureInfo.InvariantCulture) + "f";

    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>" (did you mean 'x'?)" — <see cref="Lucid.Suggest"/>, the metric the runtime uses too.</summary>
    public static string DidYouMean(string name, IEnumerable<string> candidates) => Lucid.Suggest.DidYouMean(name, candidates);
}
