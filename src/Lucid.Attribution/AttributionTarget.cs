using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Attribution;

/// <summary>
/// What is being explained: one scalar per example, computed from the model's taps. The attribution of a batch is the
/// gradient of the sum of these scalars (examples do not interact).
/// </summary>
public abstract record AttributionTarget
{
    /// <summary>The tap the target reads (its value must be computed before the target can be).</summary>
    public abstract string Tap(Model model);

    /// <summary>The per-example target values [N] from the tap's value.</summary>
    public abstract Tensor Evaluate(Model model, Tensor tap);

    /// <summary>A class logit (the model's output tap), by index.</summary>
    public static AttributionTarget Class(int index) => new ClassTarget(index, null);

    /// <summary>A class logit by label (checked against the model's labels).</summary>
    public static AttributionTarget Class(string label) => new ClassTarget(-1, label);

    /// <summary>The sum over positions of one channel of a tap (Lucid's "channel" objective).</summary>
    public static AttributionTarget Channel(string tap, int channel) => new ChannelTarget(tap, channel, null, null);

    /// <summary>One neuron: a tap's channel at a spatial position.</summary>
    public static AttributionTarget Neuron(string tap, int channel, int y, int x) => new ChannelTarget(tap, channel, y, x);

    /// <summary>
    /// A direction in a tap's activation space: Σ over positions of ⟨activation, direction⟩ (Lucid's "direction"
    /// objective), or at one position when <paramref name="y"/> and <paramref name="x"/> are given ("direction neuron").
    /// </summary>
    public static AttributionTarget Direction(string tap, float[] direction, int? y = null, int? x = null) =>
        new DirectionTarget(tap, (float[])direction.Clone(), y, x);

    /// <summary>Any scalar per example computed from one tap: <paramref name="function"/> maps the tap [N, ...] to [N].</summary>
    public static AttributionTarget Function(string tap, Func<Tensor, Tensor> function, string? description = null) =>
        new FunctionTarget(tap, function, description ?? $"f({tap})");
}

internal sealed record DirectionTarget(string TapName, float[] Vector, int? Y, int? X) : AttributionTarget
{
    public override string ToString() => $"a direction in '{TapName}'";

    public override string Tap(Model model)
    {
        var node = model[TapName];
        if (node.OutputShape[0] != Vector.Length)
            throw new LucidArgumentException("target", $"tap '{TapName}' of model '{model.Name}' has {node.OutputShape[0]} channels; the direction has {Vector.Length}.");
        if (Y is { } y && (node.OutputShape.Length != 3 || y < 0 || y >= node.OutputShape[1] || X is not { } x || x < 0 || x >= node.OutputShape[2]))
            throw new LucidArgumentException("target", $"position ({Y}, {X}) is outside tap '{TapName}' of shape {Shapes.Format(node.OutputShape)}.");
        return TapName;
    }

    public override Tensor Evaluate(Model model, Tensor tap)
    {
        var shape = new int[tap.Rank];
        Array.Fill(shape, 1);
        shape[1] = Vector.Length;
        var direction = Tensor.FromArray(Vector, shape);
        var projected = Ops.Sum(Ops.Mul(tap, direction), 1);                    // [N, H, W] or [N]
        if (tap.Rank == 2) return projected;
        if (Y is { } y && X is { } x) return Ops.Reshape(Ops.Slice(Ops.Slice(projected, 1, y, y + 1), 2, x, x + 1), -1);
        return Ops.Sum(Ops.Flatten(projected), 1);
    }
}

internal sealed record FunctionTarget(string TapName, Func<Tensor, Tensor> F, string Description) : AttributionTarget
{
    public override string Tap(Model model)
    {
        _ = model[TapName];
        return TapName;
    }

    public override Tensor Evaluate(Model model, Tensor tap)
    {
        var value = F(tap);
        if (value.Rank != 1 || value.Size(0) != tap.Size(0))
            throw new ShapeMismatchException($"target {Description}: the function must return one value per example [{tap.Size(0)}], got {Shapes.Format(value.Shape)}.");
        return value;
    }

    public override string ToString() => Description;
}

internal sealed record ClassTarget(int Index, string? Label) : AttributionTarget
{
    public override string ToString() => Label is not null ? $"class '{Label}'" : $"class {Index}";

    public override string Tap(Model model) => model.OutputTap;

    public int IndexIn(Model model)
    {
        if (Label is not null)
        {
            int i = model.Labels.ToList().IndexOf(Label);
            if (i < 0)
            {
                throw new LucidArgumentException("target", $"model '{model.Name}' has no class '{Label}'{Suggest.DidYouMean(Label, model.Labels)}.");
            }
            return i;
        }
        int classes = model[model.OutputTap].OutputShape[0];
        if (Index < 0 || Index >= classes)
            throw new LucidArgumentException("target", $"class index {Index} is out of range for model '{model.Name}' with {classes} classes.");
        return Index;
    }

    public override Tensor Evaluate(Model model, Tensor tap)
    {
        int i = IndexIn(model);
        return Ops.Reshape(Ops.Slice(tap, 1, i, i + 1), -1);
    }

}

internal sealed record ChannelTarget(string TapName, int ChannelIndex, int? Y, int? X) : AttributionTarget
{
    public override string ToString() => Y is { } y && X is { } x ? $"'{TapName}' channel {ChannelIndex} at ({y}, {x})" : $"'{TapName}' channel {ChannelIndex}";

    public override string Tap(Model model)
    {
        var node = model[TapName];
        if (ChannelIndex < 0 || ChannelIndex >= node.OutputShape[0])
            throw new LucidArgumentException("target", $"tap '{TapName}' of model '{model.Name}' has {node.OutputShape[0]} channels; channel {ChannelIndex} does not exist.");
        if (Y is { } y && (node.OutputShape.Length != 3 || y < 0 || y >= node.OutputShape[1] || X is not { } x || x < 0 || x >= node.OutputShape[2]))
            throw new LucidArgumentException("target", $"position ({Y}, {X}) is outside tap '{TapName}' of shape {Shapes.Format(node.OutputShape)}.");
        return TapName;
    }

    public override Tensor Evaluate(Model model, Tensor tap)
    {
        var channel = Ops.Slice(tap, 1, ChannelIndex, ChannelIndex + 1);
        if (Y is { } y && X is { } x)
            return Ops.Reshape(Ops.Slice(Ops.Slice(channel, 2, y, y + 1), 3, x, x + 1), -1);
        return Ops.Sum(Ops.Flatten(channel), 1);
    }
}
