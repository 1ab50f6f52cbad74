namespace Lucid.Tensors;

/// <summary>
/// Seeded deterministic random numbers (xoshiro256** seeded by SplitMix64). The same seed gives the same sequence on
/// every machine and runtime: it uses no platform generator, and normals come from Box–Muller in double precision.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;

    public Rng(ulong seed)
    {
        Seed = seed;
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    /// <summary>The generator's whole state (to continue the same sequence later, e.g. after a checkpoint).</summary>
    public string State => string.Join(",", new[] { _s0, _s1, _s2, _s3 }.Select(v => v.ToString("X16", System.Globalization.CultureInfo.InvariantCulture))) +
                           (_spareNormal is { } spare ? "," + BitConverter.DoubleToInt64Bits(spare).ToString("X16", System.Globalization.CultureInfo.InvariantCulture) : "");

    /// <summary>Continues the sequence saved by <see cref="State"/>.</summary>
    public void Restore(string state)
    {
        var parts = state.Split(',');
        var values = new ulong[parts.Length];
        if (parts.Length is not (4 or 5) || !parts.Select((p, i) => ulong.TryParse(p, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out values[i])).All(ok => ok))
            throw new LucidArgumentException(nameof(state), $"rng: '{state}' is not a saved generator state.");
        (_s0, _s1, _s2, _s3) = (values[0], values[1], values[2], values[3]);
        _spareNormal = parts.Length == 5 ? BitConverter.Int64BitsToDouble((long)values[4]) : null;
    }

    /// <summary>The seed this generator started from.</summary>
    public ulong Seed { get; }

    /// <summary>An independent generator for sub-stream <paramref name="stream"/> (e.g. one per rendered unit), stable across runs.</summary>
    public static Rng ForStream(ulong seed, ulong stream)
    {
        ulong x = seed ^ (0x9E3779B97F4A7C15UL * (stream + 1));
        return new Rng(SplitMix(ref x));
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform float in [0, 1).</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform integer in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public int NextInt(int minInclusive, int maxExclusive)
    {
        if (maxExclusive <= minInclusive)
            throw new LucidArgumentException(nameof(maxExclusive), $"Rng.NextInt: empty range [{minInclusive}, {maxExclusive}).");
        ulong range = (ulong)((long)maxExclusive - minInclusive);
        ulong limit = ulong.MaxValue - ulong.MaxValue % range;
        ulong r;
        do r = NextUInt64(); while (r >= limit);
        return (int)(minInclusive + (long)(r % range));
    }

    /// <summary>Standard normal sample.</summary>
    public double NextNormal()
    {
        if (_spareNormal is { } spare)
        {
            _spareNormal = null;
            return spare;
        }
        double u1;
        do u1 = NextDouble(); while (u1 <= double.Epsilon);
        double u2 = NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = radius * Math.Sin(2 * Math.PI * u2);
        return radius * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A uniformly random permutation of 0..n-1 (Fisher–Yates).</summary>
    public int[] Permutation(int n)
    {
        if (n < 0) throw new LucidArgumentException(nameof(n), $"Rng.Permutation: n must be non-negative, got {n}.");
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = NextInt(0, i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    /// <summary>Fills <paramref name="destination"/> with N(mean, std²) samples.</summary>
    public void FillNormal(Span<float> destination, float mean = 0f, float std = 1f)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = (float)(mean + std * NextNormal());
    }

    /// <summary>Fills <paramref name="destination"/> with uniform samples in [low, high).</summary>
    public void FillUniform(Span<float> destination, float low = 0f, float high = 1f)
    {
        double span = (double)high - low;
        for (int i = 0; i < destination.Length; i++) destination[i] = (float)(low + span * NextDouble());
    }

    /// <summary>A tensor of N(mean, std²) samples.</summary>
    public Tensor Normal(int[] shape, float mean = 0f, float std = 1f)
    {
        var t = Tensor.Uninitialized(shape, "Rng.Normal");
        FillNormal(t.Data, mean, std);
        return t;
    }

    /// <summary>A tensor of uniform samples in [low, high).</summary>
    public Tensor Uniform(int[] shape, float low = 0f, float high = 1f)
    {
        if (!(high >= low)) throw new LucidArgumentException(nameof(high), $"Rng.Uniform: high ({high}) must be at least low ({low}).");
        var t = Tensor.Uninitialized(shape, "Rng.Uniform");
        FillUniform(t.Data, low, high);
        return t;
    }

    /// <summary>Integers in [low, high) as an array.</summary>
    public int[] Integers(int count, int low, int high)
    {
        var r = new int[count];
        for (int i = 0; i < count; i++) r[i] = NextInt(low, high);
        return r;
    }
}
