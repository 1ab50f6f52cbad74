using Lucid.Tensors;

namespace Lucid.Models.Onnx;

/// <summary>A runtime value of an ONNX graph: a float32 tensor, or an int64 array (shapes, indices, axes) with its shape.</summary>
public sealed class OnnxValue
{
    private int[]? _shape;

    private OnnxValue(Tensor? floats, long[]? ints, int[]? shape)
    {
        Float = floats;
        Ints = ints;
        _shape = shape;
    }

    public Tensor? Float { get; }
    public long[]? Ints { get; }
    /// <summary>The value's shape (a float tensor's is copied when first asked for: most values are never asked).</summary>
    public int[] Shape => _shape ??= Float!.Shape.ToArray();

    public static OnnxValue Of(Tensor t) => new(t, null, null);
    public static OnnxValue OfInts(long[] values, int[] shape) => new(null, values, shape);

    public static OnnxValue From(OnnxTensor t)
    {
        var shape = t.Dims.Select(d => (int)d).ToArray();
        // the tensor adopts the initializer's array: a model's weights are held once, at their exact size
        if (t.Floats is not null) return Of(Tensor.Adopt(t.Floats, shape).DetachFromScope());
        return OfInts(t.Ints!, shape);
    }
}

/// <summary>An ONNX feature the importer does not handle (an op, an attribute value, a rank); names the node and what is supported.</summary>
public sealed class OnnxUnsupportedException(string message) : ModelException(message);

/// <summary>
/// Runs an ONNX graph eagerly on the engine: every float computation is an engine op, so the graph is differentiable
/// end to end. Shape arithmetic (Shape → Gather → Unsqueeze → Concat → Reshape, as exporters emit around Flatten)
/// is evaluated on int64 values as it goes. Spatial ops accept 4-D NCHW inputs only.
/// </summary>
public sealed partial class OnnxSession
{
    private readonly OnnxModelProto _model;
    private readonly Dictionary<string, OnnxValue> _constants = new(StringComparer.Ordinal);

    public OnnxSession(OnnxModelProto model, string? file = null)
    {
        _model = model;
        File = file;
        if (model.Graph.Nodes.Count() > LucidLimits.MaxGraphNodes)
            throw new ResourceLimitException($"{file ?? "ONNX model"}: {model.Graph.Nodes.Count():N0} nodes exceed the limit of {LucidLimits.MaxGraphNodes:N0} (LucidLimits.MaxGraphNodes).");
        foreach (var (name, t) in model.Graph.Initializers) _constants[name] = OnnxValue.From(t);
        var produced = new HashSet<string>(_constants.Keys, StringComparer.Ordinal);
        foreach (var i in model.Graph.Inputs) produced.Add(i.Name);
        foreach (var node in model.Graph.Nodes)
        {
            CheckSupported(node);
            foreach (var input in node.Inputs)
                if (input.Length > 0 && !produced.Contains(input))
                    throw new ModelFormatException(file, $"node '{Describe(node)}' reads '{input}', which no earlier node, input or initializer produces (the graph must be topologically sorted and acyclic).");
            foreach (var output in node.Outputs) produced.Add(output);
        }
    }

    public string? File { get; }
    public long Opset => _model.Opset;
    public OnnxGraph Graph => _model.Graph;

    /// <summary>Graph inputs that are not initializers (what a caller must provide).</summary>
    public IEnumerable<OnnxValueInfo> Inputs => _model.Graph.Inputs.Where(i => !_model.Graph.Initializers.ContainsKey(i.Name));

    public static OnnxSession Load(string path) => new(OnnxProto.ReadModel(path), path);

    private static string Describe(OnnxNode node) => string.IsNullOrEmpty(node.Name) ? $"{node.OpType} → {string.Join(", ", node.Outputs)}" : $"{node.Name} ({node.OpType})";

    /// <summary>Runs the graph; returns every value it computed (node outputs by name), graph outputs included.</summary>
    public Dictionary<string, OnnxValue> Run(IReadOnlyDictionary<string, OnnxValue> inputs) => Run(inputs, null);

    /// <summary>The nodes needed to compute <paramref name="value"/> (it and everything upstream).</summary>
    public IReadOnlySet<OnnxNode> NodesFor(string value)
    {
        var producer = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        foreach (var node in _model.Graph.Nodes)
            foreach (var output in node.Outputs) if (output.Length > 0) producer[output] = node;
        if (!producer.ContainsKey(value))
            throw new ModelException($"ONNX model{(File is null ? "" : $" '{File}'")}: no node computes '{value}'.");
        var needed = new HashSet<OnnxNode>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<string>(new[] { value });
        while (stack.Count > 0)
            if (producer.TryGetValue(stack.Pop(), out var node) && needed.Add(node))
                foreach (var input in node.Inputs) if (input.Length > 0) stack.Push(input);
        return needed;
    }

    /// <summary>Runs the nodes in <paramref name="only"/> (all when null), in graph order.</summary>
    public Dictionary<string, OnnxValue> Run(IReadOnlyDictionary<string, OnnxValue> inputs, IReadOnlySet<OnnxNode>? only)
    {
        var values = new Dictionary<string, OnnxValue>(_constants, StringComparer.Ordinal);
        foreach (var info in Inputs)
        {
            if (!inputs.TryGetValue(info.Name, out var v))
                throw new ModelException($"ONNX model{(File is null ? "" : $" '{File}'")}: input '{info.Name}' was not given.");
            values[info.Name] = v;
        }
        foreach (var node in _model.Graph.Nodes)
        {
            if (only is not null && !only.Contains(node)) continue;
            var args = node.Inputs.Select(n => n.Length == 0 ? null : values[n]).ToArray();
            OnnxValue[] results;
            try
            {
                results = Execute(node, args);
            }
            catch (OnnxUnsupportedException) { throw; }
            catch (LucidException e) when (e is not ModelException)
            {
                throw new ModelException($"ONNX node '{Describe(node)}' failed: {e.Message}");
            }
            for (int i = 0; i < node.Outputs.Length && i < results.Length; i++)
                if (node.Outputs[i].Length > 0) values[node.Outputs[i]] = results[i];
        }
        return values;
    }
}
