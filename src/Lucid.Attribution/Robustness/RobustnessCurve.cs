using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Attribution.Robustness;

/// <summary>Accuracy at one attack strength ε (a fraction of the [0, 1] pixel range) under FGSM and under PGD (L∞).</summary>
public sealed record RobustnessPoint(float Epsilon, double FgsmAccuracy, double PgdAccuracy);

/// <summary>Accuracy against ε — the curve every robustness claim is read from.</summary>
public static class RobustnessCurve
{
    /// <summary>
    /// Untargeted FGSM and PGD (L∞, <paramref name="pgdSteps"/> steps of 2.5·ε/steps, random start — Madry et al.'s
    /// recipe) at each ε over the first <paramref name="examples"/> images of <paramref name="data"/>; ε = 0 is the clean
    /// accuracy. Seeded and deterministic.
    /// </summary>
    public static IReadOnlyList<RobustnessPoint> Measure(Model model, LabeledImages data, IReadOnlyList<float> epsilons, int examples = 200,
        int pgdSteps = 10, int batch = 50, ulong seed = 0, IProgress<string>? progress = null)
    {
        if (epsilons.Count == 0) throw new LucidArgumentException(nameof(epsilons), "robustness curve: give at least one ε.");
        foreach (var e in epsilons)
            if (!(e >= 0) || float.IsInfinity(e))
                throw new LucidArgumentException(nameof(epsilons), $"robustness curve: every ε must be a non-negative number, got {e}.");
        if (examples < 1) throw new LucidArgumentException(nameof(examples), $"robustness curve: examples must be positive, got {examples}.");
        if (pgdSteps < 1) throw new LucidArgumentException(nameof(pgdSteps), $"robustness curve: PGD steps must be at least 1, got {pgdSteps}.");
        if (batch < 1) throw new LucidArgumentException(nameof(batch), $"robustness curve: the batch must be positive, got {batch}.");
        int n = Math.Min(examples, data.Count);
        var points = new List<RobustnessPoint>();
        foreach (float epsilon in epsilons)
        {
            int fgsmCorrect = 0, pgdCorrect = 0;
            for (int start = 0; start < n; start += batch)
            {
                int count = Math.Min(batch, n - start);
                var (images, labels) = data.Gather(Enumerable.Range(start, count).ToArray());
                using (images)
                {
                    if (epsilon == 0)
                    {
                        int correct = Attacks.Predict(model, images).Zip(labels, (p, l) => p == l ? 1 : 0).Sum();
                        fgsmCorrect += correct;
                        pgdCorrect += correct;
                        continue;
                    }
                    var fgsm = Attacks.Fgsm(model, images, labels, epsilon);
                    fgsmCorrect += fgsm.After.Zip(labels, (p, l) => p == l ? 1 : 0).Sum();
                    fgsm.Perturbed.Dispose(); fgsm.Perturbation.Dispose();
                    var pgd = Attacks.Pgd(model, images, labels, epsilon, 2.5f * epsilon / pgdSteps, pgdSteps, seed: seed + (ulong)start);
                    pgdCorrect += pgd.After.Zip(labels, (p, l) => p == l ? 1 : 0).Sum();
                    pgd.Perturbed.Dispose(); pgd.Perturbation.Dispose();
                }
            }
            points.Add(new RobustnessPoint(epsilon, (double)fgsmCorrect / n, (double)pgdCorrect / n));
            progress?.Report($"ε = {epsilon:G3}: FGSM {100.0 * fgsmCorrect / n:F1} %, PGD {100.0 * pgdCorrect / n:F1} %");
        }
        return points;
    }
}
