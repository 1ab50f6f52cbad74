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
/// Reads ONNX protobuf messages with Google.Protobuf's <see cref="CodedInputStream"/> and our own field mapping
/// (field numbers from onnx.proto; no generated code). Unknown fields are skipped; anything malformed becomes a
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
        var input = new CodedInputStream(bytes);
        long ir = 0;
        var opsets = new Dictionary<string, long>(StringComparer.Ordinal);
        OnnxGraph? graph = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: ir = input.ReadInt64(); break;
                case 7: graph = ReadGraph(input.ReadBytes(), file, 0); break;
                case 8:
                    var (domain, version) = ReadOpset(input.ReadBytes());
                    opsets[domain] = version;
                    break;
                default: input.SkipLastField(); break;
            }
        }
        if (graph is null) throw new ModelFormatException(file, "ONNX model has no graph.");
        return new OnnxModelProto(ir, opsets, graph);
    });

    /// <summary>Reads a serialized TensorProto (the .pb files of ONNX's test data).</summary>
    public static OnnxTensor ReadTensor(byte[] bytes, string? file = null) => Guard(file, "TensorProto", () => ReadTensorCore(ByteString.CopyFrom(bytes), file));

    private static T Guard<T>(string? file, string what, Func<T> read)
    {
        try { return read(); }
        catch (InvalidProtocolBufferException e) { throw new ModelFormatException(file, $"corrupt ONNX {what}: {e.Message}", e); }
        catch (InvalidOperationException e) { throw new ModelFormatException(file, $"corrupt ONNX {what}: {e.Message}", e); }
        catch (ArgumentException e) { throw new ModelFormatException(file, $"corrupt ONNX {what}: {e.Message}", e); }
    }

    private static (string, long) ReadOpset(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        string domain = "";
        long version = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: domain = input.ReadString(); break;
                case 2: version = input.ReadInt64(); break;
                default: input.SkipLastField(); break;
            }
        }
        return (domain, version);
    }

    private static OnnxGraph ReadGraph(ByteString bytes, string? file, int depth)
    {
        if (depth > MaxDepth) throw new ModelFormatException(file, $"ONNX graphs nest deeper than {MaxDepth} levels.");
        var input = bytes.CreateCodedInput();
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var inputs = new List<OnnxValueInfo>();
        var outputs = new List<OnnxValueInfo>();
        string name = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: nodes.Add(ReadNode(input.ReadBytes(), file, depth)); break;
                case 2: name = input.ReadString(); break;
                case 5:
                    var t = ReadTensorCore(input.ReadBytes(), file);
                    initializers[t.Name] = t;
                    break;
                case 11: inputs.Add(ReadValueInfo(input.ReadBytes())); break;
                case 12: outputs.Add(ReadValueInfo(input.ReadBytes())); break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxGraph(name, nodes.ToArray(), initializers, inputs.ToArray(), outputs.ToArray());
    }

    private static OnnxNode ReadNode(ByteString bytes, string? file, int depth)
    {
        var input = bytes.CreateCodedInput();
        var ins = new List<string>();
        var outs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string name = "", op = "", domain = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: ins.Add(input.ReadString()); break;
                case 2: outs.Add(input.ReadString()); break;
                case 3: name = input.ReadString(); break;
                case 4: op = input.ReadString(); break;
                case 5:
                    var a = ReadAttribute(input.ReadBytes(), file, depth);
                    attributes[a.Name] = a;
                    break;
                case 7: domain = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxNode(name, op, domain, ins.ToArray(), outs.ToArray(), attributes);
    }

    private static OnnxAttribute ReadAttribute(ByteString bytes, string? file, int depth)
    {
        var input = bytes.CreateCodedInput();
        string name = "";
        int type = 0;
        float f = 0;
        long i = 0;
        byte[]? s = null;
        OnnxTensor? t = null;
        var floats = new List<float>();
        var ints = new List<long>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            var wire = WireFormat.GetTagWireType(tag);
            switch (field)
            {
                case 1: name = input.ReadString(); break;
                case 20: type = input.ReadEnum(); break;
                case 2: f = input.ReadFloat(); break;
                case 3: i = input.ReadInt64(); break;
                case 4: s = input.ReadBytes().ToByteArray(); break;
                case 5: t = ReadTensorCore(input.ReadBytes(), file); break;
                case 6: ReadGraph(input.ReadBytes(), file, depth + 1); break; // validated, not executed
                case 7: ReadRepeatedFloat(input, wire, floats); break;
                case 8: ReadRepeatedInt64(input, wire, ints); break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxAttribute(name, type, f, i, s, t, floats.ToArray(), ints.ToArray());
    }

    private static OnnxValueInfo ReadValueInfo(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        string name = "";
        var elem = OnnxDataType.Undefined;
        long[]? dims = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: name = input.ReadString(); break;
                case 2: (elem, dims) = ReadTypeProto(input.ReadBytes()); break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxValueInfo(name, elem, dims);
    }

    private static (OnnxDataType, long[]?) ReadTypeProto(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        var elem = OnnxDataType.Undefined;
        long[]? dims = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != 1) { input.SkipLastField(); continue; }
            var tensorType = input.ReadBytes().CreateCodedInput();
            uint t2;
            while ((t2 = tensorType.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(t2))
                {
                    case 1: elem = (OnnxDataType)tensorType.ReadInt32(); break;
                    case 2:
                        var shape = tensorType.ReadBytes().CreateCodedInput();
                        var list = new List<long>();
                        uint t3;
                        while ((t3 = shape.ReadTag()) != 0)
                        {
                            if (WireFormat.GetTagFieldNumber(t3) != 1) { shape.SkipLastField(); continue; }
                            var dim = shape.ReadBytes().CreateCodedInput();
                            long value = -1;
                            uint t4;
                            while ((t4 = dim.ReadTag()) != 0)
                            {
                                if (WireFormat.GetTagFieldNumber(t4) == 1) value = dim.ReadInt64();
                                else dim.SkipLastField();
                            }
                            list.Add(value);
                        }
                        dims = list.ToArray();
                        break;
                    default: tensorType.SkipLastField(); break;
                }
            }
        }
        return (elem, dims);
    }

    private static OnnxTensor ReadTensorCore(ByteString bytes, string? file)
    {
        var input = bytes.CreateCodedInput();
        var dims = new List<long>();
        var type = OnnxDataType.Undefined;
        string name = "";
        ByteString? raw = null;
        var floats = new List<float>();
        var doubles = new List<double>();
        var int32s = new List<long>();
        var int64s = new List<long>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var wire = WireFormat.GetTagWireType(tag);
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: ReadRepeatedInt64(input, wire, dims); break;
                case 2: type = (OnnxDataType)input.ReadInt32(); break;
                case 4: ReadRepeatedFloat(input, wire, floats); break;
                case 5: ReadRepeatedInt32(input, wire, int32s); break;
                case 7: ReadRepeatedInt64(input, wire, int64s); break;
                case 8: name = input.ReadString(); break;
                case 9: raw = input.ReadBytes(); break;
                case 10: ReadRepeatedDouble(input, wire, doubles); break;
                case 13: throw new ModelFormatException(file, $"tensor '{name}' keeps its data in an external file, which is not supported.");
                default: input.SkipLastField(); break;
            }
        }
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ModelFormatException(file, $"tensor '{name}' has a negative dimension {d}.");
            count *= d;
            if (count > Array.MaxLength) throw new ModelFormatException(file, $"tensor '{name}' has more than {Array.MaxLength} elements.");
        }
        if (count > LucidLimits.MaxTensorElements)
            throw new ResourceLimitException($"{file ?? "ONNX model"}: tensor '{name}' has {count:N0} elements, above the limit of {LucidLimits.MaxTensorElements:N0} (LucidLimits.MaxTensorElements).");
        var shape = dims.ToArray();
        switch (type)
        {
            case OnnxDataType.Float:
            case OnnxDataType.Double:
            case OnnxDataType.Float16:
            {
                int size = type == OnnxDataType.Float ? 4 : type == OnnxDataType.Double ? 8 : 2;
                var values = new float[count];
                if (raw is not null)
                {
                    if (raw.Length != count * size)
                        throw new ModelFormatException(file, $"tensor '{name}': raw_data holds {raw.Length} bytes, shape {Shapes.Format(shape)} of {type} needs {count * size}.");
                    var span = raw.Span;
                    for (int k = 0; k < count; k++)
                        values[k] = type switch
                        {
                            OnnxDataType.Float => BitConverter.ToSingle(span.Slice(4 * k, 4)),
                            OnnxDataType.Double => (float)BitConverter.ToDouble(span.Slice(8 * k, 8)),
                            _ => (float)BitConverter.ToHalf(span.Slice(2 * k, 2)),
                        };
                }
                else
                {
                    var source = type == OnnxDataType.Float ? floats.Select(v => v).ToList()
                        : type == OnnxDataType.Double ? doubles.Select(v => (float)v).ToList()
                        : int32s.Select(v => (float)BitConverter.UInt16BitsToHalf((ushort)v)).ToList();
                    if (source.Count != count)
                        throw new ModelFormatException(file, $"tensor '{name}': {source.Count} values for shape {Shapes.Format(shape)}.");
                    source.CopyTo(values);
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
                if (raw is not null)
                {
                    if (raw.Length != count * size)
                        throw new ModelFormatException(file, $"tensor '{name}': raw_data holds {raw.Length} bytes, shape {Shapes.Format(shape)} of {type} needs {count * size}.");
                    var span = raw.Span;
                    for (int k = 0; k < count; k++)
                        values[k] = type switch
                        {
                            OnnxDataType.Int64 => BitConverter.ToInt64(span.Slice(8 * k, 8)),
                            OnnxDataType.Int32 => BitConverter.ToInt32(span.Slice(4 * k, 4)),
                            OnnxDataType.Int16 => BitConverter.ToInt16(span.Slice(2 * k, 2)),
                            OnnxDataType.UInt16 => BitConverter.ToUInt16(span.Slice(2 * k, 2)),
                            OnnxDataType.Int8 => (sbyte)span[k],
                            _ => span[k],
                        };
                }
                else
                {
                    var source = type == OnnxDataType.Int64 ? int64s : int32s;
                    if (source.Count != count)
                        throw new ModelFormatException(file, $"tensor '{name}': {source.Count} values for shape {Shapes.Format(shape)}.");
                    source.CopyTo(values);
                }
                return new OnnxTensor(name, type, shape, null, values);
            }
            default:
                throw new OnnxUnsupportedException($"{file}: tensor '{name}' has element type {type}, which is not supported (float, double, float16, integer and bool types are).");
        }
    }

    private static void ReadRepeatedFloat(CodedInputStream input, WireFormat.WireType wire, List<float> into) => ReadRepeated(input, wire, into, static i => i.ReadFloat());
    private static void ReadRepeatedDouble(CodedInputStream input, WireFormat.WireType wire, List<double> into) => ReadRepeated(input, wire, into, static i => i.ReadDouble());
    private static void ReadRepeatedInt64(CodedInputStream input, WireFormat.WireType wire, List<long> into) => ReadRepeated(input, wire, into, static i => i.ReadInt64());
    private static void ReadRepeatedInt32(CodedInputStream input, WireFormat.WireType wire, List<long> into) => ReadRepeated(input, wire, into, static i => (long)i.ReadInt32());

    /// <summary>A repeated scalar field, packed (one length-delimited run) or not (one value per tag).</summary>
    private static void ReadRepeated<T>(CodedInputStream input, WireFormat.WireType wire, List<T> into, Func<CodedInputStream, T> read)
    {
        if (wire != WireFormat.WireType.LengthDelimited)
        {
            into.Add(read(input));
            return;
        }
        var packed = input.ReadBytes().CreateCodedInput();
        while (!packed.IsAtEnd) into.Add(read(packed));
    }
}
