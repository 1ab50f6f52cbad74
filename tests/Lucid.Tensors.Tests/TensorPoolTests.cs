using FsCheck.Xunit;
using Lucid.Testing;
using Xunit;

namespace Lucid.Tensors.Tests;

/// <summary>The pool's quarter-octave size classes: a buffer fits its request, wastes at most a quarter, and comes back.</summary>
public class TensorPoolTests
{
    private static int Length(Seed seed)
    {
        // lengths spread over every octave from 1 to 2^30, exact powers of two and their neighbours included
        var rng = new Random(seed);
        int octave = rng.Next(0, 31);
        long length = (1L << octave) + rng.Next(-2, 3) + (octave > 3 ? rng.NextInt64(0, 1L << octave) * rng.Next(0, 2) : 0);
        return (int)Math.Clamp(length, 1, 1 << 30);
    }

    [Property(MaxTest = 2000)]
    public void SizeClass_FitsTheRequest_WithinAQuarter_AndIsItsOwnClass(Seed seed)
    {
        int length = Length(seed);
        int index = TensorPool.ClassOf(length);
        long size = TensorPool.ClassSize(index);
        Assert.True(size >= length, $"class {index} holds {size} floats, asked for {length}");
        Assert.True(size <= Math.Max(16, 1.25 * length), $"class {index} holds {size} floats for a request of {length}: more than a quarter over");
        Assert.Equal(index, TensorPool.ClassOf((int)size));
        // the next smaller class would not fit: the smallest class that does
        if (size > 16) Assert.True(TensorPool.ClassSize(index - 1) < length, $"class {index - 1} ({TensorPool.ClassSize(index - 1)} floats) would fit {length}");
    }

    [Fact]
    public void Rent_HandsOutAClassSize_WithinAnOctaveOfTheRequest_AndOnlyClassSizesAreTakenBack()
    {
        // 1000 and 1020 are in the class of 1024, 1030 in the next (1280). A free buffer up to an octave above the class
        // may be handed out instead of a new one, and the pool is shared with every test running beside this one, so
        // the sizes are asserted as bounds, not which buffer comes back
        Assert.Equal(1024, TensorPool.ClassSize(TensorPool.ClassOf(1000)));
        Assert.Equal(1024, TensorPool.ClassSize(TensorPool.ClassOf(1020)));
        Assert.Equal(1280, TensorPool.ClassSize(TensorPool.ClassOf(1030)));
        Assert.Equal(16, TensorPool.ClassSize(TensorPool.ClassOf(3)));
        foreach (int request in new[] { 3, 1000, 1030, 70_001 })
        {
            var a = TensorPool.Rent(request);
            Assert.True(TensorPool.IsClassSize(a.Length), $"rented {a.Length} floats: not a class size");
            Assert.InRange(a.Length, TensorPool.ClassSize(TensorPool.ClassOf(request)), 2 * TensorPool.ClassSize(TensorPool.ClassOf(request)));
            TensorPool.Return(a);
        }
        Assert.True(TensorPool.IsClassSize(1280) && TensorPool.IsClassSize(1536) && TensorPool.IsClassSize(1792));
        Assert.False(TensorPool.IsClassSize(1001)); // a user's array wrapped in a tensor is not kept
        Assert.False(TensorPool.IsClassSize(1300));
    }
}
