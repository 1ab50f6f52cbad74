using Lucid.Tensors;
namespace Lucid.Models.Data;

/// <summary>
/// Fashion-MNIST (Xiao et al., 2017): 60,000 training and 10,000 test 28×28 grayscale images of 10 clothing classes,
/// read from the IDX files of Debian's <c>dataset-fashion-mnist</c> package. Pixels are scaled to [0, 1].
/// </summary>
public static class FashionMnist
{
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    public static readonly IReadOnlyList<string> ClassNames =
        new[] { "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot" };

    /// <summary>True if the dataset files are present in <paramref name="directory"/>.</summary>
    public static bool IsAvailable(string directory = DebianDirectory) =>
        File.Exists(FileFor(directory, "train-images-idx3-ubyte")) && File.Exists(FileFor(directory, "t10k-labels-idx1-ubyte"));

    public static LabeledImages Train(string directory = DebianDirectory) => Load(directory, "train");
    public static LabeledImages Test(string directory = DebianDirectory) => Load(directory, "t10k");

    private static string FileFor(string directory, string stem)
    {
        var plain = Path.Combine(directory, stem);
        return File.Exists(plain) ? plain : plain + ".gz";
    }

    private static LabeledImages Load(string directory, string split)
    {
        var imagesPath = FileFor(directory, $"{split}-images-idx3-ubyte");
        var labelsPath = FileFor(directory, $"{split}-labels-idx1-ubyte");
        if (!File.Exists(imagesPath) || !File.Exists(labelsPath))
            throw new ModelFormatException(imagesPath, $"Fashion-MNIST {split} split not found in '{directory}' (on Debian: apt-get install dataset-fashion-mnist).");
        var images = Idx.Read(imagesPath);
        var labels = Idx.Read(labelsPath);
        if (images.Shape.Length != 3)
            throw new ModelFormatException(imagesPath, $"expected images of shape [N, H, W], got {Shapes.Format(images.Shape)}.");
        if (labels.Shape.Length != 1 || labels.Shape[0] != images.Shape[0])
            throw new ModelFormatException(labelsPath, $"expected {images.Shape[0]} labels, got shape {Shapes.Format(labels.Shape)}.");
        var pixels = new float[images.Data.Length];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = images.Data[i] / 255f;
        var classes = new int[labels.Data.Length];
        for (int i = 0; i < classes.Length; i++)
        {
            classes[i] = labels.Data[i];
            if (classes[i] >= ClassNames.Count)
                throw new ModelFormatException(labelsPath, $"label {classes[i]} at index {i} is not one of the {ClassNames.Count} classes.");
        }
        return new LabeledImages(pixels, classes, 1, images.Shape[1], images.Shape[2], ClassNames);
    }
}
