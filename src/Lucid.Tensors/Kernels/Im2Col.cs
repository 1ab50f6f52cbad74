using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lucid.Tensors.Kernels;

/// <summary>Geometry of one 2-D convolution window sweep.</summary>
internal readonly record struct ConvGeometry(int Channels, int Height, int Width, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, int OutH, int OutW)
{
    public int Rows => Channels * KernelH * KernelW;
    public int Cols => OutH * OutW;
}

/// <summary>im2col / col2im for convolution as GEMM. Rows are (channel, kernel row, kernel column); columns are output positions.</summary>
internal static unsafe class Im2Col
{
    /// <summary>
    /// Unfolds <paramref name="images"/> consecutive images, each <paramref name="imageStride"/> floats apart, into one
    /// column matrix [Rows, images·Cols]: image i fills columns [i·Cols, (i+1)·Cols).
    /// </summary>
    public static void Unfold(ReadOnlySpan<float> source, int images, int imageStride, Span<float> col, in ConvGeometry geo)
    {
        fixed (float* src = source)
        fixed (float* dst = col)
        {
            var state = new State(src, dst, geo, images, imageStride);
            ParallelKernels.For(images * geo.Channels, state, static (i, s) => s.UnfoldChannel(i), Small(images, geo));
        }
    }

    /// <summary>Adds the column matrix of <paramref name="images"/> images back into them (the caller has initialized them).</summary>
    public static void FoldAdd(ReadOnlySpan<float> col, int images, int imageStride, Span<float> destination, in ConvGeometry geo)
    {
        fixed (float* src = col)
        fixed (float* dst = destination)
        {
            var state = new State(dst, src, geo, images, imageStride);
            ParallelKernels.For(images * geo.Channels, state, static (i, s) => s.FoldChannel(i), Small(images, geo));
        }
    }

    /// <summary>A column matrix small enough to write on the calling thread (a float moved counted as eight multiply-adds: a rough ratio of their costs, not measured per shape).</summary>
    private static bool Small(int images, in ConvGeometry geo) => ParallelKernels.Serial(8L * images * geo.Rows * geo.Cols);

    /// <summary>
    /// The output columns [start, end) whose input column ow·stride + <paramref name="iw0"/> lies inside the image;
    /// both bounds are clamped to [0, OutW] (a kernel tap can miss the image for every output column).
    /// </summary>
    internal static void ValidColumns(in ConvGeometry g, int iw0, out int start, out int end)
    {
        start = iw0 >= 0 ? 0 : (-iw0 + g.StrideW - 1) / g.StrideW;
        end = g.Width - iw0 <= 0 ? 0 : (g.Width - iw0 + g.StrideW - 1) / g.StrideW;
        start = Math.Min(start, g.OutW);
        end = Math.Clamp(end, start, g.OutW);
    }

    /// <summary>dst[ow] = row[2·ow + iw0] for ow in [start, end): eight outputs per two loads, one shuffle and one permute.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void GatherEven(float* row, int iw0, int start, int end, int width, float* dst)
    {
        int ow = start;
        // the vector loads read 16 floats from 2·ow + iw0, which must stay inside the row
        for (; ow + 8 <= end && 2 * ow + iw0 + 16 <= width; ow += 8)
        {
            float* s = row + 2 * ow + iw0;
            var pairs = Avx.Shuffle(Avx.LoadVector256(s), Avx.LoadVector256(s + 8), 0b10_00_10_00);
            Avx.Store(dst + ow, Avx2.Permute4x64(pairs.AsDouble(), 0b11_01_10_00).AsSingle());
        }
        for (; ow < end; ow++) dst[ow] = row[2 * ow + iw0];
    }

    /// <summary>
    /// row[2·ow + iw0] += src[ow] for ow in [start, end): eight sources spread to the even lanes of two vectors (odd lanes
    /// add zero), so the column fold of stride-2 convolutions runs vectorized; every element still receives the same
    /// additions in the same order.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ScatterAddEven(float* row, int iw0, int start, int end, int width, float* src)
    {
        var lowIndex = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3);
        var highIndex = Vector256.Create(4, 4, 5, 5, 6, 6, 7, 7);
        var even = Vector256.Create(-1, 0, -1, 0, -1, 0, -1, 0).AsSingle();
        int ow = start;
        // the vector stores touch 16 floats from 2·ow + iw0, which must stay inside the row
        for (; ow + 8 <= end && 2 * ow + iw0 + 16 <= width; ow += 8)
        {
            var s = Avx.LoadVector256(src + ow);
            float* d = row + 2 * ow + iw0;
            Avx.Store(d, Avx.Add(Avx.LoadVector256(d), Avx.And(Avx2.PermuteVar8x32(s, lowIndex), even)));
            Avx.Store(d + 8, Avx.Add(Avx.LoadVector256(d + 8), Avx.And(Avx2.PermuteVar8x32(s, highIndex), even)));
        }
        for (; ow < end; ow++) row[2 * ow + iw0] += src[ow];
    }

    private readonly struct State(float* images, float* colMatrix, ConvGeometry g, int count, int imageStride)
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void UnfoldChannel(int item)
        {
            int image = item / g.Channels, c = item % g.Channels;
            int cols = g.Cols * count;
            float* col = colMatrix + (long)image * g.Cols;
            float* plane = images + (long)image * imageStride + (long)c * g.Height * g.Width;
            for (int ki = 0; ki < g.KernelH; ki++)
            for (int kj = 0; kj < g.KernelW; kj++)
            {
                float* row = col + ((long)(c * g.KernelH + ki) * g.KernelW + kj) * cols;
                for (int oh = 0; oh < g.OutH; oh++)
                {
                    float* dst = row + oh * g.OutW;
                    int ih = oh * g.StrideH - g.PadH + ki * g.DilationH;
                    if ((uint)ih >= (uint)g.Height)
                    {
                        new Span<float>(dst, g.OutW).Clear();
                        continue;
                    }
                    float* srcRow = plane + ih * g.Width;
                    int iw0 = kj * g.DilationW - g.PadW;
                    // valid ow range: 0 <= ow*stride + iw0 < Width
                    ValidColumns(g, iw0, out int owStart, out int owEnd);
                    for (int ow = 0; ow < owStart; ow++) dst[ow] = 0f;
                    if (g.StrideW == 1)
                        new ReadOnlySpan<float>(srcRow + iw0 + owStart, owEnd - owStart).CopyTo(new Span<float>(dst + owStart, owEnd - owStart));
                    else if (g.StrideW == 2 && Avx2.IsSupported)
                        GatherEven(srcRow, iw0, owStart, owEnd, g.Width, dst);
                    else
                        for (int ow = owStart; ow < owEnd; ow++) dst[ow] = srcRow[ow * g.StrideW + iw0];
                    for (int ow = owEnd; ow < g.OutW; ow++) dst[ow] = 0f;
                }
            }
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void FoldChannel(int item)
        {
            int image = item / g.Channels, c = item % g.Channels;
            int cols = g.Cols * count;
            float* col = colMatrix + (long)image * g.Cols;
            float* plane = images + (long)image * imageStride + (long)c * g.Height * g.Width;
            for (int ki = 0; ki < g.KernelH; ki++)
            for (int kj = 0; kj < g.KernelW; kj++)
            {
                float* row = col + ((long)(c * g.KernelH + ki) * g.KernelW + kj) * cols;
                for (int oh = 0; oh < g.OutH; oh++)
                {
                    int ih = oh * g.StrideH - g.PadH + ki * g.DilationH;
                    if ((uint)ih >= (uint)g.Height) continue;
                    float* src = row + oh * g.OutW;
                    float* dstRow = plane + ih * g.Width;
                    int iw0 = kj * g.DilationW - g.PadW;
                    ValidColumns(g, iw0, out int owStart, out int owEnd);
                    if (g.StrideW == 1 && owEnd > owStart)
                    {
                        var d = new Span<float>(dstRow + iw0 + owStart, owEnd - owStart);
                        System.Numerics.Tensors.TensorPrimitives.Add(d, new ReadOnlySpan<float>(src + owStart, owEnd - owStart), d);
                    }
                    else if (g.StrideW == 2 && Avx2.IsSupported)
                        ScatterAddEven(dstRow, iw0, owStart, owEnd, g.Width, src);
                    else
                        for (int ow = owStart; ow < owEnd; ow++) dstRow[ow * g.StrideW + iw0] += src[ow];
                }
            }
        }
    }
}
