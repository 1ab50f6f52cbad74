using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Testing;
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
        // Zennit's αβ gives a one-sided neuron α (or −β) times its relevance; the conserving variant routes it whole
        ("alpha2-beta1", () => new LrpAlphaBeta(Stabilizer: 1e-9f) { ConserveOneSided = true }),
        ("flat", () => new LrpFlat(1e-9f)),
        ("w-square", () => new LrpWSquare(1e-9f)),
    };

    /// <summary>
    /// Σ relevance is conserved from the output to the input and from tap to tap (bias-free ReLU networks, 300 random
    /// networks and inputs each). Tolerance: 1e-5 relative to the magnitude of what is summed, Σ|R_i| + |f(x)|. The
    /// relevances are float32 and rules like αβ (α·R⁺ − β·R⁻) or a residual split with a negative summand produce terms
    /// larger than their total, so the rounding scales with Σ|R_i|, not with f(x).
    /// </summary>
    [Property(MaxTest = 300)] public void LrpZero_ConservesRelevance(Seed seed) => Conserves("LRP-0", seed);
    [Property(MaxTest = 300)] public void Epsilon_ConservesRelevance(Seed seed) => Conserves("epsilon", seed);
    [Property(MaxTest = 300)] public void ZPlus_ConservesRelevance(Seed seed) => Conserves("z-plus", seed);
    [Property(MaxTest = 300)] public void AlphaBeta_ConservesRelevance(Seed seed) => Conserves("alpha2-beta1", seed);
    [Property(MaxTest = 300)] public void Flat_ConservesRelevance(Seed seed) => Conserves("flat", seed);
    [Property(MaxTest = 300)] public void WSquare_ConservesRelevance(Seed seed) => Conserves("w-square", seed);

    /// <summary>A network FsCheck found whose residual sum nearly cancels at one position (|z| ~ 1e-5): flat loses 2.09e-4 of Σ|R| 4.96 there, exactly the stabilizer's share.</summary>
    [Fact] public void Flat_ConservesRelevance_WhereAResidualSumNearlyCancels() => Conserves("flat", 1471094161);

    private static void Conserves(string ruleName, int seed)
    {
        var make = ConservingRules.Single(r => r.Name == ruleName).Rule;
        var model = RandomBiasFreeNet((ulong)seed);
        using var x = new Rng((ulong)seed + 7).Uniform(new[] { 1, 2, 8, 8 });
        int cls = seed % 4;
        // stabilizers at 1e-9 (the ε): with Zennit's 1e-6 the stabilizer itself absorbs ~1e-6/|z| of the relevance
        var result = Lrp.Uniform(make(), sumStabilizer: 1e-9f).Attribute(model, x, AttributionTarget.Class(cls), recordRelevance: true);
        var taps = result.Relevance;
        float f = result.TargetValues[0];
        if (Math.Abs(f) < 1e-3) return; // nothing to conserve
        // z⁺ (Deep Taylor) explains positive evidence: a negative output has no positive contributions to carry it
        if (ruleName == "z-plus" && f < 0) return;
        // The residual sum splits R_p by z_i/(z_p + ε·sign z_p) (ε = 1e-9): where a sum z_p nearly cancels, the
        // stabilizer keeps R_p·ε/|z_p + ε| of it (once in ~10³ networks a position sits at |z_p| ~ 1e-5 and the loss
        // passes 1e-5 of Σ|R|); below the sum that much may be missing, and no more.
        var sums = model.Run(x, null, stopAfter: "residual")["residual"].ToArray();
        var atSum = taps["residual"].ToArray();
        double splitLoss = 0;
        for (int p = 0; p < sums.Length; p++) splitLoss += Math.Abs(atSum[p]) * 1e-9 / Math.Abs(Math.Abs(sums[p]) + 1e-9);
        // layer to layer (every tap on the main path) and output to input carry the same total
        foreach (var tap in new[] { "fc1", "pool2", "residual_relu", "mixed_relu", "pool1", "conv1", "input" })
        {
            var r = taps[tap].ToArray();
            double t = r.Sum(v => (double)v), magnitude = r.Sum(v => Math.Abs((double)v)) + Math.Abs(f);
            double allowed = 1e-5 * magnitude + (tap is "mixed_relu" or "pool1" or "conv1" or "input" ? splitLoss : 0);
            Assert.True(Math.Abs(t - f) <= allowed, $"{ruleName}, seed {seed}: Σ R at '{tap}' = {t:G9}, f(x) = {f:G9} (Σ|R| {magnitude:G4}, residual split loss ≤ {splitLoss:G3})");
        }
    }

    /// <summary>
    /// The flat rule's closed form on a convolution equals its definition — Zennit's two passes with unit inputs and
    /// weights, z = conv(1, 1), R_in = 1 ⊙ convᵀ(R / stabilize(z), 1) — on random geometries: kernel 1–7 (odd and even,
    /// non-square), stride 1–3, padding 0–3 (wider than the kernel's reach too), dilation 1–2, 1–4 images, 1–5 channels
    /// each way, odd map sizes; within 1e-5 of the largest relevance (the sums run in another order).
    /// </summary>
    [Property(MaxTest = 200)]
    public void Flat_ClosedFormOnAConvolution_EqualsItsTwoPasses(Seed seed)
    {
        var rng = new Rng((ulong)seed);
        int n = rng.NextInt(1, 5), cin = rng.NextInt(1, 6), cout = rng.NextInt(1, 6);
        int kh = rng.NextInt(1, 8), kw = rng.NextInt(1, 8), sh = rng.NextInt(1, 4), sw = rng.NextInt(1, 4);
        int ph = rng.NextInt(0, 4), pw = rng.NextInt(0, 4), dh = rng.NextInt(1, 3), dw = rng.NextInt(1, 3);
        int h = dh * (kh - 1) + 1 + rng.NextInt(0, 12) - Math.Min(2 * ph, dh * (kh - 1)), w = dw * (kw - 1) + 1 + rng.NextInt(0, 12) - Math.Min(2 * pw, dw * (kw - 1));
        using var scope = Tensor.Scope();
        var x = new Rng((ulong)seed + 1).Uniform(new[] { n, cin, h, w });
        var weight = Tensor.Ones(cout, cin, kh, kw);
        var z = Ops.Conv2d(Tensor.OnesLike(x), weight, null, (sh, sw), (ph, pw), (dh, dw), 1);
        var relevance = new Rng((ulong)seed + 2).Uniform(z.Shape.ToArray());
        var expected = LrpRule.Redistribute(new[] { Tensor.OnesLike(x) }, xs => Ops.Conv2d(xs[0], weight, null, (sh, sw), (ph, pw), (dh, dw), 1), relevance, 1e-6f).ToArray();
        var actual = LrpKernels.FlatConvolution(relevance, x.Shape.ToArray(), kh, kw, new Conv2dAttributes(sh, sw, ph, pw, dh, dw, 1), 1e-6f).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * scale,
                $"seed {seed}: {n}×{cin}→{cout}, {h}×{w}, kernel {kh}×{kw}, stride {sh}×{sw}, pad {ph}×{pw}, dilation {dh}×{dw}: element {i} {actual[i]} vs {expected[i]}");
    }

    /// <summary>
    /// LRP starts every target as Zennit does (output · mask): each element of the target tap enters with its own
    /// contribution to f, so Σ R at the tap is f(x) — for a channel (Σ over positions), a neuron and a direction, on
    /// 200 random networks with biases. (It once entered f(x) at every position of a channel: Σ R was f(x)·H·W.)
    /// </summary>
    [Property(MaxTest = 200)]
    public void TargetRelevance_IsEachElementsOwnContribution_AndSumsToTheTargetValue(Seed seed)
    {
        var model = RandomBiasFreeNet((ulong)seed, withBias: true);
        using var x = new Rng((ulong)seed + 11).Uniform(new[] { 1, 2, 8, 8 });
        var rng = new Rng((ulong)seed);
        int c = rng.NextInt(0, 5);
        var direction = Enumerable.Range(0, 5).Select(_ => (float)(rng.NextInt(-100, 101) / 100.0)).ToArray();
        var targets = new[]
        {
            (AttributionTarget.Channel("residual_relu", c), (Func<float[], int, float>)((a, i) => i / 16 == c ? a[i] : 0f)),
            (AttributionTarget.Neuron("residual_relu", c, 1, 2), (a, i) => i == c * 16 + 6 ? a[i] : 0f),
            (AttributionTarget.Direction("residual_relu", direction), (a, i) => a[i] * direction[i / 16]),
            // a function target (a neuron group read as a weighted sum): each element enters with a ⊙ ∂f/∂a
            (AttributionTarget.Function("residual_relu", t =>
                    Ops.Sub(Ops.Mul(Ops.Sum(Ops.Flatten(Ops.Slice(t, 1, c, c + 1)), 1), 2f), Ops.Sum(Ops.Flatten(Ops.Slice(t, 1, (c + 1) % 5, (c + 1) % 5 + 1)), 1)),
                "2·channel c − channel c + 1"),
                (a, i) => i / 16 == c ? 2 * a[i] : i / 16 == (c + 1) % 5 ? -a[i] : 0f),
        };
        float[] activation;
        using (GradMode.NoGrad()) activation = model.Run(x, null, stopAfter: "residual_relu")["residual_relu"].ToArray();
        foreach (var (target, contribution) in targets)
        {
            var result = Lrp.EpsilonPlus().Attribute(model, x, target, recordRelevance: true);
            var r = result.Relevance["residual_relu"].ToArray();
            for (int i = 0; i < r.Length; i++)
                Assert.True(Math.Abs(r[i] - contribution(activation, i)) <= 1e-6f * (1 + Math.Abs(activation[i])), $"seed {seed}, {target}, element {i}: R {r[i]}, contribution {contribution(activation, i)}");
            // f(x) is the engine's float32 sum of the same terms, so its rounding scales with Σ|R| (a difference of two
            // channels' sums can cancel to far less than either)
            double sum = r.Sum(v => (double)v), f = result.TargetValues[0], magnitude = r.Sum(v => Math.Abs((double)v));
            Assert.True(Math.Abs(sum - f) <= 1e-5 * (1 + Math.Abs(f) + magnitude), $"seed {seed}, {target}: Σ R {sum:G7}, f(x) {f:G7} (Σ|R| {magnitude:G4})");
        }
    }

    /// <summary>LRP-0 equals gradient × input on ReLU networks (with biases too).</summary>
    [Property(MaxTest = 300)]
    public void LrpZero_EqualsInputTimesGradient_OnReluNetworks(Seed seed)
    {
        var model = RandomBiasFreeNet((ulong)seed, withBias: true);
        using var x = new Rng((ulong)seed + 3).Uniform(new[] { 1, 2, 8, 8 });
        var target = AttributionTarget.Class(seed % 4);
        var lrp = Lrp.Uniform(new LrpZero(1e-12f), sumStabilizer: 1e-12f).Attribute(model, x, target).Attribution.ToArray();
        var ixg = GradientAttribution.InputXGradient(model, x, target).Attribution.ToArray();
        double scale = ixg.Max(v => Math.Abs(v)) + 1e-6;
        for (int i = 0; i < ixg.Length; i++)
            Assert.True(Math.Abs(lrp[i] - ixg[i]) <= 1e-4 * scale, $"seed {seed}, element {i}: LRP-0 {lrp[i]:G6}, x·∇ {ixg[i]:G6}");
    }

    /// <summary>Layers with a bias, the tap each one writes, and the bias tensor.</summary>
    private static IEnumerable<(string Tap, float[] Bias)> BiasedLayers(Model model) =>
        model.Nodes.Where(n => n.Layer is Conv2dLayer { Bias: not null } or LinearLayer { Bias: not null })
            .Select(n => (n.Name, (n.Layer is Conv2dLayer c ? c.Bias! : ((LinearLayer)n.Layer).Bias!).ToArray()));

    /// <summary>
    /// With biases, each layer's reported delta Σ R_in − Σ R_out is exactly the relevance its biases absorbed,
    /// −Σ_j R_j·(b_j + ε·s_j)/(z_j + ε·s_j) with z the layer's output (ε rule, 300 random networks); the deltas of the
    /// layers add up to the whole delta (the residual split, pooling and activations conserve).
    /// </summary>
    [Property(MaxTest = 300)]
    public void WithBiases_EachLayersDeltaIsTheRelevanceItsBiasesAbsorbed(Seed seed)
    {
        var model = RandomBiasFreeNet((ulong)seed, withBias: true);
        using var x = new Rng((ulong)seed + 5).Uniform(new[] { 1, 2, 8, 8 });
        const float eps = 1e-6f;
        var r = Lrp.Uniform(new LrpEpsilon(eps), sumStabilizer: 1e-9f).Attribute(model, x, AttributionTarget.Class(seed % 4), recordRelevance: true);
        var taps = model.Run(x, null);
        double total = 0, magnitude = Math.Abs(r.TargetValues[0]);
        foreach (var (tap, bias) in BiasedLayers(model))
        {
            var z = taps[tap].ToArray();
            var rel = r.Relevance[tap].ToArray();
            // float32 sums of the input side: where a z_j nearly cancels, its shares x_i·w_ji·R_j/z_j are large and
            // so is their rounding, which the magnitude of the relevance entering the layer's input shows
            string source = model[tap].Inputs[0];
            double inputSide = r.Relevance[source].ToArray().Sum(v => Math.Abs((double)v));
            int plane = z.Length / bias.Length;
            double absorbed = 0, size = 0;
            for (int j = 0; j < z.Length; j++)
            {
                double s = z[j] >= 0 ? eps : -eps;
                absorbed -= rel[j] * (bias[j / plane] + s) / (z[j] + s);
                size += Math.Abs(rel[j]);
            }
            float reported = r.LayerDeltas[tap][0];
            Assert.True(Math.Abs(reported - absorbed) <= 1e-4 * (size + inputSide) + 1e-6, $"seed {seed}, '{tap}': reported {reported:G6}, absorbed by biases {absorbed:G6}");
            total += reported;
            magnitude += size;
        }
        Assert.True(Math.Abs(total - r.Delta![0]) <= 1e-4 * magnitude + 1e-6, $"seed {seed}: layer deltas add to {total:G6}, whole delta {r.Delta![0]:G6}");
    }

    /// <summary>Ignoring biases makes every layer conserve again (LRP-0 on a biased network: per-layer deltas ≈ 0).</summary>
    [Fact]
    public void IgnoringBiases_EveryLayerConserves()
    {
        var model = RandomBiasFreeNet(17, withBias: true);
        using var x = new Rng(18).Uniform(new[] { 1, 2, 8, 8 });
        var biased = Lrp.Uniform(new LrpZero(1e-9f), 1e-9f).Attribute(model, x, AttributionTarget.Class(2));
        var ignoring = new Lrp((_, _) => new LrpZero(1e-9f), 1e-9f) { IgnoreBias = true }.Attribute(model, x, AttributionTarget.Class(2));
        Assert.Contains(biased.LayerDeltas.Values, d => Math.Abs(d[0]) > 1e-3);
        Assert.All(ignoring.LayerDeltas, p => Assert.True(Math.Abs(p.Value[0]) <= 1e-4 * (1 + Math.Abs(ignoring.TargetValues[0])), $"'{p.Key}': {p.Value[0]}"));
    }

    /// <summary>
    /// Proportional max-pool redistribution conserves relevance too (100 random networks, seeds 1–100: the claim is
    /// about their total, so it is a fixed sample rather than a property), and spreads it over the
    /// window: before the first max-pool, winner-take-all leaves three of every four positions empty, proportional
    /// redistribution fills every position with a positive input (counted over all networks — in one network every
    /// window may hold a single positive input, where the two agree).
    /// </summary>
    [Fact]
    public void ProportionalMaxPool_Conserves_AndDiffersFromWinnerTakeAll()
    {
        long zerosWinner = 0, zerosSpread = 0;
        for (int seed = 1; seed <= 100; seed++)
        {
            var model = RandomBiasFreeNet((ulong)seed);
            using var x = new Rng((ulong)seed + 9).Uniform(new[] { 1, 2, 8, 8 });
            var target = AttributionTarget.Class(seed % 4);
            var winner = new Lrp((_, _) => new LrpEpsilon(1e-9f), 1e-9f).Attribute(model, x, target, recordRelevance: true);
            var spread = new Lrp((_, _) => new LrpEpsilon(1e-9f), 1e-9f) { MaxPool = MaxPoolRelevance.Proportional }.Attribute(model, x, target, recordRelevance: true);
            float f = spread.TargetValues[0];
            if (Math.Abs(f) < 1e-3) continue; // nothing to redistribute
            var input = spread.Attribution.ToArray();
            double magnitude = input.Sum(v => Math.Abs((double)v)) + Math.Abs(f);
            Assert.True(Math.Abs(input.Sum(v => (double)v) - f) <= 1e-5 * magnitude, $"seed {seed}");
            int w = winner.Relevance["conv1"].ToArray().Count(v => v == 0f), p = spread.Relevance["conv1"].ToArray().Count(v => v == 0f);
            Assert.True(p <= w, $"seed {seed}: {p} empty positions with proportional, {w} with winner-take-all");
            zerosWinner += w;
            zerosSpread += p;
        }
        Assert.True(zerosSpread < 0.9 * zerosWinner, $"empty positions: {zerosSpread} proportional, {zerosWinner} winner-take-all");
    }

    /// <summary>An evaluation-mode batch normalization in a test model (the engine's op, as ONNX imports run it).</summary>
    private sealed class BatchNormLayer(Tensor mean, Tensor variance, Tensor gamma, Tensor beta) : Layer
    {
        public override string Kind => "batch_norm";
        public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Ops.BatchNorm(inputs[0], mean, variance, gamma, beta, training: false);
        public override int[] OutputShape(IReadOnlyList<int[]> inputs) => inputs[0];
    }

    /// <summary>
    /// The BatchNorm canonizer: LRP on conv → BN → ReLU equals LRP on the conv with the normalization folded into its
    /// weights and bias (W·s, b·s + t) — for every rule; a BN that follows no conv/linear layer is refused by name.
    /// </summary>
    [Theory]
    [InlineData("epsilon")]
    [InlineData("z-plus")]
    [InlineData("alpha2-beta1")]
    public void BatchNorm_IsMergedIntoThePrecedingConvolution(string ruleName)
    {
        var make = ConservingRules.Single(r => r.Name == ruleName).Rule;
        var rng = new Rng(41);
        var w = rng.Normal(new[] { 4, 2, 3, 3 });
        var b = rng.Normal(new[] { 4 }, 0f, 0.1f);
        var mean = rng.Normal(new[] { 4 }, 0f, 0.2f);
        var variance = rng.Uniform(new[] { 4 }, 0.5f, 2f);
        var gamma = rng.Uniform(new[] { 4 }, -1.5f, 1.5f);
        var beta = rng.Normal(new[] { 4 }, 0f, 0.1f);
        var head = rng.Normal(new[] { 3, 64 });
        var input = new ModelInput(new[] { 2, 4, 4 }, 0f, 1f);
        var withBn = new Model("bn", input, new List<ModelNode>
        {
            new("conv", new Conv2dLayer(w, b, 1, 1), new[] { "input" }, new[] { 4, 4, 4 }),
            new("bn", new BatchNormLayer(mean, variance, gamma, beta), new[] { "conv" }, new[] { 4, 4, 4 }),
            new("relu", ActivationLayer.Relu(), new[] { "bn" }, new[] { 4, 4, 4 }),
            new("flatten", new FlattenLayer(), new[] { "relu" }, new[] { 64 }),
            new("logits", new LinearLayer(head, null), new[] { "flatten" }, new[] { 3 }),
        }, new[] { "a", "b", "c" });
        var s = new float[4];
        var t = new float[4];
        for (int c = 0; c < 4; c++)
        {
            s[c] = gamma.Data[c] / MathF.Sqrt(variance.Data[c] + 1e-5f);
            t[c] = beta.Data[c] - mean.Data[c] * s[c];
        }
        var wf = w.ToArray();
        for (int i = 0; i < wf.Length; i++) wf[i] *= s[i / 18];
        var bf = Enumerable.Range(0, 4).Select(c => b.Data[c] * s[c] + t[c]).ToArray();
        var folded = new Model("folded", input, new List<ModelNode>
        {
            new("conv", new Conv2dLayer(Tensor.FromArray(wf, 4, 2, 3, 3), Tensor.FromArray(bf, 4), 1, 1), new[] { "input" }, new[] { 4, 4, 4 }),
            new("relu", ActivationLayer.Relu(), new[] { "conv" }, new[] { 4, 4, 4 }),
            new("flatten", new FlattenLayer(), new[] { "relu" }, new[] { 64 }),
            new("logits", new LinearLayer(head, null), new[] { "flatten" }, new[] { 3 }),
        }, new[] { "a", "b", "c" });
        using var x = rng.Uniform(new[] { 1, 2, 4, 4 });
        var expected = Lrp.Uniform(make()).Attribute(folded, x, AttributionTarget.Class(1)).Attribution.ToArray();
        var actual = Lrp.Uniform(make()).Attribute(withBn, x, AttributionTarget.Class(1)).Attribution.ToArray();
        double scale = expected.Max(v => Math.Abs(v)) + 1e-6;
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * scale, $"{ruleName}, element {i}: {actual[i]} vs folded {expected[i]}");

        var orphan = new Model("orphan", input, new List<ModelNode>
        {
            new("bn", new BatchNormLayer(Tensor.Zeros(2), Tensor.Full(1f, 2), Tensor.Full(1f, 2), Tensor.Zeros(2)), new[] { "input" }, new[] { 2, 4, 4 }),
            new("flatten", new FlattenLayer(), new[] { "bn" }, new[] { 32 }),
            new("logits", new LinearLayer(rng.Normal(new[] { 3, 32 }), null), new[] { "flatten" }, new[] { 3 }),
        }, new[] { "a", "b", "c" });
        var e = Assert.Throws<LucidArgumentException>(() => Lrp.Uniform(make()).Attribute(orphan, x, AttributionTarget.Class(0)));
        Assert.Contains("'bn'", e.Message);
    }

    /// <summary>
    /// The rules' derived weights (BatchNorm-merged, then modified) are kept between calls: a second call gives the same
    /// bits; a change of the model's weights or of its normalization, in place, is seen by the next call exactly as a
    /// fresh model with those values sees it; and the 3×3 convolutions, wide enough for Winograd's transform, agree with
    /// direct sums to float rounding — for rules with one, two and four weight variants.
    /// </summary>
    [Theory]
    [InlineData("z-plus")]
    [InlineData("epsilon")]
    [InlineData("gamma")]
    public void DerivedWeights_AreKeptBetweenCalls_AndFollowChangesOfTheModelsWeights(string ruleName)
    {
        LrpRule Make() => ruleName switch { "z-plus" => new LrpZPlus(), "epsilon" => new LrpEpsilon(), _ => new LrpGamma() };
        var rng = new Rng(43);
        const int channels = 16, size = 12;
        var values = new[]
        {
            rng.Normal(new[] { channels, 3, 3, 3 }, 0f, 0.3f).ToArray(), rng.Normal(new[] { channels, channels, 3, 3 }, 0f, 0.1f).ToArray(),
            rng.Uniform(new[] { channels }, 0.5f, 1.5f).ToArray(), rng.Normal(new[] { channels }, 0f, 0.1f).ToArray(),
            rng.Normal(new[] { 5, channels * size * size }, 0f, 0.05f).ToArray(),
        };
        (Model Model, Tensor[] Parameters) Build()
        {
            var p = new[]
            {
                Tensor.FromArray((float[])values[0].Clone(), channels, 3, 3, 3), Tensor.FromArray((float[])values[1].Clone(), channels, channels, 3, 3),
                Tensor.FromArray((float[])values[2].Clone(), channels), Tensor.FromArray((float[])values[3].Clone(), channels),
                Tensor.FromArray((float[])values[4].Clone(), 5, channels * size * size),
            };
            var shape = new[] { channels, size, size };
            var model = new Model("derived", new ModelInput(new[] { 3, size, size }, 0f, 1f), new List<ModelNode>
            {
                new("conv1", new Conv2dLayer(p[0], null, 1, 1), new[] { "input" }, shape),
                new("relu1", ActivationLayer.Relu(), new[] { "conv1" }, shape),
                new("conv2", new Conv2dLayer(p[1], null, 1, 1), new[] { "relu1" }, shape),
                new("bn2", new BatchNormLayer(Tensor.Zeros(channels), Tensor.Full(1f, channels), p[2], p[3]), new[] { "conv2" }, shape),
                new("relu2", ActivationLayer.Relu(), new[] { "bn2" }, shape),
                new("flatten", new FlattenLayer(), new[] { "relu2" }, new[] { channels * size * size }),
                new("logits", new LinearLayer(p[4], null), new[] { "flatten" }, new[] { 5 }),
            }, new[] { "a", "b", "c", "d", "e" });
            return (model, p);
        }
        var (model, parameters) = Build();
        using var x = rng.Uniform(new[] { 2, 3, size, size });
        var target = AttributionTarget.Class(2);
        float[] Explain(Model m) => Lrp.Uniform(Make()).Attribute(m, x, target).Attribution.ToArray();

        var first = Explain(model);
        Assert.Equal(first, Explain(model));
        float[] direct;
        using (Convolutions.Direct()) direct = Explain(model);
        Assert.True(RelativeL2(first, direct) <= 1e-5, $"{ruleName}: the fast convolutions move LRP by {RelativeL2(first, direct):E2} from direct sums");

        // a training step in place: conv2's weights and the normalization's scale
        for (int i = 0; i < values[1].Length; i += 7) values[1][i] *= -1.5f;
        values[2][3] = 0.2f;
        values[1].CopyTo(parameters[1].Data);
        values[2].CopyTo(parameters[2].Data);
        var changed = Explain(model);
        Assert.True(RelativeL2(changed, first) > 1e-2, $"{ruleName}: the change of the weights did not move LRP");
        Assert.Equal(Explain(Build().Model), changed);
    }

    private static double RelativeL2(float[] a, float[] b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++)
        {
            num += (a[i] - (double)b[i]) * (a[i] - b[i]);
            den += (double)b[i] * b[i];
        }
        return Math.Sqrt(num / Math.Max(den, 1e-30));
    }

    /// <summary>Deep Taylor: z⁺ on hidden layers, z^B or w² at the first; the presets are those rule assignments.</summary>
    [Fact]
    public void DeepTaylorPresets_AreTheirRuleAssignments_AndConservePositiveEvidence()
    {
        var model = RandomBiasFreeNet(51);
        using var x = new Rng(52).Uniform(new[] { 1, 2, 8, 8 });
        var target = AttributionTarget.Class(Enumerable.Range(0, 4).First(c => GradientAttribution.Evaluate(model, x, AttributionTarget.Class(c))[0] > 0));
        var bounded = Lrp.DeepTaylor(model).Attribute(model, x, target);
        var spelled = Lrp.WithRules(model, new Dictionary<string, LrpRule> { ["conv1_pre_relu"] = new LrpZBox(0f, 1f) }, _ => new LrpZPlus(), positiveSumSplit: true)
            .Attribute(model, x, target);
        Assert.Equal(spelled.Attribution.ToArray(), bounded.Attribution.ToArray());
        var unbounded = Lrp.DeepTaylor(model, boundedInput: false).Attribute(model, x, target);
        Assert.NotEqual(bounded.Attribution.ToArray(), unbounded.Attribution.ToArray());
        foreach (var r in new[] { bounded, unbounded })
            Assert.True(Math.Abs(r.Delta![0]) <= 1e-4 * Math.Abs(r.TargetValues[0]) + 1e-5, $"delta {r.Delta![0]} of {r.TargetValues[0]}");
    }

    [Fact]
    public void RulesAssignedToLayersTheyCannotHandle_AreRefusedByName()
    {
        var model = RandomBiasFreeNet(61);
        var e = Assert.Throws<LucidArgumentException>(() => Lrp.WithRules(model, new Dictionary<string, LrpRule> { ["conv1"] = new LrpZPlus() }, _ => new LrpEpsilon()));
        Assert.Contains("'conv1'", e.Message);
        Assert.Contains("relu", e.Message);
        Assert.Contains("no_such_tap", Assert.Throws<Lucid.ModelException>(() => Lrp.WithRules(model, new Dictionary<string, LrpRule> { ["no_such_tap"] = new LrpZPlus() }, _ => new LrpEpsilon())).Message);
    }

    public static IEnumerable<object[]> RuleLayerCases =>
        from rule in new[] { "LRP-0", "epsilon", "gamma", "z-plus", "alpha2-beta1", "flat", "w-square", "z-box" }
        from layer in new[] { "linear", "conv" }
        from bias in new[] { true, false }
        select new object[] { rule, layer, bias };

    /// <summary>
    /// Every rule against its closed-form definition in float64, on a linear layer and on a convolution (stride 2,
    /// padding 1, written out as its dense matrix: entry (output, input) is the kernel tap that connects them, and
    /// "connected" is the receptive field the flat and w² rules spread over), each with and without bias.
    /// </summary>
    [Theory]
    [MemberData(nameof(RuleLayerCases))]
    public void Rules_MatchTheirDenseDefinitions(string rule, string layer, bool withBias)
    {
        var rng = new Rng(31);
        Model model;
        double[,] dense;
        bool[,] connected;
        double[] outputBias;
        int n, m;
        Tensor xs;
        if (layer == "linear")
        {
            n = 5; m = 3;
            var w = rng.Normal(new[] { m, n });
            var b = rng.Normal(new[] { m }, 0f, 0.3f);
            xs = rng.Uniform(new[] { 1, n }, -0.5f, 1f);
            model = new Model("dense", new ModelInput(new[] { n }, 0f, 1f), new[] { new ModelNode("out", new LinearLayer(w, withBias ? b : null), new[] { "input" }, new[] { m }) }, new[] { "a", "b", "c" });
            dense = new double[m, n];
            connected = new bool[m, n];
            for (int j = 0; j < m; j++)
                for (int i = 0; i < n; i++) { dense[j, i] = w[j, i]; connected[j, i] = true; }
            outputBias = Enumerable.Range(0, m).Select(j => withBias ? (double)b.Data[j] : 0).ToArray();
        }
        else
        {
            const int c = 2, h = 5, o = 3, k = 3, stride = 2, pad = 1, oh = 3;
            n = c * h * h; m = o * oh * oh;
            var w = rng.Normal(new[] { o, c, k, k });
            var b = rng.Normal(new[] { o }, 0f, 0.3f);
            xs = rng.Uniform(new[] { 1, c, h, h }, -0.5f, 1f);
            model = new Model("conv", new ModelInput(new[] { c, h, h }, 0f, 1f),
                new[]
                {
                    new ModelNode("conv", new Conv2dLayer(w, withBias ? b : null, stride, pad), new[] { "input" }, new[] { o, oh, oh }),
                    new ModelNode("flatten", new FlattenLayer(), new[] { "conv" }, new[] { m }),
                }, Enumerable.Range(0, m).Select(j => $"u{j}").ToArray());
            dense = new double[m, n];
            connected = new bool[m, n];
            for (int co = 0; co < o; co++)
                for (int oy = 0; oy < oh; oy++)
                    for (int xo = 0; xo < oh; xo++)
                        for (int ci = 0; ci < c; ci++)
                            for (int ki = 0; ki < k; ki++)
                                for (int kj = 0; kj < k; kj++)
                                {
                                    int iy = oy * stride - pad + ki, ix = xo * stride - pad + kj;
                                    if (iy < 0 || ix < 0 || iy >= h || ix >= h) continue;
                                    int j = (co * oh + oy) * oh + xo, i = (ci * h + iy) * h + ix;
                                    dense[j, i] = w.Data[((co * c + ci) * k + ki) * k + kj];
                                    connected[j, i] = true;
                                }
            outputBias = Enumerable.Range(0, m).Select(j => withBias ? (double)b.Data[j / (oh * oh)] : 0).ToArray();
        }
        var r = rng.Normal(new[] { 1, m });
        LrpRule lrpRule = rule switch
        {
            "LRP-0" => new LrpZero(0f), "epsilon" => new LrpEpsilon(0.1f), "gamma" => new LrpGamma(0.25f), "z-plus" => new LrpZPlus(),
            "alpha2-beta1" => new LrpAlphaBeta(), "flat" => new LrpFlat(), "w-square" => new LrpWSquare(), _ => new LrpZBox(-1f, 2f),
        };
        // the relevance of the layer output drives a backward pass whose linear node runs the rule
        var x = xs.Clone().RequireGrad();
        var y = Ops.Reshape(model.Forward(x), 1, m);
        var hook = (NodeBackwardHook)((node, relevance) => node.Op is "linear" or "conv2d"
            ? new[] { lrpRule.Propagate((LinearView)LinearViewFactory(node), relevance), null, null }.Take(node.Inputs.Count).ToArray()
            : null);
        var actual = Gradients.Of(y, new[] { x }, gradOutput: r, nodeHook: hook)[0].ToArray();
        var (expected, bound) = DenseRelevance(rule, xs.ToArray().Select(v => (double)v).ToArray(), dense, connected, outputBias, r.ToArray().Select(v => (double)v).ToArray());
        for (int i = 0; i < n; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 + 10 * bound[i], $"{rule} on {layer} (bias {withBias}): R[{i}] = {actual[i]:G6}, expected {expected[i]:G6} (bound {bound[i]:G3})");
    }

    /// <summary>
    /// The rules' definitions for z_j = Σ_i W_ji x_i + b_j, written out per output j (float64), with a float32 error
    /// bound per input: each share term_i·R_j/z_j is as accurate as z_j, whose relative error is about
    /// 2⁻²⁴·Σ|terms|/|z_j| (cancellation makes a near-zero z_j ill-conditioned).
    /// </summary>
    private static (double[] Expected, double[] Bound) DenseRelevance(string rule, double[] X, double[,] W, bool[,] connected, double[] B, double[] R)
    {
        int m = W.GetLength(0), n = W.GetLength(1);
        var expected = new double[n];
        var bound = new double[n];
        static double Stab(double z, double e) => z >= 0 ? z + e : z - e;
        var inputs = Enumerable.Range(0, n).ToArray();
        void Spread(Func<int, double> term, double extra, double z, double r)
        {
            double denominator = z, size = inputs.Sum(i => Math.Abs(term(i))) + Math.Abs(extra);
            foreach (int i in inputs)
            {
                double share = term(i) * r / denominator;
                expected[i] += share;
                bound[i] += Math.Abs(share) * (1e-6 + 1e-6 * size / Math.Abs(denominator));
            }
        }
        for (int j = 0; j < m; j++)
        {
            int jj = j;
            switch (rule)
            {
                case "LRP-0":
                case "epsilon":
                {
                    double e = rule == "epsilon" ? 0.1 : 0;
                    double z = B[j] + inputs.Sum(i => X[i] * W[jj, i]);
                    Spread(i => X[i] * W[jj, i], B[j], Stab(z, e), R[j]);
                    break;
                }
                case "gamma":
                {
                    // Zennit's generalized γ: by the sign of the plain output, positive inputs take w + γw⁺ (and the
                    // bias b + γb⁺) and negative inputs w + γw⁻ where it is positive, the other way round where negative
                    double z = B[j] + inputs.Sum(i => X[i] * W[jj, i]);
                    if (z == 0) break;
                    double sign = z > 0 ? 1 : -1;
                    double Up(double v) => v + 0.25 * (sign > 0 ? Math.Max(0, v) : Math.Min(0, v));
                    double Down(double v) => v + 0.25 * (sign > 0 ? Math.Min(0, v) : Math.Max(0, v));
                    double Term(int i) => Math.Max(0, X[i]) * Up(W[jj, i]) + Math.Min(0, X[i]) * Down(W[jj, i]);
                    double bias = Up(B[j]);
                    Spread(Term, bias, Stab(bias + inputs.Sum(Term), 1e-6), R[j]);
                    break;
                }
                case "z-plus":
                {
                    // Zennit's z⁺: x⁺w⁺ + x⁻w⁻ with b⁺ in the denominator
                    double P(int i) => Math.Max(0, X[i]) * Math.Max(0, W[jj, i]) + Math.Min(0, X[i]) * Math.Min(0, W[jj, i]);
                    double bias = Math.Max(0, B[j]);
                    Spread(P, bias, Stab(bias + inputs.Sum(P), 1e-6), R[j]);
                    break;
                }
                case "alpha2-beta1":
                {
                    // Zennit's αβ: each side normalized by its own contributions and bias part (b⁺, b⁻)
                    double P(int i) => Math.Max(0, X[i]) * Math.Max(0, W[jj, i]) + Math.Min(0, X[i]) * Math.Min(0, W[jj, i]);
                    double N(int i) => Math.Max(0, X[i]) * Math.Min(0, W[jj, i]) + Math.Min(0, X[i]) * Math.Max(0, W[jj, i]);
                    double bp = Math.Max(0, B[j]), bn = Math.Min(0, B[j]);
                    Spread(P, bp, Stab(bp + inputs.Sum(P), 1e-6), 2 * R[j]);
                    Spread(N, bn, Stab(bn + inputs.Sum(N), 1e-6), -1 * R[j]);
                    break;
                }
                case "flat":
                    Spread(i => connected[jj, i] ? 1 : 0, 0, Stab(inputs.Count(i => connected[jj, i]), 1e-6), R[j]);
                    break;
                case "w-square":
                    // the squared bias joins the denominator (Zennit)
                    Spread(i => W[jj, i] * W[jj, i], B[j] * B[j], Stab(B[j] * B[j] + inputs.Sum(i => W[jj, i] * W[jj, i]), 1e-6), R[j]);
                    break;
                default:
                {
                    // z^B with l = −1, h = 2: x·w − l·w⁺ − h·w⁻ over the receptive field
                    double Term(int i) => connected[jj, i] ? X[i] * W[jj, i] - (-1) * Math.Max(0, W[jj, i]) - 2 * Math.Min(0, W[jj, i]) : 0;
                    Spread(Term, 0, Stab(inputs.Sum(Term), 1e-6), R[j]);
                    break;
                }
            }
        }
        return (expected, bound);
    }

    private static object LinearViewFactory(Node node) => new LinearView(node);

    [Fact]
    public void AlphaBetaWithoutUnitDifference_IsRejected()
    {
        var model = RandomBiasFreeNet(1);
        using var x = Tensor.Ones(1, 2, 8, 8);
        var e = Assert.Throws<LucidArgumentException>(() => Lrp.Uniform(new LrpAlphaBeta(3f, 1f)).Attribute(model, x, AttributionTarget.Class(0)));
        Assert.Contains("α − β = 1", e.Message);
    }
}

public class UnitRelevanceTests
{
    [Fact]
    public void UnitRelevance_StartsFromTheUnitsActivationMap_AndIsNonNegativeBelow()
    {
        var model = Lucid.Models.Zoo.InceptionMini(seed: 3);
        using var images = new Rng(4).Uniform(new[] { 2, 3, 64, 64 });
        Tensor activations;
        using (GradMode.NoGrad()) activations = model.Run(images, null, stopAfter: "mixed3a")["mixed3a"];
        var a = activations.ToArray();
        int c = activations.Size(1), plane = activations.Size(2) * activations.Size(3);
        // the most active unit (a random network leaves many silent)
        int unit = Enumerable.Range(0, c).OrderByDescending(ch => Enumerable.Range(0, plane).Sum(i => a[ch * plane + i])).First();
        Assert.Contains(Enumerable.Range(0, plane), i => a[unit * plane + i] > 0);
        var maps = Lrp.UnitRelevance(model, "mixed3a", unit, new[] { "mixed3a", "conv2d2", "conv2d0" })(images);
        var r = maps["mixed3a"].ToArray();
        for (int e = 0; e < 2; e++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < plane; i++)
                {
                    int k = (e * c + ch) * plane + i;
                    Assert.Equal(ch == unit ? a[k] : 0f, r[k], 4);
                }
        Assert.All(new[] { "conv2d2", "conv2d0" }, t => Assert.True(maps[t].ToArray().All(v => v >= 0) && maps[t].ToArray().Any(v => v > 0), t));
    }

    [Fact]
    public void UnitRelevance_RefusesAChannelTheTapLacks()
    {
        var model = Lucid.Models.Zoo.InceptionMini(seed: 3);
        var error = Assert.Throws<LucidArgumentException>(() => Lrp.UnitRelevance(model, "mixed3a", 500, new[] { "conv2d2" }));
        Assert.Contains("channel 500", error.Message);
    }
}
