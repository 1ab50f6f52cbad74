using FsCheck;
using FsCheck.Fluent;

namespace Lucid.Models.Tests;

/// <summary>
/// Mutation fuzzing of file readers: truncations, single-bit flips, byte overwrites, and (when given) a corrupted
/// length field. The reader must either succeed or throw the allowed exception type; anything else fails.
/// </summary>
internal static class Mutations
{
    public static void Check<TAllowed>(byte[] valid, Action<byte[]> read, Action<byte[], long>? corruptLength = null, int cases = 2000)
        where TAllowed : Exception
    {
        var mutations = from kind in Gen.Choose(0, corruptLength is null ? 2 : 3)
                        from position in Gen.Choose(0, valid.Length - 1)
                        from value in Gen.Choose(0, 255)
                        from length in Gen.Choose(0, valid.Length)
                        select (kind, position, value, length);
        Prop.ForAll(mutations.ToArbitrary(), m =>
        {
            byte[] file = (byte[])valid.Clone();
            switch (m.kind)
            {
                case 0: file = file[..m.length]; break;
                case 1: file[m.position] ^= (byte)(1 << (m.value % 8)); break;
                case 2: file[m.position] = (byte)m.value; break;
                default: corruptLength!(file, (long)m.value * m.length); break;
            }
            try { read(file); }
            catch (TAllowed) { }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true));
    }
}
