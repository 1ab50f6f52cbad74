using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Testing;

namespace Lucid.Interfaces.Tests;

/// <summary>The trained bundled model and its two-object test scenes, shared by the interface tests.</summary>
internal static class InceptionMini
{
    private static readonly Lazy<Model> Trained = new(() => ModelFiles.LoadBesideSchema(TestPaths.InceptionMiniSchema));

    public static Model Model => Trained.Value;

    /// <summary>Two-object scene <paramref name="index"/> (scene seed 9) with its objects' masks, and the image [1, 3, 64, 64].</summary>
    public static (Scene Scene, Tensor Image) TwoObjects(int index, int first, int second)
    {
        var scene = SyntheticScenes.Render(9, index, new[] { first, second });
        return (scene, Tensor.FromArray(scene.Pixels, 1, 3, SyntheticScenes.Size, SyntheticScenes.Size));
    }

    /// <summary>The image of <see cref="TwoObjects"/>.</summary>
    public static Tensor Scene(int index, int first, int second) => TwoObjects(index, first, second).Image;
}
