using Lucid.Tensors;

namespace Lucid.Imaging;

/// <summary>An image file that cannot be read: names the file and what was wrong.</summary>
public sealed class ImageFormatException(string file, string message) : LucidFormatException(file, message)
{
    public string File { get; } = file;
}

/// <summary>
/// An 8-bit image, rows top to bottom, channels interleaved: 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).
/// Tensors are float [C, H, W] with values in [0, 1].
/// </summary>
public sealed class Image
{
    /// <summary>The largest image a decoder accepts, in pixels (checked against the header before allocating): <see cref="LucidLimits.MaxImagePixels"/>.</summary>
    public static long MaxPixels => LucidLimits.MaxImagePixels;

    public Image(int width, int height, int channels, byte[]? pixels = null)
    {
        if (width <= 0 || height <= 0) throw new LucidArgumentException(nameof(width), $"image: size must be positive, got {width}×{height}.");
        if (channels is < 1 or > 4) throw new LucidArgumentException(nameof(channels), $"image: 1 to 4 channels, got {channels}.");
        if (pixels is not null && pixels.Length != width * height * channels)
            throw new LucidArgumentException(nameof(pixels), $"image: {pixels.Length} bytes for {width}×{height}×{channels}.");
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels ?? new byte[width * height * channels];
    }

    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }

    /// <summary>Row-major, channels interleaved.</summary>
    public byte[] Pixels { get; }

    public byte this[int y, int x, int c]
    {
        get => Pixels[(y * Width + x) * Channels + c];
        set => Pixels[(y * Width + x) * Channels + c] = value;
    }

    /// <summary>
    /// A [C, H, W] or [1, C, H, W] tensor (C = 1, 3 or 4) as an image; values in [<paramref name="low"/>,
    /// <paramref name="high"/>] map to 0 … 255 (rounded, clamped).
    /// </summary>
    public static Image FromTensor(Tensor tensor, float low = 0f, float high = 1f)
    {
        var shape = tensor.Shape.ToArray();
        if (shape.Length == 4 && shape[0] == 1) shape = shape[1..];
        if (shape.Length != 3 || shape[0] is not (1 or 3 or 4))
            throw new ShapeMismatchException($"image from tensor: expected [C, H, W] with C = 1, 3 or 4, got [{string.Join(", ", tensor.Shape.ToArray())}].");
        if (!(high > low)) throw new LucidArgumentException(nameof(high), $"image from tensor: the range [{low}, {high}] is empty.");
        int c = shape[0], h = shape[1], w = shape[2];
        var image = new Image(w, h, c);
        var data = tensor.Data;
        float scale = 255f / (high - low);
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < h * w; i++)
            {
                float v = (data[ch * h * w + i] - low) * scale;
                image.Pixels[i * c + ch] = float.IsNaN(v) ? (byte)0 : (byte)Math.Clamp(MathF.Round(v), 0f, 255f);
            }
        return image;
    }

    /// <summary>The image as a [1, C, H, W] tensor with values in [0, 1].</summary>
    public Tensor ToTensor()
    {
        var t = Tensor.Zeros(1, Channels, Height, Width);
        var d = t.Data;
        int plane = Width * Height;
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < Channels; c++) d[c * plane + i] = Pixels[i * Channels + c] / 255f;
        return t;
    }

    /// <summary>The image with <paramref name="channels"/> channels (gray ↔ RGB by replication / Rec. 601 luma; alpha added opaque or dropped).</summary>
    public Image WithChannels(int channels)
    {
        if (channels == Channels) return this;
        var result = new Image(Width, Height, channels);
        for (int i = 0; i < Width * Height; i++)
        {
            var (r, g, b, a) = Rgba(i);
            var p = result.Pixels.AsSpan(i * channels, channels);
            switch (channels)
            {
                case 1: p[0] = Luma(r, g, b); break;
                case 2: p[0] = Luma(r, g, b); p[1] = a; break;
                case 3: p[0] = r; p[1] = g; p[2] = b; break;
                default: p[0] = r; p[1] = g; p[2] = b; p[3] = a; break;
            }
        }
        return result;
    }

    internal (byte R, byte G, byte B, byte A) Rgba(int i)
    {
        var p = Pixels.AsSpan(i * Channels, Channels);
        return Channels switch
        {
            1 => (p[0], p[0], p[0], 255),
            2 => (p[0], p[0], p[0], p[1]),
            3 => (p[0], p[1], p[2], 255),
            _ => (p[0], p[1], p[2], p[3]),
        };
    }

    private static byte Luma(byte r, byte g, byte b) => (byte)Math.Round(0.299 * r + 0.587 * g + 0.114 * b);

    /// <summary>Nearest-neighbour resize (for overlays and grids; pixel art stays pixel art).</summary>
    public Image ResizeNearest(int width, int height)
    {
        if (width == Width && height == Height) return this;
        var result = new Image(width, height, Channels);
        for (int y = 0; y < height; y++)
        {
            int sy = y * Height / height;
            for (int x = 0; x < width; x++)
            {
                int sx = x * Width / width;
                Pixels.AsSpan((sy * Width + sx) * Channels, Channels).CopyTo(result.Pixels.AsSpan((y * width + x) * Channels, Channels));
            }
        }
        return result;
    }

    /// <summary>Writes the image as PNG (atomically: a temporary file renamed over the target).</summary>
    public void SavePng(string path) => AtomicFile.Write(path, stream => Png.Write(stream, this));

    /// <summary>Reads a PNG, JPEG or PGM/PPM file (recognized by its content).</summary>
    public static Image Load(string path) => ImageFiles.Load(path);

    /// <summary>Reads a PNG file.</summary>
    public static Image LoadPng(string path)
    {
        if (!System.IO.File.Exists(path)) throw new ImageFormatException(path, "file not found.");
        using var stream = System.IO.File.OpenRead(path);
        return Png.Read(stream, path);
    }
}
