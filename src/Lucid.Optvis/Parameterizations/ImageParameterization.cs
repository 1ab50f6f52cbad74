using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>
/// A trainable image: <see cref="Parameters"/> are the leaves an optimizer updates, <see cref="Image"/> builds the
/// image [N, C, H, W] with values in [0, 1] from them (part of the autograd graph).
/// </summary>
public abstract class ImageParameterization : IDisposable
{
    protected ImageParameterization(int batch, int channels, int height, int width)
    {
        if (batch <= 0) throw new LucidArgumentException(nameof(batch), $"image parameterization: batch must be positive, got {batch}.");
        if (channels <= 0) throw new LucidArgumentException(nameof(channels), $"image parameterization: channels must be positive, got {channels}.");
        if (height <= 0 || width <= 0) throw new LucidArgumentException(nameof(height), $"image parameterization: size must be positive, got {height}×{width}.");
        Batch = batch;
        Channels = channels;
        Height = height;
        Width = width;
    }

    public int Batch { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    public abstract IReadOnlyList<Tensor> Parameters { get; }

    public abstract Tensor Image();

    public virtual void Dispose()
    {
        foreach (var p in Parameters) p.Dispose();
        GC.SuppressFinalize(this);
    }
}
