using System.Globalization;
using Lucid.Attribution;
using Lucid.Imaging;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Cli;

/// <summary>Inputs and targets for <c>lucid attribute</c> (and <c>lucid blocks</c>'s image).</summary>
internal static class AttributionInputs
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
                throw new LucidArgumentException("scene", $"synthetic scenes are {SyntheticScenes.Size}×{SyntheticScenes.Size} RGB; model '{model.Name}' takes {Shapes.Format(shape)}.");
            var rendered = SyntheticScenes.Render(2, index, new[] { index % SyntheticScenes.Classes.Count });
            return Tensor.FromArray(rendered.Pixels, 1, 3, SyntheticScenes.Size, SyntheticScenes.Size);
        }
        if (shape.Length != 3 || shape[0] is not (1 or 3))
            throw new LucidArgumentException("image", $"model '{model.Name}' does not take images (input {Shapes.Format(shape)}).");
        // upright (EXIF), antialiased resize to cover the input, center crop; RGB [0, 1] — the model applies its contract
        var photo = Photo.Prepare(Photo.LoadUpright(imagePath!), shape[1], shape[2]).WithChannels(shape[0]);
        return photo.ToTensor();
    }

    /// <summary>
    /// The target: <paramref name="unit"/> (channel:TAP:C or neuron:TAP:C:Y:X), the requested class (label or index),
    /// the model's prediction, or — for a network without class labels — the strongest channel of its output.
    /// </summary>
    public static (AttributionTarget Target, string Label) Target(Model model, Tensor input, string? requested, string? unit = null)
    {
        if (unit is not null && requested is not null) throw new LucidArgumentException("target", "attribute: give --class or --target, not both.");
        // --target also takes a class label or index (its meaning before units existed)
        if (unit is not null && !unit.StartsWith("channel:", StringComparison.Ordinal) && !unit.StartsWith("neuron:", StringComparison.Ordinal) && unit.Count(ch => ch == ':') == 0)
            (requested, unit) = (unit, null);
        if (unit is not null) return (ParseUnit(model, unit), unit);
        if (requested is not null && model.Labels.Count == 0)
            throw new LucidArgumentException("class", $"model '{model.Name}' has no class labels (it ends at '{model.OutputTap}'); explain a unit instead: --target channel:TAP:C or neuron:TAP:C:Y:X.");
        if (model.Labels.Count == 0)
        {
            int strongest = StrongestChannel(model, input, model.OutputTap);
            return (AttributionTarget.Channel(model.OutputTap, strongest), Invariant($"channel:{model.OutputTap}:{strongest}"));
        }
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
        int best = Ops.ArgMax(logits);
        return (AttributionTarget.Class(best), best < model.Labels.Count ? model.Labels[best] : best.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>channel:TAP:C or neuron:TAP:C:Y:X, checked against the model.</summary>
    public static AttributionTarget ParseUnit(Model model, string text)
    {
        var parts = text.Split(':');
        int[] numbers = parts.Skip(2).Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1).ToArray();
        bool channel = parts.Length == 3 && parts[0] == "channel", neuron = parts.Length == 5 && parts[0] == "neuron";
        if (!(channel || neuron) || numbers.Any(n => n < 0))
            throw new LucidArgumentException("target", $"--target expects channel:TAP:C or neuron:TAP:C:Y:X (e.g. channel:layer4.2:17), got '{text}'.");
        var shape = model[parts[1]].OutputShape;
        if (numbers[0] >= shape[0])
            throw new LucidArgumentException("target", $"--target: tap '{parts[1]}' of model '{model.Name}' has {shape[0]} channels (valid: 0 to {shape[0] - 1}), got {numbers[0]}.");
        if (neuron && (shape.Length != 3 || numbers[1] >= shape[1] || numbers[2] >= shape[2]))
            throw new LucidArgumentException("target", $"--target: position ({numbers[1]}, {numbers[2]}) is outside tap '{parts[1]}' of shape {Shapes.Format(shape)}.");
        return neuron ? AttributionTarget.Neuron(parts[1], numbers[0], numbers[1], numbers[2]) : AttributionTarget.Channel(parts[1], numbers[0]);
    }

    /// <summary>The channel of <paramref name="tap"/> with the largest mean activation on the image.</summary>
    public static int StrongestChannel(Model model, Tensor input, string tap)
    {
        var means = model.ChannelMeans(input, tap)[0];
        return Ops.ArgMax(means);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
