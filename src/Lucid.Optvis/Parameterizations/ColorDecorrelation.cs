using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>
/// Lucid's colour decorrelation (lucid/optvis/param/color.py): a pixel's three values v become rgb = C·v, with C the
/// square root of the ImageNet RGB covariance (U·√S from its SVD) divided by its largest column norm, so an optimizer
/// moves along decorrelated colour directions.
/// </summary>
public static class ColorDecorrelation
{
    /// <summary>Lucid's color_correlation_svd_sqrt (float32, as published).</summary>
    public static readonly float[,] ImageNetSvdSqrt = { { 0.26f, 0.09f, 0.02f }, { 0.27f, 0.00f, -0.05f }, { 0.27f, -0.09f, 0.03f } };

    /// <summary>C = <see cref="ImageNetSvdSqrt"/> / max column L2 norm (0.46195…).</summary>
    public static float[,] ImageNet { get; } = Normalize(ImageNetSvdSqrt);

    /// <summary>The matrix for a dataset: U·√Λ of its 3×3 pixel covariance (symmetric eigendecomposition), normalized by the largest column norm.</summary>
    public static float[,] FromCovariance(double[,] covariance)
    {
        if (covariance.GetLength(0) != 3 || covariance.GetLength(1) != 3)
            throw new LucidArgumentException(nameof(covariance), "colour decorrelation: the covariance must be 3×3.");
        var (values, vectors) = Jacobi.Eigen(covariance);
        var m = new float[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                if (values[j] < -1e-12) throw new LucidArgumentException(nameof(covariance), "colour decorrelation: the covariance is not positive semi-definite.");
                m[i, j] = (float)(vectors[i, j] * Math.Sqrt(Math.Max(values[j], 0)));
            }
        return Normalize(m);
    }

    private static float[,] Normalize(float[,] m)
    {
        double max = 0;
        for (int j = 0; j < 3; j++) max = Math.Max(max, Math.Sqrt(Enumerable.Range(0, 3).Sum(i => (double)m[i, j] * m[i, j])));
        var r = new float[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) r[i, j] = (float)(m[i, j] / max);
        return r;
    }

    /// <summary>rgb = C·v per pixel, for [N, 3, H, W].</summary>
    public static Tensor Apply(Tensor v, float[,] matrix)
    {
        if (v.Rank != 4 || v.Size(1) != 3) throw new ShapeMismatchException($"colour decorrelation: expected [N, 3, H, W], got {Shapes.Format(v.Shape)}.");
        var w = new float[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) w[i * 3 + j] = matrix[i, j];
        return Ops.Conv2d(v, Tensor.FromArray(w, 3, 3, 1, 1));
    }
}
