using System.Diagnostics;
using System.Globalization;
using System.Text;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>One hidden unit rendered by one method, scored against real photographs.</summary>
/// <param name="Method">lucid, maco or vital.</param>
/// <param name="Tap">The layer.</param>
/// <param name="Channel">The channel.</param>
/// <param name="ActivationRatio">The render's mean activation of the channel over the highest mean activation of any photo crop.</param>
/// <param name="SelfConsistent">Whether the channel is the render's strongest channel (largest mean) at its layer.</param>
/// <param name="SpectralSlope">The render's spectral slope (natural images: near −2).</param>
/// <param name="Repetition">Largest circular autocorrelation away from zero shift (tiling).</param>
/// <param name="Seconds">Wall time of the render.</param>
public sealed record UnitQualityRow(string Method, string Tap, int Channel, double ActivationRatio, bool SelfConsistent, double SpectralSlope, double Repetition, double Seconds);

/// <summary>Settings of <see cref="UnitQualityTable"/> (defaults: what docs/resnet18-quality.md was made with).</summary>
public sealed record UnitQualitySettings
{
    /// <summary>The layers whose channels are rendered.</summary>
    public IReadOnlyList<string> Taps { get; init; } = new[] { "layer3.1", "layer4.2" };
    /// <summary>Channels per layer rendered Lucid-style, evenly spaced over the layer.</summary>
    public int LucidChannels { get; init; } = 16;
    /// <summary>Channels per layer rendered with MACO and VITAL as well (the first of the evenly spaced ones).</summary>
    public int ComparedChannels { get; init; } = 2;
    /// <summary>Steps of the Lucid-style renders: Lucid's 512.</summary>
    public int Steps { get; init; } = 512;
    /// <summary>
    /// Steps of the MACO and VITAL renders, which cost 5–8 Lucid-style steps each here (MACO: 8 crops a step; VITAL:
    /// sort-matching at three layers against LRP-weighted references).
    /// </summary>
    public int ComparedSteps { get; init; } = 256;
    /// <summary>Photo crops that most activate a unit, VITAL's references for it.</summary>
    public int VitalReferences { get; init; } = 16;
    public ulong Seed { get; init; } = 1;
}

/// <summary>
/// Feature-visualization quality of a network's hidden units against photographs, for networks without labels (an
/// ImageNet backbone): per unit and method, the activation ratio against the best photo crop, self-consistency, the
/// spectral slope beside the photos' and repetition.
/// </summary>
public static class UnitQualityTable
{
    /// <summary>
    /// Renders and scores. <paramref name="photos"/> are real crops at the model's input size [N, 3, H, W] in [0, 1]
    /// (all crops and flips of the photographs); <paramref name="unitRelevance"/> gives VITAL its relevance weighting
    /// (LRP lives in Lucid.Attribution: pass <c>Lrp.UnitRelevance</c>), null to skip VITAL.
    /// </summary>
    public static IReadOnlyList<UnitQualityRow> Run(Model model, Tensor photos, UnitQualitySettings settings,
        Func<string, int, IReadOnlyList<string>, Func<Tensor, IReadOnlyDictionary<string, Tensor>>>? unitRelevance, IProgress<string>? progress = null,
        Action<UnitQualityRow, Tensor>? rendered = null)
    {
        if (!model.Input.Accepts(photos) || photos.Size(0) < settings.VitalReferences)
            throw new LucidArgumentException(nameof(photos), $"unit quality: photos must be [N ≥ {settings.VitalReferences}, {string.Join(", ", model.Input.Shape)}], got [{string.Join(", ", photos.Shape.ToArray())}].");
        int size = model.Input.Shape[^1];
        var rows = new List<UnitQualityRow>();
        using var magnitude = MacoImage.MagnitudeOf(photos, size, size);
        foreach (var tap in settings.Taps)
        {
            int channels = model[tap].OutputShape[0];
            var units = Enumerable.Range(0, settings.LucidChannels).Select(i => i * channels / settings.LucidChannels).Distinct().ToArray();
            var below = VitalTaps(model, tap);
            for (int u = 0; u < units.Length; u++)
            {
                int channel = units[u];
                var methods = u < settings.ComparedChannels ? new[] { "lucid", "maco", "vital" } : new[] { "lucid" };
                foreach (var method in methods)
                {
                    if (method == "vital" && (unitRelevance is null || below.Count == 0)) continue;
                    var clock = Stopwatch.StartNew();
                    using var render = method switch
                    {
                        "lucid" => Lucid(model, tap, channel, settings),
                        "maco" => Maco(model, tap, channel, magnitude, settings),
                        _ => Vital(model, tap, channel, photos, below, unitRelevance!, settings),
                    };
                    double seconds = clock.Elapsed.TotalSeconds;
                    var row = Score(model, method, tap, channel, render, photos, seconds);
                    rows.Add(row);
                    rendered?.Invoke(row, render);
                    // renders of different batch shapes (MACO's crops, VITAL's references) each leave pooled buffers
                    // behind; a long table would otherwise keep the peak of every shape at once
                    TensorPool.Trim();
                    progress?.Report(string.Create(CultureInfo.InvariantCulture,
                        $"{method} {tap}:{channel}: ratio {row.ActivationRatio:F2}, strongest {row.SelfConsistent}, slope {row.SpectralSlope:F2} ({seconds:F0} s)"));
                }
            }
        }
        return rows;
    }

    /// <summary>The spatial post-ReLU block outputs upstream of <paramref name="tap"/> that VITAL matches (layerN.M taps, the stem's relu).</summary>
    private static IReadOnlyList<string> VitalTaps(Model model, string tap)
    {
        var order = model.Nodes.Select(n => n.Name).ToList();
        int at = order.IndexOf(model.Resolve(tap));
        return model.Nodes.Take(at).Where(n => n.OutputShape.Length == 3 && n.Layer.Kind == "relu" && !n.Name.EndsWith("relu1", StringComparison.Ordinal))
            .Select(n => n.Name).TakeLast(3).ToArray();
    }

    private static Tensor Lucid(Model model, string tap, int channel, UnitQualitySettings s)
    {
        var result = Recipes.Channels(model, tap, new[] { channel }, options: new RenderOptions { Steps = s.Steps, Seed = s.Seed + (ulong)channel }, seed: s.Seed + (ulong)channel);
        return result.Image;
    }

    private static Tensor Maco(Model model, string tap, int channel, Tensor magnitude, UnitQualitySettings s)
    {
        int size = model.Input.Shape[^1];
        using var image = new MacoImage(size, size, magnitude, seed: s.Seed + (ulong)channel);
        // MACO's transforms: random crops of 50–90 % of the side, resized back, and a little noise
        var transforms = Transform.Compose(Transform.RandomCrops(8, 0.5, 0.9, size), Transform.Noise(0.05f));
        var result = Renderer.Render(model, Objectives.Channel(tap, channel), image,
            new RenderOptions { Steps = s.ComparedSteps, LearningRate = 0.05f, Seed = s.Seed + (ulong)channel, Transforms = transforms });
        return First(result.Image);
    }

    private static Tensor Vital(Model model, string tap, int channel, Tensor photos, IReadOnlyList<string> below,
        Func<string, int, IReadOnlyList<string>, Func<Tensor, IReadOnlyDictionary<string, Tensor>>> unitRelevance, UnitQualitySettings s)
    {
        var means = ChannelMeans(model, photos, tap, channel);
        var top = Enumerable.Range(0, means.Length).OrderByDescending(i => means[i]).ThenBy(i => i).Take(s.VitalReferences).ToArray();
        using var references = Ops.IndexSelect(photos, 0, top);
        var result = global::Lucid.Optvis.Vital.RenderUnit(model, references, below, unitRelevance(tap, channel, below), steps: s.ComparedSteps, learningRate: 0.1f,
            jitter: 8, warmup: s.ComparedSteps / 10, seed: s.Seed + (ulong)channel, totalVariation: 5);
        return result.Image;
    }

    private static Tensor First(Tensor batch)
    {
        if (batch.Size(0) == 1) return batch;
        var first = Ops.Slice(batch, 0, 0, 1).Clone();
        batch.Dispose();
        return first;
    }

    private static UnitQualityRow Score(Model model, string method, string tap, int channel, Tensor render, Tensor photos, double seconds)
    {
        double ratio = Quality.ActivationRatio(model, render, tap, channel, photos, batch: 16);
        double[] all;
        using (GradMode.NoGrad())
        using (Tensor.Scope())
        {
            var a = model.Run(render, null, stopAfter: tap)[tap];
            int c = a.Size(1), plane = a.Count / c;
            var d = a.Data;
            all = new double[c];
            for (int ch = 0; ch < c; ch++)
            {
                double sum = 0;
                for (int i = 0; i < plane; i++) sum += d[ch * plane + i];
                all[ch] = sum / plane;
            }
        }
        bool strongest = Array.IndexOf(all, all.Max()) == channel;
        return new UnitQualityRow(method, tap, channel, ratio, strongest, Quality.SpectralSlope(render), Quality.RepetitionScore(render), seconds);
    }

    /// <summary>The mean activation of one channel on each image.</summary>
    public static double[] ChannelMeans(Model model, Tensor images, string tap, int channel, int batch = 16)
    {
        int n = images.Size(0);
        var result = new double[n];
        for (int start = 0; start < n; start += batch)
        {
            int m = Math.Min(batch, n - start);
            using var _ = GradMode.NoGrad();
            using var scope = Tensor.Scope();
            var a = model.Run(Ops.Slice(images, 0, start, start + m), null, stopAfter: tap)[tap];
            int c = a.Size(1), plane = a.Count / (m * c);
            var d = a.Data;
            for (int e = 0; e < m; e++)
            {
                double sum = 0;
                for (int i = 0; i < plane; i++) sum += d[(e * c + channel) * plane + i];
                result[start + e] = sum / plane;
            }
        }
        return result;
    }

    /// <summary>The table as Markdown: a summary per method and layer (distribution of the ratio) and every unit.</summary>
    public static string ToMarkdown(IReadOnlyList<UnitQualityRow> rows, UnitQualitySettings settings, string model, double photoSlope, int photoCount, string command)
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine(inv, $"# Feature-visualization quality of {model}'s hidden units against photographs");
        s.AppendLine();
        s.AppendLine(inv, $"Made by `{command}`. {photoCount} photo crops (every crop and horizontal flip of the Debian `darknet` photographs at two scales) are the reference; " +
            $"{settings.LucidChannels} evenly spaced channels per layer rendered Lucid-style ({settings.Steps} steps, Adam 0.05, Fourier + decorrelated, Lucid's transforms), " +
            $"the first {settings.ComparedChannels} of them also with MACO and with VITAL ({settings.ComparedSteps} steps each).");
        s.AppendLine();
        s.AppendLine("*Activation ratio*: the render's mean activation of the channel over the highest mean activation any photo crop reaches (≥ 1: the render drives the unit harder than every photo). " +
            "*Self-consistent*: the channel is the render's strongest at its layer. *Spectral slope*: log power against log frequency; " +
            string.Create(inv, $"the photos' mean is {photoSlope:F2}. ") + "*Repetition*: the largest autocorrelation away from zero shift (tiling).");
        s.AppendLine();
        s.AppendLine("| method | layer | units | ratio: min | 25 % | median | 75 % | max | ratio ≥ 1 | self-consistent | slope (mean) | repetition (mean) | s/render |");
        s.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in rows.GroupBy(r => (r.Method, r.Tap)))
        {
            var ratios = group.Select(r => r.ActivationRatio).OrderBy(v => v).ToArray();
            double Q(double p) => ratios[(int)Math.Round(p * (ratios.Length - 1))];
            s.AppendLine(inv, $"| {group.Key.Method} | {group.Key.Tap} | {ratios.Length} | {ratios[0]:F2} | {Q(0.25):F2} | {Q(0.5):F2} | {Q(0.75):F2} | {ratios[^1]:F2} | " +
                $"{ratios.Count(v => v >= 1)}/{ratios.Length} | {group.Count(r => r.SelfConsistent)}/{ratios.Length} | {group.Average(r => r.SpectralSlope):F2} | {group.Average(r => r.Repetition):F3} | {group.Average(r => r.Seconds):F0} |");
        }
        s.AppendLine();
        s.AppendLine("## Every unit");
        s.AppendLine();
        s.AppendLine("| layer | channel | method | ratio | self-consistent | slope | repetition |");
        s.AppendLine("|---|---:|---|---:|---|---:|---:|");
        foreach (var r in rows.OrderBy(r => r.Tap, StringComparer.Ordinal).ThenBy(r => r.Channel).ThenBy(r => r.Method, StringComparer.Ordinal))
            s.AppendLine(inv, $"| {r.Tap} | {r.Channel} | {r.Method} | {r.ActivationRatio:F2} | {(r.SelfConsistent ? "yes" : "no")} | {r.SpectralSlope:F2} | {r.Repetition:F3} |");
        return s.ToString();
    }
}
