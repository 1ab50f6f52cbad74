using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Interfaces;

/// <summary>The argument checks every interface piece makes, with one wording (the piece's name first).</summary>
internal static class InputChecks
{
    /// <summary>Throws unless <paramref name="image"/> is one image [1, C, H, W].</summary>
    public static void OneImage(Tensor image, string what)
    {
        if (image.Rank != 4 || image.Size(0) != 1)
            throw new LucidArgumentException(nameof(image), $"{what}: expected one image [1, C, H, W], got {Shapes.Format(image.Shape)}.");
    }

    /// <summary>The tap's [C, H, W]; throws unless it has positions.</summary>
    public static int[] SpatialShape(Model model, string tap, string what)
    {
        var shape = model[tap].OutputShape;
        if (shape.Length != 3)
            throw new LucidArgumentException(nameof(tap), $"{what}: tap '{tap}' of model '{model.Name}' is not spatial ({Shapes.Format(shape)}).");
        return shape;
    }
}
