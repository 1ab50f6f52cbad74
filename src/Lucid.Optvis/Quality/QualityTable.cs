using System.Globalization;
using System.Text;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>
/// One row of the feature-visualization quality table: a method's class renders (every class, several seeds), each
/// metric averaged over classes and seeds.
/// </summary>
/// <param name="Method">The method and its settings.</param>
/// <param name="ActivationRatio">The render's class logit over the largest logit of held-out real scenes of the class.</param>
/// <param name="SelfClassification">Share of renders the model classifies as their class (argmax).</param>
/// <param name="MeanSoftmax">Mean softmax probability of the class.</param>
/// <param name="FeatureDistance">Sort-matching distance at each held-out layer to held-out scenes of the class.</param>
/// <param name="SpectralSlopeError">|spectral slope of the render − mean slope of held-out scenes of the class|.</param>
/// <param name="HighFrequencyRatio">Share of spectral energy above 0.25 cycles/pixel.</param>
/// <param name="Repetition">Largest circular autocorrelation away from zero shift (tiling).</param>
/// <param name="Vendi">Vendi score of the seeds' renders of a class (effective number of distinct images, 1 … seeds).</param>
/// <param name="SecondsPerRender">Wall time per rendered image.</param>
public sealed record QualityRow(string Method, double ActivationRatio, double SelfClassification, double MeanSoftmax, IReadOnlyList<double> FeatureDistance,
    double SpectralSlopeError, double HighFrequencyRatio, double Repetition, double Vendi, double SecondsPerRender)
{
    /// <summary>The share of layers where renders pass the path-similarity check (<see cref="Quality.PathSimilarityCheck(Model, Tensor, IReadOnlyList{double[][]}, int, IReadOnlyList{string})"/>).</summary>
    public double PathSimilarity { get; init; }

    /// <summary>The mean radial power spectrum of the method's images (<see cref="Quality.RadialPowerSpectrum"/>), for the spectrum chart.</summary>
    public double[] RadialSpectrum { get; init; } = Array.Empty<double>();

    /// <summary>Renders the independently trained model classifies as their class, or null when none was given.</summary>
    public double? Transfer { get; init; }
}

/// <summary>Settings of the quality table (defaults: what docs/optvis-quality.md was made with).</summary>
public sealed record QualitySettings
{
    /// <summary>Renders per class and method (distinct seeds).</summary>
    public int Seeds { get; init; } = 3;
    /// <summary>Real scenes per class: VITAL's references (scene seed 7) and, separately, the held-out scenes (seed 8).</summary>
    public int ScenesPerClass { get; init; } = 50;
    public int LucidSteps { get; init; } = 256;
    public int MacoSteps { get; init; } = 256;
    public float MacoLearningRate { get; init; } = 0.2f;
    /// <summary>MACO's random crops cover this share of the image (MACO's 0.25–0.9 was made for large canvases; on a
    /// 64 px model the upsampled small crops change the texture scale the model reads, and fewer classes render).</summary>
    public double MacoMinBox { get; init; } = 0.9;
    public double MacoMaxBox { get; init; } = 1.0;
    public int VitalSteps { get; init; } = 300;
    public float VitalLearningRate { get; init; } = 0.1f;
    public double VitalTotalVariation { get; init; } = 5;
    /// <summary>The layers VITAL matches.</summary>
    public IReadOnlyList<string> VitalTaps { get; init; } = new[] { "conv2d0_pre_relu", "mixed3a", "mixed3b", "mixed4a", "mixed4b" };
    /// <summary>Layers no method optimizes, where the feature distance is measured.</summary>
    public IReadOnlyList<string> HeldOutTaps { get; init; } = new[] { "conv2d2", "mixed4a_3x3_bottleneck" };
    /// <summary>The layer whose pooled features feed the Vendi score.</summary>
    public string FeatureTap { get; init; } = "avgpool";
    /// <summary>Layers of the path-similarity check.</summary>
    public IReadOnlyList<string> PathTaps { get; init; } = new[] { "conv2d2", "mixed3a", "mixed3b", "mixed4a", "mixed4b" };
    /// <summary>An independently trained model with the same labels, for transferability (null: not measured).</summary>
    public Model? TransferModel { get; init; }
}

/// <summary>
/// Lucid-style, MACO and VITAL renders of every class of a model trained on the synthetic scenes, scored with the
/// <see cref="Quality"/> metrics against real scenes the renders never saw (<c>lucid quality</c>).
/// </summary>
public static class QualityTable
{
    private const ulong ReferenceSeed = 7, HeldOutSeed = 8;

    public static IReadOnlyList<QualityRow> Run(Model model, QualitySettings? settings = null, IProgress<string>? progress = null)
    {
        settings ??= new QualitySettings();
        if (!model.Input.Shape.SequenceEqual(new[] { 3, SyntheticScenes.Size, SyntheticScenes.Size }))
            throw new LucidArgumentException(nameof(model), $"quality table: model '{model.Name}' does not take the synthetic scenes ({SyntheticScenes.Size}² RGB).");
        if (settings.Seeds < 1 || settings.ScenesPerClass < 2)
            throw new LucidArgumentException(nameof(settings), "quality table: at least one seed and two scenes per class.");
        foreach (var tap in settings.VitalTaps.Concat(settings.HeldOutTaps).Append(settings.FeatureTap)) _ = model[tap];
        int classes = model.Labels.Count, size = SyntheticScenes.Size;
        var references = Enumerable.Range(0, classes).Select(k => Scenes(ReferenceSeed, k, settings.ScenesPerClass)).ToArray();
        var heldOut = Enumerable.Range(0, classes).Select(k => Scenes(HeldOutSeed, k, settings.ScenesPerClass)).ToArray();
        try
        {
            foreach (var tap in settings.PathTaps) _ = model[tap];
            if (settings.TransferModel is { } other && !other.Labels.SequenceEqual(model.Labels))
                throw new LucidArgumentException(nameof(settings), $"quality table: the transfer model '{other.Name}' has other labels than '{model.Name}'.");
            var held = HeldOut.Of(model, heldOut, settings.HeldOutTaps) with { Profiles = heldOut.Select(x => Quality.PathProfile(model, x, settings.PathTaps)).ToArray() };
            var rows = new List<QualityRow>
            {
                // real scenes not used for the held-out statistics: the floor every metric is read against
                Score("real scenes (not rendered)", model, settings, held, (k, s) => Ops.Slice(references[k], 0, s, s + 1), 0),
            };
            progress?.Report(rows[^1].Method);

            var lucid = new Tensor[settings.Seeds];
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int s = 0; s < settings.Seeds; s++)
                lucid[s] = Recipes.Classes(model, model.Labels, seed: (ulong)s, options: RenderOptions.ForSmallInput(size) with { Steps = settings.LucidSteps, Seed = (ulong)s }).Image;
            double lucidTime = clock.Elapsed.TotalSeconds / (settings.Seeds * classes);
            rows.Add(Score($"Lucid-style (Fourier, decorrelated; roll ±4, Adam 0.2, {settings.LucidSteps} steps)", model, settings, held,
                (k, s) => Ops.Slice(lucid[s], 0, k, k + 1), lucidTime));
            progress?.Report(rows[^1].Method);

            using var magnitudeImages = Ops.Concat(references.Select(r => Ops.Slice(r, 0, 0, Math.Min(8, r.Size(0)))).ToArray(), 0);
            using var magnitude = MacoImage.MagnitudeOf(magnitudeImages, size, size);
            var maco = Render(model, settings, classes, (k, s) =>
            {
                using var image = new MacoImage(size, size, magnitude, seed: (ulong)s);
                var transforms = Transform.Compose(Transform.RandomCrops(8, settings.MacoMinBox, settings.MacoMaxBox, size), Transform.Noise(0.05f));
                return Renderer.Render(model, Objectives.ClassLogProbability(model.Labels[k]), image,
                    new RenderOptions { Steps = settings.MacoSteps, LearningRate = settings.MacoLearningRate, Seed = (ulong)s, Transforms = transforms }).Image;
            }, out double macoTime);
            rows.Add(Score($"MACO (phase only, dataset magnitude; 8 crops of {settings.MacoMinBox.ToString(CultureInfo.InvariantCulture)}–{settings.MacoMaxBox.ToString(CultureInfo.InvariantCulture)} + noise 0.05, Adam {settings.MacoLearningRate.ToString(CultureInfo.InvariantCulture)}, {settings.MacoSteps} steps)",
                model, settings, held, (k, s) => maco[k, s].Clone(), macoTime));
            progress?.Report(rows[^1].Method);

            var vital = Render(model, settings, classes, (k, s) =>
                Vital.RenderClass(model, references[k], settings.VitalTaps, steps: settings.VitalSteps, learningRate: settings.VitalLearningRate,
                    jitter: 4, warmup: settings.VitalSteps / 10, seed: (ulong)s, totalVariation: settings.VitalTotalVariation).Image, out double vitalTime);
            rows.Add(Score($"VITAL (sort-matching {string.Join(", ", settings.VitalTaps)}; TV {settings.VitalTotalVariation.ToString(CultureInfo.InvariantCulture)}, {settings.VitalSteps} steps)",
                model, settings, held, (k, s) => vital[k, s].Clone(), vitalTime));
            progress?.Report(rows[^1].Method);
            foreach (var t in lucid) t.Dispose();
            foreach (var t in maco) t.Dispose();
            foreach (var t in vital) t.Dispose();
            foreach (var q in held.Quantiles.SelectMany(d => d.Values)) q.Dispose();
            return rows;
        }
        finally
        {
            foreach (var t in references.Concat(heldOut)) t.Dispose();
        }
    }

    private static Tensor[,] Render(Model model, QualitySettings settings, int classes, Func<int, int, Tensor> render, out double secondsPerRender)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var images = new Tensor[classes, settings.Seeds];
        for (int k = 0; k < classes; k++)
            for (int s = 0; s < settings.Seeds; s++)
                images[k, s] = render(k, s).DetachFromScope();
        secondsPerRender = clock.Elapsed.TotalSeconds / (classes * settings.Seeds);
        return images;
    }

    /// <summary>Every metric for image (class k, seed s), averaged over classes and seeds.</summary>
    /// <summary>What every row is compared with, per class: the held-out scenes, their largest class logit and mean spectral slope.</summary>
    private sealed record HeldOut(Tensor[] Scenes, double[] BestLogit, double[] Slope, IReadOnlyDictionary<string, Tensor>[] Quantiles)
    {
        public static HeldOut Of(Model model, Tensor[] scenes, IReadOnlyList<string> taps) => new(scenes,
            scenes.Select((x, k) => (double)Logits(model, x).Max(row => row[k])).ToArray(),
            scenes.Select(x => Enumerable.Range(0, x.Size(0)).Average(i =>
            {
                using var one = x[i..(i + 1)];
                return Quality.SpectralSlope(one);
            })).ToArray(),
            scenes.Select(x => Vital.Quantiles(model, x, taps)).ToArray());

        /// <summary>Each class's path profile (<see cref="Quality.PathProfile"/>) over its held-out scenes.</summary>
        public double[][][] Profiles { get; init; } = Array.Empty<double[][]>();
    }

    private static QualityRow Score(string method, Model model, QualitySettings settings, HeldOut held, Func<int, int, Tensor> image, double seconds)
    {
        var heldOut = held.Scenes;
        int classes = heldOut.Length, seeds = settings.Seeds;
        double ratio = 0, correct = 0, softmax = 0, slopeError = 0, hf = 0, repetition = 0, vendi = 0, path = 0, transfer = 0;
        double[]? spectrum = null;
        var distance = new double[settings.HeldOutTaps.Count];
        for (int k = 0; k < classes; k++)
        {
            double bestLogit = held.BestLogit[k], realSlope = held.Slope[k];
            var features = new float[seeds][];
            for (int s = 0; s < seeds; s++)
            {
                using var x = image(k, s);
                var logits = Logits(model, x)[0];
                ratio += logits[k] / bestLogit;
                var (p, _) = Quality.SelfClassification(model, x, k)[0];
                softmax += p;
                if (Ops.ArgMax(logits) == k) correct++;
                for (int t = 0; t < distance.Length; t++) distance[t] += Quality.FeatureDistributionDistanceToQuantiles(model, x, held.Quantiles[k][settings.HeldOutTaps[t]], settings.HeldOutTaps[t]);
                slopeError += Math.Abs(Quality.SpectralSlope(x) - realSlope);
                var radial = Quality.RadialPowerSpectrum(x);
                spectrum ??= new double[radial.Length];
                for (int r = 0; r < radial.Length; r++) spectrum[r] += radial[r];
                hf += Quality.HighFrequencyEnergyRatio(x);
                repetition += Quality.RepetitionScore(x);
                features[s] = Features(model, x, settings.FeatureTap);
                path += Quality.PathSimilarityCheck(model, x, held.Profiles, k, settings.PathTaps).LayersPassing;
                if (settings.TransferModel is { } other)
                {
                    var elsewhere = Logits(other, x)[0];
                    if (Ops.ArgMax(elsewhere) == k) transfer++;
                }
            }
            vendi += seeds > 1 ? Quality.VendiScore(features) : 1;
        }
        int n = classes * seeds;
        return new QualityRow(method, ratio / n, correct / n, softmax / n, distance.Select(d => d / n).ToArray(), slopeError / n, hf / n, repetition / n, vendi / classes, seconds)
        {
            PathSimilarity = path / n,
            Transfer = settings.TransferModel is null ? null : transfer / n,
            RadialSpectrum = spectrum!.Select(v => v / n).ToArray(),
        };
    }

    private static float[][] Logits(Model model, Tensor images)
    {
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var logits = model.Forward(images);
        int n = logits.Size(0), k = logits.Size(1);
        var d = logits.ToArray();
        return Enumerable.Range(0, n).Select(e => d.AsSpan(e * k, k).ToArray()).ToArray();
    }

    private static float[] Features(Model model, Tensor image, string tap)
    {
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        return model.Run(image, null, stopAfter: tap)[tap].ToArray();
    }

    private static Tensor Scenes(ulong seed, int cls, int count)
    {
        var pixels = new float[count * 3 * SyntheticScenes.Size * SyntheticScenes.Size];
        int per = 3 * SyntheticScenes.Size * SyntheticScenes.Size;
        for (int i = 0; i < count; i++) SyntheticScenes.Render(seed, i, new[] { cls }).Pixels.CopyTo(pixels, i * per);
        return Tensor.FromArray(pixels, count, 3, SyntheticScenes.Size, SyntheticScenes.Size).DetachFromScope();
    }

    /// <summary>The table as Markdown (lower is better for distances, slope error, HF ratio and repetition; higher for the rest).</summary>
    public static string ToMarkdown(IReadOnlyList<QualityRow> rows, QualitySettings settings, string? model = null)
    {
        var s = new StringBuilder();
        if (model is not null)
        {
            s.AppendLine($"# Feature-visualization quality on {model}").AppendLine();
            s.AppendLine($"Made by `dotnet run -c Release --project src/Lucid.Cli -- quality {model} --seeds {settings.Seeds} -o docs/optvis-quality.md`.");
            s.AppendLine($"Every class rendered {settings.Seeds}× per method (seeds 0–{settings.Seeds - 1}); every number the mean over classes and seeds. Real scenes:");
            s.AppendLine($"{settings.ScenesPerClass} per class as VITAL's references (scene seed {ReferenceSeed}) and {settings.ScenesPerClass} others per class held out (scene seed {HeldOutSeed}),");
            s.AppendLine("which every metric compares against; the first row scores real scenes the held-out statistics did not use.").AppendLine();
            s.AppendLine("- **activation ratio**: the render's class logit over the largest logit any held-out scene of the class reaches;");
            s.AppendLine("- **self-classification**: renders the model classifies as their class (argmax); **mean softmax** of the class;");
            s.AppendLine($"- **feature distance**: VITAL's sort-matching distance (per-channel squared 1-D Wasserstein-2) to the held-out scenes of the class at layers no method optimizes ({string.Join(", ", settings.HeldOutTaps.Select(t => $"`{t}`"))});");
            s.AppendLine("- **spectral slope error**: |log-log spectral slope of the render − mean slope of the held-out scenes|; **HF energy ratio**: spectral energy above 0.25 cycles/pixel;");
            s.AppendLine("- **repetition**: largest circular autocorrelation away from zero shift (tiling); **Vendi**: effective number of distinct renders among a class's seeds (pooled `" + settings.FeatureTap + "` features);");
            s.AppendLine($"- **path similarity**: the share of layers ({string.Join(", ", settings.PathTaps.Select(t => $"`{t}`"))}) where the render's channel profile rank-correlates (Spearman) more with held-out scenes of its class than with the other classes on average;");
            s.AppendLine("- **transfer**: renders an independently trained model (same architecture and data, another seed) classifies as their class" + (settings.TransferModel is null ? " (not measured: no second model given)." : "."));
            s.AppendLine();
        }
        s.Append("| method | activation ratio ↑ | self-classification ↑ | mean softmax ↑ | ");
        foreach (var tap in settings.HeldOutTaps) s.Append($"feature distance `{tap}` ↓ | ");
        s.AppendLine("spectral slope error ↓ | HF energy ratio | repetition ↓ | Vendi (of " + settings.Seeds + ") ↑ | path similarity ↑ | transfer ↑ | s / render |");
        s.Append("|---|---:|---:|---:|");
        foreach (var _ in settings.HeldOutTaps) s.Append("---:|");
        s.AppendLine("---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            s.Append(CultureInfo.InvariantCulture, $"| {r.Method} | {r.ActivationRatio:F2} | {r.SelfClassification * 100:F0} % | {r.MeanSoftmax:F3} | ");
            foreach (var d in r.FeatureDistance) s.Append(CultureInfo.InvariantCulture, $"{d:F4} | ");
            s.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{r.SpectralSlopeError:F2} | {r.HighFrequencyRatio:F3} | {r.Repetition:F2} | {r.Vendi:F2} | {r.PathSimilarity * 100:F0} % | {(r.Transfer is { } t ? $"{t * 100:F0} %" : "—")} | {(r.SecondsPerRender > 0 ? r.SecondsPerRender.ToString("F2", CultureInfo.InvariantCulture) : "—")} |"));
        }
        return s.ToString();
    }
}
