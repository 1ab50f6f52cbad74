using System.Text.Json;
using Lucid.Imaging;
using Lucid.RealNetworks.Tests;
using Lucid.Testing;
using Xunit;

namespace Lucid.Cli.Tests;

/// <summary>The tool on the ImageNet resnet18 (restored by NuGet) and a photograph, and on an export with dynamic axes.</summary>
[Collection("cli")]
public class RealNetworkCliTests
{
    private static readonly string PhotoPath = Path.Combine(TestPaths.RepositoryRoot(), "models", "resnet18", "demo-photo.jpg");

    [Fact]
    public void RenderResNet18Channel_WritesA224Visualization()
    {
        var path = Lucid.Temp("unit") + ".png";
        try
        {
            var j = Lucid.Json("render", "resnet18", "--channel", "layer3.1:17", "--steps", "6", "-o", path);
            var image = Image.LoadPng(path);
            Assert.Equal((224, 224), (image.Width, image.Height));
            Assert.True(j.GetProperty("objectiveLast").GetDouble() > j.GetProperty("objectiveFirst").GetDouble());
            // the ONNX value name of the same tap is an alias
            var alias = Lucid.Json("render", "resnet18", "--channel", "ReLU347_Output_0:17", "--steps", "6", "-o", path);
            Assert.Equal(j.GetProperty("objectiveLast").GetDouble(), alias.GetProperty("objectiveLast").GetDouble());
        }
        finally { File.Delete(path); }
    }

    /// <summary>MACO takes its spectrum and VITAL its references from photographs on a network trained on photos.</summary>
    [Theory]
    [InlineData("maco")]
    [InlineData("vital")]
    public void RenderResNet18WithMacoOrVital_UsesThePhotos(string method)
    {
        var path = Lucid.Temp(method) + ".png";
        try
        {
            var photos = Path.GetDirectoryName(PhotoPath)!;
            var j = Lucid.Json("render", "resnet18", "--channel", "layer3.1:17", "--method", method, "--steps", "3", "--photos", photos, "-o", path);
            Assert.Equal(224, Image.LoadPng(path).Width);
            Assert.Equal(3, j.GetProperty("steps").GetInt32());
        }
        finally { File.Delete(path); }
    }

    /// <summary>A shard of resnet18's layer4.2 catalog: 4 of 512 channels, 224² each; the rest left to other shards.</summary>
    [Fact]
    public void CatalogShardOfResNet18_RendersItsUnits()
    {
        var directory = Lucid.Temp("catalog-resnet");
        try
        {
            var j = Lucid.Json("catalog", "resnet18", "--taps", "layer4.2", "--steps", "2", "--shard", "1/128", "-o", directory);
            Assert.Equal(4, j.GetProperty("rendered").GetArrayLength());
            Assert.Equal(508, j.GetProperty("otherShards").GetInt32());
            var pngs = Directory.GetFiles(directory, "*.png", SearchOption.AllDirectories);
            Assert.Equal(4, pngs.Length);
            Assert.All(pngs, p => Assert.Equal(224, Image.LoadPng(p).Width));
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    [Fact]
    public void BlocksResNet18OnAPhoto_WritesThePage()
    {
        var directory = Lucid.Temp("blocks-resnet");
        try
        {
            var j = Lucid.Json("blocks", "resnet18", PhotoPath, "--icon-steps", "2", "--groups", "3", "-o", directory);
            var page = File.ReadAllText(j.GetProperty("page").GetString()!);
            Assert.Contains("layer4.1", page);
            Assert.Contains("demo-photo.jpg", j.GetProperty("title").GetString());
            Assert.False(j.TryGetProperty("predicted", out _));                 // a backbone predicts no class
            var parts = j.GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("summary").GetString()!).ToList();
            Assert.Equal(6, parts.Count);
            Assert.Contains(parts, p => p.StartsWith("activation grid at layer4.1: 7×7 cells", StringComparison.Ordinal));
            Assert.Contains(parts, p => p.StartsWith("semantic dictionary at layer4.1: 49 positions, attribution to a direction in 'avgpool'", StringComparison.Ordinal));
            // the layout's PDF carries the panels' titles and channel numbers as text (pdftotext: poppler-utils, which CI installs)
            if (File.Exists(Pdf.TextTool) || Environment.GetEnvironmentVariable("CI") == "true")
            {
                var text = Pdf.Text(Path.Combine(directory, "layout.pdf"));
                foreach (var title in new[] { "Neuron groups of resnet18 at layer4.1", "Activation grid of resnet18 at layer4.1", "Semantic dictionary of resnet18 at layer4.1",
                             "Channel attribution of resnet18 at layer4.1", "Spatial attribution layer3.1", "layer3.1 0" })
                    Assert.Contains(title, text);
            }
            Snapshot.VerifyImage(Image.LoadPng(Path.Combine(directory, "layout.png")), "resnet18-layout");
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    [Fact]
    public void AttributeResNet18_ExplainsItsStrongestOutputChannel_OrAUnit()
    {
        var path = Lucid.Temp("heat") + ".png";
        try
        {
            var j = Lucid.Json("attribute", "resnet18", PhotoPath, "--method", "lrp-epsilon-plus-flat", "-o", path);
            Assert.StartsWith("channel:avgpool:", j.GetProperty("class").GetString());
            Assert.Equal(224, Image.LoadPng(path).Width);
            var unit = Lucid.Json("attribute", "resnet18", PhotoPath, "--method", "integrated-gradients", "--target", "neuron:layer4.2:7:3:3", "-o", path);
            Assert.Equal("neuron:layer4.2:7:3:3", unit.GetProperty("class").GetString());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ADynamicAxesExport_RunsWithAnInputSizeAndAContract()
    {
        var onnx = ResNetOnnx.Save(ResNetOnnx.Write());
        try
        {
            var j = Lucid.Json("inspect", onnx, "--input-size", "40x48", "--contract", "torchvision");
            Assert.Equal(new[] { 3, 40, 48 }, j.GetProperty("input").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal(0.485, j.GetProperty("input").GetProperty("mean")[0].GetDouble(), 5);
            var caffe = Lucid.Json("inspect", onnx, "--input-size", "32", "--range", "0,255", "--bgr", "--mean", "104,117,123");
            Assert.Equal("bgr", caffe.GetProperty("input").GetProperty("order").GetString());
            Assert.Equal(255, caffe.GetProperty("input").GetProperty("max").GetDouble());
            Assert.Equal(1, caffe.GetProperty("input").GetProperty("std")[2].GetDouble());
        }
        finally { File.Delete(onnx); }
    }

    /// <summary>
    /// lucid quality resnet18 on Debian's darknet photographs (a bare machine without the package skips; CI installs
    /// it): the table's rows are the units rendered, with ratios against the photo crops.
    /// </summary>
    [RequiresDataFact("/usr/share/darknet/data", "darknet")]
    public void QualityResNet18_ScoresUnitsAgainstThePhotographs()
    {
        var path = Lucid.Temp("quality") + ".md";
        try
        {
            var plot = Path.ChangeExtension(path, ".svg");
            var j = Lucid.Json("quality", "resnet18", "--channels", "1", "--compared", "0", "--steps", "4", "-o", path, "--plot", plot);
            var svg = File.ReadAllText(plot);
            Assert.Contains("radial power spectrum", svg);
            Assert.Contains("photos (", svg);
            File.Delete(plot);
            Assert.True(j.GetProperty("photos").GetInt32() >= 7 * 2, "every photo, flipped");
            double slope = j.GetProperty("photoSlope").GetDouble();
            Assert.InRange(slope, -3.5, -1.5);                            // natural images: near −2
            var rows = j.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(new[] { "layer3.1", "layer4.2" }, rows.Select(r => r.GetProperty("tap").GetString()));
            Assert.All(rows, r => Assert.True(r.GetProperty("activationRatio").GetDouble() > 0));
            var table = File.ReadAllText(path);
            Assert.Contains("| lucid | layer3.1 | 1 |", table);
        }
        finally { File.Delete(path); }
    }

    public static TheoryData<string, string, string[]> Cases()
    {
        var onnx = ResNetOnnx.Save(ResNetOnnx.Write());
        var text = Path.Combine(Path.GetTempPath(), "lucid-cli-not-a-photo.jpg");
        File.WriteAllText(text, "a text file named like a photo");
        return new()
        {
            { "dynamic axes without a size", "give an input size (OnnxImportOptions.InputSize, or --input-size HxW)", new[] { "inspect", onnx } },
            { "mean and std of different lengths", "--mean has 2 values and --std 3", new[] { "inspect", onnx, "--input-size", "32x32", "--mean", "0.5,0.5", "--std", "0.2,0.2,0.2" } },
            { "mean of the wrong length", "2 means and 2 stds for 3 input channels", new[] { "inspect", onnx, "--input-size", "32x32", "--mean", "0.5,0.5", "--std", "0.2,0.2" } },
            { "unknown contract", "unknown input contract 'pytorch'", new[] { "inspect", onnx, "--input-size", "32", "--contract", "pytorch" } },
            { "malformed size", "--input-size expects HEIGHTxWIDTH", new[] { "inspect", onnx, "--input-size", "big" } },
            { "a photo that is not an image", "lucid-cli-not-a-photo.jpg: unsupported image format", new[] { "blocks", "resnet18", text, "-o", "x" } },
            { "a class target on a network without labels", "model 'resnet18' has no class labels", new[] { "attribute", "resnet18", PhotoPath, "--class", "dog", "-o", "x.png" } },
            { "VITAL of a class on a network without labels", "renders hidden units against photographs", new[] { "render", "resnet18", "--class", "dog", "--method", "vital", "-o", "x.png" } },
            { "a malformed unit target", "--target expects channel:TAP:C or neuron:TAP:C:Y:X", new[] { "attribute", "resnet18", PhotoPath, "--target", "layer4.2:7", "-o", "x.png" } },
            { "a contract for a bundled model", "apply to .onnx files", new[] { "inspect", "resnet18", "--contract", "caffe" } },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadInput_IsOneClearLineWithExitCode2(string what, string fragment, string[] args)
    {
        var (code, _, error) = Lucid.Run(args);
        Assert.True(code == 2, $"{what}: exit code {code}; stderr: {error}");
        Assert.Contains(fragment, error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", error);
    }
}
