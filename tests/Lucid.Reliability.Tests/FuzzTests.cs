using System.Buffers.Binary;
using System.Diagnostics;
using Lucid.Imaging;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Models.Onnx;
using Lucid.Models.Weights;
using Lucid.Tensors;
using Lucid.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Lucid.Reliability.Tests;

/// <summary>
/// Every reader the library exposes to outside files, fed 10,000 mutated inputs each (seeded: truncations, bit flips,
/// byte overwrites, runs of 0xFF, and lying length or size fields): each input either reads or fails with a
/// <see cref="LucidException"/> — never another exception type, never longer than a second, never allocating more
/// than a small multiple of the input (a declared size is checked against the data before anything of that size is
/// allocated). The whole run of a format is bounded in time, so a hang fails instead of stalling CI.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    private const int Cases = 10_000;

    private static string Corpus(string name) => Path.Combine(TestPaths.RepositoryRoot(), "tests", "Lucid.Imaging.Tests", "corpus", name);

    // lengthFields: byte offsets of 32-bit (big- or little-endian) or 64-bit little-endian size fields to lie in
    private void Run(string format, byte[] valid, Action<byte[]> read, int[] lengthFields, bool littleEndian = false, int eightByte = 0)
    {
        read(valid);     // the valid input reads
        var rng = new Rng((ulong)format.GetHashCode(StringComparison.Ordinal) & 0xFFFF);
        int accepted = 0, refused = 0;
        long worstBytes = 0;
        double worstMs = 0;
        var kinds = new Dictionary<string, int>();
        var task = Task.Run(() =>
        {
            for (int trial = 0; trial < Cases; trial++)
            {
                var input = Mutate(valid, rng, lengthFields, littleEndian, eightByte);
                long before = GC.GetAllocatedBytesForCurrentThread();
                var clock = Stopwatch.StartNew();
                try
                {
                    read(input);
                    accepted++;
                }
                catch (LucidException e)
                {
                    refused++;
                    var kind = e.GetType().Name;
                    kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
                }
                catch (Exception e)
                {
                    var path = Path.Combine(Path.GetTempPath(), $"lucid-fuzz-{format}-{trial}.bin");
                    File.WriteAllBytes(path, input);
                    throw new Xunit.Sdk.XunitException($"{format}: input {trial} (saved to {path}) raised {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
                }
                worstMs = Math.Max(worstMs, clock.Elapsed.TotalMilliseconds);
                worstBytes = Math.Max(worstBytes, GC.GetAllocatedBytesForCurrentThread() - before);
            }
        });
        Assert.True(task.Wait(TimeSpan.FromSeconds(180)), $"{format}: the fuzz run did not finish in 180 s (a hang?)");
        task.GetAwaiter().GetResult();
        output.WriteLine($"{format}: {Cases:N0} mutated inputs of a {valid.Length:N0}-byte file: {accepted:N0} read, {refused:N0} refused " +
                         $"({string.Join(", ", kinds.OrderByDescending(k => k.Value).Select(k => $"{k.Key} {k.Value:N0}"))}); 0 other exceptions; " +
                         $"slowest {worstMs:F1} ms, most allocated {worstBytes / 1024.0:N0} KiB");
        Assert.Equal(Cases, accepted + refused);
        Assert.True(worstMs < 1000, $"{format}: an input took {worstMs:F0} ms");
        long bound = 64L * valid.Length + (4 << 20);
        Assert.True(worstBytes < bound, $"{format}: an input allocated {worstBytes:N0} bytes (bound {bound:N0}): a lying length field?");
    }

    private static byte[] Mutate(byte[] valid, Rng rng, int[] lengthFields, bool littleEndian, int eightByte)
    {
        var input = (byte[])valid.Clone();
        int edits = 1 + rng.NextInt(0, 3);
        for (int e = 0; e < edits; e++)
        {
            int at = rng.NextInt(0, input.Length);
            switch (rng.NextInt(0, 6))
            {
                case 0: input[at] ^= (byte)(1 << rng.NextInt(0, 8)); break;
                case 1: input[at] = (byte)rng.NextInt(0, 256); break;
                case 2:
                    for (int k = 0; k < 4 && at + k < input.Length; k++) input[at + k] = 0xFF;
                    break;
                case 3 when lengthFields.Length > 0:
                {
                    // a size field that lies: huge, negative, zero or off by a little
                    int field = lengthFields[rng.NextInt(0, lengthFields.Length)];
                    long value = rng.NextInt(0, 4) switch { 0 => int.MaxValue, 1 => -1, 2 => 0, _ => rng.NextInt(0, 1 << 20) };
                    if (field + (eightByte > 0 ? 8 : 4) > input.Length) break;
                    if (eightByte > 0) BinaryPrimitives.WriteInt64LittleEndian(input.AsSpan(field), value == -1 ? long.MaxValue : value * 4096);
                    else if (littleEndian) BinaryPrimitives.WriteInt32LittleEndian(input.AsSpan(field), (int)value);
                    else BinaryPrimitives.WriteInt32BigEndian(input.AsSpan(field), (int)value);
                    break;
                }
                default:
                    input = input[..rng.NextInt(0, input.Length)];
                    if (input.Length == 0) return input;
                    break;
            }
        }
        return input;
    }

    [Fact]
    public void Png() => Run("PNG", File.ReadAllBytes(Corpus("rgba16-i.png")), b => ImageFiles.Read(new MemoryStream(b), "fuzz.png"),
        lengthFields: new[] { 8, 16, 20, 33 });          // the IHDR length, width, height, the next chunk's length

    [Fact]
    public void Jpeg() => Run("JPEG", File.ReadAllBytes(Corpus("jpeg-420-restart.jpg")), b => ImageFiles.Read(new MemoryStream(b), "fuzz.jpg"),
        lengthFields: new[] { 4, 20, 40, 80, 120 });

    // formats read through Skia's codecs: the header's size fields are among those that lie
    [Fact]
    public void ProgressiveJpeg() => Run("progressive JPEG", File.ReadAllBytes(Corpus("jpeg-progressive.jpg")), b => ImageFiles.Read(new MemoryStream(b), "fuzz.jpg"),
        lengthFields: new[] { 4, 20, 40, 80 });

    [Fact]
    public void WebP() => Run("WebP", File.ReadAllBytes(Corpus("photo.webp")), b => ImageFiles.Read(new MemoryStream(b), "fuzz.webp"),
        lengthFields: new[] { 4, 16, 26 }, littleEndian: true);        // the RIFF size, the VP8 chunk size, the frame size

    [Fact]
    public void WebPLossless() => Run("lossless WebP", File.ReadAllBytes(Corpus("lossless.webp")), b => ImageFiles.Read(new MemoryStream(b), "fuzz.webp"),
        lengthFields: new[] { 4, 16, 21 }, littleEndian: true);

    [Fact]
    public void Gif() => Run("GIF", File.ReadAllBytes(Corpus("palette.gif")), b => ImageFiles.Read(new MemoryStream(b), "fuzz.gif"),
        lengthFields: new[] { 6, 8 }, littleEndian: true);                // the logical screen's width and height

    [Fact]
    public void Bmp() => Run("BMP", File.ReadAllBytes(Corpus("rgba.bmp")), b => ImageFiles.Read(new MemoryStream(b), "fuzz.bmp"),
        lengthFields: new[] { 2, 10, 14, 18, 22, 34 }, littleEndian: true);  // file size, data offset, header size, width, height, image size

    [Fact]
    public void Pnm() => Run("PGM/PPM", File.ReadAllBytes(Corpus("rgb16.ppm")), b => ImageFiles.Read(new MemoryStream(b), "fuzz.ppm"), lengthFields: Array.Empty<int>());

    [Fact]
    public void Idx()
    {
        var file = new byte[16 + 4 * 9 * 11];
        file[2] = 0x08; file[3] = 3;
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4), 4);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(8), 9);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(12), 11);
        for (int i = 16; i < file.Length; i++) file[i] = (byte)(i * 7);
        Run("IDX", file, b => Lucid.Models.Data.Idx.Read(new MemoryStream(b), "fuzz.idx"), lengthFields: new[] { 4, 8, 12 });
    }

    [Fact]
    public void Safetensors()
    {
        var rng = new Rng(3);
        var tensors = new Dictionary<string, Tensor> { ["conv.weight"] = rng.Normal(new[] { 4, 3, 3, 3 }), ["conv.bias"] = rng.Normal(new[] { 4 }) };
        using var stream = new MemoryStream();
        Lucid.Models.Weights.Safetensors.Write(stream, tensors);
        Run("safetensors", stream.ToArray(), b => { foreach (var t in Lucid.Models.Weights.Safetensors.Read(b, "fuzz.safetensors").Values) t.Dispose(); },
            lengthFields: new[] { 0 }, littleEndian: true, eightByte: 1);
    }

    [Fact]
    public void SchemaJson()
    {
        var text = File.ReadAllBytes(TestPaths.InceptionMiniSchema);
        Run("schema JSON", text, b => ModelSchema.Parse(System.Text.Encoding.UTF8.GetString(b), "fuzz.schema.json"), lengthFields: Array.Empty<int>());
    }

    [Fact]
    public void Onnx()
    {
        const string conformance = "/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding/model.onnx";
        if (!File.Exists(conformance))
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", "CI: libonnx-testdata is missing (.ci/run installs it)");
            return;
        }
        Run("ONNX", File.ReadAllBytes(conformance), b => _ = new OnnxSession(OnnxProto.ReadModel(b, "fuzz.onnx"), "fuzz.onnx"), lengthFields: Array.Empty<int>());
    }
}
