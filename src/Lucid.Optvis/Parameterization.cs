using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>
/// Lucid's colour decorrelation (lucid/optvis/param/color.py): a pixel's three values v become rgb = C·v, with C the
/// square root of the ImageNet RGB covariance (U·√S from its SVD) divided by its largest column norm, so an optimizer
/// moves along decorrelated colour directions.
/// </summary>
public static class ColorDecorrelation
{
    /// <summary>Lucid's color_correlation_svd_sqrt (float32, as published).</summary>
    public static readonly float[,] ImageNetSvdSqrt = { { 0.26f, 0.09f, 0.02f }, { 0.27f, 0.00f, -0.05f }, { 0.27f, -0.09f, 0.03f } };

    /// <summary>C = <see cref="ImageNetSvdSqrt"/> / max column L2 norm (0.46195…).</summary>
    public static float[,] ImageNet { get; } = Normalize(ImageNetSvdSqrt);

    /// <summary>The matrix for a dataset: U·√Λ of its 3×3 pixel covariance (symmetric eigendecomposition), normalized by the largest column norm.</summary>
    public static float[,] FromCovariance(double[,] covariance)
    {
        if (covariance.GetLength(0) != 3 || covariance.GetLength(1) != 3)
            throw new LucidArgumentException(nameof(covariance), "colour decorrelation: the covariance must be 3×3.");
        var (values, vectors) = Jacobi.Eigen(covariance);
        var m = new float[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                if (values[j] < -1e-12) throw new LucidArgumentException(nameof(covariance), "colour decorrelation: the covariance is not positive semi-definite.");
                m[i, j] = (float)(vectors[i, j] * Math.Sqrt(Math.Max(values[j], 0)));
            }
        return Normalize(m);
    }

    private static float[,] Normalize(float[,] m)
    {
        double max = 0;
        for (int j = 0; j < 3; j++) max = Math.Max(max, Math.Sqrt(Enumerable.Range(0, 3).Sum(i => (double)m[i, j] * m[i, j])));
        var r = new float[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) r[i, j] = (float)(m[i, j] / max);
        return r;
    }

    /// <summary>rgb = C·v per pixel, for [N, 3, H, W].</summary>
    public static Tensor Apply(Tensor v, float[,] matrix)
    {
        if (v.Rank != 4 || v.Size(1) != 3) throw new ShapeMismatchException($"colour decorrelation: expected [N, 3, H, W], got {Shapes.Format(v.Shape)}.");
        var w = new float[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) w[i * 3 + j] = matrix[i, j];
        return Ops.Conv2d(v, Tensor.FromArray(w, 3, 3, 1, 1));
    }
}

/// <summary>
/// A trainable image: <see cref="Parameters"/> are the leaves an optimizer updates, <see cref="Image"/> builds the
/// image [N, C, H, W] with values in [0, 1] from them (part of the autograd graph).
/// </summary>
public abstract class ImageParameterization : IDisposable
{
    protected ImageParameterization(int batch, int channels, int height, int width)
    {
        if (batch <= 0) throw new LucidArgumentException(nameof(batch), $"image parameterization: batch must be positive, got {batch}.");
        if (channels <= 0) throw new LucidArgumentException(nameof(channels), $"image parameterization: channels must be positive, got {channels}.");
        if (height <= 0 || width <= 0) throw new LucidArgumentException(nameof(height), $"image parameterization: size must be positive, got {height}×{width}.");
        Batch = batch;
        Channels = channels;
        Height = height;
        Width = width;
    }

    public int Batch { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    public abstract IReadOnlyList<Tensor> Parameters { get; }

    public abstract Tensor Image();

    public virtual void Dispose()
    {
        foreach (var p in Parameters) p.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// Lucid's default image (param.image): a Fourier or pixel tensor, colour-decorrelated (3 channels), squashed into
/// [0, 1] by a sigmoid. Fourier: a spectrum drawn from N(0, sd²) scaled per frequency f (cycles/pixel) by
/// 1/max(f, 1/max(H, W))^decay · √(HW), inverted by an inverse real DFT (with its 1/(HW)), then divided by 4 —
/// lucid/optvis/param/spatial.py's fft_image. Pixel: N(0, sd²) values directly.
/// </summary>
public sealed class LucidImage : SpatialImage
{
    /// <summary>
    /// Lucid's image for <paramref name="model"/>: as many channels as it reads (colour decorrelation for three, none
    /// for a grayscale network), <paramref name="size"/>² pixels (0: the model's input size).
    /// </summary>
    public static LucidImage For(Lucid.Models.Graph.Model model, int size = 0, int batch = 1, ulong seed = 0, float sd = 0.01f)
    {
        int channels = model.Input.Shape[0];
        return new LucidImage(size == 0 ? model.Input.Shape[^1] : size, batch: batch, decorrelate: channels == 3, sd: sd, channels: channels, seed: seed);
    }

    private readonly Tensor _variable;
    private readonly Tensor? _scale;      // [H, W/2+1, 2] per-frequency scale (Fourier)
    private readonly bool _fourier;

    /// <param name="width">Image width.</param>
    /// <param name="height">Image height (default: square).</param>
    /// <param name="batch">Images rendered together.</param>
    /// <param name="fourier">Fourier (default) or pixel parameter.</param>
    /// <param name="decorrelate">Lucid's colour decorrelation (3 channels).</param>
    /// <param name="sd">Standard deviation of the initial parameter.</param>
    /// <param name="decayPower">Spectrum decay (1: 1/f).</param>
    /// <param name="channels">Image channels.</param>
    /// <param name="seed">Seed of the initial parameter.</param>
    /// <param name="sigmoid">Squash into [0, 1] by a sigmoid (Lucid's default) or, when false, Lucid's clip with a
    /// projected gradient (constrain_L_inf), with the ImageNet colour mean added after decorrelation.</param>
    public LucidImage(int width, int height = 0, int batch = 1, bool fourier = true, bool decorrelate = true, float sd = 0.01f,
        double decayPower = 1, int channels = 3, ulong seed = 0, bool sigmoid = true)
        : base(batch, channels, height == 0 ? width : height, width, decorrelate, grayscale: false, sigmoid)
    {
        if (!(sd > 0)) throw new LucidArgumentException(nameof(sd), $"image: sd must be positive, got {sd}.");
        _fourier = fourier;
        var rng = new Rng(seed);
        int h = Height, w = Width;
        if (fourier)
        {
            _variable = rng.Normal(new[] { batch, channels, h, w / 2 + 1, 2 }, 0f, sd).DetachFromScope().RequireGrad();
            _scale = FrequencyScale(h, w, decayPower).DetachFromScope();
        }
        else _variable = rng.Normal(new[] { batch, channels, h, w }, 0f, sd).DetachFromScope().RequireGrad();
    }

    public override IReadOnlyList<Tensor> Parameters => new[] { _variable };

    internal bool IsFourier => _fourier;
    /// <summary>The per-bin scale [H, W/2+1, 2] (Fourier).</summary>
    internal Tensor? FrequencyScaleTensor => _scale;

    /// <summary>sqrt(fx² + fy²) per rfft2 bin, fy = fftfreq(H), fx = the first W/2+1 of fftfreq(W).</summary>
    internal static double[] Frequencies(int h, int w)
    {
        int wf = w / 2 + 1;
        var f = new double[h * wf];
        for (int y = 0; y < h; y++)
        {
            double fy = (y <= (h - 1) / 2 ? y : y - h) / (double)h;
            for (int x = 0; x < wf; x++)
            {
                double fx = x / (double)w;
                f[y * wf + x] = Math.Sqrt(fx * fx + fy * fy);
            }
        }
        return f;
    }

    /// <summary>The per-bin scale, written out for both the real and the imaginary part ([H, W/2+1, 2]) so that it
    /// broadcasts over the batch and channels only (the fast, contiguous case).</summary>
    private static Tensor FrequencyScale(int h, int w, double decayPower)
    {
        var f = Frequencies(h, w);
        var s = new float[2 * f.Length];
        double floor = 1.0 / Math.Max(h, w);
        for (int i = 0; i < f.Length; i++) s[2 * i] = s[2 * i + 1] = (float)(Math.Sqrt((double)w * h) / Math.Pow(Math.Max(f[i], floor), decayPower));
        return Tensor.FromArray(s, h, w / 2 + 1, 2);
    }

    /// <summary>The image before the colour transform and the sigmoid ([N, C, H, W], unbounded).</summary>
    public override Tensor Spatial() => _fourier ? Ops.Mul(Ops.Irfft2(Ops.Mul(_variable, _scale!), Width), 0.25f) : _variable;

    /// <summary>Sets the variable so that <see cref="Spatial"/> returns <paramref name="spatial"/> (the Fourier form inverts exactly).</summary>
    public void SetSpatial(Tensor spatial)
    {
        if (!spatial.Shape.SequenceEqual(new[] { Batch, Channels, Height, Width }))
            throw new ShapeMismatchException($"image: expected [{Batch}, {Channels}, {Height}, {Width}], got {Shapes.Format(spatial.Shape)}.");
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var value = _fourier ? Ops.Div(Ops.Rfft2(Ops.Mul(spatial, 4f)), _scale!) : spatial;
        value.Data.CopyTo(_variable.Data);
    }

    /// <summary>
    /// Starts the render from <paramref name="image"/> ([N, C, H, W] in [0, 1]): the inverse of the sigmoid (or of the
    /// clip and colour mean), of the colour decorrelation and of the Fourier scaling (Feature Accentuation's seeded
    /// start). Pixels are kept 1e-3 inside (0, 1), where the sigmoid is invertible.
    /// </summary>
    public void SetImage(Tensor image)
    {
        if (!image.Shape.SequenceEqual(new[] { Batch, Channels, Height, Width }))
            throw new ShapeMismatchException($"image: expected [{Batch}, {Channels}, {Height}, {Width}], got {Shapes.Format(image.Shape)}.");
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        SetSpatial(ToSpatial(image));
    }

    public override void Dispose()
    {
        _scale?.Dispose();
        base.Dispose();
    }
}

/// <summary>
/// An image built from an unbounded spatial tensor [N, C, H, W] the way Lucid's to_valid_rgb finishes: optional colour
/// decorrelation (3 channels), then a sigmoid — or Lucid's clip with a projected gradient, with the ImageNet colour mean
/// added after decorrelation. Grayscale: one channel shown as three.
/// </summary>
public abstract class SpatialImage : ImageParameterization
{
    private readonly float[,]? _decorrelation;
    private readonly bool _grayscale;
    private readonly bool _sigmoid;

    /// <summary>Lucid's color_mean, added on the clipping path.</summary>
    private static readonly float[] ColorMean = { 0.48f, 0.46f, 0.41f };

    protected SpatialImage(int batch, int channels, int height, int width, bool decorrelate, bool grayscale, bool sigmoid = true)
        : base(batch, grayscale ? 3 : channels, height, width)
    {
        if (decorrelate && (channels != 3 || grayscale))
            throw new LucidArgumentException(nameof(decorrelate), $"image: colour decorrelation needs 3 channels, got {(grayscale ? 1 : channels)}.");
        _decorrelation = decorrelate ? ColorDecorrelation.ImageNet : null;
        _grayscale = grayscale;
        _sigmoid = sigmoid;
    }

    /// <summary>The unbounded tensor before colour and sigmoid ([N, 1, H, W] for grayscale).</summary>
    public abstract Tensor Spatial();

    internal float[,]? Decorrelation => _decorrelation;
    internal bool UsesSigmoid => _sigmoid;
    internal bool IsGrayscale => _grayscale;
    internal static float[] ImageNetColorMean => ColorMean;

    /// <summary>The spatial tensor whose <see cref="Image"/> is <paramref name="image"/> (colour images; not grayscale).</summary>
    protected Tensor ToSpatial(Tensor image)
    {
        if (_grayscale) throw new LucidArgumentException(nameof(image), "image: a grayscale parameterization cannot start from a colour image.");
        var d = image.ToArray();
        for (int i = 0; i < d.Length; i++)
        {
            float p = Math.Clamp(d[i], 1e-3f, 1f - 1e-3f);
            if (_sigmoid) d[i] = MathF.Log(p / (1f - p));
            else d[i] = p;
        }
        var t = Tensor.FromArray(d, image.Shape.ToArray());
        if (!_sigmoid && _decorrelation is not null) t = Ops.Sub(t, Tensor.FromArray(ColorMean, 1, 3, 1, 1));
        if (_decorrelation is not null) t = ColorDecorrelation.Apply(t, Invert3(_decorrelation));
        return t;
    }

    private static float[,] Invert3(float[,] m)
    {
        double a = m[0, 0], b = m[0, 1], c = m[0, 2], d = m[1, 0], e = m[1, 1], f = m[1, 2], g = m[2, 0], h = m[2, 1], k = m[2, 2];
        double det = a * (e * k - f * h) - b * (d * k - f * g) + c * (d * h - e * g);
        var inv = new[,]
        {
            { (e * k - f * h) / det, (c * h - b * k) / det, (b * f - c * e) / det },
            { (f * g - d * k) / det, (a * k - c * g) / det, (c * d - a * f) / det },
            { (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det },
        };
        var result = new float[3, 3];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) result[i, j] = (float)inv[i, j];
        return result;
    }

    public override Tensor Image()
    {
        var t = Spatial();
        if (_decorrelation is not null) t = ColorDecorrelation.Apply(t, _decorrelation);
        if (_sigmoid) t = Ops.Sigmoid(t);
        else
        {
            if (_decorrelation is not null) t = Ops.Add(t, Tensor.FromArray(ColorMean, 1, 3, 1, 1));
            t = Ops.Add(Ops.Mul(ConstrainUnit(Ops.Add(Ops.Mul(t, 2f), -1f)), 0.5f), 0.5f);
        }
        return _grayscale ? Ops.Concat(new[] { t, t, t }, 1) : t;
    }

    /// <summary>
    /// Lucid's constrain_L_inf: x / max(1, |x|) (a clip to [−1, 1]) whose gradient is projected at the boundary — the
    /// component that would push a clipped value further out is dropped, the one pulling it back in passes (a plain
    /// clip would zero both and trap the value).
    /// </summary>
    internal static Tensor ConstrainUnit(Tensor x)
    {
        Tensor offset;
        using (GradMode.NoGrad()) offset = Ops.Sub(Ops.Clamp(x, -1f, 1f), x);
        var y = Ops.Add(x, offset);                                    // forward: the clip; backward: the identity
        if (!y.RequiresGrad) return y;
        var values = x.ToArray();
        y.RegisterGradHook(g =>
        {
            var d = g.ToArray();
            for (int i = 0; i < d.Length; i++)
                // descent moves by −g: at the upper bound g < 0 pushes out, at the lower bound g > 0 does
                if (values[i] >= 1f && d[i] < 0f || values[i] <= -1f && d[i] > 0f) d[i] = 0f;
            return Tensor.FromArray(d, g.Shape.ToArray());
        });
        return y;
    }
}

/// <summary>
/// Lucid's lowres_tensor: a variable of size lowH × lowW, upsampled bilinearly to H × W — an image whose detail is
/// limited by construction.
/// </summary>
public sealed class LowResImage : SpatialImage
{
    private readonly Tensor _variable;

    public LowResImage(int width, int height, int lowWidth, int lowHeight, int batch = 1, bool decorrelate = true, bool grayscale = false,
        float sd = 0.01f, ulong seed = 0, int channels = 3)
        : base(batch, channels, height, width, decorrelate, grayscale)
    {
        if (lowWidth <= 0 || lowHeight <= 0 || lowWidth > width || lowHeight > height)
            throw new LucidArgumentException(nameof(lowWidth), $"low-resolution image: {lowHeight}×{lowWidth} must be positive and at most {height}×{width}.");
        _variable = new Rng(seed).Normal(new[] { batch, grayscale ? 1 : channels, lowHeight, lowWidth }, 0f, sd).DetachFromScope().RequireGrad();
    }

    public override IReadOnlyList<Tensor> Parameters => new[] { _variable };

    public override Tensor Spatial() => _variable.Size(2) == Height && _variable.Size(3) == Width
        ? _variable
        : Ops.Interpolate(_variable, Height, Width, InterpolationMode.Bilinear);
}

/// <summary>
/// Lucid's laplacian_pyramid_image: the sum of low-resolution tensors at sizes H/2ᵏ × W/2ᵏ for k &lt; levels (4 by
/// default), so coarse structure and fine detail have separate parameters.
/// </summary>
public sealed class LaplacianPyramidImage : SpatialImage
{
    private readonly Tensor[] _levels;

    public LaplacianPyramidImage(int width, int height = 0, int levels = 4, int batch = 1, bool decorrelate = true, float sd = 0.01f, ulong seed = 0)
        : base(batch, 3, height == 0 ? width : height, width, decorrelate, grayscale: false)
    {
        if (levels <= 0) throw new LucidArgumentException(nameof(levels), $"Laplacian pyramid: levels must be positive, got {levels}.");
        var rng = new Rng(seed);
        _levels = Enumerable.Range(0, levels)
            .Select(k => rng.Normal(new[] { batch, 3, Math.Max(1, Height >> k), Math.Max(1, Width >> k) }, 0f, sd).DetachFromScope().RequireGrad())
            .ToArray();
    }

    public override IReadOnlyList<Tensor> Parameters => _levels;

    public override Tensor Spatial()
    {
        Tensor? sum = null;
        foreach (var level in _levels)
        {
            var up = level.Size(2) == Height && level.Size(3) == Width ? level : Ops.Interpolate(level, Height, Width, InterpolationMode.Bilinear);
            sum = sum is null ? up : Ops.Add(sum, up);
        }
        return sum!;
    }
}

/// <summary>
/// Lucid's CPPN (param/cppn.py): pixel coordinates in [−√3, √3]² pass through `layers` (8) 1×1
/// convolutions of `hidden` (24) channels with the composite activation [atan(x)/0.67, atan(x)²/0.6]
/// (which doubles the channels), then a zero-initialized 1×1 convolution to 3 channels and a sigmoid. Every batch
/// item shares the network.
/// </summary>
public sealed class CppnImage : ImageParameterization
{
    private readonly Tensor _coordinates;
    private readonly List<Tensor> _weights = new();

    public CppnImage(int width, int height = 0, int batch = 1, int hidden = 24, int layers = 8, ulong seed = 0)
        : base(batch, 3, height == 0 ? width : height, width)
    {
        if (hidden <= 0 || layers <= 0) throw new LucidArgumentException(nameof(hidden), $"CPPN: hidden channels and layers must be positive, got {hidden} and {layers}.");
        int h = Height, w = Width;
        var xy = new float[2 * h * w];
        double r = Math.Sqrt(3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                xy[y * w + x] = (float)(w == 1 ? 0 : -r + 2 * r * x / (w - 1));
                xy[h * w + y * w + x] = (float)(h == 1 ? 0 : -r + 2 * r * y / (h - 1));
            }
        _coordinates = Tensor.FromArray(xy, 1, 2, h, w).DetachFromScope();
        var rng = new Rng(seed);
        int inputs = 2;
        for (int l = 0; l < layers; l++)
        {
            // variance scaling (fan-in) for the weights, N(0, 0.1) for the biases, as Lucid's TF initializers
            _weights.Add(rng.Normal(new[] { hidden, inputs, 1, 1 }, 0f, (float)Math.Sqrt(1.0 / inputs)).DetachFromScope().RequireGrad());
            _weights.Add(rng.Normal(new[] { hidden }, 0f, 0.1f).DetachFromScope().RequireGrad());
            inputs = 2 * hidden;
        }
        _weights.Add(Tensor.Zeros(3, inputs, 1, 1).DetachFromScope().RequireGrad());
        _weights.Add(Tensor.Zeros(3).DetachFromScope().RequireGrad());
    }

    public override IReadOnlyList<Tensor> Parameters => _weights;

    public override Tensor Image()
    {
        var t = _coordinates;
        for (int l = 0; l + 2 < _weights.Count; l += 2)
        {
            var z = Ops.Conv2d(t, _weights[l], _weights[l + 1]);
            var a = Ops.Atan(z);
            t = Ops.Concat(new[] { Ops.Mul(a, 1 / 0.67f), Ops.Mul(Ops.Mul(a, a), 1 / 0.6f) }, 1);
        }
        var rgb = Ops.Sigmoid(Ops.Conv2d(t, _weights[^2], _weights[^1]));
        return Batch == 1 ? rgb : Ops.Concat(Enumerable.Repeat(rgb, Batch).ToArray(), 0);
    }

    public override void Dispose()
    {
        _coordinates.Dispose();
        base.Dispose();
    }
}

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

/// <summary>
/// Lucid's image with alpha (param.image(alpha = True)): a decorrelated Fourier RGB image and a separate Fourier alpha
/// channel, each through a sigmoid — [N, 4, H, W]. Render it with <see cref="Transform.CollapseAlpha"/> first, which
/// lays it over a fresh random background each step, so only what the unit needs stays opaque.
/// </summary>
public sealed class AlphaImage : ImageParameterization
{
    private readonly LucidImage _rgb;
    private readonly LucidImage _alpha;

    public AlphaImage(int width, int height = 0, int batch = 1, float sd = 0.01f, ulong seed = 0)
        : base(batch, 4, height == 0 ? width : height, width)
    {
        _rgb = new LucidImage(width, Height, batch, sd: sd, seed: seed);
        _alpha = new LucidImage(width, Height, batch, decorrelate: false, channels: 1, sd: sd, seed: seed + 1);
    }

    public override IReadOnlyList<Tensor> Parameters => _rgb.Parameters.Concat(_alpha.Parameters).ToArray();

    public override Tensor Image() => Ops.Concat(new[] { _rgb.Image(), _alpha.Image() }, 1);

    /// <summary>The alpha channel alone [N, 1, H, W].</summary>
    public static Tensor AlphaOf(Tensor image) => Ops.Slice(image, 1, 3, 4);

    public override void Dispose()
    {
        _rgb.Dispose();
        _alpha.Dispose();
    }
}

/// <summary>
/// A batch of Fourier images that share a common component (the Building Blocks activation grid: neighbouring cells
/// are rendered together and look alike): image n = colour(sigmoid(own_n + shared)), where own is a batch of Lucid
/// Fourier images and shared one more, broadcast over the batch and trained by every item's gradient.
/// </summary>
public sealed class SharedFourierImage : SpatialImage
{
    private readonly LucidImage _own;
    private readonly LucidImage _shared;

    /// <param name="width">Image width.</param>
    /// <param name="height">Image height (0: square).</param>
    /// <param name="batch">Images rendered together.</param>
    /// <param name="sd">Initial spectrum standard deviation of both components.</param>
    /// <param name="sharedWeight">Scale of the shared component (0: independent images).</param>
    /// <param name="seed">Seeds both components.</param>
    /// <param name="channels">Image channels (colour decorrelation for three).</param>
    public SharedFourierImage(int width, int height = 0, int batch = 1, float sd = 0.01f, float sharedWeight = 1f, ulong seed = 0, int channels = 3)
        : base(batch, channels, height == 0 ? width : height, width, decorrelate: channels == 3, grayscale: false)
    {
        if (!(sharedWeight >= 0)) throw new LucidArgumentException(nameof(sharedWeight), $"image: the shared weight must be non-negative, got {sharedWeight}.");
        _own = new LucidImage(width, height, batch, fourier: true, decorrelate: false, sd: sd, channels: channels, seed: seed);
        _shared = new LucidImage(width, height, 1, fourier: true, decorrelate: false, sd: sd, channels: channels, seed: seed ^ 0x5EED5EED);
        SharedWeight = sharedWeight;
    }

    public float SharedWeight { get; }

    public override IReadOnlyList<Tensor> Parameters => _own.Parameters.Concat(_shared.Parameters).ToArray();

    public override Tensor Spatial() => SharedWeight == 0 ? _own.Spatial() : Ops.Add(_own.Spatial(), Ops.Mul(_shared.Spatial(), SharedWeight));

    public override void Dispose()
    {
        _own.Dispose();
        _shared.Dispose();
        base.Dispose();
    }
}
