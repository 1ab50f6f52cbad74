using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>
/// Lucid's lowres_tensor: a variable of size lowH × lowW, upsampled bilinearly to H × W — an image whose detail is
/// limited by construction.
/// </summary>
public sealed class LowResImage : SpatialImage
{
    private readonly Tensor _variable;

    public LowResImage(int width, int height, int lowWidth, int lowHeight, int batch = 1, bool decorrelate = true, bool grayscale = false,
        float sd = 0.01f, ulong seed = 0, int channels = 3)
        : base(batch, channels, height, width, decorrelate, grayscale)
    {
        if (lowWidth <= 0 || lowHeight <= 0 || lowWidth > width || lowHeight > height)
            throw new LucidArgumentException(nameof(lowWidth), $"low-resolution image: {lowHeight}×{lowWidth} must be positive and at most {height}×{width}.");
        _variable = new Rng(seed).Normal(new[] { batch, grayscale ? 1 : channels, lowHeight, lowWidth }, 0f, sd).DetachFromScope().RequireGrad();
    }

    public override IReadOnlyList<Tensor> Parameters => new[] { _variable };

    public override Tensor Spatial() => _variable.Size(2) == Height && _variable.Size(3) == Width
        ? _variable
        : Ops.Interpolate(_variable, Height, Width, InterpolationMode.Bilinear);
}
