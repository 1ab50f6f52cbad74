using Lucid.Models;
using Lucid.Models.Graph;
using Lucid.Models.Onnx;

namespace Lucid.Cli;

/// <summary>Finds the bundled models: <c>models/&lt;name&gt;/</c> next to the tool or in a parent of the working directory.</summary>
internal static class BundledModels
{
    public static IReadOnlyDictionary<string, Func<ulong, Model>> Architectures => Zoo.Architectures;

    /// <summary>The bundled two-object scene of <c>--demo</c> (a striped cross and a checkered star).</summary>
    public static string DemoScene => Path.Combine(Directory("inception-mini"), "demo-scene.png");

    /// <summary>The bundled photo of <c>--demo</c> (darknet's dog.jpg: a dog, a bicycle and a car; MIT).</summary>
    public static string DemoPhoto => Path.Combine(Directory(ResNet18.Name), "demo-photo.jpg");

    public static string Directory(string name)
    {
        foreach (var start in new[] { System.IO.Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "models", name);
                if (System.IO.Directory.Exists(candidate)) return candidate;
            }
        }
        return Path.Combine(System.IO.Directory.GetCurrentDirectory(), "models", name);
    }

    public static Func<ulong, Model> Architecture(string name) =>
        Architectures.TryGetValue(name, out var make)
            ? make
            : throw new ModelException($"'{name}' is not a bundled model (bundled: {string.Join(", ", Names)}; or give an .onnx file).");

    /// <summary>Every model name the tool knows: the bundled ones and the NuGet-restored resnet18.</summary>
    public static IEnumerable<string> Names => Architectures.Keys.Append(ResNet18.Name);

    /// <summary>
    /// An ONNX file (imported with <paramref name="import"/>: contract, input size), resnet18 (restored by NuGet), or
    /// the name of a bundled model (architecture only when <paramref name="withWeights"/> is false).
    /// </summary>
    public static Model Resolve(string nameOrPath, bool withWeights, OnnxImportOptions? import = null)
    {
        if (nameOrPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(nameOrPath)) throw new ModelFormatException(nameOrPath, "ONNX file not found.");
            return OnnxImporter.Import(nameOrPath, import ?? new OnnxImportOptions());
        }
        if (import is { InputSize: not null } or { Contract: not null })
            throw new LucidArgumentException("contract", $"--input-size and the input contract options apply to .onnx files; '{nameOrPath}' brings its own.");
        if (nameOrPath == ResNet18.Name) return ResNet18.Load();
        return withWeights ? Load(nameOrPath) : Architecture(nameOrPath)(0);
    }

    /// <summary>The bundled model with its trained weights.</summary>
    public static Model Load(string name)
    {
        _ = Architecture(name);
        return ModelFiles.LoadBesideSchema(Path.Combine(Directory(name), $"{name}.schema.json"));
    }
}
