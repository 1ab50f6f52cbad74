using System.Text;

namespace Lucid.Imaging;

/// <summary>
/// Netpbm images: PGM (P2 plain, P5 binary) and PPM (P3 plain, P6 binary), 8 or 16 bits per sample (maxval up to
/// 65535; scaled to 8 bits), comments anywhere in the header. Declared sizes are checked against the data before any
/// large allocation.
/// </summary>
public static class Pnm
{
    public static Image Read(Stream stream, string file)
    {
        int magic0 = stream.ReadByte(), magic1 = stream.ReadByte();
        if (magic0 != 'P' || magic1 is not ('2' or '3' or '5' or '6'))
            throw new ImageFormatException(file, "not a PGM/PPM file (expected the magic number P2, P3, P5 or P6).");
        bool binary = magic1 is '5' or '6';
        int channels = magic1 is '3' or '6' ? 3 : 1;
        int width = Number(stream, file, "width"), height = Number(stream, file, "height"), maxval = Number(stream, file, "maxval");
        if (width < 1 || height < 1) throw new ImageFormatException(file, $"image size {width}×{height} is empty.");
        if (maxval is < 1 or > 65535) throw new ImageFormatException(file, $"maxval {maxval} is outside 1–65535.");
        int bytesPerSample = maxval > 255 ? 2 : 1;
        long samples = (long)width * height * channels;
        if ((long)width * height > Image.MaxPixels)
            throw new ResourceLimitException($"{file}: a {width}×{height} image exceeds the limit of {Image.MaxPixels:N0} pixels (LucidLimits.MaxImagePixels).");
        if (binary && stream.CanSeek && stream.Length - stream.Position < samples * bytesPerSample)
            throw new ImageFormatException(file, $"the header declares {width}×{height}×{channels} samples of {bytesPerSample} byte(s), but only {stream.Length - stream.Position} bytes follow.");
        var image = new Image(width, height, channels);
        var pixels = image.Pixels;
        if (binary)
        {
            var buffer = new byte[Math.Min(samples * bytesPerSample, 1 << 20)];
            long done = 0;
            while (done < samples)
            {
                int want = (int)Math.Min(buffer.Length / bytesPerSample, samples - done) * bytesPerSample;
                if (stream.ReadAtLeast(buffer.AsSpan(0, want), want, throwOnEndOfStream: false) != want)
                    throw new ImageFormatException(file, $"the data ends after {done} of {samples} samples.");
                for (int i = 0; i < want / bytesPerSample; i++)
                {
                    int value = bytesPerSample == 2 ? buffer[2 * i] << 8 | buffer[2 * i + 1] : buffer[i];
                    pixels[done + i] = Scale(value, maxval, file);
                }
                done += want / bytesPerSample;
            }
        }
        else
            for (long i = 0; i < samples; i++) pixels[i] = Scale(Number(stream, file, "sample"), maxval, file);
        return image;
    }

    private static byte Scale(int value, int maxval, string file)
    {
        if (value > maxval) throw new ImageFormatException(file, $"sample {value} exceeds maxval {maxval}.");
        return (byte)((value * 255 + maxval / 2) / maxval);
    }

    /// <summary>The next decimal number of the header (whitespace and # comments skipped), then one whitespace byte.</summary>
    private static int Number(Stream stream, string file, string what)
    {
        int c = stream.ReadByte();
        while (true)
        {
            if (c == '#') { while (c is not ('\n' or '\r' or -1)) c = stream.ReadByte(); }
            else if (c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v') c = stream.ReadByte();
            else break;
        }
        if (c is < '0' or > '9') throw new ImageFormatException(file, $"expected the {what} as a decimal number, found {(c < 0 ? "the end of the file" : $"'{(char)c}'")}.");
        long value = 0;
        while (c is >= '0' and <= '9')
        {
            value = value * 10 + (c - '0');
            if (value > int.MaxValue) throw new ImageFormatException(file, $"the {what} is too large.");
            c = stream.ReadByte();
        }
        return (int)value;
    }

    /// <summary>Writes binary PPM (P6) or PGM (P5), 8 bits per sample (grey+alpha and RGBA lose alpha).</summary>
    public static void Write(Stream stream, Image image)
    {
        int channels = image.Channels is 1 or 2 ? 1 : 3;
        var flat = image.WithChannels(channels);
        stream.Write(Encoding.ASCII.GetBytes($"P{(channels == 1 ? 5 : 6)}\n{image.Width} {image.Height}\n255\n"));
        stream.Write(flat.Pixels);
    }
}

/// <summary>Image files by their content: PNG, JPEG or PGM/PPM, whatever the extension says.</summary>
public static class ImageFiles
{
    /// <summary>Reads an image file, recognizing the format by its first bytes.</summary>
    public static Image Load(string path)
    {
        if (!File.Exists(path)) throw new ImageFormatException(path, "file not found.");
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>
    /// JPEG: our own decoder for baseline and extended-sequential files (exact, dependency-free); progressive and
    /// arithmetic-coded files through Skia's libjpeg-turbo.
    /// </summary>
    private static Image ReadJpeg(Stream stream, string name)
    {
        long start = stream.Position;
        try { return Jpeg.Read(stream, name); }
        catch (ImageFormatException e) when (e.Message.Contains("progressive", StringComparison.Ordinal) || e.Message.Contains("arithmetic", StringComparison.Ordinal))
        {
            stream.Position = start;
            return SkiaCodecs.Decode(ReadAll(stream, name), name);
        }
    }

    private static byte[] ReadAll(Stream stream, string name)
    {
        long left = stream.Length - stream.Position;
        // an encoded file larger than any decodable image could be is refused before it is read
        if (left > 4 * LucidLimits.MaxImagePixels + (1 << 20))
            throw new ImageFormatException(name, $"the file holds {left:N0} bytes, more than an image within LucidLimits.MaxImagePixels can need.");
        var data = new byte[left];
        stream.ReadExactly(data);
        return data;
    }

    /// <summary>Reads an image from a seekable stream, recognizing the format by its first bytes.</summary>
    public static Image Read(Stream stream, string name)
    {
        Span<byte> head = stackalloc byte[8];
        int got = stream.ReadAtLeast(head, 8, throwOnEndOfStream: false);
        stream.Seek(-got, SeekOrigin.Current);
        if (got >= 8 && head.SequenceEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A })) return Png.Read(stream, name);
        if (got >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) return ReadJpeg(stream, name);
        if (got >= 2 && head[0] == 'P' && head[1] is (byte)'2' or (byte)'3' or (byte)'5' or (byte)'6') return Pnm.Read(stream, name);
        Span<byte> longer = stackalloc byte[12];
        int more = stream.ReadAtLeast(longer, 12, throwOnEndOfStream: false);
        stream.Seek(-more, SeekOrigin.Current);
        if (SkiaCodecs.Recognizes(longer[..more])) return SkiaCodecs.Decode(ReadAll(stream, name), name);
        var start = Convert.ToHexString(head[..got]);
        throw new ImageFormatException(name, $"unsupported image format (expected PNG, JPEG, WebP, GIF, BMP or PGM/PPM; the file starts with {(got == 0 ? "nothing: it is empty" : "0x" + start)}).");
    }
}
