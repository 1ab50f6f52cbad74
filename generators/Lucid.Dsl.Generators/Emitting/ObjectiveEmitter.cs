using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;

namespace Lucid.Dsl.Generators.Emitting;

/// <summary>An objective: each partial term property (a named, weighted runtime objective) and <c>ToObjective()</c>.</summary>
internal static class ObjectiveEmitter
{
    private const string Objectives = "global::Lucid.Optvis.Objectives";

    public static string Emit(ObjectiveSpec objective)
    {
        return TypeEmitter.Write(objective.Type, null, w =>
        {
            var terms = objective.Terms.Where(t => t.IsTermType && t.IsPartialGetOnly).ToList();
            foreach (var term in terms)
            {
                var field = "__" + term.Property;
                w.Line($"private global::Lucid.Dsl.Term? {field};");
                w.Line();
                w.Summary(Describe(term));
                w.Line(TypeEmitter.GeneratedCode);
                w.Line($"{term.Accessibility} partial global::Lucid.Dsl.Term {term.Property}");
                w.Line("{");
                w.Line($"    get => {field} ??= global::Lucid.Dsl.Term.Create({Names.Literal(term.LogName)}, {Expression(term)});");
                w.Line("}");
                w.Line();
            }
            w.Summary(objective.HasCompose
                ? "The objective to maximize: Compose()."
                : "The objective to maximize: the sum of the terms, minus the penalties (total variation, L1, L2, blur, diversity).");
            w.Line(TypeEmitter.GeneratedCode);
            if (objective.HasCompose) w.Line("public global::Lucid.Optvis.Objective ToObjective() => Compose().Objective;");
            else if (terms.Count == 0)
                w.Line($"public global::Lucid.Optvis.Objective ToObjective() => throw new global::Lucid.LucidArgumentException(\"objective\", {Names.Literal($"objective '{objective.Type.Name}' declares no terms.")});");
            else
            {
                var parts = new List<string>();
                foreach (var term in terms)
                {
                    if (parts.Count == 0) parts.Add(term.IsPenalty ? "-" + term.Property : term.Property);
                    else parts.Add((term.IsPenalty ? "- " : "+ ") + term.Property);
                }
                w.Line($"public global::Lucid.Optvis.Objective ToObjective() => ({string.Join(" ", parts)}).Objective;");
            }
        });
    }

    private static string Describe(TermSpec term)
    {
        var a = term.Attribute;
        string text = term.Kind switch
        {
            "Channel" => $"Channel {a.String("channel")} of '{a.String("tap")}'",
            "Neuron" => $"Neuron (channel {a.String("channel")}) of '{a.String("tap")}'",
            "ClassLogit" => $"The logit of class '{a.String("label")}'",
            "ClassLogProbability" => $"The log-probability of class '{a.String("label")}'",
            "ChannelInterpolate" => $"Interpolation from channel {a.String("channel1")} of '{a.String("tap1")}' to channel {a.String("channel2")} of '{a.String("tap2")}'",
            _ => a.String("tap") is { } tap ? $"{term.Kind} of '{tap}'" : term.Kind,
        };
        double weight = a.Double("Weight", 1);
        if (weight != 1) text += $", weighted {weight.ToString("R", CultureInfo.InvariantCulture)}";
        if (term.IsPenalty) text += " (a penalty)";
        return text + ".";
    }

    /// <summary>The runtime objective a term attribute stands for.</summary>
    private static string Expression(TermSpec term)
    {
        var a = term.Attribute;
        string S(string name) => Names.Literal(a.String(name) ?? "");
        string I(string name) => a.String(name) ?? "0";
        string Pos(string name) => a.Int(name, -1) < 0 ? "null" : Names.Int(a.Int(name, -1));
        string Floats(string name) => "new float[] { " + string.Join(", ", (a.Get(name)?.Items ?? EquatableArray<string>.Empty).Select(x => Names.FloatLiteral(double.Parse(x, CultureInfo.InvariantCulture)))) + " }";
        string D(string name, double fallback) => Names.Literal(a.Double(name, fallback));
        string F(string name, double fallback) => Names.FloatLiteral(a.Double(name, fallback));
        int batchValue = a.Int("Batch", -1);
        string batch = batchValue < 0 ? "null" : Names.Int(batchValue);
        string tapOrInput = Names.Literal(a.String("Tap") ?? "input");
        string e = term.Kind switch
        {
            "Channel" => $"{Objectives}.Channel({S("tap")}, {I("channel")}, batch: {batch})",
            "Neuron" => $"{Objectives}.Neuron({S("tap")}, {I("channel")}, y: {Pos("Y")}, x: {Pos("X")}, batch: {batch})",
            "Direction" => $"{Objectives}.Direction({S("tap")}, {Floats("direction")}, cossimPow: {D("CossimPower", 0)}, batch: {batch})",
            "DirectionNeuron" => $"{Objectives}.DirectionNeuron({S("tap")}, {Floats("direction")}, y: {Pos("Y")}, x: {Pos("X")}, cossimPow: {D("CossimPower", 0)}, batch: {batch})",
            "ChannelWeight" => $"{Objectives}.ChannelWeight({S("tap")}, {Floats("weights")}, batch: {batch})",
            "ClassLogit" => $"{Objectives}.ClassLogit({S("label")}, batch: {batch})",
            "ClassLogProbability" => $"{Objectives}.ClassLogProbability({S("label")}, batch: {batch})",
            "DeepDream" => $"{Objectives}.DeepDream({S("tap")})",
            "Diversity" => $"{Objectives}.Diversity({S("tap")})",
            "Alignment" => $"{Objectives}.Alignment({S("tap")}, decayRatio: {D("DecayRatio", 2)})",
            "ChannelInterpolate" => $"{Objectives}.ChannelInterpolate({S("tap1")}, {I("channel1")}, {S("tap2")}, {I("channel2")})",
            "TotalVariation" => $"{Objectives}.TotalVariation({tapOrInput})",
            "L1" => $"{Objectives}.L1({tapOrInput}, constant: {F("Constant", 0)})",
            "L2" => $"{Objectives}.L2({tapOrInput}, constant: {F("Constant", 0)})",
            "BlurInputEachStep" => $"{Objectives}.BlurInputEachStep()",
            "BoundaryComplexity" => $"{Objectives}.PenalizeBoundaryComplexity(width: {Names.Int(a.Int("Width", 20))}, constant: {F("Constant", 0.5)})",
            _ => $"throw new global::Lucid.LucidArgumentException(\"term\", {Names.Literal($"term kind '{term.Kind}' is not known to this version of Lucid.Dsl.")})",
        };
        double weight = a.Double("Weight", 1);
        return weight == 1 ? e : $"{e} * {Names.Literal(weight)}";
    }
}
