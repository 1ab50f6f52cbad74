using Lucid.Models.Weights;
using Lucid.Tensors;

namespace Lucid.Models.Graph;

/// <summary>A named node of a model: its output is the tap <see cref="Name"/>.</summary>
public sealed record ModelNode(string Name, Layer Layer, string[] Inputs, int[] OutputShape);

/// <summary>
/// Called for every tap during <see cref="Model.Run"/>: read it, register a gradient hook on it, or return a tensor to
/// replace it for the rest of the forward pass (null keeps it).
/// </summary>
public delegate Tensor? TapVisitor(string tap, Tensor value);

/// <summary>
/// A model: a graph of named nodes in topological order whose outputs are taps ("conv1_pre_relu", "conv1", "logits").
/// The input tap is "input". Shapes exclude the batch dimension.
/// </summary>
public sealed class Model
{
    private readonly Dictionary<string, ModelNode> _byName;
    private readonly (Tensor Mean, Tensor Scale)? _normalization;

    public Model(string name, ModelInput input, IReadOnlyList<ModelNode> nodes, IReadOnlyList<string> labels)
    {
        Name = name;
        input.Validate(name);
        Input = input;
        if (input.Mean is not null)
        {
            // kept for the model's lifetime: graphs recorded through them must stay differentiable
            var shape = new[] { 1, input.Shape[0] }.Concat(Enumerable.Repeat(1, input.Shape.Length - 1)).ToArray();
            _normalization = (Tensor.FromArray(input.Mean, shape).DetachFromScope(),
                Tensor.FromArray(input.Std!.Select(v => 1f / v).ToArray(), shape).DetachFromScope());
        }
        Nodes = nodes;
        Labels = labels;
        _byName = new Dictionary<string, ModelNode>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            if (node.Name == "input" || !_byName.TryAdd(node.Name, node))
                throw new ModelException($"model '{name}': tap name '{node.Name}' is used twice.");
            foreach (var i in node.Inputs)
                if (i != "input" && !_byName.ContainsKey(i) || i == node.Name)
                    throw new ModelException($"model '{name}': node '{node.Name}' reads '{i}', which is not an earlier tap.");
        }
        if (nodes.Count == 0) throw new ModelException($"model '{name}' has no nodes.");
    }

    public string Name { get; }
    public ModelInput Input { get; }
    public IReadOnlyList<ModelNode> Nodes { get; }
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The last node's tap (usually "logits").</summary>
    public string OutputTap => Nodes[^1].Name;

    public ModelNode this[string tap] => _byName.TryGetValue(tap, out var n) ? n : throw UnknownTap(tap);

    public IEnumerable<string> Taps => Nodes.Select(n => n.Name);

    /// <summary>Every parameter as ("node.param", tensor), in node order.</summary>
    public IEnumerable<(string Name, Tensor Value)> Parameters =>
        Nodes.SelectMany(n => n.Layer.Parameters.Select(p => ($"{n.Name}.{p.Name}", p.Value)));

    public ModelException UnknownTap(string tap)
    {
        var near = Taps.Append("input").OrderBy(t => Levenshtein(t, tap)).First();
        return new ModelException($"model '{Name}' has no tap '{tap}' (did you mean '{near}'?).");
    }

    /// <summary>The output of the model for a batch [N, C, H, W] (or [N, F]).</summary>
    public Tensor Forward(Tensor input) => Run(input, null)[OutputTap];

    /// <summary>
    /// Runs the graph, calling <paramref name="visitor"/> on every tap (input first); returns every tap's value.
    /// The returned tensors belong to the caller's scope.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Run(Tensor input, TapVisitor? visitor, string? stopAfter = null)
    {
        CheckInput(input);
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["input"] = visitor?.Invoke("input", input) ?? input };
        if (stopAfter is not null && stopAfter != "input" && !_byName.ContainsKey(stopAfter)) throw UnknownTap(stopAfter);
        if (stopAfter == "input") return values;
        if (_normalization is var (mean, scale))
        {
            // the normalization is part of the model, after the input tap: objectives and attributions see raw pixels
            values["input"] = Ops.Mul(Ops.Sub(values["input"], mean), scale);
        }
        var args = new List<Tensor>(4);
        foreach (var node in Nodes)
        {
            args.Clear();
            foreach (var i in node.Inputs) args.Add(values[i]);
            var y = node.Layer.Forward(args);
            y.Name = node.Name;
            values[node.Name] = visitor?.Invoke(node.Name, y) ?? y;
            if (node.Name == stopAfter) break;
        }
        return values;
    }

    private void CheckInput(Tensor input)
    {
        var expected = Input.Shape;
        if (!Input.Accepts(input))
            throw new ModelException($"model '{Name}': input must have shape [N, {string.Join(", ", expected)}], got [{string.Join(", ", input.Shape.ToArray())}].");
    }

    /// <summary>Loads weights saved by <see cref="SaveWeights"/>; every parameter must be present with its exact shape.</summary>
    public void LoadWeights(string path)
    {
        var tensors = Safetensors.Read(path);
        try
        {
            var expected = Parameters.ToList();
            foreach (var (name, value) in expected)
            {
                if (!tensors.TryGetValue(name, out var stored))
                    throw new ModelFormatException(path, $"weights for model '{Name}' lack tensor '{name}' (shape [{string.Join(", ", value.Shape.ToArray())}]).");
                if (!stored.Shape.SequenceEqual(value.Shape))
                    throw new ModelFormatException(path, $"tensor '{name}' has shape [{string.Join(", ", stored.Shape.ToArray())}], model '{Name}' expects [{string.Join(", ", value.Shape.ToArray())}].");
                stored.Data.CopyTo(value.Data);
            }
            var unknown = tensors.Keys.Except(expected.Select(e => e.Name)).FirstOrDefault();
            if (unknown is not null)
                throw new ModelFormatException(path, $"tensor '{unknown}' does not belong to model '{Name}'.");
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    public void SaveWeights(string path) =>
        Safetensors.Write(path, Parameters.ToDictionary(p => p.Name, p => p.Value), new Dictionary<string, string> { ["model"] = Name });

    private static int Levenshtein(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}

/// <summary>
/// What a model expects: shape (C, H, W), the value range of raw pixels, and an optional per-channel normalization
/// (x − mean) / std that the model applies itself right after the "input" tap — callers always feed raw pixels.
/// </summary>
public sealed record ModelInput(int[] Shape, float Min, float Max, float[]? Mean = null, float[]? Std = null)
{
    /// <summary>Whether <paramref name="batch"/> is a batch of this input ([N, …Shape]), of exactly <paramref name="count"/> items when given.</summary>
    public bool Accepts(Tensor batch, int? count = null) =>
        batch.Rank == Shape.Length + 1 && batch.Shape[1..].SequenceEqual(Shape) && (count is null || batch.Size(0) == count);

    public void Validate(string model)
    {
        if ((Mean is null) != (Std is null))
            throw new ModelException($"model '{model}': normalization needs both mean and std.");
        if (Mean is not null && (Mean.Length != Shape[0] || Std!.Length != Shape[0]))
            throw new ModelException($"model '{model}': normalization has {Mean.Length} means and {Std!.Length} stds for {Shape[0]} channels.");
        if (Std is not null && Std.Any(s => !(s > 0)))
            throw new ModelException($"model '{model}': normalization std must be positive, got [{string.Join(", ", Std)}].");
    }
}
