using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

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
