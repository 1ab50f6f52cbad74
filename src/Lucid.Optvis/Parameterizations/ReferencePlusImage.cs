using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>
/// A fixed image in front of a trainable batch (Lucid's caricature recipe): <see cref="Image"/> is
/// [reference; trainable images], so objectives can compare the trainable images with the reference (batch item 0).
/// </summary>
public sealed class ReferencePlusImage : ImageParameterization
{
    private readonly Tensor _reference;
    private readonly ImageParameterization _trainable;

    public ReferencePlusImage(Tensor reference, ImageParameterization trainable)
        : base(1 + trainable.Batch, trainable.Channels, trainable.Height, trainable.Width)
    {
        var expected = new[] { 1, trainable.Channels, trainable.Height, trainable.Width };
        if (!reference.Shape.SequenceEqual(expected))
            throw new ShapeMismatchException($"reference image: expected [{string.Join(", ", expected)}], got {Shapes.Format(reference.Shape)}.");
        _reference = reference.Detach().Clone().DetachFromScope();
        _trainable = trainable;
    }

    public override IReadOnlyList<Tensor> Parameters => _trainable.Parameters;

    public override Tensor Image() => Ops.Concat(new[] { _reference, _trainable.Image() }, 0);

    public override void Dispose()
    {
        _reference.Dispose();
        _trainable.Dispose();
    }
}
