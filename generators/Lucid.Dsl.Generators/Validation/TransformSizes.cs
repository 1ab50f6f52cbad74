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
    private static readonly AttributeSpec[] Standard = Parse("Pad:12", "Jitter:8", "RandomScale:0.9", "Jitter:4");

    public static int MinimumSize(IReadOnlyList<AttributeSpec> steps)
    {
        var expanded = steps.SelectMany(s => s.Name == "StandardTransforms" ? Standard : new[] { s }).ToList();
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

    private static (int Minimum, int Output) Rule(AttributeSpec step, int s)
    {
        switch (step.Name)
        {
            case "Pad":
            {
                int w = step.Int("width", 0);
                return (step.String("Mode") == "Reflect" ? w + 1 : 1, s + 2 * w);
            }
            case "Jitter":
            {
                int d = step.Int("pixels", 1);
                return (d + 1, s - d);
            }
            case "RandomScale":
            {
                var scales = step.Get("scales")?.Items.Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToList() ?? new List<double>();
                double min = scales.Count == 0 ? 1 : scales.Min();
                return (1, Math.Max(1, (int)(min * s)));
            }
            case "CropOrPadTo":
                return (1, step.Int("height", s));
            case "RandomCrops":
                return ((int)Math.Ceiling(1 / Math.Max(1e-6, step.Double("minBox", 1))), step.Int("size", s));
            default:
                return (1, s);
        }
    }

    private static AttributeSpec[] Parse(params string[] steps) => steps.Select(s =>
    {
        var parts = s.Split(':');
        var name = parts[0] switch { "Pad" => "width", "Jitter" => "pixels", _ => "scales" };
        var arg = parts[0] == "RandomScale"
            ? new ArgSpec(name, null, new[] { parts[1] }.ToEquatableArray(), true, null)
            : new ArgSpec(name, parts[1], Helpers.EquatableArray<string>.Empty, false, null);
        return new AttributeSpec(parts[0], new[] { arg }.ToEquatableArray(), null);
    }).ToArray();
}
