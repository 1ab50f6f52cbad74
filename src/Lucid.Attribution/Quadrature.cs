namespace Lucid.Attribution;

/// <summary>How Integrated Gradients discretizes the path integral (Captum's names and node/weight conventions).</summary>
public enum IntegrationMethod { RiemannLeft, RiemannRight, RiemannMiddle, RiemannTrapezoid, GaussLegendre }

/// <summary>Nodes α ∈ [0, 1] and weights of the path-integral rules.</summary>
public static class Quadrature
{
    public static (double[] Alphas, double[] Weights) Rule(IntegrationMethod method, int steps)
    {
        if (steps <= 0) throw new LucidArgumentException(nameof(steps), $"integrated gradients: steps must be positive, got {steps}.");
        var a = new double[steps];
        var w = new double[steps];
        switch (method)
        {
            case IntegrationMethod.RiemannLeft:
                for (int k = 0; k < steps; k++) { a[k] = (double)k / steps; w[k] = 1.0 / steps; }
                break;
            case IntegrationMethod.RiemannRight:
                for (int k = 0; k < steps; k++) { a[k] = (k + 1.0) / steps; w[k] = 1.0 / steps; }
                break;
            case IntegrationMethod.RiemannMiddle:
                for (int k = 0; k < steps; k++) { a[k] = (k + 0.5) / steps; w[k] = 1.0 / steps; }
                break;
            case IntegrationMethod.RiemannTrapezoid:
                if (steps < 2) throw new LucidArgumentException(nameof(steps), "integrated gradients: the trapezoid rule needs at least 2 steps.");
                for (int k = 0; k < steps; k++)
                {
                    a[k] = (double)k / (steps - 1);
                    w[k] = (k == 0 || k == steps - 1 ? 0.5 : 1.0) / (steps - 1);
                }
                break;
            default:
                GaussLegendre(steps, a, w);
                break;
        }
        return (a, w);
    }

    /// <summary>Gauss–Legendre nodes and weights on [0, 1] (Newton's method on Pₙ; nodes mapped by α = (1 + t)/2, weights halved).</summary>
    private static void GaussLegendre(int n, double[] alphas, double[] weights)
    {
        for (int i = 0; i < n; i++)
        {
            double t = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5));
            double derivative = 0;
            for (int iteration = 0; iteration < 100; iteration++)
            {
                double p0 = 1, p1 = t;
                for (int k = 2; k <= n; k++) (p0, p1) = (p1, ((2 * k - 1) * t * p1 - (k - 1) * p0) / k);
                double pn = n == 1 ? t : p1, pPrev = n == 1 ? 1 : p0;
                derivative = n * (t * pn - pPrev) / (t * t - 1);
                double step = pn / derivative;
                t -= step;
                if (Math.Abs(step) < 1e-15) break;
            }
            alphas[n - 1 - i] = 0.5 * (1 + t);
            weights[n - 1 - i] = 1.0 / ((1 - t * t) * derivative * derivative);
        }
    }
}
