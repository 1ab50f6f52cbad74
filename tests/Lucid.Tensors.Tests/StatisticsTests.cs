using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lucid.Testing;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>The shared statistics: ranks with ties averaged, Spearman's correlation by its definition, row argmax.</summary>
[Properties(Arbitrary = new[] { typeof(StatisticsTests) })]
public class StatisticsTests
{
    /// <summary>Values drawn from few levels, so ties are common.</summary>
    public sealed record SampleCase(double[] A, double[] B) : Case;

    public static Arbitrary<SampleCase> Samples() => (
        from n in Gen.Choose(2, 40)
        from a in Gen.Choose(-5, 5).Select(v => (double)v).ArrayOf(n)
        from b in Gen.Choose(-5, 5).Select(v => (double)v).ArrayOf(n)
        select new SampleCase(a, b)).ToArbitrary();

    /// <summary>Ranks are a permutation of 1…n where no two values tie, sum to n(n+1)/2 always, and order the values.</summary>
    [Property(MaxTest = 300)]
    public void Ranks_AverageTies_AndOrderTheValues(SampleCase c)
    {
        var r = Statistics.Ranks(c.A);
        int n = c.A.Length;
        Assert.Equal(n * (n + 1) / 2.0, r.Sum(), 9);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                Assert.Equal(Math.Sign(c.A[i] - c.A[j]), Math.Sign(r[i] - r[j]));
    }

    /// <summary>Spearman is symmetric, in [−1, 1], unchanged by a strictly increasing map of either side, and flips sign under a decreasing one.</summary>
    [Property(MaxTest = 300)]
    public void Spearman_IsSymmetric_Bounded_AndRankInvariant(SampleCase c)
    {
        double rho = Statistics.Spearman(c.A, c.B);
        Assert.InRange(rho, -1 - 1e-12, 1 + 1e-12);
        Assert.Equal(rho, Statistics.Spearman(c.B, c.A), 12);
        Assert.Equal(rho, Statistics.Spearman(c.A.Select(v => Math.Exp(v) * 3 + 1).ToArray(), c.B), 12);
        Assert.Equal(-rho, Statistics.Spearman(c.A.Select(v => -v).ToArray(), c.B), 12);
        bool constant = c.A.Distinct().Count() == 1 || c.B.Distinct().Count() == 1;
        if (!constant) Assert.Equal(1.0, Statistics.Spearman(c.A, c.A), 12);
        else Assert.Equal(0.0, rho);
    }

    /// <summary>Each row's argmax is the first index of the row's largest value (rows of few levels: ties everywhere).</summary>
    [Property(MaxTest = 300)]
    public void ArgMax_IsTheFirstLargestOfEachRow(SampleCase c)
    {
        var values = c.A.Concat(c.B).Select(v => (float)v).ToArray();
        var rows = Ops.ArgMax(values, 2);
        for (int r = 0; r < 2; r++)
        {
            var row = values.Skip(r * c.A.Length).Take(c.A.Length).ToArray();
            Assert.Equal(Array.IndexOf(row, row.Max()), rows[r]);
            Assert.Equal(rows[r], Ops.ArgMax(row.Select(v => (double)v).ToArray()));
        }
    }
}
