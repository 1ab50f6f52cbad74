using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

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
