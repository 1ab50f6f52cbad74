using Lucid.Models;
using Lucid.Models.Data;
using Lucid.Models.Graph;
using Lucid.Tensors;
using Xunit;

namespace Lucid.Interfaces.Tests;

/// <summary>Neuron groups on the trained inception-mini.</summary>
public class NeuronGroupTests
{
    [Fact]
    public void OnTwoObjectScenes_NeuronGroupsOfMixed4a_SeparateTheObjects_InAtLeast80Percent()
    {
        var model = InceptionMini.Model;
        int separated = 0;
        var failures = new List<int>();
        for (int i = 0; i < 50; i++)
        {
            int a = i % 10, b = (i * 3 + 1) % 10;
            if (b == a) b = (b + 1) % 10;
            var (scene, image) = InceptionMini.TwoObjects(i, a, b);
            NeuronGroups groups;
            using (image) groups = NeuronGroups.Of(model, image, "mixed4a", groups: 4, seed: 1);
            if (groups.DominantGroup(scene.Objects[0].Mask, SyntheticScenes.Size) != groups.DominantGroup(scene.Objects[1].Mask, SyntheticScenes.Size)) separated++;
            else failures.Add(i);
        }
        Assert.True(separated >= 40, $"{separated}/50 scenes separated; not: {string.Join(", ", failures)}");
    }

    [Fact]
    public void NeuronGroups_RefuseAFlatTapOrTooManyGroups_NamingThem()
    {
        var model = Zoo.InceptionMini(0);
        using var image = Tensor.Zeros(1, 3, 64, 64);
        Assert.Contains("'logits'", Assert.Throws<LucidArgumentException>(() => NeuronGroups.Of(model, image, "logits", 2)).Message);
        Assert.Contains("200 groups for the 156 channels of 'mixed4a'", Assert.Throws<LucidArgumentException>(() => NeuronGroups.Of(model, image, "mixed4a", 200)).Message);
    }
}

public class WrongInputTests
{
    [Fact]
    public void AnImageOfTheWrongSize_IsRefusedByEveryInterface_NamingTheModelAndTheShape()
    {
        var model = Zoo.InceptionMini(0);
        using var image = Tensor.Zeros(1, 3, 32, 32);
        var target = Lucid.Attribution.AttributionTarget.Class(0);
        var attempts = new Action[]
        {
            () => NeuronGroups.Of(model, image, "mixed4a", 2),
            () => SemanticDictionary.Of(model, image, "mixed4a", target),
            () => ChannelAttribution.Of(model, image, "mixed4a", target),
            () => SpatialAttribution.Of(model, image, "mixed3b", "mixed4a"),
            () => ActivationGrid.Of(model, image, "mixed4a", steps: 1),
        };
        foreach (var attempt in attempts)
        {
            var error = Assert.ThrowsAny<LucidException>(attempt);
            Assert.Contains("inception-mini", error.Message);
            Assert.Contains("[N, 3, 64, 64]", error.Message);
        }
    }
}
