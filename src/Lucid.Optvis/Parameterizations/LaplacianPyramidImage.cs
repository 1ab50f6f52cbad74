using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>
/// Lucid's laplacian_pyramid_image: the sum of low-resolution tensors at sizes H/2ᵏ × W/2ᵏ for k &lt; levels (4 by
/// default), so coarse structure and fine detail have separate parameters.
/// </summary>
public sealed class LaplacianPyramidImage : SpatialImage
{
    private readonly Tensor[] _levels;

    public LaplacianPyramidImage(int width, int height = 0, int levels = 4, int batch = 1, bool decorrelate = true, float sd = 0.01f, ulong seed = 0)
        : base(batch, 3, height == 0 ? width : height, width, decorrelate, grayscale: false)
    {
        if (levels <= 0) throw new LucidArgumentException(nameof(levels), $"Laplacian pyramid: levels must be positive, got {levels}.");
        var rng = new Rng(seed);
        _levels = Enumerable.Range(0, levels)
            .Select(k => rng.Normal(new[] { batch, 3, Math.Max(1, Height >> k), Math.Max(1, Width >> k) }, 0f, sd).DetachFromScope().RequireGrad())
            .ToArray();
    }

    public override IReadOnlyList<Tensor> Parameters => _levels;

    public override Tensor Spatial()
    {
        Tensor? sum = null;
        foreach (var level in _levels)
        {
            var up = level.Size(2) == Height && level.Size(3) == Width ? level : Ops.Interpolate(level, Height, Width, InterpolationMode.Bilinear);
            sum = sum is null ? up : Ops.Add(sum, up);
        }
        return sum!;
    }
}
