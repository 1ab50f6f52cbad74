using Lucid.Tensors;

namespace Lucid.Imaging;

/// <summary>A colormap: t in [0, 1] → RGB, piecewise linear between anchors.</summary>
public sealed class Colormap
{
    private readonly (double T, byte R, byte G, byte B)[] _anchors;

    public Colormap(string name, params (double T, byte R, byte G, byte B)[] anchors)
    {
        if (anchors.Length < 2 || anchors[0].T != 0 || anchors[^1].T != 1 || anchors.Zip(anchors.Skip(1)).Any(p => p.Second.T <= p.First.T))
            throw new LucidArgumentException(nameof(anchors), $"colormap '{name}': anchors must rise strictly from t = 0 to t = 1.");
        Name = name;
        _anchors = anchors;
    }

    public string Name { get; }

    /// <summary>Diverging blue–white–red (Zennit's and iNNvestigate's "bwr"): negative blue, zero white, positive red.</summary>
    public static Colormap Bwr { get; } = new("bwr", (0, 0, 0, 255), (0.5, 255, 255, 255), (1, 255, 0, 0));

    /// <summary>Diverging cyan–blue–black–red–yellow (Zennit's "coldnhot"): zero is black, so it overlays bright images well.</summary>
    public static Colormap ColdNHot { get; } = new("coldnhot", (0, 0, 255, 255), (0.25, 0, 0, 255), (0.5, 0, 0, 0), (0.75, 255, 0, 0), (1, 255, 255, 0));

    /// <summary>Sequential black–red–yellow–white (matplotlib's "hot"), for non-negative maps.</summary>
    public static Colormap Hot { get; } = new("hot", (0, 0, 0, 0), (0.375, 255, 0, 0), (0.75, 255, 255, 0), (1, 255, 255, 255));

    /// <summary>Sequential perceptually uniform (matplotlib's "viridis", sampled at nine points).</summary>
    public static Colormap Viridis { get; } = new("viridis",
        (0, 68, 1, 84), (0.125, 71, 44, 122), (0.25, 59, 81, 139), (0.375, 44, 113, 142), (0.5, 33, 144, 141),
        (0.625, 39, 173, 129), (0.75, 92, 200, 99), (0.875, 170, 220, 50), (1, 253, 231, 37));

    /// <summary>Black to white.</summary>
    public static Colormap Gray { get; } = new("gray", (0, 0, 0, 0), (1, 255, 255, 255));

    /// <summary>The colour at <paramref name="t"/> (clamped to [0, 1]; NaN is the middle).</summary>
    public (byte R, byte G, byte B) this[double t]
    {
        get
        {
            if (double.IsNaN(t)) t = 0.5;
            t = Math.Clamp(t, 0, 1);
            int k = 1;
            while (k < _anchors.Length - 1 && _anchors[k].T < t) k++;
            var (t0, r0, g0, b0) = _anchors[k - 1];
            var (t1, r1, g1, b1) = _anchors[k];
            double u = (t - t0) / (t1 - t0);
            return (Mix(r0, r1, u), Mix(g0, g1, u), Mix(b0, b1, u));
        }
    }

    private static byte Mix(byte a, byte b, double u) => (byte)Math.Round(a + (b - a) * u);
}

/// <summary>How an attribution map becomes colour.</summary>
public enum HeatmapScaling
{
    /// <summary>Signed values, scaled symmetrically by the largest |value| (0 maps to the colormap's middle).</summary>
    Signed,
    /// <summary>Negative values clipped to 0, positive ones scaled by the largest.</summary>
    Positive,
    /// <summary>|value|, scaled by the largest.</summary>
    Absolute,
}

/// <summary>Attribution heatmaps: one colour per pixel from a [C, H, W] or [H, W] map, and overlays on the input.</summary>
public static class Heatmap
{
    /// <summary>
    /// Renders one example's attribution (channels summed, as Zennit and Captum do). The scale is the largest magnitude,
    /// or — with <paramref name="percentile"/> &lt; 100 — that percentile of the magnitudes, so a few extreme pixels do
    /// not wash the rest out (values past it saturate). Signed maps default to <see cref="Colormap.Bwr"/>, others to
    /// <see cref="Colormap.Hot"/>.
    /// </summary>
    public static Image Render(Tensor attribution, HeatmapScaling scaling = HeatmapScaling.Signed, Colormap? colormap = null, double percentile = 100)
    {
        var map = Collapse(attribution, out int h, out int w);
        if (!(percentile > 0 && percentile <= 100)) throw new LucidArgumentException(nameof(percentile), $"heatmap: percentile must be in (0, 100], got {percentile}.");
        for (int i = 0; i < map.Length; i++)
            map[i] = scaling switch { HeatmapScaling.Positive => Math.Max(map[i], 0), HeatmapScaling.Absolute => Math.Abs(map[i]), _ => map[i] };
        var magnitudes = map.Select(Math.Abs).Where(v => !double.IsNaN(v)).Order().ToArray();
        double scale = magnitudes.Length == 0 ? 0 : magnitudes[Math.Clamp((int)Math.Ceiling(percentile / 100 * magnitudes.Length) - 1, 0, magnitudes.Length - 1)];
        if (!(scale > 0)) scale = 1;                                   // an all-zero map renders as the zero colour
        colormap ??= scaling == HeatmapScaling.Signed ? Colormap.Bwr : Colormap.Hot;
        var image = new Image(w, h, 3);
        for (int i = 0; i < map.Length; i++)
        {
            double t = scaling == HeatmapScaling.Signed ? 0.5 + 0.5 * map[i] / scale : map[i] / scale;
            var (r, g, b) = colormap[t];
            image.Pixels[3 * i] = r;
            image.Pixels[3 * i + 1] = g;
            image.Pixels[3 * i + 2] = b;
        }
        return image;
    }

    /// <summary>
    /// The heatmap laid over <paramref name="background"/> (resized to it, nearest neighbour): each pixel is
    /// (1 − α)·background + α·heatmap, with α = <paramref name="opacity"/> scaled by how far the heatmap's colour is
    /// from the colormap's zero colour when <paramref name="fadeZero"/> (so unattributed regions show the input).
    /// </summary>
    public static Image Overlay(Image background, Image heatmap, double opacity = 0.6, bool fadeZero = true, (byte R, byte G, byte B)? zeroColour = null)
    {
        if (!(opacity >= 0 && opacity <= 1)) throw new LucidArgumentException(nameof(opacity), $"overlay: opacity must be in [0, 1], got {opacity}.");
        var top = heatmap.ResizeNearest(background.Width, background.Height);
        var zero = zeroColour ?? (255, 255, 255);
        var result = new Image(background.Width, background.Height, 3);
        for (int i = 0; i < background.Width * background.Height; i++)
        {
            var (br, bg, bb, _) = background.Rgba(i);
            var (hr, hg, hb, _) = top.Rgba(i);
            double alpha = opacity;
            if (fadeZero)
            {
                double distance = Math.Sqrt(Sq(hr - zero.R) + Sq(hg - zero.G) + Sq(hb - zero.B)) / (255 * Math.Sqrt(3));
                alpha *= Math.Min(1, 2 * distance);
            }
            result.Pixels[3 * i] = Blend(br, hr, alpha);
            result.Pixels[3 * i + 1] = Blend(bg, hg, alpha);
            result.Pixels[3 * i + 2] = Blend(bb, hb, alpha);
        }
        return result;
    }

    private static double Sq(int v) => (double)v * v;

    private static byte Blend(byte a, byte b, double alpha) => (byte)Math.Round((1 - alpha) * a + alpha * b);

    /// <summary>[H, W], [C, H, W] or [1, C, H, W] → the channel sum as a flat [H·W] map.</summary>
    private static double[] Collapse(Tensor attribution, out int h, out int w)
    {
        var shape = attribution.Shape.ToArray();
        if (shape.Length == 4 && shape[0] == 1) shape = shape[1..];
        if (shape.Length == 2) shape = new[] { 1, shape[0], shape[1] };
        if (shape.Length != 3)
            throw new ShapeMismatchException($"heatmap: expected one example's map [C, H, W] or [H, W], got [{string.Join(", ", attribution.Shape.ToArray())}] (select an example first).");
        h = shape[1];
        w = shape[2];
        var data = attribution.Data;
        var map = new double[h * w];
        for (int c = 0; c < shape[0]; c++)
            for (int i = 0; i < h * w; i++) map[i] += data[c * h * w + i];
        return map;
    }
}
