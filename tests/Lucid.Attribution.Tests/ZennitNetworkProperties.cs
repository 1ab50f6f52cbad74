using Lucid.Models.Graph;
using Lucid.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace Lucid.Attribution.Tests;

/// <summary>
/// Zennit's composites on whole networks with biases: 300 random conv / residual / average-pool / linear networks, each
/// explained by our float32 LRP and by a float64 dense re-implementation of Zennit's definitions written here (every
/// layer a dense matrix; ε keeps the bias, z⁺ keeps b⁺ in its denominator, αβ puts b⁺ and b⁻ in their branches, γ
/// puts b + γb⁺ (or b + γb⁻ where the output is negative) in the branch of the positive (negative) output, z^B's
/// biases cancel, flat zeroes it; ReLU passes; residual sums split in proportion — by positive parts in the z⁺
/// composites; pools get ε). All six of Zennit's LRP composites: EpsilonPlus(Flat), EpsilonAlpha2Beta1(Flat),
/// EpsilonGammaBox (z^B on the first layer with the model's pixel bounds) and ExcitationBackprop (z⁺ on every linear
/// layer, dense ones included) — and w² on every layer with parameters (a rule map).
/// The per-layer rules are checked against their dense definitions in <see cref="LrpTests"/>; this checks the composition.
/// </summary>
public class ZennitNetworkProperties(ITestOutputHelper output)
{
    private const double Eps = LrpRule.DefaultEpsilon;

    private sealed record Dense(double[,] W, double[] B, bool[,] Connected, string Op);

    private static double Stab(double z, double eps) => z >= 0 ? z + eps : z - eps;

    private static Dense Conv(Conv2dLayer conv, int cin, int side)
    {
        var w = conv.Weight.ToArray();
        var bias = conv.Bias!.ToArray();
        int cout = conv.Weight.Size(0), k = conv.Weight.Size(2), p = k / 2, hw = side * side;
        var m = new double[cout * hw, cin * hw];
        var c = new bool[cout * hw, cin * hw];
        var b = new double[cout * hw];
        for (int o = 0; o < cout; o++)
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++)
                {
                    int j = (o * side + y) * side + x;
                    b[j] = bias[o];
                    for (int i = 0; i < cin; i++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++)
                            {
                                int yy = y + ky - p, xx = x + kx - p;
                                if (yy < 0 || yy >= side || xx < 0 || xx >= side) continue;
                                int q = (i * side + yy) * side + xx;
                                m[j, q] = w[((o * cin + i) * k + ky) * k + kx];
                                c[j, q] = true;
                            }
                }
        return new Dense(m, b, c, "conv2d");
    }

    private static Dense AvgPool(int channels, int side)
    {
        int half = side / 2;
        var m = new double[channels * half * half, channels * side * side];
        var c = new bool[m.GetLength(0), m.GetLength(1)];
        for (int ch = 0; ch < channels; ch++)
            for (int y = 0; y < half; y++)
                for (int x = 0; x < half; x++)
                    for (int dy = 0; dy < 2; dy++)
                        for (int dx = 0; dx < 2; dx++)
                        {
                            int j = (ch * half + y) * half + x, q = (ch * side + 2 * y + dy) * side + 2 * x + dx;
                            m[j, q] = 0.25;
                            c[j, q] = true;
                        }
        return new Dense(m, new double[m.GetLength(0)], c, "avg_pool2d");
    }

    private static Dense Fc(LinearLayer linear)
    {
        int o = linear.Weight.Size(0), n = linear.Weight.Size(1);
        var w = linear.Weight.ToArray();
        var m = new double[o, n];
        var c = new bool[o, n];
        for (int j = 0; j < o; j++)
            for (int i = 0; i < n; i++) { m[j, i] = w[j * n + i]; c[j, i] = true; }
        return new Dense(m, linear.Bias!.ToArray().Select(v => (double)v).ToArray(), c, "linear");
    }

    private static double[] Forward(Dense d, double[] a)
    {
        var z = new double[d.B.Length];
        for (int j = 0; j < z.Length; j++)
        {
            double s = d.B[j];
            for (int i = 0; i < a.Length; i++) s += d.W[j, i] * a[i];
            z[j] = s;
        }
        return z;
    }

    private static double[] Relu(double[] z) => z.Select(v => Math.Max(v, 0)).ToArray();

    /// <summary>Zennit's rule on a dense layer; <paramref name="worst"/> tracks the smallest |stab(z)| relative to the contributions it divides (conditioning).</summary>
    private static double[] Rule(string rule, Dense d, double[] a, double[] r, ref double worst)
    {
        int n = a.Length, o = r.Length;
        var result = new double[n];
        void Branch(Func<int, int, double> contribution, Func<int, double> bias, double[] rel, double scale, ref double worstRef)
        {
            for (int j = 0; j < o; j++)
            {
                if (rel[j] == 0) continue;
                double z = bias(j), magnitude = Math.Abs(bias(j));
                for (int i = 0; i < n; i++) { double c = contribution(j, i); z += c; magnitude += Math.Abs(c); }
                double s = Stab(z, Eps);
                if (magnitude > 0) worstRef = Math.Min(worstRef, Math.Abs(s) / magnitude);
                for (int i = 0; i < n; i++) result[i] += scale * contribution(j, i) * rel[j] / s;
            }
        }
        double Pos(double v) => Math.Max(v, 0);
        double Neg(double v) => Math.Min(v, 0);
        switch (rule)
        {
            case "epsilon":
                Branch((j, i) => d.W[j, i] * a[i], j => d.B[j], r, 1, ref worst);
                break;
            case "zplus":
                Branch((j, i) => Pos(d.W[j, i]) * Pos(a[i]) + Neg(d.W[j, i]) * Neg(a[i]), j => Pos(d.B[j]), r, 1, ref worst);
                break;
            case "flat":
                Branch((j, i) => d.Connected[j, i] ? 1 : 0, _ => 0, r, 1, ref worst);
                break;
            case "gamma":
            {
                // Zennit's Gamma: the plain output's sign picks the branch; each branch its own modified weights and bias
                const double gamma = 0.25;
                for (int j = 0; j < o; j++)
                {
                    if (r[j] == 0) continue;
                    double plain = d.B[j];
                    for (int i = 0; i < n; i++) plain += d.W[j, i] * a[i];
                    if (plain == 0) continue;
                    bool up = plain > 0;
                    double Mod(double w, bool positiveInput) => (up == positiveInput) ? w + gamma * Pos(w) : w + gamma * Neg(w);
                    double z = d.B[j] + gamma * (up ? Pos(d.B[j]) : Neg(d.B[j])), magnitude = Math.Abs(z);
                    var c = new double[n];
                    for (int i = 0; i < n; i++)
                    {
                        c[i] = a[i] > 0 ? Mod(d.W[j, i], true) * a[i] : a[i] < 0 ? Mod(d.W[j, i], false) * a[i] : 0;
                        z += c[i];
                        magnitude += Math.Abs(c[i]);
                    }
                    double s = Stab(z, Eps);
                    if (magnitude > 0) worst = Math.Min(worst, Math.Abs(s) / magnitude);
                    for (int i = 0; i < n; i++) result[i] += c[i] * r[j] / s;
                }
                break;
            }
            case "wsquare":
                // Zennit's WSquare: inputs of ones, weights and biases squared
                Branch((j, i) => d.W[j, i] * d.W[j, i], j => d.B[j] * d.B[j], r, 1, ref worst);
                break;
            case "zbox":
                // z^B with the pixel bounds l = 0, h = 1 (the models' input range): x·w − l·w⁺ − h·w⁻; the biases cancel
                Branch((j, i) => d.W[j, i] * a[i] - 0 * Pos(d.W[j, i]) - 1 * Neg(d.W[j, i]), _ => 0, r, 1, ref worst);
                break;
            case "alpha2beta1":
                Branch((j, i) => Pos(d.W[j, i]) * Pos(a[i]) + Neg(d.W[j, i]) * Neg(a[i]), j => Pos(d.B[j]), r, 2, ref worst);
                Branch((j, i) => Neg(d.W[j, i]) * Pos(a[i]) + Pos(d.W[j, i]) * Neg(a[i]), j => Neg(d.B[j]), r, -1, ref worst);
                break;
        }
        return result;
    }

    [Fact]
    public void ZennitsComposites_OnRandomNetworksWithBiases_EqualTheirFloat64Definitions()
    {
        static Func<Model, Lrp> Named(LrpComposite composite) => model => LrpComposites.For(composite, model);
        // w² everywhere Zennit's rules take parameters (convolutions and dense layers), ε (Norm) on the pool: a rule map
        var wSquare = new LrpRuleMap { ByKind = new Dictionary<string, LrpRule> { ["conv2d"] = new LrpWSquare(), ["linear"] = new LrpWSquare() }, Name = "WSquare" };
        var composites = new (string Composite, Func<Model, Lrp> Make, string? First, string Conv, string Dense, bool PositiveSplit)[]
        {
            ("EpsilonPlus", Named(LrpComposite.EpsilonPlus), null, "zplus", "epsilon", true),
            ("EpsilonPlusFlat", Named(LrpComposite.EpsilonPlusFlat), "flat", "zplus", "epsilon", true),
            ("EpsilonAlpha2Beta1", Named(LrpComposite.EpsilonAlpha2Beta1), null, "alpha2beta1", "epsilon", false),
            ("EpsilonAlpha2Beta1Flat", Named(LrpComposite.EpsilonAlpha2Beta1Flat), "flat", "alpha2beta1", "epsilon", false),
            ("EpsilonGammaBox", Named(LrpComposite.EpsilonGammaBox), "zbox", "gamma", "epsilon", false),
            ("ExcitationBackprop", Named(LrpComposite.ExcitationBackprop), null, "zplus", "zplus", true),
            ("WSquare (rule map)", wSquare.For, null, "wsquare", "wsquare", false),
        };
        int checkedCases = 0, illConditioned = 0;
        double worstError = 0;
        for (int net = 0; net < 300; net++)
        {
            var rng = new Rng((ulong)(1000 + net));
            int side = rng.NextInt(0, 2) == 0 ? 4 : 6, c1 = rng.NextInt(2, 6), hidden = rng.NextInt(3, 8), classes = rng.NextInt(2, 5);
            bool residual = rng.NextInt(0, 2) == 0, twoFc = rng.NextInt(0, 2) == 0;
            var b = new ModelBuilder($"net{net}", new[] { 3, side, side }, 0f, 1f, (ulong)(7 * net + 3));
            string x = b.Add("r1", ActivationLayer.Relu(), b.Conv("c1", "input", c1, 3, padding: 1));
            if (residual)
            {
                var inner = b.Add("r2", ActivationLayer.Relu(), b.Conv("c2", x, c1, 3, padding: 1));
                var sum = b.Add("add", new AddLayer(), b.Conv("c3", inner, c1, 3, padding: 1), x);
                x = b.Add("r3", ActivationLayer.Relu(), sum);
            }
            x = b.Add("flatten", new FlattenLayer(), b.Add("pool", new Pool2dLayer(max: false, 2, 2), x));
            if (twoFc) x = b.Add("fr", ActivationLayer.Relu(), b.Linear("fc1", x, hidden));
            b.Linear("logits", x, classes);
            var model = b.Build(Enumerable.Range(0, classes).Select(i => $"k{i}").ToArray());

            var input = rng.Uniform(new[] { 1, 3, side, side }, 0f, 1f).DetachFromScope();
            int target = rng.NextInt(0, classes);
            // the network as dense float64 layers
            var layers = model.Nodes.ToDictionary(n => n.Name, n => n.Layer);
            var dC1 = Conv((Conv2dLayer)layers["c1"], 3, side);
            var a0 = input.ToArray().Select(v => (double)v).ToArray();
            var z1 = Forward(dC1, a0);
            var a1 = Relu(z1);
            double[] aPool;
            Dense? dC2 = null, dC3 = null;
            double[]? a2 = null, z3 = null;
            if (residual)
            {
                dC2 = Conv((Conv2dLayer)layers["c2"], c1, side);
                dC3 = Conv((Conv2dLayer)layers["c3"], c1, side);
                a2 = Relu(Forward(dC2, a1));
                z3 = Forward(dC3, a2);
                aPool = Relu(z3.Zip(a1, (p, q) => p + q).ToArray());
            }
            else aPool = a1;
            var dPool = AvgPool(c1, side);
            var flat = Forward(dPool, aPool);
            Dense? dFc1 = twoFc ? Fc((LinearLayer)layers["fc1"]) : null;
            var aFc = twoFc ? Relu(Forward(dFc1!, flat)) : flat;
            var dLogits = Fc((LinearLayer)layers["logits"]);
            var logits = Forward(dLogits, aFc);

            foreach (var (composite, make, first, conv, dense, positiveSplit) in composites)
            {
                double worst = double.PositiveInfinity;
                var r = new double[logits.Length];
                r[target] = logits[target];
                r = Rule(dense, dLogits, aFc, r, ref worst);
                if (twoFc) r = Rule(dense, dFc1!, flat, r, ref worst);
                r = Rule("epsilon", dPool, aPool, r, ref worst);
                double[] rA1;
                if (residual)
                {
                    var rSkip = new double[r.Length];
                    var rMain = new double[r.Length];
                    for (int i = 0; i < r.Length; i++)
                    {
                        double p = positiveSplit ? Math.Max(z3![i], 0) : z3![i], q = positiveSplit ? Math.Max(a1[i], 0) : a1[i];
                        double s = p + q;
                        if (s == 0) { rMain[i] = rSkip[i] = r[i] / 2; continue; }
                        rMain[i] = p * r[i] / Stab(s, Eps);
                        rSkip[i] = q * r[i] / Stab(s, Eps);
                    }
                    var rA2 = Rule(conv, dC3!, a2!, rMain, ref worst);
                    var rInner = Rule(conv, dC2!, a1, rA2, ref worst);
                    rA1 = rInner.Zip(rSkip, (p, q) => p + q).ToArray();
                }
                else rA1 = r;
                var reference = Rule(first ?? conv, dC1, a0, rA1, ref worst);

                using var scope = Tensor.Scope();
                var ours = make(model).Attribute(model, input, AttributionTarget.Class(target)).Attribution.ToArray();
                // conditioning: a denominator 1e4 times smaller than the contributions it divides turns float32 rounding
                // of those contributions into relevance errors of 1e-3 — such cases are counted, not compared
                if (worst < 1e-4) { illConditioned++; continue; }
                double diff = Math.Sqrt(ours.Zip(reference, (p, q) => (p - q) * (p - q)).Sum());
                double norm = Math.Sqrt(reference.Sum(v => v * v)) + 1e-6 * Math.Abs(logits[target]);
                double error = diff / norm;
                worstError = Math.Max(worstError, error);
                checkedCases++;
                Assert.True(error <= 1e-3 + 1e-6 / worst, $"net {net} ({(residual ? "residual" : "plain")}, {side}², {(twoFc ? "2" : "1")} fc) {composite}: relative L2 {error:E2} from Zennit's float64 definition (conditioning {worst:E1})");
            }
        }
        output.WriteLine($"{checkedCases} network × composite cases compared, worst relative L2 {worstError:E2}; {illConditioned} ill-conditioned cases counted, not compared");
        Assert.True(illConditioned <= checkedCases / 20, $"{illConditioned} of {checkedCases + illConditioned} cases ill-conditioned");
    }
}
