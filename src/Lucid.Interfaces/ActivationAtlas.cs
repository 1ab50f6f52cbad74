using System.Globalization;
using Lucid.Imaging;
using Lucid.Interfaces.Embedding;
using Lucid.Interfaces.Figures;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Interfaces;

/// <summary>One sampled activation: which image, which position.</summary>
public sealed record AtlasSample(int Image, int Y, int X);

/// <summary>One occupied cell of the atlas grid: its samples, their mean activation vector and its icon.</summary>
public sealed record AtlasCell(int Row, int Column, int[] Samples, float[] MeanActivation, Image Icon);

/// <summary>
/// An activation atlas (Carter et al., Distill 2019) of one layer: activation vectors sampled at random positions of
/// many images, laid out in two dimensions by t-SNE, binned into a grid; each cell with enough samples shows a feature
/// visualization of its mean activation vector (the direction objective, cosine power 1, all cells as one batch).
/// </summary>
/// <param name="Tap">The layer.</param>
/// <param name="Grid">Cells per side.</param>
/// <param name="Samples">Every sampled activation.</param>
/// <param name="Embedding">Each sample's position in [0, 1]², [n, 2].</param>
/// <param name="Cells">The occupied cells (at least the minimum count), row-major.</param>
/// <param name="KlDivergence">t-SNE's final KL divergence.</param>
public sealed record ActivationAtlas(string Tap, int Grid, IReadOnlyList<AtlasSample> Samples, double[,] Embedding, IReadOnlyList<AtlasCell> Cells, double KlDivergence)
{
    /// <param name="model">The model.</param>
    /// <param name="images">The images, [N, C, H, W] in the model's input shape.</param>
    /// <param name="tap">A spatial layer.</param>
    /// <param name="samplesPerImage">Random positions sampled per image (Lucid's atlases: one).</param>
    /// <param name="grid">Cells per side of the layout grid.</param>
    /// <param name="minCount">Fewest samples a cell needs to be drawn.</param>
    /// <param name="iconSteps">Render steps per icon (the small-input preset).</param>
    /// <param name="seed">Seeds the sampling and the icons.</param>
    /// <param name="tsne">t-SNE settings (default: <see cref="TsneOptions"/>).</param>
    public static ActivationAtlas Of(Model model, Tensor images, string tap, int samplesPerImage = 1, int grid = 8, int minCount = 3,
        int iconSteps = 128, ulong seed = 1, TsneOptions? tsne = null)
    {
        if (!model.Input.Accepts(images))
            throw new ShapeMismatchException($"activation atlas: model '{model.Name}' takes images [N, {string.Join(", ", model.Input.Shape)}], got [{string.Join(", ", images.Shape.ToArray())}].");
        var shape = InputChecks.SpatialShape(model, tap, "activation atlas");
        if (grid < 1) throw new LucidArgumentException(nameof(grid), $"activation atlas: grid must be positive, got {grid}.");
        if (minCount < 1) throw new LucidArgumentException(nameof(minCount), $"activation atlas: minCount must be positive, got {minCount}.");
        int c = shape[0], h = shape[1], w = shape[2], n = images.Size(0);
        if (samplesPerImage < 1 || samplesPerImage > h * w)
            throw new LucidArgumentException(nameof(samplesPerImage), $"activation atlas: {samplesPerImage} samples per image from the {h * w} positions of '{tap}'.");
        var rng = new Rng(seed);
        var samples = new List<AtlasSample>();
        var vectors = new List<float[]>();
        const int batch = 64;
        for (int start = 0; start < n; start += batch)
        {
            int count = Math.Min(batch, n - start);
            float[] a;
            using (GradMode.NoGrad())
            using (Tensor.Scope())
            {
                var slice = images[start..(start + count)];
                a = model.Run(slice, null, stopAfter: tap)[tap].ToArray();
            }
            for (int i = 0; i < count; i++)
                foreach (int position in rng.Permutation(h * w).Take(samplesPerImage).Order())
                {
                    samples.Add(new AtlasSample(start + i, position / w, position % w));
                    var v = new float[c];
                    for (int ch = 0; ch < c; ch++) v[ch] = a[((i * c) + ch) * h * w + position];
                    vectors.Add(v);
                }
        }
        var x = new double[vectors.Count, c];
        for (int i = 0; i < vectors.Count; i++) for (int ch = 0; ch < c; ch++) x[i, ch] = vectors[i][ch];
        var options = tsne ?? new TsneOptions { Perplexity = Math.Min(30, (vectors.Count - 1) / 3.0) };
        var fitted = Tsne.Fit(x, options);
        var embedding = Normalize(fitted.Embedding);
        var members = new Dictionary<(int Row, int Column), List<int>>();
        for (int i = 0; i < vectors.Count; i++)
        {
            int row = Math.Min(grid - 1, (int)(embedding[i, 1] * grid)), column = Math.Min(grid - 1, (int)(embedding[i, 0] * grid));
            if (!members.TryGetValue((row, column), out var list)) members[(row, column)] = list = new List<int>();
            list.Add(i);
        }
        var occupied = members.Where(kv => kv.Value.Count >= minCount).OrderBy(kv => kv.Key.Row).ThenBy(kv => kv.Key.Column).ToList();
        var means = occupied.Select(kv =>
        {
            var mean = new float[c];
            foreach (int i in kv.Value) for (int ch = 0; ch < c; ch++) mean[ch] += vectors[i][ch] / kv.Value.Count;
            return mean;
        }).ToList();
        var icons = means.Count == 0 ? Array.Empty<Image>() : Icons.ForDirections(model, tap, means, iconSteps, seed);
        var cells = occupied.Select((kv, k) => new AtlasCell(kv.Key.Row, kv.Key.Column, kv.Value.ToArray(), means[k], icons[k])).ToList();
        return new ActivationAtlas(tap, grid, samples, embedding, cells, fitted.KlDivergence);
    }

    /// <summary>Scales an embedding into [0, 1]² keeping its aspect ratio (the longer side spans [0, 1]).</summary>
    private static double[,] Normalize(double[,] y)
    {
        int n = y.GetLength(0);
        double minX = double.MaxValue, maxX = double.MinValue, minY = double.MaxValue, maxY = double.MinValue;
        for (int i = 0; i < n; i++)
        {
            minX = Math.Min(minX, y[i, 0]); maxX = Math.Max(maxX, y[i, 0]);
            minY = Math.Min(minY, y[i, 1]); maxY = Math.Max(maxY, y[i, 1]);
        }
        double span = Math.Max(Math.Max(maxX - minX, maxY - minY), 1e-12);
        double offsetX = (span - (maxX - minX)) / 2, offsetY = (span - (maxY - minY)) / 2;
        var result = new double[n, 2];
        for (int i = 0; i < n; i++)
        {
            result[i, 0] = (y[i, 0] - minX + offsetX) / span;
            result[i, 1] = (y[i, 1] - minY + offsetY) / span;
        }
        return result;
    }

    /// <summary>
    /// The figure: the grid with each occupied cell's icon at its place; a cell's details are its sample count, its
    /// strongest channels and, when <paramref name="describe"/> is given, what its samples are (e.g. their classes).
    /// </summary>
    /// <param name="model">The model (for the title).</param>
    /// <param name="describe">Optional: a one-line description of a cell's samples (e.g. a class histogram).</param>
    /// <param name="icon">Displayed size of each icon.</param>
    public Figure ToFigure(Model model, Func<IReadOnlyList<AtlasSample>, string>? describe = null, int icon = 48)
    {
        var blank = new Image(1, 1, 3, new byte[] { 255, 255, 255 });
        var byPlace = Cells.ToDictionary(cell => (cell.Row, cell.Column));
        var rows = new List<FigureElement>();
        for (int r = 0; r < Grid; r++)
            rows.Add(new Row(Enumerable.Range(0, Grid).Select(col =>
            {
                if (!byPlace.TryGetValue((r, col), out var cell)) return (FigureElement)new ImageCell(blank, icon, icon);
                var strongest = Enumerable.Range(0, cell.MeanActivation.Length).OrderByDescending(ch => cell.MeanActivation[ch]).ThenBy(ch => ch).Take(3)
                    .Select(ch => string.Create(CultureInfo.InvariantCulture, $"channel {ch}: {cell.MeanActivation[ch]:0.00}"));
                var details = string.Create(CultureInfo.InvariantCulture, $"cell ({r}, {col}) of the {Tap} atlas\n{cell.Samples.Length} samples\n") +
                              (describe is null ? "" : describe(cell.Samples.Select(i => Samples[i]).ToList()) + "\n") + string.Join("\n", strongest);
                return new ImageCell(cell.Icon, icon, icon) { Id = $"atlas-{r}-{col}", Details = details };
            }).ToArray(), Gap: 1));
        var root = new Column(new FigureElement[]
        {
            new Column(rows, Gap: 1) { Id = "atlas" },
            new Text(string.Create(CultureInfo.InvariantCulture, $"{Samples.Count} activations of {Tap}, t-SNE (KL {KlDivergence:0.00}), {Grid}×{Grid} grid, {Cells.Count} cells drawn"), 10),
        }, Gap: 6);
        return new Figure($"Activation atlas of {model.Name} at {Tap}", root);
    }
}
