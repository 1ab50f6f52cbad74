using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Lucid.Tensors.Optim;

namespace Lucid.Optvis;

/// <summary>
/// VITAL (class units; adagorgun/VITAL's class_fvis): instead of maximizing an activation, the distribution of every
/// channel of the chosen layers is matched to the one on real images of the class. For a layer with activations
/// z_c ∈ ℝᴺ (N positions) and reference quantiles q_c = mean over the reference images of sort(A_c(x′)), the
/// sort-matching loss is (1/(C·N))·Σ_c ‖sort(z_c) − q_c‖² — a squared 1-D Wasserstein-2 distance per channel; the
/// sort is a fixed permutation, so the gradient is 2(z − q_rank)/(C·N).
/// </summary>
public static class Vital
{
    /// <summary>Per tap, the mean sorted activations [C, N] of <paramref name="references"/> ([B, C, H, W] real images), computed once.</summary>
    public static IReadOnlyDictionary<string, Tensor> Quantiles(Model model, Tensor references, IEnumerable<string> taps)
    {
        var names = taps.ToList();
        if (names.Count == 0) throw new LucidArgumentException(nameof(taps), "VITAL: name at least one tap to match.");
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var values = model.Run(references, null);
        var result = new Dictionary<string, Tensor>();
        foreach (var tap in names)
        {
            var a = values[tap];
            if (a.Rank != 4) throw new ShapeMismatchException($"VITAL: tap '{tap}' has shape {Shapes.Format(a.Shape)}; sort-matching needs [N, C, H, W].");
            int b = a.Size(0), c = a.Size(1), n = a.Size(2) * a.Size(3);
            var d = a.ToArray();
            var q = new double[c * n];
            var row = new float[n];
            for (int e = 0; e < b; e++)
                for (int ch = 0; ch < c; ch++)
                {
                    Array.Copy(d, (e * c + ch) * n, row, 0, n);
                    Array.Sort(row);
                    for (int i = 0; i < n; i++) q[ch * n + i] += row[i] / (double)b;
                }
            result[tap] = Tensor.FromArray(q.Select(v => (float)v).ToArray(), c, n).DetachFromScope();
        }
        return result;
    }

    /// <summary>
    /// The VITAL objective (maximized, so the negated loss): −Σ_l w_l·L_SM^l at each tap, on the batch mean of the
    /// rendered images' activations (as the reference code does before sorting). Weights default to 1.
    /// </summary>
    public static Objective SortMatching(IReadOnlyDictionary<string, Tensor> quantiles, IReadOnlyDictionary<string, double>? weights = null) =>
        Objectives.Custom($"SortMatching [{string.Join(", ", quantiles.Keys)}]", quantiles.Keys.ToArray(), c =>
        {
            Tensor? total = null;
            foreach (var (tap, q) in quantiles)
            {
                var a = Ops.Mean(c[tap], 0);                                           // [C, H, W]
                int ch = a.Size(0), n = a.Size(1) * a.Size(2);
                if (q.Size(0) != ch || q.Size(1) != n)
                    throw new ShapeMismatchException($"VITAL: tap '{tap}' gives [{ch}, {n}] activations, the reference quantiles are [{q.Size(0)}, {q.Size(1)}] (render at the references' size).");
                var loss = SortedDistance(Ops.Reshape(a, ch, n), q, null);
                var term = Ops.Mul(loss, (float)(weights is not null && weights.TryGetValue(tap, out var w) ? w : 1.0));
                total = total is null ? term : Ops.Add(total, term);
            }
            return Ops.Mul(total!, -1f);
        });

    /// <summary>
    /// (1/(C·N))·Σ_c w_c·‖sort(z_c) − q_c‖² for z [C, N] (w = 1 when null): the sort is a fixed permutation, so the
    /// gradient flows through a gather.
    /// </summary>
    private static Tensor SortedDistance(Tensor z, Tensor q, float[]? channelWeights)
    {
        int ch = z.Size(0), n = z.Size(1);
        var order = new int[ch * n];
        var zd = z.ToArray();
        var keys = new float[n];
        var idx = new int[n];
        for (int k = 0; k < ch; k++)
        {
            Array.Copy(zd, k * n, keys, 0, n);
            for (int i = 0; i < n; i++) idx[i] = i;
            Array.Sort(keys, idx);
            Array.Copy(idx, 0, order, k * n, n);
        }
        var sorted = Ops.Gather(z, 1, order, new[] { ch, n });
        var diff = Ops.Sub(sorted, q);
        var squared = Ops.Mul(diff, diff);
        if (channelWeights is not null) squared = Ops.Mul(squared, Tensor.FromArray(channelWeights, ch, 1));
        return Ops.Mean(Ops.Flatten(squared, 0), 0);
    }

    /// <summary>
    /// VITAL for a hidden unit (inner_fvis): the activations A at each tap are weighted by the unit's relevance,
    /// Ã = R̂ ⊙ A with R̂ min-max normalized over space per channel, both on the reference images (the unit's
    /// top-activating real images, once) and on the rendered image (every step, on the transformed image the model
    /// sees; R̂ is a constant there, no gradient flows through it). Each channel's sort-matching term is weighted by
    /// w̄_c, the mean over references of max-over-space relevance min-max normalized across channels. The objective is
    /// −Σ_l w_l·(1/(C·N))·Σ_c w̄_c‖sort(Ã_c) − q_c‖². <paramref name="relevance"/> maps images to non-negative
    /// relevance maps [N, C, H, W] per tap toward the unit (the reference code: z⁺ LRP started from the unit's
    /// activation map; Lucid.Attribution's <c>Lrp.UnitRelevance</c> computes exactly that).
    /// </summary>
    public static Objective RelevanceWeightedSortMatching(Model model, Tensor references, IReadOnlyList<string> taps,
        Func<Tensor, IReadOnlyDictionary<string, Tensor>> relevance, IReadOnlyDictionary<string, double>? layerWeights = null)
    {
        if (taps.Count == 0) throw new LucidArgumentException(nameof(taps), "VITAL: name at least one tap to match.");
        var quantiles = new Dictionary<string, Tensor>();
        var channelWeights = new Dictionary<string, float[]>();
        var referenceRelevance = relevance(references);
        using (GradMode.NoGrad())
        {
            using var scope = Tensor.Scope();
            var values = model.Run(references, null);
            foreach (var tap in taps)
            {
                var a = values[tap];
                if (a.Rank != 4) throw new ShapeMismatchException($"VITAL: tap '{tap}' has shape {Shapes.Format(a.Shape)}; sort-matching needs [N, C, H, W].");
                if (!referenceRelevance.TryGetValue(tap, out var r) || !r.Shape.SequenceEqual(a.Shape))
                    throw new LucidArgumentException(nameof(relevance), $"VITAL: the relevance function gave no map of shape {Shapes.Format(a.Shape)} for tap '{tap}'.");
                int b = a.Size(0), c = a.Size(1), n = a.Size(2) * a.Size(3);
                var weighted = Weighted(a.ToArray(), r.ToArray(), b, c, n);
                var q = new double[c * n];
                var row = new float[n];
                for (int e = 0; e < b; e++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        Array.Copy(weighted, (e * c + ch) * n, row, 0, n);
                        Array.Sort(row);
                        for (int i = 0; i < n; i++) q[ch * n + i] += row[i] / (double)b;
                    }
                quantiles[tap] = Tensor.FromArray(q.Select(v => (float)v).ToArray(), c, n).DetachFromScope();
                channelWeights[tap] = ChannelWeights(r.ToArray(), b, c, n);
            }
        }
        return Objectives.Custom($"RelevanceWeightedSortMatching [{string.Join(", ", taps)}]", taps.ToArray(), ctx =>
        {
            var maps = relevance(ctx.ModelInput);
            Tensor? total = null;
            foreach (var tap in taps)
            {
                var a = ctx[tap];
                int b = a.Size(0), c = a.Size(1), n = a.Size(2) * a.Size(3);
                var r = Normalized(maps[tap].ToArray(), b, c, n);
                var weighted = Ops.Mean(Ops.Mul(a, Tensor.FromArray(r, a.Shape.ToArray())), 0);     // [C, H, W]
                var loss = SortedDistance(Ops.Reshape(weighted, c, n), quantiles[tap], channelWeights[tap]);
                var term = Ops.Mul(loss, (float)(layerWeights is not null && layerWeights.TryGetValue(tap, out var w) ? w : 1.0));
                total = total is null ? term : Ops.Add(total, term);
            }
            return Ops.Mul(total!, -1f);
        });
    }

    /// <summary>R̂ ⊙ A for [B, C, N] activations and relevance.</summary>
    private static float[] Weighted(float[] a, float[] r, int b, int c, int n)
    {
        var rn = Normalized(r, b, c, n);
        for (int i = 0; i < rn.Length; i++) rn[i] *= a[i];
        return rn;
    }

    /// <summary>Relevance min-max normalized over space, per image and channel: (R − min)/(max − min + 1e-6).</summary>
    private static float[] Normalized(float[] r, int b, int c, int n)
    {
        var result = new float[r.Length];
        for (int plane = 0; plane < b * c; plane++)
        {
            var span = r.AsSpan(plane * n, n);
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            foreach (var v in span) { min = Math.Min(min, v); max = Math.Max(max, v); }
            for (int i = 0; i < n; i++) result[plane * n + i] = (span[i] - min) / (max - min + 1e-6f);
        }
        return result;
    }

    /// <summary>w̄_c: per reference, max-over-space relevance min-max normalized across channels; averaged over references.</summary>
    private static float[] ChannelWeights(float[] r, int b, int c, int n)
    {
        var mean = new double[c];
        var m = new float[c];
        for (int e = 0; e < b; e++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                float max = float.NegativeInfinity;
                foreach (var v in r.AsSpan((e * c + ch) * n, n)) max = Math.Max(max, v);
                m[ch] = max;
            }
            float lo = m.Min(), hi = m.Max();
            for (int ch = 0; ch < c; ch++) mean[ch] += (m[ch] - lo) / (hi - lo + 1e-6) / b;
        }
        return mean.Select(v => (float)v).ToArray();
    }

    /// <summary>
    /// VITAL for a hidden unit with the reference code's optimization (as <see cref="RenderClass"/>: roll jitter, Adam
    /// β = (0.5, 0.9), warm-up + cosine, a pixel image through a sigmoid), matching the relevance-weighted feature
    /// distributions of <paramref name="unitImages"/> (the unit's top-activating real images) at <paramref name="taps"/>.
    /// </summary>
    public static RenderResult RenderUnit(Model model, Tensor unitImages, IReadOnlyList<string> taps, Func<Tensor, IReadOnlyDictionary<string, Tensor>> relevance,
        int steps = 2000, float learningRate = 1f, int jitter = 0, int warmup = 100, ulong seed = 0, double totalVariation = 0)
    {
        var objective = RelevanceWeightedSortMatching(model, unitImages, taps, relevance);
        return RenderMatching(model, objective, steps, learningRate, jitter, warmup, seed, totalVariation);
    }

    /// <summary>
    /// VITAL's class render, with the reference code's optimization — circular jitter of up to <paramref name="jitter"/>
    /// pixels, Adam at <paramref name="learningRate"/> with β = (0.5, 0.9), linear warm-up then cosine decay — on a
    /// pixel image kept in range by a sigmoid (the reference code clips normalized pixels instead), rendered at the
    /// model's input size (the quantiles' size).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="classImages">Real images of the class ([B, C, H, W] at the model's input size).</param>
    /// <param name="taps">The layers whose distributions are matched.</param>
    /// <param name="steps">Optimization steps (the reference code: 2000).</param>
    /// <param name="learningRate">Adam's peak rate (the reference code: 1.0 on normalized pixels).</param>
    /// <param name="jitter">Largest roll in pixels (0: an eighth of the image).</param>
    /// <param name="warmup">Linear warm-up steps.</param>
    /// <param name="seed">Seed of the start image and the jitter.</param>
    /// <param name="totalVariation">Weight of a mean-absolute total-variation penalty (the reference's tv_l1; 0 by default).</param>
    public static RenderResult RenderClass(Model model, Tensor classImages, IReadOnlyList<string> taps, int steps = 2000, float learningRate = 1f,
        int jitter = 0, int warmup = 100, ulong seed = 0, double totalVariation = 0)
    {
        var quantiles = Quantiles(model, classImages, taps);
        try
        {
            return RenderMatching(model, SortMatching(quantiles), steps, learningRate, jitter, warmup, seed, totalVariation);
        }
        finally
        {
            foreach (var q in quantiles.Values) q.Dispose();
        }
    }

    private static RenderResult RenderMatching(Model model, Objective objective, int steps, float learningRate, int jitter, int warmup, ulong seed, double totalVariation)
    {
        int size = model.Input.Shape[^1];
        using var image = new LucidImage(size, model.Input.Shape[1], fourier: false, decorrelate: false, sd: 1f, seed: seed);
        var options = new RenderOptions
        {
            Steps = steps, LearningRate = learningRate, Beta1 = 0.5f, Beta2 = 0.9f, RedirectRelu = false, Seed = seed,
            Schedule = new CosineWarmupSchedule(Math.Min(warmup, steps - 1), steps),
            Transforms = Transform.Roll(jitter == 0 ? Math.Max(1, size / 8) : jitter),
        };
        if (totalVariation > 0)
        {
            int pixels = model.Input.Shape.Aggregate(1, (a, b) => a * b);
            objective -= totalVariation / pixels * Objectives.TotalVariation();
        }
        return Renderer.Render(model, objective, image, options);
    }
}
