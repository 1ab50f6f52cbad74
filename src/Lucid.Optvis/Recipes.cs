using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Optvis;

/// <summary>
/// Ready-made renders (lucid/recipes): many units as one batch, diverse sets, interpolations. Each builds an objective
/// and an image and runs <see cref="Renderer.Render"/>; the result's image batch is in the order asked for.
/// </summary>
public static class Recipes
{
    /// <summary>One image per channel of <paramref name="tap"/>, rendered together (image i maximizes channel i of the list).</summary>
    public static RenderResult Channels(Model model, string tap, IReadOnlyList<int> channels, int size = 0, RenderOptions? options = null, ulong seed = 0)
    {
        if (channels.Count == 0) throw new LucidArgumentException(nameof(channels), "channels recipe: give at least one channel.");
        var objective = Objective.Sum(channels.Select((c, i) => Objectives.Channel(tap, c, batch: i)));
        using var image = LucidImage.For(model, size, batch: channels.Count, seed: seed);
        return Renderer.Render(model, objective, image, options);
    }

    /// <summary>
    /// One image per class label, rendered together (image i maximizes the log-probability of label i): Lucid's
    /// Fourier, decorrelated, sigmoid image. Without <paramref name="options"/>, <see cref="RenderOptions.ForSmallInput"/>
    /// (and its initial sd) for inputs under 128 px, Lucid's defaults otherwise.
    /// </summary>
    public static RenderResult Classes(Model model, IReadOnlyList<string> labels, int size = 0, RenderOptions? options = null, ulong seed = 0)
    {
        if (labels.Count == 0) throw new LucidArgumentException(nameof(labels), "classes recipe: give at least one label.");
        int side = size == 0 ? model.Input.Shape[^1] : size;
        var objective = Objective.Sum(labels.Select((l, i) => Objectives.ClassLogProbability(l, batch: i)));
        bool small = side < 128;
        options ??= small ? RenderOptions.ForSmallInput(side) : new RenderOptions();
        using var image = LucidImage.For(model, side, batch: labels.Count, seed: seed, sd: small ? RenderOptions.SmallInputSd : 0.01f);
        return Renderer.Render(model, objective, image, options with { Seed = seed });
    }

    /// <summary>
    /// Feature Accentuation (Hamblin et al., 2024): start from a real <paramref name="seed"/> image ([1, C, H, W]) and
    /// push it toward <paramref name="target"/> while its activations at <paramref name="regularizationLayer"/> stay
    /// near the seed's: J(x) = target(T(x)) − α·β·‖f_l(T(x)) − f_l(T(seed))‖₂, the seed forwarded with the image under
    /// the same transforms every step. β = Σ|∂target/∂θ| / Σ|∂reg/∂θ| is set once at the start (on the first step's
    /// draw), so <paramref name="alpha"/> is a scale-free strength (the paper sweeps 0.1–10). The image is Lucid's
    /// Fourier, decorrelated parameterization initialized to the seed; the target must read batch item 1 (the seed
    /// is item 0), e.g. <c>Objectives.ClassLogit("dog", batch: 1)</c>.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="seed">The real image to start from, in [0, 1].</param>
    /// <param name="target">What to accentuate (read from batch item 1).</param>
    /// <param name="regularizationLayer">The layer whose activations stay near the seed's (a mid-level layer).</param>
    /// <param name="alpha">Strength of the pull toward the seed.</param>
    /// <param name="options">Render settings (default: 128 steps of Adam 0.05; roll jitter of a sixteenth and noise 0.02).</param>
    /// <param name="seedNumber">Seeds the transforms.</param>
    public static AccentuationResult Accentuate(Model model, Tensor seed, Objective target, string regularizationLayer, double alpha = 1,
        RenderOptions? options = null, ulong seedNumber = 0)
    {
        if (seed.Rank != 4 || seed.Size(0) != 1)
            throw new LucidArgumentException(nameof(seed), $"accentuation: the seed must be one image [1, C, H, W], got {Shapes.Format(seed.Shape)}.");
        if (!(alpha >= 0)) throw new LucidArgumentException(nameof(alpha), $"accentuation: alpha must be non-negative, got {alpha}.");
        _ = model[regularizationLayer];
        int side = seed.Size(3);
        options ??= new RenderOptions
        {
            Steps = 128,
            Transforms = Transform.Compose(Transform.Roll(Math.Max(1, side / 16)), Transform.Noise(0.02f)),
        };
        options = options with { Seed = seedNumber };
        var distance = Objectives.Custom($"SeedDistance [{regularizationLayer}]", new[] { regularizationLayer }, c =>
        {
            var a = c[regularizationLayer];
            var d = Ops.Sub(a[1..2], a[0..1]);
            return Ops.Sqrt(Ops.Add(Ops.Sum(Ops.Mul(d, d)), 1e-12f));
        });
        var trainable = new LucidImage(side, seed.Size(2), seed: seedNumber);
        trainable.SetImage(seed);
        using var image = new ReferencePlusImage(seed, trainable);
        double beta = GradientMass(model, target, image, options) is var t && GradientMass(model, distance, image, options) is var r && r > 0 ? t / r : 1;
        var objective = target - alpha * beta * distance;
        return new AccentuationResult(Renderer.Render(model, objective, image, options), beta);
    }

    /// <summary>Σ |∂objective/∂θ| over the image's parameters on the first step's transform draw (what Feature Accentuation's β balances).</summary>
    private static double GradientMass(Model model, Objective objective, ImageParameterization image, RenderOptions options)
    {
        using var scope = Tensor.Scope();
        var picture = image.Image();
        var seen = (options.Transforms ?? Transform.Standard).Apply(picture, new Rng(options.Seed));
        int h = model.Input.Shape[1], w = model.Input.Shape[2];
        if (seen.Size(2) != h || seen.Size(3) != w) seen = Ops.Interpolate(seen, h, w, InterpolationMode.Bilinear);
        var value = objective.Evaluate(new ObjectiveContext(model, picture, model.Run(seen, null), 1));
        double mass = 0;
        foreach (var g in Lucid.Tensors.Autograd.Gradients.Of(value, image.Parameters))
            foreach (var v in g.Data) mass += Math.Abs(v);
        return mass;
    }

    /// <summary>
    /// Lucid's channel visualization with alpha (recipes/feature_visualization.py): an RGBA image laid over random
    /// backgrounds, the objective scaled by (1 − mean alpha) so only what the unit needs stays opaque, minus
    /// 0.1 × blur-alpha-each-step to keep the alpha smooth.
    /// </summary>
    public static RenderResult ChannelWithAlpha(Model model, string tap, int channel, int size = 0, RenderOptions? options = null, ulong seed = 0)
    {
        int side = size == 0 ? model.Input.Shape[^1] : size;
        var opacity = Objectives.Custom("MeanAlpha", new[] { "input" }, c => Ops.Mean(Ops.Flatten(AlphaImage.AlphaOf(c.Input), 0), 0));
        var blurAlpha = Objectives.Custom("BlurAlphaEachStep", new[] { "input" }, c =>
        {
            var alpha = AlphaImage.AlphaOf(c.Input);
            Tensor blurred;
            using (Lucid.Tensors.Autograd.GradMode.NoGrad()) blurred = Objectives.Blur3(alpha);
            var d = Ops.Sub(alpha, blurred);
            return Ops.Mul(Ops.Sum(Ops.Flatten(Ops.Mul(d, d), 0), 0), 0.5f);
        });
        var objective = Objectives.Channel(tap, channel) * (1 - opacity) - 0.1 * blurAlpha;
        options ??= new RenderOptions();
        var transforms = Transform.Compose(options.Transforms ?? Transform.Standard, Transform.CollapseAlpha());
        using var image = new AlphaImage(side, seed: seed);
        return Renderer.Render(model, objective, image, options with { Transforms = transforms });
    }

    /// <summary>
    /// <paramref name="count"/> different images of one objective (Lucid's neuron-diversity notebook): the objective
    /// minus <paramref name="weight"/> × the Gram-similarity of the images at <paramref name="diversityTap"/>.
    /// </summary>
    public static RenderResult Diverse(Model model, Objective objective, string diversityTap, int count = 4, double weight = 100,
        int size = 0, RenderOptions? options = null, ulong seed = 0)
    {
        if (count < 2) throw new LucidArgumentException(nameof(count), $"diversity recipe: a set needs at least 2 images, got {count}.");
        using var image = LucidImage.For(model, size, batch: count, seed: seed);
        return Renderer.Render(model, objective - weight * Objectives.Diversity(diversityTap), image, options);
    }

    /// <summary>
    /// Caricature / feature inversion (lucid/recipes/caricature.py): an image whose activations at
    /// <paramref name="tap"/> align with those of <paramref name="reference"/> ([1, C, H, W]) — with cossimPow 0 a pure
    /// dot product (exaggerating what the layer sees: a caricature), higher powers weight the direction (inversion).
    /// The result's image batch is [reference; rendering].
    /// </summary>
    public static RenderResult Caricature(Model model, Tensor reference, string tap, double cossimPow = 0, RenderOptions? options = null, ulong seed = 0)
    {
        using var image = new ReferencePlusImage(reference, new LucidImage(reference.Size(3), reference.Size(2), seed: seed));
        return Renderer.Render(model, Objectives.DotCompare(tap, batch: 1, cossimPow), image, options);
    }

    /// <summary>
    /// <paramref name="frames"/> images morphing from one channel to another (Lucid's channel_interpolate), with the
    /// alignment term keeping neighbouring frames alike.
    /// </summary>
    public static RenderResult Interpolate(Model model, string tap1, int channel1, string tap2, int channel2, int frames = 6,
        double alignment = 1, int size = 0, RenderOptions? options = null, ulong seed = 0)
    {
        if (frames < 2) throw new LucidArgumentException(nameof(frames), $"interpolation recipe: needs at least 2 frames, got {frames}.");
        var objective = Objectives.ChannelInterpolate(tap1, channel1, tap2, channel2) + alignment * Objectives.Alignment(tap1);
        using var image = LucidImage.For(model, size, batch: frames, seed: seed);
        return Renderer.Render(model, objective, image, options);
    }
}

/// <summary>The result of <see cref="Recipes.Accentuate"/>: the render and the β that balanced its two terms.</summary>
public sealed record AccentuationResult(RenderResult Render, double Beta)
{
    /// <summary>The accentuated image [1, C, H, W] (batch item 0 of the render is the fixed seed).</summary>
    public Tensor Image => Render.Image[1..2];
}
