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
            var below = UnitRenders.VitalTaps(model, tap);
            for (int u = 0; u < units.Length; u++)
            {
                int channel = units[u];
                var methods = u < settings.ComparedChannels ? new[] { "lucid", "maco", "vital" } : new[] { "lucid" };
                foreach (var method in methods)
                {
                    if (method == "vital" && (unitRelevance is null || below.Count == 0)) continue;
                    var clock = Stopwatch.StartNew();
                    ulong seed = settings.Seed + (ulong)channel;
                    using var render = (method switch
                    {
                        "lucid" => UnitRenders.Lucid(model, tap, channel, settings.Steps, seed),
                        "maco" => UnitRenders.Maco(model, tap, channel, magnitude, settings.ComparedSteps, seed),
                        _ => UnitRenders.Vital(model, tap, channel, photos, below, unitRelevance!(tap, channel, below), settings.ComparedSteps, seed, settings.VitalReferences),
                    }).Image;
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

    private static UnitQualityRow Score(Model model, string method, string tap, int channel, Tensor render, Tensor photos, double seconds)
    {
        double ratio = Quality.ActivationRatio(model, render, tap, channel, photos, batch: 16);
        var all = model.ChannelMeans(render, tap)[0];
        bool strongest = Ops.ArgMax(all) == channel;
        return new UnitQualityRow(method, tap, channel, ratio, strongest, Quality.SpectralSlope(render), Quality.RepetitionScore(render), seconds);
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
