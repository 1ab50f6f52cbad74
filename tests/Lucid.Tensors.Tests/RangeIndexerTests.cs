using Lucid.Tensors.Autograd;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary><c>tensor[a..b]</c>: the examples a … b−1 of a batch, from either end, with gradients; outside ranges refused.</summary>
public class RangeIndexerTests
{
    [Fact]
    public void Range_SlicesTheFirstDimension_FromEitherEnd_AndPassesGradients()
    {
        using var scope = Tensor.Scope();
        var x = new Rng(3).Normal(new[] { 5, 2, 3 }).RequireGrad();
        var values = x.ToArray();
        int per = 6;
        Assert.Equal(values[(1 * per)..(4 * per)], x[1..4].ToArray());
        Assert.Equal(new[] { 3, 2, 3 }, x[1..4].Shape.ToArray());
        Assert.Equal(values[(4 * per)..], x[^1..].ToArray());
        Assert.Equal(values[..(2 * per)], x[..^3].ToArray());
        Assert.Equal(values, x[..].ToArray());
        Assert.Equal(0, x[2..2].Count);

        // the gradient of Σ x[1..3] is one on examples 1 and 2 and zero elsewhere
        var g = Gradients.Of(Ops.Sum(x[1..3]), new[] { x })[0].ToArray();
        for (int i = 0; i < g.Length; i++) Assert.Equal(i / per is 1 or 2 ? 1f : 0f, g[i]);
    }

    [Fact]
    public void Range_OutsideTheBatch_IsRefusedByName()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros(4, 3);
        var e = Assert.Throws<LucidArgumentException>(() => x[2..6]);
        Assert.Contains("2..6 is outside the first dimension of shape [4, 3] (0..4)", e.Message);
        Assert.Throws<LucidArgumentException>(() => x[^5..]);
        Assert.Throws<LucidArgumentException>(() => x[3..1]);
        Assert.Throws<ShapeMismatchException>(() => Tensor.Scalar(1f)[0..1]);
    }
}
