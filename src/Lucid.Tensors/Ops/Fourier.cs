using System.Collections.Concurrent;
using Lucid.Tensors.Autograd;
using Lucid.Tensors.Kernels;

namespace Lucid.Tensors;

public static partial class Ops
{
    private enum DftMatrix { ForwardCos, ForwardSin, Cos, Sin, InverseCos, InverseSin }

    private static readonly ConcurrentDictionary<(DftMatrix, int), float[]> DftCache = new();

    /// <summary>
    /// DFT matrices, computed in double with the angle reduced exactly ((k·n) mod N) so every size is as accurate as the
    /// float32 result allows:
    /// ForwardCos/Sin [W, W/2+1]: cos/sin(2π·w·l/W); Cos/Sin [N, N]: cos/sin(2π·k·n/N) (symmetric);
    /// InverseCos/Sin [W/2+1, W]: α_l·cos/sin(2π·l·w/W)/W with α = 1 at DC and Nyquist, 2 elsewhere (Hermitian fold).
    /// </summary>
    private static float[] Dft(DftMatrix kind, int size) => DftCache.GetOrAdd((kind, size), static key =>
    {
        var (kind, n) = key;
        int half = n / 2 + 1;
        float[] m;
        switch (kind)
        {
            case DftMatrix.ForwardCos:
            case DftMatrix.ForwardSin:
                m = new float[n * half];
                for (int w = 0; w < n; w++)
                    for (int l = 0; l < half; l++)
                    {
                        double angle = 2 * Math.PI * ((long)w * l % n) / n;
                        m[w * half + l] = (float)(kind == DftMatrix.ForwardCos ? Math.Cos(angle) : Math.Sin(angle));
                    }
                return m;
            case DftMatrix.Cos:
            case DftMatrix.Sin:
                m = new float[n * n];
                for (int k = 0; k < n; k++)
                    for (int j = 0; j < n; j++)
                    {
                        double angle = 2 * Math.PI * ((long)k * j % n) / n;
                        m[k * n + j] = (float)(kind == DftMatrix.Cos ? Math.Cos(angle) : Math.Sin(angle));
                    }
                return m;
            default:
                m = new float[half * n];
                for (int l = 0; l < half; l++)
                {
                    double alpha = l == 0 || (n % 2 == 0 && l == n / 2) ? 1.0 : 2.0;
                    for (int w = 0; w < n; w++)
                    {
                        double angle = 2 * Math.PI * ((long)l * w % n) / n;
                        m[l * n + w] = (float)(alpha * (kind == DftMatrix.InverseCos ? Math.Cos(angle) : Math.Sin(angle)) / n);
                    }
                }
                return m;
        }
    });

    /// <summary>
    /// Real 2-D DFT over the last two dims: [.., H, W] → [.., H, W/2+1, 2] (real, imaginary), unnormalized — the values
    /// of torch.fft.rfft2 with torch.view_as_real. Exact DFT as matrix products, for any H and W.
    /// </summary>
    public static Tensor Rfft2(Tensor x)
    {
        const string op = "rfft2";
        x.ThrowIfDisposed(op);
        if (x.Rank < 2) throw new ShapeMismatchException($"{op}: input must have rank at least 2, got {Shapes.Format(x.ShapeArray)}.");
        int h = x.ShapeArray[^2], w = x.ShapeArray[^1], wf = w / 2 + 1;
        Shapes.RequirePositive(h, op, "height"); Shapes.RequirePositive(w, op, "width");
        int batch = x.Count / (h * w);
        var outShape = x.ShapeArray[..^1].Concat(new[] { wf, 2 }).ToArray();
        var y = Tensor.Uninitialized(outShape, op);
        int plane = batch * h * wf;
        using (var yr = new Scratch(plane))
        using (var yi = new Scratch(plane))
        using (var xr = new Scratch(plane))
        using (var xi = new Scratch(plane))
        {
            // along W: Yr = x·C, Yi = −x·S
            Gemm.Multiply(false, false, batch * h, wf, w, x.Data, w, Dft(DftMatrix.ForwardCos, w), wf, yr.Span, wf, false);
            Gemm.Multiply(false, false, batch * h, wf, w, x.Data, w, Dft(DftMatrix.ForwardSin, w), wf, yi.Span, wf, false);
            System.Numerics.Tensors.TensorPrimitives.Negate(yi.Span, yi.Span);
            ComplexAlongH(yr.Span, yi.Span, xr.Span, xi.Span, batch, h, wf, inverse: false);
            Interleave(xr.Span, xi.Span, y.Data);
        }
        if (!Graph.Needs(x)) return y;
        return Graph.Record(y, op, new[] { x }, (g, grads) =>
        {
            using var gr = new Scratch(plane);
            using var gi = new Scratch(plane);
            using var gyr = new Scratch(plane);
            using var gyi = new Scratch(plane);
            Deinterleave(g.Data, gr.Span, gi.Span);
            // adjoint of the H-transform: gY = [[Ch, −Sh], [Sh, Ch]]·gX  (Ch, Sh symmetric)
            ComplexAlongH(gr.Span, gi.Span, gyr.Span, gyi.Span, batch, h, wf, inverse: true, scale: 1f);
            var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
            // gx = gYr·Cᵀ − gYi·Sᵀ
            Gemm.Multiply(false, true, batch * h, w, wf, gyr.Span, wf, Dft(DftMatrix.ForwardCos, w), wf, gx.Data, w, false);
            System.Numerics.Tensors.TensorPrimitives.Negate(gyi.Span, gyi.Span);
            Gemm.Multiply(false, true, batch * h, w, wf, gyi.Span, wf, Dft(DftMatrix.ForwardSin, w), wf, gx.Data, w, true);
            grads[0] = gx;
        });
    }

    /// <summary>
    /// Inverse of <see cref="Rfft2"/>: [.., H, W/2+1, 2] → [.., H, W] with 1/(H·W) normalization, treating the input as
    /// the half spectrum of a real signal (the imaginary parts of the DC and Nyquist columns are ignored), as torch.fft.irfft2.
    /// </summary>
    public static Tensor Irfft2(Tensor spectrum, int width)
    {
        const string op = "irfft2";
        spectrum.ThrowIfDisposed(op);
        if (spectrum.Rank < 3 || spectrum.ShapeArray[^1] != 2)
            throw new ShapeMismatchException($"{op}: spectrum must have shape [.., H, W/2+1, 2], got {Shapes.Format(spectrum.ShapeArray)}.");
        Shapes.RequirePositive(width, op, nameof(width));
        int h = spectrum.ShapeArray[^3], wf = spectrum.ShapeArray[^2];
        if (wf != width / 2 + 1)
            throw new ShapeMismatchException($"{op}: a width of {width} needs {width / 2 + 1} frequency columns, spectrum {Shapes.Format(spectrum.ShapeArray)} has {wf}.");
        Shapes.RequirePositive(h, op, "height");
        int batch = spectrum.Count / (h * wf * 2);
        int plane = batch * h * wf;
        var outShape = spectrum.ShapeArray[..^2].Concat(new[] { width }).ToArray();
        var y = Tensor.Uninitialized(outShape, op);
        using (var xr = new Scratch(plane))
        using (var xi = new Scratch(plane))
        using (var yr = new Scratch(plane))
        using (var yi = new Scratch(plane))
        {
            Deinterleave(spectrum.Data, xr.Span, xi.Span);
            // along H (inverse): Y = [[Ch, −Sh], [Sh, Ch]]·X / H
            ComplexAlongH(xr.Span, xi.Span, yr.Span, yi.Span, batch, h, wf, inverse: true, scale: 1f / h);
            // along W (Hermitian): x = Yr·Ci − Yi·Si
            Gemm.Multiply(false, false, batch * h, width, wf, yr.Span, wf, Dft(DftMatrix.InverseCos, width), width, y.Data, width, false);
            System.Numerics.Tensors.TensorPrimitives.Negate(yi.Span, yi.Span);
            Gemm.Multiply(false, false, batch * h, width, wf, yi.Span, wf, Dft(DftMatrix.InverseSin, width), width, y.Data, width, true);
        }
        if (!Graph.Needs(spectrum)) return y;
        return Graph.Record(y, op, new[] { spectrum }, (g, grads) =>
        {
            using var gyr = new Scratch(plane);
            using var gyi = new Scratch(plane);
            using var gxr = new Scratch(plane);
            using var gxi = new Scratch(plane);
            Gemm.Multiply(false, true, batch * h, wf, width, g.Data, width, Dft(DftMatrix.InverseCos, width), width, gyr.Span, wf, false);
            Gemm.Multiply(false, true, batch * h, wf, width, g.Data, width, Dft(DftMatrix.InverseSin, width), width, gyi.Span, wf, false);
            System.Numerics.Tensors.TensorPrimitives.Negate(gyi.Span, gyi.Span);
            // adjoint of the inverse H-transform: [[Ch, Sh], [−Sh, Ch]]·gY / H (the forward-direction transform)
            ComplexAlongH(gyr.Span, gyi.Span, gxr.Span, gxi.Span, batch, h, wf, inverse: false, scale: 1f / h);
            var gs = Tensor.Uninitialized(spectrum.ShapeArray, "grad");
            Interleave(gxr.Span, gxi.Span, gs.Data);
            grads[0] = gs;
        }, width);
    }

    /// <summary>
    /// Complex DFT along H for each batch item: forward (e^{−iθ}): Or = Ch·Ir + Sh·Ii, Oi = Ch·Ii − Sh·Ir;
    /// inverse (e^{+iθ}): Or = Ch·Ir − Sh·Ii, Oi = Sh·Ir + Ch·Ii; both times <paramref name="scale"/>.
    /// </summary>
    private static void ComplexAlongH(ReadOnlySpan<float> ir, ReadOnlySpan<float> ii, Span<float> or, Span<float> oi, int batch, int h, int wf, bool inverse, float scale = 1f)
    {
        if (RowFft.For(h) is { } fft)
        {
            // h's prime factors are 2, 3, 5 and 7: a mixed-radix FFT whose butterflies combine whole rows
            unsafe
            {
                fixed (float* pir = ir)
                fixed (float* pii = ii)
                fixed (float* por = or)
                fixed (float* poi = oi)
                    fft.Run(pir, pii, por, poi, batch, wf, inverse, scale);
            }
            return;
        }
        var ch = Dft(DftMatrix.Cos, h); var sh = Dft(DftMatrix.Sin, h);
        using var negIrBuffer = new Scratch(ir.Length);
        using var negIiBuffer = new Scratch(ii.Length);
        var negIr = negIrBuffer.Span; var negIi = negIiBuffer.Span;
        System.Numerics.Tensors.TensorPrimitives.Negate(ir, negIr);
        System.Numerics.Tensors.TensorPrimitives.Negate(ii, negIi);
        int plane = h * wf;
        for (int b = 0; b < batch; b++)
        {
            var sr = ir.Slice(b * plane, plane); var si = ii.Slice(b * plane, plane);
            var nr = negIr.Slice(b * plane, plane); var ni = negIi.Slice(b * plane, plane);
            var dr = or.Slice(b * plane, plane); var di = oi.Slice(b * plane, plane);
            Gemm.Multiply(false, false, h, wf, h, ch, h, sr, wf, dr, wf, false);
            Gemm.Multiply(false, false, h, wf, h, sh, h, inverse ? ni : si, wf, dr, wf, true);
            Gemm.Multiply(false, false, h, wf, h, ch, h, si, wf, di, wf, false);
            Gemm.Multiply(false, false, h, wf, h, sh, h, inverse ? sr : nr, wf, di, wf, true);
        }
        if (scale != 1f)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(or, scale, or);
            System.Numerics.Tensors.TensorPrimitives.Multiply(oi, scale, oi);
        }
    }

    /// <summary>A pooled temporary buffer of exactly <c>Length</c> floats, returned to the pool on dispose.</summary>
    private readonly struct Scratch(int length) : IDisposable
    {
        private readonly float[] _array = TensorPool.Rent(length);
        public Span<float> Span => _array.AsSpan(0, length);
        public void Dispose() => TensorPool.Return(_array);
    }

    private static unsafe void Interleave(ReadOnlySpan<float> re, ReadOnlySpan<float> im, Span<float> dst)
    {
        System.Diagnostics.Debug.Assert(dst.Length >= 2 * re.Length && im.Length >= re.Length, "interleave: buffers too short");
        fixed (float* pr = re)
        fixed (float* pi = im)
        fixed (float* pd = dst)
            for (int i = 0; i < re.Length; i++) { pd[2 * i] = pr[i]; pd[2 * i + 1] = pi[i]; }
    }

    private static unsafe void Deinterleave(ReadOnlySpan<float> src, Span<float> re, Span<float> im)
    {
        System.Diagnostics.Debug.Assert(src.Length >= 2 * re.Length && im.Length >= re.Length, "deinterleave: buffers too short");
        fixed (float* ps = src)
        fixed (float* pr = re)
        fixed (float* pi = im)
            for (int i = 0; i < re.Length; i++) { pr[i] = ps[2 * i]; pi[i] = ps[2 * i + 1]; }
    }
}
