using Lucid.Tensors.Autograd;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>
/// Evaluation-mode batch norm computes its per-channel statistics once per parameter set: the reuse must see parameters
/// changed in place, and a graph recorded before the change must keep the statistics it was recorded with.
/// </summary>
public class BatchNormStatisticsTests
{
    private static float[] Definition(float[] x, float[] mean, float[] variance, float[] gamma, float[] beta, int c, int plane) =>
        x.Select((v, i) =>
        {
            int ch = i / plane % c;
            float scale = gamma[ch] * (1f / MathF.Sqrt(variance[ch] + 1e-5f));
            return v * scale + (beta[ch] - mean[ch] * scale);
        }).ToArray();

    [Fact]
    public void ParametersChangedInPlace_AreSeen_AndAnEarlierGraph_KeepsItsOwnStatistics()
    {
        using var scope = Tensor.Scope();
        var rng = new Rng(4);
        int c = 5, plane = 3 * 4;
        var x = rng.Normal(new[] { 2, c, 3, 4 }).RequireGrad();
        var mean = rng.Normal(new[] { c });
        var variance = Ops.Add(Ops.Abs(rng.Normal(new[] { c })), Tensor.Scalar(0.5f));
        var gamma = rng.Normal(new[] { c });
        var beta = rng.Normal(new[] { c });
        float[] Snapshot(Tensor t) => t.ToArray();

        var first = Ops.BatchNorm(x, mean, variance, gamma, beta, training: false);
        var before = (Mean: Snapshot(mean), Var: Snapshot(variance), Gamma: Snapshot(gamma), Beta: Snapshot(beta));
        Assert.Equal(Definition(x.ToArray(), before.Mean, before.Var, before.Gamma, before.Beta, c, plane), first.ToArray());
        // the same parameters again: the same bits
        Assert.Equal(first.ToArray(), Ops.BatchNorm(x, mean, variance, gamma, beta, training: false).ToArray());

        // each parameter changed in place, one at a time: every change is seen
        foreach (var changed in new[] { mean, variance, gamma, beta })
        {
            changed.Data[2] *= 1.5f;
            var y = Ops.BatchNorm(x, mean, variance, gamma, beta, training: false);
            Assert.Equal(Definition(x.ToArray(), Snapshot(mean), Snapshot(variance), Snapshot(gamma), Snapshot(beta), c, plane), y.ToArray());
        }

        // the first graph's input gradient is its own scale times the upstream gradient, not the changed one's
        var upstream = rng.Normal(new[] { 2, c, 3, 4 });
        var gx = Gradients.Of(Ops.Sum(Ops.Mul(first, upstream)), new[] { x })[0].ToArray();
        var u = upstream.ToArray();
        for (int i = 0; i < gx.Length; i++)
        {
            int ch = i / plane % c;
            Assert.Equal(u[i] * (before.Gamma[ch] * (1f / MathF.Sqrt(before.Var[ch] + 1e-5f))), gx[i]);
        }
    }
}
