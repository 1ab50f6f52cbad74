using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Optvis;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Optvis.Tests;

/// <summary>Cue-conflict images by texture transfer, and the shape-bias bookkeeping.</summary>
public class CueConflictTests
{
    private static readonly Lazy<Model> InceptionMini = new(() => ModelFiles.LoadBesideSchema(Lucid.Testing.TestPaths.InceptionMiniSchema));

    private static Tensor Scene(int k) => Tensor.FromArray(SyntheticScenes.Render(2, k, new[] { k }).Pixels, 1, 3, SyntheticScenes.Size, SyntheticScenes.Size);

    private static IReadOnlyDictionary<string, (string, string)> Cues =>
        SyntheticScenes.Classes.ToDictionary(c => c.Name, c => (c.Shape.ToString(), c.Texture.ToString()));

    /// <summary>Σ over the texture taps of |G(a) − G(b)| / |G(c) − G(b)|, averaged: a's texture distance to b in units of c's.</summary>
    private static double TextureLoss(Model m, IReadOnlyList<string> taps, Tensor a, Tensor b, Tensor c)
    {
        double total = 0;
        foreach (var tap in taps)
        {
            double[] G(Tensor x) => Objectives.Gram(m.Run(x, null)[tap]).ToArray().Select(v => (double)v).ToArray();
            var (ga, gb, gc) = (G(a), G(b), G(c));
            total += ga.Zip(gb, (p, q) => Math.Abs(p - q)).Sum() / gc.Zip(gb, (p, q) => Math.Abs(p - q)).Sum();
        }
        return total / taps.Count;
    }

    /// <summary>‖F(a) − F(b)‖² / ‖F(c) − F(b)‖² at the shape tap.</summary>
    private static double ShapeLoss(Model m, string tap, Tensor a, Tensor b, Tensor c)
    {
        double[] F(Tensor x) => m.Run(x, null)[tap].ToArray().Select(v => (double)v).ToArray();
        var (fa, fb, fc) = (F(a), F(b), F(c));
        return fa.Zip(fb, (p, q) => (p - q) * (p - q)).Sum() / fc.Zip(fb, (p, q) => (p - q) * (p - q)).Sum();
    }

    /// <summary>
    /// On 64² scenes of inception-mini (100 steps), the cue-conflict image lies within half the sources' distance of
    /// each source in its own measure: its Gram matrices within 0.5 of the texture source's (the shape image starts at 1)
    /// and its mixed3b activations within 0.5 of the shape source's (the texture image is at 1). Measured: texture
    /// 0.14–0.23, shape 0.22–0.38 on these pairs. The same call gives the same bits.
    /// </summary>
    [Theory]
    [InlineData(0, 3)]
    [InlineData(2, 9)]
    [InlineData(8, 4)]
    public void TextureTransfer_TakesTheTextureOfOneImage_AndTheShapeOfTheOther(int shapeClass, int textureClass)
    {
        var m = InceptionMini.Value;
        var settings = TextureTransferSettings.InceptionMini with { Steps = 100 };
        using var shape = Scene(shapeClass);
        using var texture = Scene(textureClass);
        using var image = CueConflict.TextureTransfer(m, shape, texture, settings);
        Assert.Equal(shape.Shape.ToArray(), image.Shape.ToArray());
        double textureLoss = TextureLoss(m, settings.TextureTaps, image, texture, shape);
        double shapeLoss = ShapeLoss(m, settings.ShapeTap, image, shape, texture);
        Assert.True(textureLoss <= 0.5, $"Gram distance to the texture source {textureLoss:F3} of the sources' distance");
        Assert.True(shapeLoss <= 0.5, $"mixed3b distance to the shape source {shapeLoss:F3} of the sources' distance");
        using var again = CueConflict.TextureTransfer(m, shape, texture, settings);
        Assert.Equal(image.ToArray(), again.ToArray());
    }

    /// <summary>
    /// Only pairs whose cues point to different classes are drawn (different shape, different texture, no class with
    /// the first's shape and the second's texture); each decision is classified by the predicted class's own cues; the
    /// bias is shape / (shape + texture) inside its Wilson interval.
    /// </summary>
    [Fact]
    public void ShapeBias_DrawsOnlyConflictingPairs_AndCountsEachDecisionByItsCues()
    {
        var m = InceptionMini.Value;
        var cues = Cues;
        var sources = new[] { 0, 1, 2, 3 }.Select(k => (Scene(k), SyntheticScenes.ClassNames[k])).ToList();
        var result = CueConflict.ShapeBias(m, sources, cues, TextureTransferSettings.InceptionMini with { Steps = 5 });
        // circle/stripes, circle/dots, square/checks, square/solid: shapes must differ, textures too, and no class may
        // already be the hybrid — of the 12 ordered pairs, the 8 across circles and squares
        Assert.Equal(8, result.Decisions.Count);
        Assert.Equal(result.Decisions.Count, result.Images.Count);
        foreach (var d in result.Decisions)
        {
            Assert.NotEqual(cues[d.ShapeSource].Item1, cues[d.TextureSource].Item1);
            Assert.Equal(cues[d.Predicted].Item1 == cues[d.ShapeSource].Item1, d.FollowsShape);
            Assert.Equal(cues[d.Predicted].Item2 == cues[d.TextureSource].Item2, d.FollowsTexture);
        }
        if (result.Shape + result.Texture > 0)
        {
            var (low, high) = result.Interval;
            Assert.InRange(result.Bias, low, high);
        }
        foreach (var image in result.Images) image.Dispose();
    }

    /// <summary>The Wilson interval at known points: 5 of 10 gives 0.237–0.763, 46 of 50 gives 0.812–0.968.</summary>
    [Fact]
    public void WilsonInterval_MatchesKnownValues()
    {
        static CueConflictDecision D(bool shape) => new("a", "b", "c", shape, !shape);
        var half = new ShapeBiasResult(Enumerable.Range(0, 10).Select(i => D(i < 5)).ToList(), Array.Empty<Tensor>());
        Assert.Equal(0.2366, half.Interval.Low, 4);
        Assert.Equal(0.7634, half.Interval.High, 4);
        var most = new ShapeBiasResult(Enumerable.Range(0, 50).Select(i => D(i < 46)).ToList(), Array.Empty<Tensor>());
        Assert.Equal(0.920, most.Bias, 3);
        Assert.Equal(0.8118, most.Interval.Low, 3);
        Assert.Equal(0.9685, most.Interval.High, 3);
    }

    [Fact]
    public void BadInput_IsRefusedWithAClearMessage()
    {
        var m = InceptionMini.Value;
        using var scene = Scene(0);
        using var small = Tensor.Zeros(1, 3, 32, 32);
        var size = Assert.Throws<ShapeMismatchException>(() => CueConflict.TextureTransfer(m, small, scene, TextureTransferSettings.InceptionMini));
        Assert.Contains("shape must be one image [1, 3, 64, 64]", size.Message);
        var taps = Assert.Throws<LucidArgumentException>(() => CueConflict.TextureTransfer(m, scene, scene, TextureTransferSettings.InceptionMini with { TextureTaps = Array.Empty<string>() }));
        Assert.Contains("at least one texture tap", taps.Message);
        var unknown = Assert.ThrowsAny<LucidException>(() => CueConflict.TextureTransfer(m, scene, scene, TextureTransferSettings.InceptionMini with { ShapeTap = "mixed3c" }));
        Assert.Contains("mixed3c", unknown.Message);
        var cues = Cues.Where(c => c.Key != "solid ring").ToDictionary(c => c.Key, c => c.Value);
        var missing = Assert.Throws<LucidArgumentException>(() => CueConflict.ShapeBias(m, new[] { (scene, "striped circle") }, cues, TextureTransferSettings.InceptionMini));
        Assert.Contains("'solid ring'", missing.Message);
    }
}
