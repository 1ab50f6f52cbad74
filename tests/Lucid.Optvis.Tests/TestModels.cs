using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Optvis.Tests;

/// <summary>Models whose taps are known exactly, for checking objectives, metrics and renders by hand.</summary>
internal static class TestModels
{
    /// <summary>The identity as a layer: its tap is the input itself.</summary>
    internal sealed class IdentityLayer : Layer
    {
        public override string Kind => "identity";
        public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Ops.Mul(inputs[0], 1f);
        public override int[] OutputShape(IReadOnlyList<int[]> inputs) => inputs[0];
    }

    /// <summary>"acts" = the input (identity); the output tap is the channel means (one "class" per channel).</summary>
    public static Model Known(int channels = 3, int size = 4) => new("known", new ModelInput(new[] { channels, size, size }, 0f, 1f),
        new List<ModelNode>
        {
            new("acts", new IdentityLayer(), new[] { "input" }, new[] { channels, size, size }),
            new("pooled", new GlobalAvgPoolLayer(), new[] { "acts" }, new[] { channels }),
        }, Enumerable.Range(0, channels).Select(i => $"class{i}").ToArray());
}
