using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Lucid.Dsl.Generators.Tests;

/// <summary>
/// Every diagnostic of the catalogue: triggered at the exact span marked in the source (<c>{|LUCID002:97|}</c>), and
/// absent from the valid twin of the same declaration.
/// </summary>
public class DiagnosticTests
{
    private const string FashionPath = "/project/models/fashion-cnn/fashion-cnn.schema.json";

    public static TheoryData<string, string, string> Cases => new()
    {
        {
            "LUCID001",
            """[Objective] public partial class O { [Channel({|LUCID001:"mixed4x"|}, 3)] public partial Term T { get; } }""",
            """[Objective] public partial class O { [Channel("mixed4a", 3)] public partial Term T { get; } }"""
        },
        {
            "LUCID002",
            """[Objective] public partial class O { [Channel("mixed4a", {|LUCID002:156|})] public partial Term T { get; } }""",
            """[Objective] public partial class O { [Channel("mixed4a", 155)] public partial Term T { get; } }"""
        },
        {
            "LUCID003",
            """[Objective] public partial class O { [ClassLogit({|LUCID003:"striped circel"|})] public partial Term T { get; } }""",
            """[Objective] public partial class O { [ClassLogit("striped circle")] public partial Term T { get; } }"""
        },
        {
            "LUCID004",
            """[Objective] public partial class O { [Neuron("mixed4a", 3, X = {|LUCID004:4|}, Y = 0)] public partial Term T { get; } }""",
            """[Objective] public partial class O { [Neuron("mixed4a", 3, X = 3, Y = 0)] public partial Term T { get; } }"""
        },
        {
            "LUCID007",
            """[FourierImage(Width = 64)] public class {|LUCID007:Canvas|} { }""",
            """[FourierImage(Width = 64)] public partial class Canvas { }"""
        },
        {
            "LUCID009",
            """[Attribution(typeof(InceptionMini), AttributionKind.LayerGradientXActivation, TargetTap = "mixed4a_3x3_pre_relu", TargetChannel = 0, Layer = {|LUCID009:"mixed4a_1x1_pre_relu"|})] public partial class A;""",
            """[Attribution(typeof(InceptionMini), AttributionKind.LayerGradientXActivation, TargetTap = "mixed4a_3x3_pre_relu", TargetChannel = 0, Layer = "mixed4a_3x3_bottleneck")] public partial class A;"""
        },
        {
            "LUCID010",
            """[Objective] public partial class O { [Channel("mixed4a", 1)] public partial Term T { get; } } [FourierImage(Width = 64)] public partial class C; [Render(typeof(C), typeof(O), Steps = {|LUCID010:0|})] public partial class R;""",
            """[Objective] public partial class O { [Channel("mixed4a", 1)] public partial Term T { get; } } [FourierImage(Width = 64)] public partial class C; [Render(typeof(C), typeof(O), Steps = 1)] public partial class R;"""
        },
        {
            "LUCID011",
            """[Objective] public partial class O { [Channel("mixed4a", 1)] public partial Term T { get; } } [FourierImage(Alpha = true)] public partial class C; [Render({|LUCID011:typeof(C)|}, typeof(O))] public partial class R;""",
            """[Objective] public partial class O { [Channel("mixed4a", 1)] public partial Term T { get; } } [FourierImage(Alpha = true)] public partial class C; [TransformSet, CollapseAlpha, StandardTransforms] public partial class S; [Render(typeof(C), typeof(O), Transforms = typeof(S))] public partial class R;"""
        },
        {
            "LUCID012",
            """[Attribution(typeof(InceptionMini), AttributionKind.Lrp, Class = "solid ring"), LrpRule({|LUCID012:"conv2d0"|}, LrpRuleKind.Flat)] public partial class A;""",
            """[Attribution(typeof(InceptionMini), AttributionKind.Lrp, Class = "solid ring"), LrpRule("conv2d0_pre_relu", LrpRuleKind.Flat)] public partial class A;"""
        },
        {
            "LUCID013",
            """[Objective] public partial class O { [Channel("mixed4a", 1, Name = "unit")] public partial Term A { get; } [Channel("mixed4a", 2, Name = {|LUCID013:"unit"|})] public partial Term B { get; } }""",
            """[Objective] public partial class O { [Channel("mixed4a", 1, Name = "unit1")] public partial Term A { get; } [Channel("mixed4a", 2, Name = "unit2")] public partial Term B { get; } }"""
        },
        {
            "LUCID015",
            """[Objective] public partial class O { [Direction("mixed3a_5x5_bottleneck", {|LUCID015:1, 2, 3|})] public partial Term T { get; } }""",
            """[Objective] public partial class O { [Direction("mixed3a_5x5_bottleneck", 1, 2, 3, 4, 5, 6, 7, 8)] public partial Term T { get; } }"""
        },
        {
            "LUCID016",
            """[Objective] public partial class O { [Channel("mixed4a", 1)] public partial Term T { get; } } public partial class NotAnImage; [Render({|LUCID016:typeof(NotAnImage)|}, typeof(O))] public partial class R;""",
            """[Objective] public partial class O { [Channel("mixed4a", 1)] public partial Term T { get; } } [PixelImage] public partial class NotAnImage; [Render(typeof(NotAnImage), typeof(O))] public partial class R;"""
        },
        {
            "LUCID017",
            """[Objective] public partial class O { [Channel("mixed4a", 1)] public Term {|LUCID017:T|} => null!; }""",
            """[Objective] public partial class O { [Channel("mixed4a", 1)] public partial Term T { get; } }"""
        },
        {
            "LUCID018",
            """[Objective] public partial class O { [Channel("mixed4a", 1, Batch = {|LUCID018:2|})] public partial Term T { get; } } [FourierImage(Batch = 2)] public partial class C; [Render(typeof(C), typeof(O))] public partial class R;""",
            """[Objective] public partial class O { [Channel("mixed4a", 1, Batch = 1)] public partial Term T { get; } } [FourierImage(Batch = 2)] public partial class C; [Render(typeof(C), typeof(O))] public partial class R;"""
        },
        {
            "LUCID019",
            """[Attribution(typeof(InceptionMini), {|LUCID019:AttributionKind.GradCam|}, Class = "solid ring")] public partial class A;""",
            """[Attribution(typeof(InceptionMini), AttributionKind.GradCam, Class = "solid ring", Layer = "mixed4b")] public partial class A;"""
        },
        {
            "LUCID020",
            """[Interface(typeof(InceptionMini))] [NeuronGroupsPanel({|LUCID020:"logits"|})] public partial class L;""",
            """[Interface(typeof(InceptionMini))] [NeuronGroupsPanel("mixed4b")] public partial class L;"""
        },
        {
            "LUCID021",
            """[Interface(typeof(InceptionMini))] [NeuronGroupsPanel("mixed3a_5x5_bottleneck", Groups = {|LUCID021:9|})] public partial class L;""",
            """[Interface(typeof(InceptionMini))] [NeuronGroupsPanel("mixed3a_5x5_bottleneck", Groups = 8)] public partial class L;"""
        },
        {
            "LUCID100",
            """[Objective] public partial class {|LUCID100:O|} { [TotalVariation] public partial Term T { get; } }""",
            """[Objective] public partial class O { [TotalVariation] public partial Term T { get; } [Channel("mixed4a", 1)] public partial Term U { get; } }"""
        },
        {
            "LUCID101",
            """[FourierImage(DecayPower = {|LUCID101:3|})] public partial class C;""",
            """[FourierImage(DecayPower = 1.5)] public partial class C;"""
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Diagnostic_IsReportedAtTheMarkedSpan_AndNotOnItsValidTwin(string id, string invalid, string valid)
    {
        AssertDiagnostics(GeneratorHarness.Binding + invalid);
        var clean = GeneratorHarness.RunWithInceptionMini(GeneratorHarness.Binding + valid);
        Assert.Empty(clean.GeneratorDiagnostics);
        Assert.Empty(clean.CompilationProblems);
        Assert.StartsWith("LUCID", id);
    }

    /// <summary>The layout checks of <c>[Interface]</c>: every panel's taps, counts, classes and layer order.</summary>
    public static TheoryData<string, string> InterfaceCases => new()
    {
        { "unknown tap", """[Interface(typeof(InceptionMini))] [ActivationGridPanel({|LUCID001:"mixed9z"|})] public partial class L;""" },
        { "unknown 'to' tap", """[Interface(typeof(InceptionMini))] [SpatialAttributionPanel("mixed3b", {|LUCID001:"mixed4x"|})] public partial class L;""" },
        { "more groups than the earlier layer's 128 channels (mixed4a's 156 would allow 140)",
          """[Interface(typeof(InceptionMini))] [GroupFlowPanel("mixed3b", "mixed4a", Groups = {|LUCID021:140|})] public partial class L;""" },
        { "a top count of zero", """[Interface(typeof(InceptionMini))] [SemanticDictionaryPanel("mixed4a", Top = {|LUCID021:0|})] public partial class L;""" },
        { "unknown class", """[Interface(typeof(InceptionMini))] [ChannelAttributionPanel("mixed4a", Class = {|LUCID003:"solid rings"|})] public partial class L;""" },
        { "layers in the wrong order", """[Interface(typeof(InceptionMini))] [SpatialAttributionPanel({|LUCID009:"mixed4a"|}, "mixed3b")] public partial class L;""" },
        { "a flat tap for groups", """[Interface(typeof(InceptionMini))] [GroupFlowPanel("mixed4b", {|LUCID020:"logits"|})] public partial class L;""" },
        { "no panels", """[Interface(typeof(InceptionMini))] public partial class {|LUCID019:L|};""" },
        { "a bad row", """[Interface(typeof(InceptionMini))] [ActivationGridPanel("mixed4a", Row = {|LUCID010:-2|})] public partial class L;""" },
        { "a model that is not a binding", """[Interface({|LUCID016:typeof(string)|})] [ActivationGridPanel("mixed4a")] public partial class L;""" },
        { "not partial", """[Interface(typeof(InceptionMini))] [ActivationGridPanel("mixed4a")] public class {|LUCID007:L|} { }""" },
    };

    [Theory]
    [MemberData(nameof(InterfaceCases))]
    public void InterfaceLayout_IsCheckedAgainstTheSchema(string what, string marked)
    {
        Assert.NotEmpty(what);
        AssertDiagnostics(GeneratorHarness.Binding + marked);
    }

    [Fact]
    public void GroupCountAboveTheChannels_NamesTheTapAndTheValidRange()
    {
        var run = GeneratorHarness.RunWithInceptionMini(GeneratorHarness.Binding +
            """[Interface(typeof(InceptionMini))] [NeuronGroupsPanel("mixed3a_5x5_bottleneck", Groups = 9)] public partial class L;""");
        Assert.Equal("L: [NeuronGroupsPanel] Groups = 9 is out of range: tap 'mixed3a_5x5_bottleneck' of model 'inception-mini' has 8 channels (valid: 1 to 8)",
            Assert.Single(run.GeneratorDiagnostics).GetMessage());
    }

    [Fact]
    public void UnknownTap_SuggestsTheNearestTap()
    {
        var run = GeneratorHarness.RunWithInceptionMini(GeneratorHarness.Binding + """[Objective] public partial class O { [Channel("mixed4x", 3)] public partial Term T { get; } }""");
        var d = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("Model 'inception-mini' has no tap 'mixed4x' (did you mean 'mixed4a'?)", d.GetMessage());
        Assert.Equal(LocationKind.SourceFile, d.Location.Kind);   // a tree location: #pragma warning disable applies
        Assert.Equal(Diagnostics.HelpRoot + "LUCID001.md", d.Descriptor.HelpLinkUri);
    }

    [Fact]
    public void MissingSchema_IsReportedAtThePath()
    {
        AssertDiagnostics("""
            using Lucid.Dsl;
            [LucidModel({|LUCID005:"models/nothing/nothing.schema.json"|})] public static partial class Nothing;
            """);
    }

    [Fact]
    public void MalformedSchema_IsReportedWithItsLineAndColumn()
    {
        var broken = new InMemoryAdditionalText("/project/models/broken.schema.json", "{\n  \"format\": \"lucid-model-schema\",\n  \"taps\": [1, 2,,]\n}");
        var source = """
            using Lucid.Dsl;
            [LucidModel({|LUCID006:"models/broken.schema.json"|})] public static partial class Broken;
            """;
        AssertDiagnostics(source, broken);
        var run = GeneratorHarness.Run(source.Replace("{|LUCID006:", "").Replace("|}", ""), broken);
        Assert.Contains("at line 3, column 17: unexpected character ','", Assert.Single(run.GeneratorDiagnostics).GetMessage());
    }

    [Fact]
    public void ObjectiveMixingModels_IsReportedAtTheTermsModel()
    {
        var source = GeneratorHarness.Binding + """
            [LucidModel("models/fashion-cnn/fashion-cnn.schema.json")] public static partial class FashionCnn;
            [Objective(typeof(InceptionMini))]
            public partial class O
            {
                [Channel("mixed4a", 1)] public partial Term A { get; }
                [Channel("conv1", 1, Model = {|LUCID008:typeof(FashionCnn)|})] public partial Term B { get; }
            }
            """;
        AssertDiagnostics(source, Fashion());
    }

    [Fact]
    public void ObjectiveWithoutModel_IsReportedWhenTheProjectBindsNoneOrSeveral()
    {
        AssertDiagnostics("""
            using Lucid.Dsl;
            [Objective] public partial class {|LUCID014:O|} { [Channel("mixed4a", 1)] public partial Term T { get; } }
            """);
        AssertDiagnostics(GeneratorHarness.Binding + """
            [LucidModel("models/fashion-cnn/fashion-cnn.schema.json")] public static partial class FashionCnn;
            [Objective] public partial class {|LUCID014:O|} { [Channel("mixed4a", 1)] public partial Term T { get; } }
            """, Fashion());
    }

    [Fact]
    public void ImageSmallerThanItsTransformsAccept_IsAnImageTheModelCannotAccept()
    {
        AssertDiagnostics(GeneratorHarness.Binding + """
            [Objective] public partial class O { [Channel("mixed4a", 1)] public partial Term T { get; } }
            [PixelImage(Width = 16)] public partial class C;
            [TransformSet, Pad(2, Mode = PadMode.Reflect), Jitter(20)] public partial class S;
            [Render({|LUCID011:typeof(C)|}, typeof(O), Transforms = typeof(S))] public partial class R;
            """);
        // 17 + 2·2 = 21 pixels leave one after a 20-pixel jitter
        var run = GeneratorHarness.RunWithInceptionMini(GeneratorHarness.Binding + """
            [Objective] public partial class O { [Channel("mixed4a", 1)] public partial Term T { get; } }
            [PixelImage(Width = 17)] public partial class C;
            [TransformSet, Pad(2, Mode = PadMode.Reflect), Jitter(20)] public partial class S;
            [Render(typeof(C), typeof(O), Transforms = typeof(S))] public partial class R;
            """);
        Assert.Empty(run.GeneratorDiagnostics);
    }

    [Fact]
    public void RenderOnAGrayscaleModel_IsAnImageTheModelCannotAccept()
    {
        AssertDiagnostics("""
            using Lucid.Dsl;
            [LucidModel("models/fashion-cnn/fashion-cnn.schema.json")] public static partial class FashionCnn;
            [Objective] public partial class O { [Channel("conv2", 1)] public partial Term T { get; } }
            [PixelImage(Width = 28)] public partial class C;
            [Render({|LUCID011:typeof(C)|}, typeof(O))] public partial class R;
            """, Fashion());
    }

    [Fact]
    public void Catalogue_EveryDiagnosticHasAHelpPageAReleaseEntryAndATest()
    {
        var root = GeneratorHarness.RepositoryRoot();
        var releases = File.ReadAllText(Path.Combine(root, "generators", "Lucid.Dsl.Generators", "AnalyzerReleases.Unshipped.md"));
        var tests = File.ReadAllText(Path.Combine(root, "tests", "Lucid.Dsl.Generators.Tests", "DiagnosticTests.cs"));
        Assert.Equal(Diagnostics.All.Count, Diagnostics.All.Select(d => d.Id).Distinct().Count());
        foreach (var d in Diagnostics.All)
        {
            var page = Path.Combine(root, "docs", "diagnostics", d.Id + ".md");
            Assert.True(File.Exists(page), $"{d.Id} has no page {page}");
            Assert.StartsWith($"# {d.Id}: {d.Title}", File.ReadAllText(page));
            Assert.Contains($"{d.Id} | Lucid.Dsl | {d.DefaultSeverity}", releases);
            Assert.Contains("{|" + d.Id + ":", tests);
        }
    }

    private static InMemoryAdditionalText Fashion() =>
        new(FashionPath, File.ReadAllText(Path.Combine(GeneratorHarness.RepositoryRoot(), "models", "fashion-cnn", "fashion-cnn.schema.json")));

    /// <summary>Runs the generator on marked-up source and asserts exactly the marked diagnostics, at their spans.</summary>
    internal static void AssertDiagnostics(string markedSource, params AdditionalText[] extraFiles)
    {
        var (source, expected) = Markup(markedSource);
        var files = new List<AdditionalText> { new InMemoryAdditionalText(GeneratorHarness.InceptionMiniPath, GeneratorHarness.InceptionMiniSchema) };
        files.AddRange(extraFiles);
        var run = GeneratorHarness.Run(source, files.ToArray());
        var actual = run.GeneratorDiagnostics.Select(d => (d.Id, d.Location.SourceSpan.Start, d.Location.SourceSpan.End)).OrderBy(x => x.Start).ThenBy(x => x.Id).ToList();
        Assert.True(expected.SequenceEqual(actual),
            $"expected [{string.Join(", ", expected)}] but got [{string.Join(", ", run.GeneratorDiagnostics.Select(d => $"{d.Id} {d.Location.SourceSpan} '{d.GetMessage()}'"))}]");
        foreach (var d in run.GeneratorDiagnostics) Assert.Equal(LocationKind.SourceFile, d.Location.Kind);
        // the user's code plus what was generated compiles, apart from what the markup expects
        Assert.DoesNotContain(run.CompilationProblems, p => p.Severity == DiagnosticSeverity.Error && p.Id != "CS9248" && !p.Id.StartsWith("CS0260"));
    }

    private static (string Source, List<(string Id, int Start, int End)> Spans) Markup(string marked)
    {
        var spans = new List<(string, int, int)>();
        var text = new System.Text.StringBuilder();
        int i = 0;
        var open = new Regex(@"\{\|(LUCID\d{3}):");
        while (i < marked.Length)
        {
            var m = open.Match(marked, i);
            if (!m.Success) { text.Append(marked, i, marked.Length - i); break; }
            text.Append(marked, i, m.Index - i);
            int close = marked.IndexOf("|}", m.Index + m.Length, StringComparison.Ordinal);
            int start = text.Length;
            text.Append(marked, m.Index + m.Length, close - m.Index - m.Length);
            spans.Add((m.Groups[1].Value, start, text.Length));
            i = close + 2;
        }
        return (text.ToString(), spans.OrderBy(s => s.Item2).ThenBy(s => s.Item1).ToList());
    }
}
