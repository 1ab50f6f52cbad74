using Lucid.Models.Data;
using Xunit;

namespace Lucid.Models.Tests;

public class SyntheticScenesTests
{
    [Fact]
    public void SameSeed_GivesTheSameImages_AndImagesDependOnlyOnTheirIndex()
    {
        var a = SyntheticScenes.Generate(40, seed: 5);
        var b = SyntheticScenes.Generate(40, seed: 5);
        var c = SyntheticScenes.Generate(20, seed: 5);
        Assert.Equal(a.Pixels, b.Pixels);
        Assert.Equal(a.Pixels[..c.Pixels.Length], c.Pixels);           // shardable: a prefix is the same images
        Assert.NotEqual(a.Pixels, SyntheticScenes.Generate(40, seed: 6).Pixels);
    }

    [Fact]
    public void Images_AreValidAndClassesBalanced()
    {
        var data = SyntheticScenes.Generate(100, seed: 1);
        Assert.All(data.Pixels, p => Assert.InRange(p, 0f, 1f));
        Assert.Equal(Enumerable.Repeat(10, 10), data.Labels.GroupBy(l => l).OrderBy(g => g.Key).Select(g => g.Count()));
        Assert.Equal((3, 64, 64), (data.Channels, data.Height, data.Width));
    }

    [Fact]
    public void Masks_CoverTheObjectAndOnlyTheObject()
    {
        for (int i = 0; i < 50; i++)
        {
            var scene = SyntheticScenes.Render(9, i, new[] { i % 10 });
            var o = scene.Objects[0];
            int area = o.Mask.Count(m => m);
            // the shapes fill between ~30% (ring, cross, star) and ~100% (circle) of the bounding disc
            double disc = Math.PI * o.Radius * o.Radius;
            Assert.InRange(area / disc, 0.2, 1.05);
            // every mask pixel lies within the object's radius
            for (int p = 0; p < o.Mask.Length; p++)
                if (o.Mask[p])
                {
                    float dx = p % 64 + 0.5f - o.CenterX, dy = p / 64 + 0.5f - o.CenterY;
                    Assert.True(dx * dx + dy * dy <= o.Radius * o.Radius * 1.01f);
                }
        }
    }

    [Fact]
    public void MultiObjectScenes_HaveDisjointMasksAndTheRequestedClasses()
    {
        for (int i = 0; i < 30; i++)
        {
            var scene = SyntheticScenes.Render(4, i, new[] { i % 10, (i + 4) % 10 });
            Assert.Equal(new[] { i % 10, (i + 4) % 10 }, scene.Objects.Select(o => o.ClassIndex));
            Assert.All(scene.Objects, o => Assert.True(o.Mask.Count(m => m) > 50));
            Assert.DoesNotContain(Enumerable.Range(0, 64 * 64), p => scene.Objects[0].Mask[p] && scene.Objects[1].Mask[p]);
        }
    }

    [Fact]
    public void SpuriousCue_MatchesTheClassAtTheRequestedRate()
    {
        const int n = 2000;
        const double rate = 0.8;
        int matches = 0;
        for (int i = 0; i < n; i++)
        {
            var scene = SyntheticScenes.Render(11, i, new[] { i % 10 }, new SceneOptions { SpuriousCueRate = rate });
            var expected = SyntheticScenes.ClassColor(i % 10);
            bool colourMatches = Enumerable.Range(0, 3).All(c => Math.Abs(scene.Pixels[(c * 64 + 3) * 64 + 3] - expected[c]) < 1e-6);
            Assert.Equal(scene.HasCue, colourMatches);
            if (colourMatches) matches++;
        }
        // binomial(2000, 0.8): standard deviation ≈ 17.9; allow 4σ
        Assert.InRange(matches, n * rate - 72, n * rate + 72);
    }

    [Fact]
    public void BadClassLists_AreRejected()
    {
        Assert.Throws<LucidArgumentException>(() => SyntheticScenes.Render(1, 0, new[] { 10 }));
        Assert.Throws<LucidArgumentException>(() => SyntheticScenes.Render(1, 0, Array.Empty<int>()));
    }
}
