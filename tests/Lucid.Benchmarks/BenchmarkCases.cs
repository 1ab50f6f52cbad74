namespace Lucid.Benchmarks;

/// <summary>The cases of the engine issue, shared by the BenchmarkDotNet suites, the side-by-side runner and the PyTorch script.</summary>
public static class BenchmarkCases
{
    public sealed record GemmCase(int M, int N, int K)
    {
        public override string ToString() => $"{M}x{N}x{K}";
        public double Flops => 2.0 * M * N * K;
    }

    public sealed record ConvCase(int InChannels, int OutChannels, int Kernel, int Stride, int Size)
    {
        public int Padding => Kernel / 2;
        public override string ToString() => $"{InChannels}->{OutChannels} k{Kernel} s{Stride} {Size}x{Size}";
    }

    public static readonly GemmCase[] Gemms = { new(1024, 1024, 1024), new(256, 4096, 2304) };

    public static readonly ConvCase[] Convs =
    {
        new(3, 64, 7, 2, 224),
        new(64, 192, 3, 1, 56),
        new(256, 256, 3, 1, 14),
        new(32, 64, 3, 1, 32),
        new(1, 32, 3, 1, 28),
        // the VGG-style stack of 3×3 convolutions
        new(64, 64, 3, 1, 112),
        new(128, 128, 3, 1, 56),
        new(256, 256, 3, 1, 28),
        new(512, 512, 3, 1, 14),
    };

    public static readonly int[] Batches = { 1, 8 };

    public const int TrainingBatch = 32;
}
