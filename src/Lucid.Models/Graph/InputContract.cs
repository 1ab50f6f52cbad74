using System.Globalization;

namespace Lucid.Models.Graph;

/// <summary>
/// What a network was trained to receive, independent of its input size: pixel range, channel order, and per-channel
/// mean and std in the network's order and range. The model applies it to the RGB [0, 1] pixels callers give it
/// (<see cref="ModelInput"/>), so images, baselines and overlays never change scale.
/// </summary>
public sealed record InputContract(float Min = 0f, float Max = 1f, ChannelOrder Order = ChannelOrder.Rgb, float[]? Mean = null, float[]? Std = null)
{
    /// <summary>RGB in [0, 1], unchanged.</summary>
    public static InputContract Identity { get; } = new();

    /// <summary>torchvision's ImageNet models: RGB in [0, 1], mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).</summary>
    public static InputContract Torchvision { get; } = new(0f, 1f, ChannelOrder.Rgb, new[] { 0.485f, 0.456f, 0.406f }, new[] { 0.229f, 0.224f, 0.225f });

    /// <summary>Caffe's ImageNet models (VGG, the original ResNets): BGR in [0, 255] minus (103.939, 116.779, 123.68).</summary>
    public static InputContract Caffe { get; } = new(0f, 255f, ChannelOrder.Bgr, new[] { 103.939f, 116.779f, 123.68f }, new[] { 1f, 1f, 1f });

    /// <summary>TensorFlow's "inception" preprocessing: RGB scaled to [−1, 1].</summary>
    public static InputContract Inception { get; } = new(-1f, 1f);

    /// <summary>The named presets (<c>--contract NAME</c> in the CLI).</summary>
    public static IReadOnlyDictionary<string, InputContract> Presets { get; } = new Dictionary<string, InputContract>(StringComparer.OrdinalIgnoreCase)
    {
        ["identity"] = Identity,
        ["torchvision"] = Torchvision,
        ["caffe"] = Caffe,
        ["inception"] = Inception,
    };

    /// <summary>The preset called <paramref name="name"/>, or a clear error listing them.</summary>
    public static InputContract Preset(string name) =>
        Presets.TryGetValue(name, out var contract) ? contract
            : throw new LucidArgumentException("contract", $"unknown input contract '{name}' (presets: {string.Join(", ", Presets.Keys)}).");

    /// <summary>The model input of this contract for images of <paramref name="shape"/> (C, H, W).</summary>
    public ModelInput For(int[] shape) => new(shape, Min, Max, Mean, Std, Order);

    /// <summary>The contract of a model input.</summary>
    public static InputContract Of(ModelInput input) => new(input.Min, input.Max, input.Order, input.Mean, input.Std);

    /// <summary>"[0, 255] BGR mean (103.1, 115.9, 123.2) std (1, 1, 1)".</summary>
    public override string ToString()
    {
        static string List(float[] v) => string.Join(", ", v.Select(x => x.ToString("0.###", CultureInfo.InvariantCulture)));
        var text = string.Create(CultureInfo.InvariantCulture, $"[{Min}, {Max}] {Order.ToString().ToUpperInvariant()}");
        return Mean is null ? text : $"{text} mean ({List(Mean)}) std ({List(Std!)})";
    }
}
