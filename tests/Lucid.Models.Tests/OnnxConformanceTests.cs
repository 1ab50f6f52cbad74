using Lucid.Testing;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Models.Onnx;
using Lucid.Tensors.Autograd;
using Xunit;
using Xunit.Abstractions;

namespace Lucid.Models.Tests;

/// <summary>
/// ONNX's own conformance data (Debian libonnx-testdata): every test case whose ops, attributes, ranks and element
/// types the importer supports must reproduce the expected outputs within the suite's own tolerance (ONNX's backend
/// test runner: rtol 1e-3, atol 1e-7): |ours − expected| ≤ 1e-7 + 1e-3·|expected|.
/// </summary>
public class OnnxConformanceTests(ITestOutputHelper output)
{
    public const string DataDirectory = "/usr/share/libonnx-testdata/data";
    private static readonly string[] Suites = { "node", "pytorch-converted", "pytorch-operator", "simple" };

    [RequiresDataFact(DataDirectory, "libonnx-testdata")]
    public void EveryApplicableCase_MatchesItsExpectedOutputs()
    {
        int passed = 0, total = 0;
        var failures = new List<string>();
        var unsupported = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var notApplicable = new List<string>();
        foreach (var suite in Suites)
        {
            var suiteDir = Path.Combine(DataDirectory, suite);
            if (!Directory.Exists(suiteDir)) continue;
            foreach (var caseDir in Directory.GetDirectories(suiteDir).OrderBy(d => d, StringComparer.Ordinal))
            {
                string name = $"{suite}/{Path.GetFileName(caseDir)}";
                var modelPath = Path.Combine(caseDir, "model.onnx");
                if (!File.Exists(modelPath)) continue;
                OnnxSession session;
                try
                {
                    session = OnnxSession.Load(modelPath);
                }
                catch (OnnxUnsupportedException e)
                {
                    var key = ReasonKey(e.Message);
                    unsupported[key] = unsupported.GetValueOrDefault(key) + 1;
                    continue;
                }
                var inputs = session.Inputs.ToArray();
                if (inputs.Any(i => i.ElementType is not (OnnxDataType.Float or OnnxDataType.Int64)) ||
                    session.Graph.Outputs.Any(o => o.ElementType != OnnxDataType.Float))
                {
                    notApplicable.Add(name);
                    continue;
                }
                foreach (var dataDir in Directory.GetDirectories(caseDir, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal))
                {
                    total++;
                    try
                    {
                        string? failure = RunCase(session, dataDir, inputs);
                        if (failure is null) passed++;
                        else failures.Add($"{name}/{Path.GetFileName(dataDir)}: {failure}");
                    }
                    catch (OnnxUnsupportedException e)
                    {
                        total--;
                        var key = ReasonKey(e.Message);
                        unsupported[key] = unsupported.GetValueOrDefault(key) + 1;
                    }
                    catch (Exception e)
                    {
                        failures.Add($"{name}/{Path.GetFileName(dataDir)}: {e.GetType().Name}: {e.Message}");
                    }
                }
            }
        }
        var report = new StringBuilder();
        report.AppendLine($"{passed} passed, {failures.Count} failed of {total} applicable.");
        report.AppendLine($"skipped as unsupported: {string.Join(", ", unsupported.Select(p => $"{p.Key} ×{p.Value}"))}");
        report.AppendLine($"not applicable (non-float inputs or outputs): {notApplicable.Count}");
        foreach (var f in failures.Take(60)) report.AppendLine("FAIL " + f);
        output.WriteLine(report.ToString());
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "lucid-onnx-conformance.txt"), report.ToString());
        Assert.True(failures.Count == 0, report.ToString());
        Assert.True(passed >= 250, report.ToString());
    }

    private static string ReasonKey(string message)
    {
        int op = message.IndexOf("op '", StringComparison.Ordinal);
        if (op >= 0) return message.Substring(op + 4, message.IndexOf('\'', op + 4) - op - 4);
        int colon = message.IndexOf("): ", StringComparison.Ordinal);
        var text = colon >= 0 ? message[(colon + 3)..] : message;
        return text.Length > 60 ? text[..60] : text;
    }

    private static string? RunCase(OnnxSession session, string dataDir, OnnxValueInfo[] inputs)
    {
        var feeds = new Dictionary<string, OnnxValue>(StringComparer.Ordinal);
        for (int i = 0; i < inputs.Length; i++)
        {
            var file = Path.Combine(dataDir, $"input_{i}.pb");
            feeds[inputs[i].Name] = OnnxValue.From(OnnxProto.ReadTensor(File.ReadAllBytes(file), file));
        }
        using var _ = GradMode.NoGrad();
        var values = session.Run(feeds);
        var outputs = session.Graph.Outputs;
        for (int o = 0; o < outputs.Length; o++)
        {
            var file = Path.Combine(dataDir, $"output_{o}.pb");
            var expected = OnnxProto.ReadTensor(File.ReadAllBytes(file), file);
            var actual = values[outputs[o].Name];
            var expectedShape = expected.Dims.Select(d => (int)d).ToArray();
            if (!actual.Shape.SequenceEqual(expectedShape))
                return $"output {o} has shape [{string.Join(", ", actual.Shape)}], expected [{string.Join(", ", expectedShape)}]";
            var got = actual.Float!.ToArray();
            var want = expected.Floats!;
            for (int k = 0; k < want.Length; k++)
            {
                float g = got[k], w = want[k];
                if (float.IsNaN(w) && float.IsNaN(g)) continue;
                if (float.IsInfinity(w) && g == w) continue;
                if (!(Math.Abs(g - w) <= 1e-7 + 1e-3 * Math.Abs(w)))
                    return $"output {o} element {k}: got {g:G9}, expected {w:G9}";
            }
        }
        return null;
    }
}

public class OnnxRobustnessTests
{
    /// <summary>A model whose first node carries an If-style graph attribute nested <paramref name="depth"/> graphs deep.</summary>
    private static byte[] Nested(int depth)
    {
        var inner = new Lucid.Models.Onnx.Proto.GraphProto { Name = "innermost" };
        for (int d = 0; d < depth; d++)
        {
            var node = new Lucid.Models.Onnx.Proto.NodeProto { Name = $"if{d}", OpType = "If" };
            node.Attribute.Add(new Lucid.Models.Onnx.Proto.AttributeProto { Name = "then_branch", Type = 5, G = inner });
            inner = new Lucid.Models.Onnx.Proto.GraphProto { Name = $"level{d}" };
            inner.Node.Add(node);
        }
        var model = new Lucid.Models.Onnx.Proto.ModelProto { IrVersion = 8, Graph = inner };
        model.OpsetImport.Add(new Lucid.Models.Onnx.Proto.OperatorSetIdProto { Domain = "", Version = 17 });
        return Google.Protobuf.MessageExtensions.ToByteArray(model);
    }

    /// <summary>Graphs in attributes are read (and checked) to 32 levels; deeper ones — and absurdly deep ones, which the parser's own recursion limit stops — are a format error naming the file.</summary>
    [Fact]
    public void NestedGraphs_AreReadTo32Levels_AndRefusedBeyond()
    {
        var model = OnnxProto.ReadModel(Nested(32), "nested.onnx");
        Assert.Equal("level31", model.Graph.Name);
        var deeper = Assert.Throws<ModelFormatException>(() => OnnxProto.ReadModel(Nested(33), "deeper.onnx"));
        Assert.Contains("nest deeper than 32 levels", deeper.Message);
        Assert.Contains("deeper.onnx", deeper.Message);
        var absurd = Assert.Throws<ModelFormatException>(() => OnnxProto.ReadModel(Nested(5000), "absurd.onnx"));
        Assert.Contains("absurd.onnx", absurd.Message);
    }

    private static readonly Lazy<byte[]> ValidModel = new(() =>
        File.ReadAllBytes(Path.Combine(OnnxConformanceTests.DataDirectory, "node", "test_conv_with_strides_padding", "model.onnx")));

    [RequiresDataProperty(OnnxConformanceTests.DataDirectory, "libonnx-testdata", MaxTest = 2000, Arbitrary = new[] { typeof(Mutations) })]
    public void MutatedModels_OnlyEverRaiseLibraryErrors(Mutation m) =>
        Mutations.Apply<LucidException>(m, ValidModel.Value, file => _ = new OnnxSession(OnnxProto.ReadModel(file, "fuzz.onnx"), "fuzz.onnx"));

    [Fact]
    public void UnknownOp_IsNamedWithTheSupportedSet()
    {
        var node = new OnnxNode("n1", "FancyOp", "", new[] { "x" }, new[] { "y" }, new Dictionary<string, OnnxAttribute>());
        var graph = new OnnxGraph("g", new[] { node }, new Dictionary<string, OnnxTensor>(),
            new[] { new OnnxValueInfo("x", OnnxDataType.Float, new long[] { 1 }) }, new[] { new OnnxValueInfo("y", OnnxDataType.Float, null) });
        var e = Assert.Throws<OnnxUnsupportedException>(() => new OnnxSession(new OnnxModelProto(8, new Dictionary<string, long> { [""] = 17 }, graph), "m.onnx"));
        Assert.Contains("FancyOp", e.Message);
        Assert.Contains("n1", e.Message);
        Assert.Contains("Supported: Abs, Add", e.Message);
    }

    [Fact]
    public void GraphReadingAnUnproducedValue_IsRefused()
    {
        var node = new OnnxNode("n1", "Relu", "", new[] { "missing" }, new[] { "y" }, new Dictionary<string, OnnxAttribute>());
        var graph = new OnnxGraph("g", new[] { node }, new Dictionary<string, OnnxTensor>(),
            new[] { new OnnxValueInfo("x", OnnxDataType.Float, null) }, new[] { new OnnxValueInfo("y", OnnxDataType.Float, null) });
        var e = Assert.Throws<ModelFormatException>(() => new OnnxSession(new OnnxModelProto(8, new Dictionary<string, long> { [""] = 17 }, graph), "m.onnx"));
        Assert.Contains("'missing'", e.Message);
        Assert.Contains("m.onnx", e.Message);
    }
}
