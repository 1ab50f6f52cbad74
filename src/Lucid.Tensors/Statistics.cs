namespace Lucid;

/// <summary>Rank statistics shared by the evaluation tables (attribution sanity checks, feature-visualization quality).</summary>
public static class Statistics
{
    /// <summary>Ranks 1…n in ascending order; tied values share the average of their ranks.</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && values[order[j + 1]] == values[order[i]]) j++;
            for (int k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        return ranks;
    }

    /// <summary>Spearman's rank correlation (Pearson's of the average ranks); 0 when either side is constant.</summary>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new LucidArgumentException(nameof(b), $"Spearman: two vectors of the same length, got {a.Count} and {b.Count}.");
        var ra = Ranks(a);
        var rb = Ranks(b);
        double ma = ra.Length == 0 ? 0 : ra.Average(), mb = rb.Length == 0 ? 0 : rb.Average(), num = 0, da = 0, db = 0;
        for (int i = 0; i < ra.Length; i++)
        {
            num += (ra[i] - ma) * (rb[i] - mb);
            da += (ra[i] - ma) * (ra[i] - ma);
            db += (rb[i] - mb) * (rb[i] - mb);
        }
        return da == 0 || db == 0 ? 0 : num / Math.Sqrt(da * db);
    }
}
