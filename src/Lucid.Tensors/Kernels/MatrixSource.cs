namespace Lucid.Tensors.Kernels;

/// <summary>
/// A logical row-major matrix the GEMM reads its B operand from, a row segment at a time. Dense storage exposes rows
/// in place; computed sources (convolution's implicit im2col) fill them on demand, straight into packing buffers.
/// </summary>
internal unsafe interface IMatrixSource
{
    /// <summary>A pointer to elements [colStart, ...) of <paramref name="row"/> when they are stored contiguously, else null.</summary>
    float* TryRow(int row, int colStart);

    /// <summary>Writes elements [colStart, colStart + count) of <paramref name="row"/> to <paramref name="dst"/>.</summary>
    void FillRow(int row, int colStart, int count, float* dst);

    /// <summary>
    /// Optionally packs rows [p0, p0 + kc), columns [j0, j0 + nc) straight into NR-column panels
    /// (panel q at dst + q·NR·kc, element (p, j) at p·NR + j % NR, zero past nc); false to let the GEMM do it.
    /// </summary>
    bool TryPackPanels(int p0, int kc, int j0, int nc, int nr, float* dst);

    /// <summary>Relative cost of packing one element (dense copies are 1); the GEMM avoids re-packing expensive sources.</summary>
    int PackCost { get; }
}
