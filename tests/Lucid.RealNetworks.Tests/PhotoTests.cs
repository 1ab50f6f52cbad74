using Lucid.Imaging;
using Xunit;

namespace Lucid.RealNetworks.Tests;

/// <summary>Photographs as networks see them: EXIF orientation, antialiased resize, center crop, refusals.</summary>
public class PhotoTests
{
    /// <summary>A JPEG's first bytes with an APP1 Exif segment whose IFD0 holds only the orientation tag.</summary>
    private static byte[] JpegHeadWithOrientation(int orientation, bool bigEndian)
    {
        var tiff = new List<byte>();
        void U16(int v) { if (bigEndian) { tiff.Add((byte)(v >> 8)); tiff.Add((byte)v); } else { tiff.Add((byte)v); tiff.Add((byte)(v >> 8)); } }
        void U32(int v) { if (bigEndian) { U16(v >> 16); U16(v & 0xFFFF); } else { U16(v & 0xFFFF); U16(v >> 16); } }
        tiff.AddRange(bigEndian ? "MM"u8.ToArray() : "II"u8.ToArray());
        U16(42); U32(8);                              // IFD0 at offset 8
        U16(1);                                       // one entry
        U16(0x0112); U16(3); U32(1); U16(orientation); U16(0);
        U32(0);
        var app1 = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        int length = app1.Length + 2;
        return new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xE1, (byte)(length >> 8), (byte)length }.Concat(app1)
            .Concat(new byte[] { 0xFF, 0xDA, 0, 2 }).ToArray();
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, true)]
    [InlineData(6, false)]
    [InlineData(8, true)]
    public void ExifOrientation_IsReadFromBothByteOrders(int orientation, bool bigEndian) =>
        Assert.Equal(orientation, Exif.Orientation(JpegHeadWithOrientation(orientation, bigEndian)));

    [Fact]
    public void ExifOrientation_OfTruncatedOrForeignBytes_IsUpright()
    {
        var full = JpegHeadWithOrientation(6, false);
        for (int cut = 0; cut < full.Length; cut++) Assert.InRange(Exif.Orientation(full.AsSpan(0, cut)), 1, 8);
        Assert.Equal(1, Exif.Orientation("not a jpeg at all"u8));
    }

    /// <summary>Orientation 6 ("rotate 90° clockwise to view") turns a 3×2 image into 2×3 with its left column on top.</summary>
    [Fact]
    public void Orient_RotatesAndMirrorsAsExifDefines()
    {
        var image = new Image(3, 2, 1, new byte[] { 1, 2, 3, 4, 5, 6 });   // rows: 1 2 3 / 4 5 6
        Assert.Equal(new byte[] { 4, 1, 5, 2, 6, 3 }, Photo.Orient(image, 6).Pixels);
        Assert.Equal(new byte[] { 3, 6, 2, 5, 1, 4 }, Photo.Orient(image, 8).Pixels);
        Assert.Equal(new byte[] { 6, 5, 4, 3, 2, 1 }, Photo.Orient(image, 3).Pixels);
        Assert.Equal(new byte[] { 3, 2, 1, 6, 5, 4 }, Photo.Orient(image, 2).Pixels);
        for (int o = 1; o <= 8; o++)                                         // every orientation keeps every pixel
            Assert.Equal(image.Pixels.Order(), Photo.Orient(image, o).Pixels.Order());
    }

    /// <summary>A one-pixel checkerboard shrunk 4× is mid-grey everywhere (a nearest or bilinear shrink aliases to black or white).</summary>
    [Fact]
    public void Resize_AntialiasesWhenShrinking()
    {
        var board = new Image(64, 64, 1);
        for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) board[y, x, 0] = (byte)((x + y) % 2 == 0 ? 255 : 0);
        var small = Photo.Resize(board, 16, 16);
        Assert.All(small.Pixels, v => Assert.InRange(v, 120, 135));
        var nearest = board.ResizeNearest(16, 16);
        Assert.All(nearest.Pixels, v => Assert.True(v is 0 or 255));     // what the filter prevents
    }

    [Fact]
    public void Prepare_CoversTheSizeAndCropsTheCentre()
    {
        var wide = new Image(300, 100, 3);
        for (int y = 0; y < 100; y++) for (int x = 0; x < 300; x++) wide[y, x, 0] = (byte)(x < 100 ? 0 : x < 200 ? 128 : 255);
        var square = Photo.Prepare(wide, 50, 50);                          // 300×100 → 150×50 → centre 50×50 = the middle third
        Assert.Equal((50, 50, 3), (square.Width, square.Height, square.Channels));
        // away from the filter's reach (two columns at each side blend with the neighbouring thirds)
        Assert.All(Enumerable.Range(0, 50 * 50).Where(i => i % 50 is >= 2 and < 48).Select(i => square.Pixels[i * 3]), v => Assert.Equal(128, v));
        using var t = Photo.Load(WritePng(wide), 32);
        Assert.Equal(new[] { 1, 3, 32, 32 }, t.Shape.ToArray());
    }

    [Fact]
    public void APhotoThatIsNotAnImage_IsRefusedNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lucid-{Guid.NewGuid():N}.jpg");
        File.WriteAllText(path, "this is a text file named like a photo");
        try
        {
            var e = Assert.Throws<ImageFormatException>(() => Photo.Load(path, 224));
            Assert.Equal(path, e.File);
            Assert.Contains("unsupported image format", e.Message);
        }
        finally { File.Delete(path); }
    }

    private static string WritePng(Image image)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lucid-{Guid.NewGuid():N}.png");
        image.SavePng(path);
        return path;
    }
}
