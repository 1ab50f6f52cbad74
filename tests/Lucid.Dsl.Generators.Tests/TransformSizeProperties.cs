using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Testing;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;
using Lucid.Dsl.Generators.Validation;
using Lucid.Optvis;
using Xunit;

namespace Lucid.Dsl.Generators.Tests;

/// <summary>The compile-time smallest-image rule agrees with the runtime transforms' own.</summary>
public class TransformSizeProperties
{
    /// <summary>A transform step as the generator sees it (attribute name and arguments) and as the runtime builds it.</summary>
    public sealed record TransformStep(string Name, (string Name, string? Text, string[]? Items)[] Args, Transform Runtime) : Case;

    public sealed record TransformChain(TransformStep[] Steps) : Case;

    public static Arbitrary<TransformChain> Chains() => Steps.ListOf().Select(l => new TransformChain(l.ToArray())).ToArbitrary();

    private static AttributeSpec Step(string name, params (string Name, string? Text, string[]? Items)[] args) =>
        new(name, args.Select(a => new ArgSpec(a.Name, a.Text, (a.Items ?? Array.Empty<string>()).ToEquatableArray(), a.Items is not null, null)).ToEquatableArray(), null);

    private static string S(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static TransformStep Spec(string name, Transform runtime, params (string Name, string? Text, string[]? Items)[] args) => new(name, args, runtime);

    private static readonly Gen<TransformStep> Steps = Gen.OneOf(
        from w in Gen.Choose(0, 12)
        from reflect in Gen.Elements(true, false)
        select Spec("Pad", Transform.Pad(w, reflect ? PadKind.Reflect : PadKind.Constant),
            ("Width", w.ToString(CultureInfo.InvariantCulture), null), ("Mode", reflect ? "Reflect" : "Constant", null)),
        from d in Gen.Choose(1, 16)
        select Spec("Jitter", Transform.Jitter(d), ("Pixels", d.ToString(CultureInfo.InvariantCulture), null)),
        from scales in Gen.Elements(0.5, 0.8, 0.9, 1.0, 1.1).NonEmptyListOf()
        select Spec("RandomScale", Transform.RandomScale(scales.ToArray()), ("Scales", null, scales.Select(S).ToArray())),
        from h in Gen.Choose(1, 40)
        select Spec("CropOrPadTo", Transform.CropOrPadTo(h, h), ("Height", h.ToString(CultureInfo.InvariantCulture), null), ("Width", h.ToString(CultureInfo.InvariantCulture), null)),
        from minBox in Gen.Elements(0.25, 0.3, 0.5, 0.9)
        from size in Gen.Choose(8, 40)
        select Spec("RandomCrops", Transform.RandomCrops(2, minBox, 1, size),
            ("Count", "2", null), ("MinBox", S(minBox), null), ("MaxBox", "1", null), ("Size", size.ToString(CultureInfo.InvariantCulture), null)),
        Gen.Constant(Spec("StandardTransforms", Transform.Standard)));

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(TransformSizeProperties) })]
    public void GeneratorMinimumSize_EqualsTheRuntimeTransformsMinimumSize(TransformChain chain)
    {
        var generator = TransformSizes.MinimumSize(chain.Steps.Select(s => TransformStepSpec.From(Step(s.Name, s.Args))).ToList());
        var runtime = Transform.Compose(chain.Steps.Select(s => s.Runtime).ToArray()).MinimumSize;
        Assert.Equal(runtime, generator);
    }
}
