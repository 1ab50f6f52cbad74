using Lucid.Optvis;

namespace Lucid.Dsl;

/// <summary>
/// A term of a declared objective: an <see cref="Objective"/> that composes with the same operators (+, −, unary −,
/// × and ÷ by scalars, term × term). Named terms (the generated properties) report their value at every render step,
/// so a render's <see cref="RenderResult{TImage}.TermsPerStep"/> holds one loss curve per term.
/// </summary>
public sealed class Term
{
    private Term(Objective objective) => Objective = objective;

    /// <summary>The objective this term computes.</summary>
    public Objective Objective { get; }

    /// <summary>The term's name in the loss log (null for a composition).</summary>
    public string? Name => Objective.TermName;

    /// <summary>A named term computing <paramref name="objective"/> (what generated properties return).</summary>
    public static Term Create(string name, Objective objective) => new(objective.Named(name));

    /// <summary>An unnamed term (to use a runtime objective, e.g. a style loss, inside a declared composition).</summary>
    public static Term From(Objective objective) => new(objective);

    public static Term operator +(Term a, Term b) => new(a.Objective + b.Objective);
    public static Term operator -(Term a, Term b) => new(a.Objective - b.Objective);
    public static Term operator *(Term a, Term b) => new(a.Objective * b.Objective);
    public static Term operator -(Term a) => new(-a.Objective);
    public static Term operator +(Term a, double c) => new(a.Objective + c);
    public static Term operator +(double c, Term a) => new(c + a.Objective);
    public static Term operator -(Term a, double c) => new(a.Objective - c);
    public static Term operator -(double c, Term a) => new(c - a.Objective);
    public static Term operator *(Term a, double c) => new(a.Objective * c);
    public static Term operator *(double c, Term a) => new(c * a.Objective);
    public static Term operator /(Term a, double c) => new(a.Objective / c);

    /// <summary>The sum of several terms.</summary>
    public static Term Sum(IEnumerable<Term> terms) => new(Objective.Sum(terms.Select(t => t.Objective)));

    public override string ToString() => Name is { } n ? $"{n}: {Objective.Description}" : Objective.Description;
}
