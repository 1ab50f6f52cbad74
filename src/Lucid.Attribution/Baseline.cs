using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution;

/// <summary>
/// A reference input x′ for path and difference methods (Integrated Gradients, DeepLIFT, GradientSHAP, occlusion and
/// ablation). Models take raw pixels (a model's normalization is part of the model), so every baseline is given in
/// raw pixel space: <see cref="Black"/> is the lowest pixel value, which stays black after any normalization, while
/// <see cref="Zero"/> is the literal zero tensor.
/// </summary>
public abstract record Baseline
{
    /// <summary>All zeros (Captum's default).</summary>
    public static Baseline Zero { get; } = new ConstantBaseline(null);

    /// <summary>Every pixel at the model's minimum input value (black).</summary>
    public static Baseline Black { get; } = new ConstantBaseline(float.NegativeInfinity);

    /// <summary>Every pixel at 1 (white: RGB in [0, 1]).</summary>
    public static Baseline White { get; } = new ConstantBaseline(1f);

    /// <summary>The input blurred by a Gaussian of standard deviation <paramref name="sigma"/> pixels (Sturmfels et al., 2020).</summary>
    public static Baseline Blurred(float sigma = 5f) => new BlurredBaseline(sigma);

    /// <summary>Uniform noise over the model's input range, seeded.</summary>
    public static Baseline UniformNoise(ulong seed = 0) => new NoiseBaseline(seed);

    /// <summary>
    /// The per-channel dataset mean: <paramref name="channelMeans"/>, or — when null — the model's own normalization
    /// mean (the usual ImageNet statistics for imported models).
    /// </summary>
    public static Baseline DatasetMean(float[]? channelMeans = null) => new MeanBaseline(channelMeans);

    /// <summary>A given reference: shaped like one example [C, H, W] (used for every example) or like the batch.</summary>
    public static Baseline Custom(Tensor reference) => new CustomBaseline(reference);

    /// <summary>The baseline for <paramref name="input"/> ([N, C, H, W] or [N, F]), a new tensor of the same shape.</summary>
    public abstract Tensor For(Model model, Tensor input);

    private protected static Tensor Like(Tensor input) => Tensor.Zeros(input.Shape.ToArray());
}

internal sealed record ConstantBaseline(float? Value) : Baseline
{
    public override string ToString() => Value switch { null => "zero", float.NegativeInfinity => "black", 1f => "white", { } v => $"constant {v:G3}" };

    public override Tensor For(Model model, Tensor input)
    {
        var result = Like(input);
        if (Value is { } v) result.Data.Fill(float.IsNegativeInfinity(v) ? 0f : v);      // pixels are RGB in [0, 1]; black is 0
        return result;
    }
}

internal sealed record BlurredBaseline(float Sigma) : Baseline
{
    public override string ToString() => $"blurred σ {Sigma:G3}";

    public override Tensor For(Model model, Tensor input) => Blur(input, Sigma, "blurred baseline");

    /// <summary>A separable Gaussian blur of every plane of [N, C, H, W].</summary>
    internal static Tensor Blur(Tensor input, float Sigma, string what)
    {
        if (!(Sigma > 0)) throw new LucidArgumentException("sigma", $"{what}: sigma must be positive, got {Sigma}.");
        if (input.Rank != 4) throw new ShapeMismatchException($"{what}: the input must be [N, C, H, W], got {Shapes.Format(input.Shape)}.");
        // separable Gaussian, truncated at 3σ, edges clamped; exact and deterministic
        int radius = Math.Max(1, (int)Math.Ceiling(3 * Sigma));
        var kernel = new double[2 * radius + 1];
        for (int i = -radius; i <= radius; i++) kernel[i + radius] = Math.Exp(-0.5 * i * i / (Sigma * Sigma));
        double total = kernel.Sum();
        for (int i = 0; i < kernel.Length; i++) kernel[i] /= total;
        int planes = input.Size(0) * input.Size(1), h = input.Size(2), w = input.Size(3);
        var source = input.ToArray();
        var temp = new double[h * w];
        var result = Like(input);
        var rd = result.Data;
        for (int p = 0; p < planes; p++)
        {
            int o = p * h * w;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    double s = 0;
                    for (int k = -radius; k <= radius; k++) s += kernel[k + radius] * source[o + y * w + Math.Clamp(x + k, 0, w - 1)];
                    temp[y * w + x] = s;
                }
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    double s = 0;
                    for (int k = -radius; k <= radius; k++) s += kernel[k + radius] * temp[Math.Clamp(y + k, 0, h - 1) * w + x];
                    rd[o + y * w + x] = (float)s;
                }
        }
        return result;
    }
}

internal sealed record NoiseBaseline(ulong Seed) : Baseline
{
    public override string ToString() => "noise";

    public override Tensor For(Model model, Tensor input)
    {
        var result = Like(input);
        new Rng(Seed).FillUniform(result.Data, 0f, 1f);
        return result;
    }
}

internal sealed record MeanBaseline(float[]? Means) : Baseline
{
    public override string ToString() => "dataset mean";

    public override Tensor For(Model model, Tensor input)
    {
        // the contract's mean as RGB pixels in [0, 1]
        var means = Means ?? (model.Input.Mean is null ? null : model.Input.PixelMean())
            ?? throw new LucidArgumentException("baseline", $"dataset-mean baseline: model '{model.Name}' has no normalization mean; pass the channel means.");
        if (input.Rank < 2 || input.Size(1) != means.Length)
            throw new ShapeMismatchException($"dataset-mean baseline: {means.Length} channel means for an input of shape {Shapes.Format(input.Shape)}.");
        var result = Like(input);
        int n = input.Size(0), c = input.Size(1), plane = input.Count / (n * c);
        for (int e = 0; e < n; e++)
            for (int ch = 0; ch < c; ch++) result.Data.Slice((e * c + ch) * plane, plane).Fill(means[ch]);
        return result;
    }
}

internal sealed record CustomBaseline(Tensor Reference) : Baseline
{
    public override string ToString() => "custom";

    public override Tensor For(Model model, Tensor input)
    {
        var shape = input.Shape.ToArray();
        var reference = Reference.Shape.ToArray();
        if (reference.SequenceEqual(shape)) return Reference.Clone();
        if (reference.SequenceEqual(shape[1..]))
        {
            var result = Like(input);
            int per = Reference.Count;
            for (int e = 0; e < shape[0]; e++) Reference.Data.CopyTo(result.Data.Slice(e * per, per));
            return result;
        }
        throw new ShapeMismatchException($"baseline of shape {Shapes.Format(reference)} matches neither the input {Shapes.Format(shape)} nor one example {Shapes.Format(shape[1..])}.");
    }
}
