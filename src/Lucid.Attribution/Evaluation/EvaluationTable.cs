using System.Globalization;
using System.Text;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Attribution;

/// <summary>
/// One row of the attribution evaluation: a method's mean scores over the scenes. <c>RandomizationSimilarity</c> is the
/// mean Spearman rank correlation between the method's |maps| for the trained model and for the same architecture with
/// re-initialized weights (Adebayo et al., 2018): near 1 means the method ignores the weights (a failed sanity check).
/// </summary>
public sealed record EvaluationRow(string Method, double PointingGame, double MaskMass, double DeletionAuc, double InsertionAuc, double RandomizationSimilarity)
{
    /// <summary>The mean deletion curve over the scenes (softmax probability at 0, 1/16, …, 1 of the pixels removed); its AUC is <see cref="DeletionAuc"/>.</summary>
    public double[] DeletionCurve { get; init; } = Array.Empty<double>();

    /// <summary>The mean insertion curve; its AUC is <see cref="InsertionAuc"/>.</summary>
    public double[] InsertionCurve { get; init; } = Array.Empty<double>();
}

/// <summary>
/// Every attribution method on single-object synthetic scenes, explaining the true class, scored against the object
/// masks (pointing game, mask mass) and against the model (deletion and insertion AUC).
/// </summary>
public static class EvaluationTable
{
    /// <summary>Scores every method on <c>scenes</c> scenes; <c>randomized</c> is the same architecture with re-initialized weights.</summary>
    public static IReadOnlyList<EvaluationRow> Run(Model model, Model randomized, int scenes, ulong seed, string? camLayer, IProgress<string>? progress = null)
    {
        var rows = new List<EvaluationRow>();
        foreach (var method in AttributionMethods.All(camLayer).Where(m => m.Evaluated))
        {
            string name = method.DisplayName;
            Tensor attribute(Model m, Tensor x, int c) => method.Attribute(m, x, AttributionTarget.Class(c)).Attribution;
            double pointing = 0, mass = 0, similarity = 0;
            double[]? deletionCurve = null, insertionCurve = null;
            for (int i = 0; i < scenes; i++)
            {
                int cls = i % SyntheticScenes.Classes.Count;
                var scene = SyntheticScenes.Render(seed, i, new[] { cls });
                using var scope = Tensor.Scope();
                var x = Tensor.FromArray(scene.Pixels, 1, 3, SyntheticScenes.Size, SyntheticScenes.Size);
                var a = attribute(model, x, cls);
                var map = Evaluation.PixelMap(a.ToArray(), a.Size(1), SyntheticScenes.Size, SyntheticScenes.Size);
                var mask = scene.Objects[0].Mask;
                if (Evaluation.PointingGame(map, mask)) pointing++;
                mass += Evaluation.MaskMass(map, mask);
                Accumulate(ref deletionCurve, Evaluation.PerturbationCurve(model, x, map, cls, insertion: false));
                Accumulate(ref insertionCurve, Evaluation.PerturbationCurve(model, x, map, cls, insertion: true));
                var r = attribute(randomized, x, cls);
                var randomMap = Evaluation.PixelMap(r.ToArray(), r.Size(1), SyntheticScenes.Size, SyntheticScenes.Size);
                similarity += Evaluation.Spearman(map.Select(Math.Abs).ToArray(), randomMap.Select(Math.Abs).ToArray());
            }
            // the mean curve's AUC is the mean of the scenes' AUCs (the trapezoid rule is linear)
            var meanDeletion = deletionCurve!.Select(v => v / scenes).ToArray();
            var meanInsertion = insertionCurve!.Select(v => v / scenes).ToArray();
            rows.Add(new EvaluationRow(name, pointing / scenes, mass / scenes, Evaluation.Auc(meanDeletion), Evaluation.Auc(meanInsertion), similarity / scenes)
            {
                DeletionCurve = meanDeletion,
                InsertionCurve = meanInsertion,
            });
            progress?.Report(name);
        }
        return rows;
    }

    private static void Accumulate(ref double[]? sum, double[] curve)
    {
        sum ??= new double[curve.Length];
        for (int i = 0; i < curve.Length; i++) sum[i] += curve[i];
    }

    public static string Markdown(IReadOnlyList<EvaluationRow> rows, string model, int scenes)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(inv, $"Attribution methods on `{model}`, {scenes} single-object synthetic test scenes (seed 2), explaining the true class."));
        sb.AppendLine("Pointing game and mask mass against the object mask (higher is better); deletion AUC (lower is better) and insertion AUC (higher is better) of the class probability, 16 steps, baseline 0;");
        sb.AppendLine("randomization: Spearman correlation of |maps| between the trained and a re-initialized model (near 1 = insensitive to the weights, a failed sanity check).");
        sb.AppendLine();
        sb.AppendLine("| method | pointing game | mask mass | deletion AUC ↓ | insertion AUC ↑ | randomization ↓ |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            sb.AppendLine(string.Create(inv, $"| {r.Method} | {r.PointingGame:P0} | {r.MaskMass:F3} | {r.DeletionAuc:F3} | {r.InsertionAuc:F3} | {r.RandomizationSimilarity:F2}{(r.RandomizationSimilarity > 0.8 ? " ⚠ insensitive" : "")} |"));
        return sb.ToString();
    }
}
