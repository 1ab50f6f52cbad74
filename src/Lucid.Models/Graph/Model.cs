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
    private readonly (Tensor Scale, Tensor NegativeShift, int[]? Permutation)? _normalization;

    public Model(string name, ModelInput input, IReadOnlyList<ModelNode> nodes, IReadOnlyList<string> labels,
        IReadOnlyDictionary<string, string>? aliases = null)
    {
        Name = name;
        input.Validate(name);
        Input = input;
        if (!input.IsIdentity)
        {
            // kept for the model's lifetime: graphs recorded through them must stay differentiable
            var shape = new[] { 1, input.Shape[0] }.Concat(Enumerable.Repeat(1, input.Shape.Length - 1)).ToArray();
            var (scale, shift) = input.Affine();
            _normalization = (Tensor.FromArray(scale, shape).DetachFromScope(), Tensor.FromArray(shift.Select(v => -v).ToArray(), shape).DetachFromScope(), input.Permutation);
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
        Aliases = aliases ?? new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (alias, tap) in Aliases)
            if (!_byName.ContainsKey(tap) || _byName.ContainsKey(alias))
                throw new ModelException($"model '{name}': alias '{alias}' must name an existing tap ('{tap}') and not be a tap itself.");
    }

    /// <summary>
    /// The same network at a smaller input, for work that needs many passes but not the full resolution — the
    /// feature-visualization icons of the interfaces. Its taps carry the same names (it may end earlier).
    /// </summary>
    public Model? Preview
    {
        get => _preview;
        set
        {
            if (value is not null && (value.Input.Shape[0] != Input.Shape[0] || value.Taps.Any(t => !_byName.ContainsKey(t))))
                throw new ModelException($"model '{Name}': a preview must read the same channels and carry only taps of the model.");
            _preview = value;
        }
    }

    private Model? _preview;

    /// <summary>Other names of taps (an imported file's own value names, kept valid beside readable ones): alias → tap.</summary>
    public IReadOnlyDictionary<string, string> Aliases { get; }

    /// <summary>The tap called <paramref name="nameOrAlias"/> ("input", a tap, or an alias of one), or a clear error.</summary>
    public string Resolve(string nameOrAlias) =>
        nameOrAlias == "input" || _byName.ContainsKey(nameOrAlias) ? nameOrAlias
        : Aliases.TryGetValue(nameOrAlias, out var tap) ? tap
        : throw UnknownTap(nameOrAlias);

    /// <summary>Whether <paramref name="nameOrAlias"/> names "input", a tap or an alias.</summary>
    public bool HasTap(string nameOrAlias) => nameOrAlias == "input" || _byName.ContainsKey(nameOrAlias) || Aliases.ContainsKey(nameOrAlias);

    public string Name { get; }
    public ModelInput Input { get; }
    public IReadOnlyList<ModelNode> Nodes { get; }
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The last node's tap (usually "logits").</summary>
    public string OutputTap => Nodes[^1].Name;

    public ModelNode this[string tap] => _byName.TryGetValue(tap, out var n) ? n
        : Aliases.TryGetValue(tap, out var real) ? _byName[real] : throw UnknownTap(tap);

    public IEnumerable<string> Taps => Nodes.Select(n => n.Name);

    /// <summary>Every parameter as ("node.param", tensor), in node order.</summary>
    public IEnumerable<(string Name, Tensor Value)> Parameters =>
        Nodes.SelectMany(n => n.Layer.Parameters.Select(p => ($"{n.Name}.{p.Name}", p.Value)));

    public ModelException UnknownTap(string tap)
    {
        if (tap == "input")
            return new ModelException($"model '{Name}': 'input' is the model's input, not a node — it has no layer (its shape and contract are model.Input).");
        return new ModelException($"model '{Name}' has no tap '{tap}'{Suggest.DidYouMean(tap, Taps.Append("input"))}.");
    }

    /// <summary>The output of the model for a batch [N, C, H, W] (or [N, F]).</summary>
    public Tensor Forward(Tensor input) => Run(input, null)[OutputTap];

    /// <summary>The model's decision for each example of <paramref name="input"/>: the index of its largest output (no graph is recorded).</summary>
    public int[] Predict(Tensor input)
    {
        using var _ = Lucid.Tensors.Autograd.GradMode.NoGrad();
        using var scope = Tensor.Scope();
        return Ops.ArgMax(Forward(input).Data, input.Size(0));
    }

    /// <summary>
    /// Runs the graph, calling <paramref name="visitor"/> on every tap (input first); returns every tap's value.
    /// The returned tensors belong to the caller's scope.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Run(Tensor input, TapVisitor? visitor, string? stopAfter = null)
    {
        CheckInput(input);
        // sized for every tap and alias at once: grown by doubling, the table would be copied a few times per run
        var values = new Dictionary<string, Tensor>(Nodes.Count + Aliases.Count + 1, StringComparer.Ordinal) { ["input"] = visitor?.Invoke("input", input) ?? input };
        if (stopAfter is not null) stopAfter = Resolve(stopAfter);
        if (stopAfter == "input") return values;
        if (_normalization is var (scale, negativeShift, permutation))
        {
            // the input contract is part of the model, after the input tap: objectives and attributions see RGB
            // pixels in [0, 1], the network what it was trained on. A gather, a constant scaling and the subtraction
            // of a constant: LRP passes relevance through all three unchanged.
            var pixels = permutation is null ? values["input"] : Ops.IndexSelect(values["input"], 1, permutation);
            values["input"] = Ops.Sub(Ops.Mul(pixels, scale), negativeShift);
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
        foreach (var (alias, tap) in Aliases)
            if (values.TryGetValue(tap, out var value)) values[alias] = value;
        return values;
    }

    /// <summary>
    /// The mean activation of every channel of <paramref name="tap"/> on each image ([image][channel]), without
    /// gradients, <paramref name="batch"/> images at a time.
    /// </summary>
    public double[][] ChannelMeans(Tensor images, string tap, int batch = 16)
    {
        tap = Resolve(tap);
        int n = images.Size(0);
        var result = new double[n][];
        using var _ = Lucid.Tensors.Autograd.GradMode.NoGrad();
        for (int start = 0; start < n; start += batch)
        {
            int m = Math.Min(batch, n - start);
            using var scope = Tensor.Scope();
            var a = Run(m == n ? images : images[start..(start + m)], null, stopAfter: tap)[tap];
            int c = a.Size(1), plane = a.Count / (m * c);
            var d = a.Data;
            for (int e = 0; e < m; e++)
            {
                var means = result[start + e] = new double[c];
                for (int ch = 0; ch < c; ch++)
                {
                    double sum = 0;
                    var row = d.Slice((e * c + ch) * plane, plane);
                    for (int i = 0; i < row.Length; i++) sum += row[i];
                    means[ch] = sum / plane;
                }
            }
        }
        return result;
    }

    private void CheckInput(Tensor input)
    {
        var expected = Input.Shape;
        if (!Input.Accepts(input))
            throw new ModelException($"model '{Name}': input must have shape [N, {string.Join(", ", expected)}], got {Shapes.Format(input.Shape)}.");
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
                    throw new ModelFormatException(path, $"weights for model '{Name}' lack tensor '{name}' (shape {Shapes.Format(value.Shape)}).");
                if (!stored.Shape.SequenceEqual(value.Shape))
                    throw new ModelFormatException(path, $"tensor '{name}' has shape {Shapes.Format(stored.Shape)}, model '{Name}' expects {Shapes.Format(value.Shape)}.");
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
}

/// <summary>The order in which a network expects colour channels.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (torchvision, TensorFlow/Keras, most exports).</summary>
    Rgb,
    /// <summary>Blue, green, red (Caffe, CNTK and OpenCV-trained networks).</summary>
    Bgr,
}

/// <summary>
/// What a model expects. Callers always feed RGB pixels in [0, 1] of shape <see cref="Shape"/> (C, H, W); the model
/// itself maps them to what the network was trained on, right after the "input" tap and differentiably: scaled to
/// [<see cref="Min"/>, <see cref="Max"/>], reordered to <see cref="Order"/>, then (x − mean) / std per channel, with
/// <see cref="Mean"/> and <see cref="Std"/> given in the network's channel order and value range (as Caffe's
/// 103.94, 116.78, 123.68 for BGR in 0–255, or torchvision's 0.485, 0.456, 0.406 for RGB in 0–1).
/// </summary>
public sealed record ModelInput(int[] Shape, float Min = 0f, float Max = 1f, float[]? Mean = null, float[]? Std = null, ChannelOrder Order = ChannelOrder.Rgb)
{
    /// <summary>Whether <paramref name="batch"/> is a batch of this input ([N, …Shape]), of exactly <paramref name="count"/> items when given.</summary>
    public bool Accepts(Tensor batch, int? count = null) =>
        batch.Rank == Shape.Length + 1 && batch.Shape[1..].SequenceEqual(Shape) && (count is null || batch.Size(0) == count);

    /// <summary>Whether the network sees the pixels unchanged (RGB in [0, 1], no mean or std).</summary>
    public bool IsIdentity => Min == 0f && Max == 1f && Mean is null && Order == ChannelOrder.Rgb;

    /// <summary>The network channel that reads each pixel channel, or null for the identity order.</summary>
    internal int[]? Permutation => Order == ChannelOrder.Bgr ? Enumerable.Range(0, Shape[0]).Reverse().ToArray() : null;

    /// <summary>Per network channel: x_network = x_pixel(permuted) · Scale + Shift.</summary>
    internal (float[] Scale, float[] Shift) Affine()
    {
        int c = Shape[0];
        var scale = new float[c];
        var shift = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            float std = Std?[ch] ?? 1f, mean = Mean?[ch] ?? 0f;
            scale[ch] = (Max - Min) / std;
            shift[ch] = (Min - mean) / std;
        }
        return (scale, shift);
    }

    /// <summary>The lowest and highest value each network channel can see after the contract (black and white pixels).</summary>
    public (float Low, float High)[] NetworkBounds()
    {
        var (scale, shift) = Affine();
        return scale.Select((a, c) => (Math.Min(shift[c], a + shift[c]), Math.Max(shift[c], a + shift[c]))).ToArray();
    }

    /// <summary>The contract's mean as RGB pixels in [0, 1] (mid-grey per channel when it has no mean).</summary>
    public float[] PixelMean()
    {
        int c = Shape[0];
        var result = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            int network = Order == ChannelOrder.Bgr ? c - 1 - ch : ch;
            result[ch] = Mean is null ? 0.5f : (Mean[network] - Min) / (Max - Min);
        }
        return result;
    }

    public void Validate(string model)
    {
        if (Shape.Length == 0 || Shape.Any(d => d <= 0))
            throw new ModelException($"model '{model}': input shape {Shapes.Format(Shape)} must have positive dimensions.");
        if (!(Min < Max) || !float.IsFinite(Min) || !float.IsFinite(Max))
            throw new ModelException($"model '{model}': input range [{Min}, {Max}] must be finite with min < max.");
        if ((Mean is null) != (Std is null))
            throw new ModelException($"model '{model}': normalization needs both mean and std.");
        if (Mean is not null && (Mean.Length != Shape[0] || Std!.Length != Shape[0]))
            throw new ModelException($"model '{model}': normalization has {Mean.Length} means and {Std!.Length} stds for {Shape[0]} input channels; give one of each per channel.");
        if (Std is not null && Std.Any(s => !(s > 0) || !float.IsFinite(s)))
            throw new ModelException($"model '{model}': normalization std must be positive, got [{string.Join(", ", Std)}].");
        if (Mean is not null && Mean.Any(m => !float.IsFinite(m)))
            throw new ModelException($"model '{model}': normalization mean must be finite, got [{string.Join(", ", Mean)}].");
        if (Order == ChannelOrder.Bgr && Shape[0] != 3)
            throw new ModelException($"model '{model}': BGR channel order needs 3 input channels, the input has {Shape[0]}.");
    }
}
