using Lucid.Models.Onnx;
using Lucid.Tensors;

namespace Lucid.RealNetworks.Tests;

/// <summary>
/// A small ResNet written by our ONNX writer the way torch.onnx.export writes torchvision's: bias-free convolutions,
/// BatchNormalization, Relu, residual Add, a 1×1/2 shortcut with its own BatchNormalization, GlobalAveragePool,
/// Flatten and Gemm — with dynamic batch, height and width ("N", "H", "W" axes).
/// </summary>
internal static class ResNetOnnx
{
    public const int Classes = 5;

    public static byte[] Write(ulong seed = 3, bool dynamicAxes = true)
    {
        var rng = new Rng(seed);
        var nodes = new List<OnnxNode>();
        var init = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        int id = 0;
        void Param(string name, float[] values, params long[] dims) => init[name] = new OnnxTensor(name, OnnxDataType.Float, dims, values, null);
        float[] Random(int count, float low, float high) { using var t = rng.Uniform(new[] { count }, low, high); return t.ToArray(); }
        string Node(string op, string[] inputs, params OnnxAttribute[] attributes)
        {
            string output = $"/{op.ToLowerInvariant()}_{id}/{op}_output_0";
            nodes.Add(new OnnxNode($"/{op}_{id++}", op, "", inputs, new[] { output }, attributes.ToDictionary(a => a.Name)));
            return output;
        }
        string ConvBn(string x, string name, int cin, int cout, int k, int stride, int pad)
        {
            float scale = MathF.Sqrt(2f / (cin * k * k));
            Param(name + ".weight", Random(cout * cin * k * k, -scale, scale), cout, cin, k, k);
            var conv = Node("Conv", new[] { x, name + ".weight" }, Ints("kernel_shape", k, k), Ints("pads", pad, pad, pad, pad), Ints("strides", stride, stride));
            Param(name + ".bn.weight", Random(cout, 0.5f, 1.5f), cout);
            Param(name + ".bn.bias", Random(cout, -0.2f, 0.2f), cout);
            Param(name + ".bn.running_mean", Random(cout, -0.1f, 0.1f), cout);
            Param(name + ".bn.running_var", Random(cout, 0.5f, 1.5f), cout);
            return Node("BatchNormalization", new[] { conv, name + ".bn.weight", name + ".bn.bias", name + ".bn.running_mean", name + ".bn.running_var" }, Float("epsilon", 1e-5f));
        }
        string Block(string x, string name, int cin, int cout, int stride)
        {
            var y = Node("Relu", new[] { ConvBn(x, name + ".conv1", cin, cout, 3, stride, 1) });
            y = ConvBn(y, name + ".conv2", cout, cout, 3, 1, 1);
            var shortcut = stride == 1 && cin == cout ? x : ConvBn(x, name + ".downsample", cin, cout, 1, stride, 0);
            return Node("Relu", new[] { Node("Add", new[] { y, shortcut }) });
        }
        var x = Node("Relu", new[] { ConvBn("input", "conv1", 3, 8, 3, 2, 1) });
        x = Block(x, "layer1.0", 8, 8, 1);
        x = Block(x, "layer2.0", 8, 16, 2);
        x = Node("GlobalAveragePool", new[] { x });
        x = Node("Flatten", new[] { x }, Int("axis", 1));
        Param("fc.weight", Random(Classes * 16, -0.5f, 0.5f), Classes, 16);
        Param("fc.bias", Random(Classes, -0.1f, 0.1f), Classes);
        var logits = Node("Gemm", new[] { x, "fc.weight", "fc.bias" }, Int("transB", 1));
        long[] inputDims = dynamicAxes ? new long[] { -1, 3, -1, -1 } : new long[] { -1, 3, 32, 32 };
        var graph = new OnnxGraph("resnet_like", nodes.ToArray(), init,
            new[] { new OnnxValueInfo("input", OnnxDataType.Float, inputDims) },
            new[] { new OnnxValueInfo(logits, OnnxDataType.Float, new long[] { -1, Classes }) });
        return OnnxWriter.Write(new OnnxModelProto(8, new Dictionary<string, long> { [""] = 13 }, graph));
    }

    public static string Save(byte[] bytes)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lucid-resnet-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static OnnxAttribute Ints(string name, params long[] v) => new(name, 7, 0, 0, null, null, Array.Empty<float>(), v);
    private static OnnxAttribute Int(string name, long v) => new(name, 2, 0, v, null, null, Array.Empty<float>(), Array.Empty<long>());
    private static OnnxAttribute Float(string name, float v) => new(name, 1, v, 0, null, null, Array.Empty<float>(), Array.Empty<long>());
}
