using System.Text.Json;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Attribution.Tests;

/// <summary>
/// Our composites against Zennit's own numbers (zennit/zennit-reference.json, written by zennit/make_reference.py with
/// Zennit 0.5.1): a conv net whose layers all have biases, with a BatchNorm merged by the canonizer — so each rule's
/// treatment of the bias (z⁺: b⁺ in the denominator; αβ: b⁺ and b⁻ in their branches; γ: b + γb^± by the output's
/// sign; w²: b² in the denominator; flat and z^B: none; ε: b) decides the heatmap.
/// </summary>
public class ZennitReferenceTests
{
    private static readonly JsonElement Reference =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "zennit", "zennit-reference.json"))).RootElement;

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    private static Tensor State(string name, params int[] shape) =>
        Tensor.FromArray(Floats(Reference.GetProperty("state").GetProperty(name)), shape).DetachFromScope();

    /// <summary>The reference network in our engine with Zennit's weights.</summary>
    internal static Model Network()
    {
        var b = new ModelBuilder("zennit-reference", new[] { 3, 8, 8 });
        var mean = State("1.running_mean", 6);
        var variance = State("1.running_var", 6);
        var gamma = State("1.weight", 6);
        var beta = State("1.bias", 6);
        var x = b.Add("conv1", new Conv2dLayer(State("0.weight", 6, 3, 3, 3), State("0.bias", 6), padding: 1), "input");
        x = b.Add("bn1", new ActivationLayer("batch_norm", t => Ops.BatchNorm(t, mean, variance, gamma, beta, training: false)), x);
        x = b.Add("relu1", ActivationLayer.Relu(), x);
        x = b.Add("conv2", new Conv2dLayer(State("3.weight", 8, 6, 3, 3), State("3.bias", 8), stride: 2, padding: 1), x);
        x = b.Add("relu2", ActivationLayer.Relu(), x);
        x = b.Add("pool", new Pool2dLayer(max: false, 2, 2), x);
        x = b.Add("flatten", new FlattenLayer(), x);
        b.Add("fc", new LinearLayer(State("7.weight", 5, 32), State("7.bias", 5)), x);
        return b.Build(new[] { "a", "b", "c", "d", "e" });
    }

    public static TheoryData<string> Cases => new() { "EpsilonPlusFlat", "EpsilonAlpha2Beta1", "EpsilonGammaBox", "EpsilonPlusWSquareConv2" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Composites_ReproduceZennitsRelevance_OnANetworkWithBiases(string name)
    {
        var model = Network();
        using var input = Tensor.FromArray(Floats(Reference.GetProperty("input")), 1, 3, 8, 8);
        int target = Reference.GetProperty("target").GetInt32();
        var lrp = name switch
        {
            "EpsilonPlusFlat" => LrpComposites.For(LrpComposite.EpsilonPlusFlat, model),
            "EpsilonAlpha2Beta1" => LrpComposites.For(LrpComposite.EpsilonAlpha2Beta1, model),
            "EpsilonGammaBox" => LrpComposites.For(LrpComposite.EpsilonGammaBox, model),
            _ => LrpComposites.For(LrpComposite.EpsilonPlus, model).WithOverrides(model, new Dictionary<string, LrpRule> { ["conv2"] = new LrpWSquare() }),
        };
        var result = lrp.Attribute(model, input, AttributionTarget.Class(target));
        Assert.Equal(Reference.GetProperty("logit").GetSingle(), result.TargetValues[0], 1e-5f);
        var ours = result.Attribution.ToArray();
        var theirs = Floats(Reference.GetProperty("relevance").GetProperty(name));
        double difference = Math.Sqrt(ours.Zip(theirs, (a, b) => (double)(a - b) * (a - b)).Sum());
        double norm = Math.Sqrt(theirs.Sum(v => (double)v * v));
        Assert.True(difference <= 1e-4 * norm, $"{name}: relative L2 difference to Zennit {difference / norm:E2} (Σ ours {ours.Sum():G6}, Σ Zennit {theirs.Sum():G6})");
    }
}
