using Lucid.Models.Graph;
using Lucid.Models.Onnx;

namespace Lucid.Cli;

/// <summary>
/// The input contract of an imported .onnx file, on every command: <c>--input-size HxW</c> (required for dynamic
/// axes), <c>--contract torchvision|caffe|inception|identity</c>, or its parts <c>--range MIN,MAX</c>, <c>--bgr</c>,
/// <c>--mean A,B,C</c>, <c>--std A,B,C</c> (in the network's channel order and range; they override the preset's).
/// </summary>
internal static class ModelOptions
{
    public static readonly Option<string?> InputSize = new("--input-size") { Description = "Input height×width of an .onnx file (e.g. 224x224): required for dynamic axes.", Recursive = true };
    public static readonly Option<string?> Contract = new("--contract") { Description = "What an .onnx network expects: torchvision, caffe, inception or identity (default).", Recursive = true };
    public static readonly Option<string?> Range = new("--range") { Description = "The .onnx network's pixel range MIN,MAX (e.g. 0,255).", Recursive = true };
    public static readonly Option<bool> Bgr = new("--bgr") { Description = "The .onnx network reads BGR.", Recursive = true };
    public static readonly Option<string?> Mean = new("--mean") { Description = "Per-channel mean in the network's order and range (e.g. 0.485,0.456,0.406).", Recursive = true };
    public static readonly Option<string?> Std = new("--std") { Description = "Per-channel std in the network's order and range.", Recursive = true };

    public static IEnumerable<Option> All => new Option[] { InputSize, Contract, Range, Bgr, Mean, Std };

    /// <summary>The import options the command line gives (null when it gives none).</summary>
    public static OnnxImportOptions? From(Session s)
    {
        (int, int)? size = s.Get(InputSize) is { } text ? ParseSize(text) : null;
        InputContract? contract = s.Get(Contract) is { } name ? InputContract.Preset(name) : null;
        if (s.Get(Range) is { } range)
        {
            var r = Floats(range, "range");
            if (r.Length != 2) throw new LucidArgumentException("range", $"--range expects MIN,MAX (e.g. 0,255), got '{range}'.");
            contract = (contract ?? InputContract.Identity) with { Min = r[0], Max = r[1] };
        }
        if (s.Get(Bgr)) contract = (contract ?? InputContract.Identity) with { Order = ChannelOrder.Bgr };
        var mean = s.Get(Mean) is { } m ? Floats(m, "mean") : null;
        var std = s.Get(Std) is { } d ? Floats(d, "std") : null;
        if (mean is not null || std is not null)
        {
            var baseContract = contract ?? InputContract.Identity;
            mean ??= baseContract.Mean ?? new float[std!.Length];
            std ??= baseContract.Std ?? Enumerable.Repeat(1f, mean.Length).ToArray();
            if (mean.Length != std.Length)
                throw new LucidArgumentException("mean", $"--mean has {mean.Length} values and --std {std.Length}; give one per input channel.");
            contract = baseContract with { Mean = mean, Std = std };
        }
        return size is null && contract is null ? null : new OnnxImportOptions { InputSize = size, Contract = contract };
    }

    private static (int, int) ParseSize(string text)
    {
        var parts = text.Split('x', 'X', '×');
        if (parts.Length == 1) parts = new[] { parts[0], parts[0] };
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int h)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int w) || h < 1 || w < 1)
            throw new LucidArgumentException("input-size", $"--input-size expects HEIGHTxWIDTH with positive integers (e.g. 224x224), got '{text}'.");
        return (h, w);
    }

    private static float[] Floats(string text, string option)
    {
        var parts = text.Split(',');
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
                throw new LucidArgumentException(option, $"--{option} expects comma-separated numbers, got '{text}'.");
        return values;
    }
}
