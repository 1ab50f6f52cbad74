using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Testing;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Imaging.Tests;

public class ImagingTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    /// <summary>Encode then decode is the identity, for every channel count, size and kind of content (300 cases).</summary>
    public sealed record PngCase(int W, int H, int C, int Kind, int Seed) : Case;

    public static Arbitrary<PngCase> PngCases() => (
        from w in Gen.Choose(1, 40) from h in Gen.Choose(1, 40) from c in Gen.Choose(1, 4) from kind in Gen.Choose(0, 2)
        from seed in Gen.Choose(0, int.MaxValue) select new PngCase(w, h, c, kind, seed)).ToArbitrary();

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(ImagingTests) })]
    public void Png_RoundTripsEveryImage(PngCase t)
    {
        var rng = new Rng((ulong)t.Seed);
        var image = new Image(t.W, t.H, t.C);
        for (int i = 0; i < image.Pixels.Length; i++)
            image.Pixels[i] = t.Kind switch
            {
                0 => (byte)(rng.NextUInt64() & 255),                        // noise: filters cannot help
                1 => (byte)((i / t.C % t.W) * 7 + i / (t.C * t.W) * 3),     // gradients: Sub/Up/Paeth win
                _ => (byte)(i % 5 == 0 ? 255 : 0),                          // flat with spikes
            };
        var decoded = Png.Decode(Png.Encode(image));
        Assert.Equal((t.W, t.H, t.C), (decoded.Width, decoded.Height, decoded.Channels));
        Assert.Equal(image.Pixels, decoded.Pixels);
    }

    /// <summary>
    /// Files written by independent encoders (Pillow; ImageMagick for Adam7 interlacing — see fixtures/make_fixtures.py)
    /// decode to the pixels Pillow reads: 1- and 16-bit gray, gray + alpha, RGB, RGBA, a palette with transparency.
    /// </summary>
    [Theory]
    [InlineData("gray8")]
    [InlineData("gray1")]
    [InlineData("gray16")]
    [InlineData("gray_alpha")]
    [InlineData("rgb")]
    [InlineData("rgba")]
    [InlineData("palette")]
    [InlineData("rgb_interlaced")]
    public void Png_DecodesFilesFromOtherEncoders(string name)
    {
        var image = Image.LoadPng(Fixture(name + ".png"));
        var expected = File.ReadAllBytes(Fixture(name + ".rgba"));
        Assert.Equal((17, 13), (image.Width, image.Height));
        var rgba = image.WithChannels(4).Pixels;
        if (name == "gray1" || name == "gray8" || name == "gray16" || name == "gray_alpha")
            Assert.True(image.Channels <= 2, $"{name} decoded as {image.Channels} channels");
        Assert.Equal(expected, rgba);
    }

    [Fact]
    public void Png_RejectsDamagedFiles_NamingTheFileAndTheProblem()
    {
        var bytes = Png.Encode(new Image(4, 3, 3, Enumerable.Range(0, 36).Select(i => (byte)(i * 7)).ToArray()));
        var badSignature = (byte[])bytes.Clone();
        badSignature[1] = 0;
        Assert.Contains("signature", Assert.Throws<ImageFormatException>(() => Png.Decode(badSignature, "a.png")).Message);
        var badCrc = (byte[])bytes.Clone();
        badCrc[20] ^= 1;                                           // inside IHDR's data
        var e = Assert.Throws<ImageFormatException>(() => Png.Decode(badCrc, "b.png"));
        Assert.Contains("b.png", e.Message);
        Assert.Contains("CRC", e.Message);
        Assert.Contains("ends before IEND", Assert.Throws<ImageFormatException>(() => Png.Decode(bytes[..^12], "c.png")).Message);
        Assert.Throws<ImageFormatException>(() => Image.LoadPng(Path.Combine(Path.GetTempPath(), "no-such-file-" + Guid.NewGuid() + ".png")));
    }

    [Fact]
    public void SavePng_IsAtomic_AndReadable()
    {
        var dir = Directory.CreateTempSubdirectory("lucid-png-");
        var path = Path.Combine(dir.FullName, "x.png");
        var image = new Image(3, 2, 1, new byte[] { 0, 50, 100, 150, 200, 250 });
        image.SavePng(path);
        Assert.Equal(image.Pixels, Image.LoadPng(path).Pixels);
        Assert.Single(Directory.GetFiles(dir.FullName));                // no temporary left behind
        dir.Delete(true);
    }

    [Fact]
    public void TensorConversion_RoundTripsAndClamps()
    {
        using var t = Tensor.FromArray(new[] { 0f, 0.5f, 1f, 2f, -1f, 0.25f }, 1, 1, 2, 3);
        var image = Image.FromTensor(t);
        Assert.Equal(new byte[] { 0, 128, 255, 255, 0, 64 }, image.Pixels);
        using var back = image.ToTensor();
        Assert.Equal(new[] { 1, 1, 2, 3 }, back.Shape.ToArray());
        Assert.Equal(128 / 255f, back.Data[1]);
        Assert.Throws<ShapeMismatchException>(() => Image.FromTensor(Tensor.Zeros(2, 4, 4)));
    }

    /// <summary>
    /// Signed heatmaps scale symmetrically: zero is the colormap's middle (white for bwr), ±max the ends, and a value
    /// and its negation sit at mirrored positions; positive maps clip negatives to the zero colour.
    /// </summary>
    [Fact]
    public void Heatmaps_ScaleSymmetrically_AndClipForPositiveMaps()
    {
        using var map = Tensor.FromArray(new[] { 0f, 2f, -2f, 1f, -1f, 0.5f }, 1, 2, 3);
        var signed = Heatmap.Render(map);
        Assert.Equal((255, 255, 255), Pixel(signed, 0));
        Assert.Equal((255, 0, 0), Pixel(signed, 1));
        Assert.Equal((0, 0, 255), Pixel(signed, 2));
        var (r1, g1, b1) = Pixel(signed, 3);
        var (r2, g2, b2) = Pixel(signed, 4);
        Assert.Equal((r1, g1, b1), (b2, g2, r2));                   // bwr mirrors red and blue around white
        var positive = Heatmap.Render(map, HeatmapScaling.Positive);
        Assert.Equal(Pixel(positive, 0), Pixel(positive, 2));        // −2 clips to 0: black in "hot"
        Assert.Equal((255, 255, 255), Pixel(positive, 1));
        // channels are summed; a percentile scale saturates the outliers
        using var channels = Tensor.FromArray(new[] { 1f, 1f, 1f, 1f, -1f, 0f, 0f, 0f }, 2, 2, 2);
        var summed = Heatmap.Render(channels);
        Assert.Equal((255, 255, 255), Pixel(summed, 0));
        Assert.Throws<ShapeMismatchException>(() => Heatmap.Render(Tensor.Zeros(2, 1, 2, 2)));
        using var spiky = Tensor.FromArray(new[] { 100f, 1f, 1f, 1f }, 2, 2);
        Assert.Equal(Pixel(Heatmap.Render(spiky, percentile: 75), 0), Pixel(Heatmap.Render(spiky, percentile: 75), 1));
    }

    [Fact]
    public void Overlay_ShowsTheInputWhereNothingIsAttributed()
    {
        var background = new Image(2, 1, 3, new byte[] { 10, 20, 30, 40, 50, 60 });
        using var map = Tensor.FromArray(new[] { 0f, 1f }, 1, 2);
        var overlay = Heatmap.Overlay(background, Heatmap.Render(map), opacity: 0.5);
        Assert.Equal((10, 20, 30), Pixel(overlay, 0));                // zero → white → faded out entirely
        Assert.Equal((148, 25, 30), Pixel(overlay, 1));              // red at half opacity: round(0.5·40 + 0.5·255)
    }

    private static (int, int, int) Pixel(Image image, int i) => (image.Pixels[3 * i], image.Pixels[3 * i + 1], image.Pixels[3 * i + 2]);
}
