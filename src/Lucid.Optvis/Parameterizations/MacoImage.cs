using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>
/// MACO (Fel et al., 2023): only the Fourier phase φ is optimized; the magnitude M is fixed to the mean amplitude
/// spectrum of real images (in decorrelated colour space), so renders keep natural-image statistics. Per the official
/// code: φ̂ = (φ − mean φ)/(std φ + ε); X = M·cos φ̂ + i·M·sin φ̂; x₀ = irfft2(X), standardized per image;
/// x = sigmoid(C·x₀) with C Lucid's colour matrix. φ starts from N(0, 1).
/// </summary>
public sealed class MacoImage : ImageParameterization
{
    private readonly Tensor _phase;
    private readonly Tensor _magnitude;    // [3, H, W/2+1, 1]

    /// <param name="width">Canvas width.</param>
    /// <param name="height">Canvas height.</param>
    /// <param name="magnitude">The fixed amplitude spectrum [3, H, W/2+1] (see <see cref="MagnitudeOf"/>).</param>
    /// <param name="batch">Images rendered together.</param>
    /// <param name="seed">Seed of the initial phase.</param>
    public MacoImage(int width, int height, Tensor magnitude, int batch = 1, ulong seed = 0)
        : base(batch, 3, height, width)
    {
        var expected = new[] { 3, height, width / 2 + 1 };
        if (!magnitude.Shape.SequenceEqual(expected))
            throw new ShapeMismatchException($"MACO: the magnitude must be {Shapes.Format(expected)} for a {height}×{width} canvas, got {Shapes.Format(magnitude.Shape)}.");
        _magnitude = Ops.Reshape(magnitude.Detach(), 3, height, width / 2 + 1, 1).Clone().DetachFromScope();
        _phase = new Rng(seed).Normal(new[] { batch, 3, height, width / 2 + 1 }, 0f, 1f).DetachFromScope().RequireGrad();
    }

    public override IReadOnlyList<Tensor> Parameters => new[] { _phase };

    /// <summary>irfft2(M·e^{iφ̂}) before the standardization (its spectrum has magnitude M wherever the inverse keeps both parts).</summary>
    public Tensor RawSpatial()
    {
        var mean = Ops.Mean(Ops.Flatten(_phase, 0), 0);
        var std = Ops.Sqrt(Ops.Var(Ops.Flatten(_phase, 0), 0, unbiased: false));
        var phase = Ops.Div(Ops.Sub(_phase, mean), Ops.Add(std, 1e-4f));
        var shape = new[] { Batch, 3, Height, Width / 2 + 1, 1 };
        var real = Ops.Mul(Ops.Reshape(Ops.Cos(phase), shape), _magnitude);
        var imaginary = Ops.Mul(Ops.Reshape(Ops.Sin(phase), shape), _magnitude);
        return Ops.Irfft2(Ops.Concat(new[] { real, imaginary }, 4), Width);
    }

    public override Tensor Image()
    {
        var x = RawSpatial();
        var mean = Ops.Mean(x, new[] { 1, 2, 3 }, keepDim: true);
        var std = Ops.Sqrt(Ops.Add(Ops.Var(x, new[] { 1, 2, 3 }, unbiased: false, keepDim: true), 1e-12f));
        var standardized = Ops.Div(Ops.Sub(x, mean), std);
        return Ops.Sigmoid(ColorDecorrelation.Apply(standardized, ColorDecorrelation.ImageNet));
    }

    /// <summary>
    /// The mean amplitude spectrum of <paramref name="images"/> ([N, 3, H′, W′] in [0, 1]), resized to H × W and
    /// taken in decorrelated colour space (C⁻¹·x): MACO's fixed magnitude for a dataset, [3, H, W/2+1].
    /// </summary>
    public static Tensor MagnitudeOf(Tensor images, int height, int width)
    {
        if (images.Rank != 4 || images.Size(1) != 3) throw new ShapeMismatchException($"MACO: images must be [N, 3, H, W], got {Shapes.Format(images.Shape)}.");
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var resized = images.Size(2) == height && images.Size(3) == width ? images : Ops.Interpolate(images, height, width, InterpolationMode.Bilinear);
        var decorrelated = ColorDecorrelation.Apply(resized, Invert(ColorDecorrelation.ImageNet));
        var spectrum = Ops.Rfft2(decorrelated);                                                  // [N, 3, H, W/2+1, 2]
        var re = Ops.Slice(spectrum, 4, 0, 1);
        var im = Ops.Slice(spectrum, 4, 1, 2);
        var magnitude = Ops.Sqrt(Ops.Add(Ops.Mul(re, re), Ops.Mul(im, im)));
        return Ops.Reshape(Ops.Mean(magnitude, 0), 3, height, width / 2 + 1).Clone().DetachFromScope();
    }

    private static float[,] Invert(float[,] m)
    {
        double a = m[0, 0], b = m[0, 1], c = m[0, 2], d = m[1, 0], e = m[1, 1], f = m[1, 2], g = m[2, 0], h = m[2, 1], i = m[2, 2];
        double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
        var r = new double[,]
        {
            { e * i - f * h, c * h - b * i, b * f - c * e },
            { f * g - d * i, a * i - c * g, c * d - a * f },
            { d * h - e * g, b * g - a * h, a * e - b * d },
        };
        var result = new float[3, 3];
        for (int p = 0; p < 3; p++)
            for (int q = 0; q < 3; q++) result[p, q] = (float)(r[p, q] / det);
        return result;
    }

    public override void Dispose()
    {
        _magnitude.Dispose();
        base.Dispose();
    }
}
