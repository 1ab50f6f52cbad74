using Lucid.Models.Graph;
using Lucid.Models.Onnx;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Models.Tests;

/// <summary>
/// A GoogLeNet-style network written by our ONNX writer with the op patterns of PyTorch's exporter (Conv and Relu as
/// separate nodes, ceil-mode MaxPool, LRN, Inception branches joined by Concat, Flatten as Shape→Gather→Unsqueeze→
/// Concat→Reshape, Gemm with transB) imports, matches the same network built on the engine bit for bit, and exports a
/// schema listing every tap with its shape.
/// </summary>
public class OnnxImportTests
{
    private sealed class GraphSketch
    {
        public readonly List<OnnxNode> Nodes = new();
        public readonly Dictionary<string, OnnxTensor> Initializers = new(StringComparer.Ordinal);
        private readonly Rng _rng = new(21);
        private int _id;

        public Tensor Weight(string name, params int[] shape)
        {
            var t = _rng.Normal(shape, 0f, 0.2f);
            Initializers[name] = new OnnxTensor(name, OnnxDataType.Float, shape.Select(d => (long)d).ToArray(), t.ToArray(), null);
            return t;
        }

        public string Node(string op, string[] inputs, params OnnxAttribute[] attributes)
        {
            string output = $"/{op.ToLowerInvariant()}_{_id}/{op}_output_0";
            Nodes.Add(new OnnxNode($"/{op}_{_id++}", op, "", inputs, new[] { output }, attributes.ToDictionary(a => a.Name)));
            return output;
        }

        public static OnnxAttribute Ints(string name, params long[] v) => new(name, 7, 0, 0, null, null, Array.Empty<float>(), v);
        public static OnnxAttribute Int(string name, long v) => new(name, 2, 0, v, null, null, Array.Empty<float>(), Array.Empty<long>());
        public static OnnxAttribute Float(string name, float v) => new(name, 1, v, 0, null, null, Array.Empty<float>(), Array.Empty<long>());
        public static OnnxAttribute Tensor(string name, OnnxTensor t) => new(name, 4, 0, 0, null, t, Array.Empty<float>(), Array.Empty<long>());
    }

    private static (byte[] Onnx, Model Engine) BuildInceptionLike()
    {
        var g = new GraphSketch();
        var b = new List<ModelNode>();
        var shapes = new Dictionary<string, int[]> { ["input"] = new[] { 3, 32, 32 } };
        string last = "input";
        void Engine(string tap, Layer layer, params string[] inputs)
        {
            b.Add(new ModelNode(tap, layer, inputs, layer.OutputShape(inputs.Select(i => shapes[i]).ToList())));
            shapes[tap] = b[^1].OutputShape;
            last = tap;
        }
        string ConvRelu(string onnxIn, string engineIn, string name, int cin, int cout, int k, int pad)
        {
            var w = g.Weight(name + ".weight", cout, cin, k, k);
            var bias = g.Weight(name + ".bias", cout);
            var conv = g.Node("Conv", new[] { onnxIn, name + ".weight", name + ".bias" },
                GraphSketch.Ints("kernel_shape", k, k), GraphSketch.Ints("pads", pad, pad, pad, pad), GraphSketch.Ints("strides", 1, 1));
            Engine(name + "_pre_relu", new Conv2dLayer(w, bias, 1, pad), engineIn);
            var relu = g.Node("Relu", new[] { conv });
            Engine(name, ActivationLayer.Relu(), name + "_pre_relu");
            return relu;
        }

        var x = ConvRelu("input", "input", "conv1", 3, 8, 3, 1);
        x = g.Node("MaxPool", new[] { x }, GraphSketch.Ints("kernel_shape", 3, 3), GraphSketch.Ints("strides", 2, 2), GraphSketch.Int("ceil_mode", 1));
        Engine("pool1", new Pool2dLayer(max: true, 3, 2, 0, ceilMode: true), "conv1");
        x = g.Node("LRN", new[] { x }, GraphSketch.Int("size", 5), GraphSketch.Float("alpha", 1e-4f), GraphSketch.Float("beta", 0.75f), GraphSketch.Float("bias", 1f));
        Engine("lrn1", new LrnLayer(5), "pool1");
        var b1 = ConvRelu(x, "lrn1", "mixed_1x1", 8, 4, 1, 0);
        var b2 = ConvRelu(ConvRelu(x, "lrn1", "mixed_3x3_reduce", 8, 4, 1, 0), "mixed_3x3_reduce", "mixed_3x3", 4, 6, 3, 1);
        var b3 = ConvRelu(ConvRelu(x, "lrn1", "mixed_5x5_reduce", 8, 2, 1, 0), "mixed_5x5_reduce", "mixed_5x5", 2, 3, 5, 2);
        var pool = g.Node("MaxPool", new[] { x }, GraphSketch.Ints("kernel_shape", 3, 3), GraphSketch.Ints("strides", 1, 1), GraphSketch.Ints("pads", 1, 1, 1, 1));
        Engine("mixed_pool", new Pool2dLayer(max: true, 3, 1, 1), "lrn1");
        var b4 = ConvRelu(pool, "mixed_pool", "mixed_pool_reduce", 8, 3, 1, 0);
        x = g.Node("Concat", new[] { b1, b2, b3, b4 }, GraphSketch.Int("axis", 1));
        Engine("mixed", new ConcatLayer(), "mixed_1x1", "mixed_3x3", "mixed_5x5", "mixed_pool_reduce");
        // flatten the way torch.onnx exports x.view(x.size(0), -1)
        var shape = g.Node("Shape", new[] { x });
        var zero = g.Node("Constant", Array.Empty<string>(), GraphSketch.Tensor("value", new OnnxTensor("zero", OnnxDataType.Int64, Array.Empty<long>(), null, new long[] { 0 })));
        var batch = g.Node("Gather", new[] { shape, zero }, GraphSketch.Int("axis", 0));
        var axes = g.Node("Constant", Array.Empty<string>(), GraphSketch.Tensor("value", new OnnxTensor("axes", OnnxDataType.Int64, new long[] { 1 }, null, new long[] { 0 })));
        var batch1 = g.Node("Unsqueeze", new[] { batch, axes });
        var minusOne = g.Node("Constant", Array.Empty<string>(), GraphSketch.Tensor("value", new OnnxTensor("m1", OnnxDataType.Int64, new long[] { 1 }, null, new long[] { -1 })));
        var target = g.Node("Concat", new[] { batch1, minusOne }, GraphSketch.Int("axis", 0));
        x = g.Node("Reshape", new[] { x, target });
        Engine("flatten", new FlattenLayer(), "mixed");
        var fw = g.Weight("fc.weight", 10, 16 * 16 * 16);
        var fb = g.Weight("fc.bias", 10);
        var logits = g.Node("Gemm", new[] { x, "fc.weight", "fc.bias" }, GraphSketch.Int("transB", 1), GraphSketch.Float("alpha", 1f), GraphSketch.Float("beta", 1f));
        Engine("logits", new LinearLayer(fw, fb), "flatten");

        var graph = new OnnxGraph("inception_like", g.Nodes.ToArray(), g.Initializers,
            new[] { new OnnxValueInfo("input", OnnxDataType.Float, new long[] { -1, 3, 32, 32 }) },
            new[] { new OnnxValueInfo(logits, OnnxDataType.Float, new long[] { -1, 10 }) });
        var bytes = OnnxWriter.Write(new OnnxModelProto(8, new Dictionary<string, long> { [""] = 13 }, graph));
        var engine = new Model("inception-like", new ModelInput(new[] { 3, 32, 32 }, 0f, 1f), b, Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray());
        return (bytes, engine);
    }

    /// <summary>
    /// MaxPool with asymmetric pads (CNTK writes [1, 1, 0, 0]): whichever way the importer pools — symmetric pads where
    /// no window reaches the extra end rows, an explicit −∞ pad otherwise — the result equals pooling the explicitly
    /// padded input, for random kernels, strides, sizes and pads.
    /// </summary>
    [Fact]
    public void MaxPoolWithAsymmetricPads_EqualsPoolingTheExplicitlyPaddedInput()
    {
        var rng = new Rng(5);
        for (int trial = 0; trial < 60; trial++)
        {
            int k = rng.NextInt(2, 4), s = rng.NextInt(1, 3), h = rng.NextInt(k + 1, 12), w = rng.NextInt(k + 1, 12);
            int t = rng.NextInt(0, k / 2 + 1), l = rng.NextInt(0, k / 2 + 1), b = rng.NextInt(0, t + 1), r = rng.NextInt(0, l + 1);
            var g = new GraphSketch();
            var y = g.Node("MaxPool", new[] { "input" }, GraphSketch.Ints("kernel_shape", k, k), GraphSketch.Ints("strides", s, s), GraphSketch.Ints("pads", t, l, b, r));
            var graph = new OnnxGraph("pool", g.Nodes.ToArray(), g.Initializers,
                new[] { new OnnxValueInfo("input", OnnxDataType.Float, new long[] { -1, 2, h, w }) },
                new[] { new OnnxValueInfo(y, OnnxDataType.Float, new long[] { -1, 2, -1, -1 }) });
            var bytes = OnnxWriter.Write(new OnnxModelProto(8, new Dictionary<string, long> { [""] = 13 }, graph));
            var model = OnnxImporter.ToModel(new OnnxSession(OnnxProto.ReadModel(bytes, "pool.onnx"), "pool.onnx"), "pool");
            using var x = rng.Normal(new[] { 1, 2, h, w });
            using var expected = Ops.MaxPool2d(Ops.Pad(x, new[] { l, r, t, b }, PadMode.Constant, float.NegativeInfinity), k, s);
            using var actual = model.Forward(x);
            Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
            Assert.Equal(expected.ToArray(), actual.ToArray());
        }
    }

    [Fact]
    public void InceptionStyleExport_ImportsAndMatchesTheEngineNetworkExactly()
    {
        var (bytes, engine) = BuildInceptionLike();
        var imported = OnnxImporter.ToModel(new OnnxSession(OnnxProto.ReadModel(bytes, "inception.onnx"), "inception.onnx"), "inception-like");
        foreach (int batch in new[] { 1, 3 })
        {
            using var x = new Rng((ulong)batch).Uniform(new[] { batch, 3, 32, 32 });
            using var expected = engine.Forward(x);
            using var actual = imported.Forward(x);
            Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
            Assert.Equal(expected.ToArray(), actual.ToArray());
        }
    }

    [Fact]
    public void ImportedSchema_ListsEveryTapWithItsShape()
    {
        var (bytes, _) = BuildInceptionLike();
        var path = Path.Combine(Path.GetTempPath(), $"lucid-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(path, bytes);
            var schema = ModelSchema.From(OnnxImporter.Import(path, "inception-like"));
            var taps = schema.Taps.ToDictionary(t => t.Name, t => t);
            Assert.Equal(new[] { 3, 32, 32 }, taps["input"].Shape);
            Assert.Equal(new[] { 8, 32, 32 }, taps["_conv_0_Conv_output_0"].Shape);       // conv1 before its ReLU
            Assert.Equal("conv2d", taps["_conv_0_Conv_output_0"].Kind);
            Assert.Equal(new[] { 8, 16, 16 }, taps.Values.Single(t => t.Kind == "local_response_norm").Shape); // ceil-mode pool: 32 → 16
            Assert.Equal(new[] { 16, 16, 16 }, taps.Values.Single(t => t.Kind == "concat" && t.Shape.Length == 3).Shape);
            Assert.Equal(new[] { 10 }, schema.Taps[^1].Shape);
            Assert.Equal("linear", schema.Taps[^1].Kind);
            Assert.Equal(10, schema.Labels.Length);
            Assert.All(schema.Taps, t => Assert.Matches("^[A-Za-z0-9_]+$", t.Name));
        }
        finally { File.Delete(path); }
    }
}
