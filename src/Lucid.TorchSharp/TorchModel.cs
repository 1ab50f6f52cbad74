using Lucid.Models.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;
using Lucid.Tensors;

namespace Lucid.TorchSharp;

/// <summary>
/// A TorchSharp module driven natively (path (b)): renders (<see cref="TorchRender"/>) and attributions
/// (<see cref="TorchAttribution"/>) run with every tensor of their loop as TorchSharp tensors on the module's device —
/// a GPU where the user has CUDA libtorch. Taps come from forward hooks, gradients from libtorch's autograd; Lucid's
/// redirected ReLU gradient and LRP's rules are custom autograd functions applied to module outputs inside the hooks.
/// <see cref="View"/> is the same module as a Lucid <see cref="Model"/> (<see cref="TorchModels.Wrap"/>): its taps, shapes and
/// labels are what objectives and targets are checked against before anything runs.
/// </summary>
public sealed class TorchModel
{
    private readonly (string Name, nn.Module<Tensor, Tensor> Module)[] _modules;
    private readonly Lazy<(Tensor Scale, Tensor Shift, Tensor? Permutation)> _contract;

    private TorchModel(nn.Module<Tensor, Tensor> module, TorchModelOptions options, Model view, Device device)
    {
        Module = module;
        Options = options;
        View = view;
        Device = device;
        _modules = module.named_modules().Where(m => m.module is nn.Module<Tensor, Tensor>)
            .Select(m => (m.name, (nn.Module<Tensor, Tensor>)m.module)).ToArray();
        FirstLinear = FirstLinearModule();
        _contract = new(ContractTensors);
    }

    /// <summary>Drives <paramref name="module"/> natively; it is put in evaluation mode and must sit on one device.</summary>
    public static TorchModel Create(nn.Module module, TorchModelOptions options)
    {
        var view = TorchModels.Wrap(module, options);          // checks the module, the options and the device; probes the taps
        var typed = (nn.Module<Tensor, Tensor>)module;
        var devices = module.parameters().Select(p => p.device.ToString()).Concat(module.buffers().Select(b => b.device.ToString())).Distinct().ToList();
        return new TorchModel(typed, options, view, devices.Count == 1 ? torch.device(devices[0]) : CPU);
    }

    public nn.Module<Tensor, Tensor> Module { get; }
    public TorchModelOptions Options { get; }

    /// <summary>The module as a Lucid model (path (a)): the taps, shapes, labels and input contract checks run against.</summary>
    public Model View { get; }

    /// <summary>Where the module's parameters are; every tensor of a native loop lives there.</summary>
    public Device Device { get; }

    public string Name => Options.Name;

    /// <summary>The first convolution or linear module in forward order (the composites' input layer).</summary>
    internal string? FirstLinear { get; }

    private string? FirstLinearModule()
    {
        var kinds = _modules.ToDictionary(m => m.Name, m => KindOf(m.Module), StringComparer.Ordinal);
        return View.Taps.FirstOrDefault(t => kinds.TryGetValue(t, out var k) && Lucid.Attribution.LrpKinds.HasWeights(k));
    }

    /// <summary>The kind of the module named <paramref name="name"/> (did-you-mean when there is none).</summary>
    internal string KindOf(string name)
    {
        foreach (var (n, m) in _modules) if (n == name) return KindOf(m);
        _ = View[name];                                   // throws, naming the nearest tap
        throw new ModelException($"TorchSharp model '{Name}' has no module '{name}'.");
    }

    /// <summary>The op a module computes, in Lucid's names (what LRP composites assign rules by).</summary>
    internal static string KindOf(nn.Module m) => m switch
    {
        Conv2d => "conv2d",
        Linear => "linear",
        MaxPool2d => "max_pool2d",
        AvgPool2d => "avg_pool2d",
        AdaptiveAvgPool2d => "adaptive_avg_pool2d",
        BatchNorm2d => "batch_norm",
        ReLU => "relu",
        _ => m.GetType().FullName switch
        {
            "TorchSharp.Modules.ResNet+BasicBlock" => "basic_block",
            "TorchSharp.Modules.ResNet+Bottleneck" => "bottleneck",
            _ => "module",
        },
    };

    /// <summary>Pixels [N, C, H, W] (RGB in [0, 1]) → what the network reads: channel order, range, mean and std of the contract.</summary>
    internal Tensor Normalize(Tensor pixels)
    {
        if (View.Input.IsIdentity) return pixels;
        var (scale, shift, permutation) = _contract.Value;
        var shape = new long[] { 1, scale.shape[0] }.Concat(Enumerable.Repeat(1L, (int)pixels.dim() - 2)).ToArray();
        var x = permutation is null ? pixels : pixels.index_select(1, permutation);
        return x * scale.view(shape) + shift.view(shape);
    }

    /// <summary>The input contract as tensors on the model's device, built once (render steps and IG passes reuse them).</summary>
    private (Tensor Scale, Tensor Shift, Tensor? Permutation) ContractTensors()
    {
        var (scale, shift) = View.Input.Affine();
        var permutation = View.Input.Permutation is { } perm ? tensor(perm.Select(p => (long)p).ToArray(), device: Device).DetachFromDisposeScope() : null;
        return (tensor(scale, device: Device).DetachFromDisposeScope(), tensor(shift, device: Device).DetachFromDisposeScope(), permutation);
    }

    /// <summary>Checks that <paramref name="t"/> is a float32 tensor on this model's device, naming the argument.</summary>
    internal void RequireDevice(Tensor t, string argument)
    {
        if (t.device.type != Device.type || t.device.index != Device.index && Device.index >= 0 && t.device.index >= 0)
            throw new LucidArgumentException(argument, $"TorchSharp model '{Name}' is on {Device}; {argument} is on {t.device}. Move one of them (tensor.to(device) or module.to(device)).");
    }

    /// <summary>
    /// One forward pass on the network's input with a hook on every submodule. Each module's output is kept as a tap
    /// (the graph tensor itself) and the module's caller receives a clone, so torchvision's in-place ReLUs and additions
    /// never rewrite a kept tap. <paramref name="mode"/> rewrites backward passes: Lucid's redirected ReLU, or LRP rules.
    /// </summary>
    internal NativePass Run(Tensor networkInput, BackwardMode mode, Lucid.Attribution.Lrp? rules = null)
    {
        lock (Module)
        {
            var pass = new NativePass();
            var calls = new Dictionary<string, int>(StringComparer.Ordinal);
            var pre = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var removers = new List<Action>();
            (string Name, nn.Module Module, Tensor Returned)? lastLinear = null;
            try
            {
                foreach (var (name, module) in _modules)
                {
                    string moduleName = name;
                    string kind = KindOf(module);
                    if (mode != BackwardMode.Plain && kind == "relu")
                    {
                        var preRemover = module.register_forward_pre_hook((_, input) =>
                        {
                            pre[moduleName] = pass.Keep(input);
                            return input.clone();               // an in-place ReLU then leaves the pre-activation intact
                        });
                        removers.Add(preRemover.remove);
                    }
                    var remover = module.register_forward_hook((m, input, output) =>
                    {
                        int n = calls[moduleName] = calls.GetValueOrDefault(moduleName) + 1;
                        string tap = n == 1 ? moduleName : $"{moduleName}:{n}";
                        Tensor kept = output;
                        switch (mode)
                        {
                            case BackwardMode.RedirectRelu when kind == "relu":
                                kept = NativeFunctions.RedirectedRelu(pass, pre[moduleName]);
                                break;
                            case BackwardMode.Lrp when kind == "relu":
                                kept = NativeFunctions.Pass(pre[moduleName], output.detach());   // Zennit's Pass rule
                                break;
                            case BackwardMode.RedirectRelu when kind is "basic_block" or "bottleneck":
                                var (a, b) = BlockSummands(pass, moduleName, kind, input);
                                kept = NativeFunctions.RedirectedRelu(pass, a + b);
                                break;
                            case BackwardMode.Lrp when kind is "basic_block" or "bottleneck":
                                var (sa, sb) = BlockSummands(pass, moduleName, kind, input);
                                kept = NativeFunctions.SumRule(pass, sa, sb, output.detach(), rules!.SumStabilizer, rules.PositiveSumSplit);
                                break;
                            case BackwardMode.Lrp when Lucid.Attribution.LrpKinds.IsRuleOp(kind):
                                var layer = new NativeLinear(pass, m, kind, rules!.IgnoreBias);
                                pass.Linear[moduleName] = layer;
                                kept = NativeFunctions.Rule(pass, input, output.detach(), rules.RuleFor(moduleName, kind), layer);
                                break;
                            case BackwardMode.Lrp when kind == "batch_norm":
                                // Zennit's canonizer: merged into the convolution or linear layer that produced its input
                                if (lastLinear is { } producer && pass.Linear.TryGetValue(producer.Name, out var merged)
                                    && producer.Returned.shape.SequenceEqual(input.shape))
                                {
                                    merged.MergeBatchNorm((BatchNorm2d)m);
                                    kept = NativeFunctions.Pass(input, output.detach());
                                }
                                else throw new ModelException($"TorchSharp model '{Name}': LRP merges batch norm '{moduleName}' into the convolution or linear layer before it, and it has none.");
                                break;
                        }
                        pass.Taps[tap] = pass.Keep(kept);
                        var returned = kept.clone();
                        lastLinear = Lucid.Attribution.LrpKinds.HasWeights(kind) ? (moduleName, m, returned) : null;
                        return returned;
                    });
                    removers.Add(remover.remove);
                }
                pass.Output = Module.call(networkInput);
                return pass;
            }
            catch (Exception e) when (e is not LucidException)
            {
                pass.Dispose();
                throw new ModelException($"TorchSharp model '{Name}': its forward failed on input {Shapes.Format(networkInput.shape)}: {e.Message}");
            }
            finally
            {
                foreach (var remove in removers) remove();
            }
        }
    }

    /// <summary>A torchvision residual block's summands: its last batch norm's output and the shortcut (downsample, or the block's input).</summary>
    private (Tensor Main, Tensor Shortcut) BlockSummands(NativePass pass, string block, string kind, Tensor input)
    {
        string last = $"{block}.{(kind == "basic_block" ? "bn2" : "bn3")}";
        if (!pass.Taps.TryGetValue(last, out var main))
            throw new ModelException($"TorchSharp model '{Name}': block '{block}' ran without its '{last}'.");
        var shortcut = pass.Taps.TryGetValue($"{block}.downsample", out var ds) ? ds : input;
        return (main, shortcut);
    }
}

/// <summary>How a native pass rewrites backward: not at all, Lucid's redirected ReLU, or LRP's rules.</summary>
internal enum BackwardMode { Plain, RedirectRelu, Lrp }

/// <summary>
/// The kept taps of one native pass (graph tensors) and the module's result. torchvision's modules run their forward in
/// a dispose scope; what the hooks keep past it (taps, what the rewritten backwards read) is detached from the scope,
/// owned by the pass and disposed with it.
/// </summary>
internal sealed class NativePass : IDisposable
{
    private readonly List<Tensor> _owned = new();

    public Tensor Keep(Tensor t)
    {
        t.DetachFromDisposeScope();
        lock (_owned) _owned.Add(t);
        return t;
    }

    public void Dispose()
    {
        lock (_owned)
        {
            foreach (var t in _owned) t.Dispose();
            _owned.Clear();
        }
    }

    public Dictionary<string, Tensor> Taps { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, NativeLinear> Linear { get; } = new(StringComparer.Ordinal);
    public Tensor Output { get; set; } = null!;

    public Tensor this[string tap, string model] => tap == "output" ? Output
        : Taps.TryGetValue(tap, out var t) ? t
        : throw new ModelException($"TorchSharp model '{model}': tap '{tap}' was not computed.");
}
