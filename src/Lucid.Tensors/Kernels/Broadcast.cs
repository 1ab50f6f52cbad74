namespace Lucid.Tensors.Kernels;

/// <summary>
/// Iteration plan for a broadcast binary op: dimensions are coalesced where both operands stay contiguous (or both stay
/// broadcast), so the inner loop is as long as possible and runs through vectorized primitives.
/// </summary>
internal readonly struct BroadcastPlan
{
    public readonly int[] Shape;     // coalesced output shape (rank >= 1)
    public readonly int[] StrideA;
    public readonly int[] StrideB;
    public readonly int Inner;       // size of the innermost coalesced dimension
    public readonly int Outer;       // product of the other dimensions

    public BroadcastPlan(ReadOnlySpan<int> a, ReadOnlySpan<int> b, ReadOnlySpan<int> output)
    {
        int rank = output.Length;
        Span<int> sa = stackalloc int[Math.Max(rank, 1)];
        Span<int> sb = stackalloc int[Math.Max(rank, 1)];
        if (rank == 0)
        {
            Shape = new[] { 1 }; StrideA = new[] { 0 }; StrideB = new[] { 0 }; Inner = 1; Outer = 1;
            return;
        }
        Shapes.BroadcastStrides(a, output, sa);
        Shapes.BroadcastStrides(b, output, sb);
        // merged dims, built on the stack (a binary op runs this once per call)
        Span<int> shape = stackalloc int[rank];
        Span<int> strideA = stackalloc int[rank];
        Span<int> strideB = stackalloc int[rank];
        int count = 0;
        for (int i = 0; i < rank; i++)
        {
            if (output[i] == 1) continue; // size-1 dims contribute nothing
            if (count > 0)
            {
                int last = count - 1;
                if (strideA[last] == sa[i] * output[i] && strideB[last] == sb[i] * output[i])
                {
                    shape[last] *= output[i];
                    strideA[last] = sa[i];
                    strideB[last] = sb[i];
                    continue;
                }
            }
            shape[count] = output[i]; strideA[count] = sa[i]; strideB[count] = sb[i];
            count++;
        }
        if (count == 0) { Shape = new[] { 1 }; StrideA = new[] { 0 }; StrideB = new[] { 0 }; }
        else { Shape = shape[..count].ToArray(); StrideA = strideA[..count].ToArray(); StrideB = strideB[..count].ToArray(); }
        Inner = Shape[^1];
        int outer = 1;
        for (int i = 0; i < Shape.Length - 1; i++) outer *= Shape[i];
        Outer = outer;
    }

    /// <summary>Offsets of operand A and B for outer row <paramref name="row"/>.</summary>
    public void Offsets(int row, out int offA, out int offB)
    {
        offA = 0; offB = 0;
        for (int d = Shape.Length - 2; d >= 0; d--)
        {
            int idx = row % Shape[d];
            row /= Shape[d];
            offA += idx * StrideA[d];
            offB += idx * StrideB[d];
        }
    }
}
