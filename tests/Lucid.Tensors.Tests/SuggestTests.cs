using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>"Did you mean": the one metric the runtime and the generator share.</summary>
public class SuggestTests
{
    [Theory]
    [InlineData("layer3.1.relu2", "layer3.1.relu1")]          // one substitution
    [InlineData("LAYER2", "layer2")]                          // case is not a typo
    [InlineData("mixed4", "mixed4a")]                         // one insertion
    [InlineData("conv", "conv1")]                             // ties go to the ordinally first
    public void TheClosestCandidate_IsSuggested(string typo, string expected) =>
        Assert.Equal(expected, Suggest.Closest(typo, new[] { "layer3.1.relu1", "layer2", "mixed4a", "mixed4b", "conv2", "conv1" }));

    [Fact]
    public void NothingIsSuggested_WhenEveryCandidateIsFar()
    {
        Assert.Null(Suggest.Closest("logits", new[] { "conv1", "mixed4a" }));
        Assert.Equal("", Suggest.DidYouMean("logits", new[] { "conv1" }));
        Assert.Equal(" (did you mean 'conv1'?)", Suggest.DidYouMean("conv", new[] { "conv1" }));
        Assert.Equal(3, Suggest.Distance("kitten", "sitting"));
    }
}
