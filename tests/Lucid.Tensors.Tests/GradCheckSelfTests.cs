using FsCheck;
using FsCheck.Fluent;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>The gradient checker itself: it runs the requested number of cases and it catches a wrong backward rule.</summary>
public class GradCheckSelfTests
{
    [Fact]
    public void ForAll_RunsTheRequestedNumberOfCases()
    {
        int runs = 0;
        GradCheck.ForAll(Gen.Choose(0, 10), _ => runs++, cases: 200);
        Assert.Equal(200, runs);
    }

    [Fact]
    public void Check_RejectsAWrongBackwardRule()
    {
        var rng = new Rng(3);
        var x = GradCheck.Leaf(rng, 3, 4);
        // y = 2x but its recorded backward claims dy/dx = 3
        Tensor Broken(Tensor[] xs)
        {
            var y = Ops.Affine(xs[0], 2f, 0f);
            if (y.GradFn is not null)
                y.RegisterBackwardHook((node, g) => new Tensor?[] { Ops.Affine(g, 3f, 0f) });
            return y;
        }
        var e = Assert.ThrowsAny<Exception>(() => GradCheck.Check("broken", Broken, new[] { x }, rng));
        Assert.Contains("analytic", e.Message);
    }
}
