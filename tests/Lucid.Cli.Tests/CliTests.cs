using System.Text.Json;
using Lucid.Imaging;
using Lucid.Testing;
using Xunit;

namespace Lucid.Cli.Tests;

/// <summary>Runs <c>lucid</c> in-process (the same <see cref="Cli.Run"/> the executable calls) with captured output.</summary>
internal static class Lucid
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Cli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Runs with --json, asserts success and returns the document.</summary>
    public static JsonElement Json(params string[] args)
    {
        var (code, output, error) = Run(args.Append("--json").ToArray());
        Assert.True(code == 0, $"lucid {string.Join(' ', args)} exited {code}: {error}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    public static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"lucid-cli-{name}-{Guid.NewGuid():N}");
}

/// <summary>Every command end to end on the bundled inception-mini with small step counts: outputs exist, images decode at the expected size, JSON holds the documented fields.</summary>
[Collection("cli")]
public class CommandTests
{
    private static readonly string Demo = Path.Combine(TestPaths.RepositoryRoot(), "models", "inception-mini", "demo-scene.png");

    [Fact]
    public void Inspect_ListsTapsAndLabels()
    {
        var j = Lucid.Json("inspect", "inception-mini");
        Assert.Equal("inception-mini", j.GetProperty("model").GetString());
        Assert.Equal(new[] { 3, 64, 64 }, j.GetProperty("input").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        var mixed4a = j.GetProperty("taps").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "mixed4a");
        Assert.Equal(new[] { 156, 4, 4 }, mixed4a.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(10, j.GetProperty("labels").GetArrayLength());
        Assert.True(j.GetProperty("parameters").GetInt64() > 100_000);
        var (code, text, _) = Lucid.Run("inspect", "inception-mini");
        Assert.Equal(0, code);
        Assert.Contains("mixed4a", text);
    }

    [Fact]
    public void Schema_WritesTheFileTheGeneratorReads()
    {
        var path = Lucid.Temp("schema") + ".schema.json";
        try
        {
            var j = Lucid.Json("schema", "inception-mini", "-o", path);
            Assert.Equal(path, j.GetProperty("path").GetString());
            using var schema = JsonDocument.Parse(File.ReadAllText(path));
            Assert.Equal(j.GetProperty("taps").GetInt32(), schema.RootElement.GetProperty("taps").GetArrayLength());
            Assert.Equal(File.ReadAllText(TestPaths.InceptionMiniSchema), File.ReadAllText(path));
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("lucid", "--channel", "mixed4a:7")]
    [InlineData("maco", "--class", "solid ring")]
    [InlineData("vital", "--class", "dotted circle")]
    public void Render_WritesTheImageAndReportsTheObjective(string method, string what, string value)
    {
        var path = Lucid.Temp("render") + ".png";
        try
        {
            var j = Lucid.Json("render", "inception-mini", what, value, "--method", method, "--steps", "4", "--seed", "3", "-o", path);
            var image = Image.LoadPng(path);
            Assert.Equal((64, 64), (image.Width, image.Height));
            Assert.Equal(4, j.GetProperty("steps").GetInt32());
            Assert.Equal(method, j.GetProperty("method").GetString());
            Assert.Equal(64, j.GetProperty("output").GetProperty("width").GetInt32());
            Assert.True(double.IsFinite(j.GetProperty("objectiveLast").GetDouble()));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void RenderDemo_NeedsNoModelArgument_AndHonoursSize()
    {
        var path = Lucid.Temp("demo") + ".png";
        try
        {
            var j = Lucid.Json("render", "--demo", "--steps", "3", "--size", "80", "-o", path);
            Assert.Equal("inception-mini", j.GetProperty("model").GetString());
            Assert.Contains("solid ring", j.GetProperty("objective").GetString());
            Assert.Equal(80, Image.LoadPng(path).Width);
        }
        finally { File.Delete(path); }
    }

    /// <summary>render --plot charts the objective over the steps (PNG at the chart's size).</summary>
    [Fact]
    public void RenderPlot_WritesTheObjectiveChart()
    {
        var path = Lucid.Temp("render") + ".png";
        var plot = Lucid.Temp("objective") + ".png";
        try
        {
            var j = Lucid.Json("render", "--demo", "--steps", "5", "--plot", plot, "-o", path);
            Assert.Equal(plot, j.GetProperty("plot").GetString());
            var chart = Image.LoadPng(plot);
            Assert.Equal((640, 400), (chart.Width, chart.Height));
            Snapshot.VerifyImage(chart, "render-objective");
        }
        finally { File.Delete(path); File.Delete(plot); }
    }

    [Fact]
    public void RenderAllClasses_WritesALabelledGrid()
    {
        var path = Lucid.Temp("classes") + ".png";
        try
        {
            var j = Lucid.Json("render", "--demo", "--all-classes", "--steps", "4", "-o", path);
            Assert.Equal(10, j.GetProperty("classes").GetArrayLength());
            var grid = Image.LoadPng(path);
            // 5 columns × 2 rows of 128-pixel cells (64 px at scale 2), 4 px padding, 10-pixel label strips
            Assert.Equal((4 + 5 * (128 + 4), 4 + 2 * (128 + 10 + 4)), (grid.Width, grid.Height));
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("lrp", "epsilon-gamma-box", false)]
    [InlineData("integrated-gradients", null, true)]
    [InlineData("integrated-gradients-adaptive", null, false)]
    public void Attribute_WritesAHeatmap_FromAPngOrAJpeg(string method, string? composite, bool jpeg)
    {
        var input = jpeg ? Path.Combine(TestPaths.RepositoryRoot(), "tests", "Lucid.Imaging.Tests", "corpus", "jpeg-420.jpg") : Demo;
        var path = Lucid.Temp("heat") + ".png";
        try
        {
            var args = new List<string> { "attribute", "inception-mini", input, "--method", method, "--overlay", "-o", path };
            if (composite is not null) args.AddRange(new[] { "--composite", composite });
            if (!jpeg) args.AddRange(new[] { "--target", "checkered star" });
            var j = Lucid.Json(args.ToArray());
            Assert.Equal((64, 64), (Image.LoadPng(path).Width, Image.LoadPng(path).Height));
            if (!jpeg) Assert.Equal("checkered star", j.GetProperty("class").GetString());
            Assert.True(double.IsFinite(j.GetProperty("sum").GetDouble()));
            Assert.True(j.GetProperty("overlay").GetBoolean());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void BlocksDemo_WritesTheReport()
    {
        var directory = Lucid.Temp("blocks");
        try
        {
            var j = Lucid.Json("blocks", "--toy-demo", "--icon-steps", "4", "-o", directory);
            var page = j.GetProperty("page").GetString()!;
            Assert.True(File.Exists(page));
            Assert.Contains("f0-p2-cell-1-2", File.ReadAllText(page));         // the layout's activation grid, interactive
            var parts = j.GetProperty("parts").EnumerateArray().ToList();
            Assert.Equal(6, parts.Count);
            foreach (var part in parts)
            {
                Assert.True(File.Exists(Path.Combine(directory, part.GetProperty("file").GetString()!)));
                Assert.True(Image.LoadPng(Path.Combine(directory, part.GetProperty("png").GetString()!)).Width > 100);
                Assert.False(string.IsNullOrEmpty(part.GetProperty("summary").GetString()));
            }
            Assert.Equal("striped cross", j.GetProperty("predicted").GetString());
            Assert.True(File.Exists(Path.Combine(directory, "layout.png")));
            // the vector layout carries the panels' titles as text
            var pdf = File.ReadAllBytes(Path.Combine(directory, "layout.pdf"));
            Assert.StartsWith("%PDF-", System.Text.Encoding.ASCII.GetString(pdf, 0, 5));
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    /// <summary>
    /// The toy page's PDF and PNG carry their text: panel titles, captions and channel numbers read back from the PDF
    /// (pdftotext), and the PNG matches its verified snapshot within a tolerance. Figures never call a browser (Skia
    /// draws them with the embedded font), so this holds on a machine without Chromium.
    /// </summary>
    [RequiresDataFact(Pdf.TextTool, "poppler-utils")]
    public void BlocksToyDemo_LayoutPdfAndPng_CarryTheirText()
    {
        var directory = Lucid.Temp("blocks-text");
        try
        {
            Lucid.Json("blocks", "--toy-demo", "--icon-steps", "4", "-o", directory);
            var text = Pdf.Text(Path.Combine(directory, "layout.pdf"));
            foreach (var expected in new[] { "Building Blocks of inception-mini: striped cross", "Neuron groups of inception-mini at mixed4a",
                         "Activation grid of inception-mini at mixed4a", "Semantic dictionary of inception-mini at mixed4a", "group 0", "mixed3b 0" })
                Assert.Contains(expected, text);
            Assert.Matches(@"\d+: [+-]\d\.\d\d", text);           // channel attribution's "channel: value" captions
            Snapshot.VerifyImage(Image.LoadPng(Path.Combine(directory, "layout.png")), "toy-layout");
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    [Fact]
    public void Train_ReproducesABundledModelOnASubset()
    {
        var directory = Lucid.Temp("train");
        try
        {
            var j = Lucid.Json("train", "inception-mini", "--epochs", "1", "--train-samples", "128", "--test-samples", "32", "-o", directory);
            Assert.True(File.Exists(j.GetProperty("weights").GetString()));
            Assert.True(File.Exists(j.GetProperty("schema").GetString()));
            Assert.Equal(128, j.GetProperty("trainImages").GetInt32());
            double accuracy = j.GetProperty("testAccuracy").GetDouble();
            Assert.InRange(accuracy, 0, 1);
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    /// <summary>A class render from noise is a fooling image: the command reports what the model sees in it and how sure it is.</summary>
    [Fact]
    public void RenderClass_ReportsTheModelsConfidence()
    {
        var path = Lucid.Temp("fool") + ".png";
        try
        {
            var j = Lucid.Json("render", "inception-mini", "--class", "checkered star", "--steps", "32", "-o", path);
            Assert.Equal("checkered star", j.GetProperty("predicted").GetString());
            Assert.True(j.GetProperty("confidence").GetDouble() >= 0.9, $"confidence {j.GetProperty("confidence").GetDouble()}");
        }
        finally { File.Delete(path); }
    }

    /// <summary>Accuracy under attack: ε = 0 is the clean accuracy, PGD never does better than the clean model, and the chart is written.</summary>
    [Fact]
    public void Robustness_MeasuresAccuracyAgainstEpsilon()
    {
        var plot = Lucid.Temp("robustness") + ".svg";
        try
        {
            var j = Lucid.Json("robustness", "inception-mini", "--examples", "20", "--epsilons", "0,8", "--pgd-steps", "3", "--plot", plot);
            var points = j.GetProperty("points").EnumerateArray().ToList();
            Assert.Equal(2, points.Count);
            double clean = points[0].GetProperty("fgsmAccuracy").GetDouble();
            Assert.Equal(clean, points[0].GetProperty("pgdAccuracy").GetDouble());
            Assert.True(clean >= 0.8, $"clean accuracy {clean}");
            Assert.True(points[1].GetProperty("pgdAccuracy").GetDouble() < clean, "PGD at 8/255 should cost accuracy");
            Assert.Contains("accuracy under attack", File.ReadAllText(plot));
        }
        finally { File.Delete(plot); }
    }

    /// <summary>Confident learning through the CLI: suspects are labelled differently from what the model confidently sees, most confident first, and drawn as a grid.</summary>
    [Fact]
    public void AuditLabels_ListsSuspects_AndDrawsThem()
    {
        var grid = Lucid.Temp("suspects") + ".png";
        try
        {
            var j = Lucid.Json("audit-labels", "inception-mini", "--examples", "400", "--top", "4", "-o", grid);
            Assert.Equal(400, j.GetProperty("images").GetInt32());
            var issues = j.GetProperty("issues").EnumerateArray().ToList();
            Assert.True(issues.Count <= 4 && issues.Count <= j.GetProperty("suspected").GetInt32());
            Assert.All(issues, i => Assert.NotEqual(i.GetProperty("given").GetString(), i.GetProperty("suggested").GetString()));
            var margins = issues.Select(i => i.GetProperty("suggestedProbability").GetDouble() - i.GetProperty("givenProbability").GetDouble()).ToList();
            Assert.Equal(margins.OrderByDescending(v => v), margins);
            if (issues.Count > 0) Assert.True(Image.LoadPng(grid).Width > 64);
        }
        finally { File.Delete(grid); }
    }

    /// <summary>Shape bias through the CLI: 61 conflicting pairs, counts that add up, the bias inside its interval, a grid of the images.</summary>
    [Fact]
    public void ShapeBias_CountsTheConflictingPairs_AndDrawsThem()
    {
        var grid = Lucid.Temp("cue-conflict") + ".png";
        try
        {
            var j = Lucid.Json("shape-bias", "inception-mini", "--steps", "10", "-o", grid);
            var decisions = j.GetProperty("decisions").EnumerateArray().ToList();
            Assert.Equal(61, j.GetProperty("images").GetInt32());
            Assert.Equal(61, decisions.Count);
            int shape = j.GetProperty("shape").GetInt32(), texture = j.GetProperty("texture").GetInt32();
            Assert.Equal(decisions.Count(d => d.GetProperty("followsShape").GetBoolean()), shape);
            Assert.Equal(decisions.Count(d => d.GetProperty("followsTexture").GetBoolean()), texture);
            Assert.All(decisions, d => Assert.NotEqual(d.GetProperty("shapeSource").GetString(), d.GetProperty("textureSource").GetString()));
            if (shape + texture > 0)
                Assert.InRange(j.GetProperty("bias").GetDouble(), j.GetProperty("low").GetDouble(), j.GetProperty("high").GetDouble());
            Assert.True(Image.LoadPng(grid).Width >= 8 * 64 * 3, "eight 64² images a row at scale 3");
        }
        finally { File.Delete(grid); }
    }

    [Fact]
    public void Evaluate_ScoresEveryMethod()
    {
        var plot = Lucid.Temp("curves") + ".svg";
        var j = Lucid.Json("evaluate", "inception-mini", "--scenes", "2", "--plot", plot);
        var rows = j.GetProperty("rows").EnumerateArray().ToList();
        Assert.True(rows.Count >= 10);
        Assert.Contains(rows, r => r.GetProperty("method").GetString()!.Contains("LRP", StringComparison.OrdinalIgnoreCase));
        Assert.All(rows, r => Assert.InRange(r.GetProperty("pointingGame").GetDouble(), 0, 1));
        // the charted curves are the table's: 17 points from the unperturbed image to all pixels removed, their AUC the row's
        foreach (var r in rows)
        {
            var curve = r.GetProperty("deletionCurve").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(17, curve.Length);
            double auc = Enumerable.Range(1, 16).Sum(i => 0.5 * (curve[i - 1] + curve[i]) / 16);
            Assert.Equal(r.GetProperty("deletionAuc").GetDouble(), auc, 9);
        }
        var files = j.GetProperty("plots").EnumerateArray().Select(p => p.GetString()!).ToArray();
        try
        {
            Assert.Contains("deletion curves over 2 scenes", File.ReadAllText(files[0]));
            Assert.Contains("insertion curves over 2 scenes", File.ReadAllText(files[1]));
        }
        finally { foreach (var f in files) File.Delete(f); }
        var png = Lucid.Temp("curves") + ".png";
        var pngs = Lucid.Json("evaluate", "inception-mini", "--scenes", "2", "--plot", png).GetProperty("plots").EnumerateArray().Select(p => p.GetString()!).ToArray();
        try
        {
            Snapshot.VerifyImage(Image.LoadPng(pngs[0]), "deletion-curves");
            Snapshot.VerifyImage(Image.LoadPng(pngs[2]), "mask-mass");
        }
        finally { foreach (var f in pngs) File.Delete(f); }
    }

    [Fact]
    public void Quality_ScoresLucidMacoAndVital()
    {
        var path = Lucid.Temp("quality") + ".md";
        try
        {
            var plot = Path.ChangeExtension(path, ".svg");
            var j = Lucid.Json("quality", "inception-mini", "--seeds", "1", "--steps", "3", "--scenes-per-class", "3", "-o", path, "--plot", plot);
            var methods = j.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("method").GetString()!).ToList();
            Assert.Contains(methods, m => m.Contains("VITAL"));
            Assert.Contains(methods, m => m.Contains("MACO"));
            Assert.StartsWith("|", File.ReadAllLines(path).First(l => l.StartsWith('|')));
            // the spectrum chart holds each row's mean radial spectrum; the bars its activation ratios
            Assert.All(j.GetProperty("rows").EnumerateArray(), r => Assert.Equal(33, r.GetProperty("radialSpectrum").GetArrayLength()));
            Assert.Contains("radial power spectrum of class renders and real scenes", File.ReadAllText(plot));
            Assert.Contains("activation ratio", File.ReadAllText(Path.ChangeExtension(path, null) + "-ratio.svg"));
            var png = Path.ChangeExtension(path, ".png");
            Lucid.Json("quality", "inception-mini", "--seeds", "1", "--steps", "3", "--scenes-per-class", "3", "--plot", png);
            Snapshot.VerifyImage(Image.LoadPng(png), "quality-spectrum");
            File.Delete(png);
            File.Delete(Path.ChangeExtension(path, null) + "-ratio.png");
        }
        finally
        {
            File.Delete(path);
            File.Delete(Path.ChangeExtension(path, ".svg"));
            File.Delete(Path.ChangeExtension(path, null) + "-ratio.svg");
        }
    }
}

/// <summary>Bad input: one line naming the problem, a non-zero exit code, no stack trace unless --verbose.</summary>
[Collection("cli")]
public class ErrorTests
{
    public static TheoryData<string, int, string, string[]> Cases()
    {
        var corrupt = Path.Combine(Path.GetTempPath(), "lucid-cli-corrupt.png");
        var png = File.ReadAllBytes(Path.Combine(TestPaths.RepositoryRoot(), "models", "inception-mini", "demo-scene.png"));
        File.WriteAllBytes(corrupt, png[..(png.Length / 2)]);
        var corruptJpeg = Path.Combine(Path.GetTempPath(), "lucid-cli-corrupt.jpg");
        var jpeg = File.ReadAllBytes(Path.Combine(TestPaths.RepositoryRoot(), "tests", "Lucid.Imaging.Tests", "corpus", "jpeg-420.jpg"));
        File.WriteAllBytes(corruptJpeg, jpeg[..(jpeg.Length / 2)]);
        var tiff = Path.Combine(Path.GetTempPath(), "lucid-cli-image.tif");
        File.WriteAllBytes(tiff, "II*\u0000\u0008\u0000\u0000\u0000"u8.ToArray());       // TIFF: neither our decoders nor Skia read it
        return new()
        {
            { "missing file", 2, "no-such-file.png: file not found", new[] { "attribute", "inception-mini", "no-such-file.png", "-o", "x.png" } },
            { "unsupported format", 2, "unsupported image format", new[] { "attribute", "inception-mini", tiff, "-o", "x.png" } },
            { "corrupt PNG", 2, "lucid-cli-corrupt.png: ", new[] { "attribute", "inception-mini", corrupt, "-o", "x.png" } },
            { "corrupt JPEG", 2, "lucid-cli-corrupt.jpg: ", new[] { "blocks", "inception-mini", corruptJpeg, "-o", "x" } },
            { "unknown tap", 2, "mixed9z", new[] { "render", "inception-mini", "--channel", "mixed9z:1", "-o", "x.png" } },
            { "unknown catalog tap", 2, "nosuch", new[] { "catalog", "inception-mini", "--taps", "nosuch", "-o", "x" } },
            { "shard out of range", 2, "--shard 4/3: shard 4 of 3 does not exist", new[] { "catalog", "inception-mini", "--taps", "mixed4a", "--shard", "4/3", "-o", "x" } },
            { "malformed shard", 2, "--shard expects i/N", new[] { "catalog", "inception-mini", "--taps", "mixed4a", "--shard", "two", "-o", "x" } },
            { "unknown class", 2, "no class", new[] { "render", "inception-mini", "--class", "solid rings", "--method", "vital", "-o", "x.png" } },
            { "unknown model", 2, "'nosuch' is not a bundled model", new[] { "inspect", "nosuch" } },
            { "unknown option", 1, "--nosuch", new[] { "inspect", "inception-mini", "--nosuch" } },
            { "audit without examples", 2, "--examples must be positive, got 0", new[] { "audit-labels", "inception-mini", "--examples", "0" } },
            { "negative epsilon", 2, "--epsilons takes non-negative numbers in 1/255, got '-2'", new[] { "robustness", "inception-mini", "--epsilons", "0,-2" } },
            { "shape bias without cues", 2, "classes are (shape, texture) pairs", new[] { "shape-bias", "fashion-cnn" } },
            { "shape bias without steps", 2, "--steps must be positive, got 0", new[] { "shape-bias", "inception-mini", "--steps", "0" } },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadInput_IsOneLineAndAnExitCode(string what, int expected, string fragment, string[] args)
    {
        var (code, _, error) = Lucid.Run(args);
        Assert.True(code == expected, $"{what}: exit code {code}, expected {expected}; stderr: {error}");
        Assert.Contains(fragment, error);
        Assert.DoesNotContain("   at ", error);           // no stack trace
        if (expected == 2)
        {
            Assert.Single(error.TrimEnd().Split('\n'));
            Assert.StartsWith("lucid: ", error);
            var (verboseCode, _, verbose) = Lucid.Run(args.Append("--verbose").ToArray());
            Assert.Equal(expected, verboseCode);
            Assert.Contains("   at ", verbose);          // --verbose adds the trace
            var (_, json, _) = Lucid.Run(args.Append("--json").ToArray());
            Assert.Equal(2, JsonDocument.Parse(json).RootElement.GetProperty("error").GetProperty("code").GetInt32());
        }
    }
}

[CollectionDefinition("cli", DisableParallelization = true)]
public class CliCollection;
