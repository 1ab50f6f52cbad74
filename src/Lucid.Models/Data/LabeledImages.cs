using Lucid.Tensors;

namespace Lucid.Models.Data;

/// <summary>An in-memory image classification set: N images of shape (C, H, W) as float32, and their class indices.</summary>
public sealed class LabeledImages
{
    public LabeledImages(float[] pixels, int[] labels, int channels, int height, int width, IReadOnlyList<string> classNames)
    {
        if (pixels.Length != (long)labels.Length * channels * height * width)
            throw new LucidArgumentException(nameof(pixels), $"LabeledImages: {pixels.Length} pixels do not hold {labels.Length} images of {channels}×{height}×{width}.");
        foreach (var l in labels)
            if ((uint)l >= (uint)classNames.Count)
                throw new LucidArgumentException(nameof(labels), $"LabeledImages: label {l} is not a class index in [0, {classNames.Count}).");
        Pixels = pixels; Labels = labels; Channels = channels; Height = height; Width = width; ClassNames = classNames;
    }

    public float[] Pixels { get; }
    public int[] Labels { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int Count => Labels.Length;
    private int ImageSize => Channels * Height * Width;

    /// <summary>Copies the images at <paramref name="indices"/> into a [n, C, H, W] tensor and returns their labels.</summary>
    public (Tensor Images, int[] Labels) Gather(ReadOnlySpan<int> indices)
    {
        var t = Tensor.Zeros(indices.Length, Channels, Height, Width);
        var d = t.Data;
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Pixels.AsSpan(indices[i] * ImageSize, ImageSize).CopyTo(d.Slice(i * ImageSize, ImageSize));
            labels[i] = Labels[indices[i]];
        }
        return (t, labels);
    }

    /// <summary>Index batches covering the set once, shuffled with <paramref name="rng"/> when given (the last batch may be smaller).</summary>
    public IEnumerable<int[]> Batches(int batchSize, Rng? rng)
    {
        if (batchSize <= 0) throw new LucidArgumentException(nameof(batchSize), $"Batches: batch size must be positive, got {batchSize}.");
        var order = rng is null ? Enumerable.Range(0, Count).ToArray() : rng.Permutation(Count);
        for (int i = 0; i < order.Length; i += batchSize)
            yield return order[i..Math.Min(order.Length, i + batchSize)];
    }

    /// <summary>The first <paramref name="count"/> images (for quick runs and tests).</summary>
    public LabeledImages Take(int count)
    {
        count = Math.Min(count, Count);
        return new LabeledImages(Pixels[..(count * ImageSize)], Labels[..count], Channels, Height, Width, ClassNames);
    }
}
