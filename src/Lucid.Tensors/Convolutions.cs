namespace Lucid.Tensors;

/// <summary>
/// How 2-D convolutions are computed on the current thread. By default 3×3 stride-1 convolutions with at least 16
/// channels in and out on maps of 8×8 or more (and forward on 7×7 maps in batches of three or more) use Winograd's
/// F(4×4, 3×3) on AVX2 and AVX-512 (about 2.25× fewer
/// multiply-adds; each weight tensor's transform is cached while its values are unchanged), and every other convolution
/// sums directly. Which path runs depends only on the shapes, the instruction set and this setting — never on history —
/// so the same inputs give the same bits on every call. The two paths round differently (agreement to about 1e-6 of
/// the output's scale).
/// </summary>
public static class Convolutions
{
    [ThreadStatic] private static int _directDepth;

    /// <summary>False inside a <see cref="Direct"/> scope on this thread.</summary>
    public static bool WinogradAllowed => _directDepth == 0;

    /// <summary>
    /// Within the returned scope, convolutions started on this thread — and the backward passes of those recorded in it —
    /// sum directly: for weights built afresh on every call (the transform would be recomputed each time) and for
    /// comparisons that need the direct sum's rounding.
    /// </summary>
    public static DirectScope Direct()
    {
        _directDepth++;
        return new DirectScope(true);
    }

    /// <summary>Ends a <see cref="Direct"/> scope when disposed (a default instance does nothing).</summary>
    public readonly struct DirectScope : IDisposable
    {
        private readonly bool _active;
        internal DirectScope(bool active) => _active = active;
        public void Dispose()
        {
            if (_active) _directDepth--;
        }
    }
}
