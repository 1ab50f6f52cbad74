using BenchmarkDotNet.Attributes;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Lucid.Tensors.Kernels;
using static Lucid.Benchmarks.BenchmarkCases;

namespace Lucid.Benchmarks;

public class GemmBenchmarks
{
    private float[] _a = null!, _b = null!, _c = null!;

    [ParamsSource(nameof(Cases))]
    public GemmCase Case { get; set; } = Gemms[0];

    public static IEnumerable<GemmCase> Cases => Gemms;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(1);
        _a = new float[Case.M * Case.K]; _b = new float[Case.K * Case.N]; _c = new float[Case.M * Case.N];
        rng.FillNormal(_a); rng.FillNormal(_b);
    }

    [Benchmark]
    public void Sgemm() => Gemm.Multiply(false, false, Case.M, Case.N, Case.K, _a, Case.K, _b, Case.N, _c, Case.N, false);
}

public class ConvBenchmarks
{
    private Tensor _x = null!, _w = null!, _b = null!;

    [ParamsSource(nameof(Cases))]
    public ConvCase Case { get; set; } = Convs[0];

    [ParamsSource(nameof(BatchSizes))]
    public int Batch { get; set; } = 1;

    public static IEnumerable<ConvCase> Cases => Convs;
    public static IEnumerable<int> BatchSizes => Batches;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(1);
        _x = rng.Normal(new[] { Batch, Case.InChannels, Case.Size, Case.Size }).RequireGrad();
        _w = rng.Normal(new[] { Case.OutChannels, Case.InChannels, Case.Kernel, Case.Kernel }, 0f, 0.05f).RequireGrad();
        _b = rng.Normal(new[] { Case.OutChannels }).RequireGrad();
    }

    [Benchmark]
    public void Forward()
    {
        using var _ = GradMode.NoGrad();
        Ops.Conv2d(_x, _w, _b, Case.Stride, Case.Padding).Dispose();
    }

    /// <summary>Forward, then backward with the output as its own upstream gradient: input, weight and bias gradients.</summary>
    [Benchmark]
    public void ForwardBackward()
    {
        using var scope = Tensor.Scope();
        var y = Ops.Conv2d(_x, _w, _b, Case.Stride, Case.Padding);
        y.Backward(y);
    }
}

[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    private SmallCnn _model = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = new SmallCnn(TrainingBatch);
        for (int i = 0; i < 3; i++) _model.Step(); // optimizer state and pooled buffers exist from here on
    }

    [Benchmark]
    public float AdamStep() => _model.Step();
}
