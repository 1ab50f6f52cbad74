using FsCheck;
using FsCheck.Fluent;
using Lucid.Testing;

namespace Lucid.Models.Tests;

/// <summary>
/// One mutation of a valid file: a truncation, a single-bit flip, a byte overwrite or (where the reader's format has
/// one) a corrupted length field. Positions are fractions of the file, so one arbitrary serves files of any size.
/// </summary>
public sealed record Mutation(int Kind, double At, int Value, double Cut) : Case;

/// <summary>
/// Mutation fuzzing of file readers: a property takes a <see cref="Mutation"/> (registered with
/// <c>Arbitrary = new[] { typeof(Mutations) }</c>) and applies it to its valid file; the reader must either succeed
/// or throw the allowed exception type — anything else fails.
/// </summary>
public static class Mutations
{
    public static Arbitrary<Mutation> All() => (
        from kind in Gen.Choose(0, 3)
        from at in Gen.Choose(0, 999_999)
        from value in Gen.Choose(0, 255)
        from cut in Gen.Choose(0, 1_000_000)
        select new Mutation(kind, at / 1e6, value, cut / 1e6)).ToArbitrary();

    public static void Apply<TAllowed>(Mutation m, byte[] valid, Action<byte[]> read, Action<byte[], long>? corruptLength = null)
        where TAllowed : Exception
    {
        byte[] file = (byte[])valid.Clone();
        int position = Math.Min((int)(m.At * valid.Length), valid.Length - 1);
        int length = (int)Math.Round(m.Cut * valid.Length);
        // a format without a length field gets the other three kinds
        int kind = m.Kind == 3 && corruptLength is null ? m.Value % 3 : m.Kind;
        switch (kind)
        {
            case 0: file = file[..length]; break;
            case 1: file[position] ^= (byte)(1 << (m.Value % 8)); break;
            case 2: file[position] = (byte)m.Value; break;
            default: corruptLength!(file, (long)m.Value * length); break;
        }
        try { read(file); }
        catch (TAllowed) { }
    }
}
