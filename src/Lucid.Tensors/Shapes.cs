using System.Text;

namespace Lucid.Tensors;

/// <summary>Shape arithmetic and validation shared by every op; messages name the op, the argument and the shapes.</summary>
public static class Shapes
{
    /// <summary>A shape as messages write it: "[1, 3, 224, 224]".</summary>
    public static string Format(IEnumerable<int> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>A shape as messages write it (TorchSharp's long sizes).</summary>
    public static string Format(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>A shape as messages write it: "[1, 3, 224, 224]".</summary>
    public static string Format(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(shape[i]);
        }
        return sb.Append(']').ToString();
    }

    internal static int Count(ReadOnlySpan<int> shape, string op = "tensor", string arg = "shape")
    {
        long n = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
                throw new LucidArgumentException(arg, $"{op}: '{arg}' {Format(shape)} has a negative size at dimension {i}.");
            n *= shape[i];
            if (n > LucidLimits.MaxTensorElements && LucidLimits.MaxTensorElements < Array.MaxLength)
                throw new ResourceLimitException($"{op}: '{arg}' {Format(shape)} has more than {LucidLimits.MaxTensorElements:N0} elements, the limit (LucidLimits.MaxTensorElements).");
            if (n > Array.MaxLength)
                throw new ResourceLimitException($"{op}: '{arg}' {Format(shape)} has more than {Array.MaxLength:N0} elements, the most one array can hold.");
        }
        return (int)n;
    }

    internal static int NormalizeDim(int dim, int rank, string op, string arg = "dim")
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank)
            throw new LucidArgumentException(arg, $"{op}: '{arg}' = {dim} is out of range for a tensor of rank {rank} (expected {-rank}..{rank - 1}).");
        return d;
    }

    internal static void RequireRank(Tensor t, int rank, string op, string arg)
    {
        if (t.Rank != rank)
            throw new ShapeMismatchException($"{op}: '{arg}' must have rank {rank}, got shape {Format(t.Shape)}.");
    }

    internal static void RequirePositive(int value, string op, string arg)
    {
        if (value <= 0)
            throw new LucidArgumentException(arg, $"{op}: '{arg}' must be positive, got {value}.");
    }

    internal static void RequireNonNegative(int value, string op, string arg)
    {
        if (value < 0)
            throw new LucidArgumentException(arg, $"{op}: '{arg}' must be non-negative, got {value}.");
    }

    /// <summary>Validates a 4-D input with a non-empty plane and a positive output size; returns (N, C, H, W).</summary>
    internal static (int N, int C, int H, int W) RequireResizable(Tensor x, int outH, int outW, string op)
    {
        x.ThrowIfDisposed(op);
        RequireRank(x, 4, op, "input");
        RequirePositive(outH, op, nameof(outH));
        RequirePositive(outW, op, nameof(outW));
        var s = x.ShapeArray;
        if (s[2] == 0 || s[3] == 0) throw new ShapeMismatchException($"{op}: input {Format(s)} has an empty plane.");
        return (s[0], s[1], s[2], s[3]);
    }

    internal static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ShapeMismatchException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast (dimension {i}: {da} vs {db}).");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    internal static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>Row-major strides of <paramref name="shape"/> aligned right to <paramref name="target"/>; broadcast dimensions get stride 0.</summary>
    internal static void BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<int> target, Span<int> strides)
    {
        int rank = target.Length, offset = rank - shape.Length, s = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            int si = i - offset;
            if (si < 0) { strides[i] = 0; continue; }
            strides[i] = shape[si] == 1 && target[i] != 1 ? 0 : s;
            s *= shape[si];
        }
    }

    internal static int[] Strides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }
}
