namespace Lucid.Cli;

public static partial class Cli
{
    // ---- lucid schema <model> [-o file]
    private static Command SchemaCommand(Bind bind)
    {
        var model = new Argument<string>("model") { Description = "Bundled model name or an .onnx file." };
        var output = new Option<string?>("--out", "-o") { Description = "Where to write the schema (default: stdout)." };
        var command = new Command("schema", "Write the schema (taps, shapes, inputs, labels) the DSL generator reads.") { model, output };
        bind(command, (s, _) =>
        {
            var m = s.Model(s.Get(model)!, withWeights: false);
            var schema = ModelSchema.From(m);
            if (s.Get(output) is { } path)
            {
                schema.Save(path);
                s.Say($"{m.Name}: {schema.Taps.Count()} taps, {m.Labels.Count} labels; wrote {path}");
                s.Result(new { model = m.Name, path, taps = schema.Taps.Count(), labels = m.Labels.Count });
            }
            else if (s.Json) s.Result(new { model = m.Name, taps = schema.Taps.Count(), labels = m.Labels.Count, schema = System.Text.Json.JsonDocument.Parse(schema.ToJson()).RootElement });
            else if (!s.Quiet) s.Output.Write(schema.ToJson());
        });
        return command;
    }
}
