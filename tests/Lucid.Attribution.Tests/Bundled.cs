using Lucid.Models;
using Lucid.Models.Graph;

namespace Lucid.Attribution.Tests;

/// <summary>The bundled, trained models the attribution tests explain.</summary>
internal static class Bundled
{
    /// <summary>inception-mini with its trained weights (models/inception-mini above the test binaries).</summary>
    public static Model InceptionMini()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Lucid.Dsl.sln"))) root = Path.GetDirectoryName(root)!;
        var model = Zoo.InceptionMini();
        model.LoadWeights(Path.Combine(root, "models", "inception-mini", "inception-mini.safetensors"));
        return model;
    }
}
