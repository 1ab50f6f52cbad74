namespace Lucid.Interfaces.Factorization;

/// <summary>A non-negative factorization X ≈ W·H of an [n, m] matrix: W [n, k] (loadings), H [k, m] (components).</summary>
/// <param name="W">Row loadings, [n, k], non-negative.</param>
/// <param name="H">Components, [k, m], non-negative.</param>
/// <param name="ErrorPerIteration">‖X − W·H‖²_F after each iteration (non-increasing).</param>
public sealed record NmfResult(double[,] W, double[,] H, double[] ErrorPerIteration)
{
    public int Components => H.GetLength(0);

    /// <summary>The relative reconstruction error ‖X − W·H‖_F / ‖X‖_F after the last iteration.</summary>
    public double RelativeError(double[,] x)
    {
        double norm = 0;
        foreach (var v in x) norm += v * v;
        return norm == 0 ? 0 : Math.Sqrt(ErrorPerIteration[^1] / norm);
    }
}

/// <summary>
/// Non-negative matrix factorization by hierarchical alternating least squares (HALS; Cichocki &amp; Phan, 2009):
/// each column of W and row of H in turn is set to its exact non-negative least-squares optimum with the others fixed,
/// so the reconstruction error never increases (in exact arithmetic; computed in double). Seeded uniform
/// initialization scaled to the data (√(mean(X)/k), as scikit-learn's random init). Lucid's ChannelReducer uses NMF to
/// find neuron groups; this is the same factorization.
/// </summary>
public static class Nmf
{
    /// <param name="x">Non-negative data [n, m] (e.g. positions × channels).</param>
    /// <param name="components">k ≥ 1.</param>
    /// <param name="iterations">HALS sweeps (each updates every column of W, then every row of H).</param>
    /// <param name="seed">Seed of the initialization.</param>
    /// <param name="tolerance">Stop early when an iteration lowers the error by less than this fraction.</param>
    public static NmfResult Fit(double[,] x, int components, int iterations = 300, ulong seed = 0, double tolerance = 1e-7)
    {
        int n = x.GetLength(0), m = x.GetLength(1);
        if (components < 1) throw new LucidArgumentException(nameof(components), $"NMF: components must be at least 1, got {components}.");
        if (iterations < 1) throw new LucidArgumentException(nameof(iterations), $"NMF: iterations must be at least 1, got {iterations}.");
        if (n == 0 || m == 0) throw new LucidArgumentException(nameof(x), "NMF: the data matrix is empty.");
        double mean = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double v = x[i, j];
                if (!(v >= 0) || double.IsInfinity(v))
                    throw new LucidArgumentException(nameof(x), $"NMF: the data must be finite and non-negative; entry ({i}, {j}) is {v}.");
                mean += v;
            }
        mean /= (double)n * m;
        var rng = new Lucid.Tensors.Rng(seed);
        double scale = Math.Sqrt(mean / components);
        var w = new double[n, components];
        var h = new double[components, m];
        for (int i = 0; i < n; i++) for (int c = 0; c < components; c++) w[i, c] = scale * rng.NextDouble();
        for (int c = 0; c < components; c++) for (int j = 0; j < m; j++) h[c, j] = scale * rng.NextDouble();

        var errors = new List<double>();
        for (int it = 0; it < iterations; it++)
        {
            UpdateRowsOf(h, w, x, transpose: false);   // H given W
            UpdateRowsOf(w, h, x, transpose: true);    // W given H (the same update on Xᵀ ≈ Hᵀ·Wᵀ)
            double error = Error(x, w, h);
            errors.Add(error);
            if (errors.Count > 1 && errors[^2] - error <= tolerance * errors[^2]) break;
        }
        return new NmfResult(w, h, errors.ToArray());
    }

    /// <summary>
    /// The non-negative loadings of new rows <paramref name="x"/> [n, m] on fixed components <paramref name="h"/> [k, m]
    /// (non-negative least squares by the same HALS updates, W only).
    /// </summary>
    public static double[,] Transform(double[,] x, double[,] h, int iterations = 200)
    {
        int n = x.GetLength(0), k = h.GetLength(0);
        if (x.GetLength(1) != h.GetLength(1))
            throw new LucidArgumentException(nameof(x), $"NMF transform: the data has {x.GetLength(1)} columns, the components {h.GetLength(1)}.");
        var w = new double[n, k];
        for (int i = 0; i < n; i++) for (int c = 0; c < k; c++) w[i, c] = 1.0 / k;
        for (int it = 0; it < iterations; it++) UpdateRowsOf(w, h, x, transpose: true);
        return w;
    }

    /// <summary>
    /// One HALS sweep over the k factors of <paramref name="target"/> with <paramref name="other"/> fixed. Not
    /// transposed: target = H [k, m], other = W [n, k], X [n, m]; transposed: target = W [n, k], other = H [k, m].
    /// Factor c ← max(0, c + (A_c − Σ_d G_cd·d) / G_cc) with G = otherᵀ·other and A = otherᵀ·X (Gram and cross terms).
    /// </summary>
    private static void UpdateRowsOf(double[,] target, double[,] other, double[,] x, bool transpose)
    {
        int k = transpose ? target.GetLength(1) : target.GetLength(0);
        int len = transpose ? target.GetLength(0) : target.GetLength(1);     // entries per factor
        int inner = transpose ? other.GetLength(1) : other.GetLength(0);     // the summed dimension
        double O(int c, int t) => transpose ? other[c, t] : other[t, c];
        double X(int t, int e) => transpose ? x[e, t] : x[t, e];
        var gram = new double[k, k];
        for (int a = 0; a < k; a++)
            for (int b = a; b < k; b++)
            {
                double s = 0;
                for (int t = 0; t < inner; t++) s += O(a, t) * O(b, t);
                gram[a, b] = gram[b, a] = s;
            }
        var cross = new double[k, len];
        for (int c = 0; c < k; c++)
            for (int t = 0; t < inner; t++)
            {
                double o = O(c, t);
                if (o == 0) continue;
                for (int e = 0; e < len; e++) cross[c, e] += o * X(t, e);
            }
        for (int c = 0; c < k; c++)
        {
            if (gram[c, c] <= 0) continue;   // a dead factor contributes nothing; its partner stays as it is
            for (int e = 0; e < len; e++)
            {
                double s = cross[c, e];
                for (int d = 0; d < k; d++) s -= gram[c, d] * Get(target, d, e, transpose);
                double v = Math.Max(0, Get(target, c, e, transpose) + s / gram[c, c]);
                Set(target, c, e, transpose, v);
            }
        }
    }

    private static double Get(double[,] a, int c, int e, bool transpose) => transpose ? a[e, c] : a[c, e];
    private static void Set(double[,] a, int c, int e, bool transpose, double v)
    {
        if (transpose) a[e, c] = v;
        else a[c, e] = v;
    }

    /// <summary>‖X − W·H‖²_F.</summary>
    private static double Error(double[,] x, double[,] w, double[,] h)
    {
        int n = x.GetLength(0), m = x.GetLength(1), k = h.GetLength(0);
        double error = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int c = 0; c < k; c++) s += w[i, c] * h[c, j];
                double d = x[i, j] - s;
                error += d * d;
            }
        return error;
    }
}
