using Lucid.Tensors;
using SkiaSharp;

namespace Lucid.Imaging;

/// <summary>
/// Photos in the formats our own decoders do not read — progressive JPEG, WebP, GIF (first frame), BMP — through Skia's
/// codecs (libjpeg-turbo, libwebp). The header is read first and <see cref="LucidLimits.MaxImagePixels"/> checked before
/// any pixel is decoded; the EXIF orientation is applied; every failure is an <see cref="ImageFormatException"/> naming
/// the file.
/// </summary>
public static class SkiaCodecs
{
    /// <summary>Whether the first bytes are WebP (RIFF…WEBP), GIF or BMP — the formats only Skia reads here.</summary>
    public static bool Recognizes(ReadOnlySpan<byte> head) =>
        head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)
        || head.Length >= 6 && (head[..6].SequenceEqual("GIF87a"u8) || head[..6].SequenceEqual("GIF89a"u8))
        || head.Length >= 2 && head[0] == 'B' && head[1] == 'M';

    /// <summary>Decodes <paramref name="data"/> (the whole file) to RGB or RGBA, upright.</summary>
    public static Image Decode(byte[] data, string file)
    {
        var stream = new SKMemoryStream(data);      // the codec owns the stream
        using var codec = SKCodec.Create(stream, out var result);
        if (codec is null)
        {
            stream.Dispose();
            throw new ImageFormatException(file, $"not an image Skia can read ({result}).");
        }
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
            throw new ImageFormatException(file, $"the header gives an empty image ({info.Width}×{info.Height}).");
        long pixels = (long)info.Width * info.Height;
        if (pixels > LucidLimits.MaxImagePixels)
            throw new ImageFormatException(file, $"{info.Width}×{info.Height} = {pixels:N0} pixels exceed the limit of {LucidLimits.MaxImagePixels:N0} (LucidLimits.MaxImagePixels); nothing was decoded.");
        // a header can claim any size for free: beyond half a megapixel, an image must come with at least one byte of
        // data per 8 pixels before its buffers are allocated (photos carry 1–10 bits a pixel; flat graphics, which can
        // compress further, belong in PNG, which our own decoder bounds by the data it inflates)
        if (pixels > (1 << 19) && pixels > 8L * data.Length)
            throw new ImageFormatException(file, $"the header claims {info.Width}×{info.Height} pixels from only {data.Length:N0} bytes of {codec.EncodedFormat} data; refused before decoding (more than 8 pixels a byte).");
        bool alpha = info.AlphaType != SKAlphaType.Opaque;
        var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, alpha ? SKAlphaType.Unpremul : SKAlphaType.Opaque);
        var rgba = new byte[target.BytesSize];
        SKCodecResult decoded;
        unsafe
        {
            fixed (byte* p = rgba) decoded = codec.GetPixels(target, (IntPtr)p);
        }
        // an incomplete file decodes what it has (Skia fills the rest); anything else is an error
        if (decoded is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            throw new ImageFormatException(file, $"the {codec.EncodedFormat} data could not be decoded ({decoded}).");
        int channels = alpha ? 4 : 3;
        var image = new Image(info.Width, info.Height, channels);
        for (int i = 0; i < info.Width * info.Height; i++)
            for (int c = 0; c < channels; c++) image.Pixels[i * channels + c] = rgba[4 * i + c];
        return Photo.Orient(image, (int)codec.EncodedOrigin);
    }
}
