using System.Buffers.Binary;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Models.Weights;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Models.Tests;

public class SafetensorsTests
{
    private static byte[] Valid()
    {
        var rng = new Rng(3);
        var tensors = new Dictionary<string, Tensor>
        {
            ["conv.weight"] = rng.Normal(new[] { 4, 3, 3, 3 }),
            ["conv.bias"] = rng.Normal(new[] { 4 }),
            ["scalar"] = Tensor.Scalar(2.5f),
        };
        using var ms = new MemoryStream();
        Safetensors.Write(ms, tensors, new Dictionary<string, string> { ["model"] = "test" });
        return ms.ToArray();
    }

    private static byte[] Handmade(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)h.Length);
        h.CopyTo(file, 8);
        data.CopyTo(file, 8 + h.Length);
        return file;
    }

    [Fact]
    public void WriteThenRead_RoundTripsEveryTensorBitForBit()
    {
        var rng = new Rng(9);
        var original = new Dictionary<string, Tensor> { ["a"] = rng.Normal(new[] { 2, 5 }), ["b.c"] = rng.Normal(new[] { 7 }), ["empty"] = Tensor.Zeros(0, 3) };
        var path = Path.Combine(Path.GetTempPath(), $"lucid-{Guid.NewGuid():N}.safetensors");
        try
        {
            Safetensors.Write(path, original);
            var read = Safetensors.Read(path);
            Assert.Equal(original.Keys.OrderBy(k => k), read.Keys.OrderBy(k => k));
            foreach (var (k, v) in original)
            {
                Assert.Equal(v.Shape.ToArray(), read[k].Shape.ToArray());
                Assert.Equal(v.ToArray(), read[k].ToArray());
            }
            // the header is padded so data starts 8-byte aligned
            Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path)) % 8);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Read_ConvertsF16Bf16AndF64ToFloat32()
    {
        var data = new byte[2 + 2 + 8];
        BinaryPrimitives.WriteUInt16LittleEndian(data, BitConverter.HalfToUInt16Bits((Half)1.5f));
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2), (ushort)(BitConverter.SingleToInt32Bits(-2.25f) >> 16));
        BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(4), 0.125);
        var file = Handmade("{\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[2,4]},\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[4,12]}}", data);
        var t = Safetensors.Read(file);
        Assert.Equal(1.5f, t["h"].Item());
        Assert.Equal(-2.25f, t["b"].Item());
        Assert.Equal(0.125f, t["d"].Item());
    }

    [Theory]
    [InlineData("{\"x\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "dtype 'I64' is not supported")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "expected 0")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "cover 4 data bytes but the file holds 8")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "non-negative integers")]
    [InlineData("{\"x\": [1, 2]}", 0, "must be an object")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]", 4, "not valid JSON")]
    public void MalformedHeaders_RaiseFormatErrorsNamingTheTensor(string header, int dataBytes, string expected)
    {
        var e = Assert.Throws<ModelFormatException>(() => Safetensors.Read(Handmade(header, new byte[dataBytes]), "w.safetensors"));
        Assert.Contains(expected, e.Message);
        Assert.Contains("w.safetensors", e.Message);
    }

    [Fact]
    public void HeaderLongerThanFile_IsRejectedBeforeAllocating()
    {
        var file = Valid();
        BinaryPrimitives.WriteUInt64LittleEndian(file, ulong.MaxValue / 2);
        var e = Assert.Throws<ModelFormatException>(() => Safetensors.Read(file, "big.safetensors"));
        Assert.Contains("header claims", e.Message);
    }

    [Fact]
    public void MissingFile_IsAFormatErrorNamingThePath()
    {
        var e = Assert.Throws<ModelFormatException>(() => Safetensors.Read("/nonexistent/dir/w.safetensors"));
        Assert.Contains("/nonexistent/dir/w.safetensors", e.Message);
    }

    /// <summary>Truncations, byte flips and corrupted length fields: the reader either succeeds or raises ModelFormatException.</summary>
    [Property(MaxTest = 2000, Arbitrary = new[] { typeof(Mutations) })]
    public void MutatedFiles_OnlyEverRaiseFormatErrors(Mutation m) =>
        Mutations.Apply<ModelFormatException>(m, Valid(),
            file => { foreach (var t in Safetensors.Read(file, "fuzz").Values) t.Dispose(); },
            corruptLength: (file, value) => BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)value));
}
