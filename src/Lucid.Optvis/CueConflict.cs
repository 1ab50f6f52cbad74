using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>Settings of a Gatys-style texture transfer (<see cref="CueConflict.TextureTransfer"/>).</summary>
public sealed record TextureTransferSettings
{
    /// <summary>Taps whose Gram matrices are matched to the texture image's (texture: what is where, not where).</summary>
    public required IReadOnlyList<string> TextureTaps { get; init; }

    /// <summary>The tap whose activations are matched to the shape image's (feature inversion: the layout).</summary>
    public required string ShapeTap { get; init; }

    /// <summary>Weight of the texture term: mean |G(x) − G(texture)| over the taps, in units of |G(shape) − G(texture)|.</summary>
    public double TextureWeight { get; init; } = 1;

    /// <summary>Weight of the shape term: ‖F(x) − F(shape)‖², in units of ‖F(texture) − F(shape)‖².</summary>
    public double ShapeWeight { get; init; } = 1;

    public int Steps { get; init; } = 200;
    public double LearningRate { get; init; } = 0.05;

    /// <summary>Optimize Lucid's decorrelated Fourier image (true) or the pixels (false); both start from the shape image.</summary>
    public bool Fourier { get; init; } = true;

    /// <summary>
    /// The settings for the bundled inception-mini (64² scenes): texture from the first layers, shape from mixed3b, the
    /// shape term at 0.3 of the texture term's weight (at 1 most objects keep their own texture; see docs/robustness.md).
    /// </summary>
    public static TextureTransferSettings InceptionMini { get; } = new()
    {
        TextureTaps = new[] { "conv2d0", "conv2d2", "mixed3a" },
        ShapeTap = "mixed3b",
        TextureWeight = 1,
        ShapeWeight = 0.3,
    };
}

/// <summary>One cue-conflict image's decision: which source's cue the model followed.</summary>
/// <param name="ShapeSource">The class whose image gave the shape.</param>
/// <param name="TextureSource">The class whose image gave the texture.</param>
/// <param name="Predicted">The model's class for the cue-conflict image.</param>
/// <param name="FollowsShape">Whether the predicted class has the shape source's shape.</param>
/// <param name="FollowsTexture">Whether the predicted class has the texture source's texture.</param>
public sealed record CueConflictDecision(string ShapeSource, string TextureSource, string Predicted, bool FollowsShape, bool FollowsTexture);

/// <summary>
/// A shape-bias measurement (Geirhos et al., 2019): among the cue-conflict decisions that follow one of the two cues,
/// the share that follows the shape, with its 95 % Wilson interval.
/// </summary>
public sealed record ShapeBiasResult(IReadOnlyList<CueConflictDecision> Decisions, IReadOnlyList<Tensor> Images)
{
    public int Shape => Decisions.Count(d => d.FollowsShape);
    public int Texture => Decisions.Count(d => d.FollowsTexture);
    public double Bias => Shape + Texture == 0 ? double.NaN : (double)Shape / (Shape + Texture);

    /// <summary>The 95 % Wilson score interval of <see cref="Bias"/> over the decisions that follow a cue.</summary>
    public (double Low, double High) Interval
    {
        get
        {
            int n = Shape + Texture;
            if (n == 0) return (double.NaN, double.NaN);
            const double z = 1.959963984540054;
            double p = Bias, denominator = 1 + z * z / n;
            double centre = (p + z * z / (2 * n)) / denominator;
            double half = z * Math.Sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / denominator;
            return (centre - half, centre + half);
        }
    }
}

/// <summary>
/// Cue-conflict images — the shape of one image with the texture of another (Gatys et al., 2016) — and the shape bias a
/// classifier shows on them (Geirhos et al., 2019).
/// </summary>
public static class CueConflict
{
    /// <summary>
    /// An image [1, C, H, W] with the layout of <paramref name="shape"/> (its activations at
    /// <see cref="TextureTransferSettings.ShapeTap"/>) and the texture of <paramref name="texture"/> (its Gram matrices
    /// at <see cref="TextureTransferSettings.TextureTaps"/>): Adam on a pixel image that starts from the shape image,
    /// maximizing −(texture weight · relative Gram distance + shape weight · relative feature distance). Deterministic.
    /// </summary>
    public static Tensor TextureTransfer(Model model, Tensor shape, Tensor texture, TextureTransferSettings settings, CancellationToken cancellationToken = default)
    {
        foreach (var (source, name) in new[] { (shape, nameof(shape)), (texture, nameof(texture)) })
            if (!model.Input.Accepts(source) || source.Size(0) != 1)
                throw new ShapeMismatchException($"texture transfer: {name} must be one image [1, {string.Join(", ", model.Input.Shape)}] for model '{model.Name}', got {Shapes.Format(source.Shape)}.");
        if (settings.TextureTaps.Count == 0) throw new LucidArgumentException(nameof(settings), "texture transfer: name at least one texture tap.");
        if (settings.Steps < 1) throw new LucidArgumentException(nameof(settings), $"texture transfer: Steps must be positive, got {settings.Steps}.");
        foreach (var tap in settings.TextureTaps.Append(settings.ShapeTap)) _ = model[tap];

        // each term is measured in units of the distance between the two sources (texture: |G(shape) − G(texture)|
        // per tap; shape: ‖F(texture) − F(shape)‖²), so the start (the shape image) has texture loss 1 and shape loss 0
        // whatever the pair, and the weights trade the two off alike for every pair
        var grams = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var gramScale = new Dictionary<string, float>(StringComparer.Ordinal);
        Tensor shapeTarget;
        float shapeScale;
        using (GradMode.NoGrad())
        {
            var textureActs = model.Run(texture, null);
            var shapeActs = model.Run(shape, null);
            foreach (var tap in settings.TextureTaps)
            {
                var g = Objectives.Gram(textureActs[tap]).Clone().DetachFromScope();
                grams[tap] = g;
                var start = Objectives.Gram(shapeActs[tap]).ToArray();
                var target = g.ToArray();
                double distance = 0;
                for (int i = 0; i < target.Length; i++) distance += Math.Abs(start[i] - target[i]);
                gramScale[tap] = (float)(target.Length / Math.Max(1e-12, distance));
            }
            shapeTarget = shapeActs[settings.ShapeTap].Clone().DetachFromScope();
            var other = textureActs[settings.ShapeTap].ToArray();
            var own = shapeTarget.ToArray();
            double squared = 0;
            for (int i = 0; i < own.Length; i++) squared += (double)(other[i] - own[i]) * (other[i] - own[i]);
            shapeScale = (float)(own.Length / Math.Max(1e-12, squared));
        }
        var objective = new Objective("cue conflict", settings.TextureTaps.Append(settings.ShapeTap).Distinct().ToArray(), c =>
        {
            Tensor? textureTerm = null;
            foreach (var tap in settings.TextureTaps)
            {
                var difference = Ops.Mean(Ops.Flatten(Ops.Abs(Ops.Sub(Objectives.Gram(c[tap]), grams[tap])), 0), 0);
                var term = Ops.Mul(difference, gramScale[tap] / settings.TextureTaps.Count);
                textureTerm = textureTerm is null ? term : Ops.Add(textureTerm, term);
            }
            var delta = Ops.Sub(c[settings.ShapeTap], shapeTarget);
            var shapeTerm = Ops.Mul(Ops.Mean(Ops.Flatten(Ops.Mul(delta, delta), 0), 0), shapeScale);
            return Ops.Neg(Ops.Add(Ops.Mul(textureTerm!, (float)settings.TextureWeight), Ops.Mul(shapeTerm, (float)settings.ShapeWeight)));
        });
        int height = shape.Size(2), width = shape.Size(3);
        using var image = new LucidImage(width, height, batch: 1, fourier: settings.Fourier, decorrelate: settings.Fourier, seed: 0);
        image.SetImage(shape);
        try
        {
            var result = Renderer.Render(model, objective, image, new RenderOptions
            {
                Steps = settings.Steps,
                LearningRate = (float)settings.LearningRate,
                Transforms = Transform.None,
                RedirectRelu = false,
                Cancellation = cancellationToken,
            });
            return result.Image.Clone().DetachFromScope();
        }
        finally
        {
            foreach (var g in grams.Values) g.Dispose();
            shapeTarget.Dispose();
        }
    }

    /// <summary>
    /// Shape bias over every ordered pair of class images whose cues conflict: the shape from one class's image, the
    /// texture from another's, where the two classes differ in shape and in texture and no class has the first's shape
    /// with the second's texture (so each cue points to a different class). A decision follows the shape when the
    /// predicted class has the shape source's shape, the texture when it has the texture source's texture.
    /// </summary>
    /// <param name="model">The classifier.</param>
    /// <param name="sources">One image [1, C, H, W] per class, with the class's label.</param>
    /// <param name="cues">Each label's (shape, texture) pair; every label the model can predict must be listed.</param>
    /// <param name="settings">The texture transfer's taps, weights and steps.</param>
    /// <param name="progress">Receives each pair's decision.</param>
    /// <param name="cancellationToken">Checked between pairs and render steps.</param>
    public static ShapeBiasResult ShapeBias(Model model, IReadOnlyList<(Tensor Image, string Label)> sources,
        IReadOnlyDictionary<string, (string Shape, string Texture)> cues, TextureTransferSettings settings,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        foreach (var label in model.Labels)
            if (!cues.ContainsKey(label))
                throw new LucidArgumentException(nameof(cues), $"shape bias: class '{label}' of model '{model.Name}' has no (shape, texture) pair.");
        foreach (var (_, label) in sources)
            if (!cues.ContainsKey(label))
                throw new LucidArgumentException(nameof(sources), $"shape bias: source class '{label}' has no (shape, texture) pair{Suggest.DidYouMean(label, cues.Keys)}.");
        var decisions = new List<CueConflictDecision>();
        var images = new List<Tensor>();
        foreach (var (shapeImage, shapeLabel) in sources)
            foreach (var (textureImage, textureLabel) in sources)
            {
                var (shapeCue, _) = cues[shapeLabel];
                var (_, textureCue) = cues[textureLabel];
                if (shapeCue == cues[textureLabel].Shape || textureCue == cues[shapeLabel].Texture) continue;
                if (cues.Values.Any(c => c.Shape == shapeCue && c.Texture == textureCue)) continue;
                cancellationToken.ThrowIfCancellationRequested();
                var image = TextureTransfer(model, shapeImage, textureImage, settings, cancellationToken);
                string predicted = model.Labels[model.Predict(image)[0]];
                var (predictedShape, predictedTexture) = cues[predicted];
                decisions.Add(new CueConflictDecision(shapeLabel, textureLabel, predicted, predictedShape == shapeCue, predictedTexture == textureCue));
                images.Add(image);
                progress?.Report($"{shapeLabel} × {textureLabel} texture → {predicted}");
            }
        return new ShapeBiasResult(decisions, images);
    }
}
