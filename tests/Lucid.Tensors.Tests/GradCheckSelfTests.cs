using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>The gradient checker itself: it runs the requested number of cases and it catches a wrong backward rule.</summary>
public class GradCheckSelfTests
{
    /// <summary>
    /// "Every differentiable op on ≥ 200 random cases": the class's <c>[Properties]</c> asks for 200, no property there
    /// asks for fewer, and every public test method there is a property (a <c>[Fact]</c> would run one case).
    /// </summary>
    [Fact]
    public void GradientProperties_RunAtLeast200CasesEach()
    {
        var type = typeof(GradientProperties);
        var defaults = type.GetCustomAttributes(typeof(PropertiesAttribute), false).Cast<PropertiesAttribute>().Single();
        Assert.True(defaults.MaxTest >= 200, $"[Properties(MaxTest = {defaults.MaxTest})]");
        var tests = type.GetMethods().Where(m => m.GetCustomAttributes(typeof(FactAttribute), true).Length > 0).ToList();
        Assert.True(tests.Count >= 50, $"{tests.Count} test methods");
        foreach (var m in tests)
        {
            var property = m.GetCustomAttributes(typeof(PropertyAttribute), true).Cast<PropertyAttribute>().SingleOrDefault();
            if (property is null)
            {
                Assert.Equal(nameof(GradientProperties.MaximumGradient_SplitsEquallyAtTies), m.Name); // the one worked example
                continue;
            }
            Assert.True(property.MaxTest is -1 or >= 200, $"{m.Name}: MaxTest = {property.MaxTest}");
            Assert.Single(m.GetParameters()); // the generated case
        }
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
