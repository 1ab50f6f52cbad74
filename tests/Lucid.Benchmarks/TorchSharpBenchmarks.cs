using BenchmarkDotNet.Attributes;
using Lucid.Models.Graph;
using Lucid.Optvis;
using Lucid.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;
using static Lucid.Benchmarks.BenchmarkCases;
using LucidTensor = Lucid.Tensors.Tensor;
using Rng = Lucid.Tensors.Rng;
using Tensor = TorchSharp.torch.Tensor;

namespace Lucid.Benchmarks;

/// <summary>
/// TorchSharp 0.107 (libtorch 2.10, CPU) in this process — the peer a .NET user would otherwise pick — on the engine's
/// cases, and torchvision's resnet18 (TorchVision 0.107) at 224² in both engines with the same weights.
/// </summary>
internal static class TorchPeer
{
    static TorchPeer()
    {
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(Environment.ProcessorCount);
    }

    private static readonly Lazy<nn.Module<Tensor, Tensor>> Resnet = new(() =>
    {
        torch.manual_seed(1);
        var m = torchvision.models.resnet18();
        m.eval();
        return m;
    });

    public static nn.Module<Tensor, Tensor> Resnet18 => Resnet.Value;

    public static TorchModelOptions Options { get; } = new() { Name = "torchvision-resnet18", InputShape = new[] { 3, 224, 224 }, Contract = InputContract.Torchvision };

    private static readonly Lazy<Model> Imported = new(() => TorchModels.Import(Resnet18, Options));
    private static readonly Lazy<Model> Wrapped = new(() => TorchModels.Wrap(Resnet18, Options));
    private static readonly Lazy<TorchModel> Native = new(() => TorchModel.Create(Resnet18, Options));
    public static Model ImportedResnet18 => Imported.Value;
    public static Model WrappedResnet18 => Wrapped.Value;
    public static TorchModel NativeResnet18 => Native.Value;

    public static Tensor Random(params long[] shape) => torch.rand(shape);
}

public class TorchSharpGemmBenchmarks
{
    private Tensor _a = null!, _b = null!;

    [ParamsSource(nameof(Cases))]
    public GemmCase Case { get; set; } = null!;
    public static IEnumerable<GemmCase> Cases => Gemms;

    [GlobalSetup]
    public void Setup()
    {
        _a = TorchPeer.Random(Case.M, Case.K);
        _b = TorchPeer.Random(Case.K, Case.N);
    }

    [Benchmark]
    public void Sgemm()
    {
        using var _ = no_grad();
        torch.mm(_a, _b).Dispose();
    }
}

public class TorchSharpConvBenchmarks
{
    private Tensor _x = null!, _w = null!, _b = null!, _g = null!;

    [ParamsSource(nameof(CaseSource))]
    public ConvCase Case { get; set; } = null!;
    public static IEnumerable<ConvCase> CaseSource => Convs;

    [ParamsSource(nameof(BatchSource))]
    public int Batch { get; set; }
    public static IEnumerable<int> BatchSource => Batches;

    [GlobalSetup]
    public void Setup()
    {
        _x = TorchPeer.Random(Batch, Case.InChannels, Case.Size, Case.Size).requires_grad_(true);
        _w = TorchPeer.Random(Case.OutChannels, Case.InChannels, Case.Kernel, Case.Kernel).requires_grad_(true);
        _b = TorchPeer.Random(Case.OutChannels).requires_grad_(true);
        using var _ = no_grad();
        _g = torch.ones_like(nn.functional.conv2d(_x, _w, _b, new long[] { Case.Stride }, new long[] { Case.Padding }));
    }

    [Benchmark]
    public void Forward()
    {
        using var _ = no_grad();
        nn.functional.conv2d(_x, _w, _b, new long[] { Case.Stride }, new long[] { Case.Padding }).Dispose();
    }

    /// <summary>Input, weight and bias gradients, as our case computes them.</summary>
    [Benchmark]
    public void ForwardBackward()
    {
        using var scope = NewDisposeScope();
        var grads = autograd.grad(new[] { nn.functional.conv2d(_x, _w, _b, new long[] { Case.Stride }, new long[] { Case.Padding }) }, new[] { _x, _w, _b }, new[] { _g });
    }
}

/// <summary>torchvision's resnet18 at 224²: TorchSharp running it, and Lucid running the same module imported (same weights).</summary>
public class TorchvisionResNet18Benchmarks
{
    private Tensor _x = null!;
    private LucidTensor _pixels = null!;

    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = TorchPeer.Random(Batch, 3, 224, 224);
        _pixels = new Rng(1).Uniform(new[] { Batch, 3, 224, 224 }).DetachFromScope();
        _ = TorchPeer.ImportedResnet18;
    }

    [Benchmark]
    public void TorchSharpForward() => Passes.Forward(TorchPeer.Resnet18.call, _x);

    [Benchmark]
    public void TorchSharpForwardInputGradient() => Passes.InputGradient(TorchPeer.Resnet18.call, _x);

    [Benchmark]
    public void OursForward() => Passes.Forward(TorchPeer.ImportedResnet18, _pixels);

    [Benchmark]
    public void OursForwardInputGradient() => Passes.InputGradient(TorchPeer.ImportedResnet18, _pixels);
}

/// <summary>
/// A render step of channel 9 of layer3.1 of torchvision's resnet18 at 224², batch 1: our loop on the imported module,
/// our loop on the wrapped module (TorchSharp computes forward and gradients), and the step written as a plain TorchSharp
/// loop (<see cref="PlainTorchSharpRender"/>).
/// </summary>
public class TorchSharpRenderBenchmarks
{
    private const int Steps = 4, Size = 224, Channel = 9;
    private LucidImage _image = null!;
    private Objective _objective = null!;
    private PlainTorchSharpRender _plain = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ = TorchPeer.ImportedResnet18;
        _ = TorchPeer.WrappedResnet18;
        _ = TorchPeer.NativeResnet18;
        _image = new LucidImage(Size, seed: 1);
        _objective = Objectives.Channel("layer3.1", Channel);
        _plain = new PlainTorchSharpRender(PlainTorchSharpRender.TorchvisionPrefix(TorchPeer.Resnet18, "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3"), Channel, batch: 1);
    }

    [Benchmark(OperationsPerInvoke = Steps)]
    public void OursOnImported() =>
        Renderer.Render(TorchPeer.ImportedResnet18, _objective, _image, new RenderOptions { Steps = Steps, Seed = 1, RedirectRelu = false }).Image.Dispose();

    [Benchmark(OperationsPerInvoke = Steps)]
    public void OursOnWrapped() =>
        Renderer.Render(TorchPeer.WrappedResnet18, _objective, _image, new RenderOptions { Steps = Steps, Seed = 1, RedirectRelu = false }).Image.Dispose();

    [Benchmark(OperationsPerInvoke = Steps)]
    public void OursNative()
    {
        using var image = new LucidImage(Size, seed: 1);
        var result = TorchRender.Render(TorchPeer.NativeResnet18, _objective, image, new RenderOptions { Steps = Steps, Seed = 1, RedirectRelu = false });
        result.Image.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Steps)]
    public void PlainTorchSharp() => _plain.Steps(Steps);
}

/// <summary>
/// A Lucid-style render written as a plain TorchSharp loop at 224² — what a TorchSharp user would write: Fourier spectrum
/// with 1/f scaling, colour decorrelation, sigmoid, Lucid's standard transforms, then the network on RGB in [0, 1] up to
/// the objective's layer (its input normalization included), the channel's mean, Adam 0.05.
/// </summary>
internal sealed class PlainTorchSharpRender
{
    private const int Size = 224;
    private readonly Func<Tensor, Tensor> _features;
    private readonly int _channel;
    private readonly Tensor _spectrum, _scale, _colour;
    private readonly optim.Optimizer _adam;
    private readonly Random _random = new(1);

    public PlainTorchSharpRender(Func<Tensor, Tensor> features, int channel, int batch)
    {
        _features = features;
        _channel = channel;
        torch.manual_seed(1);
        int fw = Size / 2 + 1;
        _spectrum = new global::TorchSharp.Modules.Parameter(torch.randn(new long[] { batch, 3, Size, fw, 2 }) * 0.01);
        var fy = torch.fft.fftfreq(Size).reshape(-1, 1);
        var fx = torch.fft.rfftfreq(Size).reshape(1, -1);
        var freq = torch.sqrt(fx * fx + fy * fy);
        _scale = (1.0 / torch.maximum(freq, torch.tensor(1.0 / Size))).reshape(1, 1, Size, fw, 1) * Size;
        var colour = torch.tensor(new float[] { 0.26f, 0.09f, 0.02f, 0.27f, 0.00f, -0.05f, 0.27f, -0.09f, 0.03f }).reshape(3, 3);
        _colour = colour / colour.square().sum(0).sqrt().max();
        _adam = optim.Adam(new[] { (global::TorchSharp.Modules.Parameter)_spectrum }, 0.05);
    }

    /// <summary>
    /// torchvision's normalization, then the module's children called in order up to the one whose output is the
    /// objective's layer (<c>prefix</c>), as a user would stop the network there.
    /// </summary>
    public static Func<Tensor, Tensor> TorchvisionPrefix(nn.Module<Tensor, Tensor> module, params string[] prefix)
    {
        var children = module.named_children().ToDictionary(c => c.name, c => c.module);
        var modules = prefix.Select(name => (nn.Module<Tensor, Tensor>)children[name]).ToArray();
        var mean = torch.tensor(new[] { 0.485f, 0.456f, 0.406f }).reshape(1, 3, 1, 1);
        var std = torch.tensor(new[] { 0.229f, 0.224f, 0.225f }).reshape(1, 3, 1, 1);
        return x =>
        {
            x = (x - mean) / std;
            foreach (var m in modules) x = m.call(x);
            return x;
        };
    }

    public void Steps(int steps)
    {
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            _adam.zero_grad();
            var spectrum = torch.view_as_complex(_spectrum * _scale);
            var pixels = torch.fft.irfft2(spectrum, new long[] { Size, Size }, norm: FFTNormType.Ortho) / 4;
            var rgb = torch.einsum("nchw,dc->ndhw", pixels, _colour).sigmoid();
            // Lucid's standard transforms: pad 12 (constant 0.5), jitter 8, scale 0.9–1.1, rotation −10..10°, jitter 4,
            // then back to the input size (as the PyTorch render peer)
            var x = nn.functional.pad(rgb, new long[] { 12, 12, 12, 12 }, value: 0.5);
            x = Jitter(x, 8);
            double s = 0.9 + 0.02 * _random.Next(11);
            x = nn.functional.interpolate(x, scale_factor: new[] { s, s }, mode: InterpolationMode.Bilinear, align_corners: false);
            int degrees = _random.Next(26) is var k && k < 21 ? k - 10 : 0;
            if (degrees != 0)
            {
                double a = degrees * Math.PI / 180, h = x.shape[2], w = x.shape[3];
                var theta = torch.tensor(new[] { (float)Math.Cos(a), (float)(-Math.Sin(a) * h / w), 0f, (float)(Math.Sin(a) * w / h), (float)Math.Cos(a), 0f })
                    .reshape(1, 2, 3).expand(x.shape[0], 2, 3);
                x = nn.functional.grid_sample(x, nn.functional.affine_grid(theta, x.shape, align_corners: false), align_corners: false);
            }
            x = Jitter(x, 4);
            x = nn.functional.interpolate(x, size: new long[] { Size, Size }, mode: InterpolationMode.Bilinear, align_corners: false);
            var loss = -_features(x)[.., _channel].mean();
            loss.backward();
            _adam.step();
        }
    }

    private Tensor Jitter(Tensor x, int d)
    {
        long h = x.shape[2], w = x.shape[3];
        int dy = _random.Next(d + 1), dx = _random.Next(d + 1);
        return x[.., .., dy..(int)(h - d + dy), dx..(int)(w - d + dx)];
    }
}

/// <summary>
/// Attribution of torchvision's resnet18 at 224², batch 1, target channel 9 of layer3.1: LRP (EpsilonPlusFlat, batch norm
/// merged) in Lucid's engine on the imported module and natively in TorchSharp (path (b)); Integrated Gradients (16 steps,
/// one batch) through the wrapped module (path (a)) and natively.
/// </summary>
public class TorchSharpAttributionBenchmarks
{
    private LucidTensor _pixels = null!;
    private Tensor _x = null!;
    private readonly Lucid.Attribution.AttributionTarget _target = Lucid.Attribution.AttributionTarget.Channel("layer3.1", 9);

    [GlobalSetup]
    public void Setup()
    {
        _ = TorchPeer.ImportedResnet18;
        _ = TorchPeer.WrappedResnet18;
        _pixels = new Rng(2).Uniform(new[] { 1, 3, 224, 224 }).DetachFromScope();
        _x = TorchTensors.ToTorch(_pixels, TorchPeer.NativeResnet18.Device);
    }

    [Benchmark]
    public void LrpImported()
    {
        using var scope = LucidTensor.Scope();
        Lucid.Attribution.LrpComposites.For(Lucid.Attribution.LrpComposite.EpsilonPlusFlat, TorchPeer.ImportedResnet18).Attribute(TorchPeer.ImportedResnet18, _pixels, _target);
    }

    [Benchmark]
    public void LrpNative()
    {
        using var scope = NewDisposeScope();
        TorchAttribution.Lrp(TorchPeer.NativeResnet18, _x, _target, Lucid.Attribution.LrpComposite.EpsilonPlusFlat);
    }

    [Benchmark]
    public void IntegratedGradients16Wrapped()
    {
        using var scope = LucidTensor.Scope();
        Lucid.Attribution.GradientAttribution.IntegratedGradients(TorchPeer.WrappedResnet18, _pixels, _target, steps: 16);
    }

    [Benchmark]
    public void IntegratedGradients16Native()
    {
        using var scope = NewDisposeScope();
        TorchAttribution.IntegratedGradients(TorchPeer.NativeResnet18, _x, _target, steps: 16);
    }
}
