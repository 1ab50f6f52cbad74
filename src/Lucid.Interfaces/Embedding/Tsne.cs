using Lucid.Interfaces.Factorization;

namespace Lucid.Interfaces.Embedding;

/// <summary>
/// Settings of t-SNE (van der Maaten &amp; Hinton 2008, with the defaults of the reference implementation and
/// scikit-learn): perplexity 30, early exaggeration 12 for the first 250 of 1,000 iterations with momentum 0.5, then
/// momentum 0.8; delta-bar-delta gains (+0.2 / ×0.8, floor 0.01); learning rate max(n / 12 / 4, 50) unless given;
/// PCA initialization scaled to a standard deviation of 1e-4.
/// </summary>
public sealed record TsneOptions
{
    public double Perplexity { get; init; } = 30;
    public int Iterations { get; init; } = 1000;
    public double EarlyExaggeration { get; init; } = 12;
    public int ExaggerationIterations { get; init; } = 250;
    /// <summary>Null: max(n / early exaggeration / 4, 50) (Belkina et al. 2019, scikit-learn's "auto").</summary>
    public double? LearningRate { get; init; }
    /// <summary>Largest number of points (the exact method holds an n × n matrix).</summary>
    public int MaxPoints { get; init; } = 8000;
}

/// <summary>An embedding and its final Kullback–Leibler divergence KL(P ‖ Q).</summary>
public sealed record TsneResult(double[,] Embedding, double KlDivergence);

/// <summary>
/// Exact t-SNE into two dimensions: deterministic (no random initialization; the PCA start fixes every sign) and
/// bit-identical across runs — rows are processed in parallel, but every sum has a fixed order.
/// </summary>
public static class Tsne
{
    public static TsneResult Fit(double[,] x, TsneOptions? options = null)
    {
        options ??= new TsneOptions();
        int n = x.GetLength(0), m = x.GetLength(1);
        if (n < 4) throw new LucidArgumentException(nameof(x), $"t-SNE: needs at least 4 points, got {n}.");
        if (n > options.MaxPoints) throw new LucidArgumentException(nameof(x), $"t-SNE: {n} points exceed the limit of {options.MaxPoints} (the exact method needs n² memory); sample fewer.");
        if (!(options.Perplexity > 0) || options.Perplexity >= n)
            throw new LucidArgumentException(nameof(options), $"t-SNE: perplexity must be in (0, {n}) for {n} points, got {options.Perplexity}.");
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
                if (!double.IsFinite(x[i, j])) throw new NumericalException($"t-SNE: point {i} has a non-finite value in column {j}.");
        var p = Affinities(x, options.Perplexity);
        var y = Initial(x);
        double rate = options.LearningRate ?? Math.Max(n / options.EarlyExaggeration / 4, 50);
        var update = new double[n, 2];
        var gains = new double[n, 2];
        for (int i = 0; i < n; i++) gains[i, 0] = gains[i, 1] = 1;
        var gradient = new double[n, 2];
        var rowZ = new double[n];
        for (int iteration = 0; iteration < options.Iterations; iteration++)
        {
            bool early = iteration < options.ExaggerationIterations;
            double exaggeration = early ? options.EarlyExaggeration : 1, momentum = early ? 0.5 : 0.8;
            Gradient(p, y, exaggeration, gradient, rowZ);
            for (int i = 0; i < n; i++)
                for (int d = 0; d < 2; d++)
                {
                    bool sameSign = gradient[i, d] > 0 == update[i, d] > 0;
                    gains[i, d] = Math.Max(sameSign ? gains[i, d] * 0.8 : gains[i, d] + 0.2, 0.01);
                    update[i, d] = momentum * update[i, d] - rate * gains[i, d] * gradient[i, d];
                    y[i, d] += update[i, d];
                }
            Center(y);
        }
        return new TsneResult(y, Kl(p, y));
    }

    /// <summary>Symmetrized input affinities P (row i's Gaussian bandwidth set by binary search so its perplexity matches).</summary>
    private static double[,] Affinities(double[,] x, double perplexity)
    {
        int n = x.GetLength(0), m = x.GetLength(1);
        var distances = new double[n, n];
        Parallel.For(0, n, i =>
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < m; k++) { double t = x[i, k] - x[j, k]; s += t * t; }
                distances[i, j] = s;
            }
        });
        var conditional = new double[n, n];
        double target = Math.Log(perplexity);
        Parallel.For(0, n, i =>
        {
            double beta = 1, low = double.NegativeInfinity, high = double.PositiveInfinity;
            var row = new double[n];
            for (int step = 0; step < 100; step++)
            {
                double sum = 0, weighted = 0;
                for (int j = 0; j < n; j++)
                {
                    row[j] = j == i ? 0 : Math.Exp(-distances[i, j] * beta);
                    sum += row[j];
                    weighted += distances[i, j] * row[j];
                }
                if (sum == 0) sum = 1e-300;
                double entropy = Math.Log(sum) + beta * weighted / sum;
                for (int j = 0; j < n; j++) row[j] /= sum;
                double difference = entropy - target;
                if (Math.Abs(difference) < 1e-5) break;
                if (difference > 0) { low = beta; beta = double.IsPositiveInfinity(high) ? beta * 2 : (beta + high) / 2; }
                else { high = beta; beta = double.IsNegativeInfinity(low) ? beta / 2 : (beta + low) / 2; }
            }
            for (int j = 0; j < n; j++) conditional[i, j] = row[j];
        });
        var p = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                p[i, j] = Math.Max((conditional[i, j] + conditional[j, i]) / (2.0 * n), 1e-12);
        return p;
    }

    /// <summary>The first two principal components, scaled so the first has standard deviation 1e-4.</summary>
    private static double[,] Initial(double[,] x)
    {
        int n = x.GetLength(0), m = x.GetLength(1);
        double[,] y;
        if (m >= 2)
        {
            y = Pca.Fit(x, 2).Transform(x);
        }
        else
        {
            y = new double[n, 2];
            for (int i = 0; i < n; i++) { y[i, 0] = x[i, 0]; y[i, 1] = i % 2 == 0 ? 1e-3 : -1e-3; }
        }
        double mean = 0, variance = 0;
        for (int i = 0; i < n; i++) mean += y[i, 0] / n;
        for (int i = 0; i < n; i++) variance += (y[i, 0] - mean) * (y[i, 0] - mean) / n;
        double scale = variance > 0 ? 1e-4 / Math.Sqrt(variance) : 1;
        for (int i = 0; i < n; i++) { y[i, 0] *= scale; y[i, 1] *= scale; }
        Center(y);
        return y;
    }

    /// <summary>∂KL/∂y_i = 4 Σ_j (e·P_ij − Q_ij) (1 + ‖y_i − y_j‖²)⁻¹ (y_i − y_j).</summary>
    private static void Gradient(double[,] p, double[,] y, double exaggeration, double[,] gradient, double[] rowZ)
    {
        int n = y.GetLength(0);
        Parallel.For(0, n, i =>
        {
            double z = 0;
            for (int j = 0; j < n; j++)
            {
                if (j == i) continue;
                double dx = y[i, 0] - y[j, 0], dy = y[i, 1] - y[j, 1];
                z += 1 / (1 + dx * dx + dy * dy);
            }
            rowZ[i] = z;
        });
        double total = 0;
        for (int i = 0; i < n; i++) total += rowZ[i];
        Parallel.For(0, n, i =>
        {
            double gx = 0, gy = 0;
            for (int j = 0; j < n; j++)
            {
                if (j == i) continue;
                double dx = y[i, 0] - y[j, 0], dy = y[i, 1] - y[j, 1];
                double kernel = 1 / (1 + dx * dx + dy * dy);
                double force = (exaggeration * p[i, j] - kernel / total) * kernel;
                gx += force * dx;
                gy += force * dy;
            }
            gradient[i, 0] = 4 * gx;
            gradient[i, 1] = 4 * gy;
        });
    }

    /// <summary>KL(P ‖ Q) of an embedding.</summary>
    private static double Kl(double[,] p, double[,] y)
    {
        int n = y.GetLength(0);
        double total = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (i != j)
                {
                    double dx = y[i, 0] - y[j, 0], dy = y[i, 1] - y[j, 1];
                    total += 1 / (1 + dx * dx + dy * dy);
                }
        double kl = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (i == j) continue;
                double dx = y[i, 0] - y[j, 0], dy = y[i, 1] - y[j, 1];
                double q = Math.Max(1 / (1 + dx * dx + dy * dy) / total, 1e-12);
                kl += p[i, j] * Math.Log(p[i, j] / q);
            }
        return kl;
    }

    private static void Center(double[,] y)
    {
        int n = y.GetLength(0);
        for (int d = 0; d < 2; d++)
        {
            double mean = 0;
            for (int i = 0; i < n; i++) mean += y[i, d];
            mean /= n;
            for (int i = 0; i < n; i++) y[i, d] -= mean;
        }
    }
}
