using Lucid.Tensors;
namespace Lucid.Cli;

public static partial class Cli
{
    // ---- lucid inspect <model>
    private static Command InspectCommand(Bind bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model name or an .onnx file." };
        var command = new Command("inspect", "List a model's taps with kinds, shapes and parameter counts, and its labels.") { model };
        bind(command, (s, _) =>
        {
            var m = s.Model(s.Get(model)!, withWeights: true);
            var taps = m.Nodes.Select(n => new { name = n.Name, kind = n.Layer.Kind, shape = n.OutputShape, parameters = n.Layer.Parameters.Sum(p => (long)p.Value.Count) }).ToList();
            s.Say(Invariant($"{m.Name}: input RGB [0, 1] of {Shapes.Format(m.Input.Shape)}; the network sees {InputContract.Of(m.Input)}"));
            foreach (var t in taps) s.Say(Invariant($"  {t.name,-28} {t.kind,-18} {Shapes.Format(t.shape)}{(t.parameters > 0 ? $"  {t.parameters:N0} parameters" : "")}"));
            s.Say($"labels: {string.Join(", ", m.Labels)}");
            s.Result(new { model = m.Name, input = new { shape = m.Input.Shape, min = m.Input.Min, max = m.Input.Max, order = m.Input.Order.ToString().ToLowerInvariant(), mean = m.Input.Mean, std = m.Input.Std }, taps, labels = m.Labels, parameters = taps.Sum(t => t.parameters) });
        });
        return command;
    }
}
