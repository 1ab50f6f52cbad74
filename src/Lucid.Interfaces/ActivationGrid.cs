using System.Globalization;
using Lucid.Imaging;
using Lucid.Interfaces.Figures;
using Lucid.Models.Graph;
using Lucid.Optvis;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Interfaces;

/// <summary>
/// The Building Blocks activation grid of one image at one layer: each position's activation vector rendered as a
/// feature visualization (Lucid's direction-neuron objective with cosine power 1 at the centre of the icon), all cells
/// as one batch over a shared Fourier component so neighbouring cells look alike, as in the article.
/// </summary>
/// <param name="Tap">The layer.</param>
/// <param name="Height">Rows of the grid (the layer's height).</param>
/// <param name="Width">Columns of the grid.</param>
/// <param name="Icons">One icon per position, row-major, [1, 3, S, S] each in [0, 1].</param>
/// <param name="Norms">Each position's activation-vector norm (how much is there to draw).</param>
/// <param name="ObjectivePerStep">The summed objective per render step.</param>
/// <param name="Strongest">Each position's strongest channels (its semantic dictionary), strongest first, with their activations.</param>
public sealed record ActivationGrid(string Tap, int Height, int Width, IReadOnlyList<Image> Icons, float[] Norms, float[] ObjectivePerStep,
    IReadOnlyList<(int Channel, float Activation)[]> Strongest)
{
    /// <param name="model">The model.</param>
    /// <param name="image">One image [1, C, H, W].</param>
    /// <param name="tap">A spatial layer.</param>
    /// <param name="steps">Render steps (the small-input preset's transforms and rate).</param>
    /// <param name="sharedWeight">Weight of the component shared by all cells (0: independent cells).</param>
    /// <param name="seed">Seeds the render.</param>
    public static ActivationGrid Of(Model model, Tensor image, string tap, int steps = 128, float sharedWeight = 1f, ulong seed = 0)
    {
        InputChecks.OneImage(image, "activation grid");
        var shape = InputChecks.SpatialShape(model, tap, "activation grid");
        int c = shape[0], h = shape[1], w = shape[2], plane = h * w;
        float[] a;
        using (GradMode.NoGrad())
        using (Tensor.Scope())
            a = model.Run(image, null, stopAfter: tap)[tap].ToArray();
        var vectors = Enumerable.Range(0, plane).Select(p => Enumerable.Range(0, c).Select(ch => a[ch * plane + p]).ToArray()).ToArray();
        var norms = vectors.Select(v => (float)Math.Sqrt(v.Sum(x => (double)x * x))).ToArray();
        var objective = Objective.Sum(vectors.Select((v, p) => Objectives.DirectionNeuron(tap, v, cossimPow: 1, batch: p)));
        // each cell's direction at the centre of an icon (rendered on the preview where the model has one)
        var iconModel = model.Preview ?? model;
        int size = iconModel.Input.Shape[^1];
        using var canvas = new SharedFourierImage(size, batch: plane, sd: RenderOptions.SmallInputSd, sharedWeight: sharedWeight, seed: seed, channels: iconModel.Input.Shape[0]);
        var result = Renderer.Render(iconModel, objective, canvas, Lucid.Interfaces.Icons.Options(model, steps, seed));
        var icons = new List<Image>();
        for (int p = 0; p < plane; p++)
        {
            using var one = result.Image[p..(p + 1)];
            icons.Add(Image.FromTensor(one));
        }
        result.Image.Dispose();
        var strongest = vectors.Select(v => Enumerable.Range(0, c).OrderByDescending(ch => v[ch]).ThenBy(ch => ch).Take(Math.Min(3, c))
            .Select(ch => (ch, v[ch])).ToArray()).ToList();
        return new ActivationGrid(tap, h, w, icons, norms, result.ObjectivePerStep, strongest);
    }

    /// <summary>The figure: the image beside the grid of icons; each cell's details are its activation norm and its strongest channels.</summary>
    public Figure ToFigure(Model model, Tensor image, int icon = 48)
    {
        var rows = new List<FigureElement>();
        for (int y = 0; y < Height; y++)
            rows.Add(new Row(Enumerable.Range(0, Width).Select(x =>
            {
                int p = y * Width + x;
                return (FigureElement)new ImageCell(Icons[p], icon, icon)
                {
                    Id = $"cell-{y}-{x}",
                    Key = FigureKeys.Position(Tap, y, x),
                    Details = string.Create(CultureInfo.InvariantCulture, $"position ({y}, {x}) of {Tap}\nactivation norm {Norms[p]:0.00}\nstrongest channels:\n") +
                              string.Join("\n", Strongest[p].Select(s => string.Create(CultureInfo.InvariantCulture, $"channel {s.Channel}: {s.Activation:0.00}"))),
                };
            }).ToArray(), Gap: 2));
        var root = new Row(new FigureElement[]
        {
            new ImageCell(Image.FromTensor(image), Height * (icon + 2) - 2, Height * (icon + 2) - 2, "input") { Id = "input" },
            new Column(rows, Gap: 2) { Id = "grid" },
        }, Gap: 16);
        return new Figure($"Activation grid of {model.Name} at {Tap}", root);
    }
}
