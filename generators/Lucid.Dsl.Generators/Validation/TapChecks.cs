using System.Collections.Generic;
using System.Linq;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;

namespace Lucid.Dsl.Generators.Validation;

/// <summary>Checks shared by every declaration that names taps, channels, positions and labels of a schema.</summary>
internal static class TapChecks
{
    /// <summary>The tap, or LUCID001 (with "did you mean") at the argument. "input" is the model's input.</summary>
    public static TapSpec? Tap(ModelSchemaSpec schema, Arg<string?> arg, List<DiagnosticInfo> diagnostics)
    {
        if (arg.Value is not { } name) return null;
        var tap = schema.Tap(name);
        if (tap is null)
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnknownTap, arg.Location, schema.Name, name, Names.DidYouMean(name, schema.Taps.Select(t => t.Name))));
        return tap;
    }

    /// <summary>LUCID002 if the channel is outside [0, C).</summary>
    public static void Channel(ModelSchemaSpec schema, TapSpec? tap, Arg<int?> arg, List<DiagnosticInfo> diagnostics, string what = "Channel")
    {
        if (tap is null || arg.Value is not { } channel) return;
        if (channel < 0 || channel >= tap.Channels)
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.IndexOutOfRange, arg.Location, what, Names.Int(channel), tap.Name, schema.Name,
                Names.Int(tap.Channels), tap.IsSpatial ? "channels" : "features", Names.Int(tap.Channels - 1)));
    }

    /// <summary>LUCID002 if the channel, where written, is outside [0, C).</summary>
    public static void Channel(ModelSchemaSpec schema, TapSpec? tap, Arg<int> arg, List<DiagnosticInfo> diagnostics, string what = "Channel") =>
        Channel(schema, tap, new Arg<int?>(arg.IsSet ? arg.Value : null, arg.IsSet, arg.Location, arg.Text), diagnostics, what);

    /// <summary>LUCID004 if (x, y) is set and outside the tap's H×W (or the tap is flat).</summary>
    public static void Position(ModelSchemaSpec schema, TapSpec? tap, Arg<int> xArg, Arg<int> yArg, List<DiagnosticInfo> diagnostics)
    {
        if (tap is null) return;
        int x = xArg.Value, y = yArg.Value;
        if (x == -1 && y == -1) return;
        var where = xArg.IsSet && (x < -1 || x >= tap.Width) ? xArg.Location : yArg.Location;
        bool outside = !tap.IsSpatial || x < -1 || y < -1 || x >= tap.Width || y >= tap.Height;
        if (outside)
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.PositionOutsideTap, where, $"(x {x}, y {y})", tap.Name, schema.Name,
                tap.IsSpatial ? $"{tap.Height}×{tap.Width} (x in 0..{tap.Width - 1}, y in 0..{tap.Height - 1})" : $"flat ({tap.Channels} features, no positions)"));
    }

    /// <summary>LUCID003 (with "did you mean") if the label is not one of the schema's.</summary>
    public static void Label(ModelSchemaSpec schema, Arg<string?> arg, List<DiagnosticInfo> diagnostics)
    {
        if (arg.Value is not { } label) return;
        if (!schema.Labels.Contains(label))
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnknownLabel, arg.Location, schema.Name, label, Names.DidYouMean(label, schema.Labels)));
    }

    /// <summary>LUCID015 if a per-channel vector does not have one entry per channel.</summary>
    public static void VectorLength(ModelSchemaSpec schema, TapSpec? tap, Arg<EquatableArray<string>?> arg, string what, List<DiagnosticInfo> diagnostics)
    {
        if (tap is null || arg.Value is not { } items) return;
        if (items.Count != tap.Channels)
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.VectorLength, arg.Location, what, Names.Int(items.Count), tap.Name, schema.Name, Names.Int(tap.Channels)));
    }
}
