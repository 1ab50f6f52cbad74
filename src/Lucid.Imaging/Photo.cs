using Lucid.Tensors;

namespace Lucid.Imaging;

/// <summary>
/// Photographs as a network sees them: loaded by content, turned upright by their EXIF orientation, resized with an
/// antialiasing filter so the shorter side fits, and center-cropped to the model's square input — RGB in [0, 1].
/// </summary>
public static class Photo
{
    /// <summary>The photo at <paramref name="path"/> as a [1, 3, size, size] tensor in [0, 1].</summary>
    public static Tensor Load(string path, int size) => Prepare(LoadUpright(path), size, size).ToTensor();

    /// <summary>The photo at <paramref name="path"/> as [1, 3, height, width] in [0, 1].</summary>
    public static Tensor Load(string path, int height, int width) => Prepare(LoadUpright(path), height, width).ToTensor();

    /// <summary>Loads an image file (PNG, JPEG, PGM/PPM) and applies a JPEG's EXIF orientation.</summary>
    public static Image LoadUpright(string path)
    {
        var image = ImageFiles.Load(path);
        byte[] head;
        using (var stream = File.OpenRead(path))
        {
            head = new byte[Math.Min(stream.Length, 1 << 17)];
            stream.ReadExactly(head);
        }
        return Orient(image, Exif.Orientation(head));
    }

    /// <summary>
    /// RGB, resized (area-weighted triangle filter, widened when shrinking) so that it covers height × width, then the
    /// center crop of that size.
    /// </summary>
    public static Image Prepare(Image image, int height, int width)
    {
        if (height <= 0 || width <= 0) throw new LucidArgumentException(nameof(height), $"photo: size must be positive, got {height}×{width}.");
        var rgb = image.WithChannels(3);
        double scale = Math.Max((double)height / rgb.Height, (double)width / rgb.Width);
        int h = Math.Max(height, (int)Math.Round(rgb.Height * scale)), w = Math.Max(width, (int)Math.Round(rgb.Width * scale));
        return Crop(Resize(rgb, w, h), (w - width) / 2, (h - height) / 2, width, height);
    }

    /// <summary>
    /// Every crop of <paramref name="size"/>² a photo offers at each scale (the shorter side resized to
    /// <paramref name="size"/> × scale): a 3 × 3 grid of positions (duplicates dropped), each also mirrored.
    /// </summary>
    public static IReadOnlyList<Image> Crops(Image photo, int size, IReadOnlyList<double> scales)
    {
        var rgb = photo.WithChannels(3);
        var result = new List<Image>();
        foreach (var scale in scales)
        {
            double f = size * scale / Math.Min(rgb.Width, rgb.Height);
            int w = Math.Max(size, (int)Math.Round(rgb.Width * f)), h = Math.Max(size, (int)Math.Round(rgb.Height * f));
            var resized = Resize(rgb, w, h);
            var seen = new HashSet<(int, int)>();
            for (int gy = 0; gy < 3; gy++)
                for (int gx = 0; gx < 3; gx++)
                {
                    int left = (w - size) * gx / 2, top = (h - size) * gy / 2;
                    if (!seen.Add((left, top))) continue;
                    var crop = Crop(resized, left, top, size, size);
                    result.Add(crop);
                    result.Add(Orient(crop, 2));
                }
        }
        return result;
    }

    /// <summary>
    /// Every JPEG and PNG in <paramref name="directory"/> (in name order) as <see cref="Crops"/> at scales 1 and 1.5,
    /// one [N, 3, size, size] tensor in [0, 1] — the reference photos of MACO's spectrum, VITAL's units and the quality table.
    /// </summary>
    public static Tensor CropsOf(string directory, int size)
    {
        if (!Directory.Exists(directory))
            throw new LucidArgumentException("photos", $"no photo directory '{directory}' (Debian: apt-get install darknet for /usr/share/darknet/data, or give your own).");
        var files = Directory.GetFiles(directory)
            .Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new LucidArgumentException("photos", $"'{directory}' holds no JPEG or PNG photos.");
        var crops = files.SelectMany(f => Crops(LoadUpright(f), size, new[] { 1.0, 1.5 })).ToList();
        var result = Tensor.Zeros(crops.Count, 3, size, size);
        for (int i = 0; i < crops.Count; i++)
        {
            using var one = crops[i].ToTensor();
            one.Data.CopyTo(result.Data.Slice(i * 3 * size * size, 3 * size * size));
        }
        return result;
    }

    /// <summary>A rectangle of <paramref name="image"/>.</summary>
    public static Image Crop(Image image, int left, int top, int width, int height)
    {
        if (left < 0 || top < 0 || width <= 0 || height <= 0 || left + width > image.Width || top + height > image.Height)
            throw new LucidArgumentException(nameof(left), $"photo: crop {width}×{height} at ({left}, {top}) does not fit a {image.Width}×{image.Height} image.");
        var result = new Image(width, height, image.Channels);
        int c = image.Channels;
        for (int y = 0; y < height; y++)
            image.Pixels.AsSpan(((top + y) * image.Width + left) * c, width * c).CopyTo(result.Pixels.AsSpan(y * width * c, width * c));
        return result;
    }

    /// <summary>
    /// Separable resize with a triangle (bilinear) kernel whose support grows with the shrink factor, as PIL's and
    /// torchvision's antialiased resize do, so that a photo shrunk 4× does not alias.
    /// </summary>
    public static Image Resize(Image image, int width, int height)
    {
        if (width <= 0 || height <= 0) throw new LucidArgumentException(nameof(width), $"photo: size must be positive, got {width}×{height}.");
        if (width == image.Width && height == image.Height) return image;
        int c = image.Channels;
        var horizontal = Weights(image.Width, width);
        var vertical = Weights(image.Height, height);
        var rows = new float[image.Height * width * c];
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < width; x++)
            {
                var (start, w) = horizontal[x];
                for (int ch = 0; ch < c; ch++)
                {
                    float sum = 0;
                    for (int k = 0; k < w.Length; k++) sum += w[k] * image.Pixels[(y * image.Width + start + k) * c + ch];
                    rows[(y * width + x) * c + ch] = sum;
                }
            }
        var result = new Image(width, height, c);
        for (int y = 0; y < height; y++)
        {
            var (start, w) = vertical[y];
            for (int x = 0; x < width; x++)
                for (int ch = 0; ch < c; ch++)
                {
                    float sum = 0;
                    for (int k = 0; k < w.Length; k++) sum += w[k] * rows[((start + k) * width + x) * c + ch];
                    result.Pixels[(y * width + x) * c + ch] = (byte)Math.Clamp(MathF.Round(sum), 0f, 255f);
                }
        }
        return result;
    }

    private static (int Start, float[] Weights)[] Weights(int input, int output)
    {
        double scale = (double)input / output;
        double support = Math.Max(1.0, scale);           // the triangle's half-width in input pixels
        var result = new (int, float[])[output];
        for (int i = 0; i < output; i++)
        {
            double center = (i + 0.5) * scale;
            int start = Math.Max(0, (int)Math.Floor(center - support));
            int end = Math.Min(input, (int)Math.Ceiling(center + support));
            var w = new double[end - start];
            double total = 0;
            for (int j = start; j < end; j++)
            {
                double d = Math.Abs(j + 0.5 - center) / support;
                total += w[j - start] = Math.Max(0, 1 - d);
            }
            if (total <= 0) { w = new double[] { 1 }; start = Math.Clamp((int)center, 0, input - 1); total = 1; }
            result[i] = (start, w.Select(v => (float)(v / total)).ToArray());
        }
        return result;
    }

    /// <summary>Applies an EXIF orientation (1–8; anything else leaves the image as it is).</summary>
    public static Image Orient(Image image, int orientation)
    {
        if (orientation is < 2 or > 8) return image;
        bool transpose = orientation >= 5;
        int w = transpose ? image.Height : image.Width, h = transpose ? image.Width : image.Height, c = image.Channels;
        var result = new Image(w, h, c);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                // where the displayed pixel (x, y) is stored (EXIF 2.3, tag 0x0112)
                var (sx, sy) = orientation switch
                {
                    2 => (image.Width - 1 - x, y),
                    3 => (image.Width - 1 - x, image.Height - 1 - y),
                    4 => (x, image.Height - 1 - y),
                    5 => (y, x),
                    6 => (y, image.Height - 1 - x),
                    7 => (image.Width - 1 - y, image.Height - 1 - x),
                    _ => (image.Width - 1 - y, x),
                };
                image.Pixels.AsSpan((sy * image.Width + sx) * c, c).CopyTo(result.Pixels.AsSpan((y * w + x) * c, c));
            }
        return result;
    }
}

/// <summary>The one EXIF field photos need: orientation, read from a JPEG's APP1 segment with every offset checked.</summary>
public static class Exif
{
    /// <summary>The orientation (1–8) of a JPEG's bytes, 1 when absent or unreadable.</summary>
    public static int Orientation(ReadOnlySpan<byte> jpeg)
    {
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) return 1;
        int pos = 2;
        while (pos + 4 <= jpeg.Length && jpeg[pos] == 0xFF)
        {
            byte marker = jpeg[pos + 1];
            if (marker == 0xDA || marker == 0xD9) break;                    // image data: no metadata after this
            int length = jpeg[pos + 2] << 8 | jpeg[pos + 3];
            if (length < 2 || pos + 2 + length > jpeg.Length) break;
            var segment = jpeg.Slice(pos + 4, length - 2);
            if (marker == 0xE1 && segment.Length > 14 && segment[..6].SequenceEqual("Exif\0\0"u8))
                return FromTiff(segment[6..]);
            pos += 2 + length;
        }
        return 1;
    }

    private static int FromTiff(ReadOnlySpan<byte> tiff)
    {
        bool little = tiff[0] == 'I' && tiff[1] == 'I';
        if (!little && !(tiff[0] == 'M' && tiff[1] == 'M')) return 1;
        int U16(ReadOnlySpan<byte> t, int at) => at + 2 > t.Length ? -1 : little ? t[at] | t[at + 1] << 8 : t[at] << 8 | t[at + 1];
        long U32(ReadOnlySpan<byte> t, int at) => at + 4 > t.Length ? -1 : little
            ? (uint)(t[at] | t[at + 1] << 8 | t[at + 2] << 16 | t[at + 3] << 24)
            : (uint)(t[at] << 24 | t[at + 1] << 16 | t[at + 2] << 8 | t[at + 3]);
        long ifd = U32(tiff, 4);
        if (ifd < 8 || ifd > tiff.Length - 2) return 1;
        int entries = U16(tiff, (int)ifd);
        for (int i = 0; i < entries; i++)
        {
            int entry = (int)ifd + 2 + 12 * i;
            if (entry + 12 > tiff.Length) return 1;
            if (U16(tiff, entry) == 0x0112)
            {
                int value = U16(tiff, entry + 8);
                return value is >= 1 and <= 8 ? value : 1;
            }
        }
        return 1;
    }
}
