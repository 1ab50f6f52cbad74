using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Attribution.Robustness;

/// <summary>
/// An example whose given label is suspect: the class the out-of-sample probabilities suggest instead, both
/// probabilities, and the margin p(suggested) − p(given) it was ranked by.
/// </summary>
public sealed record LabelIssue(int Index, int Given, int Suggested, float GivenProbability, float SuggestedProbability)
{
    public float Margin => SuggestedProbability - GivenProbability;
}

/// <summary>
/// Confident learning's findings: per-class thresholds, the confident joint (rows: given label, columns: the class an
/// example confidently belongs to), its calibrated estimate of the joint of given and true labels (counts), and the
/// suspected label errors, most confident first.
/// </summary>
public sealed record ConfidentLearningResult(float[] Thresholds, int[,] ConfidentJoint, double[,] CalibratedJoint, IReadOnlyList<LabelIssue> Issues);

/// <summary>
/// Confident learning (Northcutt, Jiang &amp; Chuang, 2021): finds label errors from out-of-sample predicted
/// probabilities. Thresholds t_j = mean p̂(j | x) over the examples labelled j; an example labelled i counts in
/// C[i, j] for the most probable class j among those with p̂(j | x) ≥ t_j; C is calibrated so that each row sums to
/// its label's count; then, for every i ≠ j, the round(C̃[i, j]) examples labelled i with the largest margin
/// p̂(j | x) − p̂(i | x) are flagged (prune by noise rate).
/// </summary>
public static class ConfidentLearning
{
    /// <param name="probabilities">Out-of-sample p̂(j | x), [n, classes] row-major (each row a distribution).</param>
    /// <param name="labels">The given labels, length n.</param>
    /// <param name="classes">The number of classes.</param>
    public static ConfidentLearningResult Find(float[] probabilities, IReadOnlyList<int> labels, int classes)
    {
        if (classes < 2) throw new LucidArgumentException(nameof(classes), $"confident learning: needs at least 2 classes, got {classes}.");
        int n = labels.Count;
        if (n == 0) throw new LucidArgumentException(nameof(labels), "confident learning: the dataset is empty.");
        if (probabilities.Length != n * classes)
            throw new ShapeMismatchException($"confident learning: {probabilities.Length} probabilities for {n} examples of {classes} classes (expected {n * classes}).");
        var counts = new int[classes];
        for (int e = 0; e < n; e++)
        {
            if (labels[e] < 0 || labels[e] >= classes)
                throw new LucidArgumentException(nameof(labels), $"confident learning: label {labels[e]} of example {e} is not a class in [0, {classes}).");
            counts[labels[e]]++;
        }
        var thresholds = new float[classes];
        for (int j = 0; j < classes; j++)
        {
            double sum = 0;
            for (int e = 0; e < n; e++) if (labels[e] == j) sum += probabilities[e * classes + j];
            thresholds[j] = counts[j] == 0 ? float.PositiveInfinity : (float)(sum / counts[j]);
        }
        var joint = new int[classes, classes];
        for (int e = 0; e < n; e++)
        {
            int best = -1;
            for (int j = 0; j < classes; j++)
            {
                float p = probabilities[e * classes + j];
                if (p >= thresholds[j] && (best < 0 || p > probabilities[e * classes + best])) best = j;
            }
            if (best >= 0) joint[labels[e], best]++;
        }
        var calibrated = new double[classes, classes];
        for (int i = 0; i < classes; i++)
        {
            int row = 0;
            for (int j = 0; j < classes; j++) row += joint[i, j];
            for (int j = 0; j < classes; j++) calibrated[i, j] = row == 0 ? 0 : (double)joint[i, j] / row * counts[i];
        }
        var flagged = new HashSet<int>();
        var issues = new List<LabelIssue>();
        for (int i = 0; i < classes; i++)
        {
            var members = Enumerable.Range(0, n).Where(e => labels[e] == i).ToArray();
            for (int j = 0; j < classes; j++)
            {
                if (i == j) continue;
                int take = (int)Math.Round(calibrated[i, j]);
                if (take == 0) continue;
                var ranked = members.Where(e => !flagged.Contains(e))
                    .OrderByDescending(e => probabilities[e * classes + j] - probabilities[e * classes + i]).ThenBy(e => e)
                    .Take(take);
                foreach (int e in ranked)
                {
                    flagged.Add(e);
                    issues.Add(new LabelIssue(e, i, j, probabilities[e * classes + i], probabilities[e * classes + j]));
                }
            }
        }
        return new ConfidentLearningResult(thresholds, joint, calibrated,
            issues.OrderByDescending(x => x.Margin).ThenBy(x => x.Index).ToList());
    }

    /// <summary>
    /// Out-of-sample probabilities by k-fold cross-validation (Northcutt et al.'s setting for a training set): the
    /// examples are shuffled (by <paramref name="seed"/>) into <paramref name="folds"/> folds of sizes differing by at
    /// most one; for each fold, <paramref name="train"/> fits a model on the other folds and its softmax gives the
    /// fold's probabilities — no example is scored by a model that saw it. [n, classes] row-major.
    /// </summary>
    /// <param name="data">The labelled set.</param>
    /// <param name="folds">At least 2, and at most the number of examples.</param>
    /// <param name="train">Fits a model on a training subset (called once per fold, with that fold left out).</param>
    /// <param name="seed">Seeds the assignment of examples to folds.</param>
    public static float[] CrossValidatedProbabilities(LabeledImages data, int folds, Func<LabeledImages, Model> train, ulong seed = 0)
    {
        if (folds < 2) throw new LucidArgumentException(nameof(folds), $"confident learning: cross-validation needs at least 2 folds, got {folds}.");
        if (data.Count < folds)
            throw new LucidArgumentException(nameof(data), $"confident learning: {data.Count} examples cannot fill {folds} folds; use at most {data.Count} folds.");
        var order = new Rng(seed).Permutation(data.Count);
        var fold = new int[data.Count];
        for (int i = 0; i < order.Length; i++) fold[order[i]] = i % folds;
        float[]? result = null;
        int classes = 0;
        for (int f = 0; f < folds; f++)
        {
            var held = Enumerable.Range(0, data.Count).Where(i => fold[i] == f).ToArray();
            var rest = Enumerable.Range(0, data.Count).Where(i => fold[i] != f).ToArray();
            var model = train(data.Subset(rest));
            var probabilities = PredictProbabilities(model, data.Subset(held));
            if (result is null)
            {
                classes = model.Labels.Count;
                result = new float[data.Count * classes];
            }
            else if (model.Labels.Count != classes)
                throw new LucidArgumentException(nameof(train), $"confident learning: the model of fold {f} has {model.Labels.Count} classes, the first had {classes}.");
            for (int i = 0; i < held.Length; i++)
                probabilities.AsSpan(i * classes, classes).CopyTo(result.AsSpan(held[i] * classes, classes));
        }
        return result!;
    }

    /// <summary>The model's softmax probabilities for every image of <paramref name="data"/>, [n, classes] row-major.</summary>
    public static float[] PredictProbabilities(Model model, LabeledImages data, int batch = 256)
    {
        if (batch < 1) throw new LucidArgumentException(nameof(batch), $"confident learning: the batch must be positive, got {batch}.");
        if (model.Labels.Count == 0)
            throw new LucidArgumentException(nameof(model), $"confident learning: model '{model.Name}' has no class labels.");
        int classes = model.Labels.Count;
        var result = new float[data.Count * classes];
        for (int start = 0; start < data.Count; start += batch)
        {
            int count = Math.Min(batch, data.Count - start);
            var (images, _) = data.Gather(Enumerable.Range(start, count).ToArray());
            using (images)
            using (GradMode.NoGrad())
            using (Tensor.Scope())
                Ops.Softmax(model.Forward(images), 1).Data.CopyTo(result.AsSpan(start * classes, count * classes));
        }
        return result;
    }
}
