using Lucid.Attribution;
using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Lucid.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Lucid.Reliability.Tests;

/// <summary>
/// One loaded model serving many threads at once: 8 workers share 200 requests (inference, saliency, Integrated
/// Gradients, LRP and Grad-CAM on different scenes and classes), and every answer is bit-identical to the same request
/// made alone. (What is thread-safe, and what is not: docs/errors.md.)
/// </summary>
public class ConcurrencyTests(ITestOutputHelper output)
{
    private static float[] Answer(Lucid.Models.Graph.Model model, int request)
    {
        var scene = SyntheticScenes.Render(5, request, new[] { request % 10 });
        using var scope = Tensor.Scope();
        var image = Tensor.FromArray(scene.Pixels, 1, 3, SyntheticScenes.Size, SyntheticScenes.Size);
        var target = AttributionTarget.Class((request * 7) % 10);
        switch (request % 5)
        {
            case 0:
                using (GradMode.NoGrad()) return model.Forward(image).ToArray();
            case 1:
                return GradientAttribution.Saliency(model, image, target).Attribution.ToArray();
            case 2:
                return GradientAttribution.IntegratedGradients(model, image, target, Baseline.Black, steps: 8).Attribution.ToArray();
            case 3:
                return LrpComposites.For(LrpComposite.EpsilonPlusFlat, model).Attribute(model, image, target).Attribution.ToArray();
            default:
                return ClassActivationMaps.GradCam(model, image, target, "mixed4b").Attribution.ToArray();
        }
    }

    [Fact]
    public void EightWorkers_On200Requests_GiveTheSequentialAnswers()
    {
        var model = ModelFiles.LoadBesideSchema(TestPaths.InceptionMiniSchema);
        const int requests = 200, workers = 8;
        var sequential = Enumerable.Range(0, requests).Select(r => Answer(model, r)).ToArray();
        var concurrent = new float[requests][];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var threads = Enumerable.Range(0, workers).Select(w => new Thread(() =>
        {
            // worker w takes requests w, w + 8, … in a shuffled order, so different kinds overlap
            var mine = Enumerable.Range(0, requests).Where(r => r % workers == w).OrderBy(r => (r * 2654435761u) % 1000).ToList();
            foreach (var r in mine) concurrent[r] = Answer(model, r);
        })).ToList();
        threads.ForEach(t => t.Start());
        Assert.True(threads.All(t => t.Join(TimeSpan.FromSeconds(300))), "workers did not finish in 300 s");
        output.WriteLine($"{requests} requests on {workers} threads in {clock.Elapsed.TotalSeconds:F1} s");
        for (int r = 0; r < requests; r++)
        {
            Assert.NotNull(concurrent[r]);
            Assert.True(sequential[r].AsSpan().SequenceEqual(concurrent[r]), $"request {r} (kind {r % 5}) differs when served concurrently");
        }
    }
}
