using Lucid.Models.Graph;

namespace Lucid.Models;

/// <summary>
/// Loads a model from the files beside its schema: <c>&lt;stem&gt;.onnx</c> (imported), or <c>&lt;stem&gt;.safetensors</c>
/// for a bundled architecture (<see cref="Zoo"/>). The schema is then checked against what was loaded, so a schema
/// that drifted from its weights fails here, naming the file and the first differing tap.
/// </summary>
public static class ModelFiles
{
    /// <summary>The model whose schema is at <paramref name="schemaPath"/>.</summary>
    public static Model LoadBesideSchema(string schemaPath)
    {
        if (!File.Exists(schemaPath)) throw new ModelFormatException(schemaPath, "model schema file not found.");
        var schema = ModelSchema.Load(schemaPath);
        var directory = Path.GetDirectoryName(Path.GetFullPath(schemaPath))!;
        var stem = Path.GetFileName(schemaPath);
        stem = stem.EndsWith(".schema.json", StringComparison.OrdinalIgnoreCase) ? stem[..^".schema.json".Length] : Path.GetFileNameWithoutExtension(stem);
        var onnx = Path.Combine(directory, stem + ".onnx");
        var weights = Path.Combine(directory, stem + ".safetensors");
        Model model;
        if (File.Exists(onnx))
        {
            // an export is imported with the contract and size its schema states (dynamic axes need the size)
            var input = schema.Input.ToModelInput(schema.Name, schemaPath);
            model = Onnx.OnnxImporter.Import(onnx, new Onnx.OnnxImportOptions
            {
                Name = schema.Name,
                InputSize = input.Shape.Length == 3 ? (input.Shape[1], input.Shape[2]) : null,
                Contract = InputContract.Of(input),
                Labels = schema.Labels.Length > 0 ? schema.Labels : null,
            });
        }
        else if (schema.Name == ResNet18.Name) model = ResNet18.Load(schema.Input.Shape[^1]);
        else if (Zoo.Architectures.TryGetValue(schema.Name, out var architecture) && File.Exists(weights))
        {
            model = architecture(0);
            model.LoadWeights(weights);
        }
        else
            throw new ModelFormatException(schemaPath, $"no weights beside the schema of '{schema.Name}': expected '{stem}.onnx', or '{stem}.safetensors' " +
                $"for a bundled architecture ({string.Join(", ", Zoo.Architectures.Keys)}).");
        schema.Verify(model, schemaPath);
        return model;
    }

    /// <summary>
    /// Finds <paramref name="relativePath"/> (as written in a <c>[LucidModel]</c> attribute, relative to the project)
    /// under the application directory, the working directory or one of their parents.
    /// </summary>
    public static string Find(string relativePath)
    {
        if (Path.IsPathRooted(relativePath)) return relativePath;
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relativePath);
                if (File.Exists(candidate)) return candidate;
            }
        throw new ModelFormatException(relativePath, $"model schema not found under '{AppContext.BaseDirectory}', '{Directory.GetCurrentDirectory()}' or their parents.");
    }
}
