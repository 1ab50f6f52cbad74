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
        var t = term.Settings;
        string text = term.Kind switch
        {
            "Channel" => $"Channel {t.Channel.Text} of '{t.Tap.Value}'",
            "Neuron" => $"Neuron (channel {t.Channel.Text}) of '{t.Tap.Value}'",
            "ClassLogit" => $"The logit of class '{t.Label.Value}'",
            "ClassLogProbability" => $"The log-probability of class '{t.Label.Value}'",
            "ChannelInterpolate" => $"Interpolation from channel {t.Channel1.Text} of '{t.Tap1.Value}' to channel {t.Channel2.Text} of '{t.Tap2.Value}'",
            _ => t.Tap.IsSet ? $"{term.Kind} of '{t.Tap.Value}'" : term.Kind,
        };
        if (t.Weight != 1) text += $", weighted {t.Weight.ToString("R", CultureInfo.InvariantCulture)}";
        if (term.IsPenalty) text += " (a penalty)";
        return text + ".";
    }

    /// <summary>The runtime objective a term attribute stands for.</summary>
    private static string Expression(TermSpec term)
    {
        var t = term.Settings;
        static string S(Arg<string?> tap) => Names.Literal(tap.Value ?? "");
        static string I(Arg<int?> channel) => Names.Int(channel.Value ?? 0);
        static string Pos(Arg<int> position) => position.Value < 0 ? "null" : Names.Int(position.Value);
        static string Floats(Arg<EquatableArray<string>?> vector) =>
            "new float[] { " + string.Join(", ", (vector.Value ?? EquatableArray<string>.Empty).Select(x => Names.FloatLiteral(double.Parse(x, CultureInfo.InvariantCulture)))) + " }";
        string batch = t.Batch.Value < 0 ? "null" : Names.Int(t.Batch.Value);
        string cossim = Names.Literal(t.CossimPower);
        string constant = Names.FloatLiteral(t.Constant);
        string e = term.Kind switch
        {
            "Channel" => $"{Objectives}.Channel({S(t.Tap)}, {I(t.Channel)}, batch: {batch})",
            "Neuron" => $"{Objectives}.Neuron({S(t.Tap)}, {I(t.Channel)}, y: {Pos(t.Y)}, x: {Pos(t.X)}, batch: {batch})",
            "Direction" => $"{Objectives}.Direction({S(t.Tap)}, {Floats(t.Direction)}, cossimPow: {cossim}, batch: {batch})",
            "DirectionNeuron" => $"{Objectives}.DirectionNeuron({S(t.Tap)}, {Floats(t.Direction)}, y: {Pos(t.Y)}, x: {Pos(t.X)}, cossimPow: {cossim}, batch: {batch})",
            "ChannelWeight" => $"{Objectives}.ChannelWeight({S(t.Tap)}, {Floats(t.Weights)}, batch: {batch})",
            "ClassLogit" => $"{Objectives}.ClassLogit({S(t.Label)}, batch: {batch})",
            "ClassLogProbability" => $"{Objectives}.ClassLogProbability({S(t.Label)}, batch: {batch})",
            "DeepDream" => $"{Objectives}.DeepDream({S(t.Tap)})",
            "Diversity" => $"{Objectives}.Diversity({S(t.Tap)})",
            "Alignment" => $"{Objectives}.Alignment({S(t.Tap)}, decayRatio: {Names.Literal(t.DecayRatio)})",
            "ChannelInterpolate" => $"{Objectives}.ChannelInterpolate({S(t.Tap1)}, {I(t.Channel1)}, {S(t.Tap2)}, {I(t.Channel2)})",
            "TotalVariation" => $"{Objectives}.TotalVariation({S(t.Tap)})",
            "L1" => $"{Objectives}.L1({S(t.Tap)}, constant: {constant})",
            "L2" => $"{Objectives}.L2({S(t.Tap)}, constant: {constant})",
            "BlurInputEachStep" => $"{Objectives}.BlurInputEachStep()",
            "BoundaryComplexity" => $"{Objectives}.PenalizeBoundaryComplexity(width: {Names.Int(t.Width.Value)}, constant: {constant})",
            _ => $"throw new global::Lucid.LucidArgumentException(\"term\", {Names.Literal($"term kind '{term.Kind}' is not known to this version of Lucid.Dsl.")})",
        };
        return t.Weight == 1 ? e : $"{e} * {Names.Literal(t.Weight)}";
    }
}
