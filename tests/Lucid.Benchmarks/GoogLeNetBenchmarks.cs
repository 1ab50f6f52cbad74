using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Lucid.Attribution;
using Lucid.Models.Graph;
using Lucid.Optvis;
using Lucid.Tensors.Autograd;
using Lucid.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;
using LucidTensor = Lucid.Tensors.Tensor;
using Rng = Lucid.Tensors.Rng;
using Tensor = TorchSharp.torch.Tensor;

namespace Lucid.Benchmarks;

/// <summary>
/// torchvision's GoogLeNet at 224² with one set of weights in three engines: TorchSharp's module (seeded), ours
/// (<see cref="TorchModels.Import"/> of that module) and PyTorch's (peer/torch_googlenet.py loads the weights this
/// writes and checks its logits against ours first). Random weights (batch norm at its initial statistics) time the
/// same as trained ones.
/// </summary>
internal static class GoogLeNetPeer
{
    /// <summary>The render and attribution target: channel 17 of inception4a (Lucid's mixed4a).</summary>
    public const string Tap = "inception4a";
    public const int Channel = 17;

    public static TorchModelOptions Options { get; } = new()
    {
        Name = "torchvision-googlenet", InputShape = new[] { 3, 224, 224 }, Contract = InputContract.Torchvision,
    };

    private static readonly Lazy<nn.Module<Tensor, Tensor>> Module = new(() =>
    {
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(Environment.ProcessorCount);
        torch.manual_seed(1);
        var m = torchvision.models.googlenet();
        m.eval();
        return m;
    });

    private static readonly Lazy<Model> Imported = new(() => TorchModels.Import(GoogLeNet, Options));
    private static readonly Lazy<TorchModel> Native = new(() => TorchModel.Create(GoogLeNet, Options));

    public static nn.Module<Tensor, Tensor> GoogLeNet => Module.Value;
    public static Model ImportedGoogLeNet => Imported.Value;
    public static TorchModel NativeGoogLeNet => Native.Value;

    public static LucidTensor Pixels(int batch, ulong seed = 1) => new Rng(seed).Uniform(new[] { batch, 3, 224, 224 }).DetachFromScope();

    /// <summary>
    /// Writes the module's state (float32, little-endian, in state-dict order; batch counters left out) to
    /// <c>{prefix}.bin</c> with an index <c>{prefix}.txt</c> (<c>name offset d0,d1,…</c> per line), and a check file
    /// <c>{prefix}.check</c>: pixels [1, 3, 224, 224] and our logits [1, 1000] for them.
    /// </summary>
    public static string WriteForPeer()
    {
        string prefix = Path.Combine(Path.GetTempPath(), $"lucid-googlenet-{Environment.ProcessId}");
        var index = new StringBuilder();
        using (var bin = File.Create(prefix + ".bin"))
        {
            long offset = 0;
            foreach (var (name, t) in GoogLeNet.state_dict())
            {
                if (t.dtype != ScalarType.Float32) continue;          // num_batches_tracked
                var values = t.contiguous().data<float>().ToArray();
                var bytes = new byte[values.Length * 4];
                Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
                bin.Write(bytes);
                index.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{name} {offset} {string.Join(",", t.shape)}"));
                offset += values.Length;
            }
        }
        File.WriteAllText(prefix + ".txt", index.ToString());
        using var scope = LucidTensor.Scope();
        using var _ = GradMode.NoGrad();
        var pixels = Pixels(1, seed: 3);
        var logits = ImportedGoogLeNet.Forward(pixels);
        var data = pixels.ToArray().Concat(logits.ToArray()).ToArray();
        var check = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, check, 0, check.Length);
        File.WriteAllBytes(prefix + ".check", check);
        return prefix;
    }

    public static void Delete(string prefix)
    {
        foreach (var ext in new[] { ".bin", ".txt", ".check" }) File.Delete(prefix + ext);
    }
}

/// <summary>GoogLeNet at 224²: forward, and forward + input gradient (of the summed logits), batch 1 and 8, ours and TorchSharp's.</summary>
public class GoogLeNetBenchmarks
{
    private LucidTensor _pixels = null!;
    private Tensor _x = null!;

    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pixels = GoogLeNetPeer.Pixels(Batch);
        _ = GoogLeNetPeer.ImportedGoogLeNet;
        // the same pixels, normalized as the contract does inside our model
        var mean = torch.tensor(new[] { 0.485f, 0.456f, 0.406f }).reshape(1, 3, 1, 1);
        var std = torch.tensor(new[] { 0.229f, 0.224f, 0.225f }).reshape(1, 3, 1, 1);
        _x = ((TorchTensors.ToTorch(_pixels, torch.CPU) - mean) / std).detach();
    }

    [Benchmark]
    public void OursForward() => Passes.Forward(GoogLeNetPeer.ImportedGoogLeNet, _pixels);

    [Benchmark]
    public void OursForwardInputGradient() => Passes.InputGradient(GoogLeNetPeer.ImportedGoogLeNet, _pixels);

    [Benchmark]
    public void TorchSharpForward() => Passes.Forward(GoogLeNetPeer.GoogLeNet.call, _x);

    [Benchmark]
    public void TorchSharpForwardInputGradient() => Passes.InputGradient(GoogLeNetPeer.GoogLeNet.call, _x);
}

/// <summary>
/// A Lucid-style render step of channel 17 of inception4a at 224², batch 1 and 4: our loop on the imported GoogLeNet
/// (Fourier + decorrelated + sigmoid image, Lucid's standard transforms, Adam 0.05), and the step as a plain TorchSharp loop.
/// </summary>
[MemoryDiagnoser]
public class GoogLeNetRenderBenchmarks
{
    private const int Steps = 4;
    private LucidImage _image = null!;
    private Objective _objective = null!;
    private PlainTorchSharpRender _plain = null!;

    [Params(1, 4)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ = GoogLeNetPeer.ImportedGoogLeNet;
        _image = new LucidImage(224, batch: Batch, seed: 1);
        _objective = Objectives.Channel(GoogLeNetPeer.Tap, GoogLeNetPeer.Channel);
        _plain = new PlainTorchSharpRender(PlainTorchSharpRender.TorchvisionPrefix(GoogLeNetPeer.GoogLeNet,
            "conv1", "maxpool1", "conv2", "conv3", "maxpool2", "inception3a", "inception3b", "maxpool3", "inception4a"), GoogLeNetPeer.Channel, Batch);
    }

    [Benchmark(OperationsPerInvoke = Steps)]
    public void OursRenderStep() =>
        Renderer.Render(GoogLeNetPeer.ImportedGoogLeNet, _objective, _image, new RenderOptions { Steps = Steps, Seed = 1, RedirectRelu = false }).Image.Dispose();

    [Benchmark(OperationsPerInvoke = Steps)]
    public void TorchSharpRenderStep() => _plain.Steps(Steps);
}

/// <summary>
/// Attribution of GoogLeNet at 224², batch 1, target channel 17 of inception4a: LRP EpsilonPlusFlat (batch norm merged)
/// and Integrated Gradients (50 Gauss–Legendre steps in one batch) in our engine on the imported module, and the same in
/// TorchSharp (<see cref="TorchAttribution"/>: the rules as custom autograd functions, path (b)).
/// </summary>
public class GoogLeNetAttributionBenchmarks
{
    private LucidTensor _photo = null!;
    private Tensor _x = null!;
    private Lrp _lrp = null!;
    private readonly AttributionTarget _target = AttributionTarget.Channel(GoogLeNetPeer.Tap, GoogLeNetPeer.Channel);

    [GlobalSetup]
    public void Setup()
    {
        _photo = GoogLeNetPeer.Pixels(1, seed: 2);
        _lrp = LrpComposites.For(LrpComposite.EpsilonPlusFlat, GoogLeNetPeer.ImportedGoogLeNet);
        _x = TorchTensors.ToTorch(_photo, GoogLeNetPeer.NativeGoogLeNet.Device);
    }

    [Benchmark]
    public void OursLrpEpsilonPlusFlat() => _lrp.Attribute(GoogLeNetPeer.ImportedGoogLeNet, _photo, _target).Attribution.Dispose();

    [Benchmark]
    public void OursIntegratedGradients50() =>
        GradientAttribution.IntegratedGradients(GoogLeNetPeer.ImportedGoogLeNet, _photo, _target, steps: 50, internalBatch: 50).Attribution.Dispose();

    [Benchmark]
    public void TorchSharpLrpEpsilonPlusFlat()
    {
        using var scope = NewDisposeScope();
        TorchAttribution.Lrp(GoogLeNetPeer.NativeGoogLeNet, _x, _target, LrpComposite.EpsilonPlusFlat);
    }

    [Benchmark]
    public void TorchSharpIntegratedGradients50()
    {
        using var scope = NewDisposeScope();
        TorchAttribution.IntegratedGradients(GoogLeNetPeer.NativeGoogLeNet, _x, _target, steps: 50, internalBatch: 50);
    }
}
