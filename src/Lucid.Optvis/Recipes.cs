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
        using var image = new LucidImage(size == 0 ? model.Input.Shape[^1] : size, batch: channels.Count, seed: seed);
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
        using var image = new LucidImage(side, batch: labels.Count, seed: seed, sd: small ? RenderOptions.SmallInputSd : 0.01f);
        return Renderer.Render(model, objective, image, options with { Seed = seed });
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
        using var image = new LucidImage(size == 0 ? model.Input.Shape[^1] : size, batch: count, seed: seed);
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
        using var image = new LucidImage(size == 0 ? model.Input.Shape[^1] : size, batch: frames, seed: seed);
        return Renderer.Render(model, objective, image, options);
    }
}

/// <summary>
/// A fixed image in front of a trainable batch (Lucid's caricature recipe): <see cref="Image"/> is
/// [reference; trainable images], so objectives can compare the trainable images with the reference (batch item 0).
/// </summary>
public sealed class ReferencePlusImage : ImageParameterization
{
    private readonly Tensor _reference;
    private readonly ImageParameterization _trainable;

    public ReferencePlusImage(Tensor reference, ImageParameterization trainable)
        : base(1 + trainable.Batch, trainable.Channels, trainable.Height, trainable.Width)
    {
        var expected = new[] { 1, trainable.Channels, trainable.Height, trainable.Width };
        if (!reference.Shape.SequenceEqual(expected))
            throw new ShapeMismatchException($"reference image: expected [{string.Join(", ", expected)}], got [{string.Join(", ", reference.Shape.ToArray())}].");
        _reference = reference.Detach().Clone().DetachFromScope();
        _trainable = trainable;
    }

    public override IReadOnlyList<Tensor> Parameters => _trainable.Parameters;

    public override Tensor Image() => Ops.Concat(new[] { _reference, _trainable.Image() }, 0);

    public override void Dispose()
    {
        _reference.Dispose();
        _trainable.Dispose();
    }
}
