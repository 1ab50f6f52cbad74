using Lucid.Models;
using Lucid.Models.Graph;

namespace Lucid.Cli;

/// <summary>Finds the bundled models: <c>models/&lt;name&gt;/</c> next to the tool or in a parent of the working directory.</summary>
internal static class BundledModels
{
    public static IReadOnlyDictionary<string, Func<ulong, Model>> Architectures => Zoo.Architectures;

    /// <summary>The bundled two-object scene of <c>--demo</c> (a striped cross and a checkered star).</summary>
    public static string DemoScene => Path.Combine(Directory("inception-mini"), "demo-scene.png");

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
            : throw new ModelException($"'{name}' is not a bundled model (bundled: {string.Join(", ", Architectures.Keys)}).");

    /// <summary>An ONNX file (imported) or the name of a bundled model (architecture only, no weights needed).</summary>
    public static Model Resolve(string nameOrPath, bool withWeights)
    {
        if (nameOrPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return Lucid.Models.Onnx.OnnxImporter.Import(nameOrPath);
        return withWeights ? Load(nameOrPath) : Architecture(nameOrPath)(0);
    }

    /// <summary>The bundled model with its trained weights.</summary>
    public static Model Load(string name)
    {
        _ = Architecture(name);
        return ModelFiles.LoadBesideSchema(Path.Combine(Directory(name), $"{name}.schema.json"));
    }
}
