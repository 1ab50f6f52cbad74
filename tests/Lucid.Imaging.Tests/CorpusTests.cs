using Xunit;
using Xunit.Abstractions;

namespace Lucid.Imaging.Tests;

/// <summary>
/// The decoders against files written by other encoders (corpus/make_corpus.sh: ImageMagick over libpng and
/// libjpeg-turbo, Pillow for 1- and 2-bit palettes): every PNG colour type and bit depth, plain and Adam7; baseline
/// JPEG with every common chroma subsampling, grey, restart markers and low quality; binary, plain and 16-bit PGM/PPM.
/// Each is compared with ImageMagick's own decode.
/// </summary>
public class CorpusTests(ITestOutputHelper output)
{
    private static string Corpus(string name) => Path.Combine(AppContext.BaseDirectory, "corpus", name);

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "corpus")).Select(Path.GetFileName).Order())
            if (f is not null && Path.GetExtension(f) is ".png" or ".jpg" or ".ppm" or ".pgm" or ".webp" or ".gif" or ".bmp" && !f.StartsWith("source-"))
                data.Add(f);
        return data;
    }

    [Fact]
    public void TheCorpusCoversEveryPngColourTypeAndDepth_PlainAndInterlaced()
    {
        var seen = new HashSet<(int Type, int Depth, int Interlace)>();
        foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "corpus"), "*.png"))
        {
            var b = File.ReadAllBytes(f);
            seen.Add((b[25], b[24], b[28]));
        }
        var valid = new[] { (0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8), (4, 8), (4, 16), (6, 8), (6, 16) };
        var missing = valid.Where(v => !seen.Contains((v.Item1, v.Item2, 0))).ToList();
        Assert.True(missing.Count == 0, "not in the corpus (colour type, depth): " + string.Join(", ", missing));
        Assert.True(seen.Count(s => s.Interlace == 1) >= 10, "too few interlaced files");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Decode_MatchesImageMagick(string name)
    {
        var image = ImageFiles.Load(Corpus(name)).WithChannels(4);
        var expected = File.ReadAllBytes(Corpus(Path.ChangeExtension(name, ".rgba")));
        Assert.Equal(expected.Length, image.Pixels.Length);
        int worst = 0;
        double total = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            int d = Math.Abs(expected[i] - image.Pixels[i]);
            worst = Math.Max(worst, d);
            total += d;
        }
        double mean = total / expected.Length;
        output.WriteLine($"{name}: {image.Width}×{image.Height}, largest difference {worst}, mean {mean:F3}");
        if (name.EndsWith(".jpg") || name == "photo.webp")
        {
            // (lossy WebP: libwebp under both; its upsampling settings may differ by a level)
            // libjpeg's integer IDCT and upsampling round differently from our exact ones: at most a few levels (measured: ≤ 3, mean ≤ 0.14)
            Assert.True(mean <= 0.2, $"{name}: mean difference {mean:F3}");
            Assert.True(worst <= 4, $"{name}: largest difference {worst}");
        }
        else Assert.True(worst <= 1, $"{name}: largest difference {worst} (16-bit samples may round one level apart)");
    }

    /// <summary>
    /// Mutated files (bit flips, overwritten bytes, truncation, corrupted length fields): each decoder either decodes or
    /// throws <see cref="ImageFormatException"/> (or <see cref="ResourceLimitException"/> for a size beyond the limit) — never another exception type.
    /// </summary>
    [Theory]
    [InlineData("jpeg-420-restart.jpg")]
    [InlineData("jpeg-422.jpg")]
    [InlineData("rgba16-i.png")]
    [InlineData("palette2-pillow.png")]
    [InlineData("rgb16.ppm")]
    [InlineData("jpeg-progressive.jpg")]
    [InlineData("photo.webp")]
    [InlineData("lossless.webp")]
    [InlineData("palette.gif")]
    [InlineData("rgba.bmp")]
    public void MutatedFiles_DecodeOrFailWithAFormatError(string name)
    {
        var original = File.ReadAllBytes(Corpus(name));
        var rng = new Lucid.Tensors.Rng(11);
        int decoded = 0, refused = 0;
        for (int trial = 0; trial < 1500; trial++)
        {
            var bytes = (byte[])original.Clone();
            int edits = 1 + rng.NextInt(0, 4);
            for (int e = 0; e < edits; e++)
            {
                int at = rng.NextInt(0, bytes.Length);
                switch (rng.NextInt(0, 3))
                {
                    case 0: bytes[at] ^= (byte)(1 << rng.NextInt(0, 8)); break;
                    case 1: bytes[at] = (byte)rng.NextInt(0, 256); break;
                    default: bytes[at] = 0xFF; if (at + 1 < bytes.Length) bytes[at + 1] = 0xFF; break;   // a huge length field
                }
            }
            if (rng.NextInt(0, 4) == 0) bytes = bytes[..rng.NextInt(1, bytes.Length)];
            try
            {
                ImageFiles.Read(new MemoryStream(bytes), name);
                decoded++;
            }
            catch (ImageFormatException) { refused++; }
            catch (ResourceLimitException) { refused++; }     // a mutated size field beyond LucidLimits.MaxImagePixels
        }
        output.WriteLine($"{name}: 1,500 mutations, {decoded} decoded, {refused} refused with ImageFormatException");
        Assert.Equal(1500, decoded + refused);
    }

    /// <summary>Our baseline decoder refuses a progressive file by name; the image files path reads it through Skia.</summary>
    [Fact]
    public void ProgressiveJpeg_IsRefusedByTheBaselineDecoder_AndReadThroughSkia()
    {
        var bytes = File.ReadAllBytes(Corpus("jpeg-progressive.jpg"));
        var e = Assert.Throws<ImageFormatException>(() => Jpeg.Decode(bytes, "jpeg-progressive.jpg"));
        Assert.Contains("progressive JPEG is not supported", e.Message);
        Assert.Equal((37, 29), (ImageFiles.Load(Corpus("jpeg-progressive.jpg")).Width, ImageFiles.Load(Corpus("jpeg-progressive.jpg")).Height));
    }

    /// <summary>A header that claims more pixels than LucidLimits allows is refused before anything is decoded.</summary>
    [Fact]
    public void AnOversizedBmpOrGifHeader_IsRefusedBeforeDecoding()
    {
        var bmp = File.ReadAllBytes(Corpus("rgb.bmp"));
        BitConverter.GetBytes(1 << 20).CopyTo(bmp, 18);         // width
        BitConverter.GetBytes(1 << 20).CopyTo(bmp, 22);         // height
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageFormatException>(() => ImageFiles.Read(new MemoryStream(bmp), "huge.bmp"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated a pixel buffer");
        Assert.True(e.Message.Contains("LucidLimits.MaxImagePixels") || e.Message.Contains("could not") || e.Message.Contains("can read"), e.Message);
        var gif = File.ReadAllBytes(Corpus("palette.gif"));
        gif[6] = 0xFF; gif[7] = 0xFF; gif[8] = 0xFF; gif[9] = 0xFF;     // logical screen 65535 × 65535
        Assert.Throws<ImageFormatException>(() => ImageFiles.Read(new MemoryStream(gif), "huge.gif"));
    }

    [Fact]
    public void TruncatedOrCorruptFiles_AreFormatErrorsNamingTheFile()
    {
        foreach (var name in new[] { "jpeg-420.jpg", "rgb8.png", "rgb.ppm", "jpeg-420-restart.jpg" })
        {
            var bytes = File.ReadAllBytes(Corpus(name));
            foreach (int keep in new[] { 1, 4, 20, bytes.Length / 3, bytes.Length / 2, bytes.Length - 3 })
            {
                var e = Assert.Throws<ImageFormatException>(() => ImageFiles.Read(new MemoryStream(bytes[..keep]), name));
                Assert.StartsWith(name + ": ", e.Message);
            }
        }
        var unknown = Assert.Throws<ImageFormatException>(() => ImageFiles.Read(new MemoryStream("II*\0......"u8.ToArray()), "x.tif"));
        Assert.Equal("x.tif: unsupported image format (expected PNG, JPEG, WebP, GIF, BMP or PGM/PPM; the file starts with 0x49492A002E2E2E2E).", unknown.Message);
        var gif = Assert.Throws<ImageFormatException>(() => ImageFiles.Read(new MemoryStream("GIF89a......"u8.ToArray()), "x.gif"));
        Assert.StartsWith("x.gif: ", gif.Message);
    }
}
