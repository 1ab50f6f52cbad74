using System.Text.RegularExpressions;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Models.Onnx;

/// <summary>
/// Turns an ONNX file into a <see cref="Model"/> with named taps. Every node output becomes a tap named after its ONNX
/// value, sanitized to [A-Za-z0-9_] (a leading digit gets a "t_" prefix; collisions get "_2", "_3", ...). Shapes come
/// from one probe run at batch 1; nodes still execute on the real batch, so exporters' Shape→Gather→Concat→Reshape
/// chains keep working for any batch size (their int64 values travel between taps as exact float tensors).
/// Conv, Gemm and BatchNormalization initializers become the layer's "weight", "bias", "running_mean", "running_var".
/// </summary>
public static partial class OnnxImporter
{
    public static Model Import(string path, string? name = null, IReadOnlyList<string>? labels = null) =>
        Import(path, new OnnxImportOptions { Name = name, Labels = labels });

    /// <summary>Imports <paramref name="path"/> with an input contract, a size for dynamic axes, labels and tap names.</summary>
    public static Model Import(string path, OnnxImportOptions options)
    {
        var session = OnnxSession.Load(path);
        return ToModel(session, options with { Name = options.Name ?? Path.GetFileNameWithoutExtension(path) });
    }

    public static Model ToModel(OnnxSession session, string name, IReadOnlyList<string>? labels = null) =>
        ToModel(session, new OnnxImportOptions { Name = name, Labels = labels });

    public static Model ToModel(OnnxSession session, OnnxImportOptions options)
    {
        string name = options.Name ?? "onnx";
        var graphInputs = session.Inputs.ToArray();
        if (graphInputs.Length != 1)
            throw new ModelException($"ONNX model '{name}': expected exactly one graph input (the image), found {graphInputs.Length}: {string.Join(", ", graphInputs.Select(i => i.Name))}.");
        var input = graphInputs[0];
        if (input.ElementType != OnnxDataType.Float || input.Dims is null || input.Dims.Length < 2)
            throw new ModelException($"ONNX model '{name}': input '{input.Name}' must be a float32 tensor [N, C, …], got [{string.Join(", ", input.Dims ?? Array.Empty<long>())}].");
        var inputShape = InputShape(name, input, options.InputSize);
        // a readable name given through TapNames, or the ONNX value itself
        string? untilValue = options.Until is { } until ? options.TapNames?.FirstOrDefault(p => p.Value == until).Key ?? until : null;
        IReadOnlySet<OnnxNode>? kept = untilValue is null ? null : session.NodesFor(untilValue);

        // one probe run at batch 1: every float value's shape; kept beyond it are the integral values and the outputs of
        // nodes computing from constants alone (they become constants) — cloning every activation and initializer cost
        // ResNet-18's import 170 MB
        var probe = new Dictionary<string, OnnxValue>(StringComparer.Ordinal);
        var floatShapes = new Dictionary<string, int[]>(StringComparer.Ordinal);
        using (GradMode.NoGrad())
        using (Tensor.Scope())
        {
            var zeros = Tensor.Zeros(new[] { 1 }.Concat(inputShape).ToArray());
            Dictionary<string, OnnxValue> values;
            try { values = session.Run(new Dictionary<string, OnnxValue> { [input.Name] = OnnxValue.Of(zeros) }, kept); }
            catch (ModelException e) when (options.InputSize is not null && e is not OnnxUnsupportedException)
            {
                throw new ModelException($"ONNX model '{name}' does not run at input size {inputShape[1]}×{inputShape[2]}: {e.Message}");
            }
            var folded = FoldedOutputs(session, kept);
            foreach (var (key, value) in values)
            {
                if (value.Float is not { } t) { probe[key] = value; continue; }
                floatShapes[key] = t.Shape.ToArray();
                if (folded.Contains(key)) probe[key] = OnnxValue.Of(t.Clone().DetachFromScope());
            }
        }

        var tapOf = new Dictionary<string, string>(StringComparer.Ordinal) { [input.Name] = "input" };
        var used = new HashSet<string>(StringComparer.Ordinal) { "input" };
        var isInt = new HashSet<string>(StringComparer.Ordinal);
        var constants = session.Graph.Initializers.ToDictionary(p => p.Key, p => OnnxValue.From(p.Value), StringComparer.Ordinal);
        var nodes = new List<ModelNode>();
        foreach (var node in session.Graph.Nodes)
        {
            if (kept is not null && !kept.Contains(node)) continue;
            // nodes computing only from constants (Constant, folded shape arithmetic on initializers) stay constants
            if (node.Inputs.All(i => i.Length == 0 || constants.ContainsKey(i)))
            {
                for (int k = 0; k < node.Outputs.Length; k++)
                    if (probe.TryGetValue(node.Outputs[k], out var v)) constants[node.Outputs[k]] = v;
                continue;
            }
            for (int k = 0; k < node.Outputs.Length; k++)
            {
                string output = node.Outputs[k];
                if (output.Length == 0) continue;
                int[] shape;
                bool integral;
                if (floatShapes.TryGetValue(output, out var floatShape)) (shape, integral) = (floatShape.Skip(1).ToArray(), false);
                else if (probe.TryGetValue(output, out var value) && value.Float is null) (shape, integral) = (value.Shape, true);
                else continue;
                string tap = UniqueTap(output, used);
                tapOf[output] = tap;
                if (integral) isInt.Add(tap);
                var tapInputs = node.Inputs.Where(i => i.Length > 0 && !constants.ContainsKey(i)).Select(i => tapOf[i]).ToArray();
                var layer = new OnnxNodeLayer(session, node, k, constants, isInt, tapInputs);
                nodes.Add(new ModelNode(tap, layer, tapInputs, shape));
            }
        }
        var lastFloat = nodes.LastOrDefault(n => !isInt.Contains(n.Name))
            ?? throw new ModelException($"ONNX model '{name}' computes nothing from its input.");
        var outputs = untilValue is not null ? new List<string?> { tapOf.GetValueOrDefault(untilValue) }
            : session.Graph.Outputs.Select(o => tapOf.GetValueOrDefault(o.Name)).Where(t => t is not null).ToList();
        if (outputs.Count == 1 && nodes[^1].Name != outputs[0])
        {
            // keep the graph output last so OutputTap is it
            var outNode = nodes.First(n => n.Name == outputs[0]);
            nodes.Remove(outNode);
            nodes.Add(outNode);
        }
        int classes = nodes[^1].OutputShape.Length == 1 ? nodes[^1].OutputShape[0] : 0;
        var labels = options.Labels;
        if (labels is not null && labels.Count != classes)
            throw new ModelException($"ONNX model '{name}': {labels.Count} labels given for an output '{nodes[^1].Name}' of shape {Shapes.Format(nodes[^1].OutputShape)} ({classes} classes).");
        var names = labels ?? Enumerable.Range(0, Math.Max(classes, 0)).Select(i => $"class_{i}").ToArray();
        var contract = options.Contract ?? InputContract.Identity;
        var modelInput = contract.For(inputShape);
        modelInput.Validate(name);
        IReadOnlyDictionary<string, string>? aliases = null;
        if (options.TapNames is { Count: > 0 } rename) (nodes, aliases) = Rename(name, nodes, rename, tapOf, partial: kept is not null);
        return new Model(name, modelInput, nodes, names, aliases);
    }

    /// <summary>
    /// Outputs of the nodes (of <paramref name="kept"/>, or all) that compute from initializers and other such outputs
    /// alone: the importer keeps them as constants. A superset of what it asks the probe for.
    /// </summary>
    private static HashSet<string> FoldedOutputs(OnnxSession session, IReadOnlySet<OnnxNode>? kept)
    {
        var constant = new HashSet<string>(session.Graph.Initializers.Keys, StringComparer.Ordinal);
        var folded = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in session.Graph.Nodes)
        {
            if (kept is not null && !kept.Contains(node)) continue;
            if (!node.Inputs.All(i => i.Length == 0 || constant.Contains(i))) continue;
            foreach (var output in node.Outputs)
                if (output.Length > 0) { constant.Add(output); folded.Add(output); }
        }
        return folded;
    }

    /// <summary>
    /// Gives taps readable names (keys: ONNX value names or imported tap names); the imported names stay valid as
    /// aliases of the new ones.
    /// </summary>
    private static (List<ModelNode>, IReadOnlyDictionary<string, string>) Rename(string name, List<ModelNode> nodes,
        IReadOnlyDictionary<string, string> names, IReadOnlyDictionary<string, string> tapOf, bool partial)
    {
        var existing = nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (from, to) in names)
        {
            if (partial && !existing.Contains(from) && !(tapOf.TryGetValue(from, out var kept) && existing.Contains(kept))) continue;
            string tap = tapOf.TryGetValue(from, out var t) && existing.Contains(t) ? t
                : existing.Contains(from) ? from
                : throw new ModelException($"ONNX model '{name}': a tap name is given for '{from}', which is not a value computed from the input.");
            if (string.IsNullOrWhiteSpace(to) || to == "input")
                throw new ModelException($"ONNX model '{name}': '{to}' is not a valid tap name (for '{from}').");
            map[tap] = to;
        }
        var final = nodes.Select(n => map.GetValueOrDefault(n.Name, n.Name)).ToList();
        var twice = final.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new ModelException($"ONNX model '{name}': tap name '{twice.Key}' would be used twice.");
        string Map(string tap) => map.GetValueOrDefault(tap, tap);
        var renamed = nodes.Select(n => n with { Name = Map(n.Name), Inputs = n.Inputs.Select(Map).ToArray() }).ToList();
        return (renamed, map.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
    }

    /// <summary>
    /// The input shape (C, H, W): the graph's static dimensions, with <paramref name="size"/> (height, width) filling
    /// dynamic spatial axes — or replacing static ones, for graphs that run at other sizes.
    /// </summary>
    private static int[] InputShape(string name, OnnxValueInfo input, (int Height, int Width)? size)
    {
        var dims = input.Dims!.Skip(1).ToArray();
        if (size is var (h, w))
        {
            if (h <= 0 || w <= 0) throw new ModelException($"ONNX model '{name}': input size must be positive, got {h}×{w}.");
            if (dims.Length != 3)
                throw new ModelException($"ONNX model '{name}': an input size applies to an image input [N, C, H, W]; '{input.Name}' is [{Describe(input.Dims!)}].");
            if (dims[0] <= 0)
                throw new ModelException($"ONNX model '{name}': input '{input.Name}' [{Describe(input.Dims!)}] has a dynamic channel axis; only height and width can be chosen.");
            return new[] { (int)dims[0], h, w };
        }
        if (dims.Any(d => d <= 0))
            throw new ModelException($"ONNX model '{name}': input '{input.Name}' has dynamic axes [{Describe(input.Dims!)}]; give an input size (OnnxImportOptions.InputSize, or --input-size HxW), e.g. 224x224.");
        return dims.Select(d => (int)d).ToArray();
    }

    private static string Describe(long[] dims) => string.Join(", ", dims.Select((d, i) => d > 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : i == 0 ? "N" : "?"));

    private static string UniqueTap(string onnxName, HashSet<string> used)
    {
        string tap = Sanitize().Replace(onnxName, "_");
        if (tap.Length == 0 || char.IsDigit(tap[0])) tap = "t_" + tap;
        string candidate = tap;
        for (int i = 2; !used.Add(candidate); i++) candidate = $"{tap}_{i}";
        return candidate;
    }

    [GeneratedRegex("[^A-Za-z0-9_]")]
    private static partial Regex Sanitize();

    /// <summary>Runs one ONNX node (one of its outputs) as a model layer.</summary>
    private sealed class OnnxNodeLayer : Layer
    {
        private readonly OnnxSession _session;
        private readonly OnnxNode _node;
        private readonly int _output;
        private readonly OnnxValue?[] _fixed;        // constant inputs by position (null: comes from a tap or is absent)
        private readonly bool[] _fromTap;
        private readonly bool[] _tapIsInt;
        private readonly List<(string, Tensor)> _parameters = new();

        public OnnxNodeLayer(OnnxSession session, OnnxNode node, int output, IReadOnlyDictionary<string, OnnxValue> constants,
            IReadOnlySet<string> intTaps, string[] tapInputs)
        {
            _session = session;
            _node = node;
            _output = output;
            _fixed = new OnnxValue?[node.Inputs.Length];
            _fromTap = new bool[node.Inputs.Length];
            _tapIsInt = new bool[node.Inputs.Length];
            int t = 0;
            for (int i = 0; i < node.Inputs.Length; i++)
            {
                string input = node.Inputs[i];
                if (input.Length == 0) continue;
                if (constants.TryGetValue(input, out var c))
                {
                    _fixed[i] = c;
                    if (c.Float is { } tensor && ParameterName(node.OpType, i) is { } pname) _parameters.Add((pname, tensor));
                }
                else
                {
                    _fromTap[i] = true;
                    _tapIsInt[i] = intTaps.Contains(tapInputs[t++]);
                }
            }
        }

        private static string? ParameterName(string op, int index) => (op, index) switch
        {
            ("Conv" or "ConvTranspose" or "Gemm" or "MatMul", 1) => "weight",
            ("Conv" or "ConvTranspose" or "Gemm", 2) => "bias",
            ("BatchNormalization", 1) => "weight",
            ("BatchNormalization", 2) => "bias",
            ("BatchNormalization", 3) => "running_mean",
            ("BatchNormalization", 4) => "running_var",
            _ => null,
        };

        public override string Kind => _node.OpType switch
        {
            "Conv" => "conv2d",
            "ConvTranspose" => "conv_transpose2d",
            "Gemm" or "MatMul" => "linear",
            "Relu" => "relu",
            "MaxPool" => "max_pool2d",
            "AveragePool" => "avg_pool2d",
            "GlobalAveragePool" => "global_avg_pool2d",
            "GlobalMaxPool" => "global_max_pool2d",
            "LRN" => "local_response_norm",
            "BatchNormalization" => "batch_norm",
            "Concat" => "concat",
            "Add" => "add",
            "Softmax" => "softmax",
            "Flatten" or "Reshape" => "reshape",
            var other => other.ToLowerInvariant(),
        };

        public override IEnumerable<(string Name, Tensor Value)> Parameters => _parameters;

        public override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            var args = new OnnxValue?[_node.Inputs.Length];
            int t = 0;
            for (int i = 0; i < args.Length; i++)
            {
                if (_fixed[i] is { } c) args[i] = c;
                else if (_fromTap[i])
                {
                    var tensor = inputs[t++];
                    args[i] = _tapIsInt[i]
                        ? OnnxValue.OfInts(tensor.ToArray().Select(v => (long)v).ToArray(), tensor.Shape.ToArray())
                        : OnnxValue.Of(tensor);
                }
            }
            var result = _session.Execute(_node, args)[_output];
            return result.Float ?? Tensor.FromArray(result.Ints!.Select(v => (float)v).ToArray(), result.Shape);
        }

        public override int[] OutputShape(IReadOnlyList<int[]> inputs) =>
            throw new ModelException($"{Kind}: imported ONNX layers take their shapes from the import probe.");
    }
}

/// <summary>How to import an ONNX file.</summary>
public sealed record OnnxImportOptions
{
    /// <summary>The model's name (default: the file name without extension).</summary>
    public string? Name { get; init; }

    /// <summary>Class labels of the output (default: class_0 … for a vector output, none otherwise).</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>
    /// Height and width of the input: required where the export has dynamic spatial axes; for a static export it runs
    /// the graph at another size where the graph allows it (convolutions, pooling, a global average pool).
    /// </summary>
    public (int Height, int Width)? InputSize { get; init; }

    /// <summary>What the network expects of its input (range, channel order, mean, std); callers still feed RGB in [0, 1].</summary>
    public InputContract? Contract { get; init; }

    /// <summary>
    /// Import only up to this value (an ONNX value name, or its readable name from <see cref="TapNames"/>): a backbone
    /// without its head, or a graph whose later layers do not run at <see cref="InputSize"/>.
    /// </summary>
    public string? Until { get; init; }

    /// <summary>Readable tap names by ONNX value name (the ONNX names stay valid as aliases).</summary>
    public IReadOnlyDictionary<string, string>? TapNames { get; init; }
}
