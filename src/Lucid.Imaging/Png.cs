using System.Buffers.Binary;
using System.IO.Compression;

namespace Lucid.Imaging;

/// <summary>
/// PNG (ISO/IEC 15948) on the BCL's zlib. Writing: 8-bit gray, gray+alpha, RGB or RGBA, each row filtered with the
/// filter that minimizes the sum of absolute residuals (the spec's recommended heuristic), deterministic for the same
/// pixels. Reading: every colour type (gray, RGB, palette, with alpha or tRNS-free), bit depths 1–16 (16-bit is reduced
/// to its high byte), all five filters, Adam7 interlacing; chunk CRCs are verified.
/// </summary>
public static class Png
{
    private static readonly byte[] Signature = { 137, 80, 78, 71, 13, 10, 26, 10 };
    private static readonly uint[] CrcTable = BuildCrcTable();

    public static void Write(Stream stream, Image image)
    {
        stream.Write(Signature);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), image.Height);
        header[8] = 8;
        header[9] = image.Channels switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 };
        WriteChunk(stream, "IHDR", header);
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            int stride = image.Width * image.Channels;
            var previous = new byte[stride];
            var candidates = new byte[5][];
            for (int f = 0; f < 5; f++) candidates[f] = new byte[stride];
            for (int y = 0; y < image.Height; y++)
            {
                var row = image.Pixels.AsSpan(y * stride, stride);
                int best = 0;
                long bestCost = long.MaxValue;
                for (int f = 0; f < 5; f++)
                {
                    Filter(f, row, previous, image.Channels, candidates[f]);
                    long cost = 0;
                    foreach (var b in candidates[f]) cost += Math.Abs((int)(sbyte)b);
                    if (cost < bestCost) { bestCost = cost; best = f; }
                }
                z.WriteByte((byte)best);
                z.Write(candidates[best]);
                row.CopyTo(previous);
            }
        }
        WriteChunk(stream, "IDAT", compressed.ToArray());
        WriteChunk(stream, "IEND", Array.Empty<byte>());
    }

    /// <summary>PNG bytes of an image.</summary>
    public static byte[] Encode(Image image)
    {
        using var m = new MemoryStream();
        Write(m, image);
        return m.ToArray();
    }

    public static Image Decode(byte[] bytes, string name = "<memory>") => Read(new MemoryStream(bytes), name);

    public static Image Read(Stream stream, string file)
    {
        Span<byte> signature = stackalloc byte[8];
        if (stream.ReadAtLeast(signature, 8, throwOnEndOfStream: false) != 8 || !signature.SequenceEqual(Signature))
            throw new ImageFormatException(file, "not a PNG file (bad signature).");
        int width = 0, height = 0, depth = 0, type = -1, interlace = 0;
        byte[]? palette = null, transparency = null;
        using var data = new MemoryStream();
        bool ended = false;
        while (!ended)
        {
            var (kind, chunk) = ReadChunk(stream, file);
            switch (kind)
            {
                case "IHDR":
                    if (chunk.Length != 13) throw new ImageFormatException(file, $"IHDR has {chunk.Length} bytes, expected 13.");
                    width = BinaryPrimitives.ReadInt32BigEndian(chunk);
                    height = BinaryPrimitives.ReadInt32BigEndian(chunk.AsSpan(4));
                    depth = chunk[8];
                    type = chunk[9];
                    interlace = chunk[12];
                    if (width <= 0 || height <= 0)
                        throw new ImageFormatException(file, $"invalid size {width}×{height}.");
                    if ((long)width * height > Image.MaxPixels)
                        throw new ResourceLimitException($"{file}: a {width}×{height} image exceeds the limit of {Image.MaxPixels:N0} pixels (LucidLimits.MaxImagePixels).");
                    if (chunk[10] != 0 || chunk[11] != 0 || interlace > 1)
                        throw new ImageFormatException(file, "unknown compression, filter or interlace method.");
                    if (!ValidDepth(type, depth))
                        throw new ImageFormatException(file, $"colour type {type} with bit depth {depth} is not valid PNG.");
                    break;
                case "PLTE": palette = chunk; break;
                case "tRNS": transparency = chunk; break;
                case "IDAT": data.Write(chunk); break;
                case "IEND": ended = true; break;
            }
        }
        if (type < 0) throw new ImageFormatException(file, "no IHDR chunk.");
        if (type == 3 && palette is null) throw new ImageFormatException(file, "palette image without a PLTE chunk.");
        int samples = type switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        int outChannels = type == 3 ? (transparency is null ? 3 : 4) : samples;
        // the inflated size the header implies: inflate no further (a zlib bomb stops here), and allocate the image
        // only once the data is known to be there (a lying width or height allocates nothing)
        long expected = RawLength(width, height, depth * samples, interlace);
        if (expected > Array.MaxLength)
            throw new ResourceLimitException($"{file}: a {width}×{height} image of {depth * samples} bits per pixel holds more data than one array can.");
        byte[] raw;
        try
        {
            data.Position = 0;
            using var z = new ZLibStream(data, CompressionMode.Decompress);
            raw = new byte[(int)Math.Min(expected, Math.Max(data.Length * 1032L, 1 << 16))];   // deflate expands at most ~1032:1
            int got = z.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
            if (got < expected)
            {
                if (got < raw.Length) throw new ImageFormatException(file, $"image data ends early: {got:N0} of the {expected:N0} bytes a {width}×{height} image needs.");
                throw new ImageFormatException(file, $"the header declares a {width}×{height} image ({expected:N0} bytes of data) but {data.Length:N0} compressed bytes cannot hold it.");
            }
        }
        catch (InvalidDataException e)
        {
            throw new ImageFormatException(file, $"corrupt image data ({e.Message}).");
        }
        var image = new Image(width, height, outChannels);
        int offset = 0;
        if (interlace == 0) DecodePass(raw, ref offset, file, image, depth, samples, type, palette, transparency, 0, 0, 1, 1);
        else
            foreach (var (x0, y0, dx, dy) in Adam7)
                DecodePass(raw, ref offset, file, image, depth, samples, type, palette, transparency, x0, y0, dx, dy);
        return image;
    }

    /// <summary>Adam7's seven passes: the first column and row, and the column and row steps.</summary>
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 = { (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2) };

    /// <summary>Bytes of filtered scanlines (a filter byte per row) a plain or Adam7 image of this size holds.</summary>
    private static long RawLength(int width, int height, int bitsPerPixel, int interlace)
    {
        long Pass(long w, long h) => w <= 0 || h <= 0 ? 0 : h * (1 + (w * bitsPerPixel + 7) / 8);
        if (interlace == 0) return Pass(width, height);
        long total = 0;
        foreach (var (x0, y0, dx, dy) in Adam7)
            total += Pass((width - x0 + dx - 1) / dx, (height - y0 + dy - 1) / dy);
        return total;
    }

    private static bool ValidDepth(int type, int depth) => type switch
    {
        0 => depth is 1 or 2 or 4 or 8 or 16,
        3 => depth is 1 or 2 or 4 or 8,
        2 or 4 or 6 => depth is 8 or 16,
        _ => false,
    };

    private static void DecodePass(byte[] raw, ref int offset, string file, Image image, int depth, int samples, int type,
        byte[]? palette, byte[]? transparency, int x0, int y0, int dx, int dy)
    {
        int w = (image.Width - x0 + dx - 1) / dx, h = (image.Height - y0 + dy - 1) / dy;
        if (w <= 0 || h <= 0) return;
        int bitsPerPixel = depth * samples;
        int stride = (w * bitsPerPixel + 7) / 8, bpp = Math.Max(1, bitsPerPixel / 8);
        var previous = new byte[stride];
        var row = new byte[stride];
        for (int y = 0; y < h; y++)
        {
            if (offset + 1 + stride > raw.Length) throw new ImageFormatException(file, $"image data ends early (row {y} of {h}).");
            int filter = raw[offset];
            if (filter > 4) throw new ImageFormatException(file, $"unknown filter type {filter} in row {y}.");
            raw.AsSpan(offset + 1, stride).CopyTo(row);
            offset += 1 + stride;
            Unfilter(filter, row, previous, bpp);
            for (int x = 0; x < w; x++)
                Store(image, row, x, x0 + x * dx, y0 + y * dy, depth, samples, type, palette, transparency, file);
            (previous, row) = (row, previous);
        }
    }

    private static int Sample(byte[] row, int index, int depth) => depth switch
    {
        8 => row[index],
        16 => row[2 * index],                                             // high byte
        _ => (row[index * depth / 8] >> (8 - depth - index * depth % 8)) & ((1 << depth) - 1),
    };

    private static void Store(Image image, byte[] row, int x, int px, int py, int depth, int samples, int type, byte[]? palette, byte[]? transparency, string file)
    {
        var p = image.Pixels.AsSpan((py * image.Width + px) * image.Channels, image.Channels);
        if (type == 3)
        {
            int i = Sample(row, x, depth);
            if (3 * i + 2 >= palette!.Length) throw new ImageFormatException(file, $"palette index {i} outside a palette of {palette.Length / 3}.");
            p[0] = palette[3 * i]; p[1] = palette[3 * i + 1]; p[2] = palette[3 * i + 2];
            if (image.Channels == 4) p[3] = i < transparency!.Length ? transparency[i] : (byte)255;
            return;
        }
        for (int s = 0; s < samples; s++)
        {
            int v = Sample(row, x * samples + s, depth);
            p[s] = depth >= 8 ? (byte)v : (byte)(v * 255 / ((1 << depth) - 1));
        }
    }

    private static void Filter(int type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> previous, int bpp, Span<byte> output)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0;
            output[i] = (byte)(row[i] - type switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, _ => Paeth(a, b, c) });
        }
    }

    private static void Unfilter(int type, byte[] row, byte[] previous, int bpp)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0;
            row[i] = (byte)(row[i] + type switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, _ => Paeth(a, b, c) });
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void WriteChunk(Stream stream, string kind, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(kind);
        stream.Write(typeBytes);
        stream.Write(data);
        uint crc = Crc(Crc(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        stream.Write(crcBytes);
    }

    /// <summary>A long chunk from a stream of unknown length, read in growing pieces (no allocation beyond what arrives).</summary>
    private static byte[] ReadGrowing(Stream stream, int length, string kind, string file)
    {
        using var buffer = new MemoryStream();
        var piece = new byte[1 << 20];
        while (buffer.Length < length)
        {
            int got = stream.Read(piece, 0, (int)Math.Min(piece.Length, length - buffer.Length));
            if (got == 0) throw new ImageFormatException(file, $"chunk '{kind}' is truncated.");
            buffer.Write(piece, 0, got);
        }
        return buffer.ToArray();
    }

    private static (string Kind, byte[] Data) ReadChunk(Stream stream, string file)
    {
        Span<byte> head = stackalloc byte[8];
        if (stream.ReadAtLeast(head, 8, throwOnEndOfStream: false) != 8) throw new ImageFormatException(file, "file ends before IEND.");
        int length = BinaryPrimitives.ReadInt32BigEndian(head);
        var kind = System.Text.Encoding.ASCII.GetString(head[4..]);
        if (length < 0 || length > 1 << 30) throw new ImageFormatException(file, $"chunk '{kind}' has an invalid length {length}.");
        // a declared length is checked against what the stream holds before anything of that size is allocated
        if (stream.CanSeek && length > stream.Length - stream.Position)
            throw new ImageFormatException(file, $"chunk '{kind}' declares {length:N0} bytes but only {Math.Max(0, stream.Length - stream.Position):N0} remain.");
        var data = length <= 1 << 20 || stream.CanSeek ? new byte[length] : ReadGrowing(stream, length, kind, file);
        Span<byte> crcBytes = stackalloc byte[4];
        if (stream.ReadAtLeast(data, length, throwOnEndOfStream: false) != length || stream.ReadAtLeast(crcBytes, 4, throwOnEndOfStream: false) != 4)
            throw new ImageFormatException(file, $"chunk '{kind}' is truncated.");
        uint crc = Crc(Crc(0xFFFFFFFFu, head[4..]), data) ^ 0xFFFFFFFFu;
        if (crc != BinaryPrimitives.ReadUInt32BigEndian(crcBytes)) throw new ImageFormatException(file, $"chunk '{kind}' fails its CRC check.");
        return (kind, data);
    }

    private static uint Crc(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
