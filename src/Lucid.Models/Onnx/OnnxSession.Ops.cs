using System.Text;
using Lucid.Tensors;

namespace Lucid.Models.Onnx;

public sealed partial class OnnxSession
{
    /// <summary>Every op type the importer maps (default ONNX domain).</summary>
    public static readonly IReadOnlySet<string> SupportedOps = new SortedSet<string>(StringComparer.Ordinal)
    {
        "Abs", "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "ConstantOfShape", "Conv",
        "ConvTranspose", "Div", "Dropout", "Elu", "Exp", "Flatten", "Gather", "Gemm", "GlobalAveragePool", "GlobalMaxPool",
        "Identity", "LeakyRelu", "Log", "LogSoftmax", "LRN", "MatMul", "Max", "MaxPool", "Mean", "Min", "Mul", "Neg", "Pad",
        "Pow", "Reciprocal", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceSum", "Relu", "Reshape", "Shape", "Sigmoid",
        "Resize", "Slice", "Softmax", "Softplus", "Split", "Sqrt", "Squeeze", "Sub", "Sum", "Tanh", "Transpose", "Unsqueeze",
        "Upsample",
    };

    private static readonly HashSet<string> Spatial = new(StringComparer.Ordinal)
        { "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LRN" };

    private void CheckSupported(OnnxNode node)
    {
        if (node.Domain is not ("" or "ai.onnx"))
            throw new OnnxUnsupportedException($"node '{Describe(node)}': domain '{node.Domain}' is not supported (only the default ONNX domain).");
        if (!SupportedOps.Contains(node.OpType))
            throw new OnnxUnsupportedException($"node '{Describe(node)}': op '{node.OpType}' is not supported. Supported: {string.Join(", ", SupportedOps)}.");
        string autoPad = Str(node, "auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID"))
            throw new OnnxUnsupportedException($"node '{Describe(node)}': auto_pad '{autoPad}' is not supported (give explicit pads).");
        if (node.OpType == "BatchNormalization" && Int(node, "training_mode", 0) != 0)
            throw new OnnxUnsupportedException($"node '{Describe(node)}': training-mode batch normalization is not supported.");
        if (node.OpType == "MaxPool" && Int(node, "storage_order", 0) != 0)
            throw new OnnxUnsupportedException($"node '{Describe(node)}': column-major MaxPool indices are not supported.");
        if (node.OpType is "Pad" && Str(node, "mode", "constant") is not ("constant" or "reflect" or "edge"))
            throw new OnnxUnsupportedException($"node '{Describe(node)}': pad mode '{Str(node, "mode", "")}' is not supported.");
        if (node.OpType == "ConvTranspose" && node.Attributes.ContainsKey("output_shape"))
            throw new OnnxUnsupportedException($"node '{Describe(node)}': ConvTranspose with output_shape is not supported (give pads).");
        var kernel = Ints(node, "kernel_shape");
        if (Spatial.Contains(node.OpType) && kernel is not null && kernel.Length != 2)
            throw new OnnxUnsupportedException($"node '{Describe(node)}': {kernel.Length}-D {node.OpType} is not supported; spatial ops take 4-D NCHW inputs.");
    }

    private static OnnxAttribute? Attr(OnnxNode node, string name) => node.Attributes.TryGetValue(name, out var a) ? a : null;
    private static long Int(OnnxNode node, string name, long fallback) => Attr(node, name)?.I ?? fallback;
    private static float Float(OnnxNode node, string name, float fallback) => Attr(node, name)?.F ?? fallback;
    private static long[]? Ints(OnnxNode node, string name) => Attr(node, name)?.Ints;
    private static string Str(OnnxNode node, string name, string fallback) => Attr(node, name)?.S is { } s ? Encoding.UTF8.GetString(s) : fallback;

    private static Tensor F(OnnxValue? v, OnnxNode node, int index)
    {
        if (v is null) throw new ModelException($"node '{Describe(node)}': input {index} is missing.");
        if (v.Float is not null) return v.Float;
        // integer data used as float (e.g. Cast chains folded into float math)
        return Tensor.FromArray(v.Ints!.Select(x => (float)x).ToArray(), v.Shape);
    }

    private static long[] I(OnnxValue? v, OnnxNode node, int index)
    {
        if (v is null) throw new ModelException($"node '{Describe(node)}': input {index} is missing.");
        if (v.Ints is not null) return v.Ints;
        return v.Float!.ToArray().Select(x => (long)x).ToArray();
    }

    private static OnnxValue[] One(Tensor t) => new[] { OnnxValue.Of(t) };

    private static void Require4D(Tensor x, OnnxNode node)
    {
        if (x.Rank != 4)
            throw new OnnxUnsupportedException($"node '{Describe(node)}': {node.OpType} on a rank-{x.Rank} input is not supported; spatial ops take 4-D NCHW inputs.");
    }

    private static int Axis(long axis, int rank, OnnxNode node)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new ModelException($"node '{Describe(node)}': axis {axis} is out of range for rank {rank}.");
        return (int)a;
    }

    /// <summary>(begin, end) padding per spatial dim from ONNX's [b1, b2, e1, e2]; symmetric or not.</summary>
    private static (int T, int L, int B, int R) Pads(OnnxNode node)
    {
        var p = Ints(node, "pads");
        if (p is null || p.Length == 0) return (0, 0, 0, 0);
        if (p.Length != 4) throw new ModelException($"node '{Describe(node)}': expected 4 pads for a 2-D op, got {p.Length}.");
        return ((int)p[0], (int)p[1], (int)p[2], (int)p[3]);
    }

    private static (int H, int W) Pair(OnnxNode node, string name, int fallback)
    {
        var v = Ints(node, name);
        return v is { Length: 2 } ? ((int)v[0], (int)v[1]) : (fallback, fallback);
    }

    internal OnnxValue[] Execute(OnnxNode node, OnnxValue?[] a)
    {
        switch (node.OpType)
        {
            case "Identity":
            case "Dropout":
                return a[0]!.Float is { } t ? One(Ops.Affine(t, 1f, 0f, "identity")) : new[] { a[0]! };
            case "Constant":
                return new[] { ConstantValue(node) };
            case "ConstantOfShape":
            {
                var shape = I(a[0], node, 0).Select(d => (int)d).ToArray();
                var value = Attr(node, "value")?.T;
                if (value?.Ints is { } ints) return new[] { OnnxValue.OfInts(Enumerable.Repeat(ints[0], shape.Aggregate(1, (x, y) => x * y)).ToArray(), shape) };
                return One(Tensor.Full(value?.Floats?[0] ?? 0f, shape));
            }
            case "Add": return Binary(a, node, Ops.Add, (x, y) => x + y);
            case "Sub": return Binary(a, node, Ops.Sub, (x, y) => x - y);
            case "Mul": return Binary(a, node, Ops.Mul, (x, y) => x * y);
            case "Div": return Binary(a, node, Ops.Div, (x, y) => y == 0 ? 0 : x / y);
            case "Pow": return One(Ops.Pow(F(a[0], node, 0), F(a[1], node, 1)));
            case "Max": return One(a.Select((v, i) => F(v, node, i)).Aggregate(Ops.Maximum));
            case "Min": return One(a.Select((v, i) => F(v, node, i)).Aggregate(Ops.Minimum));
            case "Sum": return One(a.Select((v, i) => F(v, node, i)).Aggregate(Ops.Add));
            case "Mean": return One(Ops.Mul(a.Select((v, i) => F(v, node, i)).Aggregate(Ops.Add), 1f / a.Length));
            case "Neg": return One(Ops.Neg(F(a[0], node, 0)));
            case "Abs": return One(Ops.Abs(F(a[0], node, 0)));
            case "Sqrt": return One(Ops.Sqrt(F(a[0], node, 0)));
            case "Exp": return One(Ops.Exp(F(a[0], node, 0)));
            case "Log": return One(Ops.Log(F(a[0], node, 0)));
            case "Reciprocal": return One(Ops.Pow(F(a[0], node, 0), -1f));
            case "Relu": return One(Ops.Relu(F(a[0], node, 0)));
            case "LeakyRelu": return One(Ops.LeakyRelu(F(a[0], node, 0), Float(node, "alpha", 0.01f)));
            case "Elu": return One(Ops.Elu(F(a[0], node, 0), Float(node, "alpha", 1f)));
            case "Sigmoid": return One(Ops.Sigmoid(F(a[0], node, 0)));
            case "Tanh": return One(Ops.Tanh(F(a[0], node, 0)));
            case "Softplus": return One(Ops.Softplus(F(a[0], node, 0)));
            case "Clip":
            {
                float min = float.NegativeInfinity, max = float.PositiveInfinity;
                if (Opset < 11) { min = Float(node, "min", min); max = Float(node, "max", max); }
                else
                {
                    if (a.Length > 1 && a[1] is not null) min = F(a[1], node, 1).Item();
                    if (a.Length > 2 && a[2] is not null) max = F(a[2], node, 2).Item();
                }
                return One(Ops.Clamp(F(a[0], node, 0), min, max));
            }
            case "Gemm":
            {
                var x = F(a[0], node, 0); var w = F(a[1], node, 1);
                bool hasC = a.Length > 2 && a[2] is not null;
                // The exporters' fully connected layer (x·Wᵀ + b) maps onto the engine's linear op exactly.
                if (Int(node, "transA", 0) == 0 && Int(node, "transB", 0) != 0 && Float(node, "alpha", 1f) == 1f && Float(node, "beta", 1f) == 1f
                    && (!hasC || F(a[2], node, 2) is { Rank: 1 } c1 && c1.Size(0) == w.Size(0)))
                    return One(Ops.Linear(x, w, hasC ? F(a[2], node, 2) : null));
                if (Int(node, "transA", 0) != 0) x = Ops.Transpose(x, 0, 1);
                if (Int(node, "transB", 0) != 0) w = Ops.Transpose(w, 0, 1);
                var y = Ops.MatMul(x, w);
                float alpha = Float(node, "alpha", 1f), beta = Float(node, "beta", 1f);
                if (alpha != 1f) y = Ops.Mul(y, alpha);
                if (a.Length > 2 && a[2] is not null) y = Ops.Add(y, beta == 1f ? F(a[2], node, 2) : Ops.Mul(F(a[2], node, 2), beta));
                return One(y);
            }
            case "MatMul": return One(Ops.MatMul(F(a[0], node, 0), F(a[1], node, 1)));
            case "Conv": return One(Conv(node, a));
            case "ConvTranspose": return One(ConvTranspose(node, a));
            case "MaxPool": return MaxPool(node, a);
            case "AveragePool": return One(AveragePool(node, a));
            case "GlobalAveragePool": { var x = F(a[0], node, 0); Require4D(x, node); return One(Ops.GlobalAvgPool2d(x)); }
            case "GlobalMaxPool": { var x = F(a[0], node, 0); Require4D(x, node); return One(Ops.GlobalMaxPool2d(x)); }
            case "BatchNormalization":
            {
                var x = F(a[0], node, 0);
                return One(Ops.BatchNorm(x, F(a[3], node, 3), F(a[4], node, 4), F(a[1], node, 1), F(a[2], node, 2), training: false,
                    epsilon: Float(node, "epsilon", 1e-5f)));
            }
            case "LRN":
            {
                var x = F(a[0], node, 0);
                Require4D(x, node);
                return One(Ops.LocalResponseNorm(x, (int)Int(node, "size", 1), Float(node, "alpha", 1e-4f), Float(node, "beta", 0.75f), Float(node, "bias", 1f)));
            }
            case "Softmax":
            case "LogSoftmax":
                return One(Softmax(node, F(a[0], node, 0), node.OpType == "LogSoftmax"));
            case "Flatten":
            {
                var x = F(a[0], node, 0);
                int axis = (int)Int(node, "axis", 1);
                if (axis < 0) axis += x.Rank;
                int outer = x.Shape[..axis].ToArray().Aggregate(1, (p, d) => p * d);
                int inner = x.Shape[axis..].ToArray().Aggregate(1, (p, d) => p * d);
                return One(Ops.Reshape(x, outer, inner));
            }
            case "Reshape": return Reshape(node, a);
            case "Transpose":
            {
                var x = F(a[0], node, 0);
                var perm = Ints(node, "perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, x.Rank).Reverse().ToArray();
                return One(Ops.Permute(x, perm));
            }
            case "Squeeze": return Squeeze(node, a);
            case "Unsqueeze": return Unsqueeze(node, a);
            case "Concat": return Concat(node, a);
            case "Split": return Split(node, a);
            case "Slice": return Slice(node, a);
            case "Pad": return Pad(node, a);
            case "ReduceSum": case "ReduceMean": case "ReduceMax": case "ReduceMin": return Reduce(node, a);
            case "Shape":
            {
                var shape = a[0]!.Shape.Select(d => (long)d).ToArray();
                int start = (int)Int(node, "start", 0), end = (int)Int(node, "end", shape.Length);
                if (start < 0) start += shape.Length;
                if (end < 0) end += shape.Length;
                start = Math.Clamp(start, 0, shape.Length); end = Math.Clamp(end, start, shape.Length);
                return new[] { OnnxValue.OfInts(shape[start..end], new[] { end - start }) };
            }
            case "Gather": return Gather(node, a);
            case "Resize":
            case "Upsample":
                return One(Resize(node, a));
            case "Cast":
            {
                var to = (OnnxDataType)Int(node, "to", 1);
                var v = a[0]!;
                if (to is OnnxDataType.Float or OnnxDataType.Double or OnnxDataType.Float16) return One(F(v, node, 0));
                if (to is OnnxDataType.Int64 or OnnxDataType.Int32 or OnnxDataType.Int8 or OnnxDataType.Int16 or OnnxDataType.UInt8 or OnnxDataType.UInt16)
                    return new[] { OnnxValue.OfInts(I(v, node, 0), v.Shape) };
                throw new OnnxUnsupportedException($"node '{Describe(node)}': Cast to {to} is not supported.");
            }
            default:
                throw new OnnxUnsupportedException($"node '{Describe(node)}': op '{node.OpType}' is not supported.");
        }
    }

    private static OnnxValue ConstantValue(OnnxNode node)
    {
        if (Attr(node, "value")?.T is { } t) return OnnxValue.From(t);
        if (Attr(node, "value_float") is { } f) return OnnxValue.Of(Tensor.Scalar(f.F));
        if (Attr(node, "value_floats") is { } fs) return OnnxValue.Of(Tensor.FromArray(fs.Floats, fs.Floats.Length));
        if (Attr(node, "value_int") is { } i) return OnnxValue.OfInts(new[] { i.I }, Array.Empty<int>());
        if (Attr(node, "value_ints") is { } iss) return OnnxValue.OfInts(iss.Ints, new[] { iss.Ints.Length });
        throw new OnnxUnsupportedException($"node '{Describe(node)}': Constant without a tensor, float(s) or int(s) value is not supported.");
    }

    private static OnnxValue[] Binary(OnnxValue?[] a, OnnxNode node, Func<Tensor, Tensor, Tensor> floatOp, Func<long, long, long> intOp)
    {
        if (a[0]!.Ints is { } x && a[1]!.Ints is { } y)
        {
            // integer shape arithmetic: same shape or one scalar
            if (x.Length == y.Length) return new[] { OnnxValue.OfInts(x.Zip(y, intOp).ToArray(), a[0]!.Shape) };
            if (y.Length == 1) return new[] { OnnxValue.OfInts(x.Select(v => intOp(v, y[0])).ToArray(), a[0]!.Shape) };
            if (x.Length == 1) return new[] { OnnxValue.OfInts(y.Select(v => intOp(x[0], v)).ToArray(), a[1]!.Shape) };
        }
        return One(floatOp(F(a[0], node, 0), F(a[1], node, 1)));
    }

    private Tensor Conv(OnnxNode node, OnnxValue?[] a)
    {
        var x = F(a[0], node, 0);
        var w = F(a[1], node, 1);
        Require4D(x, node);
        var (t, l, b, r) = Pads(node);
        var stride = Pair(node, "strides", 1);
        var dilation = Pair(node, "dilations", 1);
        if (t != b || l != r)
        {
            // CNTK's asymmetric pads ([3, 3, 2, 2] on a 7×7/2 stem) often pad an end no window reaches: the convolution's
            // own symmetric padding then gives the same output without a separate Pad op — which keeps the padding
            // out of the input LRP rules see (Flat and z^B would otherwise hand relevance to padded zeros)
            int kh = (int)w.Size(2), kw = (int)w.Size(3);
            if (!(t >= b && l >= r && SameOutput(x.Size(2), kh, dilation.Item1, stride.Item1, t, b) && SameOutput(x.Size(3), kw, dilation.Item2, stride.Item2, l, r)))
            {
                x = Ops.Pad(x, new[] { l, r, t, b });
                t = b = l = r = 0;
            }
        }
        return Ops.Conv2d(x, w, a.Length > 2 && a[2] is not null ? F(a[2], node, 2) : null, stride, (t, l), dilation, (int)Int(node, "group", 1));
    }

    /// <summary>Whether padding <paramref name="begin"/> at both ends gives as many outputs as begin + end.</summary>
    private static bool SameOutput(int size, int kernel, int dilation, int stride, int begin, int end)
    {
        int span = dilation * (kernel - 1) + 1;
        return (size + begin + end - span) / stride == (size + 2 * begin - span) / stride;
    }

    private Tensor ConvTranspose(OnnxNode node, OnnxValue?[] a)
    {
        var x = F(a[0], node, 0);
        Require4D(x, node);
        var (t, l, b, r) = Pads(node);
        var stride = Pair(node, "strides", 1);
        var dilation = Pair(node, "dilations", 1);
        var outPad = Pair(node, "output_padding", 0);
        if (stride.H != stride.W || dilation.H != dilation.W || outPad.H != outPad.W || t != l)
            throw new OnnxUnsupportedException($"node '{Describe(node)}': ConvTranspose with different height and width strides, dilations, output padding or begin pads is not supported.");
        var y = Ops.ConvTranspose2d(x, F(a[1], node, 1), a.Length > 2 && a[2] is not null ? F(a[2], node, 2) : null,
            stride.H, t, outPad.H, dilation.H, (int)Int(node, "group", 1));
        // asymmetric end pads crop extra rows/columns from the end
        if (b != t) y = Ops.Slice(y, 2, 0, y.Size(2) - (b - t));
        if (r != l) y = Ops.Slice(y, 3, 0, y.Size(3) - (r - l));
        return y;
    }

    private OnnxValue[] MaxPool(OnnxNode node, OnnxValue?[] a)
    {
        var x = F(a[0], node, 0);
        Require4D(x, node);
        var kernel = Pair(node, "kernel_shape", 1);
        var stride = Pair(node, "strides", 1);
        var dilation = Pair(node, "dilations", 1);
        var (t, l, b, r) = Pads(node);
        bool ceil = Int(node, "ceil_mode", 0) != 0;
        if (!ceil)
        {
            // an end pad smaller than the start pad that no window reaches (CNTK writes [1, 1, 0, 0]) pools exactly as the
            // symmetric pad: same windows, no explicit padded copy of the input
            static int Out(int size, int k, int s, int d, int before, int after) => (size + before + after - d * (k - 1) - 1) / s + 1;
            if (b < t && Out(x.Size(2), kernel.H, stride.H, dilation.H, t, b) == Out(x.Size(2), kernel.H, stride.H, dilation.H, t, t)) b = t;
            if (r < l && Out(x.Size(3), kernel.W, stride.W, dilation.W, l, r) == Out(x.Size(3), kernel.W, stride.W, dilation.W, l, l)) r = l;
        }
        if (t != b || l != r || 2 * t > kernel.H || 2 * l > kernel.W)
        {
            x = Ops.Pad(x, new[] { l, r, t, b }, PadMode.Constant, float.NegativeInfinity);
            t = b = l = r = 0;
        }
        // the winners' indices only when the graph asks for them (a copy the size of the output)
        if (node.Outputs.Length < 2 || node.Outputs[1].Length == 0)
            return One(Ops.MaxPool2d(x, kernel, stride, (t, l), dilation, ceil));
        var (y, indices) = Ops.MaxPool2dWithIndices(x, kernel, stride, (t, l), dilation, ceil);
        // ONNX indices are flat over the whole (N, C, H, W) input
        int plane = x.Size(2) * x.Size(3), outPlane = y.Size(2) * y.Size(3);
        var flat = new long[indices.Length];
        for (int i = 0; i < flat.Length; i++) flat[i] = (long)(i / outPlane) * plane + indices[i];
        return new[] { OnnxValue.Of(y), OnnxValue.OfInts(flat, y.Shape.ToArray()) };
    }

    private Tensor AveragePool(OnnxNode node, OnnxValue?[] a)
    {
        var x = F(a[0], node, 0);
        Require4D(x, node);
        var kernel = Pair(node, "kernel_shape", 1);
        var stride = Pair(node, "strides", 1);
        var (t, l, b, r) = Pads(node);
        bool includePad = Int(node, "count_include_pad", 0) != 0;
        bool ceil = Int(node, "ceil_mode", 0) != 0;
        if (t != b || l != r || 2 * t > kernel.H || 2 * l > kernel.W)
        {
            if (!includePad) throw new OnnxUnsupportedException($"node '{Describe(node)}': AveragePool with asymmetric pads that exclude the padding is not supported.");
            x = Ops.Pad(x, new[] { l, r, t, b });
            t = b = l = r = 0;
        }
        return Ops.AvgPool2d(x, kernel, stride, (t, l), ceil, includePad);
    }

    private Tensor Softmax(OnnxNode node, Tensor x, bool log)
    {
        if (Opset >= 13)
        {
            int axis = Axis(Int(node, "axis", -1), x.Rank, node);
            return log ? Ops.LogSoftmax(x, axis) : Ops.Softmax(x, axis);
        }
        // before opset 13: coerce to 2-D at axis, normalize over the flattened trailing dims
        int ax = Axis(Int(node, "axis", 1), x.Rank, node);
        int outer = x.Shape[..ax].ToArray().Aggregate(1, (p, d) => p * d);
        var flat = Ops.Reshape(x, outer, x.Count / Math.Max(outer, 1));
        var y = log ? Ops.LogSoftmax(flat, 1) : Ops.Softmax(flat, 1);
        return Ops.Reshape(y, x.Shape.ToArray());
    }

    private OnnxValue[] Reshape(OnnxNode node, OnnxValue?[] a)
    {
        var v = a[0]!;
        var target = (Opset >= 5 ? I(a[1], node, 1) : Ints(node, "shape")!).Select(d => (int)d).ToArray();
        bool allowZero = Int(node, "allowzero", 0) != 0;
        for (int i = 0; i < target.Length; i++)
            if (target[i] == 0 && !allowZero) target[i] = v.Shape[i];
        if (v.Ints is { } ints)
        {
            int known = target.Where(d => d != -1).Aggregate(1, (p, d) => p * d);
            target = target.Select(d => d == -1 ? ints.Length / Math.Max(known, 1) : d).ToArray();
            return new[] { OnnxValue.OfInts(ints, target) };
        }
        return One(Ops.Reshape(v.Float!, target));
    }

    private long[] AxesFrom(OnnxNode node, OnnxValue?[] a, int inputIndex, long sinceOpset) =>
        Opset >= sinceOpset ? (a.Length > inputIndex && a[inputIndex] is not null ? I(a[inputIndex], node, inputIndex) : Array.Empty<long>()) : Ints(node, "axes") ?? Array.Empty<long>();

    private OnnxValue[] Squeeze(OnnxNode node, OnnxValue?[] a)
    {
        var v = a[0]!;
        var axes = AxesFrom(node, a, 1, 13).Select(x => Axis(x, v.Shape.Length, node)).ToHashSet();
        var shape = v.Shape.Where((d, i) => axes.Count == 0 ? d != 1 : !axes.Contains(i)).ToArray();
        return v.Ints is { } ints ? new[] { OnnxValue.OfInts(ints, shape) } : One(Ops.Reshape(v.Float!, shape));
    }

    private OnnxValue[] Unsqueeze(OnnxNode node, OnnxValue?[] a)
    {
        var v = a[0]!;
        var axes = AxesFrom(node, a, 1, 13);
        int rank = v.Shape.Length + axes.Length;
        var inserted = axes.Select(x => Axis(x, rank, node)).ToHashSet();
        var shape = new int[rank];
        for (int i = 0, j = 0; i < rank; i++) shape[i] = inserted.Contains(i) ? 1 : v.Shape[j++];
        return v.Ints is { } ints ? new[] { OnnxValue.OfInts(ints, shape) } : One(Ops.Reshape(v.Float!, shape));
    }

    private OnnxValue[] Concat(OnnxNode node, OnnxValue?[] a)
    {
        var present = a.Where(v => v is not null).Select(v => v!).ToArray();
        int rank = present[0].Shape.Length;
        int axis = Axis(Int(node, "axis", 0), rank, node);
        if (present.All(v => v.Ints is not null) && rank == 1)
            return new[] { OnnxValue.OfInts(present.SelectMany(v => v.Ints!).ToArray(), new[] { present.Sum(v => v.Ints!.Length) }) };
        return One(Ops.Concat(present.Select((v, i) => F(v, node, i)).ToArray(), axis));
    }

    private OnnxValue[] Split(OnnxNode node, OnnxValue?[] a)
    {
        var x = F(a[0], node, 0);
        int axis = Axis(Int(node, "axis", 0), x.Rank, node);
        long[]? sizes = Opset >= 13 ? (a.Length > 1 && a[1] is not null ? I(a[1], node, 1) : null) : Ints(node, "split");
        int parts = node.Outputs.Length;
        int[] split;
        if (sizes is { Length: > 0 }) split = sizes.Select(s => (int)s).ToArray();
        else
        {
            int n = x.Size(axis), chunk = (n + parts - 1) / parts;
            split = Enumerable.Range(0, parts).Select(i => Math.Max(0, Math.Min(chunk, n - i * chunk))).ToArray();
        }
        return Ops.Split(x, split, axis).Select(OnnxValue.Of).ToArray();
    }

    private OnnxValue[] Slice(OnnxNode node, OnnxValue?[] a)
    {
        var v = a[0]!;
        long[] starts, ends, axes, steps;
        if (Opset >= 10)
        {
            starts = I(a[1], node, 1); ends = I(a[2], node, 2);
            axes = a.Length > 3 && a[3] is not null ? I(a[3], node, 3) : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            steps = a.Length > 4 && a[4] is not null ? I(a[4], node, 4) : Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        else
        {
            starts = Ints(node, "starts")!; ends = Ints(node, "ends")!;
            axes = Ints(node, "axes") ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            steps = Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        if (steps.Any(s => s <= 0)) throw new OnnxUnsupportedException($"node '{Describe(node)}': Slice with non-positive steps is not supported.");
        if (v.Ints is { } ints)
        {
            if (v.Shape.Length != 1) throw new OnnxUnsupportedException($"node '{Describe(node)}': slicing a multi-dimensional integer tensor is not supported.");
            int n = ints.Length;
            int s = (int)Math.Clamp(starts[0] < 0 ? starts[0] + n : starts[0], 0, n), e = (int)Math.Clamp(ends[0] < 0 ? ends[0] + n : ends[0], 0, n);
            var picked = new List<long>();
            for (int i = s; i < e; i += (int)steps[0]) picked.Add(ints[i]);
            return new[] { OnnxValue.OfInts(picked.ToArray(), new[] { picked.Count }) };
        }
        var x = v.Float!;
        for (int k = 0; k < starts.Length; k++)
        {
            int axis = Axis(axes[k], x.Rank, node);
            int n = x.Size(axis);
            long s = starts[k] < 0 ? starts[k] + n : starts[k], e = ends[k] < 0 ? ends[k] + n : ends[k];
            x = Ops.Slice(x, axis, (int)Math.Clamp(s, 0, n), (int)Math.Clamp(e, 0, n), (int)steps[k]);
        }
        return One(x);
    }

    private OnnxValue[] Pad(OnnxNode node, OnnxValue?[] a)
    {
        var x = F(a[0], node, 0);
        long[] pads = Opset >= 11 ? I(a[1], node, 1) : Ints(node, "pads") ?? Ints(node, "paddings")!;
        float value = Opset >= 11 ? (a.Length > 2 && a[2] is not null ? F(a[2], node, 2).Item() : 0f) : Float(node, "value", 0f);
        if (a.Length > 3 && a[3] is not null) throw new OnnxUnsupportedException($"node '{Describe(node)}': Pad with axes is not supported.");
        int rank = x.Rank;
        if (pads.Length != 2 * rank) throw new ModelException($"node '{Describe(node)}': {pads.Length} pads for a rank-{rank} input (expected {2 * rank}).");
        var ours = new int[2 * rank];
        for (int d = 0; d < rank; d++)
        {
            int k = rank - 1 - d; // ours: last dim first
            ours[2 * k] = (int)pads[d];
            ours[2 * k + 1] = (int)pads[d + rank];
        }
        var mode = Str(node, "mode", "constant") switch { "reflect" => PadMode.Reflect, "edge" => PadMode.Replicate, _ => PadMode.Constant };
        return One(Ops.Pad(x, ours, mode, value));
    }

    private OnnxValue[] Reduce(OnnxNode node, OnnxValue?[] a)
    {
        var x = F(a[0], node, 0);
        long since = node.OpType == "ReduceSum" ? 13 : 18;
        var axes = AxesFrom(node, a, 1, since).Select(v => Axis(v, x.Rank, node)).Distinct().ToArray();
        bool keep = Int(node, "keepdims", 1) != 0;
        if (axes.Length == 0)
        {
            if (Int(node, "noop_with_empty_axes", 0) != 0) return One(Ops.Affine(x, 1f, 0f, "identity"));
            axes = Enumerable.Range(0, x.Rank).ToArray();
        }
        var y = node.OpType switch
        {
            "ReduceSum" => Ops.Sum(x, axes, keep),
            "ReduceMean" => Ops.Mean(x, axes, keep),
            "ReduceMax" => Ops.Max(x, axes, keep),
            _ => Ops.Min(x, axes, keep),
        };
        return One(y);
    }

    private OnnxValue[] Gather(OnnxNode node, OnnxValue?[] a)
    {
        var data = a[0]!;
        var idxValue = a[1]!;
        var indices = I(idxValue, node, 1);
        int axis = Axis(Int(node, "axis", 0), data.Shape.Length, node);
        int n = data.Shape[axis];
        var fixedIdx = indices.Select(i => (int)(i < 0 ? i + n : i)).ToArray();
        if (fixedIdx.Any(i => i < 0 || i >= n)) throw new ModelException($"node '{Describe(node)}': gather index out of range for dimension {axis} of size {n}.");
        // output shape: data.shape[:axis] + indices.shape + data.shape[axis+1:]
        var outShape = data.Shape[..axis].Concat(idxValue.Shape).Concat(data.Shape[(axis + 1)..]).ToArray();
        if (data.Ints is { } ints)
        {
            if (data.Shape.Length != 1) throw new OnnxUnsupportedException($"node '{Describe(node)}': gathering from a multi-dimensional integer tensor is not supported.");
            return new[] { OnnxValue.OfInts(fixedIdx.Select(i => ints[i]).ToArray(), outShape) };
        }
        var selected = Ops.IndexSelect(data.Float!, axis, fixedIdx);
        return One(Ops.Reshape(selected, outShape));
    }

    /// <summary>
    /// Resize / Upsample on the two spatial dims of a 4-D input, modes nearest and linear, with ONNX's coordinate
    /// transforms (half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn) and nearest
    /// rounding modes. Linear sampling past the edges repeats the edge, as ONNX's reference does.
    /// </summary>
    private Tensor Resize(OnnxNode node, OnnxValue?[] a)
    {
        var x = F(a[0], node, 0);
        Require4D(x, node);
        bool upsample = node.OpType == "Upsample";
        string mode = Str(node, "mode", "nearest");
        if (mode is not ("nearest" or "linear" or "bilinear"))
            throw new OnnxUnsupportedException($"node '{Describe(node)}': {node.OpType} mode '{mode}' is not supported (nearest, linear).");
        if (Int(node, "antialias", 0) != 0 || node.Attributes.ContainsKey("axes") || node.Attributes.ContainsKey("keep_aspect_ratio_policy"))
            throw new OnnxUnsupportedException($"node '{Describe(node)}': Resize with antialias, axes or keep_aspect_ratio_policy is not supported.");
        // opset 10 Resize and Upsample: (X, scales) with asymmetric coordinates; opset 11+: (X, roi, scales, sizes)
        bool legacy = upsample || Opset < 11;
        string transform = legacy ? "asymmetric" : Str(node, "coordinate_transformation_mode", "half_pixel");
        string rounding = legacy ? "floor" : Str(node, "nearest_mode", "round_prefer_floor");
        float[]? scales = null;
        long[]? sizes = null;
        if (upsample && Opset < 9) scales = Attr(node, "scales")?.Floats;
        else if (legacy) scales = F(a[1], node, 1).ToArray();
        else
        {
            if (a.Length > 3 && a[3] is not null && a[3]!.Shape.Aggregate(1, (p, d) => p * d) > 0) sizes = I(a[3], node, 3);
            else if (a.Length > 2 && a[2] is not null) scales = F(a[2], node, 2).ToArray();
        }
        int h = x.Size(2), w = x.Size(3), outH, outW;
        float scaleH, scaleW;
        if (sizes is { Length: 4 })
        {
            if (sizes[0] != x.Size(0) || sizes[1] != x.Size(1))
                throw new OnnxUnsupportedException($"node '{Describe(node)}': resizing the batch or channel dimension is not supported.");
            outH = (int)sizes[2]; outW = (int)sizes[3];
            scaleH = (float)outH / h; scaleW = (float)outW / w;
        }
        else if (scales is { Length: 4 })
        {
            if (scales[0] != 1f || scales[1] != 1f)
                throw new OnnxUnsupportedException($"node '{Describe(node)}': resizing the batch or channel dimension is not supported.");
            scaleH = scales[2]; scaleW = scales[3];
            outH = (int)Math.Floor(h * (double)scaleH); outW = (int)Math.Floor(w * (double)scaleW);
        }
        else throw new ModelException($"node '{Describe(node)}': {node.OpType} needs 4 scales or 4 sizes.");
        if (outH <= 0 || outW <= 0) throw new ModelException($"node '{Describe(node)}': {node.OpType} output {outH}×{outW} is empty.");
        var rows = Taps(node, h, outH, scaleH, transform, mode != "nearest", rounding);
        var cols = Taps(node, w, outW, scaleW, transform, mode != "nearest", rounding);
        return Ops.Resample2d(x, rows, cols, "resize");
    }

    private static ResampleTaps Taps(OnnxNode node, int input, int output, float scale, string transform, bool linear, string rounding)
    {
        var i0 = new int[output]; var i1 = new int[output]; var w0 = new float[output]; var w1 = new float[output];
        // ONNX's formulas use the unrounded resized length (input · scale), not the integer output size
        double resized = input * (double)scale;
        for (int o = 0; o < output; o++)
        {
            double src = transform switch
            {
                "half_pixel" => (o + 0.5) / scale - 0.5,
                "pytorch_half_pixel" => resized > 1 ? (o + 0.5) / scale - 0.5 : 0.0,
                "align_corners" => resized == 1 ? 0.0 : o * (input - 1.0) / (resized - 1.0),
                "asymmetric" => o / (double)scale,
                "tf_half_pixel_for_nn" => (o + 0.5) / scale,
                _ => throw new OnnxUnsupportedException($"node '{Describe(node)}': coordinate_transformation_mode '{transform}' is not supported."),
            };
            if (linear)
            {
                double lo = Math.Floor(src);
                float t = (float)(src - lo);
                i0[o] = (int)Math.Clamp(lo, 0, input - 1);
                i1[o] = (int)Math.Clamp(lo + 1, 0, input - 1);
                w0[o] = 1f - t;
                w1[o] = t;
            }
            else
            {
                double frac = src - Math.Floor(src);
                double index = rounding switch
                {
                    "round_prefer_floor" => frac == 0.5 ? Math.Floor(src) : Math.Round(src),
                    "round_prefer_ceil" => frac == 0.5 ? Math.Ceiling(src) : Math.Round(src),
                    "floor" => Math.Floor(src),
                    "ceil" => Math.Ceiling(src),
                    _ => throw new OnnxUnsupportedException($"node '{Describe(node)}': nearest_mode '{rounding}' is not supported."),
                };
                i0[o] = i1[o] = (int)Math.Clamp(index, 0, input - 1);
                w0[o] = 1f;
            }
        }
        return new ResampleTaps(i0, i1, w0, w1);
    }
}
