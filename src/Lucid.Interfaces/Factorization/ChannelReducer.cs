using Lucid.Tensors;

namespace Lucid.Interfaces.Factorization;

/// <summary>How a <see cref="ChannelReducer"/> factorizes.</summary>
public enum ReductionMethod { Nmf, Pca }

/// <summary>
/// Lucid's ChannelReducer: activations [N, C, H, W] (or [N, C]) are flattened to [N·H·W, C] — one row per position,
/// one column per channel — and factorized into k groups of channels. <see cref="Components"/> [k, C] are the groups'
/// directions in channel space (for NMF, non-negative neuron groups); <see cref="Transform"/> gives each position's
/// weight on each group, [N, k, H, W] — the groups' spatial maps.
/// </summary>
public sealed class ChannelReducer
{
    private readonly NmfResult? _nmf;
    private readonly PcaResult? _pca;

    private ChannelReducer(ReductionMethod method, int channels, NmfResult? nmf, PcaResult? pca, float[] fitted, int[] fittedShape)
    {
        Method = method;
        Channels = channels;
        _nmf = nmf;
        _pca = pca;
        var h = (double[,]?)nmf?.H ?? pca!.Components;
        Components = new float[h.GetLength(0), h.GetLength(1)];
        for (int c = 0; c < h.GetLength(0); c++) for (int j = 0; j < h.GetLength(1); j++) Components[c, j] = (float)h[c, j];
        FittedTransform = fitted;
        FittedShape = fittedShape;
    }

    public ReductionMethod Method { get; }
    public int Channels { get; }
    public int Count => Components.GetLength(0);

    /// <summary>The groups as directions in channel space, [k, C].</summary>
    public float[,] Components { get; }

    /// <summary>The fitted activations' group maps, [N, k, H, W] as a flat array (see <see cref="FittedShape"/>).</summary>
    public float[] FittedTransform { get; }
    public int[] FittedShape { get; }

    /// <summary>NMF's relative reconstruction error on the fitted activations (NaN for PCA).</summary>
    public double RelativeError { get; private init; } = double.NaN;

    /// <summary>Fits <paramref name="components"/> groups to <paramref name="activations"/> (non-negative for NMF: e.g. a post-ReLU tap).</summary>
    public static ChannelReducer Fit(Tensor activations, int components, ReductionMethod method = ReductionMethod.Nmf, ulong seed = 0, int iterations = 300)
    {
        var (rows, n, c, plane) = Rows(activations);
        if (components < 1 || components > c)
            throw new LucidArgumentException(nameof(components), $"channel reducer: {components} groups for {c} channels; use 1 to {c}.");
        if (method == ReductionMethod.Nmf)
        {
            var nmf = Nmf.Fit(rows, components, iterations, seed);
            return new ChannelReducer(method, c, nmf, null, Maps(nmf.W, n, components, plane), Shape(activations, components))
            {
                RelativeError = nmf.RelativeError(rows),
            };
        }
        var pca = Pca.Fit(rows, components);
        return new ChannelReducer(method, c, null, pca, Maps(pca.Transform(rows), n, components, plane), Shape(activations, components));
    }

    /// <summary>The group maps of new activations [N, C, (H, W)] → [N, k, (H, W)].</summary>
    public Tensor Transform(Tensor activations)
    {
        var (rows, n, c, plane) = Rows(activations);
        if (c != Channels) throw new ShapeMismatchException($"channel reducer: fitted on {Channels} channels, given {c}.");
        var w = _nmf is not null ? Nmf.Transform(rows, _nmf.H) : _pca!.Transform(rows);
        return Tensor.FromArray(Maps(w, n, Count, plane), Shape(activations, Count));
    }

    private static int[] Shape(Tensor activations, int k)
    {
        var shape = activations.Shape.ToArray();
        shape[1] = k;
        return shape;
    }

    private static (double[,] Rows, int N, int C, int Plane) Rows(Tensor activations)
    {
        if (activations.Rank is not (2 or 4))
            throw new ShapeMismatchException($"channel reducer: expected activations [N, C] or [N, C, H, W], got [{string.Join(", ", activations.Shape.ToArray())}].");
        int n = activations.Size(0), c = activations.Size(1), plane = activations.Count / (n * c);
        var d = activations.ToArray();
        var rows = new double[n * plane, c];
        for (int e = 0; e < n; e++)
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < plane; p++) rows[e * plane + p, ch] = d[(e * c + ch) * plane + p];
        return (rows, n, c, plane);
    }

    private static float[] Maps(double[,] w, int n, int k, int plane)
    {
        var maps = new float[n * k * plane];
        for (int e = 0; e < n; e++)
            for (int g = 0; g < k; g++)
                for (int p = 0; p < plane; p++) maps[(e * k + g) * plane + p] = (float)w[e * plane + p, g];
        return maps;
    }
}
