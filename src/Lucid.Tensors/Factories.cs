namespace Lucid.Tensors;

public sealed partial class Tensor
{
    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(params int[] shape)
    {
        var t = Uninitialized((int[])shape.Clone(), "Zeros");
        t.Data.Clear();
        return t;
    }

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(float value, params int[] shape)
    {
        var t = Uninitialized((int[])shape.Clone(), "Full");
        t.Data.Fill(value);
        return t;
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> data, params int[] shape)
    {
        int count = Shapes.Count(shape, "FromArray");
        if (count != data.Length)
            throw new ShapeMismatchException($"FromArray: {data.Length} values cannot fill shape {Shapes.Format(shape)} ({count} elements).");
        var t = Uninitialized((int[])shape.Clone(), "FromArray");
        data.CopyTo(t.Data);
        return t;
    }

    /// <summary>
    /// A tensor over <paramref name="data"/> itself (no copy, not pooled): for large constants such as imported weights,
    /// held once at their exact size. The tensor and the array are the same memory from here on.
    /// </summary>
    public static Tensor Adopt(float[] data, params int[] shape)
    {
        int count = Shapes.Count(shape, "Adopt");
        if (count != data.Length)
            throw new ShapeMismatchException($"Adopt: {data.Length} values cannot fill shape {Shapes.Format(shape)} ({count} elements).");
        return new Tensor(new Storage(data, pooled: false), (int[])shape.Clone(), count);
    }

    /// <summary>A one-element tensor of shape [] (rank 0).</summary>
    public static Tensor Scalar(float value)
    {
        var t = Uninitialized(Array.Empty<int>(), "Scalar");
        t.Data[0] = value;
        return t;
    }

    /// <summary>0, 1, ..., n-1.</summary>
    public static Tensor Arange(int n)
    {
        var t = Uninitialized(new[] { n }, "Arange");
        var d = t.Data;
        for (int i = 0; i < n; i++) d[i] = i;
        return t;
    }

    /// <summary>Zeros shaped like <paramref name="other"/>.</summary>
    public static Tensor ZerosLike(Tensor other) => Zeros(other.ShapeArray);

    /// <summary>Ones shaped like <paramref name="other"/>.</summary>
    public static Tensor OnesLike(Tensor other) => Ones(other.ShapeArray);

    /// <summary>A copy with its own memory, not part of the graph.</summary>
    public Tensor Clone()
    {
        var t = Uninitialized(_shape, "Clone");
        Data.CopyTo(t.Data);
        return t;
    }

    /// <summary>Copies <paramref name="source"/>'s values into this tensor in place (shapes must match; not recorded).</summary>
    public void CopyFrom(Tensor source)
    {
        if (!Shapes.SameShape(source.Shape, _shape))
            throw new ShapeMismatchException($"CopyFrom: source shape {Shapes.Format(source.ShapeArray)} does not match {Shapes.Format(_shape)}.");
        source.Data.CopyTo(Data);
    }
}
