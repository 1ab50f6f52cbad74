using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Lucid.TorchSharp.Tests;

/// <summary>What Lucid sets up when it loads libtorch, checked against libtorch itself.</summary>
public class TorchRuntimeTests
{
    [RequiresTorchFact]
    public void SmallConvolutionInputGradients_WithABatch_AreEachItemsOwn_OnOneThreadAndOnTwo()
    {
        // libtorch 2.10's oneDNN gets this wrong where the output channels do not fill its SIMD blocks (TorchRuntime turns it off)
        TorchRuntime.EnsureLoaded();
        Assert.False(TorchRuntime.UseOneDnn);
        int threads = torch.get_num_threads();
        try
        {
            foreach (var (n, cin, cout, side, k) in new[] { (2, 5, 8, 2, 3), (2, 5, 8, 4, 3), (2, 3, 4, 8, 3), (2, 8, 4, 8, 3), (4, 3, 4, 8, 3), (3, 5, 24, 5, 3), (4, 6, 10, 7, 5) })
            {
                torch.manual_seed(n * 100 + side);
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
                        Assert.True(gap <= 1e-5 * scale, $"[{n}, {cin}, {side}, {side}] → {cout} k{k}, {t} thread(s), call {repeat + 1}: batched input gradient differs from the items' own by {gap} (scale {scale})");
                    }
                }
            }
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }
}
