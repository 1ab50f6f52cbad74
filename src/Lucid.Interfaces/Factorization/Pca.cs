using Lucid.Tensors;

namespace Lucid.Interfaces.Factorization;

/// <summary>Principal components of an [n, m] matrix: the mean, the components [k, m] (unit rows) and their variances.</summary>
public sealed record PcaResult(double[] Mean, double[,] Components, double[] Variance)
{
    /// <summary>Scores of new rows [n, m] → [n, k] (centered projections).</summary>
    public double[,] Transform(double[,] x)
    {
        int n = x.GetLength(0), m = x.GetLength(1), k = Components.GetLength(0);
        if (m != Mean.Length) throw new LucidArgumentException(nameof(x), $"PCA transform: the data has {m} columns, the components {Mean.Length}.");
        var scores = new double[n, k];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++)
            {
                double s = 0;
                for (int j = 0; j < m; j++) s += (x[i, j] - Mean[j]) * Components[c, j];
                scores[i, c] = s;
            }
        return scores;
    }
}

/// <summary>Principal component analysis by the eigendecomposition of the covariance (channel counts are small).</summary>
public static class Pca
{
    public static PcaResult Fit(double[,] x, int components)
    {
        int n = x.GetLength(0), m = x.GetLength(1);
        if (components < 1 || components > m)
            throw new LucidArgumentException(nameof(components), $"PCA: components must be in [1, {m}], got {components}.");
        if (n < 2) throw new LucidArgumentException(nameof(x), $"PCA: needs at least 2 rows, got {n}.");
        var mean = new double[m];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) mean[j] += x[i, j] / n;
        var cov = new double[m, m];
        for (int i = 0; i < n; i++)
            for (int a = 0; a < m; a++)
            {
                double da = x[i, a] - mean[a];
                if (da == 0) continue;
                for (int b = a; b < m; b++) cov[a, b] += da * (x[i, b] - mean[b]) / (n - 1);
            }
        for (int a = 0; a < m; a++) for (int b = 0; b < a; b++) cov[a, b] = cov[b, a];
        var (values, vectors) = Jacobi.Eigen(cov);
        var result = new double[components, m];
        for (int c = 0; c < components; c++)
        {
            // a deterministic sign: the largest-magnitude entry positive
            int arg = 0;
            for (int j = 1; j < m; j++) if (Math.Abs(vectors[j, c]) > Math.Abs(vectors[arg, c])) arg = j;
            double sign = vectors[arg, c] < 0 ? -1 : 1;
            for (int j = 0; j < m; j++) result[c, j] = sign * vectors[j, c];
        }
        return new PcaResult(mean, result, values.Take(components).ToArray());
    }
}
