using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Lucid.Tensors.Optim;

namespace Lucid.Optvis;

/// <summary>Renderer settings; the defaults are Lucid's render_vis (Adam 0.05, standard transforms, 512 steps, ReLU-gradient redirection for 16 steps).</summary>
public sealed record RenderOptions
{
    public int Steps { get; init; } = 512;
    public float LearningRate { get; init; } = 0.05f;
    /// <summary>Adam's β₁ and β₂ (VITAL uses 0.5, 0.9).</summary>
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.999f;
    /// <summary>A learning-rate schedule over the steps (null: constant).</summary>
    public Lucid.Tensors.Optim.ILearningRateSchedule? Schedule { get; init; }
    /// <summary>Transforms applied before the model sees the image (null: <see cref="Transform.Standard"/>).</summary>
    public Transform? Transforms { get; init; }
    /// <summary>Steps after which the image is kept (default: the last).</summary>
    public IReadOnlyList<int>? Thresholds { get; init; }
    /// <summary>Seeds every transform draw.</summary>
    public ulong Seed { get; init; }
    /// <summary>Lucid's redirected ReLU gradient during the first <see cref="RedirectedReluSteps"/> steps.</summary>
    public bool RedirectRelu { get; init; } = true;
    public int RedirectedReluSteps { get; init; } = 16;
    /// <summary>Accumulate |∂objective/∂image| over the steps (MACO's transparency map) into <see cref="RenderResult.Attribution"/>.</summary>
    public bool AccumulateAttribution { get; init; }
    public IProgress<RenderProgress>? Progress { get; init; }
    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// Settings for models with small inputs (tens of pixels, like the bundled inception-mini): Lucid's standard
    /// transforms (pad 12, jitter 8 + 4, scale, rotation) were made for 128–224 px images; at 64 px their resampling
    /// blurs the fine stripes and dots such models detect, and class renders stall. A roll jitter of a sixteenth of
    /// the image with Adam at 0.2 keeps transformation robustness without resampling: on inception-mini every class
    /// reaches softmax ≥ 0.99 in 256 steps and 16 mixed4a channels exceed every real scene (docs/optvis.md). Start the
    /// image from a spectrum of sd <see cref="SmallInputSd"/>: from Lucid's 0.01 the image is so nearly uniform that a
    /// class can stall on a plateau (striped circle: 6 of 8 seeds; from 0.05: 80 of 80 class renders over 8 seeds).
    /// </summary>
    public const float SmallInputSd = 0.05f;

    /// <summary>Checks the settings every render loop reads and returns the steps after which images are kept.</summary>
    internal int[] CheckedThresholds()
    {
        if (Steps <= 0) throw new LucidArgumentException(nameof(Steps), $"render: steps must be positive, got {Steps}.");
        if (!(LearningRate > 0)) throw new LucidArgumentException(nameof(LearningRate), $"render: the learning rate must be positive, got {LearningRate}.");
        var thresholds = (Thresholds ?? new[] { Steps }).ToArray();
        if (thresholds.Any(t => t < 1 || t > Steps))
            throw new LucidArgumentException(nameof(Thresholds), $"render: thresholds must lie in [1, {Steps}], got [{string.Join(", ", thresholds)}].");
        return thresholds;
    }

    public static RenderOptions ForSmallInput(int size) => new()
    {
        Steps = 256,
        LearningRate = 0.2f,
        Transforms = Transform.Roll(Math.Max(1, size / 16)),
    };
}

/// <summary>The objective's value at a step.</summary>
public sealed record RenderProgress(int Step, float Objective);

/// <summary>The images kept at the thresholds ([N, C, H, W] in [0, 1]), the objective per step, and whether the render was cancelled.</summary>
public sealed record RenderResult(IReadOnlyList<(int Step, Tensor Image)> Snapshots, float[] ObjectivePerStep, bool Cancelled)
{
    /// <summary>The value of every named term (<see cref="Objective.Named"/>) at each step, by name.</summary>
    public IReadOnlyDictionary<string, float[]> TermsPerStep { get; init; } = new Dictionary<string, float[]>();

    /// <summary>Σ over steps of |∂objective/∂image| ([N, C, H, W]) when <see cref="RenderOptions.AccumulateAttribution"/> is set.</summary>
    public Tensor? Attribution { get; init; }

    /// <summary>
    /// MACO's transparency: the attribution's mean over channels, clipped at its <paramref name="percentile"/>
    /// (98 by default) and divided by it — an [N, 1, H, W] alpha in [0, 1].
    /// </summary>
    public Tensor Transparency(double percentile = 98)
    {
        if (Attribution is not { } a) throw new LucidArgumentException(nameof(Attribution), "transparency: render with AccumulateAttribution = true.");
        int n = a.Size(0), c = a.Size(1), plane = a.Size(2) * a.Size(3);
        var d = a.Data;
        var alpha = new float[n * plane];
        for (int e = 0; e < n; e++)
        {
            for (int i = 0; i < plane; i++)
            {
                double s = 0;
                for (int ch = 0; ch < c; ch++) s += d[(e * c + ch) * plane + i];
                alpha[e * plane + i] = (float)(s / c);
            }
            var sorted = alpha.AsSpan(e * plane, plane).ToArray();
            Array.Sort(sorted);
            float clip = sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * plane) - 1, 0, plane - 1)];
            for (int i = 0; i < plane; i++) alpha[e * plane + i] = clip > 0 ? Math.Min(alpha[e * plane + i], clip) / clip : 0f;
        }
        return Tensor.FromArray(alpha, n, 1, a.Size(2), a.Size(3));
    }
    /// <summary>The last kept image.</summary>
    public Tensor Image => Snapshots[^1].Image;
}

/// <summary>
/// Optimizes an image parameterization so that an objective grows: each step draws the transforms, runs the model on
/// the transformed image (resized to the model's input size when they differ, so every size of render works with
/// every model), and takes an Adam step on −objective. A NaN or infinite objective or gradient stops the render with
/// a <see cref="NumericalException"/> that carries the last good image.
/// </summary>
public static class Renderer
{
    public static RenderResult Render(Model model, Objective objective, ImageParameterization image, RenderOptions? options = null)
    {
        options ??= new RenderOptions();
        var thresholds = options.CheckedThresholds();
        objective.Validate(model);
        var transforms = options.Transforms ?? Transform.Standard;
        int minimum = transforms.MinimumSize;
        if (Math.Min(image.Height, image.Width) < minimum)
            throw new LucidArgumentException("image", $"render: a {image.Height}×{image.Width} image is too small for the transforms (they need at least {minimum}×{minimum}).");
        // an RGBA image is fine for an RGB model when a transform collapses its alpha
        if (model.Input.Shape.Length != 3 || model.Input.Shape[0] != image.Channels && !(image.Channels == 4 && model.Input.Shape[0] == 3))
            throw new LucidArgumentException("image", $"render: model '{model.Name}' takes {Shapes.Format(model.Input.Shape)}; the image has {image.Channels} channels.");
        // the forward pass stops at the last tap the objective reads (class objectives read the output)
        var order = model.Nodes.Select(n => n.Name).ToList();
        var read = objective.Taps.Where(t => t != "input").ToList();
        string? last = read.Count == 0 || objective.ReadsOutput ? model.OutputTap : read.OrderBy(order.IndexOf).Last();

        var rng = new Rng(options.Seed);
        // read once: some parameterizations build the list on every call (an RGBA image concatenates its two parts')
        var parameters = image.Parameters;
        var optimizer = new Adam(parameters, options.LearningRate, options.Beta1, options.Beta2);
        var log = new float[options.Steps];
        var terms = new Dictionary<string, float[]>(StringComparer.Ordinal);
        float[]? attribution = options.AccumulateAttribution ? new float[image.Batch * image.Channels * image.Height * image.Width] : null;
        var snapshots = new List<(int, Tensor)>();
        // the last image whose objective and gradient were finite (copied into one reused buffer, no recomputation)
        float[]? lastGood = null;
        int inH = model.Input.Shape[1], inW = model.Input.Shape[2];
        for (int step = 1; step <= options.Steps; step++)
        {
            if (options.Cancellation.IsCancellationRequested)
            {
                var current = Snapshot(image);
                snapshots.Add((step - 1, current));
                return new RenderResult(snapshots, log[..(step - 1)], Cancelled: true)
                {
                    TermsPerStep = terms.ToDictionary(t => t.Key, t => t.Value[..(step - 1)], StringComparer.Ordinal),
                };
            }
            using var scope = Tensor.Scope();
            optimizer.ZeroGrad();
            if (options.Schedule is { } schedule) optimizer.LearningRate = schedule.LearningRate(step - 1, options.LearningRate);
            var picture = image.Image();
            if (attribution is not null) picture.RetainGrad();
            var seen = transforms.Apply(picture, rng);
            if (seen.Size(2) != inH || seen.Size(3) != inW) seen = Ops.Interpolate(seen, inH, inW, InterpolationMode.Bilinear);
            var taps = model.Run(seen, null, stopAfter: last);
            var context = new ObjectiveContext(model, picture, taps, step, seen);
            var value = objective.Evaluate(context);
            float v = value.Item();
            log[step - 1] = v;
            foreach (var (name, termValue) in context.TermValues)
            {
                if (!terms.TryGetValue(name, out var series)) terms[name] = series = new float[options.Steps];
                series[step - 1] = termValue;
            }
            var loss = Ops.Mul(value, -1f);
            bool redirect = options.RedirectRelu && step <= options.RedirectedReluSteps;
            // only the image's parameters take gradients: a model whose parameters require them (layers built in code,
            // TorchSharp imports) would otherwise have every weight gradient computed and accumulated on every step
            Gradients.Backward(loss, parameters, redirect ? RedirectedRelu : null);
            if (!float.IsFinite(v) || parameters.Any(p => p.Grad is { } g && !AllFinite(g.Data)))
            {
                var kept = lastGood is null ? null : Tensor.FromArray(lastGood, picture.Shape.ToArray()).DetachFromScope();
                var error = new NumericalException($"render: the objective '{objective.Description}' became " +
                    $"{(float.IsFinite(v) ? "finite but its gradient did not" : v.ToString(System.Globalization.CultureInfo.InvariantCulture))} at step {step}" +
                    $"{Culprit(model, context, taps)}; the last good image (step {step - 1}) is kept in the exception.") { LastGood = kept };
                error.Data["lastGoodImage"] = kept;
                throw error;
            }
            if (attribution is not null && picture.Grad is { } pg)
                for (int i = 0; i < attribution.Length; i++) attribution[i] += Math.Abs(pg.Data[i]);
            optimizer.Step();
            options.Progress?.Report(new RenderProgress(step, v));
            if (thresholds.Contains(step)) snapshots.Add((step, Snapshot(image)));
            lastGood ??= new float[picture.Count];
            picture.Data.CopyTo(lastGood);
        }
        return new RenderResult(snapshots, log, Cancelled: false)
        {
            TermsPerStep = terms,
            Attribution = attribution is null ? null : Tensor.FromArray(attribution, image.Batch, image.Channels, image.Height, image.Width).DetachFromScope(),
        };
    }

    private static Tensor Snapshot(ImageParameterization image)
    {
        using var _ = GradMode.NoGrad();
        return image.Image().Clone().DetachFromScope();
    }

    /// <summary>Where a non-finite value first appears: the named terms that are not finite, the first tap (in the model's order) with a non-finite activation, or the image itself.</summary>
    private static string Culprit(Model model, ObjectiveContext context, IReadOnlyDictionary<string, Tensor> taps)
    {
        var parts = new List<string>();
        var terms = context.TermValues.Where(t => !float.IsFinite(t.Value)).Select(t => $"'{t.Key}' = {t.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}").ToList();
        if (terms.Count > 0) parts.Add("term " + string.Join(", ", terms));
        if (!AllFinite(context.Input.Data)) parts.Add("the image itself is not finite");
        else
            foreach (var node in model.Nodes)
                if (taps.TryGetValue(node.Name, out var a) && !AllFinite(a.Data))
                {
                    parts.Add($"first non-finite activation at tap '{node.Name}'");
                    break;
                }
        return parts.Count == 0 ? "" : " (" + string.Join("; ", parts) + ")";
    }

    private static bool AllFinite(ReadOnlySpan<float> data)
    {
        foreach (var v in data) if (!float.IsFinite(v)) return false;
        return true;
    }

    /// <summary>
    /// Lucid's redirected ReLU gradient (optvis/overrides/redirected_relu_grad.py): where a batch item's ReLU passes no
    /// gradient at all, let through the gradient that would raise negative inputs (g &lt; 0 pushes x up under −J), so
    /// an image that starts in a dead region can move.
    /// </summary>
    internal static Tensor?[]? RedirectedRelu(Node node, Tensor g)
    {
        if (node.Op != "relu") return null;
        var x = node.Inputs[0];
        var standard = node.ComputeDefaultGradients(g)[0]!;
        int n = x.Size(0), per = x.Count / n;
        var sd = standard.Data;
        var gd = g.Data;
        var xd = x.Data;
        for (int e = 0; e < n; e++)
        {
            bool dead = true;
            for (int i = e * per; i < (e + 1) * per && dead; i++) if (sd[i] != 0f) dead = false;
            if (!dead) continue;
            for (int i = e * per; i < (e + 1) * per; i++)
                sd[i] = xd[i] < 0f && gd[i] < 0f ? gd[i] : sd[i];
        }
        return new Tensor?[] { standard };
    }
}
