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

    /// <summary>
    /// Like <see cref="Gather(ReadOnlySpan{int})"/>, with random augmentation drawn from <paramref name="rng"/>: a
    /// horizontal flip with probability <see cref="Augmentation.FlipProbability"/>, then a translation by up to
    /// <see cref="Augmentation.MaxShift"/> pixels in each direction (uncovered pixels repeat the edge).
    /// </summary>
    public (Tensor Images, int[] Labels) Gather(ReadOnlySpan<int> indices, Augmentation augmentation, Rng rng)
    {
        var (images, labels) = Gather(indices);
        var d = images.Data;
        var scratch = new float[Height * Width];
        for (int i = 0; i < indices.Length; i++)
        {
            bool flip = rng.NextDouble() < augmentation.FlipProbability;
            int dx = augmentation.MaxShift == 0 ? 0 : rng.NextInt(-augmentation.MaxShift, augmentation.MaxShift + 1);
            int dy = augmentation.MaxShift == 0 ? 0 : rng.NextInt(-augmentation.MaxShift, augmentation.MaxShift + 1);
            if (!flip && dx == 0 && dy == 0) continue;
            for (int c = 0; c < Channels; c++)
            {
                var plane = d.Slice((i * Channels + c) * Height * Width, Height * Width);
                plane.CopyTo(scratch);
                for (int y = 0; y < Height; y++)
                    for (int x = 0; x < Width; x++)
                    {
                        int sx = Math.Clamp(x - dx, 0, Width - 1), sy = Math.Clamp(y - dy, 0, Height - 1);
                        if (flip) sx = Width - 1 - sx;
                        plane[y * Width + x] = scratch[sy * Width + sx];
                    }
            }
        }
        return (images, labels);
    }

    /// <summary>Index batches covering the set once, shuffled with <paramref name="rng"/> when given (the last batch may be smaller).</summary>
    public IEnumerable<int[]> Batches(int batchSize, Rng? rng)
    {
        if (batchSize <= 0) throw new LucidArgumentException(nameof(batchSize), $"Batches: batch size must be positive, got {batchSize}.");
        var order = rng is null ? Enumerable.Range(0, Count).ToArray() : rng.Permutation(Count);
        for (int i = 0; i < order.Length; i += batchSize)
            yield return order[i..Math.Min(order.Length, i + batchSize)];
    }

    /// <summary>The images at <paramref name="indices"/>, in that order (a fold of a cross-validation, say).</summary>
    public LabeledImages Subset(IReadOnlyList<int> indices)
    {
        var pixels = new float[(long)indices.Count * ImageSize];
        var labels = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            int k = indices[i];
            if ((uint)k >= (uint)Count) throw new LucidArgumentException(nameof(indices), $"LabeledImages: index {k} is outside the {Count} images.");
            Pixels.AsSpan(k * ImageSize, ImageSize).CopyTo(pixels.AsSpan(i * ImageSize, ImageSize));
            labels[i] = Labels[k];
        }
        return new LabeledImages(pixels, labels, Channels, Height, Width, ClassNames);
    }

    /// <summary>The first <paramref name="count"/> images (for quick runs and tests).</summary>
    public LabeledImages Take(int count)
    {
        count = Math.Min(count, Count);
        return new LabeledImages(Pixels[..(count * ImageSize)], Labels[..count], Channels, Height, Width, ClassNames);
    }
}

/// <summary>Training-time augmentation of <see cref="LabeledImages"/>.</summary>
public sealed record Augmentation(double FlipProbability = 0.5, int MaxShift = 2)
{
    public static readonly Augmentation None = new(0, 0);
}
