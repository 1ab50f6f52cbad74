using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;

namespace Lucid.Dsl.Generators.Validation;

/// <summary>
/// The smallest image a transform set accepts — the same rule the runtime's transforms state (each step has a
/// smallest input and a smallest output; a set needs the smallest input for which every step gets its minimum).
/// </summary>
internal static class TransformSizes
{
    private static readonly TransformStepSpec[] Standard =
    {
        Step("Pad", TransformStepSettings.Defaults with { Width = new(12, true, null) }),
        Step("Jitter", TransformStepSettings.Defaults with { Pixels = new(8, true, null) }),
        Step("RandomScale", TransformStepSettings.Defaults with { Scales = new(new[] { 0.9 }.ToEquatableArray(), true, null) }),
        Step("Jitter", TransformStepSettings.Defaults with { Pixels = new(4, true, null) }),
    };

    private static TransformStepSpec Step(string kind, TransformStepSettings settings) => new(kind, settings, null);

    public static int MinimumSize(IReadOnlyList<TransformStepSpec> steps)
    {
        var expanded = steps.SelectMany(s => s.Kind == "StandardTransforms" ? Standard : new[] { s }).ToList();
        for (int size = 1; size <= 1 << 14; size++)
        {
            int s = size;
            bool ok = true;
            foreach (var step in expanded)
            {
                var (minimum, output) = Rule(step, s);
                if (s < minimum) { ok = false; break; }
                s = output;
            }
            if (ok && s >= 1) return size;
        }
        return int.MaxValue;
    }

    /// <summary>The standard set's minimum (what a render without a transform set uses).</summary>
    public static int StandardMinimum => MinimumSize(Standard);

    private static (int Minimum, int Output) Rule(TransformStepSpec step, int s)
    {
        var t = step.Settings;
        switch (step.Kind)
        {
            case "Pad":
            {
                int w = t.Width.Value;
                return (t.Mode == "Reflect" ? w + 1 : 1, s + 2 * w);
            }
            case "Jitter":
            {
                int d = t.Pixels.IsSet ? t.Pixels.Value : 1;
                return (d + 1, s - d);
            }
            case "RandomScale":
            {
                var scales = t.Scales.Value ?? EquatableArray<double>.Empty;
                double min = scales.Count == 0 ? 1 : scales.Min();
                return (1, Math.Max(1, (int)(min * s)));
            }
            case "CropOrPadTo":
                return (1, t.Height.IsSet ? t.Height.Value : s);
            case "RandomCrops":
                return ((int)Math.Ceiling(1 / Math.Max(1e-6, t.MinBox)), t.Size.IsSet ? t.Size.Value : s);
            default:
                return (1, s);
        }
    }
}
