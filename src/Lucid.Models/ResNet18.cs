using System.Reflection;
using Lucid.Models.Graph;
using Lucid.Models.Onnx;

namespace Lucid.Models;

/// <summary>
/// ML.NET's ImageNet ResNet-18 (NuGet <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.23.1, MIT): a CNTK export up to
/// the global average pool (no classifier, so no labels), stages of [2, 2, 2, 3] basic blocks. Restored by NuGet into
/// the package cache; imported with its input contract (BGR in [0, 255] minus the per-channel means of the package's
/// <c>ResNetPreprocess.onnx</c>) and torchvision's tap names. The card: <c>models/resnet18/README.md</c>.
/// </summary>
public static class ResNet18
{
    public const string Name = "resnet18";
    public const string Package = "Microsoft.ML.DnnImageFeaturizer.ResNet18";
    public const string PackageVersion = "0.23.1";
    private const string RelativeFile = "tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx";

    /// <summary>BGR in [0, 255] minus the per-channel means of the package's preprocessing mean image.</summary>
    public static InputContract Contract { get; } = new(0f, 255f, ChannelOrder.Bgr, new[] { 103.0626f, 115.9029f, 123.1516f }, new[] { 1f, 1f, 1f });

    /// <summary>Blocks per stage (layer1 … layer4).</summary>
    public static IReadOnlyList<int> Blocks { get; } = new[] { 2, 2, 2, 3 };

    /// <summary>
    /// The network at 224² (its training size) or another size ≥ 224 (its last 7×7 average pool needs a 7×7 map),
    /// with a 96² preview up to layer4.2 for feature-visualization icons (<see cref="Model.Preview"/>).
    /// </summary>
    public static Model Load(int size = 224, bool preview = true)
    {
        if (size < 224)
            throw new LucidArgumentException("size", $"resnet18: the input size must be at least 224 (its 7×7 average pool needs layer4 at 7×7 or more), got {size}; Backbone(size) runs smaller sizes up to layer4.2.");
        var file = FindFile();
        // one session: the preview's layers read the very same weight tensors
        var session = Onnx.OnnxSession.Load(file);
        var model = OnnxImporter.ToModel(session, Options(size) with { Name = Name });
        if (preview) model.Preview = OnnxImporter.ToModel(session, Options(PreviewSize) with { Name = Name, Until = "layer4.2" });
        return model;
    }

    /// <summary>The network up to layer4.2 (no average pool) at any size from 32 up: a fully convolutional backbone.</summary>
    public static Model Backbone(int size) =>
        size >= 32 ? OnnxImporter.Import(FindFile(), Options(size) with { Until = "layer4.2" })
            : throw new LucidArgumentException("size", $"resnet18: the backbone needs an input of at least 32×32, got {size}.");

    /// <summary>The input size of the icon preview.</summary>
    public const int PreviewSize = 96;

    private static OnnxImportOptions Options(int size) => new()
    {
        Name = Name,
        Labels = Array.Empty<string>(),
        Contract = Contract,
        InputSize = size == 224 ? null : (size, size),
        TapNames = TapNames,
    };

    /// <summary>
    /// The ONNX file: <c>LUCID_RESNET18_ONNX</c>, beside the application (the package's build props copy it there),
    /// or in the NuGet package cache (<c>NUGET_PACKAGES</c>, ~/.nuget/packages, or the cache this library was built with).
    /// </summary>
    public static string FindFile()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("LUCID_RESNET18_ONNX") is { Length: > 0 } explicitPath) candidates.Add(explicitPath);
        candidates.Add(Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"));
        foreach (var root in PackageRoots())
            candidates.Add(Path.Combine(root, Package.ToLowerInvariant(), PackageVersion, RelativeFile));
        foreach (var c in candidates)
            if (File.Exists(c)) return c;
        throw new ModelFormatException(candidates[^1],
            $"model '{Name}' comes from the NuGet package {Package} {PackageVersion}, which is not restored here: add " +
            $"<PackageDownload Include=\"{Package}\" Version=\"[{PackageVersion}]\" /> (or a PackageReference) to your project and run 'dotnet restore', " +
            $"or set LUCID_RESNET18_ONNX to the file. Looked in: {string.Join("; ", candidates)}.");
    }

    private static IEnumerable<string> PackageRoots()
    {
        if (Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } env) yield return env;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0) yield return Path.Combine(home, ".nuget", "packages");
        var built = typeof(ResNet18).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "NuGetPackageRoot")?.Value;
        if (!string.IsNullOrEmpty(built)) yield return built;
    }

    /// <summary>
    /// torchvision's names for the network's values (ONNX value → tap): conv1, bn1, relu, maxpool; per block
    /// layerS.B.conv1, .bn1, .relu1 (the inner ReLU), .conv2, .bn2, .downsample.0/.1 (first block of layer2–4), .add
    /// (the residual sum, the block's pre-activation) and layerS.B (its output after the ReLU); avgpool. The CNTK file
    /// numbers its values in execution order, which this walk follows.
    /// </summary>
    public static IReadOnlyDictionary<string, string> TapNames { get; } = BuildTapNames();

    private static Dictionary<string, string> BuildTapNames()
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        int number = 249;                          // Convolution249: the stem convolution
        string Next(string op) { var v = $"{op}{number}_Output_0"; number += 2; return v; }
        names[Next("Convolution")] = "conv1";
        names[Next("BatchNormalization")] = "bn1";
        names[Next("ReLU")] = "relu";
        names[Next("Pooling")] = "maxpool";
        for (int stage = 1; stage <= 4; stage++)
            for (int block = 0; block < Blocks[stage - 1]; block++)
            {
                string b = $"layer{stage}.{block}";
                names[Next("Convolution")] = b + ".conv1";
                names[Next("BatchNormalization")] = b + ".bn1";
                names[Next("ReLU")] = b + ".relu1";
                names[Next("Convolution")] = b + ".conv2";
                names[Next("BatchNormalization")] = b + ".bn2";
                if (stage > 1 && block == 0)
                {
                    names[Next("Convolution")] = b + ".downsample.0";
                    names[Next("BatchNormalization")] = b + ".downsample.1";
                }
                names[Next("Plus")] = b + ".add";
                names[Next("ReLU")] = b;
            }
        names[Next("Pooling")] = "avgpool";
        return names;
    }
}
