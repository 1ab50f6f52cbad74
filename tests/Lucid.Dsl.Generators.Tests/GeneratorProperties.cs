using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Testing;
using Xunit;

namespace Lucid.Dsl.Generators.Tests;

/// <summary>Properties over random model schemas and random declarations against them.</summary>
[Properties(Arbitrary = new[] { typeof(GeneratorProperties) })]
public class GeneratorProperties
{
    public sealed record RandomTap(string Name, string Kind, int[] Shape);

    public sealed record RandomSchema(RandomTap[] Taps, string[] Labels)
    {
        public override string ToString() => Json();

        public string Json()
        {
            var s = new StringBuilder();
            s.Append("{\"format\": \"lucid-model-schema\", \"version\": 1, \"name\": \"random\", \"input\": {\"shape\": [3, 32, 32], \"range\": [0, 1]}, \"taps\": [");
            s.Append("{\"name\": \"input\", \"kind\": \"input\", \"shape\": [3, 32, 32]}");
            string previous = "input";
            foreach (var t in Taps)
            {
                s.Append($", {{\"name\": \"{t.Name}\", \"kind\": \"{t.Kind}\", \"shape\": [{string.Join(", ", t.Shape)}], \"inputs\": [\"{previous}\"]}}");
                previous = t.Name;
            }
            s.Append("], \"labels\": [").Append(string.Join(", ", Labels.Select(l => "\"" + l + "\""))).Append("]}");
            return s.ToString();
        }

        public IEnumerable<RandomTap> Spatial => Taps.Where(t => t.Shape.Length == 3);
    }

    private static readonly Gen<string> Identifier =
        from head in Gen.Elements("conv", "mixed", "block", "layer", "res", "pool")
        from digits in Gen.Choose(0, 99)
        from suffix in Gen.Elements("", "_pre_relu", "a", "_1x1", "_3x3_bottleneck")
        select head + digits.ToString(CultureInfo.InvariantCulture) + suffix;

    private static readonly Gen<RandomSchema> Schemas =
        from names in Identifier.ListOf().Select(l => l.Distinct().Where(n => n != "input").ToArray()).Where(l => l.Length >= 1)
        from shapes in (from c in Gen.Choose(1, 64) from h in Gen.Choose(1, 8) from w in Gen.Choose(1, 8) select (c, h, w)).ArrayOf(names.Length)
        from kinds in Gen.Elements("conv2d", "relu", "max_pool2d", "concat").ArrayOf(names.Length)
        from classes in Gen.Choose(2, 12)
        from words in Gen.Elements("cat", "dog", "striped", "ring", "t-shirt", "ankle boot", "solid", "3d", "class").ArrayOf(classes)
        let labels = words.Select((w, i) => $"{w} {i}").ToArray()
        let taps = names.Select((n, i) => new RandomTap(n, kinds[i], new[] { shapes[i].c, shapes[i].h, shapes[i].w }))
            .Append(new RandomTap("logits", "linear", new[] { classes })).ToArray()
        select new RandomSchema(taps, labels);

    /// <summary>A term valid for the schema: a channel, a neuron inside the tap, or a class.</summary>
    private static Gen<string> ValidTerm(RandomSchema schema, int index) =>
        Gen.OneOf(
            from tap in Gen.Elements(schema.Spatial.ToArray())
            from c in Gen.Choose(0, tap.Shape[0] - 1)
            select $"[Channel(\"{tap.Name}\", {c})] public partial Term T{index} {{ get; }}",
            from tap in Gen.Elements(schema.Spatial.ToArray())
            from c in Gen.Choose(0, tap.Shape[0] - 1)
            from x in Gen.Choose(0, tap.Shape[2] - 1)
            from y in Gen.Choose(0, tap.Shape[1] - 1)
            select $"[Neuron(\"{tap.Name}\", {c}, X = {x}, Y = {y})] public partial Term T{index} {{ get; }}",
            from label in Gen.Elements(schema.Labels)
            select $"[ClassLogit(\"{label}\")] public partial Term T{index} {{ get; }}",
            from c in Gen.Choose(0, schema.Labels.Length - 1)
            select $"[Channel(\"logits\", {c}, Weight = 0.5)] public partial Term T{index} {{ get; }}");

    private static string Program(string terms) => $$"""
        using Lucid.Dsl;
        [LucidModel("random.schema.json")] public static partial class RandomModel;
        [Objective] public partial class Goal { {{terms}} }
        [FourierImage(Width = 32)] public partial class Canvas;
        [Render(typeof(Canvas), typeof(Goal), Steps = 16)] public partial class GoalRender;
        [Attribution(typeof(RandomModel), AttributionKind.IntegratedGradients, Class = "{{"{{LABEL}}"}}")] public partial class Explain;
        """;

    /// <summary>Valid terms (1–4) and a valid class label on a random schema.</summary>
    public sealed record ValidCase(RandomSchema Schema, string Terms, string Label) : Case;

    /// <summary>A channel past the end of a tap, beside a valid term.</summary>
    public sealed record BadChannelCase(RandomSchema Schema, RandomTap Tap, int Channel, string Valid) : Case;

    public static Arbitrary<ValidCase> ValidCases() => (
        from schema in Schemas
        from count in Gen.Choose(1, 4)
        from terms in ValidTerm(schema, -1).ArrayOf(count)
        from label in Gen.Elements(schema.Labels)
        select new ValidCase(schema, string.Join(" ", terms.Select((t, i) => t.Replace("T-1", "T" + i.ToString(CultureInfo.InvariantCulture)))), label)).ToArbitrary();

    public static Arbitrary<BadChannelCase> BadChannelCases() => (
        from schema in Schemas
        from tap in Gen.Elements(schema.Spatial.ToArray())
        from excess in Gen.Choose(0, 100)
        from valid in ValidTerm(schema, 1)
        select new BadChannelCase(schema, tap, tap.Shape[0] + excess, valid)).ToArbitrary();

    [Property(MaxTest = 40)]
    public void RandomValidDeclarations_OnRandomSchemas_CompileWithoutDiagnostics(ValidCase c)
    {
        var source = Program(c.Terms).Replace("{{LABEL}}", c.Label);
        var run = GeneratorHarness.Run(source, new InMemoryAdditionalText("/p/random.schema.json", c.Schema.Json()));
        Assert.True(run.GeneratorDiagnostics.IsEmpty, string.Join("; ", run.GeneratorDiagnostics.Select(d => d.ToString())) + "\n" + source);
        Assert.True(run.CompilationProblems.Count == 0, string.Join("; ", run.CompilationProblems.Select(d => d.ToString())) + "\n" + source);
        Assert.Equal(5, run.Sources.Count);
    }

    [Property(MaxTest = 60)]
    public void RandomOutOfRangeChannel_GivesExactlyOneLucid002_AtTheChannelArgument(BadChannelCase c)
    {
        var bad = $"[Channel(\"{c.Tap.Name}\", {c.Channel})] public partial Term T0 {{ get; }}";
        var source = Program(bad + " " + c.Valid).Replace("{{LABEL}}", c.Schema.Labels[0]);
        var run = GeneratorHarness.Run(source, new InMemoryAdditionalText("/p/random.schema.json", c.Schema.Json()));
        var d = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("LUCID002", d.Id);
        int start = source.IndexOf(bad, StringComparison.Ordinal) + bad.IndexOf(", ", StringComparison.Ordinal) + 2;
        Assert.Equal(start, d.Location.SourceSpan.Start);
        Assert.Equal(c.Channel.ToString(CultureInfo.InvariantCulture).Length, d.Location.SourceSpan.Length);
    }
}

/// <summary>
/// The generator's typed settings are the attribute classes' own: every setting the generator reads has the attribute's
/// name and default (written once on each side of the compiler boundary), and every settable property of the attribute
/// classes is one the generator reads.
/// </summary>
public class AttributeDefaultsTests
{
    private static string Show(object? value) => value switch
    {
        null => "null",
        string text => text,
        System.Collections.IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Show)) + "]",
        System.IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Compares <paramref name="defaults"/> with the attributes (the first that has each property), both ways; returns the count compared.</summary>
    private static int AssertSameDefaults(object defaults, params System.Attribute[] attributes)
    {
        var flags = System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance;
        var settings = defaults.GetType().GetProperties(flags).Where(p => p.Name != "EqualityContract").ToList();
        foreach (var property in settings)
        {
            var owner = attributes.FirstOrDefault(x => x.GetType().GetProperty(property.Name) is not null);
            Assert.True(owner is not null, $"no attribute among {string.Join(", ", attributes.Select(x => x.GetType().Name))} has '{property.Name}'");
            Assert.True(Show(owner!.GetType().GetProperty(property.Name)!.GetValue(owner)) == Show(property.GetValue(defaults)),
                $"{defaults.GetType().Name}.{property.Name}: generator {Show(property.GetValue(defaults))}, {owner.GetType().Name} {Show(owner.GetType().GetProperty(property.Name)!.GetValue(owner))}");
        }
        // the other way: a settable property of the attributes that the generator's settings lack would be silently ignored
        // (type references are resolved to declarations by the parser, not read as settings)
        var names = settings.Select(p => p.Name).ToHashSet();
        foreach (var attribute in attributes)
            foreach (var property in attribute.GetType().GetProperties(flags).Where(p => p.CanWrite && p.DeclaringType != typeof(System.Attribute) && p.PropertyType != typeof(System.Type)))
                Assert.True(names.Contains(property.Name), $"{attribute.GetType().Name}.{property.Name} has no typed setting in {defaults.GetType().Name}");
        return settings.Count;
    }

    [Fact]
    public void AttributionSettingsDefaults_AreAttributionAttributesDefaults() =>
        Assert.Equal(11, AssertSameDefaults(Lucid.Dsl.Generators.Specs.AttributionSettings.Defaults,
            new Lucid.Dsl.AttributionAttribute(typeof(object), Lucid.Dsl.AttributionKind.Saliency)));

    [Fact]
    public void RenderSettingsDefaults_AreRenderAttributesDefaults() =>
        Assert.Equal(8, AssertSameDefaults(Lucid.Dsl.Generators.Specs.RenderSettings.Defaults, new Lucid.Dsl.RenderAttribute(typeof(object), typeof(object))));

    [Fact]
    public void VitalSettingsDefaults_AreVitalRenderAttributesDefaults() =>
        Assert.Equal(6, AssertSameDefaults(Lucid.Dsl.Generators.Specs.VitalSettings.Defaults, new Lucid.Dsl.VitalRenderAttribute(typeof(object), "")));

    [Fact]
    public void ImageSettingsDefaults_AreTheImageAttributesDefaults() =>
        Assert.Equal(11, AssertSameDefaults(Lucid.Dsl.Generators.Specs.ImageSettings.Defaults,
            new Lucid.Dsl.FourierImageAttribute(), new Lucid.Dsl.PixelImageAttribute(), new Lucid.Dsl.LaplacianPyramidImageAttribute(),
            new Lucid.Dsl.CppnImageAttribute(), new Lucid.Dsl.MacoImageAttribute()));
}
