using Lucid.Attribution;
using Lucid.Imaging;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Cli;

/// <summary>Inputs and targets for <c>lucid attribute</c>.</summary>
internal static class AttributeCommand
{
    /// <summary>An image file (PNG, JPEG or PGM/PPM) resized (bilinear) to the model's input and mapped to its pixel range, or a synthetic test scene.</summary>
    public static Tensor LoadInput(Model model, string? imagePath, int? scene)
    {
        if ((imagePath is null) == (scene is null))
            throw new LucidArgumentException("image", "give exactly one input: an image file (PNG, JPEG or PGM/PPM) or --scene INDEX.");
        var shape = model.Input.Shape;
        if (scene is { } index)
        {
            if (shape.Length != 3 || shape[0] != 3 || shape[1] != SyntheticScenes.Size || shape[2] != SyntheticScenes.Size)
                throw new LucidArgumentException("scene", $"synthetic scenes are {SyntheticScenes.Size}×{SyntheticScenes.Size} RGB; model '{model.Name}' takes [{string.Join(", ", shape)}].");
            var rendered = SyntheticScenes.Render(2, index, new[] { index % SyntheticScenes.Classes.Count });
            return Tensor.FromArray(rendered.Pixels, 1, 3, SyntheticScenes.Size, SyntheticScenes.Size);
        }
        if (shape.Length != 3 || shape[0] is not (1 or 3))
            throw new LucidArgumentException("image", $"model '{model.Name}' does not take images (input [{string.Join(", ", shape)}]).");
        var image = Image.Load(imagePath!).WithChannels(shape[0]);
        using var pixels = image.ToTensor();
        using var _ = GradMode.NoGrad();
        var resized = Ops.Interpolate(pixels, shape[1], shape[2], InterpolationMode.Bilinear);
        var result = Ops.Add(Ops.Mul(resized, model.Input.Max - model.Input.Min), model.Input.Min);
        resized.Dispose();
        return result;
    }

    /// <summary>The requested class (label or index), or the model's prediction.</summary>
    public static (AttributionTarget Target, string Label) Target(Model model, Tensor input, string? requested)
    {
        if (requested is not null)
        {
            bool isIndex = int.TryParse(requested, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i);
            var target = isIndex ? AttributionTarget.Class(i) : AttributionTarget.Class(requested);
            GradientAttribution.Evaluate(model, input, target);          // an unknown label or index fails here, by name
            return (target, isIndex && i < model.Labels.Count ? model.Labels[i] : requested);
        }
        float[] logits;
        using (GradMode.NoGrad())
        using (Tensor.Scope()) logits = model.Run(input, null, stopAfter: model.OutputTap)[model.OutputTap].ToArray();
        int best = Array.IndexOf(logits, logits.Max());
        return (AttributionTarget.Class(best), best < model.Labels.Count ? model.Labels[best] : best.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
