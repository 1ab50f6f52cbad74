using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution.Robustness;

/// <summary>The ball an adversarial perturbation lives in.</summary>
public enum PerturbationNorm
{
    /// <summary>|δᵢ| ≤ ε for every pixel; steps follow the gradient's sign.</summary>
    LInf,
    /// <summary>‖δ‖₂ ≤ ε per example; steps follow the normalized gradient.</summary>
    L2,
}

/// <summary>
/// An attacked batch: the perturbed images (pixels, RGB in [0, 1] like every input), the perturbation δ = x′ − x, and the
/// model's decisions before and after. <see cref="Loss"/> is the attack's cross-entropy per example on x′ (of the label
/// for an untargeted attack, of the target for a targeted one).
/// </summary>
public sealed record AttackResult(Tensor Perturbed, Tensor Perturbation, int[] Before, int[] After, float[] Loss)
{
    /// <summary>Examples whose decision changed.</summary>
    public bool[] Flipped => Before.Zip(After, (b, a) => b != a).ToArray();
}

/// <summary>
/// Gradient attacks on a classifier (a model whose output is one logit per label), in the user's pixel space — the
/// model's own input contract (BGR, mean/std, 0–255) is applied inside it, so ε is always a fraction of the [0, 1]
/// pixel range and the valid range is [0, 1]. Definitions follow Captum's <c>FGSM</c> and <c>PGD</c>: the loss is the
/// cross-entropy of the logits; an untargeted attack ascends it for the true labels, a targeted one descends it for
/// the targets; every result is clamped to the valid range.
/// </summary>
public static class Attacks
{
    /// <summary>
    /// The fast gradient sign method (Goodfellow et al., 2015): x′ = clamp(x ± ε·sign(∇ₓ CE), 0, 1), + for untargeted
    /// (away from <paramref name="labels"/>), − for targeted (towards them).
    /// </summary>
    public static AttackResult Fgsm(Model model, Tensor input, IReadOnlyList<int> labels, float epsilon, bool targeted = false)
    {
        Check(model, input, labels, epsilon, "FGSM");
        var before = Predict(model, input);
        var gradient = LossGradient(model, input, labels);
        var x = input.ToArray();
        var perturbed = new float[x.Length];
        float direction = targeted ? -1f : 1f;
        for (int i = 0; i < x.Length; i++)
            perturbed[i] = Math.Clamp(x[i] + direction * epsilon * MathF.Sign(gradient[i]), 0f, 1f);
        return Finish(model, input, labels, perturbed, before);
    }

    /// <summary>
    /// Projected gradient descent (Madry et al., 2018): from x (or, with <paramref name="randomStart"/>, a uniform point
    /// of the ε-ball), <paramref name="steps"/> steps of size <paramref name="stepSize"/> along sign(∇) (L∞) or ∇/‖∇‖₂
    /// (L2), each followed by projection onto the ε-ball around x and onto [0, 1]. Seeded: the same seed gives the same
    /// images.
    /// </summary>
    public static AttackResult Pgd(Model model, Tensor input, IReadOnlyList<int> labels, float epsilon, float stepSize, int steps,
        PerturbationNorm norm = PerturbationNorm.LInf, bool targeted = false, bool randomStart = true, ulong seed = 0)
    {
        Check(model, input, labels, epsilon, "PGD");
        if (!(stepSize > 0) || float.IsInfinity(stepSize))
            throw new LucidArgumentException(nameof(stepSize), $"PGD: the step size must be a positive number, got {stepSize}.");
        if (steps < 1) throw new LucidArgumentException(nameof(steps), $"PGD: steps must be at least 1, got {steps}.");
        if (!Enum.IsDefined(norm)) throw new LucidArgumentException(nameof(norm), $"PGD: the norm must be LInf or L2, got {(int)norm}.");
        var before = Predict(model, input);
        var x = input.ToArray();
        int n = input.Size(0), per = x.Length / n;
        var current = (float[])x.Clone();
        if (randomStart)
        {
            var rng = new Rng(seed);
            if (norm == PerturbationNorm.LInf)
                for (int i = 0; i < current.Length; i++) current[i] = x[i] + epsilon * (2f * rng.NextFloat() - 1f);
            else
                for (int e = 0; e < n; e++)
                {
                    // a uniform point of the L2 ball: a Gaussian direction, radius ε·u^(1/d)
                    var direction = new double[per];
                    double length = 0;
                    for (int i = 0; i < per; i++) { direction[i] = rng.NextNormal(); length += direction[i] * direction[i]; }
                    double radius = epsilon * Math.Pow(rng.NextDouble(), 1.0 / per) / Math.Max(Math.Sqrt(length), 1e-12);
                    for (int i = 0; i < per; i++) current[e * per + i] = x[e * per + i] + (float)(radius * direction[i]);
                }
            Project(current, x, n, epsilon, norm);
        }
        float direction1 = targeted ? -1f : 1f;
        var shape = input.Shape.ToArray();
        for (int step = 0; step < steps; step++)
        {
            using var point = Tensor.FromArray(current, shape);
            var gradient = LossGradient(model, point, labels);
            for (int e = 0; e < n; e++)
            {
                if (norm == PerturbationNorm.LInf)
                {
                    for (int i = e * per; i < (e + 1) * per; i++) current[i] += direction1 * stepSize * MathF.Sign(gradient[i]);
                }
                else
                {
                    double length = 0;
                    for (int i = e * per; i < (e + 1) * per; i++) length += (double)gradient[i] * gradient[i];
                    length = Math.Sqrt(length);
                    if (length == 0) continue;
                    for (int i = e * per; i < (e + 1) * per; i++) current[i] += (float)(direction1 * stepSize * gradient[i] / length);
                }
            }
            Project(current, x, n, epsilon, norm);
        }
        return Finish(model, input, labels, current, before);
    }

    /// <summary>The model's decision per example (argmax of its output).</summary>
    public static int[] Predict(Model model, Tensor input) => model.Predict(input);

    /// <summary>The model's output without a graph, [N · classes] row-major.</summary>
    internal static float[] Logits(Model model, Tensor input)
    {
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        return model.Forward(input).ToArray();
    }

    /// <summary>δ onto the ε-ball around x (per example for L2), then the point onto [0, 1].</summary>
    private static void Project(float[] point, float[] x, int n, float epsilon, PerturbationNorm norm)
    {
        int per = x.Length / n;
        for (int e = 0; e < n; e++)
        {
            int start = e * per, end = start + per;
            if (norm == PerturbationNorm.LInf)
            {
                for (int i = start; i < end; i++) point[i] = x[i] + Math.Clamp(point[i] - x[i], -epsilon, epsilon);
            }
            else
            {
                double length = 0;
                for (int i = start; i < end; i++) length += (double)(point[i] - x[i]) * (point[i] - x[i]);
                length = Math.Sqrt(length);
                if (length > epsilon)
                {
                    double scale = epsilon / length;
                    for (int i = start; i < end; i++) point[i] = x[i] + (float)((point[i] - x[i]) * scale);
                }
            }
            for (int i = start; i < end; i++) point[i] = Math.Clamp(point[i], 0f, 1f);
        }
    }

    /// <summary>∇ₓ of Σ per-example cross-entropy (the mean's gradient times N, so each example's scale is its own).</summary>
    private static float[] LossGradient(Model model, Tensor input, IReadOnlyList<int> labels)
    {
        using var scope = Tensor.Scope();
        var x = input.Detach().RequireGrad();
        var loss = Ops.Mul(Ops.CrossEntropy(model.Forward(x), labels.ToArray()), Tensor.Scalar(input.Size(0)));
        return Gradients.Of(loss, new[] { x })[0].ToArray();
    }

    private static float[] PerExampleLoss(float[] data, IReadOnlyList<int> labels)
    {
        int n = labels.Count, c = data.Length / n;
        var result = new float[n];
        for (int e = 0; e < n; e++)
        {
            double max = double.NegativeInfinity;
            for (int k = 0; k < c; k++) max = Math.Max(max, data[e * c + k]);
            double sum = 0;
            for (int k = 0; k < c; k++) sum += Math.Exp(data[e * c + k] - max);
            result[e] = (float)(max + Math.Log(sum) - data[e * c + labels[e]]);
        }
        return result;
    }

    private static AttackResult Finish(Model model, Tensor input, IReadOnlyList<int> labels, float[] perturbed, int[] before)
    {
        var shape = input.Shape.ToArray();
        var image = Tensor.FromArray(perturbed, shape).DetachFromScope();
        var x = input.ToArray();
        var delta = new float[x.Length];
        for (int i = 0; i < x.Length; i++) delta[i] = perturbed[i] - x[i];
        // one forward pass gives both the decision and the loss
        var logits = Logits(model, image);
        return new AttackResult(image, Tensor.FromArray(delta, shape).DetachFromScope(), before, Ops.ArgMax(logits, labels.Count), PerExampleLoss(logits, labels));
    }

    internal static void Check(Model model, Tensor input, IReadOnlyList<int> labels, float epsilon, string method)
    {
        if (model.Labels.Count == 0)
            throw new LucidArgumentException(nameof(model), $"{method}: model '{model.Name}' has no class labels; attacks need a classifier whose output is one logit per label.");
        if (!(epsilon > 0) || float.IsInfinity(epsilon))
            throw new LucidArgumentException(nameof(epsilon), $"{method}: ε must be a positive number (a fraction of the [0, 1] pixel range), got {epsilon}.");
        if (input.Rank < 2 || !input.Shape.ToArray()[1..].SequenceEqual(model.Input.Shape))
            throw new ShapeMismatchException($"{method}: model '{model.Name}' takes inputs [N, {string.Join(", ", model.Input.Shape)}], got [{string.Join(", ", input.Shape.ToArray())}].");
        if (labels.Count != input.Size(0))
            throw new LucidArgumentException(nameof(labels), $"{method}: {labels.Count} labels for a batch of {input.Size(0)} images.");
        for (int e = 0; e < labels.Count; e++)
            if (labels[e] < 0 || labels[e] >= model.Labels.Count)
                throw new LucidArgumentException(nameof(labels), $"{method}: label {labels[e]} (example {e}) is not a class of model '{model.Name}', which has {model.Labels.Count} ({string.Join(", ", model.Labels.Take(5))}{(model.Labels.Count > 5 ? ", …" : "")}).");
    }
}
