using System.Collections.Generic;
using System.Linq;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;

namespace Lucid.Dsl.Generators.Validation;

/// <summary>Checks of a declaration's own settings and references, whatever the schema.</summary>
internal static class SettingChecks
{
    /// <summary>LUCID010 unless the value, where written, is positive.</summary>
    public static void Positive(Arg<double> arg, string name, string owner, List<DiagnosticInfo> diagnostics)
    {
        if (arg.IsSet && !(arg.Value > 0))
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidSetting, arg.Location, $"{owner}: {name}", "positive", arg.Text ?? Names.Literal(arg.Value)));
    }

    /// <summary>LUCID010 unless the value, where written, is positive.</summary>
    public static void Positive(Arg<int> arg, string name, string owner, List<DiagnosticInfo> diagnostics) =>
        Positive(new Arg<double>(arg.Value, arg.IsSet, arg.Location, arg.Text), name, owner, diagnostics);

    /// <summary>LUCID016 when a referenced type is not the declaration expected.</summary>
    public static DiagnosticInfo WrongDeclaration(string? fqn, LocationInfo? where, string expected, string attribute) =>
        DiagnosticInfo.Create(Diagnostics.WrongDeclaration, where, (fqn ?? "(none)").Replace("global::", ""), expected, attribute);
}
