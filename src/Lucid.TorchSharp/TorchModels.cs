using Lucid.Models.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;
using LucidTensor = Lucid.Tensors.Tensor;

namespace Lucid.TorchSharp;

/// <summary>How a TorchSharp module is seen as a Lucid model.</summary>
public sealed record TorchModelOptions
{
    /// <summary>The model's name (in schemas, messages and catalogs).</summary>
    public string Name { get; init; } = "torch-model";

    /// <summary>The input's shape without the batch: (C, H, W), or (F) for a network on feature vectors.</summary>
    public required int[] InputShape { get; init; }

    /// <summary>What the network was trained to receive (range, channel order, mean, std); images are RGB in [0, 1].</summary>
    public InputContract Contract { get; init; } = InputContract.Identity;

    /// <summary>The output's class names (empty when the output is not a classification).</summary>
    public IReadOnlyList<string> Labels { get; init; } = Array.Empty<string>();
}

/// <summary>
/// TorchSharp modules as Lucid models. <see cref="Import"/> rebuilds the network in Lucid's engine with the module's
/// weights (every capability: LRP with canonizers, layer attribution, training), for networks whose forward it can
/// read: <c>Sequential</c> trees of standard layers, torchvision's ResNets and GoogLeNet. <see cref="Wrap"/> runs any module in
/// TorchSharp as one differentiable operation, its taps taken by forward hooks and its gradients by
/// <c>torch.autograd.grad</c>.
/// </summary>
public static partial class TorchModels
{
    /// <summary>
    /// Rebuilds <paramref name="module"/> in Lucid's engine, copying its weights (in evaluation mode: batch norm uses
    /// the running statistics, dropout is the identity). Taps carry the module names (<c>layer3.1.conv2</c>); a ResNet
    /// block adds <c>.add</c> (the sum before its last ReLU) and its own name is the block's output. Throws
    /// <see cref="ModelException"/> naming the first module whose forward it cannot read — <see cref="Wrap"/> takes those.
    /// </summary>
    public static Model Import(nn.Module module, TorchModelOptions options)
    {
        TorchRuntime.EnsureLoaded();
        var typed = Typed(module, options.Name);
        CheckOptions(options);
        var builder = new ModelBuilder(options.Name, options.InputShape);
        var importer = new Importer(builder, options.Name);
        using (no_grad())
            importer.Build(typed, "", "input");
        return builder.Build(options.Labels, options.Contract);
    }

    internal static nn.Module<Tensor, Tensor> Typed(nn.Module module, string name)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module is nn.Module<Tensor, Tensor> typed) return typed;
        var forward = module.GetType();
        while (forward is not null && !(forward.IsGenericType && forward.GetGenericTypeDefinition().Name.StartsWith("Module`", StringComparison.Ordinal)))
            forward = forward.BaseType;
        string signature = forward is null ? "no forward" : $"forward {string.Join(", ", forward.GetGenericArguments()[..^1].Select(t => t.Name))} → {forward.GetGenericArguments()[^1].Name}";
        throw new ModelException($"TorchSharp model '{name}': the module is a {module.GetType().Name} with {signature}; Lucid reads modules whose forward is Tensor → Tensor (nn.Module<Tensor, Tensor>).");
    }

    private static void CheckOptions(TorchModelOptions options)
    {
        if (options.InputShape is not { Length: 1 or 3 } shape || shape.Any(d => d <= 0))
            throw new LucidArgumentException(nameof(options), $"TorchSharp model '{options.Name}': InputShape must be (C, H, W) or (F) with positive sizes, got ({string.Join(", ", options.InputShape ?? Array.Empty<int>())}).");
    }

    private sealed class Importer(ModelBuilder builder, string model)
    {
        public string Build(nn.Module<Tensor, Tensor> m, string name, string input)
        {
            switch (m)
            {
                case Sequential s when s.GetType() == typeof(Sequential):
                    return Sequence(s, name, input);
                case Conv2d c:
                    if (c.transposed || c.padding_mode != PaddingModes.Zeros || c.padding_type is not null && c.padding is null)
                        throw Unsupported(name, "a transposed convolution, one with non-zero padding or with string padding");
                    return builder.Add(name, new Conv2dLayer(Copy(c.weight!), c.bias is null ? null : Copy(c.bias),
                        Square(c.stride, name, "stride"), Square(c.padding!, name, "padding"), Square(c.dilation, name, "dilation"), (int)c.groups), input);
                case Linear l:
                    return builder.Add(name, new LinearLayer(Copy(l.weight!), l.bias is null ? null : Copy(l.bias)), input);
                case BatchNorm2d bn:
                    if (bn.running_mean is null || bn.running_var is null)
                        throw Unsupported(name, "batch norm without running statistics (track_running_stats = false)");
                    return builder.Add(name, new BatchNormLayer(Copy(bn.running_mean), Copy(bn.running_var),
                        bn.weight is null ? null : Copy(bn.weight), bn.bias is null ? null : Copy(bn.bias), (float)bn.eps), input);
                case ReLU:
                    return builder.Add(name, ActivationLayer.Relu(), input);
                case MaxPool2d p:
                    if (p.dilation is { } d && d.Any(v => v != 1)) throw Unsupported(name, "dilated max pooling");
                    return builder.Add(name, new Pool2dLayer(true, Square(p.kernel_size, name, "kernel_size"), Square(p.stride ?? p.kernel_size, name, "stride"),
                        Square(p.padding ?? new long[] { 0 }, name, "padding"), p.ceil_mode), input);
                case AvgPool2d p:
                    if (!p.count_include_pad || p.divisor_override is not null) throw Unsupported(name, "average pooling without count_include_pad or with a divisor override");
                    return builder.Add(name, new Pool2dLayer(false, Square(p.kernel_size, name, "kernel_size"), Square(p.stride ?? p.kernel_size, name, "stride"),
                        Square(p.padding ?? new long[] { 0 }, name, "padding"), p.ceil_mode), input);
                case AdaptiveAvgPool2d p when p.output_size.All(v => v == 1):
                    return builder.Add(name, new GlobalAvgPoolLayer(), input);
                case Flatten f when f.start_dim == 1 && f.end_dim == -1:
                    return builder.Add(name, new FlattenLayer(), input);
                case Dropout or Identity:
                    return input;           // evaluation: the identity
                default:
                    return m.GetType().FullName switch
                    {
                        "TorchSharp.Modules.ResNet" => Ordered(m, name, input, "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "flatten", "fc"),
                        "TorchSharp.Modules.ResNet+BasicBlock" => Block(m, name, input, "conv1", "bn1", "relu1", "conv2", "bn2"),
                        "TorchSharp.Modules.ResNet+Bottleneck" => Block(m, name, input, "conv1", "bn1", "relu1", "conv2", "bn2", "relu2", "conv3", "bn3"),
                        "TorchSharp.Modules.GoogleNet" => GoogLeNet(m, name, input),
                        "TorchSharp.Modules.GoogleNet+Inception" => Inception(m, name, input),
                        _ => throw Unsupported(name, $"a {m.GetType().Name}, whose forward Lucid cannot read"),
                    };
            }
        }

        /// <summary>A Sequential's children in order; the container's name becomes an alias of its last tap.</summary>
        private string Sequence(nn.Module<Tensor, Tensor> m, string name, string input)
        {
            string start = input;
            foreach (var (child, sub) in m.named_children())
                input = Build(Child(sub, Join(name, child)), Join(name, child), input);
            if (name.Length > 0 && input != start && input != name) builder.Alias(name, input);   // "layer3" is "layer3.1"
            return input;
        }

        /// <summary>
        /// torchvision's GoogLeNet: its children in order, with the flatten its forward does between avgpool and dropout
        /// (tap "flatten"). The auxiliary classifiers are not part of its forward; transform_input is refused.
        /// </summary>
        private string GoogLeNet(nn.Module<Tensor, Tensor> m, string name, string input)
        {
            var transform = m.GetType().GetField("transform_input", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic);
            if (transform?.GetValue(m) is true)
                throw Unsupported(name, "a GoogLeNet with transform_input = true (its forward re-normalizes the input); build it with transform_input: false and give its normalization as the Contract");
            input = Ordered(m, name, input, "conv1", "maxpool1", "conv2", "conv3", "maxpool2", "inception3a", "inception3b", "maxpool3",
                "inception4a", "inception4b", "inception4c", "inception4d", "inception4e", "maxpool4", "inception5a", "inception5b", "avgpool");
            input = builder.Add(Join(name, "flatten"), new FlattenLayer(), input);
            return Ordered(m, name, input, "dropout", "fc");
        }

        /// <summary>The named children of a module whose forward calls them in this order (torchvision's architectures).</summary>
        private string Ordered(nn.Module<Tensor, Tensor> m, string name, string input, params string[] order)
        {
            var children = Children(m);
            foreach (var child in order) input = BuildChild(m, children, name, child, input);
            return input;
        }

        private static Dictionary<string, nn.Module> Children(nn.Module m) => m.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);

        /// <summary>Rebuilds the child called <paramref name="child"/> of a known architecture on <paramref name="input"/>.</summary>
        private string BuildChild(nn.Module owner, Dictionary<string, nn.Module> children, string name, string child, string input) =>
            Build(Child(children.TryGetValue(child, out var sub) ? sub : throw Unsupported(name, $"a {owner.GetType().Name} without '{child}'"), Join(name, child)), Join(name, child), input);

        /// <summary>An Inception block: its four branches on the same input, concatenated along channels under the block's name.</summary>
        private string Inception(nn.Module<Tensor, Tensor> m, string name, string input)
        {
            var children = Children(m);
            var branches = new[] { "branch1", "branch2", "branch3", "branch4" }.Select(b => BuildChild(m, children, name, b, input)).ToArray();
            return builder.Add(name, new ConcatLayer(), branches);
        }

        /// <summary>A residual block: the main path's modules in order, plus the shortcut (downsample or identity), added, then ReLU.</summary>
        private string Block(nn.Module<Tensor, Tensor> m, string name, string input, params string[] main)
        {
            var children = Children(m);
            string x = input;
            foreach (var child in main) x = BuildChild(m, children, name, child, x);
            string shortcut = children.ContainsKey("downsample") ? BuildChild(m, children, name, "downsample", input) : input;
            var sum = builder.Add(Join(name, "add"), new AddLayer(), x, shortcut);
            return builder.Add(name, ActivationLayer.Relu(), sum);
        }

        private nn.Module<Tensor, Tensor> Child(nn.Module module, string name) =>
            module as nn.Module<Tensor, Tensor> ?? throw Unsupported(name, $"a {module.GetType().Name} whose forward is not Tensor → Tensor");

        private ModelException Unsupported(string name, string what) =>
            new($"TorchSharp model '{model}': module '{(name.Length == 0 ? "(root)" : name)}' is {what}; TorchModels.Import rebuilds Sequential, Conv2d, Linear, " +
                "BatchNorm2d, ReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1), Flatten, Dropout and torchvision's ResNets and GoogLeNet. TorchModels.Wrap runs any module in TorchSharp.");

        private int Square(long[] values, string name, string what)
        {
            if (values.Length == 0 || values.Any(v => v != values[0]))
                throw Unsupported(name, $"a layer with {what} ({string.Join(", ", values)}) that differs between height and width");
            return checked((int)values[0]);
        }

        private static string Join(string prefix, string child) => prefix.Length == 0 ? child : $"{prefix}.{child}";
    }

    private static LucidTensor Copy(Tensor t) => TorchTensors.ToLucid(t);
}

public static partial class TorchModels
{
    /// <summary>
    /// The schema <c>[LucidModel]</c> checks declarations against: of the module rebuilt by <see cref="Import"/> when
    /// it can be, otherwise of <see cref="Wrap"/> (its taps are then the module outputs only).
    /// </summary>
    public static ModelSchema Schema(nn.Module module, TorchModelOptions options)
    {
        Model model;
        try { model = Import(module, options); }
        catch (ModelException) { model = Wrap(module, options); }
        return ModelSchema.From(model);
    }

    /// <summary>Writes <see cref="Schema"/> to <paramref name="path"/> (atomically) and returns it.</summary>
    public static ModelSchema WriteSchema(nn.Module module, TorchModelOptions options, string path)
    {
        var schema = Schema(module, options);
        schema.Save(path);
        return schema;
    }
}
