using Lucid.Tensors;

namespace Lucid.Optvis;

/// <summary>
/// A random, differentiable image transform [N, C, H, W] → [N, C, H′, W′] (Lucid's transformation robustness). Every
/// draw comes from the <see cref="Rng"/> passed in, so a seeded render is reproducible bit for bit.
/// </summary>
public abstract class Transform
{
    public abstract Tensor Apply(Tensor image, Rng rng);

    /// <summary>The smallest input size (height = width) this transform can take.</summary>
    public virtual int MinimumSize => 1;

    /// <summary>The output size for an input of size <paramref name="size"/> (for random sizes, the smallest).</summary>
    public virtual int SmallestOutput(int size) => size;

    /// <summary>Pads every side by <paramref name="width"/>: constant (Lucid's default 0.5), reflect, or a uniform random constant per call.</summary>
    public static Transform Pad(int width, PadKind kind = PadKind.Constant, float value = 0.5f) => new PadTransform(width, kind, value);

    /// <summary>Lucid's jitter: a random crop to (H − d, W − d) — the image shrinks by d.</summary>
    public static Transform Jitter(int d) => new JitterTransform(d);

    /// <summary>Bilinear resize by a factor drawn uniformly from <paramref name="scales"/>.</summary>
    public static Transform RandomScale(params double[] scales) => new ScaleTransform(scales);

    /// <summary>Bilinear rotation about the centre by an angle (degrees) drawn uniformly from <paramref name="degrees"/>; corners fill with zeros.</summary>
    public static Transform RandomRotate(params double[] degrees) => new RotateTransform(degrees);

    /// <summary>A centre crop or zero pad to exactly <paramref name="height"/>×<paramref name="width"/>.</summary>
    public static Transform CropOrPadTo(int height, int width) => new CropOrPadTransform(height, width);

    /// <summary>
    /// MACO's crops: <paramref name="count"/> square boxes per image, side a fraction of the canvas drawn uniformly
    /// from [<paramref name="minBox"/>, <paramref name="maxBox"/>], centres ~ N(0.5, <paramref name="centerStd"/>)
    /// (kept inside), each resized bilinearly to <paramref name="size"/>² — the batch grows to N·count.
    /// </summary>
    public static Transform RandomCrops(int count, double minBox, double maxBox, int size, double centerStd = 0.15) =>
        new CropsTransform(count, minBox, maxBox, size, centerStd);

    /// <summary>MACO's noise: x + N(0, σ²) + U(−σ/2, σ/2), seeded.</summary>
    public static Transform Noise(float sigma) => new NoiseTransform(sigma);

    /// <summary>
    /// Lucid's normalize_gradient: the identity going forward; going back, each batch item's gradient is divided by
    /// its L2 norm (over C, H, W), so every image of a batch moves at the same rate.
    /// </summary>
    public static Transform NormalizeGradient() => new NormalizeGradientTransform();

    /// <summary>
    /// Lucid's collapse_alpha_random: an [N, 4, H, W] image becomes a·rgb + (1 − a)·background, the background a fresh
    /// random Fourier image (sd <paramref name="sd"/>, decorrelated, sigmoid) each call.
    /// </summary>
    public static Transform CollapseAlpha(float sd = 0.5f) => new CollapseAlphaTransform(sd);

    /// <summary>A random circular shift of up to ±<paramref name="maxShift"/> pixels in each axis (VITAL's jitter; the size is kept).</summary>
    public static Transform Roll(int maxShift) => new RollTransform(maxShift);

    /// <summary>Applies the transforms left to right.</summary>
    public static Transform Compose(params Transform[] transforms) => new ComposeTransform(transforms);

    /// <summary>
    /// Lucid's standard_transforms, exactly: pad(12, constant 0.5), jitter(8), random_scale(0.90, 0.92, …, 1.10),
    /// random_rotate(−10 … 10 degrees, plus five more zeros), jitter(4).
    /// </summary>
    public static Transform Standard { get; } = Compose(
        Pad(12),
        Jitter(8),
        RandomScale(Enumerable.Range(0, 11).Select(i => 1 + (i - 5) / 50.0).ToArray()),
        RandomRotate(Enumerable.Range(-10, 21).Select(d => (double)d).Concat(Enumerable.Repeat(0.0, 5)).ToArray()),
        Jitter(4));

    /// <summary>No transform.</summary>
    public static Transform None { get; } = Compose();
}

public enum PadKind { Constant, Reflect, Uniform }

internal sealed class PadTransform : Transform
{
    internal readonly int _width;
    internal readonly PadKind _kind;
    internal readonly float _value;

    public PadTransform(int width, PadKind kind, float value)
    {
        if (width < 0) throw new LucidArgumentException(nameof(width), $"pad: width must be non-negative, got {width}.");
        (_width, _kind, _value) = (width, kind, value);
    }

    public override int MinimumSize => _kind == PadKind.Reflect ? _width + 1 : 1;

    public override int SmallestOutput(int size) => size + 2 * _width;

    public override Tensor Apply(Tensor image, Rng rng)
    {
        var pads = new[] { _width, _width, _width, _width };
        return _kind switch
        {
            PadKind.Reflect => Ops.Pad(image, pads, PadMode.Reflect),
            PadKind.Uniform => Ops.Pad(image, pads, PadMode.Constant, rng.NextFloat()),
            _ => Ops.Pad(image, pads, PadMode.Constant, _value),
        };
    }
}

internal sealed class JitterTransform : Transform
{
    internal readonly int _d;

    public JitterTransform(int d)
    {
        if (d < 0) throw new LucidArgumentException(nameof(d), $"jitter: d must be non-negative, got {d}.");
        _d = d;
    }

    public override int MinimumSize => _d + 1;

    public override int SmallestOutput(int size) => size - _d;

    public override Tensor Apply(Tensor image, Rng rng)
    {
        int h = image.Size(2), w = image.Size(3);
        if (h <= _d || w <= _d) throw new LucidArgumentException("image", $"jitter({_d}): the image ({h}×{w}) is too small.");
        int oy = (int)(rng.NextUInt64() % (ulong)(_d + 1)), ox = (int)(rng.NextUInt64() % (ulong)(_d + 1));
        return Ops.Slice(Ops.Slice(image, 2, oy, oy + h - _d), 3, ox, ox + w - _d);
    }
}

internal sealed class ScaleTransform : Transform
{
    internal readonly double[] _scales;

    public ScaleTransform(double[] scales)
    {
        if (scales.Length == 0 || scales.Any(s => !(s > 0))) throw new LucidArgumentException(nameof(scales), "random scale: give at least one positive scale.");
        _scales = scales;
    }

    public override int SmallestOutput(int size) => Math.Max(1, (int)(_scales.Min() * size));

    public override Tensor Apply(Tensor image, Rng rng)
    {
        double s = _scales[(int)(rng.NextUInt64() % (ulong)_scales.Length)];
        int h = Math.Max(1, (int)(s * image.Size(2))), w = Math.Max(1, (int)(s * image.Size(3)));
        return h == image.Size(2) && w == image.Size(3) ? image : Ops.Interpolate(image, h, w, InterpolationMode.Bilinear);
    }
}

internal sealed class RotateTransform : Transform
{
    internal readonly double[] _degrees;

    public RotateTransform(double[] degrees)
    {
        if (degrees.Length == 0) throw new LucidArgumentException(nameof(degrees), "random rotate: give at least one angle.");
        _degrees = degrees;
    }

    public override Tensor Apply(Tensor image, Rng rng)
    {
        double a = _degrees[(int)(rng.NextUInt64() % (ulong)_degrees.Length)] * Math.PI / 180;
        if (a == 0) return image;
        int n = image.Size(0), h = image.Size(2), w = image.Size(3);
        // normalized coordinates: rotate about the centre, correcting for the aspect ratio
        float cos = (float)Math.Cos(a), sin = (float)Math.Sin(a), ratio = (float)h / w;
        var theta = new float[n * 6];
        for (int i = 0; i < n; i++)
        {
            theta[i * 6 + 0] = cos; theta[i * 6 + 1] = -sin * ratio; theta[i * 6 + 2] = 0;
            theta[i * 6 + 3] = sin / ratio; theta[i * 6 + 4] = cos; theta[i * 6 + 5] = 0;
        }
        var grid = Ops.AffineGrid(Tensor.FromArray(theta, n, 2, 3), h, w);
        return Ops.GridSample(image, grid);
    }
}

internal sealed class CropOrPadTransform : Transform
{
    internal readonly int _height, _width;

    public CropOrPadTransform(int height, int width)
    {
        if (height <= 0 || width <= 0) throw new LucidArgumentException(nameof(height), $"crop or pad: size must be positive, got {height}×{width}.");
        (_height, _width) = (height, width);
    }

    public override int SmallestOutput(int size) => _height;

    public override Tensor Apply(Tensor image, Rng rng)
    {
        var t = Fit(image, 2, _height);
        return Fit(t, 3, _width);
    }

    private static Tensor Fit(Tensor t, int dim, int target)
    {
        int size = t.Size(dim);
        if (size == target) return t;
        if (size > target)
        {
            int start = (size - target) / 2;
            return Ops.Slice(t, dim, start, start + target);
        }
        int before = (target - size) / 2, after = target - size - before;
        var pads = dim == 3 ? new[] { before, after } : new[] { 0, 0, before, after };
        return Ops.Pad(t, pads);
    }
}

internal sealed class CropsTransform : Transform
{
    internal readonly int _count, _size;
    internal readonly double _min, _max, _centerStd;

    public CropsTransform(int count, double minBox, double maxBox, int size, double centerStd)
    {
        if (count <= 0) throw new LucidArgumentException(nameof(count), $"random crops: count must be positive, got {count}.");
        if (!(minBox > 0 && maxBox <= 1 && minBox <= maxBox)) throw new LucidArgumentException(nameof(minBox), $"random crops: box fractions must satisfy 0 < {minBox} ≤ {maxBox} ≤ 1.");
        if (size <= 0) throw new LucidArgumentException(nameof(size), $"random crops: size must be positive, got {size}.");
        (_count, _min, _max, _size, _centerStd) = (count, minBox, maxBox, size, centerStd);
    }

    public override int MinimumSize => (int)Math.Ceiling(1 / _min);

    public override int SmallestOutput(int size) => _size;

    public override Tensor Apply(Tensor image, Rng rng)
    {
        int n = image.Size(0), h = image.Size(2), w = image.Size(3);
        var crops = new List<Tensor>(n * _count);
        for (int e = 0; e < n; e++)
        {
            var one = image[e..(e + 1)];
            for (int k = 0; k < _count; k++)
            {
                double fraction = _min + (_max - _min) * rng.NextDouble();
                int bh = Math.Max(1, (int)Math.Round(fraction * h)), bw = Math.Max(1, (int)Math.Round(fraction * w));
                double cy = Math.Clamp(0.5 + _centerStd * rng.NextNormal(), 0, 1), cx = Math.Clamp(0.5 + _centerStd * rng.NextNormal(), 0, 1);
                int y0 = Math.Clamp((int)Math.Round(cy * h - bh / 2.0), 0, h - bh), x0 = Math.Clamp((int)Math.Round(cx * w - bw / 2.0), 0, w - bw);
                var box = Ops.Slice(Ops.Slice(one, 2, y0, y0 + bh), 3, x0, x0 + bw);
                crops.Add(Ops.Interpolate(box, _size, _size, InterpolationMode.Bilinear));
            }
        }
        return crops.Count == 1 ? crops[0] : Ops.Concat(crops, 0);
    }
}

internal sealed class NoiseTransform : Transform
{
    internal readonly float _sigma;

    public NoiseTransform(float sigma)
    {
        if (!(sigma >= 0)) throw new LucidArgumentException(nameof(sigma), $"noise: sigma must be non-negative, got {sigma}.");
        _sigma = sigma;
    }

    public override Tensor Apply(Tensor image, Rng rng)
    {
        var noise = new float[image.Count];
        for (int i = 0; i < noise.Length; i++) noise[i] = (float)(_sigma * rng.NextNormal() + _sigma * (rng.NextDouble() - 0.5));
        return Ops.Add(image, Tensor.FromArray(noise, image.Shape.ToArray()));
    }
}

internal sealed class NormalizeGradientTransform : Transform
{
    public override Tensor Apply(Tensor image, Rng rng)
    {
        var y = Ops.Mul(image, 1f);
        if (!y.RequiresGrad) return y;
        y.RegisterGradHook(g =>
        {
            int n = g.Size(0), per = g.Count / n;
            var data = g.ToArray();
            for (int e = 0; e < n; e++)
            {
                var item = data.AsSpan(e * per, per);
                double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(item, item));
                if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Multiply(item, (float)(1 / norm), item);
            }
            return Tensor.FromArray(data, g.Shape.ToArray());
        });
        return y;
    }
}

internal sealed class CollapseAlphaTransform(float sd) : Transform
{
    public override Tensor Apply(Tensor image, Rng rng)
    {
        if (image.Rank != 4 || image.Size(1) != 4)
            throw new ShapeMismatchException($"collapse alpha: expected an RGBA image [N, 4, H, W], got [{string.Join(", ", image.Shape.ToArray())}].");
        int n = image.Size(0), h = image.Size(2), w = image.Size(3);
        Tensor background;
        using (Lucid.Tensors.Autograd.GradMode.NoGrad())
        using (var sample = new LucidImage(w, h, n, sd: sd, seed: rng.NextUInt64()))
            background = sample.Image().Clone();
        var rgb = Ops.Slice(image, 1, 0, 3);
        var alpha = Ops.Slice(image, 1, 3, 4);
        // a·rgb + (1 − a)·bg = bg + a·(rgb − bg)
        return Ops.Add(background, Ops.Mul(alpha, Ops.Sub(rgb, background)));
    }
}

internal sealed class RollTransform : Transform
{
    internal readonly int _max;

    public RollTransform(int maxShift)
    {
        if (maxShift < 0) throw new LucidArgumentException(nameof(maxShift), $"roll: the shift must be non-negative, got {maxShift}.");
        _max = maxShift;
    }

    public override Tensor Apply(Tensor image, Rng rng)
    {
        int dy = (int)(rng.NextUInt64() % (ulong)(2 * _max + 1)) - _max, dx = (int)(rng.NextUInt64() % (ulong)(2 * _max + 1)) - _max;
        return dy == 0 && dx == 0 ? image : Ops.Roll(image, new[] { dy, dx }, new[] { 2, 3 });
    }
}

internal sealed class ComposeTransform(Transform[] transforms) : Transform
{
    internal IReadOnlyList<Transform> Parts => transforms;

    public override int MinimumSize
    {
        get
        {
            // the smallest input for which every stage gets at least its own minimum
            for (int size = 1; size < 1 << 16; size++)
            {
                int s = size;
                bool ok = true;
                foreach (var t in transforms)
                {
                    if (s < t.MinimumSize) { ok = false; break; }
                    s = t.SmallestOutput(s);
                }
                if (ok && s >= 1) return size;
            }
            return int.MaxValue;
        }
    }

    public override int SmallestOutput(int size) => transforms.Aggregate(size, (s, t) => t.SmallestOutput(s));

    public override Tensor Apply(Tensor image, Rng rng) => transforms.Aggregate(image, (x, t) => t.Apply(x, rng));
}
