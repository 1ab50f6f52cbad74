using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Lucid.Dsl.Generators.Tests;

/// <summary>
/// The generator is incremental: a second run, or a run after an unrelated edit, recomputes nothing; an edit to one
/// declaration leaves the others' outputs cached; and no step output holds a symbol, a syntax node, a compilation or
/// a location (which would root old compilations and defeat caching).
/// </summary>
public class CachingTests
{
    private static readonly string[] TrackedNames = typeof(TrackingNames).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToArray();

    private static (GeneratorDriver Driver, Compilation Compilation) FirstRun()
    {
        var compilation = GeneratorHarness.Compilation(GeneratedSourceTests.EveryKind);
        var driver = GeneratorHarness.Driver(new InMemoryAdditionalText(GeneratorHarness.InceptionMiniPath, GeneratorHarness.InceptionMiniSchema))
            .RunGenerators(compilation);
        return (driver, compilation);
    }

    [Fact]
    public void SecondRun_OnTheSameInput_IsCachedAtEveryTrackedStep()
    {
        var (driver, compilation) = FirstRun();
        var second = driver.RunGenerators(compilation.Clone()).GetRunResult().Results.Single();
        AssertAllCached(second);
    }

    [Fact]
    public void UnrelatedEdit_LeavesEveryTrackedStepCached()
    {
        var (driver, compilation) = FirstRun();
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Other { public class Unrelated { public int X => 1; } }", GeneratorHarness.ParseOptions, path: "/project/Unrelated.cs"));
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();
        AssertAllCached(second);
    }

    [Fact]
    public void EditingOneObjective_ModifiesItsSpecOnly()
    {
        var (driver, compilation) = FirstRun();
        var tree = compilation.SyntaxTrees.Single();
        var text = tree.GetText().ToString().Replace("[Channel(\"mixed4a\", 97)]", "[Channel(\"mixed4a\", 98)]");
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(text)));
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();
        var objectives = second.TrackedSteps[TrackingNames.Objectives].SelectMany(s => s.Outputs).ToList();
        Assert.Equal(2, objectives.Count);
        Assert.Single(objectives, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Single(objectives, o => o.Reason is IncrementalStepRunReason.Unchanged or IncrementalStepRunReason.Cached);
        // a different channel changes no image, transform set, model binding or render spec
        foreach (var name in new[] { TrackingNames.Images, TrackingNames.TransformSets, TrackingNames.Models, TrackingNames.ResolvedRenders })
            Assert.All(second.TrackedSteps[name].SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Unchanged or IncrementalStepRunReason.Cached, $"{name}: {o.Reason}"));
    }

    [Fact]
    public void StepOutputs_HoldNoSymbolsSyntaxCompilationsOrLocations()
    {
        var (driver, _) = FirstRun();
        var result = driver.GetRunResult().Results.Single();
        int walked = 0;
        foreach (var name in TrackedNames)
        {
            Assert.True(result.TrackedSteps.ContainsKey(name), $"tracked step '{name}' did not run");
            foreach (var step in result.TrackedSteps[name])
                foreach (var (value, _) in step.Outputs)
                    Walk(value, name, new HashSet<object>(ReferenceEqualityComparer.Instance), ref walked);
        }
        Assert.True(walked > 100, $"walked only {walked} objects");
    }

    private static void Walk(object? value, string path, HashSet<object> seen, ref int walked)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        Assert.False(value is ISymbol or SyntaxNode or Compilation or Location or SyntaxTree or SemanticModel, $"{path} holds a {value.GetType().Name}");
        if (!value.GetType().IsValueType && !seen.Add(value)) return;
        walked++;
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (var item in items) Walk(item, $"{path}[{i++}]", seen, ref walked);
            if (value.GetType().Namespace?.StartsWith("System.Collections") == true) return;
        }
        if (value.GetType().Namespace?.StartsWith("Lucid.Dsl.Generators") != true && !value.GetType().Name.StartsWith("ValueTuple")) return;
        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            Walk(field.GetValue(value), $"{path}.{field.Name}", seen, ref walked);
    }

    private static void AssertAllCached(GeneratorRunResult result)
    {
        foreach (var name in TrackedNames)
        {
            Assert.True(result.TrackedSteps.ContainsKey(name), $"tracked step '{name}' did not run");
            foreach (var step in result.TrackedSteps[name])
                foreach (var (_, reason) in step.Outputs)
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"step '{name}' output was {reason}");
        }
    }
}
