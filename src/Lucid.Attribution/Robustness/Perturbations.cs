using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution.Robustness;

/// <summary>A family of input changes with one strength parameter (noise σ, blur σ, ε, …): (images, strength) → images.</summary>
public delegate Tensor Perturbation(Tensor images, float strength);

/// <summary>Perturbation families in pixel space (RGB in [0, 1]); random ones are seeded, so a strength always gives the same images.</summary>
public static class Perturbations
{
    /// <summary>Additive Gaussian noise of standard deviation <c>strength</c>, clamped to [0, 1].</summary>
    public static Perturbation GaussianNoise(ulong seed = 0) => (images, sigma) =>
    {
        var rng = new Rng(seed);
        var data = images.ToArray();
        for (int i = 0; i < data.Length; i++) data[i] = Math.Clamp(data[i] + (float)(sigma * rng.NextNormal()), 0f, 1f);
        return Tensor.FromArray(data, images.Shape.ToArray());
    };

    /// <summary>A separable Gaussian blur of standard deviation <c>strength</c> pixels (edges clamped); 0 leaves the image.</summary>
    public static Perturbation GaussianBlur() => (images, sigma) =>
        sigma <= 0 ? images.Clone() : BlurredBaseline.Blur(images, sigma, "gaussian blur");

    /// <summary>Contrast towards mid-grey: x ↦ 0.5 + (1 − strength)·(x − 0.5).</summary>
    public static Perturbation ContrastLoss() => (images, amount) =>
    {
        var data = images.ToArray();
        for (int i = 0; i < data.Length; i++) data[i] = 0.5f + (1f - amount) * (data[i] - 0.5f);
        return Tensor.FromArray(data, images.Shape.ToArray());
    };
}

/// <summary>
/// The smallest strength of a perturbation that changes a decision (Captum's <c>MinParamPerturbation</c>, searched by
/// bisection over a grid): <see cref="Strength"/> flips the example's decision and <see cref="Below"/> (the next lower
/// grid value) does not; null when even the largest strength leaves it. Bisection assumes the flip is monotone in
/// the strength; where it is not, the result is still a grid point that flips with a lower neighbour that does not.
/// </summary>
public sealed record MinimalPerturbation(float? Strength, float? Below, int Evaluations, Tensor? Perturbed);

public static class MinParamPerturbation
{
    /// <summary>
    /// Searches <paramref name="steps"/> + 1 equally spaced strengths from <paramref name="min"/> to <paramref name="max"/>
    /// for the smallest that changes <paramref name="model"/>'s decision on the single image <paramref name="input"/>
    /// [1, C, H, W] (or, with <paramref name="target"/>, makes it that class).
    /// </summary>
    public static MinimalPerturbation Find(Model model, Tensor input, Perturbation perturbation, float min, float max, int steps = 64, int? target = null)
    {
        if (input.Rank < 1 || input.Size(0) != 1)
            throw new LucidArgumentException(nameof(input), $"minimal perturbation: one image at a time ([1, …]), got [{string.Join(", ", input.Shape.ToArray())}].");
        if (!(min >= 0) || !(max > min) || float.IsInfinity(max))
            throw new LucidArgumentException(nameof(max), $"minimal perturbation: the strengths must satisfy 0 ≤ min < max, got min {min}, max {max}.");
        if (steps < 1) throw new LucidArgumentException(nameof(steps), $"minimal perturbation: steps must be at least 1, got {steps}.");
        if (target is { } t && (t < 0 || t >= model.Labels.Count))
            throw new LucidArgumentException(nameof(target), $"minimal perturbation: target {t} is not a class of model '{model.Name}' ({model.Labels.Count} classes).");
        int original = Attacks.Predict(model, input)[0];
        int evaluations = 0;
        float Grid(int i) => min + (max - min) * i / steps;
        bool Flips(int i)
        {
            evaluations++;
            using var perturbed = perturbation(input, Grid(i));
            int decision = Attacks.Predict(model, perturbed)[0];
            return target is { } tt ? decision == tt : decision != original;
        }
        if (!Flips(steps)) return new MinimalPerturbation(null, null, evaluations, null);
        if (Flips(0)) return new MinimalPerturbation(Grid(0), null, evaluations, perturbation(input, Grid(0)).DetachFromScope());
        int low = 0, high = steps;   // invariant: Grid(low) does not flip, Grid(high) does
        while (high - low > 1)
        {
            int mid = (low + high) / 2;
            if (Flips(mid)) high = mid;
            else low = mid;
        }
        return new MinimalPerturbation(Grid(high), Grid(low), evaluations, perturbation(input, Grid(high)).DetachFromScope());
    }
}

/// <summary>One row of an attack comparison: a perturbation's accuracy and mean true-class probability over the batch.</summary>
/// <param name="Name">The perturbation's name.</param>
/// <param name="Accuracy">Share of examples still classified as their label (mean over the samples for random perturbations).</param>
/// <param name="MeanProbability">Mean softmax probability of the label.</param>
/// <param name="WorstAccuracy">The lowest accuracy over the samples.</param>
public sealed record ComparisonRow(string Name, double Accuracy, double MeanProbability, double WorstAccuracy);

/// <summary>
/// Accuracy under a list of perturbations and transforms (Captum's <c>AttackComparator</c> idea): each is applied
/// <c>samples</c> times (random ones differ per sample through their seed argument) and summarized; the unperturbed
/// batch is the first row.
/// </summary>
public static class AttackComparator
{
    public static IReadOnlyList<ComparisonRow> Compare(Model model, Tensor input, IReadOnlyList<int> labels,
        IReadOnlyList<(string Name, Func<Tensor, int, Tensor> Apply, int Samples)> perturbations)
    {
        Attacks.Check(model, input, labels, 1f, "attack comparison");
        var rows = new List<ComparisonRow> { Row("original", new[] { input }, dispose: false) };
        foreach (var (name, apply, samples) in perturbations)
        {
            if (samples < 1) throw new LucidArgumentException(nameof(perturbations), $"attack comparison: '{name}' needs at least 1 sample, got {samples}.");
            rows.Add(Row(name, Enumerable.Range(0, samples).Select(s => apply(input, s)).ToArray(), dispose: true));
        }
        return rows;

        ComparisonRow Row(string name, Tensor[] batches, bool dispose)
        {
            var accuracies = new List<double>();
            double probability = 0;
            foreach (var batch in batches)
            {
                using (GradMode.NoGrad())
                using (Tensor.Scope())
                {
                    var p = Ops.Softmax(model.Forward(batch), 1).ToArray();
                    int n = labels.Count, c = p.Length / n, correct = 0;
                    var decisions = Ops.ArgMax(p, n);
                    for (int e = 0; e < n; e++)
                    {
                        if (decisions[e] == labels[e]) correct++;
                        probability += p[e * c + labels[e]];
                    }
                    accuracies.Add((double)correct / n);
                }
                if (dispose) batch.Dispose();
            }
            return new ComparisonRow(name, accuracies.Average(), probability / (batches.Length * labels.Count), accuracies.Min());
        }
    }
}
