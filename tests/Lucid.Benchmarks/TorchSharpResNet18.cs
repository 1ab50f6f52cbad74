using BenchmarkDotNet.Attributes;
using Lucid.Models.Onnx;
using Lucid.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Lucid.Benchmarks;

/// <summary>
/// ML.NET's ResNet-18 run by TorchSharp: the ONNX file's nodes (Conv, BatchNormalization, Relu, MaxPool, Add,
/// AveragePool) executed in order with <c>torch.nn.functional</c> on the file's own initializers — the same network and
/// weights as ours and the PyTorch peer's, with the same input contract (RGB in [0, 1] → BGR in 0–255 minus the
/// package's per-channel means). <see cref="Run"/> stops at a node's output when asked (a render's or attribution's tap).
/// </summary>
internal sealed class TorchSharpOnnxNetwork
{
    private readonly OnnxGraph _graph;
    private readonly Dictionary<string, Tensor> _weights = new(StringComparer.Ordinal);
    private readonly Tensor _mean = torch.tensor(new[] { 103.0626f, 115.9029f, 123.1516f }).reshape(1, 3, 1, 1);
    private readonly Tensor _bgr = torch.tensor(new long[] { 2, 1, 0 });

    public TorchSharpOnnxNetwork(string path)
    {
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(Environment.ProcessorCount);
        _graph = OnnxProto.ReadModel(path).Graph;
        foreach (var (name, t) in _graph.Initializers)
            if (t.Floats is { } floats) _weights[name] = torch.tensor(floats, t.Dims);
    }

    private static readonly Lazy<TorchSharpOnnxNetwork> Shared = new(() =>
    {
        var net = new TorchSharpOnnxNetwork(Lucid.Models.ResNet18.FindFile());
        net.CheckAgainstOurs();
        return net;
    });

    /// <summary>ML.NET's ResNet-18, its avgpool features checked against ours (1e-4 relative) before any timing.</summary>
    public static TorchSharpOnnxNetwork Checked => Shared.Value;

    private void CheckAgainstOurs()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var lucidScope = Lucid.Tensors.Tensor.Scope();
        using var __ = Lucid.Tensors.Autograd.GradMode.NoGrad();
        var pixels = RealNetwork.Pixels(1, seed: 3);
        var ours = RealNetwork.ResNet18Model.Forward(pixels).ToArray();
        var theirs = Run(TorchTensors.ToTorch(pixels, torch.CPU)).flatten().data<float>().ToArray();
        double max = ours.Max(Math.Abs), diff = ours.Zip(theirs, (a, b) => Math.Abs(a - b)).Max();
        if (diff > 1e-4 * max) throw new InvalidOperationException($"TorchSharp's ResNet-18 disagrees with ours: max relative difference {diff / max:E2}");
    }

    /// <summary>The ONNX value of layer3.1's output (the real-network cases' tap).</summary>
    public const string Layer31 = "ReLU347_Output_0";

    /// <summary>The network on RGB pixels in [0, 1], through the input contract; up to <paramref name="stop"/>'s value if given.</summary>
    public Tensor Run(Tensor pixels, string? stop = null)
    {
        var env = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [_graph.Inputs[0].Name] = pixels.index_select(1, _bgr) * 255f - _mean };
        Tensor y = null!;
        foreach (var node in _graph.Nodes)
        {
            Tensor In(int i) => env.TryGetValue(node.Inputs[i], out var v) ? v : _weights[node.Inputs[i]];
            long[] Ints(string name, long[] fallback) => node.Attributes.TryGetValue(name, out var a) ? a.Ints : fallback;
            y = node.OpType switch
            {
                "Conv" => nn.functional.conv2d(In(0), In(1), node.Inputs.Length > 2 ? In(2) : null, Ints("strides", new long[] { 1, 1 }),
                    Ints("pads", new long[] { 0, 0, 0, 0 })[..2], Ints("dilations", new long[] { 1, 1 }), node.Attributes.TryGetValue("group", out var g) ? g.I : 1),
                "BatchNormalization" => nn.functional.batch_norm(In(0), In(3), In(4), In(1), In(2), false, 0.0,
                    node.Attributes.TryGetValue("epsilon", out var e) ? e.F : 1e-5),
                "Relu" => nn.functional.relu(In(0)),
                "MaxPool" => nn.functional.max_pool2d(In(0), Ints("kernel_shape", null!), Ints("strides", null!), Ints("pads", new long[] { 0, 0, 0, 0 })[..2]),
                "AveragePool" => nn.functional.avg_pool2d(In(0), Ints("kernel_shape", null!), Ints("strides", Ints("kernel_shape", null!))),
                "Add" => In(0) + In(1),
                var op => throw new NotSupportedException($"TorchSharp ResNet-18 peer: op {op}"),
            };
            env[node.Outputs[0]] = y;
            if (node.Outputs[0] == stop) return y;
        }
        return y;
    }
}

/// <summary>
/// The ML.NET ResNet-18 cases in TorchSharp (<see cref="TorchSharpOnnxNetwork"/>), as the PyTorch peer writes them:
/// forward and forward + input gradient at batch 1 and 8.
/// </summary>
public class TorchSharpResNet18Benchmarks
{
    private Tensor _x = null!;

    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ = TorchSharpOnnxNetwork.Checked;
        _x = torch.rand(Batch, 3, 224, 224);
    }

    [Benchmark]
    public void Forward() => Passes.Forward(x => TorchSharpOnnxNetwork.Checked.Run(x), _x);

    [Benchmark]
    public void ForwardInputGradient() => Passes.InputGradient(x => TorchSharpOnnxNetwork.Checked.Run(x), _x);
}

/// <summary>A plain TorchSharp render step of channel 17 of layer3.1 of ML.NET's ResNet-18 at 224², batch 1 and 4.</summary>
public class TorchSharpResNet18RenderBenchmarks
{
    private const int Steps = 4;
    private PlainTorchSharpRender _render = null!;

    [Params(1, 4)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var net = TorchSharpOnnxNetwork.Checked;
        _render = new PlainTorchSharpRender(x => net.Run(x, TorchSharpOnnxNetwork.Layer31), RealNetwork.Channel, Batch);
    }

    [Benchmark(OperationsPerInvoke = Steps)]
    public void RenderStep() => _render.Steps(Steps);
}

/// <summary>Integrated Gradients of channel 17 of layer3.1 of ML.NET's ResNet-18 in TorchSharp: 50 Gauss–Legendre steps in one batch.</summary>
public class TorchSharpResNet18AttributionBenchmarks
{
    private Tensor _alphas = null!, _weights = null!, _photo = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ = TorchSharpOnnxNetwork.Checked;
        var (alphas, weights) = Lucid.Attribution.Quadrature.Rule(Lucid.Attribution.IntegrationMethod.GaussLegendre, 50);
        _alphas = torch.tensor(alphas.Select(a => (float)a).ToArray()).reshape(-1, 1, 1, 1);
        _weights = torch.tensor(weights.Select(w => (float)w).ToArray()).reshape(-1, 1, 1, 1);
        _photo = torch.rand(1, 3, 224, 224);
    }

    [Benchmark]
    public void IntegratedGradients50()
    {
        using var scope = NewDisposeScope();
        var path = (_alphas * _photo).requires_grad_(true);
        var act = TorchSharpOnnxNetwork.Checked.Run(path, TorchSharpOnnxNetwork.Layer31)[.., RealNetwork.Channel].sum(new long[] { 1, 2 });
        var g = autograd.grad(new[] { act.sum() }, new[] { path })[0];
        (_photo * (_weights * g).sum(0, keepdim: true)).sum().item<float>();
    }
}
