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
    private static string Show(object? value)
    {
        if (value is not null && value.GetType().IsGenericType && value.GetType().Name.StartsWith("Arg", StringComparison.Ordinal))
            value = value.GetType().GetProperty("Value")!.GetValue(value); // a typed setting: its value
        return value switch
        {
            null => "null",
            string text => text,
            System.Collections.IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Show)) + "]",
            System.IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }

    private const System.Reflection.BindingFlags Instance = System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance;

    /// <summary>A settable property of an attribute (a constructor's argument is always written: it has no default).</summary>
    private static bool HasDefault(System.Reflection.PropertyInfo p) => p.CanWrite && p.DeclaringType != typeof(System.Attribute);

    /// <summary>
    /// Compares <paramref name="defaults"/> with the attributes, both ways: every typed setting is a property of an
    /// attribute (the first that has it), with the attribute's default where it has one; every property of the
    /// attributes is a typed setting. Returns the count of typed settings.
    /// </summary>
    private static int AssertSameDefaults(Func<System.Attribute, object> defaults, params System.Attribute[] attributes)
    {
        var settingsType = defaults(attributes[0]).GetType();
        var settings = settingsType.GetProperties(Instance).Where(p => p.Name != "EqualityContract").ToList();
        foreach (var property in settings)
        {
            var owner = attributes.FirstOrDefault(x => x.GetType().GetProperty(property.Name) is not null);
            Assert.True(owner is not null, $"no attribute among {string.Join(", ", attributes.Select(x => x.GetType().Name))} has '{property.Name}'");
        }
        foreach (var attribute in attributes)
        {
            var own = defaults(attribute);
            foreach (var property in attribute.GetType().GetProperties(Instance).Where(p => p.DeclaringType != typeof(System.Attribute) && p.Name != "TypeId"))
            {
                var setting = settingsType.GetProperty(property.Name);
                Assert.True(setting is not null, $"{attribute.GetType().Name}.{property.Name} has no typed setting in {settingsType.Name}");
                if (!HasDefault(property) || property.PropertyType == typeof(System.Type)) continue; // type references resolve to declarations
                Assert.True(Show(property.GetValue(attribute)) == Show(setting!.GetValue(own)),
                    $"{settingsType.Name}.{property.Name} for {attribute.GetType().Name}: generator {Show(setting.GetValue(own))}, attribute {Show(property.GetValue(attribute))}");
            }
        }
        return settings.Count;
    }

    /// <summary>An instance of each concrete attribute class deriving from <typeparamref name="T"/> (constructor arguments: defaults of their types).</summary>
    private static System.Attribute[] AllOf<T>() where T : System.Attribute =>
        typeof(T).Assembly.GetTypes().Where(t => typeof(T).IsAssignableFrom(t) && !t.IsAbstract).OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t =>
            {
                var ctor = t.GetConstructors().OrderBy(c => c.GetParameters().Length).First();
                var args = ctor.GetParameters().Select(p => p.ParameterType == typeof(string) ? "" : p.ParameterType.IsArray
                    ? Array.CreateInstance(p.ParameterType.GetElementType()!, 0) : p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null).ToArray();
                return (System.Attribute)ctor.Invoke(args);
            }).ToArray();

    private static string Kind(System.Attribute a) => a.GetType().Name[..^"Attribute".Length];

    [Fact]
    public void AttributionSettingsDefaults_AreAttributionAttributesDefaults() =>
        Assert.Equal(13, AssertSameDefaults(_ => Lucid.Dsl.Generators.Specs.AttributionSettings.Defaults,
            new Lucid.Dsl.AttributionAttribute(typeof(object), Lucid.Dsl.AttributionKind.Saliency)));

    [Fact]
    public void RenderSettingsDefaults_AreRenderAttributesDefaults() =>
        Assert.Equal(11, AssertSameDefaults(_ => Lucid.Dsl.Generators.Specs.RenderSettings.Defaults, new Lucid.Dsl.RenderAttribute(typeof(object), typeof(object))));

    [Fact]
    public void VitalSettingsDefaults_AreVitalRenderAttributesDefaults() =>
        Assert.Equal(7, AssertSameDefaults(_ => Lucid.Dsl.Generators.Specs.VitalSettings.Defaults, new Lucid.Dsl.VitalRenderAttribute(typeof(object), "")));

    [Fact]
    public void ImageSettingsDefaults_AreTheImageAttributesDefaults() =>
        Assert.Equal(11, AssertSameDefaults(_ => Lucid.Dsl.Generators.Specs.ImageSettings.Defaults, AllOf<Lucid.Dsl.ImageAttribute>()));

    [Fact]
    public void TermSettingsDefaults_AreEveryTermAttributesDefaults()
    {
        var terms = AllOf<Lucid.Dsl.TermAttribute>();
        Assert.True(terms.Length >= 16, $"{terms.Length} term attributes");
        Assert.Equal(19, AssertSameDefaults(a => Lucid.Dsl.Generators.Specs.TermSettings.DefaultsFor(Kind(a)), terms));
    }

    [Fact]
    public void TransformStepSettingsDefaults_AreEveryStepAttributesDefaults() =>
        Assert.Equal(13, AssertSameDefaults(_ => Lucid.Dsl.Generators.Specs.TransformStepSettings.Defaults, AllOf<Lucid.Dsl.TransformStepAttribute>()));

    [Fact]
    public void PanelSettingsDefaults_AreEveryPanelAttributesDefaults() =>
        Assert.Equal(8, AssertSameDefaults(a => Lucid.Dsl.Generators.Specs.PanelSettings.DefaultsFor(Kind(a)), AllOf<Lucid.Dsl.InterfacePanelAttribute>()));

    [Fact]
    public void InterfaceAndLrpRuleSettingsDefaults_AreTheirAttributesDefaults()
    {
        Assert.Equal(3, AssertSameDefaults(_ => Lucid.Dsl.Generators.Specs.InterfaceSettings.Defaults, new Lucid.Dsl.InterfaceAttribute(typeof(object))));
        Assert.Equal(3, AssertSameDefaults(_ => Lucid.Dsl.Generators.Specs.LrpRuleSettings.Defaults, new Lucid.Dsl.LrpRuleAttribute("", Lucid.Dsl.LrpRuleKind.Zero)));
    }
}
