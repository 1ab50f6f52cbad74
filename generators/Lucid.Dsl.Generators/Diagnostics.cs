using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Lucid.Dsl.Generators;

/// <summary>
/// Every diagnostic the generator reports: ids LUCID001…, one category, messages that name what was written and what
/// was expected, and a help page per id (docs/diagnostics/LUCIDnnn.md). Errors are not configurable.
/// </summary>
public static class Diagnostics
{
    public const string Category = "Lucid.Dsl";
    public const string HelpRoot = "https://github.com/lucid-dsl/Lucid.Dsl/blob/main/docs/diagnostics/";

    public static readonly DiagnosticDescriptor UnknownTap = Error("LUCID001", "Unknown tap",
        "Model '{0}' has no tap '{1}'{2}");
    public static readonly DiagnosticDescriptor IndexOutOfRange = Error("LUCID002", "Channel or neuron index out of range",
        "{0} {1} is out of range: tap '{2}' of model '{3}' has {4} {5} (valid: 0 to {6})");
    public static readonly DiagnosticDescriptor UnknownLabel = Error("LUCID003", "Unknown class label",
        "Model '{0}' has no class label '{1}'{2}");
    public static readonly DiagnosticDescriptor PositionOutsideTap = Error("LUCID004", "Position outside the tap",
        "Position {0} lies outside tap '{1}' of model '{2}', which is {3}");
    public static readonly DiagnosticDescriptor SchemaNotFound = Error("LUCID005", "Model schema not found",
        "Model schema '{0}' is not among the project's additional files; add <AdditionalFiles Include=\"{0}\" /> (the Lucid.Dsl package adds every **/*.schema.json under the project)");
    public static readonly DiagnosticDescriptor SchemaMalformed = Error("LUCID006", "Model schema malformed",
        "Model schema '{0}' is malformed at line {1}, column {2}: {3}");
    public static readonly DiagnosticDescriptor NotPartial = Error("LUCID007", "Declaration must be partial",
        "'{0}' must be declared partial so the generator can complete it");
    public static readonly DiagnosticDescriptor MixedModels = Error("LUCID008", "Objective mixes models",
        "Objective '{0}' mixes models: term '{1}' reads model '{2}' but the objective reads model '{3}'");
    public static readonly DiagnosticDescriptor LayerNotUpstream = Error("LUCID009", "Attribution layer does not precede the target",
        "Layer '{0}' does not precede the target '{1}' in model '{2}': no path leads from it to the target");
    public static readonly DiagnosticDescriptor InvalidSetting = Error("LUCID010", "Invalid setting",
        "{0} must be {1}, got {2}");
    public static readonly DiagnosticDescriptor ImageModelMismatch = Error("LUCID011", "Image the model cannot accept",
        "Image '{0}' cannot be rendered on model '{1}': {2}");
    public static readonly DiagnosticDescriptor LrpRuleOnWrongKind = Error("LUCID012", "LRP rule on a layer kind it cannot handle",
        "LRP rule {0} cannot be assigned to tap '{1}' of model '{2}', a '{3}' layer; rules apply to conv2d, linear and average-pooling layers");
    public static readonly DiagnosticDescriptor Duplicate = Error("LUCID013", "Duplicate name",
        "{0} '{1}' appears twice in '{2}'");
    public static readonly DiagnosticDescriptor NoModel = Error("LUCID014", "No model for the objective",
        "Objective '{0}' names no model and the project binds {1}; write [Objective(typeof(TheModel))]");
    public static readonly DiagnosticDescriptor VectorLength = Error("LUCID015", "Vector length does not match the tap",
        "{0} has {1} entries but tap '{2}' of model '{3}' has {4} channels");
    public static readonly DiagnosticDescriptor WrongDeclaration = Error("LUCID016", "Type is not the declaration expected",
        "'{0}' is not {1}; mark it with {2}");
    public static readonly DiagnosticDescriptor TermType = Error("LUCID017", "Term property has the wrong shape",
        "Term '{0}' must be declared as 'partial Term {0} {{ get; }}'");
    public static readonly DiagnosticDescriptor BatchOutOfRange = Error("LUCID018", "Batch image out of range",
        "Term '{0}' targets batch image {1} but image '{2}' has a batch of {3} (valid: 0 to {4})");
    public static readonly DiagnosticDescriptor MissingSetting = Error("LUCID019", "Missing setting",
        "{0} '{1}' needs {2}");
    public static readonly DiagnosticDescriptor NotSpatial = Error("LUCID020", "Interface needs a spatial tap",
        "{0} needs a spatial tap, but tap '{1}' of model '{2}' is {3}");
    public static readonly DiagnosticDescriptor CountOutOfRange = Error("LUCID021", "Count out of range for the tap",
        "{0} = {1} is out of range: tap '{2}' of model '{3}' has {4} channels (valid: 1 to {4})");
    public static readonly DiagnosticDescriptor NothingToMaximize = Warning("LUCID100", "Objective has nothing to maximize",
        "Objective '{0}' has nothing to maximize: {1}");
    public static readonly DiagnosticDescriptor UnusualHyperparameter = Warning("LUCID101", "Unusual hyperparameter",
        "{0} = {1} is unusual: {2}");

    public static IReadOnlyList<DiagnosticDescriptor> All { get; } = new[]
    {
        UnknownTap, IndexOutOfRange, UnknownLabel, PositionOutsideTap, SchemaNotFound, SchemaMalformed, NotPartial, MixedModels,
        LayerNotUpstream, InvalidSetting, ImageModelMismatch, LrpRuleOnWrongKind, Duplicate, NoModel, VectorLength, WrongDeclaration,
        TermType, BatchOutOfRange, MissingSetting, NotSpatial, CountOutOfRange, NothingToMaximize, UnusualHyperparameter,
    };

    private static readonly Dictionary<string, DiagnosticDescriptor> ByIdMap = All.ToDictionary(d => d.Id);

    public static DiagnosticDescriptor ById(string id) => ByIdMap[id];

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpRoot + id + ".md",
            customTags: WellKnownDiagnosticTags.NotConfigurable);

    private static DiagnosticDescriptor Warning(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpRoot + id + ".md");
}
