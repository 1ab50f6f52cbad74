using FsCheck;
using FsCheck.Xunit;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>
/// Stride-2 convolutions with more input channels than the polyphase form takes (over 16 per group), whose forward on
/// the AVX2 kernel packs its strided windows straight from the image (vector permutes over output rows of 8–22
/// positions, so both the 8-wide steps and their scalar tails run): against the definition and the portable path on
/// every ISA the machine has, and the gradients against finite differences.
/// </summary>
[Collection(nameof(KernelSwitchCollection))]
[Properties(Arbitrary = new[] { typeof(StridedConvolutionTests) })]
public class StridedConvolutionTests
{
    public static Arbitrary<GradientProperties.ConvCase> StridedCases() =>
        IsaConvolutionTests.Cases(batch: 3, inPerGroup: (17, 28), outPerGroup: (3, 20), kernels: new[] { 1, 3, 3, 5 }, strides: new[] { 2 }, height: (5, 19), width: (17, 45));

    [Property(MaxTest = 40)]
    public void StridedConvolutions_MatchTheDefinition_OnEveryIsa(GradientProperties.ConvCase c) =>
        IsaConvolutionTests.MatchesTheDefinitionOnEveryIsa(c);

    [Property(MaxTest = 6)]
    public void StridedConvolutionGradients_MatchFiniteDifferences(GradientProperties.ConvCase c) =>
        IsaConvolutionTests.GradientsMatchFiniteDifferencesOnEveryIsa(c);
}
