using FsCheck;
using FsCheck.Fluent;
using Lucid.Tensors;

namespace Lucid.Tensors.Tests;

/// <summary>
/// Central finite differences against Backward().
///
/// Tolerance and why it is sound: the loss is L = Σ yᵢ·rᵢ with fixed random rᵢ, evaluated in double from the float32
/// outputs. With step h = 1e-3 the truncation error of the central difference is O(h²·|L'''|) ≈ 1e-6 for the O(1)
/// inputs used here, and the float32 rounding of the outputs (relative 6e-8 per element, summed over at most a few
/// hundred terms) contributes at most ≈ 6e-8·√n·|y|/h ≈ 1e-3 after division by 2h. So |analytic − numeric| must be
/// below 5e-3 + 1e-2·max(|analytic|, |numeric|); a wrong backward rule (a sign, a missing factor, a wrong index) is
/// off by O(1) and fails. Non-smooth ops are only evaluated at inputs at least 10·h away from their kinks.
/// </summary>
internal static class GradCheck
{
    public const double Step = 1e-3;
    public const double AbsTol = 5e-3;
    public const double RelTol = 1e-2;

    /// <summary>Checks d(Σ f(inputs)·r)/d(inputs) for every input that requires grad; up to <paramref name="maxPerInput"/> elements each.</summary>
    // step: the finite-difference step. Linear ops may use a large one — their central difference is exact for any
    // step, and a larger step keeps the float32 rounding of the loss (≈ 1e-6 of its size) from dominating.
    public static void Check(string op, Func<Tensor[], Tensor> f, Tensor[] inputs, Rng rng, int maxPerInput = 24,
        double absTol = AbsTol, double relTol = RelTol, double step = Step)
    {
        foreach (var t in inputs) t.Grad = null;
        Tensor y = f(inputs);
        var r = rng.Normal(y.ShapeArray.ToArray());
        var rd = r.ToArray();
        using (var weighted = Ops.Mul(y, r))
        using (var loss = Ops.Sum(weighted))
            loss.Backward();

        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            if (!x.RequiresGrad) continue;
            if (x.Grad is null) throw new Exception($"{op}: input {k} received no gradient.");
            var analytic = x.Grad.ToArray();
            var indices = Enumerable.Range(0, x.Count).ToArray();
            if (indices.Length > maxPerInput) indices = rng.Permutation(x.Count).Take(maxPerInput).ToArray();
            foreach (int i in indices)
            {
                var data = x.Data;
                float original = data[i];
                float plus = (float)(original + step), minus = (float)(original - step);
                data[i] = plus;
                double lp = Loss(f, inputs, rd);
                data[i] = minus;
                double lm = Loss(f, inputs, rd);
                data[i] = original;
                double numeric = (lp - lm) / ((double)plus - minus);
                double a = analytic[i];
                double err = Math.Abs(a - numeric);
                if (!(err <= absTol + relTol * Math.Max(Math.Abs(a), Math.Abs(numeric))))
                    throw new Exception($"{op}: gradient of input {k} (shape [{string.Join(",", x.Shape.ToArray())}]) at element {i}: analytic {a:G6}, numeric {numeric:G6} (|diff| {err:G3}).");
            }
        }
        y.Dispose();
        r.Dispose();
    }

    private static double Loss(Func<Tensor[], Tensor> f, Tensor[] inputs, float[] r)
    {
        using var _ = Autograd.GradMode.NoGrad();
        using var y = f(inputs);
        var d = y.Data;
        double s = 0;
        for (int i = 0; i < d.Length; i++) s += (double)d[i] * r[i];
        return s;
    }

    /// <summary>A leaf with N(0, 1) entries.</summary>
    public static Tensor Leaf(Rng rng, params int[] shape) => rng.Normal(shape).RequireGrad();

    /// <summary>A leaf whose entries are at least <paramref name="gap"/> away from every value in <paramref name="kinks"/>.</summary>
    public static Tensor AwayFrom(Rng rng, int[] shape, float gap, params float[] kinks)
    {
        var t = rng.Normal(shape);
        var d = t.Data;
        for (int i = 0; i < d.Length; i++)
            foreach (var k in kinks)
                if (Math.Abs(d[i] - k) < gap) d[i] = k + (d[i] >= k ? gap : -gap) * (1 + rng.NextFloat());
        return t.RequireGrad();
    }

    /// <summary>A leaf of distinct values (gaps ≥ 0.05 between any two), so max/min selections are stable under ±h.</summary>
    public static Tensor Distinct(Rng rng, params int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var perm = rng.Permutation(n);
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (perm[i] - n / 2f) * 0.05f + 0.01f * rng.NextFloat();
        return Tensor.FromArray(values, shape).RequireGrad();
    }

    public static Tensor Positive(Rng rng, int[] shape, float low = 0.5f, float high = 2f) => rng.Uniform(shape, low, high).RequireGrad();
}
