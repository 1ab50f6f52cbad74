using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>
/// Lucid's objectives (all maximized; NCHW). Names, defaults and formulas follow lucid/optvis/objectives.py; the
/// Lucent weight objectives follow lucent/optvis/objectives.py. <c>batch</c>, where offered, targets one image of the
/// batch (Lucid's handle_batch).
/// </summary>
public static class Objectives
{
    /// <summary>
    /// Any objective (Lucid's wrap_objective): <paramref name="value"/> computes a scalar — or a tensor, which is
    /// averaged — from the context; <paramref name="taps"/> names the taps it reads, so the renderer can check them and
    /// stop the forward pass after the last one.
    /// </summary>
    public static Objective Custom(string description, IReadOnlyList<string> taps, Func<ObjectiveContext, Tensor> value) =>
        new(description, taps.ToArray(), value);

    /// <summary>One neuron: channel <paramref name="channel"/> at (y, x), the centre by default (H/2, W/2 — for even sizes the lower-right of the middle four), averaged over the batch.</summary>
    public static Objective Neuron(string tap, int channel, int? y = null, int? x = null, int? batch = null) =>
        new Objective($"Neuron [{tap}, {channel}]", new[] { tap }, c =>
        {
            var a = c.Select(tap, batch);
            RequireSpatial(a, tap);
            int yy = y ?? a.Size(2) / 2, xx = x ?? a.Size(3) / 2;
            RequirePosition(a, tap, yy, xx);
            return Ops.Mean(Ops.Slice(Ops.Slice(Ops.Slice(a, 1, channel, channel + 1), 2, yy, yy + 1), 3, xx, xx + 1));
        }, new ObjectiveForm.Term("neuron", tap, channel, y, x, batch)).WithCheck(m => RequireChannel(m, tap, channel));

    /// <summary>One channel: its mean over the batch and every position (Lucid's <c>channel</c>).</summary>
    public static Objective Channel(string tap, int channel, int? batch = null) =>
        new Objective($"Channel [{tap}, {channel}]", new[] { tap }, c => Ops.Mean(Ops.Flatten(Ops.Slice(c.Select(tap, batch), 1, channel, channel + 1), 0), 0),
            new ObjectiveForm.Term("channel", tap, channel, Batch: batch)).WithCheck(m => RequireChannel(m, tap, channel));

    /// <summary>
    /// A direction in activation space, averaged over the batch and positions: ⟨a, v⟩, or with
    /// <paramref name="cossimPow"/> &gt; 0 Lucid's ⟨a, v⟩·max(0.1, cos(a, v))^pow (norms with +1e-4).
    /// </summary>
    public static Objective Direction(string tap, float[] direction, double cossimPow = 0, int? batch = null) =>
        new Objective($"Direction [{tap}]", new[] { tap }, c => DotCossim(c.Select(tap, batch), direction, cossimPow),
            new ObjectiveForm.Term("direction", tap, Batch: batch, Vector: direction, Parameter: cossimPow))
            .WithCheck(m => RequireLength(m, tap, direction));

    /// <summary>A direction at one position (the centre by default).</summary>
    public static Objective DirectionNeuron(string tap, float[] direction, int? y = null, int? x = null, double cossimPow = 0, int? batch = null) =>
        new Objective($"DirectionNeuron [{tap}]", new[] { tap }, c =>
        {
            var a = c.Select(tap, batch);
            RequireSpatial(a, tap);
            int yy = y ?? a.Size(2) / 2, xx = x ?? a.Size(3) / 2;
            RequirePosition(a, tap, yy, xx);
            return DotCossim(Ops.Slice(Ops.Slice(a, 2, yy, yy + 1), 3, xx, xx + 1), direction, cossimPow);
        }, new ObjectiveForm.Term("direction_neuron", tap, -1, y, x, batch, direction, cossimPow)).WithCheck(m => RequireLength(m, tap, direction));

    /// <summary>A class logit by label, summed over the batch (Lucid's <c>class_logit</c>).</summary>
    public static Objective ClassLogit(string label, int? batch = null) =>
        new Objective($"ClassLogit [{label}]", Array.Empty<string>(), c => Logit(c, IndexOf(c.Model, label), batch),
            new ObjectiveForm.Term("class_logit", "output", Batch: batch, Label: label)) { ReadsOutput = true }
            .WithCheck(m => IndexOf(m, label));

    /// <summary>A class logit by index.</summary>
    public static Objective ClassLogit(int index, int? batch = null) =>
        new Objective($"ClassLogit [{index}]", Array.Empty<string>(), c => Logit(c, index, batch),
            new ObjectiveForm.Term("class_logit", "output", index, Batch: batch)) { ReadsOutput = true }
            .WithCheck(m =>
            {
                int classes = m[m.OutputTap].OutputShape[0];
                if (index < 0 || index >= classes)
                    throw new LucidArgumentException(nameof(index), $"objective: class {index} is out of range for model '{m.Name}' with {classes} classes.");
            });

    /// <summary>
    /// The log-probability of a class, log softmax(logits)[k], summed over the batch: unlike the bare logit it cannot
    /// grow by raising every class together, so a render that maximizes it is classified as the class.
    /// </summary>
    public static Objective ClassLogProbability(string label, int? batch = null) =>
        new Objective($"ClassLogProbability [{label}]", Array.Empty<string>(), c =>
        {
            var logits = c.Select(c.Model.OutputTap, batch);
            int k = IndexOf(c.Model, label);
            return SumAll(Ops.Slice(Ops.LogSoftmax(logits, 1), 1, k, k + 1));
        }, new ObjectiveForm.Term("class_log_probability", "output", Batch: batch, Label: label)) { ReadsOutput = true }.WithCheck(m => IndexOf(m, label));

    /// <summary>DeepDream: mean(a²) over the whole tap.</summary>
    public static Objective DeepDream(string tap) =>
        new Objective($"DeepDream [{tap}]", new[] { tap }, c => { var a = c[tap]; return Ops.Mean(Ops.Flatten(Ops.Mul(a, a), 0), 0); },
            new ObjectiveForm.Term("deep_dream", tap));

    /// <summary>Total variation Σ|x[i+1, j] − x[i, j]| + Σ|x[i, j+1] − x[i, j]| (a penalty: subtract it).</summary>
    public static Objective TotalVariation(string tap = "input") =>
        new Objective($"TotalVariation [{tap}]", new[] { tap }, c =>
        {
            var a = c[tap];
            RequireSpatial(a, tap);
            int h = a.Size(2), w = a.Size(3);
            var dy = Ops.Sub(Ops.Slice(a, 2, 1, h), Ops.Slice(a, 2, 0, h - 1));
            var dx = Ops.Sub(Ops.Slice(a, 3, 1, w), Ops.Slice(a, 3, 0, w - 1));
            return Ops.Add(SumAll(Ops.Abs(dy)), SumAll(Ops.Abs(dx)));
        }, new ObjectiveForm.Term("total_variation", tap));

    /// <summary>L1 distance to a constant: Σ|a − c| (a penalty).</summary>
    public static Objective L1(string tap = "input", float constant = 0f) =>
        new Objective($"L1 [{tap}]", new[] { tap }, c => SumAll(Ops.Abs(Ops.Add(c[tap], -constant))),
            new ObjectiveForm.Term("l1", tap, Parameter: constant));

    /// <summary>L2 distance to a constant: √(ε + Σ(a − c)²) (a penalty).</summary>
    public static Objective L2(string tap = "input", float constant = 0f, float epsilon = 1e-6f) =>
        new Objective($"L2 [{tap}]", new[] { tap }, c =>
        {
            var d = Ops.Add(c[tap], -constant);
            return Ops.Sqrt(Ops.Add(SumAll(Ops.Mul(d, d)), epsilon));
        }, new ObjectiveForm.Term("l2", tap, Parameter: constant, Epsilon: epsilon));

    /// <summary>
    /// Lucid's blur_input_each_step: 0.5·Σ(x − stop_grad(blur(x)))², blur a per-channel 3×3 box (border weights 0.5,
    /// centre 1, normalized by the weights inside the image). Subtracting k· it moves x towards its blur each step.
    /// </summary>
    public static Objective BlurInputEachStep() =>
        new Objective("BlurInputEachStep", new[] { "input" }, c =>
        {
            var x = c.Input;
            Tensor blurred;
            using (GradMode.NoGrad()) blurred = Blur3(x);
            var d = Ops.Sub(x, blurred);
            return Ops.Mul(SumAll(Ops.Mul(d, d)), 0.5f);
        });

    /// <summary>
    /// Diversity (Lucid): per image the Gram matrix G = AᵀA of the tap ([HW, C]), L2-normalized; the mean over images of
    /// Σ_{j≠i} ⟨G_i, G_j⟩ — a similarity, so subtract it (e.g. channel − 100·diversity) to push images apart.
    /// </summary>
    public static Objective Diversity(string tap) =>
        new Objective($"Diversity [{tap}]", new[] { tap }, c =>
        {
            var a = c[tap];
            RequireSpatial(a, tap);
            int n = a.Size(0), ch = a.Size(1), hw = a.Size(2) * a.Size(3);
            var flat = Ops.Reshape(a, n, ch, hw);
            var gram = Ops.MatMul(flat, Ops.Transpose(flat, 1, 2));                      // [N, C, C]
            var g = Ops.Reshape(gram, n, ch * ch);
            var norms = Ops.Sqrt(Ops.Add(Ops.Sum(Ops.Mul(g, g), 1, keepDim: true), 1e-12f));
            var unit = Ops.Div(g, norms);
            var similarity = Ops.MatMul(unit, Ops.Transpose(unit, 0, 1));                // [N, N]
            var total = SumAll(similarity);
            var self = SumAll(Ops.Mul(unit, unit));                                     // the diagonal (≈ N)
            return Ops.Mul(Ops.Sub(total, self), 1f / n);
        });

    /// <summary>
    /// Alignment (Lucid): −Σ_{d=1..4} Σ_i mean((a_i − a_{i+d})²)/decay^d across the batch — neighbouring images of a
    /// batch (an interpolation) look alike.
    /// </summary>
    public static Objective Alignment(string tap, double decayRatio = 2) =>
        new Objective($"Alignment [{tap}]", new[] { tap }, c =>
        {
            var a = c[tap];
            int n = a.Size(0);
            Tensor? total = null;
            for (int d = 1; d < 5; d++)
                for (int i = 0; i + d < n; i++)
                {
                    var diff = Ops.Sub(a[i..(i + 1)], a[(i + d)..(i + d + 1)]);
                    var term = Ops.Mul(Ops.Mean(Ops.Flatten(Ops.Mul(diff, diff), 0), 0), (float)(1 / Math.Pow(decayRatio, d)));
                    total = total is null ? term : Ops.Add(total, term);
                }
            return total is null ? Tensor.Zeros(1) : Ops.Mul(total, -1f);
        });

    /// <summary>
    /// Channel interpolation across the batch (Lucid): image n of N optimizes (1 − n/(N−1))·channel₁ + n/(N−1)·channel₂.
    /// </summary>
    public static Objective ChannelInterpolate(string tap1, int channel1, string tap2, int channel2) =>
        new Objective($"ChannelInterpolate [{tap1}, {channel1}, {tap2}, {channel2}]", new[] { tap1, tap2 }, c =>
        {
            int n = c[tap1].Size(0);
            Tensor? total = null;
            for (int i = 0; i < n; i++)
            {
                float t = n > 1 ? (float)i / (n - 1) : 0f;
                var a = Ops.Mean(Ops.Flatten(Ops.Slice(c.Select(tap1, i), 1, channel1, channel1 + 1), 0), 0);
                var b = Ops.Mean(Ops.Flatten(Ops.Slice(c.Select(tap2, i), 1, channel2, channel2 + 1), 0), 0);
                var term = Ops.Add(Ops.Mul(a, 1 - t), Ops.Mul(b, t));
                total = total is null ? term : Ops.Add(total, term);
            }
            return total!;
        }).WithCheck(m => { RequireChannel(m, tap1, channel1); RequireChannel(m, tap2, channel2); });

    /// <summary>Root-mean-square distance of the image to <paramref name="original"/> (feature inversion's anchor; a penalty).</summary>
    public static Objective InputDifference(Tensor original) =>
        new Objective("InputDifference", new[] { "input" }, c =>
        {
            if (!c.Input.Shape.SequenceEqual(original.Shape) && !c.Input.Shape[1..].SequenceEqual(original.Shape))
                throw new ShapeMismatchException($"input difference: the reference {Shapes.Format(original.Shape)} does not match the image {Shapes.Format(c.Input.Shape)}.");
            var d = Ops.Sub(c.Input, original);
            return Ops.Sqrt(Ops.Mean(Ops.Flatten(Ops.Mul(d, d), 0), 0));
        });

    /// <summary>Lucent's channel_weight: mean over the batch and positions of Σ_c w_c·a_c.</summary>
    public static Objective ChannelWeight(string tap, float[] weight, int? batch = null) =>
        new Objective($"ChannelWeight [{tap}]", new[] { tap }, c =>
        {
            var a = c.Select(tap, batch);
            var w = Tensor.FromArray(weight, Broadcast(a.Rank, weight.Length));
            return Ops.Mean(Ops.Flatten(Ops.Sum(Ops.Mul(a, w), 1), 0), 0);
        }, new ObjectiveForm.Term("channel_weight", tap, Batch: batch, Vector: weight)).WithCheck(m => RequireLength(m, tap, weight));

    /// <summary>Lucent's neuron_weight: Σ_c w_c·a_c at one position (the centre by default), averaged over the batch.</summary>
    public static Objective NeuronWeight(string tap, float[] weight, int? y = null, int? x = null, int? batch = null) =>
        new Objective($"NeuronWeight [{tap}]", new[] { tap }, c =>
        {
            var a = c.Select(tap, batch);
            RequireSpatial(a, tap);
            int yy = y ?? a.Size(2) / 2, xx = x ?? a.Size(3) / 2;
            RequirePosition(a, tap, yy, xx);
            var at = Ops.Slice(Ops.Slice(a, 2, yy, yy + 1), 3, xx, xx + 1);
            var w = Tensor.FromArray(weight, Broadcast(4, weight.Length));
            return Ops.Mean(Ops.Flatten(Ops.Sum(Ops.Mul(at, w), 1), 0), 0);
        }, new ObjectiveForm.Term("neuron_weight", tap, -1, y, x, batch, weight)).WithCheck(m => RequireLength(m, tap, weight));

    /// <summary>
    /// Lucid's tensor_direction: a spatial direction patch [C, h, w] (or one per batch item, [N, C, h, w]) against the
    /// tap's activations centre-cropped to the patch: ⟨a, v⟩ per position (with the optional cosine power), averaged.
    /// </summary>
    public static Objective TensorDirection(string tap, Tensor direction, double cossimPow = 0, int? batch = null) =>
        new Objective($"TensorDirection [{tap}]", new[] { tap }, c =>
        {
            var a = c.Select(tap, batch);
            RequireSpatial(a, tap);
            var v = direction.Rank == 3 ? Ops.Reshape(direction, 1, direction.Size(0), direction.Size(1), direction.Size(2)) : direction;
            int h = v.Size(2), w = v.Size(3);
            if (v.Size(1) != a.Size(1) || h > a.Size(2) || w > a.Size(3))
                throw new ShapeMismatchException($"tensor direction: a {Shapes.Format(direction.Shape)} patch does not fit tap '{tap}' {Shapes.Format(a.Shape)}.");
            int y0 = (a.Size(2) - h) / 2, x0 = (a.Size(3) - w) / 2;
            var crop = Ops.Slice(Ops.Slice(a, 2, y0, y0 + h), 3, x0, x0 + w);
            var dot = Ops.Sum(Ops.Mul(crop, v), 1);
            if (cossimPow == 0) return Ops.Mean(Ops.Flatten(dot, 0), 0);
            var aNorm = Ops.Sqrt(Ops.Sum(Ops.Mul(crop, crop), 1));
            var vNorm = Ops.Sqrt(Ops.Sum(Ops.Mul(v, v), 1));
            var cos = Ops.Div(dot, Ops.Mul(Ops.Add(aNorm, 1e-4f), Ops.Add(vNorm, 1e-4f)));
            return Ops.Mean(Ops.Flatten(Ops.Mul(dot, Ops.Pow(Ops.Clamp(cos, 0.1f), (float)cossimPow)), 0), 0);
        });

    /// <summary>
    /// Lucid's penalize_boundary_complexity: −Σ mask·((blur(x) − x)² + 0.8·(x − C)²) over a border of width
    /// <paramref name="width"/> — keeps the edges of a rendered icon plain.
    /// </summary>
    public static Objective PenalizeBoundaryComplexity(int width = 20, float constant = 0.5f) =>
        new Objective($"PenalizeBoundaryComplexity [{width}]", new[] { "input" }, c =>
        {
            var x = c.Input;
            int h = x.Size(2), w = x.Size(3);
            var mask = new float[h * w];
            for (int y = 0; y < h; y++)
                for (int xx = 0; xx < w; xx++)
                    mask[y * w + xx] = y < width || xx < width || y >= h - width || xx >= w - width ? 1f : 0f;
            var m = Tensor.FromArray(mask, 1, 1, h, w);
            var blur = Ops.Sub(Blur5(x), x);
            var offset = Ops.Add(x, -constant);
            var penalty = Ops.Add(Ops.Mul(blur, blur), Ops.Mul(Ops.Mul(offset, offset), 0.8f));
            return Ops.Mul(SumAll(Ops.Mul(penalty, m)), -1f);
        });

    /// <summary>
    /// Lucid's caricature / feature-inversion objective (recipes/caricature.py dot_compare): the tap's activations of
    /// batch image <paramref name="batch"/> dotted with those of image 0 (a fixed reference), times
    /// max(0.1, cos)^<paramref name="cossimPow"/>.
    /// </summary>
    public static Objective DotCompare(string tap, int batch = 1, double cossimPow = 0) =>
        new Objective($"DotCompare [{tap}, {batch}]", new[] { tap }, c =>
        {
            var reference = c.Select(tap, 0);
            var a = c.Select(tap, batch);
            Tensor refConst;
            using (GradMode.NoGrad()) refConst = reference.Clone();
            var dot = SumAll(Ops.Mul(a, refConst));
            if (cossimPow == 0) return dot;
            var cos = Ops.Div(dot, Ops.Mul(Ops.Add(Ops.Sqrt(SumAll(Ops.Mul(a, a))), 1e-6f), (float)(1e-6 + Math.Sqrt(refConst.ToArray().Sum(v => (double)v * v)))));
            return Ops.Mul(dot, Ops.Pow(Ops.Clamp(cos, 0.1f), (float)cossimPow));
        });

    /// <summary>
    /// Lucid's style loss (optvis/style.py): Gram matrices G = AᵀA / positions at each tap, compared with those of a
    /// style image by mean |ΔG| (L1, the default) — returned negated, so maximizing it matches the style.
    /// </summary>
    public static Objective Style(IReadOnlyDictionary<string, Tensor> styleGrams) =>
        new Objective($"Style [{string.Join(", ", styleGrams.Keys)}]", styleGrams.Keys.ToArray(), c =>
        {
            Tensor? total = null;
            foreach (var (tap, target) in styleGrams)
            {
                var g = Gram(c[tap]);
                var term = Ops.Mean(Ops.Flatten(Ops.Abs(Ops.Sub(g, target)), 0), 0);
                total = total is null ? term : Ops.Add(total, term);
            }
            return Ops.Mul(total!, -1f / styleGrams.Count);
        });

    /// <summary>The Gram matrix AᵀA / (H·W) per image [N, C, C] of a tap — what <see cref="Style"/> compares.</summary>
    public static Tensor Gram(Tensor activations)
    {
        RequireSpatial(activations, "style");
        int n = activations.Size(0), ch = activations.Size(1), hw = activations.Size(2) * activations.Size(3);
        var flat = Ops.Reshape(activations, n, ch, hw);
        return Ops.Mul(Ops.MatMul(flat, Ops.Transpose(flat, 1, 2)), 1f / hw);
    }

    /// <summary>
    /// Lucent's localgroup_weight: Σ_c w_c·a_c over a window [y, y + height) × [x, x + width), averaged over the batch
    /// and the window.
    /// </summary>
    public static Objective LocalGroupWeight(string tap, float[] weight, int y, int x, int height, int width, int? batch = null) =>
        new Objective($"LocalGroupWeight [{tap}]", new[] { tap }, c =>
        {
            var a = c.Select(tap, batch);
            RequireSpatial(a, tap);
            if (y < 0 || x < 0 || height <= 0 || width <= 0 || y + height > a.Size(2) || x + width > a.Size(3))
                throw new LucidArgumentException("window", $"local group: the window ({y}, {x}) {height}×{width} is outside tap '{tap}' of size {a.Size(2)}×{a.Size(3)}.");
            var window = Ops.Slice(Ops.Slice(a, 2, y, y + height), 3, x, x + width);
            var w = Tensor.FromArray(weight, Broadcast(4, weight.Length));
            return Ops.Mean(Ops.Flatten(Ops.Sum(Ops.Mul(window, w), 1), 0), 0);
        }).WithCheck(m => RequireLength(m, tap, weight));

    // ---- helpers ----

    private static Tensor SumAll(Tensor t) => Ops.Sum(Ops.Flatten(t, 0), 0);

    private static int[] Broadcast(int rank, int channels)
    {
        var shape = new int[rank];
        Array.Fill(shape, 1);
        shape[1] = channels;
        return shape;
    }

    private static Tensor DotCossim(Tensor a, float[] direction, double cossimPow)
    {
        var v = Tensor.FromArray(direction, Broadcast(a.Rank, direction.Length));
        var dot = Ops.Sum(Ops.Mul(a, v), 1);                                             // [N, (H, W)]
        if (cossimPow == 0) return Ops.Mean(Ops.Flatten(dot, 0), 0);
        double vNorm = Math.Sqrt(direction.Sum(d => (double)d * d));
        var aNorm = Ops.Sqrt(Ops.Sum(Ops.Mul(a, a), 1));
        var cos = Ops.Div(dot, Ops.Mul(Ops.Add(aNorm, 1e-4f), (float)(1e-4 + vNorm)));
        var weight = Ops.Pow(Ops.Clamp(cos, 0.1f), (float)cossimPow);
        return Ops.Mean(Ops.Flatten(Ops.Mul(dot, weight), 0), 0);
    }

    private static Tensor Logit(ObjectiveContext c, int index, int? batch)
    {
        var logits = c.Select(c.Model.OutputTap, batch);
        return SumAll(Ops.Slice(logits, 1, index, index + 1));
    }

    private static int IndexOf(Model model, string label)
    {
        int i = model.Labels.ToList().IndexOf(label);
        if (i < 0) throw new LucidArgumentException("label", $"objective: model '{model.Name}' has no class '{label}'.");
        return i;
    }

    private static void RequireChannel(Model model, string tap, int channel)
    {
        int channels = model[tap].OutputShape[0];
        if (channel < 0 || channel >= channels)
            throw new LucidArgumentException("channel", $"objective: tap '{tap}' of model '{model.Name}' has {channels} channels; channel {channel} does not exist.");
    }

    private static void RequireLength(Model model, string tap, float[] vector)
    {
        int channels = model[tap].OutputShape[0];
        if (vector.Length != channels)
            throw new LucidArgumentException("direction", $"objective: tap '{tap}' of model '{model.Name}' has {channels} channels; the vector has {vector.Length}.");
    }

    private static void RequireSpatial(Tensor a, string tap)
    {
        if (a.Rank != 4) throw new ShapeMismatchException($"objective: tap '{tap}' has shape {Shapes.Format(a.Shape)}; this objective needs a spatial [N, C, H, W] tap.");
    }

    private static void RequirePosition(Tensor a, string tap, int y, int x)
    {
        if (y < 0 || y >= a.Size(2) || x < 0 || x >= a.Size(3))
            throw new LucidArgumentException("position", $"objective: position ({y}, {x}) is outside tap '{tap}' of size {a.Size(2)}×{a.Size(3)}.");
    }

    /// <summary>Lucid's _tf_blur(w = 3): per-channel 3×3 weights (0.5 at the border, 1 at the centre), SAME, divided by the blur of ones.</summary>
    internal static Tensor Blur3(Tensor x) => LucidBlur(x, 3);

    /// <summary>Lucid's _tf_blur(w = 5), used by penalize_boundary_complexity.</summary>
    internal static Tensor Blur5(Tensor x) => LucidBlur(x, 5);

    /// <summary>A per-channel w×w blur with weight 0.5 on the kernel's border ring and 1 inside, normalized by the blur of ones (so edges average only real pixels).</summary>
    private static Tensor LucidBlur(Tensor x, int w)
    {
        int c = x.Size(1);
        var k = new float[c * w * w];
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < w; i++)
                for (int j = 0; j < w; j++)
                    k[(ch * w + i) * w + j] = i == 0 || j == 0 || i == w - 1 || j == w - 1 ? 0.5f : 1f;
        var kernel = Tensor.FromArray(k, c, 1, w, w);
        var num = Ops.Conv2d(x, kernel, null, 1, w / 2, 1, c);
        var den = Ops.Conv2d(Tensor.OnesLike(x), kernel, null, 1, w / 2, 1, c);
        return Ops.Div(num, den);
    }
}
