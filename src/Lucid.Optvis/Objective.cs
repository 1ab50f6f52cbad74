using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Optvis;

/// <summary>
/// What an objective sees at one step: the model, the parameterized image before transforms (<see cref="Input"/>,
/// [N, C, H, W] in pixel range), and every tap the model computed on the transformed image.
/// </summary>
public sealed class ObjectiveContext(Model model, Tensor input, IReadOnlyDictionary<string, Tensor> taps, int step, Tensor? modelInput = null)
{
    public Model Model { get; } = model;
    public Tensor Input { get; } = input;
    /// <summary>What the model saw this step: the image after the transforms and any resize (<see cref="Input"/> when none).</summary>
    public Tensor ModelInput { get; } = modelInput ?? input;
    public int Step { get; } = step;

    /// <summary>The activations of <paramref name="tap"/> ("input" is the untransformed image).</summary>
    public Tensor this[string tap] => tap == "input" ? Input
        : taps.TryGetValue(tap, out var t) ? t
        : throw new LucidArgumentException(nameof(tap), $"objective: model '{Model.Name}' computed no tap '{tap}' this step.");

    /// <summary>Rows [batch, batch + 1) of a tap, or all of it.</summary>
    internal Tensor Select(string tap, int? batch)
    {
        var t = this[tap];
        if (batch is not { } b) return t;
        if (b < 0 || b >= t.Size(0)) throw new LucidArgumentException(nameof(batch), $"objective: batch item {b} does not exist in a batch of {t.Size(0)}.");
        return t[b..(b + 1)];
    }

    private Dictionary<string, float>? _terms;

    /// <summary>The values of the named terms (<see cref="Objective.Named"/>) evaluated in this context, in evaluation order.</summary>
    public IReadOnlyDictionary<string, float> TermValues => _terms ?? (IReadOnlyDictionary<string, float>)new Dictionary<string, float>();

    internal void ReportTerm(string name, float value) => (_terms ??= new Dictionary<string, float>(StringComparer.Ordinal))[name] = value;
}

/// <summary>
/// A scalar to maximize, computed from a model's taps (Lucid's convention: objectives are maximized; the renderer
/// minimizes −J). Objectives compose: +, −, unary −, × and ÷ by scalars, objective × objective (the product of the
/// two scalars), <see cref="Sum"/>. Each knows the taps it reads, so the renderer can stop the forward pass early and
/// check them against the model before the first step.
/// </summary>
public sealed class Objective
{
    private readonly Func<ObjectiveContext, Tensor> _value;

    internal Objective(string description, IReadOnlyList<string> taps, Func<ObjectiveContext, Tensor> value, ObjectiveForm? form = null)
    {
        Description = description;
        Taps = taps;
        _value = value;
        Form = form;
    }

    /// <summary>
    /// What the objective computes, as data another engine can evaluate (Lucid.TorchSharp's native render); null for
    /// objectives known only as code (<see cref="Objectives.Custom"/> and the batch-structured ones).
    /// </summary>
    internal ObjectiveForm? Form { get; }

    /// <summary>A readable description, e.g. "Channel [mixed4a, 97]".</summary>
    public string Description { get; }

    /// <summary>Taps the objective reads ("input" for the image itself).</summary>
    public IReadOnlyList<string> Taps { get; }

    /// <summary>Whether it reads the model's output (class objectives), wherever that is.</summary>
    internal bool ReadsOutput { get; init; }

    /// <summary>The objective's value (a scalar tensor, part of the autograd graph).</summary>
    public Tensor Evaluate(ObjectiveContext context)
    {
        var v = _value(context);
        return v.Count == 1 ? v : Ops.Mean(Ops.Flatten(v, 0), 0);
    }

    /// <summary>Throws, naming the objective, if a tap, channel or class it uses does not exist in <paramref name="model"/>.</summary>
    public void Validate(Model model)
    {
        foreach (var tap in Taps)
            if (tap != "input") _ = model[tap];
        foreach (var check in _checks) check(model);
    }

    private readonly List<Action<Model>> _checks = new();

    internal Objective WithCheck(Action<Model> check)
    {
        _checks.Add(check);
        return this;
    }

    private static IReadOnlyList<string> Union(Objective a, Objective b) => a.Taps.Union(b.Taps).ToArray();

    private static Objective Combine(Objective a, Objective b, string description, char symbol, Func<Tensor, Tensor, Tensor> op)
    {
        var form = a.Form is { } fa && b.Form is { } fb ? new ObjectiveForm.Binary(symbol, fa, fb) : null;
        var result = new Objective(description, Union(a, b), c => op(a.Evaluate(c), b.Evaluate(c)), form) { ReadsOutput = a.ReadsOutput || b.ReadsOutput };
        result._checks.AddRange(a._checks);
        result._checks.AddRange(b._checks);
        return result;
    }

    private Objective Map(string description, Func<Tensor, Tensor> op, double scale, double offset)
    {
        var form = Form is { } f ? new ObjectiveForm.Affine(f, scale, offset) : null;
        var result = new Objective(description, Taps, c => op(Evaluate(c)), form) { ReadsOutput = ReadsOutput };
        result._checks.AddRange(_checks);
        return result;
    }

    public static Objective operator +(Objective a, Objective b) => Combine(a, b, $"{a.Description} + {b.Description}", '+', Ops.Add);
    public static Objective operator -(Objective a, Objective b) => Combine(a, b, $"{a.Description} − {b.Description}", '-', Ops.Sub);
    public static Objective operator *(Objective a, Objective b) => Combine(a, b, $"({a.Description}) × ({b.Description})", '*', Ops.Mul);
    public static Objective operator -(Objective a) => a.Map($"−{a.Description}", t => Ops.Mul(t, -1f), -1, 0);
    public static Objective operator +(Objective a, double c) => a.Map($"{a.Description} + {c}", t => Ops.Add(t, (float)c), 1, c);
    public static Objective operator +(double c, Objective a) => a + c;
    public static Objective operator -(Objective a, double c) => a + (-c);
    public static Objective operator *(Objective a, double c) => a.Map($"{c}·{a.Description}", t => Ops.Mul(t, (float)c), c, 0);
    public static Objective operator *(double c, Objective a) => a * c;
    /// <summary>c − objective (e.g. 1 − mean alpha).</summary>
    public static Objective operator -(double c, Objective a) => -a + c;

    public static Objective operator /(Objective a, double c)
    {
        if (c == 0) throw new LucidArgumentException(nameof(c), $"objective: cannot divide '{a.Description}' by zero.");
        return a * (1 / c);
    }

    /// <summary>The sum of several objectives.</summary>
    public static Objective Sum(IEnumerable<Objective> objectives)
    {
        var list = objectives.ToList();
        if (list.Count == 0) throw new LucidArgumentException(nameof(objectives), "objective: the sum of no objectives is undefined.");
        return list.Skip(1).Aggregate(list[0], (a, b) => a + b);
    }

    /// <summary>
    /// This objective as a named term: its value is reported at every step (<see cref="ObjectiveContext.TermValues"/>,
    /// <see cref="RenderResult.TermsPerStep"/>) wherever it sits in a larger objective.
    /// </summary>
    public Objective Named(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new LucidArgumentException(nameof(name), "objective: a term name must not be empty.");
        var result = new Objective(Description, Taps, c =>
        {
            var v = Evaluate(c);
            c.ReportTerm(name, v.Item());
            return v;
        }, Form is { } f ? new ObjectiveForm.Named(f, name) : null) { ReadsOutput = ReadsOutput, TermName = name };
        result._checks.AddRange(_checks);
        return result;
    }

    /// <summary>The name given by <see cref="Named"/>, if any.</summary>
    public string? TermName { get; private init; }

    public override string ToString() => Description;
}

/// <summary>
/// An objective as data: a term with its arguments, or a combination of forms. The term kinds are those of
/// <see cref="Objectives"/> (channel, neuron, direction, direction_neuron, channel_weight, neuron_weight, class_logit,
/// class_log_probability, deep_dream, total_variation, l1, l2); an engine that evaluates forms must give each the same
/// value as the objective's own code.
/// </summary>
internal abstract record ObjectiveForm
{
    /// <param name="Kind">The term (see the record's summary).</param>
    /// <param name="Tap">The tap it reads ("input" for the image; the output for class terms).</param>
    /// <param name="Index">A channel, or a class index (−1 with <paramref name="Label"/>).</param>
    /// <param name="Y">A position (null: the centre).</param>
    /// <param name="X">A position (null: the centre).</param>
    /// <param name="Batch">One batch item, or all.</param>
    /// <param name="Vector">A direction or channel weights.</param>
    /// <param name="Parameter">cossim_pow, or the constant of L1/L2.</param>
    /// <param name="Epsilon">L2's ε.</param>
    /// <param name="Label">A class by name.</param>
    internal sealed record Term(string Kind, string Tap, int Index = -1, int? Y = null, int? X = null, int? Batch = null, float[]? Vector = null,
        double Parameter = 0, double Epsilon = 0, string? Label = null) : ObjectiveForm;

    /// <summary>Left op right, op one of + − *.</summary>
    internal sealed record Binary(char Op, ObjectiveForm Left, ObjectiveForm Right) : ObjectiveForm;

    /// <summary>Scale·inner + offset.</summary>
    internal sealed record Affine(ObjectiveForm Inner, double Scale, double Offset) : ObjectiveForm;

    /// <summary>A named term (its value is reported per step).</summary>
    internal sealed record Named(ObjectiveForm Inner, string Name) : ObjectiveForm;
}
