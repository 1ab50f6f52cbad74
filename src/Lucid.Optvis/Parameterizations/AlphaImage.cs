using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>
/// Lucid's image with alpha (param.image(alpha = True)): a decorrelated Fourier RGB image and a separate Fourier alpha
/// channel, each through a sigmoid — [N, 4, H, W]. Render it with <see cref="Transform.CollapseAlpha"/> first, which
/// lays it over a fresh random background each step, so only what the unit needs stays opaque.
/// </summary>
public sealed class AlphaImage : ImageParameterization
{
    private readonly LucidImage _rgb;
    private readonly LucidImage _alpha;

    public AlphaImage(int width, int height = 0, int batch = 1, float sd = 0.01f, ulong seed = 0)
        : base(batch, 4, height == 0 ? width : height, width)
    {
        _rgb = new LucidImage(width, Height, batch, sd: sd, seed: seed);
        _alpha = new LucidImage(width, Height, batch, decorrelate: false, channels: 1, sd: sd, seed: seed + 1);
    }

    public override IReadOnlyList<Tensor> Parameters => _rgb.Parameters.Concat(_alpha.Parameters).ToArray();

    public override Tensor Image() => Ops.Concat(new[] { _rgb.Image(), _alpha.Image() }, 1);

    /// <summary>The alpha channel alone [N, 1, H, W].</summary>
    public static Tensor AlphaOf(Tensor image) => Ops.Slice(image, 1, 3, 4);

    public override void Dispose()
    {
        _rgb.Dispose();
        _alpha.Dispose();
    }
}
