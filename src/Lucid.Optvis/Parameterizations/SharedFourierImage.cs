using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>
/// A batch of Fourier images that share a common component (the Building Blocks activation grid: neighbouring cells
/// are rendered together and look alike): image n = colour(sigmoid(own_n + shared)), where own is a batch of Lucid
/// Fourier images and shared one more, broadcast over the batch and trained by every item's gradient.
/// </summary>
public sealed class SharedFourierImage : SpatialImage
{
    private readonly LucidImage _own;
    private readonly LucidImage _shared;

    /// <param name="width">Image width.</param>
    /// <param name="height">Image height (0: square).</param>
    /// <param name="batch">Images rendered together.</param>
    /// <param name="sd">Initial spectrum standard deviation of both components.</param>
    /// <param name="sharedWeight">Scale of the shared component (0: independent images).</param>
    /// <param name="seed">Seeds both components.</param>
    /// <param name="channels">Image channels (colour decorrelation for three).</param>
    public SharedFourierImage(int width, int height = 0, int batch = 1, float sd = 0.01f, float sharedWeight = 1f, ulong seed = 0, int channels = 3)
        : base(batch, channels, height == 0 ? width : height, width, decorrelate: channels == 3, grayscale: false)
    {
        if (!(sharedWeight >= 0)) throw new LucidArgumentException(nameof(sharedWeight), $"image: the shared weight must be non-negative, got {sharedWeight}.");
        _own = new LucidImage(width, height, batch, fourier: true, decorrelate: false, sd: sd, channels: channels, seed: seed);
        _shared = new LucidImage(width, height, 1, fourier: true, decorrelate: false, sd: sd, channels: channels, seed: seed ^ 0x5EED5EED);
        SharedWeight = sharedWeight;
    }

    public float SharedWeight { get; }

    public override IReadOnlyList<Tensor> Parameters => _own.Parameters.Concat(_shared.Parameters).ToArray();

    public override Tensor Spatial() => SharedWeight == 0 ? _own.Spatial() : Ops.Add(_own.Spatial(), Ops.Mul(_shared.Spatial(), SharedWeight));

    public override void Dispose()
    {
        _own.Dispose();
        _shared.Dispose();
        base.Dispose();
    }
}
