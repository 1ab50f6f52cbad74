using Lucid.Dsl;
using Lucid.Interfaces;
using Lucid.Interfaces.Figures;
using Lucid.Models.Data;
using Lucid.Tensors;

// The Building Blocks of Interpretability on the bundled inception-mini: one scene with a striped cross and a
// checkered star, explained at mixed4a (with mixed3b as the earlier layer). The layout is declared below; the
// generator checks its taps, classes and counts against the model's schema and compiles it into Parts/Layout/Write.
var model = InceptionMini.Load();
int[] classes = [(int)InceptionMini.Label.StripedCross, (int)InceptionMini.Label.CheckeredStar];
var scene = SyntheticScenes.Render(seed: 9, index: 4, classes);
using var image = Tensor.FromArray(scene.Pixels, 1, 3, SyntheticScenes.Size, SyntheticScenes.Size);

var page = BuildingBlocks.Write(model, image, "out", page: "building-blocks.html");

// An activation atlas of mixed4a over 400 one-object scenes: t-SNE of sampled activation vectors, binned into a grid.
var scenes = Enumerable.Range(0, 400).Select(i => SyntheticScenes.Render(seed: 21, index: i, [i % 10])).ToArray();
using var many = Tensor.FromArray(scenes.SelectMany(s => s.Pixels).ToArray(), scenes.Length, 3, SyntheticScenes.Size, SyntheticScenes.Size);
var atlas = ActivationAtlas.Of(model, many, InceptionMini.Taps.Mixed4a.Name, samplesPerImage: 2, grid: 8);
var atlasFigure = atlas.ToFigure(model, samples => "scenes: " + string.Join(", ", samples.GroupBy(s => SyntheticScenes.ClassNames[s.Image % 10])
    .OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}")));
Svg.Save(atlasFigure, "out/activation-atlas.svg");
FigurePng.Save(atlasFigure, "out/activation-atlas.png");
foreach (var file in Directory.GetFiles("out").Order()) Console.WriteLine(file);
Console.WriteLine($"open {page} and point at any cell");

[LucidModel("models/inception-mini/inception-mini.schema.json")]
static partial class InceptionMini;

[Interface(typeof(InceptionMini), Title = "Building Blocks of inception-mini: a striped cross and a checkered star")]
[NeuronGroupsPanel("mixed4a", Groups = 4, Row = 0), GroupFlowPanel("mixed3b", "mixed4a", Groups = 4, Row = 0)]
[ActivationGridPanel("mixed4a", Row = 1), SemanticDictionaryPanel("mixed4a", Row = 1)]   // the predicted class
[ChannelAttributionPanel("mixed4a", Class = "striped cross", Row = 2), SpatialAttributionPanel("mixed3b", "mixed4a", Row = 2)]
partial class BuildingBlocks;
