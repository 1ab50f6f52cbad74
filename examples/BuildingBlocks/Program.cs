using Lucid.Dsl;
using Lucid.Interfaces;
using Lucid.Models.Data;
using Lucid.Tensors;

// The Building Blocks of Interpretability on the bundled inception-mini: one scene with a striped cross and a
// checkered star, explained at mixed4a (with mixed3b as the earlier layer) by six interfaces and one interactive page.
var model = InceptionMini.Load();
int[] classes = [(int)InceptionMini.Label.StripedCross, (int)InceptionMini.Label.CheckeredStar];
var scene = SyntheticScenes.Render(seed: 9, index: 4, classes);
using var image = Tensor.FromArray(scene.Pixels, 1, 3, SyntheticScenes.Size, SyntheticScenes.Size);

var (title, parts) = BuildingBlocksReport.Build(model, image, tap: InceptionMini.Taps.Mixed4a.Name, from: InceptionMini.Taps.Mixed3b.Name, groups: 4);
var page = BuildingBlocksReport.Write(title, parts, "building-blocks");
foreach (var part in parts) Console.WriteLine($"{part.Summary} → building-blocks/{part.File}");
Console.WriteLine($"open {page} and point at any cell");

[LucidModel("models/inception-mini/inception-mini.schema.json")]
static partial class InceptionMini;
