using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Lucid.Tensors;

namespace Lucid.Models.Weights;

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header mapping tensor names to
/// { dtype, shape, data_offsets }, then the little-endian data. Our own reader and writer. Reading validates
/// everything against the actual file before allocating: the header length, every offset range, that each range is
/// exactly shape × dtype size, and that the ranges tile the data buffer without holes or overlaps (as the format
/// requires). F32 is read as is; F64, F16 and BF16 are converted to float32. Writing produces F32.
/// </summary>
public static class Safetensors
{
    /// <summary>The format's own bound on the header (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private static readonly Dictionary<string, int> DtypeSizes = new() { ["F32"] = 4, ["F64"] = 8, ["F16"] = 2, ["BF16"] = 2 };

    public static Dictionary<string, Tensor> Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, $"cannot read safetensors file: {e.Message}", e);
        }
        return Read(bytes, path);
    }

    /// <summary>Parses a safetensors image held in memory; <paramref name="name"/> is used in error messages.</summary>
    public static Dictionary<string, Tensor> Read(ReadOnlySpan<byte> file, string? name = null)
    {
        if (file.Length < 8) throw new ModelFormatException(name, $"safetensors file is {file.Length} bytes; it needs at least the 8-byte header length.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > MaxHeaderBytes || headerLength > (ulong)(file.Length - 8))
            throw new ModelFormatException(name, $"safetensors header claims {headerLength} bytes but the file has {file.Length - 8} after the length field (limit {MaxHeaderBytes}).");
        var header = file.Slice(8, (int)headerLength);
        var data = file.Slice(8 + (int)headerLength);
        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw new ModelFormatException(name, "safetensors header is not valid UTF-8.");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header.ToArray()); }
        catch (JsonException e)
        {
            throw new ModelFormatException(name, $"safetensors header is not valid JSON (byte {8 + (e.BytePositionInLine ?? 0)}, line {e.LineNumber + 1}): {e.Message}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException(name, "safetensors header must be a JSON object.");
            var entries = new List<(string Name, string Dtype, int[] Shape, long Begin, long End)>();
            try
            {
                foreach (var property in doc.RootElement.EnumerateObject())
                {
                    if (property.Name == "__metadata__") continue;
                    entries.Add(ParseEntry(property, name));
                }
            }
            catch (InvalidOperationException e)
            {
                // e.g. an escaped lone surrogate in a tensor name: valid JSON, not a valid string
                throw new ModelFormatException(name, $"safetensors header holds an invalid string: {e.Message}", e);
            }
            if (entries.Select(e => e.Name).Distinct(StringComparer.Ordinal).Count() != entries.Count)
                throw new ModelFormatException(name, "safetensors header names a tensor twice.");
            // the ranges must tile [0, data.Length) exactly
            var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
            long expected = 0;
            foreach (var e in sorted)
            {
                if (e.Begin != expected)
                    throw new ModelFormatException(name, $"tensor '{e.Name}' starts at data byte {e.Begin}, expected {expected} (ranges must be contiguous, without holes or overlaps).");
                expected = e.End;
            }
            if (expected != data.Length)
                throw new ModelFormatException(name, $"tensors cover {expected} data bytes but the file holds {data.Length}.");

            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var e in entries)
            {
                var t = Tensor.Zeros(e.Shape);
                t.DetachFromScope();
                Decode(data.Slice((int)e.Begin, (int)(e.End - e.Begin)), e.Dtype, t.Data);
                result[e.Name] = t;
            }
            return result;
        }
    }

    private static (string Name, string Dtype, int[] Shape, long Begin, long End) ParseEntry(JsonProperty property, string? file)
    {
        string tensor = property.Name;
        var v = property.Value;
        if (v.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(file, $"tensor '{tensor}': header entry must be an object.");
        if (!v.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw new ModelFormatException(file, $"tensor '{tensor}': missing string 'dtype'.");
        string dtype = dtypeEl.GetString()!;
        if (!DtypeSizes.TryGetValue(dtype, out int size))
            throw new ModelFormatException(file, $"tensor '{tensor}': dtype '{dtype}' is not supported (supported: {string.Join(", ", DtypeSizes.Keys)}).");
        if (!v.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw new ModelFormatException(file, $"tensor '{tensor}': missing array 'shape'.");
        var shape = new List<int>();
        long count = 1;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0 || dim > int.MaxValue)
                throw new ModelFormatException(file, $"tensor '{tensor}': shape entries must be non-negative integers, got {d.GetRawText()}.");
            count *= dim;
            if (count > Array.MaxLength) throw new ModelFormatException(file, $"tensor '{tensor}': shape has more than {Array.MaxLength} elements.");
            shape.Add((int)dim);
        }
        if (!v.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw new ModelFormatException(file, $"tensor '{tensor}': 'data_offsets' must be [begin, end].");
        if (!offEl[0].TryGetInt64(out long begin) || !offEl[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw new ModelFormatException(file, $"tensor '{tensor}': invalid data_offsets {offEl.GetRawText()}.");
        if (end - begin != count * size)
            throw new ModelFormatException(file, $"tensor '{tensor}': shape {Shapes.Format(shape)} of {dtype} needs {count * size} bytes, data_offsets span {end - begin}.");
        return (tensor, dtype, shape.ToArray(), begin, end);
    }

    private static void Decode(ReadOnlySpan<byte> bytes, string dtype, Span<float> dst)
    {
        switch (dtype)
        {
            case "F32":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i));
                break;
            case "F64":
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes.Slice(8 * i));
                break;
            case "F16":
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(2 * i)));
                break;
            case "BF16":
                for (int i = 0; i < dst.Length; i++) dst[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(2 * i)) << 16);
                break;
        }
    }

    /// <summary>Writes <paramref name="tensors"/> as F32 (names sorted ordinally, so the file is deterministic), atomically.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata));

    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var name in names)
            {
                var t = tensors[name];
                w.WriteStartObject(name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + 4L * t.Count);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += 4L * t.Count;
            }
            w.WriteEndObject();
        }
        // pad the header with spaces to a multiple of 8 bytes, as the reference writer does (keeps data aligned)
        int padding = (int)((8 - json.Length % 8) % 8);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(json.Length + padding));
        stream.Write(length);
        stream.Write(json.GetBuffer().AsSpan(0, (int)json.Length));
        for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
        var buffer = new byte[4096];
        foreach (var name in names)
        {
            var data = tensors[name].Data;
            for (int i = 0; i < data.Length; i += 1024)
            {
                int n = Math.Min(1024, data.Length - i);
                for (int j = 0; j < n; j++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * j), data[i + j]);
                stream.Write(buffer, 0, 4 * n);
            }
        }
    }
}
