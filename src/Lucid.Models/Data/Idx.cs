using System.Buffers.Binary;
using System.IO.Compression;

namespace Lucid.Models.Data;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed): two zero bytes, a type byte (0x08 = unsigned
/// byte, the only one these datasets use), the number of dimensions, the dimensions as big-endian int32, then the data.
/// The declared size is checked against a bound before anything is allocated, and the data must end exactly where
/// the header says.
/// </summary>
public static class Idx
{
    /// <summary>Largest payload accepted (512 MiB); a larger declared size is reported, not allocated.</summary>
    public const long MaxBytes = 512L * 1024 * 1024;

    public sealed record IdxArray(int[] Shape, byte[] Data);

    public static IdxArray Read(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            Stream stream = file;
            if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) stream = new GZipStream(file, CompressionMode.Decompress);
            using (stream) return Read(stream, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new ModelFormatException(path, $"cannot read IDX file: {e.Message}", e);
        }
    }

    public static IdxArray Read(Stream stream, string? name = null)
    {
        Span<byte> magic = stackalloc byte[4];
        ReadExactly(stream, magic, name, "the 4-byte magic number");
        if (magic[0] != 0 || magic[1] != 0)
            throw new ModelFormatException(name, $"not an IDX file: magic starts with 0x{magic[0]:X2} 0x{magic[1]:X2}, expected 0x00 0x00.");
        if (magic[2] != 0x08)
            throw new ModelFormatException(name, $"IDX element type 0x{magic[2]:X2} is not supported (expected 0x08, unsigned byte).");
        int rank = magic[3];
        if (rank < 1 || rank > 4)
            throw new ModelFormatException(name, $"IDX rank {rank} is not supported (expected 1 to 4).");
        var shape = new int[rank];
        Span<byte> dim = stackalloc byte[4];
        long total = 1;
        for (int i = 0; i < rank; i++)
        {
            ReadExactly(stream, dim, name, $"dimension {i}");
            int d = BinaryPrimitives.ReadInt32BigEndian(dim);
            if (d <= 0) throw new ModelFormatException(name, $"IDX dimension {i} is {d}; dimensions must be positive.");
            shape[i] = d;
            total *= d;
            if (total > MaxBytes) throw new ModelFormatException(name, $"IDX header declares more than {MaxBytes} bytes of data (shape so far [{string.Join(", ", shape[..(i + 1)])}]).");
        }
        // Grow the buffer as data actually arrives, so a lying header cannot make us allocate its claim up front.
        var data = new byte[Math.Min(total, 1 << 20)];
        long read = 0;
        while (read < total)
        {
            if (read == data.Length) Array.Resize(ref data, (int)Math.Min(total, (long)data.Length * 2));
            int n = stream.Read(data, (int)read, (int)Math.Min(data.Length - read, int.MaxValue));
            if (n == 0) throw new ModelFormatException(name, $"IDX data is truncated: the header declares {total} bytes, the file ends after {read}.");
            read += n;
        }
        if (stream.ReadByte() >= 0) throw new ModelFormatException(name, $"IDX file has bytes after the {total} declared by its header.");
        return new IdxArray(shape, data);
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string? name, string what)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = stream.Read(buffer[read..]);
            if (n == 0) throw new ModelFormatException(name, $"IDX file ends inside {what} (byte {read} of {buffer.Length}).");
            read += n;
        }
    }
}
