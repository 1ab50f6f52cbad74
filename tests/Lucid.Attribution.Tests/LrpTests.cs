using FsCheck;
using FsCheck.Fluent;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Xunit;

namespace Lucid.Attribution.Tests;

public class LrpTests
{
    /// <summary>
    /// A random bias-free ReLU network with every structure the rules must handle: conv → ReLU → max-pool → two conv
    /// branches concatenated → conv with a residual sum → ReLU → avg-pool → flatten → linear → ReLU → linear (4 logits).
    /// </summary>
    internal static Model RandomBiasFreeNet(ulong seed, bool withBias = false)
    {
        var rng = new Rng(seed);
        Tensor W(params int[] shape) => rng.Normal(shape, 0f, 0.6f);
        Tensor? B(int n) => withBias ? rng.Normal(new[] { n }, 0f, 0.1f) : null;
        var nodes = new List<ModelNode>();
        var shapes = new Dictionary<string, int[]> { ["input"] = new[] { 2, 8, 8 } };
        void Add(string tap, Layer layer, params string[] inputs)
        {
            var shape = layer.OutputShape(inputs.Select(i => shapes[i]).ToList());
            shapes[tap] = shape;
            nodes.Add(new ModelNode(tap, layer, inputs, shape));
        }
        Add("conv1_pre_relu", new Conv2dLayer(W(4, 2, 3, 3), B(4), 1, 1), "input");
        Add("conv1", ActivationLayer.Relu(), "conv1_pre_relu");
        Add("pool1", new Pool2dLayer(max: true, 2, 2), "conv1");
        Add("branch_a", new Conv2dLayer(W(2, 4, 1, 1), B(2)), "pool1");
        Add("branch_b", new Conv2dLayer(W(3, 4, 3, 3), B(3), 1, 1), "pool1");
        Add("mixed", new ConcatLayer(), "branch_a", "branch_b");
        Add("mixed_relu", ActivationLayer.Relu(), "mixed");
        Add("res_conv", new Conv2dLayer(W(5, 5, 3, 3), B(5), 1, 1), "mixed_relu");
        Add("residual", new AddLayer(), "res_conv", "mixed_relu");
        Add("residual_relu", ActivationLayer.Relu(), "residual");
        Add("pool2", new Pool2dLayer(max: false, 2, 2), "residual_relu");
        Add("flatten", new FlattenLayer(), "pool2");
        Add("fc1_pre_relu", new LinearLayer(W(6, 20), B(6)), "flatten");
        Add("fc1", ActivationLayer.Relu(), "fc1_pre_relu");
        Add("logits", new LinearLayer(W(4, 6), B(4)), "fc1");
        return new Model($"random-{seed}", new ModelInput(new[] { 2, 8, 8 }, 0f, 1f), nodes, new[] { "a", "b", "c", "d" });
    }

    private static readonly (string Name, Func<LrpRule> Rule)[] ConservingRules =
    {
        ("LRP-0", () => new LrpZero(1e-9f)),
        ("epsilon", () => new LrpEpsilon(1e-9f)),
        ("z-plus", () => new LrpZPlus(1e-9f)),
        ("alpha2-beta1", () => new LrpAlphaBeta(Stabilizer: 1e-9f)),
        ("flat", () => new LrpFlat(1e-9f)),
        ("w-square", () => new LrpWSquare(1e-9f)),
    };

    public static IEnumerable<object[]> RuleNames => ConservingRules.Select(r => new object[] { r.Name });

    /// <summary>
    /// Σ relevance is conserved from the output to the input and from tap to tap (bias-free ReLU networks, 300 random
    /// networks and inputs each). Tolerance: 1e-5 relative to the magnitude of what is summed, Σ|R_i| + |f(x)|. The
    /// relevances are float32 and rules like αβ (α·R⁺ − β·R⁻) or a residual split with a negative summand produce terms
    /// larger than their total, so the rounding scales with Σ|R_i|, not with f(x).
    /// </summary>
    [Theory]
    [MemberData(nameof(RuleNames))]
    public void Relevance_IsConserved_OnBiasFreeReluNetworks(string ruleName)
    {
        var make = ConservingRules.Single(r => r.Name == ruleName).Rule;
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var model = RandomBiasFreeNet((ulong)seed);
            using var x = new Rng((ulong)seed + 7).Uniform(new[] { 1, 2, 8, 8 });
            var taps = new Dictionary<string, Tensor>();
            int cls = seed % 4;
            // stabilizers at 1e-9 (the ε): with Zennit's 1e-6 the stabilizer itself absorbs ~1e-6/|z| of the relevance
            var result = Lrp.Uniform(make(), sumStabilizer: 1e-9f).Attribute(model, x, AttributionTarget.Class(cls), taps);
            float f = result.TargetValues[0];
            if (Math.Abs(f) < 1e-3) return; // nothing to conserve
            // z⁺ (Deep Taylor) explains positive evidence: a negative output has no positive contributions to carry it
            if (ruleName == "z-plus" && f < 0) return;
            // layer to layer (every tap on the main path) and output to input carry the same total
            foreach (var tap in new[] { "fc1", "pool2", "residual_relu", "mixed_relu", "pool1", "conv1", "input" })
            {
                var r = taps[tap].ToArray();
                double t = r.Sum(v => (double)v), magnitude = r.Sum(v => Math.Abs((double)v)) + Math.Abs(f);
                Assert.True(Math.Abs(t - f) <= 1e-5 * magnitude, $"{ruleName}, seed {seed}: Σ R at '{tap}' = {t:G9}, f(x) = {f:G9} (Σ|R| {magnitude:G4})");
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true));
    }

    /// <summary>LRP-0 equals gradient × input on ReLU networks (with biases too).</summary>
    [Fact]
    public void LrpZero_EqualsInputTimesGradient_OnReluNetworks() =>
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var model = RandomBiasFreeNet((ulong)seed, withBias: true);
            using var x = new Rng((ulong)seed + 3).Uniform(new[] { 1, 2, 8, 8 });
            var target = AttributionTarget.Class(seed % 4);
            var lrp = Lrp.Uniform(new LrpZero(1e-12f), sumStabilizer: 1e-12f).Attribute(model, x, target).Attribution.ToArray();
            var ixg = GradientAttribution.InputXGradient(model, x, target).Attribution.ToArray();
            double scale = ixg.Max(v => Math.Abs(v)) + 1e-6;
            for (int i = 0; i < ixg.Length; i++)
                Assert.True(Math.Abs(lrp[i] - ixg[i]) <= 1e-4 * scale, $"seed {seed}, element {i}: LRP-0 {lrp[i]:G6}, x·∇ {ixg[i]:G6}");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true));

    /// <summary>With biases, the relevance missing at the input is what the biases absorbed (ε rule, reported delta).</summary>
    [Fact]
    public void WithBiases_TheDeltaIsTheRelevanceTheBiasesAbsorbed()
    {
        var model = RandomBiasFreeNet(11, withBias: true);
        using var x = new Rng(12).Uniform(new[] { 1, 2, 8, 8 });
        var r = Lrp.Uniform(new LrpZero(1e-12f)).Attribute(model, x, AttributionTarget.Class(1));
        Assert.Equal(r.Attribution.ToArray().Sum(v => (double)v) - r.TargetValues[0], r.Delta![0], 3);
        Assert.True(Math.Abs(r.Delta[0]) > 1e-4, "biases should absorb some relevance");
    }

    /// <summary>Every rule against its closed-form definition on a dense layer, in float64.</summary>
    [Theory]
    [InlineData("LRP-0")]
    [InlineData("epsilon")]
    [InlineData("gamma")]
    [InlineData("z-plus")]
    [InlineData("alpha2-beta1")]
    [InlineData("flat")]
    [InlineData("w-square")]
    [InlineData("z-box")]
    public void Rules_MatchTheirDenseDefinitions(string rule)
    {
        var rng = new Rng(31);
        int n = 5, m = 3;
        var w = rng.Normal(new[] { m, n });
        var bias = rng.Normal(new[] { m }, 0f, 0.3f);
        var xs = rng.Uniform(new[] { 1, n }, -0.5f, 1f);
        var r = rng.Normal(new[] { 1, m });
        var model = new Model("dense", new ModelInput(new[] { n }, 0f, 1f), new[] { new ModelNode("out", new LinearLayer(w, bias), new[] { "input" }, new[] { m }) }, new[] { "a", "b", "c" });
        LrpRule lrpRule = rule switch
        {
            "LRP-0" => new LrpZero(0f), "epsilon" => new LrpEpsilon(0.1f), "gamma" => new LrpGamma(0.25f), "z-plus" => new LrpZPlus(),
            "alpha2-beta1" => new LrpAlphaBeta(), "flat" => new LrpFlat(), "w-square" => new LrpWSquare(), _ => new LrpZBox(-1f, 2f),
        };
        // relevance of the layer output: drive the backward with R directly through a hooked graph
        var x = xs.Clone().RequireGrad();
        var y = model.Forward(x);
        var hook = (NodeBackwardHook)((node, relevance) => node.Op == "linear" ? new[] { lrpRule.GetType().GetMethod("Propagate", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .Invoke(lrpRule, new object[] { LinearViewFactory(node), relevance }) as Tensor, null, null } : null);
        var actual = Gradients.Of(y, new[] { x }, gradOutput: r, nodeHook: hook)[0].ToArray();
        double[] X = xs.ToArray().Select(v => (double)v).ToArray(), R = r.ToArray().Select(v => (double)v).ToArray(), Bv = bias.ToArray().Select(v => (double)v).ToArray();
        double Wd(int j, int i) => w[j, i];
        var expected = new double[n];
        for (int j = 0; j < m; j++)
        {
            double Stab(double z, double e) => z >= 0 ? z + e : z - e;
            switch (rule)
            {
                case "LRP-0":
                case "epsilon":
                {
                    double e = rule == "epsilon" ? 0.1 : 0;
                    double z = Bv[j] + Enumerable.Range(0, n).Sum(i => X[i] * Wd(j, i));
                    for (int i = 0; i < n; i++) expected[i] += X[i] * Wd(j, i) * R[j] / Stab(z, e);
                    break;
                }
                case "gamma":
                {
                    double Wg(int i) => Wd(j, i) + 0.25 * Math.Max(0, Wd(j, i));
                    double z = Bv[j] + 0.25 * Math.Max(0, Bv[j]) + Enumerable.Range(0, n).Sum(i => X[i] * Wg(i));
                    for (int i = 0; i < n; i++) expected[i] += X[i] * Wg(i) * R[j] / Stab(z, 1e-6);
                    break;
                }
                case "z-plus":
                {
                    double z = Enumerable.Range(0, n).Sum(i => X[i] * Math.Max(0, Wd(j, i)));
                    for (int i = 0; i < n; i++) expected[i] += X[i] * Math.Max(0, Wd(j, i)) * R[j] / Stab(z, 1e-6);
                    break;
                }
                case "alpha2-beta1":
                {
                    double P(int i) => Math.Max(0, X[i]) * Math.Max(0, Wd(j, i)) + Math.Min(0, X[i]) * Math.Min(0, Wd(j, i));
                    double N(int i) => Math.Max(0, X[i]) * Math.Min(0, Wd(j, i)) + Math.Min(0, X[i]) * Math.Max(0, Wd(j, i));
                    double zp = Enumerable.Range(0, n).Sum(P), zn = Enumerable.Range(0, n).Sum(N);
                    for (int i = 0; i < n; i++) expected[i] += 2 * P(i) * R[j] / Stab(zp, 1e-6) - 1 * N(i) * R[j] / Stab(zn, 1e-6);
                    break;
                }
                case "flat":
                    for (int i = 0; i < n; i++) expected[i] += R[j] / Stab(n, 1e-6);
                    break;
                case "w-square":
                {
                    double z = Enumerable.Range(0, n).Sum(i => Wd(j, i) * Wd(j, i));
                    for (int i = 0; i < n; i++) expected[i] += Wd(j, i) * Wd(j, i) * R[j] / Stab(z, 1e-6);
                    break;
                }
                default:
                {
                    double Term(int i) => X[i] * Wd(j, i) - (-1) * Math.Max(0, Wd(j, i)) - 2 * Math.Min(0, Wd(j, i));
                    double z = Enumerable.Range(0, n).Sum(Term);
                    for (int i = 0; i < n; i++) expected[i] += Term(i) * R[j] / Stab(z, 1e-6);
                    break;
                }
            }
        }
        for (int i = 0; i < n; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"{rule}: R[{i}] = {actual[i]:G6}, expected {expected[i]:G6}");
    }

    private static object LinearViewFactory(Node node) =>
        Activator.CreateInstance(typeof(LrpRule).Assembly.GetType("Lucid.Attribution.LinearView")!, node)!;

    [Fact]
    public void AlphaBetaWithoutUnitDifference_IsRejected()
    {
        var model = RandomBiasFreeNet(1);
        using var x = Tensor.Ones(1, 2, 8, 8);
        var e = Assert.Throws<LucidArgumentException>(() => Lrp.Uniform(new LrpAlphaBeta(3f, 1f)).Attribute(model, x, AttributionTarget.Class(0)));
        Assert.Contains("α − β must be 1", e.Message);
    }
}
