using Lucid.Tensors;
using Google.Protobuf;

namespace Lucid.Models.Onnx;

/// <summary>
/// Writes ONNX models (ModelProto, our own field mapping on Google.Protobuf's <see cref="CodedOutputStream"/>).
/// Used to export engine-built networks and, in tests, to produce models with the op patterns of PyTorch's exporter.
/// </summary>
public static class OnnxWriter
{
    public static byte[] Write(OnnxModelProto model, string producer = "lucid")
    {
        return Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(model.IrVersion);
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(producer);
            o.WriteTag(7, WireFormat.WireType.LengthDelimited); o.WriteBytes(Graph(model.Graph));
            foreach (var (domain, version) in model.Opsets.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                o.WriteTag(8, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(Message(s =>
                {
                    s.WriteTag(1, WireFormat.WireType.LengthDelimited); s.WriteString(domain);
                    s.WriteTag(2, WireFormat.WireType.Varint); s.WriteInt64(version);
                }));
            }
        }).ToByteArray();
    }

    public static void Save(string path, OnnxModelProto model) => AtomicFile.Write(path, s => s.Write(Write(model)));

    private static ByteString Message(Action<CodedOutputStream> write)
    {
        using var ms = new MemoryStream();
        var o = new CodedOutputStream(ms);
        write(o);
        o.Flush();
        return ByteString.CopyFrom(ms.ToArray());
    }

    private static ByteString Graph(OnnxGraph g) => Message(o =>
    {
        foreach (var node in g.Nodes) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(Node(node)); }
        o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(g.Name);
        foreach (var t in g.Initializers.Values.OrderBy(t => t.Name, StringComparer.Ordinal)) { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(Tensor(t)); }
        foreach (var i in g.Inputs) { o.WriteTag(11, WireFormat.WireType.LengthDelimited); o.WriteBytes(ValueInfo(i)); }
        foreach (var i in g.Outputs) { o.WriteTag(12, WireFormat.WireType.LengthDelimited); o.WriteBytes(ValueInfo(i)); }
    });

    private static ByteString Node(OnnxNode n) => Message(o =>
    {
        foreach (var i in n.Inputs) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
        foreach (var i in n.Outputs) { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
        o.WriteTag(3, WireFormat.WireType.LengthDelimited); o.WriteString(n.Name);
        o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteString(n.OpType);
        foreach (var a in n.Attributes.Values.OrderBy(a => a.Name, StringComparer.Ordinal)) { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(Attribute(a)); }
    });

    private static ByteString Attribute(OnnxAttribute a) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(a.Name);
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteEnum(a.Type);
        switch (a.Type)
        {
            case 1: o.WriteTag(2, WireFormat.WireType.Fixed32); o.WriteFloat(a.F); break;
            case 2: o.WriteTag(3, WireFormat.WireType.Varint); o.WriteInt64(a.I); break;
            case 3: o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(a.S ?? Array.Empty<byte>())); break;
            case 4: o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(Tensor(a.T!)); break;
            case 6: foreach (var f in a.Floats) { o.WriteTag(7, WireFormat.WireType.Fixed32); o.WriteFloat(f); } break;
            case 7: foreach (var i in a.Ints) { o.WriteTag(8, WireFormat.WireType.Varint); o.WriteInt64(i); } break;
            default: throw new LucidArgumentException(nameof(a), $"OnnxWriter: attribute '{a.Name}' of type {a.Type} cannot be written.");
        }
    });

    private static ByteString Tensor(OnnxTensor t) => Message(o =>
    {
        foreach (var d in t.Dims) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); }
        o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32((int)(t.Floats is not null ? OnnxDataType.Float : OnnxDataType.Int64));
        o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(t.Name);
        byte[] raw = t.Floats is not null
            ? t.Floats.SelectMany(BitConverter.GetBytes).ToArray()
            : t.Ints!.SelectMany(BitConverter.GetBytes).ToArray();
        o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(raw));
    });

    private static ByteString ValueInfo(OnnxValueInfo v) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(v.Name);
        o.WriteTag(2, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(Message(type =>
        {
            type.WriteTag(1, WireFormat.WireType.LengthDelimited);
            type.WriteBytes(Message(tensorType =>
            {
                tensorType.WriteTag(1, WireFormat.WireType.Varint); tensorType.WriteInt32((int)v.ElementType);
                if (v.Dims is null) return;
                tensorType.WriteTag(2, WireFormat.WireType.LengthDelimited);
                tensorType.WriteBytes(Message(shape =>
                {
                    foreach (var d in v.Dims)
                    {
                        shape.WriteTag(1, WireFormat.WireType.LengthDelimited);
                        shape.WriteBytes(Message(dim =>
                        {
                            if (d >= 0) { dim.WriteTag(1, WireFormat.WireType.Varint); dim.WriteInt64(d); }
                            else { dim.WriteTag(2, WireFormat.WireType.LengthDelimited); dim.WriteString("N"); }
                        }));
                    }
                }));
            }));
        }));
    });
}
