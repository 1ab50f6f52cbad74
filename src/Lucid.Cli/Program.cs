using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Lucid;
using Lucid.Cli;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Models.Training;
using Lucid.Tensors.Kernels;

var root = new RootCommand("lucid — feature visualization and attribution for .NET models.");
var threadsOption = new Option<int?>("--threads") { Description = "Kernel threads (default: all cores).", Recursive = true };
root.Options.Add(threadsOption);

// lucid train <model>
var trainModel = new Argument<string>("model") { Description = "Bundled model to reproduce (fashion-cnn)." };
var epochsOption = new Option<int>("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 10 };
var seedOption = new Option<ulong>("--seed") { Description = "Seed for initialization and shuffling.", DefaultValueFactory = _ => 1 };
var dataOption = new Option<string>("--data") { Description = "Dataset directory.", DefaultValueFactory = _ => FashionMnist.DebianDirectory };
var outOption = new Option<string?>("--out", "-o") { Description = "Output directory (default: the bundled model's directory)." };
var train = new Command("train", "Train a bundled model from scratch with its recorded recipe.") { trainModel, epochsOption, seedOption, dataOption, outOption };
train.SetAction(parse => Run(parse, () =>
{
    string name = parse.GetValue(trainModel)!;
    var model = BundledModels.Architecture(name)(parse.GetValue(seedOption));
    string dataDir = parse.GetValue(dataOption)!;
    // the recipes: Fashion-MNIST from Debian; synthetic scenes generated from fixed seeds (train 1, test 2)
    var (trainSet, testSet) = name == "inception-mini"
        ? (SyntheticScenes.Generate(20000, seed: 1), SyntheticScenes.Generate(2000, seed: 2))
        : (FashionMnist.Train(dataDir), FashionMnist.Test(dataDir));
    string outDir = parse.GetValue(outOption) ?? BundledModels.Directory(name);
    var options = new TrainingOptions { Epochs = parse.GetValue(epochsOption), BatchSize = 64, LearningRate = 2e-3f, WeightDecay = 1e-4f, WarmupSteps = 200, Seed = parse.GetValue(seedOption) };
    var clock = Stopwatch.StartNew();
    var progress = new Progress<TrainingProgress>(p => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"epoch {p.Epoch}/{options.Epochs}  loss {p.Loss:F4}  test accuracy {p.TestAccuracy:P2}  ({clock.Elapsed.TotalSeconds:F0} s)")));
    var history = Trainer.Fit(model, trainSet, testSet, options, progress);
    Directory.CreateDirectory(outDir);
    model.SaveWeights(Path.Combine(outDir, $"{name}.safetensors"));
    ModelSchema.From(model).Save(Path.Combine(outDir, $"{name}.schema.json"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name}: test accuracy {history[^1].TestAccuracy:P2} after {options.Epochs} epochs in {clock.Elapsed.TotalMinutes:F1} min; wrote {outDir}"));
}));
root.Subcommands.Add(train);

// lucid schema <model> -o file
var schemaModel = new Argument<string>("model") { Description = "Bundled model name or an .onnx file." };
var schemaOut = new Option<string?>("--out", "-o") { Description = "Where to write the schema (default: stdout)." };
var schema = new Command("schema", "Write the schema (taps, shapes, labels) the DSL generator reads.") { schemaModel, schemaOut };
schema.SetAction(parse => Run(parse, () =>
{
    var model = BundledModels.Resolve(parse.GetValue(schemaModel)!, withWeights: false);
    var s = ModelSchema.From(model);
    if (parse.GetValue(schemaOut) is { } path) s.Save(path);
    else Console.Write(s.ToJson());
}));
root.Subcommands.Add(schema);

// lucid inspect <model>
var inspectModel = new Argument<string>("model") { Description = "Bundled model name or an .onnx file." };
var inspect = new Command("inspect", "List a model's taps with kinds, shapes and parameter counts, and its labels.") { inspectModel };
inspect.SetAction(parse => Run(parse, () =>
{
    var model = BundledModels.Resolve(parse.GetValue(inspectModel)!, withWeights: true);
    Console.WriteLine($"{model.Name}: input [{string.Join(", ", model.Input.Shape)}] in [{model.Input.Min}, {model.Input.Max}]");
    foreach (var node in model.Nodes)
    {
        long parameters = node.Layer.Parameters.Sum(p => (long)p.Value.Count);
        Console.WriteLine($"  {node.Name,-18} {node.Layer.Kind,-18} [{string.Join(", ", node.OutputShape)}]{(parameters > 0 ? $"  {parameters:N0} parameters" : "")}");
    }
    Console.WriteLine($"labels: {string.Join(", ", model.Labels)}");
}));
root.Subcommands.Add(inspect);

// lucid evaluate <model>
var evaluateModel = new Argument<string>("model") { Description = "Bundled model (inception-mini)." };
var scenesOption = new Option<int>("--scenes") { Description = "Synthetic test scenes to score.", DefaultValueFactory = _ => 50 };
var evaluateOut = new Option<string?>("--out", "-o") { Description = "Write the table as Markdown to this file." };
var evaluate = new Command("evaluate", "Score every attribution method on synthetic test scenes (pointing game, mask mass, deletion/insertion AUC).") { evaluateModel, scenesOption, evaluateOut };
evaluate.SetAction(parse => Run(parse, () =>
{
    string name = parse.GetValue(evaluateModel)!;
    var model = BundledModels.Load(name);
    int scenes = parse.GetValue(scenesOption);
    var clock = Stopwatch.StartNew();
    var randomized = BundledModels.Architecture(name)(12345); // same architecture, re-initialized weights
    var rows = Lucid.Attribution.EvaluationTable.Run(model, randomized, scenes, seed: 2, camLayer: model.Taps.Contains("mixed4b") ? "mixed4b" : null,
        new Progress<string>(m => Console.Error.WriteLine($"  {m} ({clock.Elapsed.TotalSeconds:F0} s)")));
    var table = Lucid.Attribution.EvaluationTable.Markdown(rows, name, scenes);
    Console.Write(table);
    if (parse.GetValue(evaluateOut) is { } path) Lucid.Tensors.AtomicFile.Write(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(table)));
}));
root.Subcommands.Add(evaluate);

// lucid blocks <model> (--image f.png | --scene i) -o report/
var blocksModel = new Argument<string>("model") { Description = "Bundled model name or an .onnx file." };
var blocksImage = new Option<string?>("--image") { Description = "Input PNG (resized to the model's input)." };
var blocksScene = new Option<int?>("--scene") { Description = "Use a two-object synthetic scene i instead (inception-mini)." };
var blocksTap = new Option<string>("--tap") { Description = "Layer to factorize (non-negative, spatial).", DefaultValueFactory = _ => "mixed4a" };
var blocksFrom = new Option<string>("--from") { Description = "Earlier layer for the spatial attribution into --tap.", DefaultValueFactory = _ => "mixed3b" };
var blocksGroups = new Option<int>("--groups") { Description = "Neuron groups (NMF components).", DefaultValueFactory = _ => 4 };
var blocksOut = new Option<string>("--out", "-o") { Description = "Report directory.", Required = true };
var blocks = new Command("blocks", "Building Blocks interfaces for one image as SVG: neuron groups (icons and spatial maps) the activation grid, the semantic dictionary (top channels per position, spatial attribution to the predicted class), channel attribution, spatial attribution and group-to-group attribution between two layers, and an interactive index.html.")
    { blocksModel, blocksImage, blocksScene, blocksTap, blocksFrom, blocksGroups, blocksOut };
blocks.SetAction(parse => Run(parse, () =>
{
    var model = BundledModels.Resolve(parse.GetValue(blocksModel)!, withWeights: true);
    // a synthetic scene with two objects (classes i and i + 5), or the given image
    using var input = parse.GetValue(blocksScene) is { } scene && parse.GetValue(blocksImage) is null
        ? Lucid.Tensors.Tensor.FromArray(SyntheticScenes.Render(9, scene, new[] { scene % 10, (scene + 5) % 10 }).Pixels, 1, 3, SyntheticScenes.Size, SyntheticScenes.Size)
        : AttributeCommand.LoadInput(model, parse.GetValue(blocksImage), parse.GetValue(blocksScene));
    var (title, parts) = Lucid.Interfaces.BuildingBlocksReport.Build(model, input, parse.GetValue(blocksTap)!, parse.GetValue(blocksFrom)!, parse.GetValue(blocksGroups));
    var page = Lucid.Interfaces.BuildingBlocksReport.Write(title, parts, parse.GetValue(blocksOut)!);
    foreach (var part in parts) Console.WriteLine($"{part.Summary}: {part.File}");
    Console.WriteLine($"interactive report (self-contained; point at a cell for its data): {page}");
}));
root.Subcommands.Add(blocks);

// lucid quality <model>
var qualityModel = new Argument<string>("model") { Description = "Bundled model trained on the synthetic scenes (inception-mini)." };
var qualitySeeds = new Option<int>("--seeds") { Description = "Renders per class and method.", DefaultValueFactory = _ => 3 };
var qualityOut = new Option<string?>("--out", "-o") { Description = "Write the table as Markdown to this file." };
var quality = new Command("quality", "Render every class Lucid-style, with MACO and with VITAL, and score the renders (activation ratio, self-classification, held-out feature distance, spectrum, repetition, Vendi).")
    { qualityModel, qualitySeeds, qualityOut };
quality.SetAction(parse => Run(parse, () =>
{
    string name = parse.GetValue(qualityModel)!;
    var model = BundledModels.Load(name);
    var settings = new Lucid.Optvis.QualitySettings { Seeds = parse.GetValue(qualitySeeds) };
    var clock = Stopwatch.StartNew();
    var rows = Lucid.Optvis.QualityTable.Run(model, settings, new Progress<string>(m => Console.Error.WriteLine($"  {m} ({clock.Elapsed.TotalSeconds:F0} s)")));
    var table = Lucid.Optvis.QualityTable.ToMarkdown(rows, settings, name);
    Console.Write(table);
    if (parse.GetValue(qualityOut) is { } path) Lucid.Tensors.AtomicFile.Write(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(table)));
}));
root.Subcommands.Add(quality);

// lucid attribute <model> --method m (--image file.png | --scene i) [--class label] -o heatmap.png
var attributeModel = new Argument<string>("model") { Description = "Bundled model name or an .onnx file." };
var methodOption = new Option<string>("--method", "-m") { Description = "Attribution method (e.g. lrp-epsilon-plus-flat, integrated-gradients, deeplift, grad-cam).", DefaultValueFactory = _ => "lrp-epsilon-plus-flat" };
var imageOption = new Option<string?>("--image") { Description = "Input PNG (resized to the model's input)." };
var sceneOption = new Option<int?>("--scene") { Description = "Render synthetic test scene i instead (inception-mini)." };
var classOption = new Option<string?>("--class") { Description = "Class label or index to explain (default: the predicted class)." };
var layerOption = new Option<string?>("--cam-layer") { Description = "Tap for Grad-CAM methods (default: the last spatial tap)." };
var overlayOption = new Option<bool>("--overlay") { Description = "Blend the heatmap over the input instead of the bare map." };
var attributeOut = new Option<string>("--out", "-o") { Description = "Heatmap PNG to write.", Required = true };
var attribute = new Command("attribute", "Explain one image with an attribution method and write a signed heatmap PNG.")
    { attributeModel, methodOption, imageOption, sceneOption, classOption, layerOption, overlayOption, attributeOut };
attribute.SetAction(parse => Run(parse, () =>
{
    var model = BundledModels.Resolve(parse.GetValue(attributeModel)!, withWeights: true);
    var input = AttributeCommand.LoadInput(model, parse.GetValue(imageOption), parse.GetValue(sceneOption));
    var (target, label) = AttributeCommand.Target(model, input, parse.GetValue(classOption));
    string? camLayer = parse.GetValue(layerOption) ?? model.Nodes.LastOrDefault(n => n.OutputShape.Length == 3 && n.Layer.Kind == "relu")?.Name;
    var method = Lucid.Attribution.AttributionMethods.Get(parse.GetValue(methodOption)!, camLayer);
    var clock = Stopwatch.StartNew();
    using var map = method.Attribute(model, input, target);
    var heatmap = Lucid.Imaging.Heatmap.Render(map);
    var image = parse.GetValue(overlayOption)
        ? Lucid.Imaging.Heatmap.Overlay(Lucid.Imaging.Image.FromTensor(input, model.Input.Min, model.Input.Max), heatmap)
        : heatmap;
    string path = parse.GetValue(attributeOut)!;
    image.SavePng(path);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{method.DisplayName} for class '{label}' on {model.Name}: Σ attribution {map.Data.ToArray().Sum(v => (double)v):G4} in {clock.Elapsed.TotalMilliseconds:F0} ms; wrote {path}"));
}));
root.Subcommands.Add(attribute);

// lucid render <model> (--channel tap:c | --class label) -o image.png
var renderModel = new Argument<string>("model") { Description = "Bundled model name or an .onnx file." };
var channelOption = new Option<string?>("--channel") { Description = "Visualize a channel: tap:index (e.g. mixed4a:7)." };
var renderClass = new Option<string?>("--class") { Description = "Visualize a class (its log-probability)." };
var stepsOption = new Option<int?>("--steps") { Description = "Optimization steps (default: 512; 256 for models under 128 px)." };
var sizeOption = new Option<int?>("--size") { Description = "Image size (default: the model's input size)." };
var lrOption = new Option<float?>("--lr") { Description = "Adam learning rate (default: Lucid's 0.05; 0.2 with roll jitter for models under 128 px)." };
var renderSeed = new Option<ulong>("--seed") { Description = "Seed of the image and the transforms.", DefaultValueFactory = _ => 0 };
var renderOut = new Option<string>("--out", "-o") { Description = "PNG to write.", Required = true };
var methodRender = new Option<string>("--method") { Description = "lucid (Fourier, decorrelated, Lucid's transforms), maco (phase only) or vital (class distributions; inception-mini).", DefaultValueFactory = _ => "lucid" };
var render = new Command("render", "Feature visualization: optimize an image for a channel or a class (Lucid-style, MACO or VITAL).")
    { renderModel, channelOption, renderClass, stepsOption, sizeOption, lrOption, renderSeed, renderOut, methodRender };
render.SetAction(parse => Run(parse, () =>
{
    var model = BundledModels.Resolve(parse.GetValue(renderModel)!, withWeights: true);
    var objective = RenderCommand.Objective(parse.GetValue(channelOption), parse.GetValue(renderClass));
    int size = parse.GetValue(sizeOption) ?? model.Input.Shape[^1];
    var clock = Stopwatch.StartNew();
    var result = RenderCommand.Render(model, objective, parse.GetValue(methodRender)!, parse.GetValue(renderClass), parse.GetValue(channelOption), size,
        parse.GetValue(stepsOption), parse.GetValue(lrOption), parse.GetValue(renderSeed));
    string path = parse.GetValue(renderOut)!;
    Lucid.Imaging.Image.FromTensor(result.Image).SavePng(path);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{(parse.GetValue(methodRender) == "vital" ? $"VITAL sort-matching [{parse.GetValue(renderClass) ?? parse.GetValue(channelOption)}]" : objective.Description)}: {result.ObjectivePerStep[0]:G4} → {result.ObjectivePerStep[^1]:G4} in {result.ObjectivePerStep.Length} steps ({clock.Elapsed.TotalMilliseconds / result.ObjectivePerStep.Length:F1} ms/step); wrote {path}"));
}));
root.Subcommands.Add(render);

return root.Parse(args).Invoke();

static int Run(ParseResult parse, Action action)
{
    if (parse.GetValue<int?>("--threads") is { } threads) ParallelKernels.Threads = threads;
    try
    {
        action();
        return 0;
    }
    catch (LucidException e)
    {
        Console.Error.WriteLine($"lucid: {e.Message}");
        return 2;
    }
}
