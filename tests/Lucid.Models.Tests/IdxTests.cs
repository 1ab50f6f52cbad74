using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Models.Data;
using Xunit;

namespace Lucid.Models.Tests;

public class IdxTests
{
    private static byte[] Images(int n, int h, int w)
    {
        var file = new byte[16 + n * h * w];
        file[2] = 0x08; file[3] = 3;
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4), n);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(8), h);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(12), w);
        for (int i = 16; i < file.Length; i++) file[i] = (byte)(i * 7);
        return file;
    }

    [Fact]
    public void Read_ReturnsShapeAndPayload()
    {
        var file = Images(3, 4, 5);
        var idx = Idx.Read(new MemoryStream(file));
        Assert.Equal(new[] { 3, 4, 5 }, idx.Shape);
        Assert.Equal(file[16..], idx.Data);
    }

    [Theory]
    [InlineData(0, 1, "magic")]
    [InlineData(2, 0x0D, "element type 0x0D")]
    [InlineData(3, 9, "rank 9")]
    public void BadHeaders_AreExplained(int offset, int value, string expected)
    {
        var file = Images(2, 2, 2);
        file[offset] = (byte)value;
        var e = Assert.Throws<ModelFormatException>(() => Idx.Read(new MemoryStream(file), "x.idx"));
        Assert.Contains(expected, e.Message);
        Assert.Contains("x.idx", e.Message);
    }

    [Fact]
    public void TruncatedData_IsExplained()
    {
        var file = Images(2, 3, 3);
        var e = Assert.Throws<ModelFormatException>(() => Idx.Read(new MemoryStream(file[..^5]), "t.idx"));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void HugeDeclaredSize_IsRejectedWithoutAllocatingIt()
    {
        var file = Images(1, 1, 1);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4), int.MaxValue);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(8), int.MaxValue);
        var e = Assert.Throws<ModelFormatException>(() => Idx.Read(new MemoryStream(file), "huge.idx"));
        Assert.Contains("declares more than", e.Message);
    }

    [Property(MaxTest = 2000, Arbitrary = new[] { typeof(Mutations) })]
    public void MutatedFiles_OnlyEverRaiseFormatErrors(Mutation m) =>
        Mutations.Apply<ModelFormatException>(m, Images(4, 5, 6), file => Idx.Read(new MemoryStream(file), "fuzz"),
            corruptLength: (file, value) => BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4 + 4 * (int)(value % 3)), (int)value));
}
