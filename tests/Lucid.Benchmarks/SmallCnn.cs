using Lucid.Tensors;
using Lucid.Tensors.Optim;

namespace Lucid.Benchmarks;

/// <summary>
/// The small CNN of the training-step benchmark (28×28 grayscale in, 10 classes out), written directly on the engine:
/// conv 1→32 k3 p1, ReLU, max-pool 2 → conv 32→64 k3 p1, ReLU, max-pool 2 → linear 3136→128, ReLU → linear 128→10.
/// The PyTorch peer script builds the same network.
/// </summary>
public sealed class SmallCnn
{
    private readonly Tensor _w1, _b1, _w2, _b2, _w3, _b3, _w4, _b4;
    private readonly Adam _optimizer;
    private readonly Tensor _images;
    private readonly int[] _labels;

    public SmallCnn(int batch, ulong seed = 1)
    {
        var rng = new Rng(seed);
        Tensor Param(int[] shape, int fanIn) => rng.Uniform(shape, -1f / MathF.Sqrt(fanIn), 1f / MathF.Sqrt(fanIn)).DetachFromScope().RequireGrad();
        _w1 = Param(new[] { 32, 1, 3, 3 }, 9); _b1 = Param(new[] { 32 }, 9);
        _w2 = Param(new[] { 64, 32, 3, 3 }, 288); _b2 = Param(new[] { 64 }, 288);
        _w3 = Param(new[] { 128, 64 * 7 * 7 }, 3136); _b3 = Param(new[] { 128 }, 3136);
        _w4 = Param(new[] { 10, 128 }, 128); _b4 = Param(new[] { 10 }, 128);
        _optimizer = new Adam(new[] { _w1, _b1, _w2, _b2, _w3, _b3, _w4, _b4 }, 1e-3f);
        _images = rng.Normal(new[] { batch, 1, 28, 28 }).DetachFromScope();
        _labels = rng.Integers(batch, 0, 10);
    }

    public Tensor Forward(Tensor x)
    {
        var h = Ops.MaxPool2d(Ops.Relu(Ops.Conv2d(x, _w1, _b1, 1, 1)), 2);
        h = Ops.MaxPool2d(Ops.Relu(Ops.Conv2d(h, _w2, _b2, 1, 1)), 2);
        h = Ops.Relu(Ops.Linear(Ops.Flatten(h), _w3, _b3));
        return Ops.Linear(h, _w4, _b4);
    }

    /// <summary>One Adam step on the fixed batch; returns the loss.</summary>
    public float Step()
    {
        using var scope = Tensor.Scope();
        _optimizer.ZeroGrad();
        var loss = Ops.CrossEntropy(Forward(_images), _labels);
        loss.Backward();
        _optimizer.Step();
        return loss.Item();
    }
}
