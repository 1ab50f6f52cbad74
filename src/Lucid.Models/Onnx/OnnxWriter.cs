using Google.Protobuf;
using Lucid.Models.Onnx.Proto;
using Lucid.Tensors;

namespace Lucid.Models.Onnx;

/// <summary>
/// Writes ONNX models (ModelProto) through the message classes generated from <c>Onnx/Proto/onnx.proto</c>. Used to
/// export engine-built networks and, in tests, to produce models with the op patterns of PyTorch's exporter.
/// </summary>
public static class OnnxWriter
{
    public static byte[] Write(OnnxModelProto model, string producer = "lucid")
    {
        var proto = new ModelProto { IrVersion = model.IrVersion, ProducerName = producer, Graph = Graph(model.Graph) };
        foreach (var (domain, version) in model.Opsets.OrderBy(p => p.Key, StringComparer.Ordinal))
            proto.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        return proto.ToByteArray();
    }

    public static void Save(string path, OnnxModelProto model) => AtomicFile.Write(path, s => s.Write(Write(model)));

    private static GraphProto Graph(OnnxGraph g)
    {
        var proto = new GraphProto { Name = g.Name };
        proto.Node.AddRange(g.Nodes.Select(Node));
        proto.Initializer.AddRange(g.Initializers.Values.OrderBy(t => t.Name, StringComparer.Ordinal).Select(Tensor));
        proto.Input.AddRange(g.Inputs.Select(ValueInfo));
        proto.Output.AddRange(g.Outputs.Select(ValueInfo));
        return proto;
    }

    private static NodeProto Node(OnnxNode n)
    {
        var proto = new NodeProto { Name = n.Name, OpType = n.OpType };
        proto.Input.AddRange(n.Inputs);
        proto.Output.AddRange(n.Outputs);
        proto.Attribute.AddRange(n.Attributes.Values.OrderBy(a => a.Name, StringComparer.Ordinal).Select(Attribute));
        return proto;
    }

    private static AttributeProto Attribute(OnnxAttribute a)
    {
        var proto = new AttributeProto { Name = a.Name, Type = a.Type };
        switch (a.Type)
        {
            case 1: proto.F = a.F; break;
            case 2: proto.I = a.I; break;
            case 3: proto.S = ByteString.CopyFrom(a.S ?? Array.Empty<byte>()); break;
            case 4: proto.T = Tensor(a.T!); break;
            case 6: proto.Floats.AddRange(a.Floats); break;
            case 7: proto.Ints.AddRange(a.Ints); break;
            default: throw new LucidArgumentException(nameof(a), $"OnnxWriter: attribute '{a.Name}' of type {a.Type} cannot be written.");
        }
        return proto;
    }

    private static TensorProto Tensor(OnnxTensor t)
    {
        var proto = new TensorProto { Name = t.Name, DataType = (int)(t.Floats is not null ? OnnxDataType.Float : OnnxDataType.Int64) };
        proto.Dims.AddRange(t.Dims);
        proto.RawData = t.Floats is not null
            ? ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Floats.AsSpan()))
            : ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Ints!.AsSpan()));
        return proto;
    }

    private static ValueInfoProto ValueInfo(OnnxValueInfo v)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)v.ElementType };
        if (v.Dims is not null)
        {
            tensorType.Shape = new TensorShapeProto();
            foreach (var d in v.Dims)
                tensorType.Shape.Dim.Add(d >= 0 ? new TensorShapeProto.Types.Dimension { DimValue = d } : new TensorShapeProto.Types.Dimension { DimParam = "N" });
        }
        return new ValueInfoProto { Name = v.Name, Type = new TypeProto { TensorType = tensorType } };
    }
}
