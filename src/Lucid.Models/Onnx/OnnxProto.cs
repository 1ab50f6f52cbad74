using Google.Protobuf;
using Lucid.Tensors;

namespace Lucid.Models.Onnx;

/// <summary>ONNX tensor element types (TensorProto.DataType).</summary>
public enum OnnxDataType { Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7, String = 8, Bool = 9, Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13 }

/// <summary>A decoded TensorProto: floating types become float32, integer and bool types int64.</summary>
public sealed record OnnxTensor(string Name, OnnxDataType DataType, long[] Dims, float[]? Floats, long[]? Ints)
{
    public bool IsFloat => Floats is not null;
}

public sealed record OnnxAttribute(string Name, int Type, float F, long I, byte[]? S, OnnxTensor? T, float[] Floats, long[] Ints);

public sealed record OnnxNode(string Name, string OpType, string Domain, string[] Inputs, string[] Outputs, IReadOnlyDictionary<string, OnnxAttribute> Attributes);

public sealed record OnnxValueInfo(string Name, OnnxDataType ElementType, long[]? Dims);

public sealed record OnnxGraph(string Name, OnnxNode[] Nodes, IReadOnlyDictionary<string, OnnxTensor> Initializers, OnnxValueInfo[] Inputs, OnnxValueInfo[] Outputs);

public sealed record OnnxModelProto(long IrVersion, IReadOnlyDictionary<string, long> Opsets, OnnxGraph Graph)
{
    /// <summary>The default-domain opset the model was exported with.</summary>
    public long Opset => Opsets.TryGetValue("", out var v) ? v : Opsets.TryGetValue("ai.onnx", out var w) ? w : 1;
}

/// <summary>
/// Reads ONNX protobuf messages into the records above: the wire format is parsed by the message classes Grpc.Tools
/// generates from <c>Onnx/Proto/onnx.proto</c> (the ONNX specification's messages and field numbers, the fields we use);
/// this class validates and converts them. Unknown fields are skipped; anything malformed becomes a
/// <see cref="ModelFormatException"/> naming the file and the message being read.
/// </summary>
public static class OnnxProto
{
    /// <summary>Nesting bound for graphs in attributes (If/Loop bodies); deeper input is refused.</summary>
    private const int MaxDepth = 32;

    public static OnnxModelProto ReadModel(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, $"cannot read ONNX file: {e.Message}", e);
        }
        return ReadModel(bytes, path);
    }

    public static OnnxModelProto ReadModel(byte[] bytes, string? file = null) => Guard(file, "ModelProto", () =>
    {
        // parsed from the array itself, so a packed float list is allocated once at its size (through a stream it grew by
        // doubling: 219 MB of copies for ResNet-18's 64 MB). The parser's recursion limit (100 message levels) leaves
        // room for MaxDepth nested graphs, three levels each (graph → node → attribute); Graph refuses deeper ones
        var model = new Proto.ModelProto();
        model.MergeFrom(new CodedInputStream(bytes));
        if (model.Graph is null) throw new ModelFormatException(file, "ONNX model has no graph.");
        var opsets = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var opset in model.OpsetImport) opsets[opset.Domain] = opset.Version;
        return new OnnxModelProto(model.IrVersion, opsets, Graph(model.Graph, file, 0));
    });

    /// <summary>Reads a serialized TensorProto (the .pb files of ONNX's test data).</summary>
    public static OnnxTensor ReadTensor(byte[] bytes, string? file = null) => Guard(file, "TensorProto", () => Tensor(Proto.TensorProto.Parser.ParseFrom(bytes), file));

    private static T Guard<T>(string? file, string what, Func<T> read)
    {
        try { return read(); }
        catch (InvalidProtocolBufferException e) { throw new ModelFormatException(file, $"corrupt ONNX {what}: {e.Message}", e); }
        catch (InvalidOperationException e) { throw new ModelFormatException(file, $"corrupt ONNX {what}: {e.Message}", e); }
        catch (ArgumentException e) { throw new ModelFormatException(file, $"corrupt ONNX {what}: {e.Message}", e); }
    }

    private static OnnxGraph Graph(Proto.GraphProto g, string? file, int depth)
    {
        if (depth > MaxDepth) throw new ModelFormatException(file, $"ONNX graphs nest deeper than {MaxDepth} levels.");
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var t in g.Initializer)
        {
            var tensor = Tensor(t, file);
            initializers[tensor.Name] = tensor;
        }
        return new OnnxGraph(g.Name, g.Node.Select(n => Node(n, file, depth)).ToArray(), initializers,
            g.Input.Select(ValueInfo).ToArray(), g.Output.Select(ValueInfo).ToArray());
    }

    private static OnnxNode Node(Proto.NodeProto n, string? file, int depth)
    {
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        foreach (var a in n.Attribute) attributes[a.Name] = Attribute(a, file, depth);
        return new OnnxNode(n.Name, n.OpType, n.Domain, n.Input.ToArray(), n.Output.ToArray(), attributes);
    }

    private static OnnxAttribute Attribute(Proto.AttributeProto a, string? file, int depth)
    {
        if (a.G is not null) Graph(a.G, file, depth + 1); // validated, not executed
        foreach (var g in a.Graphs) Graph(g, file, depth + 1);
        return new OnnxAttribute(a.Name, a.Type, a.F, a.I, a.HasS ? a.S.ToByteArray() : null, a.T is null ? null : Tensor(a.T, file),
            a.Floats.ToArray(), a.Ints.ToArray());
    }

    private static OnnxValueInfo ValueInfo(Proto.ValueInfoProto v)
    {
        var tensorType = v.Type?.TensorType;
        var dims = tensorType?.Shape?.Dim.Select(d => d.ValueCase == Proto.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1).ToArray();
        return new OnnxValueInfo(v.Name, (OnnxDataType)(tensorType?.ElemType ?? 0), dims);
    }

    private static OnnxTensor Tensor(Proto.TensorProto t, string? file)
    {
        string name = t.Name;
        var type = (OnnxDataType)t.DataType;
        if (t.ExternalData.Count > 0 || t.DataLocation == 1)
            throw new ModelFormatException(file, $"tensor '{name}' keeps its data in an external file, which is not supported.");
        long count = 1;
        foreach (var d in t.Dims)
        {
            if (d < 0) throw new ModelFormatException(file, $"tensor '{name}' has a negative dimension {d}.");
            count *= d;
            if (count > Array.MaxLength) throw new ModelFormatException(file, $"tensor '{name}' has more than {Array.MaxLength} elements.");
        }
        if (count > LucidLimits.MaxTensorElements)
            throw new ResourceLimitException($"{file ?? "ONNX model"}: tensor '{name}' has {count:N0} elements, above the limit of {LucidLimits.MaxTensorElements:N0} (LucidLimits.MaxTensorElements).");
        var shape = t.Dims.ToArray();
        var raw = t.HasRawData ? t.RawData.Span : default;
        switch (type)
        {
            case OnnxDataType.Float:
            case OnnxDataType.Double:
            case OnnxDataType.Float16:
            {
                int size = type == OnnxDataType.Float ? 4 : type == OnnxDataType.Double ? 8 : 2;
                var values = new float[count];
                if (t.HasRawData)
                {
                    if (raw.Length != count * size)
                        throw new ModelFormatException(file, $"tensor '{name}': raw_data holds {raw.Length} bytes, shape {Shapes.Format(shape)} of {type} needs {count * size}.");
                    for (int k = 0; k < count; k++)
                        values[k] = type switch
                        {
                            OnnxDataType.Float => BitConverter.ToSingle(raw.Slice(4 * k, 4)),
                            OnnxDataType.Double => (float)BitConverter.ToDouble(raw.Slice(8 * k, 8)),
                            _ => (float)BitConverter.ToHalf(raw.Slice(2 * k, 2)),
                        };
                }
                else
                {
                    int available = type == OnnxDataType.Float ? t.FloatData.Count : type == OnnxDataType.Double ? t.DoubleData.Count : t.Int32Data.Count;
                    if (available != count)
                        throw new ModelFormatException(file, $"tensor '{name}': {available} values for shape {Shapes.Format(shape)}.");
                    for (int k = 0; k < count; k++)
                        values[k] = type switch
                        {
                            OnnxDataType.Float => t.FloatData[k],
                            OnnxDataType.Double => (float)t.DoubleData[k],
                            _ => (float)BitConverter.UInt16BitsToHalf((ushort)t.Int32Data[k]),
                        };
                }
                return new OnnxTensor(name, type, shape, values, null);
            }
            case OnnxDataType.Int64:
            case OnnxDataType.Int32:
            case OnnxDataType.Int8:
            case OnnxDataType.UInt8:
            case OnnxDataType.Int16:
            case OnnxDataType.UInt16:
            case OnnxDataType.Bool:
            {
                int size = type switch { OnnxDataType.Int64 => 8, OnnxDataType.Int32 => 4, OnnxDataType.Int16 or OnnxDataType.UInt16 => 2, _ => 1 };
                var values = new long[count];
                if (t.HasRawData)
                {
                    if (raw.Length != count * size)
                        throw new ModelFormatException(file, $"tensor '{name}': raw_data holds {raw.Length} bytes, shape {Shapes.Format(shape)} of {type} needs {count * size}.");
                    for (int k = 0; k < count; k++)
                        values[k] = type switch
                        {
                            OnnxDataType.Int64 => BitConverter.ToInt64(raw.Slice(8 * k, 8)),
                            OnnxDataType.Int32 => BitConverter.ToInt32(raw.Slice(4 * k, 4)),
                            OnnxDataType.Int16 => BitConverter.ToInt16(raw.Slice(2 * k, 2)),
                            OnnxDataType.UInt16 => BitConverter.ToUInt16(raw.Slice(2 * k, 2)),
                            OnnxDataType.Int8 => (sbyte)raw[k],
                            _ => raw[k],
                        };
                }
                else
                {
                    int available = type == OnnxDataType.Int64 ? t.Int64Data.Count : t.Int32Data.Count;
                    if (available != count)
                        throw new ModelFormatException(file, $"tensor '{name}': {available} values for shape {Shapes.Format(shape)}.");
                    for (int k = 0; k < count; k++) values[k] = type == OnnxDataType.Int64 ? t.Int64Data[k] : t.Int32Data[k];
                }
                return new OnnxTensor(name, type, shape, null, values);
            }
            default:
                throw new OnnxUnsupportedException($"{file}: tensor '{name}' has element type {type}, which is not supported (float, double, float16, integer and bool types are).");
        }
    }
}
