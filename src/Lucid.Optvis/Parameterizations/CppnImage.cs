using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>
/// Lucid's CPPN (param/cppn.py): pixel coordinates in [−√3, √3]² pass through `layers` (8) 1×1
/// convolutions of `hidden` (24) channels with the composite activation [atan(x)/0.67, atan(x)²/0.6]
/// (which doubles the channels), then a zero-initialized 1×1 convolution to 3 channels and a sigmoid. Every batch
/// item shares the network.
/// </summary>
public sealed class CppnImage : ImageParameterization
{
    private readonly Tensor _coordinates;
    private readonly List<Tensor> _weights = new();

    public CppnImage(int width, int height = 0, int batch = 1, int hidden = 24, int layers = 8, ulong seed = 0)
        : base(batch, 3, height == 0 ? width : height, width)
    {
        if (hidden <= 0 || layers <= 0) throw new LucidArgumentException(nameof(hidden), $"CPPN: hidden channels and layers must be positive, got {hidden} and {layers}.");
        int h = Height, w = Width;
        var xy = new float[2 * h * w];
        double r = Math.Sqrt(3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                xy[y * w + x] = (float)(w == 1 ? 0 : -r + 2 * r * x / (w - 1));
                xy[h * w + y * w + x] = (float)(h == 1 ? 0 : -r + 2 * r * y / (h - 1));
            }
        _coordinates = Tensor.FromArray(xy, 1, 2, h, w).DetachFromScope();
        var rng = new Rng(seed);
        int inputs = 2;
        for (int l = 0; l < layers; l++)
        {
            // variance scaling (fan-in) for the weights, N(0, 0.1) for the biases, as Lucid's TF initializers
            _weights.Add(rng.Normal(new[] { hidden, inputs, 1, 1 }, 0f, (float)Math.Sqrt(1.0 / inputs)).DetachFromScope().RequireGrad());
            _weights.Add(rng.Normal(new[] { hidden }, 0f, 0.1f).DetachFromScope().RequireGrad());
            inputs = 2 * hidden;
        }
        _weights.Add(Tensor.Zeros(3, inputs, 1, 1).DetachFromScope().RequireGrad());
        _weights.Add(Tensor.Zeros(3).DetachFromScope().RequireGrad());
    }

    public override IReadOnlyList<Tensor> Parameters => _weights;

    public override Tensor Image()
    {
        var t = _coordinates;
        for (int l = 0; l + 2 < _weights.Count; l += 2)
        {
            var z = Ops.Conv2d(t, _weights[l], _weights[l + 1]);
            var a = Ops.Atan(z);
            t = Ops.Concat(new[] { Ops.Mul(a, 1 / 0.67f), Ops.Mul(Ops.Mul(a, a), 1 / 0.6f) }, 1);
        }
        var rgb = Ops.Sigmoid(Ops.Conv2d(t, _weights[^2], _weights[^1]));
        return Batch == 1 ? rgb : Ops.Concat(Enumerable.Repeat(rgb, Batch).ToArray(), 0);
    }

    public override void Dispose()
    {
        _coordinates.Dispose();
        base.Dispose();
    }
}
