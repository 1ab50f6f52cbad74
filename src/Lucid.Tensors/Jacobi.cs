namespace Lucid.Tensors;

/// <summary>Eigendecomposition of a small symmetric matrix by cyclic Jacobi rotations (colour matrices, Vendi kernels, PCA of channels).</summary>
public static class Jacobi
{
    /// <summary>Eigenvalues in descending order, and the eigenvectors as the columns of the second result.</summary>
    public static (double[] Values, double[,] Vectors) Eigen(double[,] a)
    {
        int n = a.GetLength(0);
        var m = (double[,])a.Clone();
        var v = new double[n, n];
        for (int i = 0; i < n; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++) off += m[p, q] * m[p, q];
            if (off < 1e-28) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    if (Math.Abs(m[p, q]) < 1e-300) continue;
                    double theta = (m[q, q] - m[p, p]) / (2 * m[p, q]);
                    double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    Rotate(m, v, n, p, q, c, s);
                }
        }
        var order = Enumerable.Range(0, n).OrderByDescending(i => m[i, i]).ToArray();
        var vectors = new double[n, n];
        for (int r = 0; r < n; r++)
            for (int k = 0; k < n; k++) vectors[r, k] = v[r, order[k]];
        return (order.Select(i => m[i, i]).ToArray(), vectors);
    }

    /// <summary>m ← Jᵀ·m·J and v ← v·J for the rotation J in the (p, q) plane.</summary>
    private static void Rotate(double[,] m, double[,] v, int n, int p, int q, double c, double s)
    {
        for (int k = 0; k < n; k++)
        {
            double mkp = m[k, p], mkq = m[k, q];
            m[k, p] = c * mkp - s * mkq;
            m[k, q] = s * mkp + c * mkq;
        }
        for (int k = 0; k < n; k++)
        {
            double mpk = m[p, k], mqk = m[q, k];
            m[p, k] = c * mpk - s * mqk;
            m[q, k] = s * mpk + c * mqk;
        }
        for (int k = 0; k < n; k++)
        {
            double vkp = v[k, p], vkq = v[k, q];
            v[k, p] = c * vkp - s * vkq;
            v[k, q] = s * vkp + c * vkq;
        }
    }
}
