using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Lucid.TorchSharp.Tests;

/// <summary>What Lucid sets up when it loads libtorch, checked against libtorch itself.</summary>
public class TorchRuntimeTests
{
    private static void AssertBatchedGradientsAreEachItemsOwn(IEnumerable<(int N, int In, int Out, int Side, int K)> cases, string setting)
    {
        int threads = torch.get_num_threads();
        try
        {
            foreach (var (n, cin, cout, side, k) in cases)
            {
                torch.manual_seed(n * 100 + side + cout);
                var x = rand(n, cin, side, side);
                var w = randn(cout, cin, k, k);
                var s = rand(n, cout, side, side);
                Tensor Gradient(Tensor input, Tensor upstream)
                {
                    var leaf = input.detach().requires_grad_(true);
                    var z = nn.functional.conv2d(leaf, w, padding: new long[] { k / 2, k / 2 });
                    return torch.autograd.grad(new[] { z }, new[] { leaf }, new[] { upstream })[0];
                }
                var each = cat(Enumerable.Range(0, n).Select(i => Gradient(x.narrow(0, i, 1), s.narrow(0, i, 1))).ToArray(), 0);
                foreach (int t in new[] { 1, 2 })
                {
                    torch.set_num_threads(t);
                    for (int repeat = 0; repeat < 3; repeat++)
                    {
                        var batched = Gradient(x, s);
                        double gap = (batched - each).abs().max().item<float>(), scale = each.abs().max().item<float>();
                        Assert.True(gap <= 1e-5 * scale, $"{setting}: [{n}, {cin}, {side}, {side}] → {cout} k{k}, {t} thread(s), call {repeat + 1}: batched input gradient differs from the items' own by {gap} (scale {scale})");
                    }
                }
            }
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }

    [RequiresTorchFact]
    public void BatchedConvolutionInputGradients_AreEachItemsOwn_WithOneDnnCapped_AndWithoutIt()
    {
        // libtorch 2.10's oneDNN gets these wrong where the output channels do not fill its SIMD blocks (16 with AVX-512,
        // 8 with AVX2): TorchRuntime caps it at AVX2, and Guard turns it off for modules with other convolutions
        TorchRuntime.EnsureLoaded();
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported && Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA") is null)
            Assert.Equal("AVX2", Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA"));
        // 8 when the cap took effect; 16 when this process ran libtorch before Lucid loaded it (the example test trains first)
        int block = TorchRuntime.OneDnnChannelBlock;
        bool before = TorchRuntime.UseOneDnn;
        try
        {
            TorchRuntime.UseOneDnn = true;
            AssertBatchedGradientsAreEachItemsOwn(new[] { (2, 5, block, 2, 3), (2, 5, block, 4, 3), (2, 3, block, 8, 3), (3, 5, 3 * block, 5, 3), (2, 16, 2 * block, 7, 3), (2, 3, 64, 9, 7) },
                $"oneDNN (block {block})");
            var odd = nn.Sequential(("conv", nn.Conv2d(3, 4, 3, padding: 1)), ("relu", nn.ReLU()));
            TorchRuntime.Guard(odd, "odd");
            Assert.False(TorchRuntime.UseOneDnn);
            Assert.Contains("convolution 'conv' has 4 output channels", TorchRuntime.OneDnnOffBecause);
            AssertBatchedGradientsAreEachItemsOwn(new[] { (2, 3, 4, 8, 3), (2, 8, 4, 8, 3), (4, 3, 4, 8, 3), (4, 6, 10, 7, 5), (2, 5, 8, 4, 3), (2, 5, 8, 2, 3), (3, 5, 24, 5, 3) }, "libtorch's own convolution");
        }
        finally
        {
            TorchRuntime.UseOneDnn = before;
        }
    }
}
