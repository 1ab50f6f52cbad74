using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;
using Lucid.Dsl.Generators.Validation;
using Lucid.Optvis;
using Xunit;

namespace Lucid.Dsl.Generators.Tests;

/// <summary>The compile-time smallest-image rule agrees with the runtime transforms' own.</summary>
public class TransformSizeProperties
{
    private static AttributeSpec Step(string name, params (string Name, string? Text, string[]? Items)[] args) =>
        new(name, args.Select(a => new ArgSpec(a.Name, a.Text, (a.Items ?? Array.Empty<string>()).ToEquatableArray(), a.Items is not null, null)).ToEquatableArray(), null);

    private static string S(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static readonly Gen<(AttributeSpec Spec, Transform Runtime)> Steps = Gen.OneOf(
        from w in Gen.Choose(0, 12)
        from reflect in Gen.Elements(true, false)
        select (Step("Pad", ("width", w.ToString(CultureInfo.InvariantCulture), null), ("Mode", reflect ? "Reflect" : "Constant", null)),
            Transform.Pad(w, reflect ? PadKind.Reflect : PadKind.Constant)),
        from d in Gen.Choose(1, 16)
        select (Step("Jitter", ("pixels", d.ToString(CultureInfo.InvariantCulture), null)), Transform.Jitter(d)),
        from scales in Gen.Elements(0.5, 0.8, 0.9, 1.0, 1.1).NonEmptyListOf()
        select (Step("RandomScale", ("scales", null, scales.Select(S).ToArray())), Transform.RandomScale(scales.ToArray())),
        from h in Gen.Choose(1, 40)
        select (Step("CropOrPadTo", ("height", h.ToString(CultureInfo.InvariantCulture), null), ("width", h.ToString(CultureInfo.InvariantCulture), null)), Transform.CropOrPadTo(h, h)),
        from minBox in Gen.Elements(0.25, 0.3, 0.5, 0.9)
        from size in Gen.Choose(8, 40)
        select (Step("RandomCrops", ("count", "2", null), ("minBox", S(minBox), null), ("maxBox", "1", null), ("size", size.ToString(CultureInfo.InvariantCulture), null)),
            Transform.RandomCrops(2, minBox, 1, size)),
        Gen.Constant((Step("StandardTransforms"), Transform.Standard)));

    [Fact]
    public void GeneratorMinimumSize_EqualsTheRuntimeTransformsMinimumSize()
    {
        Prop.ForAll(Steps.ListOf().ToArbitrary(), steps =>
        {
            var generator = TransformSizes.MinimumSize(steps.Select(s => s.Spec).ToList());
            var runtime = Transform.Compose(steps.Select(s => s.Runtime).ToArray()).MinimumSize;
            Assert.Equal(runtime, generator);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true));
    }
}
