using Lucid.Optvis;

namespace Lucid.Cli;

/// <summary>Objectives for <c>lucid render</c>.</summary>
internal static class RenderCommand
{
    public static Objective Objective(string? channel, string? label)
    {
        if ((channel is null) == (label is null))
            throw new LucidArgumentException("channel", "render: give exactly one of --channel TAP:INDEX or --class LABEL.");
        if (label is not null) return Objectives.ClassLogProbability(label);
        int colon = channel!.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(channel[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
            throw new LucidArgumentException("channel", $"render: --channel expects TAP:INDEX (e.g. mixed4a:7), got '{channel}'.");
        return Objectives.Channel(channel[..colon], index);
    }
}
