using Lucid.Tensors;

namespace Lucid.Models.Graph;

/// <summary>
/// Builds a model node by node with shape checking as it goes. <see cref="ConvRelu"/> and <see cref="LinearRelu"/>
/// follow InceptionV1's naming: the layer's tap is "name_pre_relu", the activation's is "name".
/// Parameters are initialized with PyTorch's default (Kaiming-uniform, a = √5: U(−1/√fanIn, 1/√fanIn)).
/// </summary>
public sealed class ModelBuilder(string name, int[] inputShape, float inputMin = 0f, float inputMax = 1f, ulong seed = 0)
{
    private readonly List<ModelNode> _nodes = new();
    private readonly Dictionary<string, int[]> _shapes = new(StringComparer.Ordinal) { ["input"] = inputShape };
    private readonly Rng _rng = new(seed);

    public string Add(string tap, Layer layer, params string[] inputs)
    {
        foreach (var i in inputs)
            if (!_shapes.ContainsKey(i)) throw new ModelException($"model '{name}': node '{tap}' reads unknown tap '{i}'.");
        var shape = layer.OutputShape(inputs.Select(i => _shapes[i]).ToList());
        if (!_shapes.TryAdd(tap, shape)) throw new ModelException($"model '{name}': tap name '{tap}' is used twice.");
        _nodes.Add(new ModelNode(tap, layer, inputs, shape));
        return tap;
    }

    public int[] ShapeOf(string tap) => _shapes[tap];

    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);

    /// <summary>Another name for <paramref name="tap"/> (e.g. a container whose output is its last layer's).</summary>
    public void Alias(string alias, string tap)
    {
        if (!_shapes.ContainsKey(tap) || tap == "input") throw new ModelException($"model '{name}': alias '{alias}' names unknown tap '{tap}'.");
        if (_shapes.ContainsKey(alias) || !_aliases.TryAdd(alias, tap)) throw new ModelException($"model '{name}': alias '{alias}' is already a name.");
    }

    private Tensor Uniform(int[] shape, int fanIn)
    {
        float bound = 1f / MathF.Sqrt(fanIn);
        return _rng.Uniform(shape, -bound, bound);
    }

    public string Conv(string tap, string input, int outChannels, int kernel, int stride = 1, int padding = 0)
    {
        int cin = _shapes[input][0], fanIn = cin * kernel * kernel;
        return Add(tap, new Conv2dLayer(Uniform(new[] { outChannels, cin, kernel, kernel }, fanIn), Uniform(new[] { outChannels }, fanIn), stride, padding), input);
    }

    public string ConvRelu(string tap, string input, int outChannels, int kernel, int stride = 1, int padding = 0) =>
        Add(tap, ActivationLayer.Relu(), Conv(tap + "_pre_relu", input, outChannels, kernel, stride, padding));

    public string Linear(string tap, string input, int outFeatures)
    {
        int fanIn = _shapes[input][0];
        return Add(tap, new LinearLayer(Uniform(new[] { outFeatures, fanIn }, fanIn), Uniform(new[] { outFeatures }, fanIn)), input);
    }

    public string LinearRelu(string tap, string input, int outFeatures) =>
        Add(tap, ActivationLayer.Relu(), Linear(tap + "_pre_relu", input, outFeatures));

    public Model Build(IReadOnlyList<string> labels) => new(name, new ModelInput(inputShape, inputMin, inputMax), _nodes.ToList(), labels);

    /// <summary>The model, reading images through <paramref name="contract"/> (the network's range, order, mean and std).</summary>
    public Model Build(IReadOnlyList<string> labels, InputContract contract) => new(name, contract.For(inputShape), _nodes.ToList(), labels, _aliases);
}
