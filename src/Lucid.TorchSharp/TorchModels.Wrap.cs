using Lucid.Models.Graph;
using Ops = Lucid.Tensors.Ops;
using Tensor = TorchSharp.torch.Tensor;
using TorchSharp;
using static TorchSharp.torch;
using LucidTensor = Lucid.Tensors.Tensor;
using Lucid.Tensors;

namespace Lucid.TorchSharp;

public static partial class TorchModels
{
    /// <summary>
    /// Runs <paramref name="module"/> in TorchSharp as one differentiable operation of a Lucid model, on the module's
    /// device. Every submodule's output is a tap (named as in <c>named_modules()</c>; a module called twice gives
    /// <c>name</c> and <c>name:2</c>; the root's result is the last tap, or <c>output</c> when it is not a submodule's),
    /// so objectives, gradient attributions and renders work unchanged. The gradient of a tap is TorchSharp's
    /// (<c>torch.autograd.grad</c>). The layers inside stay TorchSharp's: LRP and gradients at an inner tap need
    /// <see cref="Import"/>; the model has no parameters to train in Lucid.
    /// </summary>
    public static Model Wrap(nn.Module module, TorchModelOptions options)
    {
        TorchRuntime.EnsureLoaded();
        var typed = Typed(module, options.Name);
        CheckOptions(options);
        TorchRuntime.Guard(module, options.Name);
        var runner = new TorchRunner(typed, options.Name);
        var taps = runner.Probe(options.InputShape);
        var nodes = new List<ModelNode>(taps.Count);
        for (int i = 0; i < taps.Count; i++)
        {
            Layer layer = i == 0 ? new TorchForwardLayer(runner, taps[0].Name) : new TorchTapLayer(runner, taps[i].Name);
            nodes.Add(new ModelNode(taps[i].Name, layer, i == 0 ? new[] { "input" } : new[] { taps[0].Name }, taps[i].Shape));
        }
        return new Model(options.Name, options.Contract.For(options.InputShape), nodes, options.Labels);
    }

    /// <summary>Runs the module with forward hooks on every submodule and turns its outputs into Lucid taps.</summary>
    internal sealed class TorchRunner
    {
        private readonly nn.Module<Tensor, Tensor> _module;
        private readonly (string Name, nn.Module<Tensor, Tensor> Module)[] _modules;
        private readonly string _model;
        private readonly ThreadLocal<Dictionary<string, LucidTensor>?> _current = new();

        public TorchRunner(nn.Module<Tensor, Tensor> module, string model)
        {
            _module = module;
            _model = model;
            module.eval();
            _modules = module.named_modules().Where(m => m.module is nn.Module<Tensor, Tensor>)
                .Select(m => (m.name, (nn.Module<Tensor, Tensor>)m.module)).ToArray();
            var devices = module.parameters().Select(p => p.device.ToString()).Concat(module.buffers().Select(b => b.device.ToString())).Distinct().ToList();
            if (devices.Count > 1)
                throw new ModelException($"TorchSharp model '{model}': its parameters and buffers are on several devices ({string.Join(", ", devices)}); move the module to one device (module.to(device)).");
            Device = devices.Count == 1 ? torch.device(devices[0]) : CPU;
        }

        /// <summary>Where the module runs; inputs are moved there.</summary>
        public Device Device { get; }

        /// <summary>Runs the module once on zeros: the taps in the order their modules finish, with their shapes.</summary>
        public List<(string Name, int[] Shape)> Probe(int[] inputShape)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var x = zeros(new long[] { 1 }.Concat(inputShape.Select(d => (long)d)).ToArray(), device: Device);
            var (outputs, result) = RunHooked(x);
            var list = outputs.Select(o => (o.Name, Batchless(o.Value))).ToList();
            foreach (var o in outputs) o.Value.Dispose();
            if (result is not null) list.Add(("output", Batchless(result)));
            if (list.Count == 0) throw new ModelException($"TorchSharp model '{_model}': the module returned nothing Lucid can read.");
            return list;
        }

        private static int[] Batchless(Tensor t) => t.shape.Skip(1).Select(d => checked((int)d)).ToArray();

        /// <summary>
        /// One forward pass with a hook on every submodule: each output is cloned as it is produced (torchvision's blocks
        /// modify tensors in place afterwards). The root's result is returned separately when it is not the last tap.
        /// </summary>
        private (List<(string Name, Tensor Value)> Taps, Tensor? Result) RunHooked(Tensor x)
        {
            // hooks belong to the module, not to this call: one hooked pass at a time per module (every Wrap of it)
            lock (_module) return RunHookedAlone(x);
        }

        private (List<(string Name, Tensor Value)> Taps, Tensor? Result) RunHookedAlone(Tensor x)
        {
            var taps = new List<(string Name, Tensor Value)>();
            var calls = new Dictionary<string, int>(StringComparer.Ordinal);
            var raw = new List<Tensor>();
            var removers = new List<Action>();
            try
            {
                foreach (var (name, module) in _modules)
                {
                    string moduleName = name;
                    var remover = module.register_forward_hook((_, _, output) =>
                    {
                        int n = calls[moduleName] = calls.GetValueOrDefault(moduleName) + 1;
                        taps.Add((n == 1 ? moduleName : $"{moduleName}:{n}", output.clone().DetachFromDisposeScope()));   // modules' own scopes must not take it; never shared between
                        // modules by identity: in-place ops make a block return its bn2's very tensor, with other values
                        raw.Add(output);
                        return null!;
                    });
                    removers.Add(remover.remove);
                }
                var result = _module.call(x);
                if (taps.Count > 0 && ReferenceEquals(raw[^1], result))
                    return (taps, null);
                return (taps, result);
            }
            catch (Exception e) when (e is not LucidException)
            {
                throw new ModelException($"TorchSharp model '{_model}': its forward failed on input {Shapes.Format(x.shape)}: {e.Message}");
            }
            finally
            {
                foreach (var remove in removers) remove();
            }
        }

        /// <summary>
        /// Runs the module on <paramref name="input"/> (the network's input, after the contract); every tap becomes a
        /// Lucid tensor whose gradient TorchSharp computes. Returns the first tap; the others wait for their nodes.
        /// </summary>
        public LucidTensor Forward(LucidTensor input, string first)
        {
            bool grad = Lucid.Tensors.Autograd.GradMode.IsEnabled && input.RequiresGrad;
            var pass = new TorchPass();
            using var scope = NewDisposeScope();      // the module's intermediates; what backward needs, libtorch's graph keeps
            try
            {
                var x = pass.Keep(TorchTensors.ToTorch(input, Device));
                if (grad) x.requires_grad_(true);
                List<(string Name, Tensor Value)> taps;
                Tensor? result;
                using (grad ? enable_grad() : no_grad())
                    (taps, result) = RunHooked(x);
                if (result is not null) taps.Add(("output", result));
                var values = new Dictionary<string, LucidTensor>(StringComparer.Ordinal);
                foreach (var (name, value) in taps)
                {
                    pass.Keep(value);
                    var lucid = TorchTensors.ToLucid(value);
                    if (grad && value.requires_grad)
                    {
                        var tap = value;
                        lucid = Ops.Function($"torch:{name}", lucid, new[] { input }, (g, grads) => grads[0] = Gradient(tap, x, g, input), pass.Share());
                    }
                    values[name] = lucid;
                }
                if (!grad) pass.Dispose();
                _current.Value = values;
                return values[first];
            }
            catch
            {
                pass.Dispose();
                throw;
            }
        }

        /// <summary>The tap's value from the forward pass that just ran on this thread.</summary>
        public LucidTensor Tap(string name) =>
            _current.Value is { } values && values.TryGetValue(name, out var t) ? t
                : throw new ModelException($"TorchSharp model '{_model}': tap '{name}' was read before the module ran (the model's first node runs it).");

        private LucidTensor Gradient(Tensor tap, Tensor x, LucidTensor gradOutput, LucidTensor input)
        {
            using var scope = NewDisposeScope();
            var g = TorchTensors.ToTorch(gradOutput, Device);
            var dx = autograd.grad(new[] { tap }, new[] { x }, new[] { g }, retain_graph: true, allow_unused: true)[0];
            return dx.IsInvalid ? LucidTensor.Zeros(input.Shape.ToArray()) : TorchTensors.ToLucid(dx);
        }
    }

    /// <summary>The TorchSharp tensors of one forward pass, disposed when the last Lucid node reading them is freed.</summary>
    private sealed class TorchPass : IDisposable
    {
        private readonly List<Tensor> _tensors = new();
        private int _users;
        private bool _disposed;

        public Tensor Keep(Tensor t)
        {
            t.DetachFromDisposeScope();
            _tensors.Add(t);
            return t;
        }

        public IDisposable Share()
        {
            Interlocked.Increment(ref _users);
            return new Handle(this);
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var t in _tensors) t.Dispose();
            _tensors.Clear();
        }

        private sealed class Handle(TorchPass pass) : IDisposable
        {
            private int _released;
            public void Dispose()
            {
                if (Interlocked.Exchange(ref _released, 1) == 0 && Interlocked.Decrement(ref pass._users) == 0) pass.Dispose();
            }
        }
    }

    private sealed class TorchForwardLayer(TorchRunner runner, string tap) : Layer
    {
        public override string Kind => "torch_module";
        public override LucidTensor Forward(IReadOnlyList<LucidTensor> inputs) => runner.Forward(inputs[0], tap);
        public override int[] OutputShape(IReadOnlyList<int[]> inputs) => throw new NotSupportedException();
    }

    private sealed class TorchTapLayer(TorchRunner runner, string tap) : Layer
    {
        public override string Kind => "torch_tap";
        public override LucidTensor Forward(IReadOnlyList<LucidTensor> inputs) => runner.Tap(tap);
        public override int[] OutputShape(IReadOnlyList<int[]> inputs) => throw new NotSupportedException();
    }
}
