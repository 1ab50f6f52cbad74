namespace Lucid.Tensors.Kernels;

/// <summary>
/// Strided convolutions as stride-1 ones (polyphase decomposition). With stride s, output (i, j) reads the padded input
/// at (s·i + ki, s·j + kj); writing ki = s·qi + a and kj = s·qj + b, that is phase image X_ab[i + qi, j + qj] with
/// X_ab[u, v] = Xpad[s·u + a, s·v + b]. So conv(x, w, stride s) = conv(X′, W′, stride 1) where X′ stacks the s² phase
/// images of every channel and W′[co, (ci, a, b), qi, qj] = w[co, ci, s·qi + a, s·qj + b] (zero past the kernel).
/// The stem convolutions of image models (3 channels, 7×7 or 5×5, stride 2) have so few input channels that an
/// im2col GEMM spends its time gathering; as stride-1 convolutions they run on the direct kernel with contiguous loads,
/// skipping the phase kernels' structurally zero taps (those past the original kernel).
/// (The input gradient stays on the col2im route: measured, the phase form's gradient — a flipped convolution with
/// cin·s² outputs — was no faster.)
/// </summary>
internal static unsafe class Polyphase
{
    [ThreadStatic] private static float[]? _phases;
    [ThreadStatic] private static float[]? _weights;
    [ThreadStatic] private static int[]? _steps;

    /// <summary>Whether the forward decomposition applies and pays: a strided convolution with few input channels
    /// whose stride-1 form runs on the direct kernel (AVX-512, and AVX2 with its 6-channel tile: ResNet's 7×7/2 stem
    /// at batch 1, 2.35 → 2.0 ms on AVX2 before the zero taps were skipped).</summary>
    public static bool AppliesForward(in ConvGeometry g, int cout, int groups) =>
        Strided(g, groups) && cout >= 4 && DirectConv.LaneUse(g.OutW) >= 0.7;

    private static bool Strided(in ConvGeometry g, int groups)
    {
        if (groups != 1 || g.StrideH == 1 && g.StrideW == 1 || g.DilationH != 1 || g.DilationW != 1) return false;
        if (g.StrideH != g.StrideW || g.StrideH > 4 || g.KernelH < g.StrideH || g.KernelW < g.StrideW) return false;
        var phased = Phased(g);
        return (Gemm.UsesAvx512 || Gemm.UsesAvx2) && DirectConv.IsSupported(phased) && phased.Rows >= 8 && phased.Channels <= 64;
    }

    /// <summary>The stride-1 geometry on the stacked phase images.</summary>
    private static ConvGeometry Phased(in ConvGeometry g)
    {
        int s = g.StrideH, kh = (g.KernelH + s - 1) / s, kw = (g.KernelW + s - 1) / s;
        return new ConvGeometry(g.Channels * s * s, g.OutH + kh - 1, g.OutW + kw - 1, kh, kw, 1, 1, 0, 0, 1, 1, g.OutH, g.OutW);
    }

    /// <summary>y (=|+=) conv(x, w, stride s) + bias, x [n, cin, H, W], w [cout, cin, kH, kW].</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        int n, int cin, int cout, in ConvGeometry g, bool accumulate)
    {
        var p = Phased(g);
        int s = g.StrideH;
        // the phase planes are the direct kernel's padded input as they stand (its geometry has no padding); the slack
        // covers the reads of a last 16-wide segment past the end
        int size = n * p.Channels * p.Height * p.Width;
        var phases = Buffer(ref _phases, size + DirectConv.InputSlack);
        var weights = Buffer(ref _weights, cout * p.Rows);
        fixed (float* px = x)
        fixed (float* pp = phases)
        {
            var state = new Split(px, pp, g, p, s);
            ParallelKernels.For(n * cin * s * s, state, static (i, st) => st.Run(i));
        }
        PhaseWeights(weight, weights, cout, cin, g, p, s);
        // a phase kernel's taps past the original kernel are zero for every channel (7×7/2: 147 of the 192 are real)
        int kh = p.KernelH, kw = p.KernelW, live = 0;
        var steps = _steps is { } cached && cached.Length >= p.Rows ? cached : _steps = new int[p.Rows];
        for (int step = 0; step < p.Rows; step++)
        {
            int phase = step / (kh * kw) % (s * s), tap = step % (kh * kw);
            if (s * (tap / kw) + phase / s < g.KernelH && s * (tap % kw) + phase % s < g.KernelW) steps[live++] = step;
        }
        DirectConv.Forward(phases.AsSpan(0, size + DirectConv.InputSlack), weights.AsSpan(0, cout * p.Rows), bias, y, n, p.Channels, cout, 1, p, accumulate,
            liveSteps: steps.AsSpan(0, live), padded: true);
    }

    private static float[] Buffer(ref float[]? buffer, int size)
    {
        if (buffer is null || buffer.Length < size) buffer = new float[size];
        return buffer;
    }

    private static void PhaseWeights(ReadOnlySpan<float> w, Span<float> phased, int cout, int cin, in ConvGeometry g, in ConvGeometry p, int s)
    {
        int kh = p.KernelH, kw = p.KernelW;
        for (int co = 0; co < cout; co++)
            for (int ci = 0; ci < cin; ci++)
                for (int a = 0; a < s; a++)
                    for (int b = 0; b < s; b++)
                        for (int qi = 0; qi < kh; qi++)
                            for (int qj = 0; qj < kw; qj++)
                            {
                                int ki = s * qi + a, kj = s * qj + b;
                                phased[(((co * cin + ci) * s * s + a * s + b) * kh + qi) * kw + qj] =
                                    ki < g.KernelH && kj < g.KernelW ? w[((co * cin + ci) * g.KernelH + ki) * g.KernelW + kj] : 0f;
                            }
    }

    /// <summary>Phase (a, b) of one (image, channel) plane (zeros where the padded input ends).</summary>
    private readonly struct Split(float* x, float* phases, ConvGeometry g, ConvGeometry p, int s)
    {
        public void Run(int item)
        {
            int plane = item / (s * s), a = item % (s * s) / s, b = item % s;
            float* src = x + (long)plane * g.Height * g.Width;
            float* dst = phases + (long)item * p.Height * p.Width;
            for (int u = 0; u < p.Height; u++)
            {
                int row = s * u + a - g.PadH;
                float* d = dst + u * p.Width;
                if ((uint)row >= (uint)g.Height)
                {
                    new Span<float>(d, p.Width).Clear();
                    continue;
                }
                float* r = src + row * g.Width;
                for (int v = 0; v < p.Width; v++)
                {
                    int col = s * v + b - g.PadW;
                    d[v] = (uint)col < (uint)g.Width ? r[col] : 0f;
                }
            }
        }
    }
}
