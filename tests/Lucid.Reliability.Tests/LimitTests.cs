using Lucid.Imaging;
using Lucid.Models.Onnx;
using Lucid.Tensors;
using Lucid.Testing;
using Xunit;

namespace Lucid.Reliability.Tests;

/// <summary>
/// LucidLimits: sizes above the configured limits are refused with a clear message before anything of that size is
/// allocated. (Alone: the limits are process-wide.)
/// </summary>
[Collection("alone")]
public class LimitTests
{
    private static void With(Action set, Action reset, Action test)
    {
        set();
        try { test(); }
        finally { reset(); }
    }

    [Fact]
    public void ATensorAboveTheLimit_IsRefusedBeforeAllocating()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ResourceLimitException>(() => Tensor.Zeros(100_000, 100_000));   // 10¹⁰ elements: above every limit
        Assert.Contains("[100000, 100000]", e.Message);
        Assert.Contains("LucidLimits.MaxTensorElements", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        With(() => LucidLimits.MaxTensorElements = 1000, () => LucidLimits.MaxTensorElements = 1L << 30, () =>
        {
            Assert.Throws<ResourceLimitException>(() => Tensor.Zeros(10, 101));
            using var fits = Tensor.Zeros(10, 100);
            Assert.Equal(1000, fits.Count);
        });
    }

    [Fact]
    public void AnImageAboveTheLimit_IsRefusedForEveryFormat()
    {
        var corpus = Path.Combine(TestPaths.RepositoryRoot(), "tests", "Lucid.Imaging.Tests", "corpus");
        With(() => LucidLimits.MaxImagePixels = 37 * 29 - 1, () => LucidLimits.MaxImagePixels = 1L << 28, () =>
        {
            foreach (var name in new[] { "rgb8.png", "jpeg-420.jpg", "rgb.ppm" })
            {
                var e = Assert.Throws<ResourceLimitException>(() => ImageFiles.Load(Path.Combine(corpus, name)));
                Assert.Contains($"{name}: a 37×29 image exceeds the limit of 1,072 pixels (LucidLimits.MaxImagePixels)", e.Message);
            }
        });
        Assert.Equal(37, ImageFiles.Load(Path.Combine(corpus, "rgb8.png")).Width);
    }

    [Fact]
    public void AGraphAboveTheNodeLimit_IsRefused()
    {
        const string conformance = "/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding/model.onnx";
        if (!File.Exists(conformance))
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", "CI: libonnx-testdata is missing (.ci/run installs it)");
            return;
        }
        var model = OnnxProto.ReadModel(File.ReadAllBytes(conformance), "conv.onnx");
        With(() => LucidLimits.MaxGraphNodes = 0, () => LucidLimits.MaxGraphNodes = 100_000, () =>
        {
            var e = Assert.Throws<ResourceLimitException>(() => new OnnxSession(model, "conv.onnx"));
            Assert.Equal("conv.onnx: 1 nodes exceed the limit of 0 (LucidLimits.MaxGraphNodes).", e.Message);
        });
        _ = new OnnxSession(model, "conv.onnx");
    }
}
