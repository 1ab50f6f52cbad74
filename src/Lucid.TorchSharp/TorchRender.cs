using Lucid.Optvis;
using Rng = Lucid.Tensors.Rng;
using TorchSharp;
using static TorchSharp.torch;
using LucidTensor = Lucid.Tensors.Tensor;
using Tensor = TorchSharp.torch.Tensor;
using Lucid.Tensors;

namespace Lucid.TorchSharp;

/// <summary>A native render's kept images and state: every tensor is TorchSharp's, on the model's device.</summary>
public sealed class TorchRenderResult
{
    internal TorchRenderResult(IReadOnlyList<(int Step, Tensor Image)> snapshots, float[] objective, bool cancelled,
        IReadOnlyDictionary<string, float[]> terms, IReadOnlyList<Tensor> parameters, IReadOnlyList<(Tensor M, Tensor V)> adam, Tensor? attribution)
    {
        Snapshots = snapshots;
        ObjectivePerStep = objective;
        Cancelled = cancelled;
        TermsPerStep = terms;
        Parameters = parameters;
        OptimizerState = adam;
        Attribution = attribution;
    }

    /// <summary>The images kept at the thresholds ([N, C, H, W] in [0, 1]).</summary>
    public IReadOnlyList<(int Step, Tensor Image)> Snapshots { get; }
    public float[] ObjectivePerStep { get; }
    public bool Cancelled { get; }
    public IReadOnlyDictionary<string, float[]> TermsPerStep { get; }

    /// <summary>The image parameters as optimized (leaves of the render's graph).</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Adam's first and second moments, one pair per parameter.</summary>
    public IReadOnlyList<(Tensor M, Tensor V)> OptimizerState { get; }

    /// <summary>Σ over steps of |∂objective/∂image| when <see cref="RenderOptions.AccumulateAttribution"/> is set.</summary>
    public Tensor? Attribution { get; }

    /// <summary>The last kept image.</summary>
    public Tensor Image => Snapshots[^1].Image;

    /// <summary>The same result in Lucid tensors (copied to the CPU), for figures and catalogs.</summary>
    public RenderResult ToLucid() => new(Snapshots.Select(s => (s.Step, TorchTensors.ToLucid(s.Image))).ToList(), ObjectivePerStep, Cancelled)
    {
        TermsPerStep = TermsPerStep,
        Attribution = Attribution is null ? null : TorchTensors.ToLucid(Attribution),
    };
}

/// <summary>
/// Lucid's render loop run natively in TorchSharp (path (b)): the image parameterization, colour decorrelation,
/// transforms, objective and Adam are TorchSharp tensors on the model's device — a GPU where the user has CUDA libtorch.
/// The loop is <see cref="Renderer.Render"/>'s step for step: the same initial parameters (taken from the
/// <see cref="LucidImage"/>), the same transform draws from the same seed (so a render here and one through
/// <see cref="TorchModels.Wrap"/> see the same images), Adam with the same update, Lucid's redirected ReLU gradient for
/// the first steps (a custom autograd function on every ReLU, and on the ReLU that ends a torchvision residual block).
/// Covered: <see cref="LucidImage"/> (Fourier or pixel; decorrelated or not; sigmoid or clip), every transform but
/// <see cref="Transform.CollapseAlpha"/>, every objective built from <see cref="Objectives"/>' channel, neuron,
/// direction, class, DeepDream and penalty terms and their sums, differences, products and scalings. The others
/// (CPPN and RGBA images, VITAL, MACO, custom objectives) are code in Lucid's engine; they render through
/// <see cref="TorchModels.Wrap"/> (path (a)), which runs the same network in TorchSharp on the CPU.
/// </summary>
public static class TorchRender
{
    public static TorchRenderResult Render(TorchModel model, Objective objective, ImageParameterization image, RenderOptions? options = null)
    {
        options ??= new RenderOptions();
        var thresholds = options.CheckedThresholds();
        var view = model.View;
        objective.Validate(view);
        var form = objective.Form ?? throw new LucidArgumentException(nameof(objective),
            $"render on TorchSharp model '{model.Name}': the objective '{objective.Description}' is code in Lucid's engine (a custom or batch-structured objective); render it through TorchModels.Wrap.");
        if (image is not LucidImage lucid)
            throw new LucidArgumentException(nameof(image),
                $"render on TorchSharp model '{model.Name}': the native loop renders LucidImage parameterizations; {image.GetType().Name} renders through TorchModels.Wrap.");
        var transforms = options.Transforms ?? Transform.Standard;
        if (Math.Min(image.Height, image.Width) < transforms.MinimumSize)
            throw new LucidArgumentException("image", $"render: a {image.Height}×{image.Width} image is too small for the transforms (they need at least {transforms.MinimumSize}×{transforms.MinimumSize}).");
        if (view.Input.Shape.Length != 3 || view.Input.Shape[0] != image.Channels)
            throw new LucidArgumentException("image", $"render: model '{model.Name}' takes {Shapes.Format(view.Input.Shape)}; the image has {image.Channels} channels.");
        CheckTransforms(transforms);

        var device = model.Device;
        var picture = new NativeImage(lucid, device);
        var rng = new Rng(options.Seed);
        var adam = picture.Parameters.Select(p => (M: zeros_like(p), V: zeros_like(p))).ToArray();
        var log = new float[options.Steps];
        var terms = new Dictionary<string, float[]>(StringComparer.Ordinal);
        Tensor? attribution = options.AccumulateAttribution ? zeros(image.Batch, image.Channels, image.Height, image.Width, device: device) : null;
        var snapshots = new List<(int, Tensor)>();
        Tensor? lastGood = null;
        int inH = view.Input.Shape[1], inW = view.Input.Shape[2];
        for (int step = 1; step <= options.Steps; step++)
        {
            if (options.Cancellation.IsCancellationRequested)
            {
                snapshots.Add((step - 1, picture.Snapshot()));
                return new TorchRenderResult(snapshots, log[..(step - 1)], true,
                    terms.ToDictionary(t => t.Key, t => t.Value[..(step - 1)], StringComparer.Ordinal), picture.Parameters, adam, attribution);
            }
            using var scope = NewDisposeScope();
            float lr = options.Schedule is { } schedule ? schedule.LearningRate(step - 1, options.LearningRate) : options.LearningRate;
            var pixels = picture.Image();
            var seen = Apply(transforms, pixels, rng);
            if (seen.shape[2] != inH || seen.shape[3] != inW)
                seen = Resize(seen, inH, inW);
            bool redirect = options.RedirectRelu && step <= options.RedirectedReluSteps;
            using var pass = model.Run(model.Normalize(seen), redirect ? BackwardMode.RedirectRelu : BackwardMode.Plain);
            var evaluator = new NativeObjective(model, pass, pixels);
            var value = evaluator.Evaluate(form);
            float v = value.item<float>();
            log[step - 1] = v;
            foreach (var (name, termValue) in evaluator.Terms)
            {
                if (!terms.TryGetValue(name, out var series)) terms[name] = series = new float[options.Steps];
                series[step - 1] = termValue;
            }
            var sources = picture.Parameters.Concat(attribution is null ? Array.Empty<Tensor>() : new[] { pixels }).ToArray();
            var grads = torch.autograd.grad(new[] { -value }, sources, allow_unused: true);
            var parameterGrads = grads.Take(picture.Parameters.Count).Select((g, i) => g ?? zeros_like(picture.Parameters[i])).ToArray();
            if (!float.IsFinite(v) || parameterGrads.Any(g => !isfinite(g).all().item<bool>()))
            {
                var kept = lastGood is null ? null : TorchTensors.ToLucid(lastGood);
                var error = new NumericalException($"render on TorchSharp model '{model.Name}': the objective '{objective.Description}' became " +
                    $"{(float.IsFinite(v) ? "finite but its gradient did not" : v.ToString(System.Globalization.CultureInfo.InvariantCulture))} at step {step}; " +
                    $"the last good image (step {step - 1}) is kept in the exception.") { LastGood = kept };
                error.Data["lastGoodImage"] = kept;
                throw error;
            }
            using (no_grad())
            {
                if (attribution is not null && grads[^1] is { } pg) attribution.add_(pg.abs());
                AdamStep(picture.Parameters, parameterGrads, adam, lr, options.Beta1, options.Beta2, step);
            }
            options.Progress?.Report(new RenderProgress(step, v));
            if (thresholds.Contains(step)) snapshots.Add((step, picture.Snapshot().MoveToOuterDisposeScope()));
            lastGood?.Dispose();
            lastGood = pixels.detach().clone().MoveToOuterDisposeScope();
        }
        lastGood?.Dispose();
        return new TorchRenderResult(snapshots, log, false, terms, picture.Parameters, adam, attribution);
    }

    /// <summary>Lucid's Adam update (Lucid.Tensors.Optim.Adam) in TorchSharp tensors: m, v, then p −= lr/bc₁ · m / (√v/√bc₂ + ε).</summary>
    private static void AdamStep(IReadOnlyList<Tensor> parameters, Tensor[] grads, (Tensor M, Tensor V)[] state, float lr, float beta1, float beta2, int step)
    {
        const float epsilon = 1e-8f;
        float bc1 = 1f - MathF.Pow(beta1, step);
        float bc2Sqrt = MathF.Sqrt(1f - MathF.Pow(beta2, step));
        float stepSize = lr / bc1;
        for (int i = 0; i < parameters.Count; i++)
        {
            var (m, v) = state[i];
            var g = grads[i];
            m.mul_(beta1).add_(g * (1f - beta1));
            v.mul_(beta2).add_(g * (1f - beta2) * g);
            parameters[i].sub_(m * stepSize / (v.sqrt() / bc2Sqrt + epsilon));
        }
    }

    private static void CheckTransforms(Transform t)
    {
        switch (t)
        {
            case ComposeTransform c:
                foreach (var part in c.Parts) CheckTransforms(part);
                break;
            case CollapseAlphaTransform:
                throw new LucidArgumentException("transforms", "render on a TorchSharp model: CollapseAlpha (RGBA images) renders through TorchModels.Wrap.");
        }
    }

    /// <summary>A transform of Lucid's (<see cref="Transform"/>) in TorchSharp, drawing from <paramref name="rng"/> exactly as Lucid's own.</summary>
    internal static Tensor Apply(Transform t, Tensor image, Rng rng)
    {
        switch (t)
        {
            case ComposeTransform c:
                foreach (var part in c.Parts) image = Apply(part, image, rng);
                return image;
            case PadTransform p:
            {
                var pads = new long[] { p._width, p._width, p._width, p._width };
                return p._kind switch
                {
                    PadKind.Reflect => nn.functional.pad(image, pads, PaddingModes.Reflect),
                    PadKind.Uniform => nn.functional.pad(image, pads, PaddingModes.Constant, rng.NextFloat()),
                    _ => nn.functional.pad(image, pads, PaddingModes.Constant, p._value),
                };
            }
            case JitterTransform j:
            {
                long h = image.shape[2], w = image.shape[3];
                if (h <= j._d || w <= j._d) throw new LucidArgumentException("image", $"jitter({j._d}): the image ({h}×{w}) is too small.");
                int oy = (int)(rng.NextUInt64() % (ulong)(j._d + 1)), ox = (int)(rng.NextUInt64() % (ulong)(j._d + 1));
                return image.narrow(2, oy, h - j._d).narrow(3, ox, w - j._d);
            }
            case ScaleTransform s:
            {
                double scale = s._scales[(int)(rng.NextUInt64() % (ulong)s._scales.Length)];
                long h = Math.Max(1, (int)(scale * image.shape[2])), w = Math.Max(1, (int)(scale * image.shape[3]));
                return h == image.shape[2] && w == image.shape[3] ? image
                    : Resize(image, (int)h, (int)w);
            }
            case RotateTransform r:
            {
                double a = r._degrees[(int)(rng.NextUInt64() % (ulong)r._degrees.Length)] * Math.PI / 180;
                if (a == 0) return image;
                long n = image.shape[0], h = image.shape[2], w = image.shape[3];
                float cos = (float)Math.Cos(a), sin = (float)Math.Sin(a), ratio = (float)h / w;
                var theta = new float[n * 6];
                for (int i = 0; i < n; i++)
                {
                    theta[i * 6 + 0] = cos; theta[i * 6 + 1] = -sin * ratio; theta[i * 6 + 2] = 0;
                    theta[i * 6 + 3] = sin / ratio; theta[i * 6 + 4] = cos; theta[i * 6 + 5] = 0;
                }
                var grid = nn.functional.affine_grid(tensor(theta, new long[] { n, 2, 3 }, device: image.device), image.shape, align_corners: false);
                return nn.functional.grid_sample(image, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);
            }
            case CropOrPadTransform c:
                return Fit(Fit(image, 2, c._height), 3, c._width);
            case RollTransform r:
            {
                int dy = (int)(rng.NextUInt64() % (ulong)(2 * r._max + 1)) - r._max, dx = (int)(rng.NextUInt64() % (ulong)(2 * r._max + 1)) - r._max;
                return dy == 0 && dx == 0 ? image : image.roll(new long[] { dy, dx }, new long[] { 2, 3 });
            }
            case NoiseTransform noise:
            {
                var values = new float[image.numel()];
                float sigma = noise._sigma;
                for (int i = 0; i < values.Length; i++) values[i] = (float)(sigma * rng.NextNormal() + sigma * (rng.NextDouble() - 0.5));
                return image + tensor(values, image.shape, device: image.device);
            }
            case CropsTransform crops:
                return Crops(crops, image, rng);
            case NormalizeGradientTransform:
                return NativeFunctions.Apply(image, g =>
                {
                    var norm = g.flatten(1).norm(1).view(new long[] { -1 }.Concat(Enumerable.Repeat(1L, (int)g.dim() - 1)).ToArray());
                    return new Tensor?[] { where(norm.gt(0), g / norm, g) };
                }, image);
            default:
                throw new LucidArgumentException("transforms", $"render on a TorchSharp model: transform {t.GetType().Name} renders through TorchModels.Wrap.");
        }
    }

    /// <summary>
    /// Bilinear resizing with PyTorch's half-pixel convention, built from the very taps Lucid's engine uses
    /// (Ops.BilinearTaps): the same source rows and columns and the same weights — exact zeros included, which matters
    /// because Adam turns a pixel's zero gradient and a tiny one into no step and a full one.
    /// </summary>
    internal static Tensor Resize(Tensor x, int outH, int outW) =>
        Taps(Taps(x, 2, outH), 3, outW);

    /// <summary>Lucid's taps for one resize as tensors on a device, built once per (size, size, device): a render resizes the same way every step.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(long In, int Out, string Device), (Tensor I0, Tensor I1, Tensor W0, Tensor W1)> TapTensors = new();

    private static Tensor Taps(Tensor x, int dim, int output)
    {
        var (i0, i1, w0, w1) = TapTensors.GetOrAdd((x.shape[dim], output, x.device.ToString()), key =>
        {
            var taps = Lucid.Tensors.Ops.BilinearTaps((int)key.In, key.Out, alignCorners: false);
            Tensor Index(int[] i) => tensor(i.Select(v => (long)v).ToArray(), device: x.device).DetachFromDisposeScope();
            Tensor Weight(float[] w) => tensor(w, device: x.device).DetachFromDisposeScope();
            return (Index(taps.I0), Index(taps.I1), Weight(taps.W0), Weight(taps.W1));
        });
        var shape = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
        shape[dim] = -1;
        return x.index_select(dim, i0) * w0.view(shape) + x.index_select(dim, i1) * w1.view(shape);
    }

    private static Tensor Crops(CropsTransform c, Tensor image, Rng rng)
    {
        long n = image.shape[0], h = image.shape[2], w = image.shape[3];
        var list = new List<Tensor>();
        for (int e = 0; e < n; e++)
        {
            var one = image.narrow(0, e, 1);
            for (int k = 0; k < c._count; k++)
            {
                double fraction = c._min + (c._max - c._min) * rng.NextDouble();
                int bh = Math.Max(1, (int)Math.Round(fraction * h)), bw = Math.Max(1, (int)Math.Round(fraction * w));
                double cy = Math.Clamp(0.5 + c._centerStd * rng.NextNormal(), 0, 1), cx = Math.Clamp(0.5 + c._centerStd * rng.NextNormal(), 0, 1);
                int y0 = (int)Math.Clamp(Math.Round(cy * h - bh / 2.0), 0, h - bh), x0 = (int)Math.Clamp(Math.Round(cx * w - bw / 2.0), 0, w - bw);
                var box = one.narrow(2, y0, bh).narrow(3, x0, bw);
                list.Add(Resize(box, c._size, c._size));
            }
        }
        return list.Count == 1 ? list[0] : cat(list, 0);
    }

    private static Tensor Fit(Tensor t, int dim, int target)
    {
        long size = t.shape[dim];
        if (size == target) return t;
        if (size > target) return t.narrow(dim, (size - target) / 2, target);
        long before = (target - size) / 2, after = target - size - before;
        var pads = dim == 3 ? new[] { before, after } : new[] { 0, 0, before, after };
        return nn.functional.pad(t, pads);
    }
}

/// <summary>
/// A <see cref="LucidImage"/> in TorchSharp tensors: its variable (copied, so the render starts where Lucid's would), the
/// Fourier scale, Lucid's colour decorrelation and the sigmoid (or clip with a projected gradient).
/// </summary>
internal sealed class NativeImage
{
    private readonly LucidImage _image;
    private readonly Tensor _variable;
    private readonly Tensor? _scale;
    private readonly Tensor? _decorrelation;
    private readonly Tensor? _colorMean;

    public NativeImage(LucidImage image, Device device)
    {
        _image = image;
        _variable = TorchTensors.ToTorch(image.Parameters[0], device).requires_grad_(true);
        _scale = image.IsFourier ? TorchTensors.ToTorch(image.FrequencyScaleTensor!, device) : null;
        if (image.Decorrelation is { } m)
        {
            var w = new float[9];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) w[i * 3 + j] = m[i, j];
            _decorrelation = tensor(w, new long[] { 3, 3, 1, 1 }, device: device);
            _colorMean = tensor(SpatialImage.ImageNetColorMean, new long[] { 1, 3, 1, 1 }, device: device);
        }
    }

    public IReadOnlyList<Tensor> Parameters => new[] { _variable };

    public Tensor Image()
    {
        var t = _scale is null ? _variable
            : fft.irfft2(view_as_complex((_variable * _scale).contiguous()), new long[] { _image.Height, _image.Width }) * 0.25f;
        if (_decorrelation is not null) t = nn.functional.conv2d(t, _decorrelation);
        if (_image.UsesSigmoid) return sigmoid(t);
        if (_colorMean is not null) t = t + _colorMean;
        return ConstrainUnit(t * 2f - 1f) * 0.5f + 0.5f;
    }

    /// <summary>Lucid's constrain_L_inf: a clip to [−1, 1] whose gradient drops only the component pushing a clipped value further out.</summary>
    private static Tensor ConstrainUnit(Tensor x)
    {
        var saved = x.detach();
        return NativeFunctions.Apply(saved.clamp(-1f, 1f), g =>
        {
            var outward = saved.ge(1f).logical_and(g.lt(0)).logical_or(saved.le(-1f).logical_and(g.gt(0)));
            return new Tensor?[] { where(outward, zeros_like(g), g) };
        }, x);
    }

    public Tensor Snapshot()
    {
        using var _ = no_grad();
        return Image().detach().clone();
    }
}

/// <summary>Evaluates an objective's form on a native pass, with the same value as the objective's own code in Lucid's engine.</summary>
internal sealed class NativeObjective(TorchModel model, NativePass pass, Tensor pixels)
{
    public List<(string Name, float Value)> Terms { get; } = new();

    public Tensor Evaluate(ObjectiveForm form) => form switch
    {
        ObjectiveForm.Binary b => b.Op switch
        {
            '+' => Evaluate(b.Left) + Evaluate(b.Right),
            '-' => Evaluate(b.Left) - Evaluate(b.Right),
            _ => Evaluate(b.Left) * Evaluate(b.Right),
        },
        ObjectiveForm.Affine a => a.Offset == 0 ? Evaluate(a.Inner) * (float)a.Scale : Evaluate(a.Inner) * (float)a.Scale + (float)a.Offset,
        ObjectiveForm.Named n => Report(n.Name, Evaluate(n.Inner)),
        ObjectiveForm.Term t => Term(t),
        _ => throw new LucidArgumentException("objective", $"objective form {form.GetType().Name} has no TorchSharp evaluation."),
    };

    private Tensor Report(string name, Tensor value)
    {
        Terms.Add((name, value.item<float>()));
        return value;
    }

    private Tensor Tap(string tap) => tap == "input" ? pixels : tap == model.View.OutputTap ? pass.Output : pass[tap, model.Name];

    private Tensor Select(string tap, int? batch) => batch is { } b ? Tap(tap).narrow(0, b, 1) : Tap(tap);

    private Tensor Term(ObjectiveForm.Term t)
    {
        switch (t.Kind)
        {
            case "neuron":
            {
                var a = Select(t.Tap, t.Batch);
                long y = t.Y ?? a.shape[2] / 2, x = t.X ?? a.shape[3] / 2;
                return a.narrow(1, t.Index, 1).narrow(2, y, 1).narrow(3, x, 1).mean();
            }
            case "channel":
                return Select(t.Tap, t.Batch).narrow(1, t.Index, 1).mean();
            case "direction":
                return DotCossim(Select(t.Tap, t.Batch), t.Vector!, t.Parameter);
            case "direction_neuron":
            {
                var a = Select(t.Tap, t.Batch);
                long y = t.Y ?? a.shape[2] / 2, x = t.X ?? a.shape[3] / 2;
                return DotCossim(a.narrow(2, y, 1).narrow(3, x, 1), t.Vector!, t.Parameter);
            }
            case "class_logit":
                return Select(model.View.OutputTap, t.Batch).narrow(1, ClassIndex(t), 1).sum();
            case "class_log_probability":
                return nn.functional.log_softmax(Select(model.View.OutputTap, t.Batch), 1).narrow(1, ClassIndex(t), 1).sum();
            case "deep_dream":
            {
                var a = Tap(t.Tap);
                return (a * a).mean();
            }
            case "total_variation":
            {
                var a = Tap(t.Tap);
                long h = a.shape[2], w = a.shape[3];
                var dy = a.narrow(2, 1, h - 1) - a.narrow(2, 0, h - 1);
                var dx = a.narrow(3, 1, w - 1) - a.narrow(3, 0, w - 1);
                return dy.abs().sum() + dx.abs().sum();
            }
            case "l1":
                return (Tap(t.Tap) - (float)t.Parameter).abs().sum();
            case "l2":
            {
                var d = Tap(t.Tap) - (float)t.Parameter;
                return ((d * d).sum() + (float)t.Epsilon).sqrt();
            }
            case "channel_weight":
            {
                var a = Select(t.Tap, t.Batch);
                return (a * Broadcast(t.Vector!, a)).sum(1).mean();
            }
            case "neuron_weight":
            {
                var a = Select(t.Tap, t.Batch);
                long y = t.Y ?? a.shape[2] / 2, x = t.X ?? a.shape[3] / 2;
                var at = a.narrow(2, y, 1).narrow(3, x, 1);
                return (at * Broadcast(t.Vector!, at)).sum(1).mean();
            }
            default:
                throw new LucidArgumentException("objective", $"objective term '{t.Kind}' has no TorchSharp evaluation.");
        }
    }

    private int ClassIndex(ObjectiveForm.Term t)
    {
        if (t.Label is null) return t.Index;
        int i = model.View.Labels.ToList().IndexOf(t.Label);
        return i >= 0 ? i : throw new LucidArgumentException("label", $"objective: model '{model.Name}' has no class '{t.Label}'.");
    }

    private static Tensor Broadcast(float[] vector, Tensor like)
    {
        var shape = Enumerable.Repeat(1L, (int)like.dim()).ToArray();
        shape[1] = vector.Length;
        return tensor(vector, device: like.device).view(shape);
    }

    /// <summary>⟨a, v⟩ averaged, or Lucid's ⟨a, v⟩·max(0.1, cos(a, v))^pow with norms +1e-4 (Objectives.DotCossim).</summary>
    private static Tensor DotCossim(Tensor a, float[] direction, double cossimPow)
    {
        var dot = (a * Broadcast(direction, a)).sum(1);
        if (cossimPow == 0) return dot.mean();
        double vNorm = Math.Sqrt(direction.Sum(d => (double)d * d));
        var aNorm = (a * a).sum(1).sqrt();
        var cos = dot / ((aNorm + 1e-4f) * (float)(1e-4 + vNorm));
        return (dot * cos.clamp_min(0.1f).pow((float)cossimPow)).mean();
    }
}
