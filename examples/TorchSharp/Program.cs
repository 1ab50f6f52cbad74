using Lucid.Attribution;
using Lucid.Imaging;
using Lucid.Interfaces;
using Lucid.Models.Data;
using Lucid.Optvis;
using Lucid.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

// A TorchSharp CNN trained on Fashion-MNIST (apt-get install dataset-fashion-mnist) with TorchSharp's own loop, then
// looked into with Lucid: channel renders, LRP and Integrated Gradients on a test image, the Building Blocks page.
// Usage: dotnet run -c Release --project examples/TorchSharp -- [output directory] [training images]
string output = args.Length > 0 ? args[0] : "out/torchsharp";
int limit = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 60_000;
foreach (var line in TorchSharpExample.Run(output, limit)) Console.WriteLine(line);

public static class TorchSharpExample
{
    public static IEnumerable<string> Run(string output, int limit)
    {
        Directory.CreateDirectory(output);
        var (train, test) = (FashionMnist.Train(), FashionMnist.Test());
        torch.manual_seed(1);
        var net = nn.Sequential(
            ("conv1", nn.Conv2d(1, 16, 3, padding: 1)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(16, 32, 3, padding: 1)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
            ("flatten", nn.Flatten()), ("fc1", nn.Linear(32 * 7 * 7, 64)), ("relu3", nn.ReLU()), ("fc2", nn.Linear(64, 10)));

        // one epoch of TorchSharp's own training loop
        var optimizer = optim.Adam(net.parameters(), 2e-3);
        int n = Math.Min(limit, train.Count);
        for (int start = 0; start < n; start += 64)
        {
            using var step = NewDisposeScope();
            int count = Math.Min(64, n - start);
            var x = tensor(train.Pixels.AsSpan(start * 784, count * 784).ToArray(), new long[] { count, 1, 28, 28 });
            var y = tensor(train.Labels.AsSpan(start, count).ToArray().Select(l => (long)l).ToArray());
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(net.call(x), y);
            loss.backward();
            optimizer.step();
        }
        net.eval();

        // the same network in Lucid's engine: module names are its taps
        var options = new TorchModelOptions { Name = "fashion-torchsharp", InputShape = [1, 28, 28], Labels = FashionMnist.ClassNames.ToArray() };
        var model = TorchModels.Import(net, options);
        var predictions = new int[test.Count];
        for (int start = 0; start < test.Count; start += 1000)
        {
            using var batch = Lucid.Tensors.Tensor.FromArray(test.Pixels.AsSpan(start * 784, 1000 * 784), 1000, 1, 28, 28);
            Lucid.Attribution.Robustness.Attacks.Predict(model, batch).CopyTo(predictions, start);
        }
        double accuracy = predictions.Zip(test.Labels, (p, l) => p == l ? 1.0 : 0.0).Average();
        yield return $"trained on {n} images; test accuracy in Lucid's engine {accuracy:P1}";

        // what four channels of conv2 respond to
        var renders = Recipes.Channels(model, "conv2", [0, 1, 2, 3], 28, RenderOptions.ForSmallInput(28) with { Steps = 256 }, seed: 1);
        ImageGrid.FromBatch(renders.Image, ["conv2:0", "conv2:1", "conv2:2", "conv2:3"], scale: 4).SavePng(Path.Combine(output, "conv2-channels.png"));

        // why the first test image is what the network says it is: LRP (Zennit's EpsilonPlusFlat) and Integrated Gradients
        using var first = Lucid.Tensors.Tensor.FromArray(test.Pixels.AsSpan(0, 784), 1, 1, 28, 28);
        var target = AttributionTarget.Class(predictions[0]);
        var lrp = LrpComposites.For(LrpComposite.EpsilonPlusFlat, model).Attribute(model, first, target);
        var ig = GradientAttribution.IntegratedGradients(model, first, target, steps: 64);
        var photo = Image.FromTensor(first);
        ImageGrid.Compose([photo, Heatmap.Overlay(photo, Heatmap.Render(lrp.Attribution)), Heatmap.Overlay(photo, Heatmap.Render(ig.Attribution))],
            ["input", "LRP", "IG"], columns: 3, scale: 4).SavePng(Path.Combine(output, "explanations.png"));
        yield return $"test image 0 ({FashionMnist.ClassNames[test.Labels[0]]}): predicted {FashionMnist.ClassNames[predictions[0]]}; " +
                     $"LRP relevance sums to {lrp.Attribution.ToArray().Sum():F3} of f(x) = {lrp.TargetValues[0]:F3}, IG's completeness gap {ig.Delta![0]:E2}";

        // the same LRP and IG with every tensor TorchSharp's, on the module's device (a GPU where libtorch has CUDA)
        var native = TorchModel.Create(net, options);
        var onDevice = TorchTensors.ToTorch(first, native.Device);
        var nativeLrp = TorchAttribution.Lrp(native, onDevice, target, LrpComposite.EpsilonPlusFlat).ToLucid().Attribution.ToArray();
        var nativeIg = TorchAttribution.IntegratedGradients(native, onDevice, target, steps: 64).ToLucid().Attribution.ToArray();
        // the same four channels rendered natively (as Recipes.Channels does): image, transforms, objective, Adam in TorchSharp
        var channels = Objective.Sum(Enumerable.Range(0, 4).Select(c => Objectives.Channel("conv2", c, batch: c)));
        using (var canvas = LucidImage.For(native.View, 28, batch: 4, seed: 1))
        using (var nativeRenders = TorchRender.Render(native, channels, canvas, RenderOptions.ForSmallInput(28) with { Steps = 256 }).ToLucid().Image)
            ImageGrid.FromBatch(nativeRenders, ["conv2:0", "conv2:1", "conv2:2", "conv2:3"], scale: 4).SavePng(Path.Combine(output, "conv2-channels-native.png"));
        static double Apart(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (p, q) => (double)(p - q) * (p - q)).Sum() / b.Sum(q => (double)q * q));
        yield return $"natively in TorchSharp ({native.Device}): LRP {Apart(nativeLrp, lrp.Attribution.ToArray()):E1} and IG {Apart(nativeIg, ig.Attribution.ToArray()):E1} apart from Lucid's engine (relative L2)";

        // the Building Blocks page at relu2 (relu1 the earlier layer): activations after the ReLU, which the page factorizes
        var (title, parts) = BuildingBlocksReport.Build(model, first, "relu2", "relu1");
        yield return "page: " + BuildingBlocksReport.Write(title, parts, output);
    }
}
