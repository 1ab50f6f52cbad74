using Lucid.Tensors.Autograd;
using Lucid.Tensors.Kernels;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>
/// The convolution's weight gradient on batches: small per-image products run as parts of the batch side by side
/// (each into its own partial, added in part order), large ones as one GEMM per image spread over the cores. Both
/// equal the float64 definition dW[o, c, i, j] = Σₙ Σₚ g[n, o, p] · x[n, c, p·s − pad + (i, j)·d] and do not change
/// by a bit with the thread count.
/// </summary>
[Collection(nameof(KernelSwitchCollection))]
public class ConvWeightGradientTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, int> Shapes => new()
    {
        // n, cin, cout, groups, h, w, k, stride, pad
        { 5, 6, 10, 2, 13, 11, 3, 1, 1 },      // parts: 5 uneven runs of one image, two groups
        { 8, 32, 64, 1, 32, 32, 3, 1, 1 },     // parts (the benchmark's 32→64 at 32²)
        { 3, 16, 24, 1, 21, 19, 5, 2, 2 },     // parts, strided, materialized columns
        { 2, 64, 64, 1, 64, 64, 3, 1, 1 },     // one GEMM per image over the cores (≥ 250 MFLOP each)
        { 1, 32, 64, 1, 32, 32, 3, 1, 1 },     // one image: its positions in two halves
        { 1, 5, 7, 1, 29, 23, 3, 1, 0 },       // one image, an odd number of positions
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void WeightGradient_MatchesFloat64Definition_AndDoesNotDependOnThreads(int n, int cin, int cout, int groups, int h, int w, int k, int stride, int pad)
    {
        var rng = new Rng((ulong)(n * 1000 + cin * 10 + k));
        using var x0 = rng.Normal(new[] { n, cin, h, w });
        using var w0 = rng.Normal(new[] { cout, cin / groups, k, k });
        int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
        using var g0 = rng.Normal(new[] { n, cout, oh, ow });

        float[] Run(int threads)
        {
            int saved = ParallelKernels.Threads;
            try
            {
                ParallelKernels.Threads = threads;
                using var scope = Tensor.Scope();
                var weight = w0.Clone().RequireGrad();
                var y = Ops.Conv2d(x0, weight, null, (stride, stride), (pad, pad), (1, 1), groups);
                return Gradients.Of(y, new[] { weight }, gradOutput: g0)[0].ToArray();
            }
            finally { ParallelKernels.Threads = saved; }
        }

        var one = Run(1);
        var many = Run(Math.Max(2, Environment.ProcessorCount));
        Assert.Equal(one, many);

        // The definition, in float64, on a sample of weights spread over every output channel, group and tap.
        var x = x0.ToArray(); var g = g0.ToArray();
        int cig = cin / groups, cog = cout / groups;
        int total = cout * cig * k * k, step = Math.Max(1, total / 97);
        for (int idx = 0; idx < total; idx += step)
        {
            int o = idx / (cig * k * k), c = idx / (k * k) % cig, i = idx / k % k, j = idx % k;
            int ci = o / cog * cig + c;
            double sum = 0, scale = 0;
            for (int b = 0; b < n; b++)
                for (int py = 0; py < oh; py++)
                {
                    int iy = py * stride - pad + i;
                    if (iy < 0 || iy >= h) continue;
                    for (int px = 0; px < ow; px++)
                    {
                        int ix = px * stride - pad + j;
                        if (ix < 0 || ix >= w) continue;
                        double term = (double)g[((b * cout + o) * oh + py) * ow + px] * x[((b * cin + ci) * h + iy) * w + ix];
                        sum += term;
                        scale += Math.Abs(term);
                    }
                }
            Assert.True(Math.Abs(one[idx] - sum) <= 1e-5 * scale + 1e-6,
                $"dW[{o}, {c}, {i}, {j}] = {one[idx]}, definition {sum} (n {n}, {cin}→{cout}, groups {groups}, {h}×{w}, k {k}, stride {stride}, pad {pad})");
        }
    }
}
