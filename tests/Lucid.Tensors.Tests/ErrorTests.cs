using Lucid.Tensors;
using Lucid.Tensors.Optim;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>Bad input raises the library's own exceptions, naming the op, the argument and the shapes.</summary>
public class ErrorTests
{
    private static void Throws<T>(Action act, params string[] fragments) where T : LucidException
    {
        var e = Assert.Throws<T>(act);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
    }

    [Fact]
    public void MismatchedBroadcastShapes_NameBothShapes() =>
        Throws<ShapeMismatchException>(() => Ops.Add(Tensor.Zeros(2, 3), Tensor.Zeros(4)), "add", "[2, 3]", "[4]");

    [Fact]
    public void MatMulInnerDimensionMismatch_NamesShapes() =>
        Throws<ShapeMismatchException>(() => Ops.MatMul(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5)), "matmul", "[2, 3]", "[4, 5]");

    [Fact]
    public void Conv2dWrongRank_NamesArgument() =>
        Throws<ShapeMismatchException>(() => Ops.Conv2d(Tensor.Zeros(3, 8, 8), Tensor.Zeros(4, 3, 3, 3)), "conv2d", "input", "rank 4", "[3, 8, 8]");

    [Fact]
    public void Conv2dChannelMismatch_NamesShapes() =>
        Throws<ShapeMismatchException>(() => Ops.Conv2d(Tensor.Zeros(1, 2, 8, 8), Tensor.Zeros(4, 3, 3, 3)), "conv2d", "[4, 3, 3, 3]", "[1, 2, 8, 8]");

    [Fact]
    public void Conv2dKernelLargerThanInput_IsExplained() =>
        Throws<ShapeMismatchException>(() => Ops.Conv2d(Tensor.Zeros(1, 1, 2, 2), Tensor.Zeros(1, 1, 3, 3)), "conv2d", "kernel 3×3");

    [Theory]
    [InlineData(0, "stride")]
    [InlineData(-1, "stride")]
    public void Conv2dNonPositiveStride_NamesArgument(int stride, string arg) =>
        Throws<LucidArgumentException>(() => Ops.Conv2d(Tensor.Zeros(1, 1, 4, 4), Tensor.Zeros(1, 1, 3, 3), null, stride), "conv2d", arg);

    [Fact]
    public void NegativePadding_NamesArgument() =>
        Throws<LucidArgumentException>(() => Ops.Conv2d(Tensor.Zeros(1, 1, 4, 4), Tensor.Zeros(1, 1, 3, 3), null, 1, -1), "conv2d", "padding");

    [Fact]
    public void NegativeShape_IsRejected() =>
        Throws<LucidArgumentException>(() => Tensor.Zeros(2, -3), "negative", "[2, -3]");

    [Fact]
    public void ZeroPoolKernel_IsRejected() =>
        Throws<LucidArgumentException>(() => Ops.MaxPool2d(Tensor.Zeros(1, 1, 4, 4), 0), "max_pool2d", "kernel");

    [Fact]
    public void ZeroInterpolationSize_IsRejected() =>
        Throws<LucidArgumentException>(() => Ops.Interpolate(Tensor.Zeros(1, 1, 4, 4), 0, 3), "interpolate", "outH");

    [Fact]
    public void ReshapeToWrongCount_NamesShapes() =>
        Throws<ShapeMismatchException>(() => Ops.Reshape(Tensor.Zeros(2, 3), 4, 2), "reshape", "[4, 2]", "[2, 3]");

    [Fact]
    public void DimensionOutOfRange_NamesDim() =>
        Throws<LucidArgumentException>(() => Ops.Sum(Tensor.Zeros(2, 3), 2), "sum", "dims", "rank 2");

    [Fact]
    public void ConcatMismatch_NamesTensorIndex() =>
        Throws<ShapeMismatchException>(() => Ops.Concat(new[] { Tensor.Zeros(2, 3), Tensor.Zeros(3, 4) }, 0), "concat", "tensor 1", "[3, 4]");

    [Fact]
    public void CrossEntropyTargetOutOfRange_NamesTarget() =>
        Throws<LucidArgumentException>(() => Ops.CrossEntropy(Tensor.Zeros(2, 3), new[] { 0, 3 }), "cross_entropy", "target 3", "position 1");

    [Fact]
    public void IndexSelectOutOfRange_NamesIndex() =>
        Throws<LucidArgumentException>(() => Ops.IndexSelect(Tensor.Zeros(2, 3), 1, new[] { 0, 5 }), "index_select", "index 5");

    [Fact]
    public void ReflectPadTooLarge_IsExplained() =>
        Throws<LucidArgumentException>(() => Ops.Pad(Tensor.Zeros(1, 1, 2, 2), new[] { 2, 0 }, PadMode.Reflect), "reflect", "smaller");

    [Fact]
    public void Irfft2WrongWidth_NamesShapes() =>
        Throws<ShapeMismatchException>(() => Ops.Irfft2(Tensor.Zeros(4, 3, 2), 7), "irfft2", "width of 7");

    [Fact]
    public void BatchNormWrongStatisticShape_NamesArgument() =>
        Throws<ShapeMismatchException>(() => Ops.BatchNorm(Tensor.Zeros(2, 3, 4, 4), Tensor.Zeros(2), Tensor.Ones(3), null, null, false), "batch_norm", "runningMean", "[3]");

    [Fact]
    public void OptimizerWithNonLeafParameter_IsRejected()
    {
        var p = Tensor.Ones(2).RequireGrad();
        Throws<LucidArgumentException>(() => new Adam(new[] { Ops.Exp(p) }, 0.1f), "Adam", "leaf");
    }

    [Fact]
    public void AdamWithInvalidBeta_IsRejected() =>
        Throws<LucidArgumentException>(() => new Adam(new[] { Tensor.Ones(1).RequireGrad() }, 0.1f, beta1: 1.5f), "beta1");

    [Fact]
    public void ItemOnManyElements_NamesShape() =>
        Throws<ShapeMismatchException>(() => Tensor.Zeros(2, 2).Item(), "Item", "[2, 2]");

    [Fact]
    public void IndexerOutOfRange_IsALibraryException() =>
        Throws<LucidArgumentException>(() => _ = Tensor.Zeros(2, 2)[0, 2], "index 2", "size 2");
}

public class ResampleErrorTests
{
    [Fact]
    public void TapOutsideTheAxis_IsNamed()
    {
        var rows = new ResampleTaps(new[] { 0, 5 }, new[] { 1, 5 }, new[] { 1f, 1f }, new[] { 0f, 0f });
        var cols = new ResampleTaps(new[] { 0 }, new[] { 0 }, new[] { 1f }, new[] { 0f });
        var e = Assert.Throws<LucidArgumentException>(() => Ops.Resample2d(Tensor.Zeros(1, 1, 4, 4), rows, cols));
        Assert.Contains("rows", e.Message);
        Assert.Contains("index 5", e.Message);
    }
}
