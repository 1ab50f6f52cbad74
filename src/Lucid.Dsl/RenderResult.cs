using Lucid.Imaging;
using Lucid.Optvis;
using Lucid.Tensors;

namespace Lucid.Dsl;

/// <summary>
/// The result of a declared render on the image declaration <typeparamref name="TImage"/>: the final images, the
/// snapshots at the thresholds, the objective and every named term per step, and whether it was cancelled.
/// </summary>
public sealed class RenderResult<TImage>(RenderResult result)
{
    /// <summary>The untyped result.</summary>
    public RenderResult Untyped { get; } = result;

    /// <summary>The last kept images, [N, C, H, W] in [0, 1].</summary>
    public Tensor Images => Untyped.Image;

    /// <summary>The images kept at each threshold step.</summary>
    public IReadOnlyList<(int Step, Tensor Image)> Snapshots => Untyped.Snapshots;

    /// <summary>The whole objective per step.</summary>
    public float[] ObjectivePerStep => Untyped.ObjectivePerStep;

    /// <summary>Each named term's value per step (the declared properties' names).</summary>
    public IReadOnlyDictionary<string, float[]> TermsPerStep => Untyped.TermsPerStep;

    /// <summary>Whether the render stopped early on cancellation (the images are the latest).</summary>
    public bool Cancelled => Untyped.Cancelled;

    /// <summary>Writes batch image <paramref name="index"/> as a PNG (atomically).</summary>
    public void SavePng(string path, int index = 0)
    {
        var images = Images;
        if (index < 0 || index >= images.Size(0))
            throw new LucidArgumentException(nameof(index), $"render result: image {index} does not exist in a batch of {images.Size(0)}.");
        using var one = images[index..(index + 1)];
        Image.FromTensor(one).SavePng(path);
    }
}
