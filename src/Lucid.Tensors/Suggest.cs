using System;
using System.Collections.Generic;

namespace Lucid;

/// <summary>
/// "Did you mean": one metric for every message that suggests a name — the runtime's (taps, labels) and the DSL
/// generator's diagnostics (which compiles this file too), so the compiler and the library suggest the same name for
/// the same typo. Case-insensitive Levenshtein distance; ties go to the ordinally first candidate; a candidate farther
/// than max(2, a third of the name's length) is not suggested.
/// </summary>
public static class Suggest
{
    /// <summary>The closest candidate, or null when none is close enough.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        string lower = name.ToLowerInvariant();
        foreach (var candidate in candidates)
        {
            int d = Distance(lower, candidate.ToLowerInvariant());
            if (d < bestDistance || d == bestDistance && string.CompareOrdinal(candidate, best) < 0)
            {
                best = candidate;
                bestDistance = d;
            }
        }
        return best is not null && bestDistance <= Math.Max(2, name.Length / 3) ? best : null;
    }

    /// <summary>" (did you mean 'x'?)" for the closest candidate, or "".</summary>
    public static string DidYouMean(string name, IEnumerable<string> candidates) =>
        Closest(name, candidates) is { } best ? $" (did you mean '{best}'?)" : "";

    /// <summary>Levenshtein distance (insertions, deletions and substitutions of one character each cost 1).</summary>
    public static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
