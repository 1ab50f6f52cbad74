using Lucid.Models.Data;
using Lucid.Models.Graph;

namespace Lucid.Models;

/// <summary>The architectures of the bundled models (their weights live under <c>models/&lt;name&gt;/</c>).</summary>
public static class Zoo
{
    /// <summary>The bundled architectures by model name (weights: <c>models/&lt;name&gt;/&lt;name&gt;.safetensors</c>).</summary>
    public static IReadOnlyDictionary<string, Func<ulong, Model>> Architectures { get; } = new Dictionary<string, Func<ulong, Model>>
    {
        ["fashion-cnn"] = seed => FashionCnn(seed),
        ["inception-mini"] = seed => InceptionMini(seed),
    };

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

    /// <summary>
    /// inception-mini: an InceptionV1-style colour network for the synthetic scenes (64×64 RGB), with InceptionV1's
    /// tap names so Building Blocks recipes read as in the article: conv2d0 (5×5/2) → maxpool0 → localresponsenorm0 →
    /// conv2d1 (1×1) → conv2d2 (3×3) → localresponsenorm1 → maxpool1 → mixed3a → mixed3b → maxpool4 → mixed4a →
    /// mixed4b → avgpool → logits. Each mixed block concatenates 1×1, 3×3 (after a 1×1 bottleneck), 5×5 (after a
    /// bottleneck) and pool → 1×1 branches; "mixedNx_pre_relu" is the concatenation before the ReLU.
    /// </summary>
    public static Model InceptionMini(ulong seed = 0)
    {
        var b = new ModelBuilder("inception-mini", new[] { 3, 64, 64 }, 0f, 1f, seed);
        var x = b.ConvRelu("conv2d0", "input", 32, 5, stride: 2, padding: 2);
        x = b.Add("maxpool0", new Pool2dLayer(max: true, 3, 2, 0, ceilMode: true), x);
        x = b.Add("localresponsenorm0", new LrnLayer(5), x);
        x = b.ConvRelu("conv2d1", x, 32, 1);
        x = b.ConvRelu("conv2d2", x, 64, 3, padding: 1);
        x = b.Add("localresponsenorm1", new LrnLayer(5), x);
        x = b.Add("maxpool1", new Pool2dLayer(max: true, 3, 2, 0, ceilMode: true), x);
        x = Mixed(b, "mixed3a", x, 16, 16, 32, 8, 16, 16);
        x = Mixed(b, "mixed3b", x, 32, 24, 48, 8, 24, 24);
        x = b.Add("maxpool4", new Pool2dLayer(max: true, 3, 2, 0, ceilMode: true), x);
        x = Mixed(b, "mixed4a", x, 48, 24, 52, 8, 24, 32);
        x = Mixed(b, "mixed4b", x, 40, 28, 56, 12, 32, 32);
        x = b.Add("avgpool", new GlobalAvgPoolLayer(), x);
        b.Linear("logits", x, SyntheticScenes.Classes.Count);
        return b.Build(SyntheticScenes.ClassNames);
    }

    private static string Mixed(ModelBuilder b, string name, string input, int c1, int c3Reduce, int c3, int c5Reduce, int c5, int poolProjection)
    {
        var branch1 = b.Conv(name + "_1x1_pre_relu", input, c1, 1);
        var reduce3 = b.ConvRelu(name + "_3x3_bottleneck", input, c3Reduce, 1);
        var branch3 = b.Conv(name + "_3x3_pre_relu", reduce3, c3, 3, padding: 1);
        var reduce5 = b.ConvRelu(name + "_5x5_bottleneck", input, c5Reduce, 1);
        var branch5 = b.Conv(name + "_5x5_pre_relu", reduce5, c5, 5, padding: 2);
        var pool = b.Add(name + "_pool", new Pool2dLayer(max: true, 3, 1, 1), input);
        var branchPool = b.Conv(name + "_pool_reduce_pre_relu", pool, poolProjection, 1);
        var joined = b.Add(name + "_pre_relu", new ConcatLayer(), branch1, branch3, branch5, branchPool);
        return b.Add(name, ActivationLayer.Relu(), joined);
    }
}
