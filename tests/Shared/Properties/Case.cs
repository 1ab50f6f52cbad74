using System.Collections;
using System.Globalization;
using FsCheck;
using FsCheck.Fluent;

// Every property of an assembly that links this file may take a Seed; none prints "Ok, passed" on success.
[assembly: FsCheck.Xunit.Properties(Arbitrary = new[] { typeof(Lucid.Testing.Generators) }, QuietOnSuccess = true)]

namespace Lucid.Testing;

/// <summary>
/// A generated test case: a record a <c>[Property]</c> method takes as its parameter, built by the
/// <see cref="Arbitrary{T}"/> its test class registers (<c>[Properties(Arbitrary = …)]</c>). It prints with its
/// arrays spelled out, so that FsCheck's failure message — which also gives the seed to replay it with
/// <c>[Property(Replay = "…")]</c> — shows the case that failed.
/// </summary>
public abstract record Case
{
    public sealed override string ToString()
    {
        var members = GetType().GetProperties()
            .Where(p => p.DeclaringType != typeof(Case) && p.GetIndexParameters().Length == 0)
            .Select(p => $"{p.Name} = {Show(p.GetValue(this))}");
        return $"{GetType().Name} {{ {string.Join(", ", members)} }}";
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Show)) + "]",
        _ => value.ToString() ?? "",
    };
}

/// <summary>A seed for a random case: any non-negative int.</summary>
public readonly record struct Seed(int Value)
{
    public static implicit operator ulong(Seed seed) => (ulong)seed.Value;
    public static implicit operator int(Seed seed) => seed.Value;
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The generators every property shares (registered for every test assembly that links this file).</summary>
public static class Generators
{
    /// <summary>Seeds for random cases: any non-negative int. Not shrunk: a smaller seed is not a simpler case.</summary>
    public static Gen<int> Seeds => Gen.Choose(0, int.MaxValue);

    /// <summary>What a property taking a <see cref="Seed"/> is given.</summary>
    public static Arbitrary<Seed> SeedArbitrary() => Seeds.Select(v => new Seed(v)).ToArbitrary();
}
