using Lucid.Models.Data;
using Lucid.Models.Graph;

namespace Lucid.Models;

/// <summary>The architectures of the bundled models (their weights live under <c>models/&lt;name&gt;/</c>).</summary>
public static class Zoo
{
    /// <summary>
    /// fashion-cnn: conv1 (1→32, 3×3) → pool1 → conv2 (32→64, 3×3) → pool2 → flatten → fc1 (3136→128) → logits (10),
    /// ReLUs after conv1, conv2 and fc1 (with *_pre_relu taps), 2×2 max-pooling.
    /// </summary>
    public static Model FashionCnn(ulong seed = 0)
    {
        var b = new ModelBuilder("fashion-cnn", new[] { 1, 28, 28 }, 0f, 1f, seed);
        var x = b.ConvRelu("conv1", "input", 32, 3, padding: 1);
        x = b.Add("pool1", new Pool2dLayer(max: true, 2, 2), x);
        x = b.ConvRelu("conv2", x, 64, 3, padding: 1);
        x = b.Add("pool2", new Pool2dLayer(max: true, 2, 2), x);
        x = b.Add("flatten", new FlattenLayer(), x);
        x = b.LinearRelu("fc1", x, 128);
        b.Linear("logits", x, 10);
        return b.Build(FashionMnist.ClassNames);
    }
}
