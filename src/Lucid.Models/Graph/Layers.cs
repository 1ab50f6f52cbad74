using Lucid.Tensors;

namespace Lucid.Models.Graph;

/// <summary>
/// One operation of a model graph. Layers are stateless apart from their parameters; shapes exclude the batch
/// dimension ((C, H, W) for images, (F) for features).
/// </summary>
public abstract class Layer
{
    /// <summary>The layer kind as it appears in schemas and rule assignments ("conv2d", "relu", "max_pool2d", ...).</summary>
    public abstract string Kind { get; }

    /// <summary>Named parameters (e.g. "weight", "bias"), in a stable order.</summary>
    public virtual IEnumerable<(string Name, Tensor Value)> Parameters => Array.Empty<(string, Tensor)>();

    public abstract Tensor Forward(IReadOnlyList<Tensor> inputs);

    /// <summary>The output shape (without batch) for the given input shapes; throws <see cref="ModelException"/> when they do not fit.</summary>
    public abstract int[] OutputShape(IReadOnlyList<int[]> inputs);

    protected static Tensor Parameter(Tensor t) => t.DetachFromScope().RequireGrad();

    protected static void RequireRank(IReadOnlyList<int[]> inputs, int count, int rank, string kind)
    {
        if (inputs.Count != count)
            throw new ModelException($"{kind}: expected {count} input(s), got {inputs.Count}.");
        foreach (var s in inputs)
            if (s.Length != rank)
                throw new ModelException($"{kind}: expected inputs of rank {rank} (without batch), got {Shapes.Format(s)}.");
    }
}

public sealed class Conv2dLayer : Layer
{
    public Conv2dLayer(Tensor weight, Tensor? bias, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        if (weight.Rank != 4) throw new ModelException($"conv2d: weight must have shape [Cout, Cin/groups, kH, kW], got {Shapes.Format(weight.Shape)}.");
        Weight = Parameter(weight);
        Bias = bias is null ? null : Parameter(bias);
        Stride = stride; Padding = padding; Dilation = dilation; Groups = groups;
    }

    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Dilation { get; }
    public int Groups { get; }
    public override string Kind => "conv2d";

    public override IEnumerable<(string, Tensor)> Parameters =>
        Bias is null ? new[] { ("weight", Weight) } : new[] { ("weight", Weight), ("bias", Bias) };

    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Ops.Conv2d(inputs[0], Weight, Bias, Stride, Padding, Dilation, Groups);

    public override int[] OutputShape(IReadOnlyList<int[]> inputs)
    {
        RequireRank(inputs, 1, 3, Kind);
        var s = inputs[0];
        int kh = Weight.Size(2), kw = Weight.Size(3);
        if (s[0] != Weight.Size(1) * Groups)
            throw new ModelException($"conv2d: input has {s[0]} channels, weight expects {Weight.Size(1) * Groups}.");
        int oh = (s[1] + 2 * Padding - Dilation * (kh - 1) - 1) / Stride + 1, ow = (s[2] + 2 * Padding - Dilation * (kw - 1) - 1) / Stride + 1;
        if (oh <= 0 || ow <= 0) throw new ModelException($"conv2d: kernel {kh}×{kw} does not fit input {s[1]}×{s[2]} with padding {Padding}.");
        return new[] { Weight.Size(0), oh, ow };
    }
}

public sealed class LinearLayer : Layer
{
    public LinearLayer(Tensor weight, Tensor? bias)
    {
        if (weight.Rank != 2) throw new ModelException($"linear: weight must have shape [out, in], got {Shapes.Format(weight.Shape)}.");
        Weight = Parameter(weight);
        Bias = bias is null ? null : Parameter(bias);
    }

    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public override string Kind => "linear";

    public override IEnumerable<(string, Tensor)> Parameters =>
        Bias is null ? new[] { ("weight", Weight) } : new[] { ("weight", Weight), ("bias", Bias) };

    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Ops.Linear(inputs[0], Weight, Bias);

    public override int[] OutputShape(IReadOnlyList<int[]> inputs)
    {
        RequireRank(inputs, 1, 1, Kind);
        if (inputs[0][0] != Weight.Size(1)) throw new ModelException($"linear: input has {inputs[0][0]} features, weight expects {Weight.Size(1)}.");
        return new[] { Weight.Size(0) };
    }
}

/// <summary>Element-wise layers that keep the shape.</summary>
public sealed class ActivationLayer(string kind, Func<Tensor, Tensor> apply) : Layer
{
    public static ActivationLayer Relu() => new("relu", Ops.Relu);
    public static ActivationLayer Sigmoid() => new("sigmoid", Ops.Sigmoid);
    public static ActivationLayer Tanh() => new("tanh", Ops.Tanh);
    public static ActivationLayer Softmax() => new("softmax", x => Ops.Softmax(x, 1));

    public override string Kind => kind;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => apply(inputs[0]);
    public override int[] OutputShape(IReadOnlyList<int[]> inputs)
    {
        if (inputs.Count != 1) throw new ModelException($"{kind}: expected 1 input, got {inputs.Count}.");
        return inputs[0];
    }
}

public sealed class Pool2dLayer(bool max, int kernel, int stride, int padding = 0, bool ceilMode = false) : Layer
{
    public override string Kind => max ? "max_pool2d" : "avg_pool2d";
    public int KernelSize => kernel;
    public int Stride => stride;
    public int Padding => padding;
    public bool CeilMode => ceilMode;

    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => max
        ? Ops.MaxPool2d(inputs[0], kernel, stride, padding, 1, ceilMode)
        : Ops.AvgPool2d(inputs[0], kernel, stride, padding, ceilMode);

    public override int[] OutputShape(IReadOnlyList<int[]> inputs)
    {
        RequireRank(inputs, 1, 3, Kind);
        using var probe = Tensor.Zeros(1, 1, inputs[0][1], inputs[0][2]);
        using var _ = Tensors.Autograd.GradMode.NoGrad();
        using var y = Forward(new[] { probe });
        return new[] { inputs[0][0], y.Size(2), y.Size(3) };
    }
}

public sealed class GlobalAvgPoolLayer : Layer
{
    public override string Kind => "global_avg_pool2d";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Ops.Flatten(Ops.GlobalAvgPool2d(inputs[0]));
    public override int[] OutputShape(IReadOnlyList<int[]> inputs)
    {
        RequireRank(inputs, 1, 3, Kind);
        return new[] { inputs[0][0] };
    }
}

public sealed class FlattenLayer : Layer
{
    public override string Kind => "flatten";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Ops.Flatten(inputs[0]);
    public override int[] OutputShape(IReadOnlyList<int[]> inputs)
    {
        if (inputs.Count != 1) throw new ModelException($"flatten: expected 1 input, got {inputs.Count}.");
        return new[] { inputs[0].Aggregate(1, (a, b) => a * b) };
    }
}

/// <summary>Concatenation along channels (Inception's branch merge).</summary>
public sealed class ConcatLayer : Layer
{
    public override string Kind => "concat";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Ops.Concat(inputs, 1);
    public override int[] OutputShape(IReadOnlyList<int[]> inputs)
    {
        if (inputs.Count == 0) throw new ModelException("concat: no inputs.");
        var first = inputs[0];
        foreach (var s in inputs)
            if (s.Length != first.Length || !s.Skip(1).SequenceEqual(first.Skip(1)))
                throw new ModelException($"concat: input shapes {Shapes.Format(s)} and {Shapes.Format(first)} differ outside the channel dimension.");
        var result = (int[])first.Clone();
        result[0] = inputs.Sum(s => s[0]);
        return result;
    }
}

/// <summary>Residual sum of equally shaped inputs.</summary>
public sealed class AddLayer : Layer
{
    public override string Kind => "add";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        var sum = inputs[0];
        for (int i = 1; i < inputs.Count; i++) sum = Ops.Add(sum, inputs[i]);
        return sum;
    }
    public override int[] OutputShape(IReadOnlyList<int[]> inputs)
    {
        if (inputs.Count < 2) throw new ModelException($"add: expected at least 2 inputs, got {inputs.Count}.");
        foreach (var s in inputs)
            if (!s.SequenceEqual(inputs[0])) throw new ModelException($"add: input shapes {Shapes.Format(s)} and {Shapes.Format(inputs[0])} differ.");
        return inputs[0];
    }
}

public sealed class LrnLayer(int size, float alpha = 1e-4f, float beta = 0.75f, float bias = 1f) : Layer
{
    public override string Kind => "local_response_norm";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Ops.LocalResponseNorm(inputs[0], size, alpha, beta, bias);
    public override int[] OutputShape(IReadOnlyList<int[]> inputs)
    {
        RequireRank(inputs, 1, 3, Kind);
        return inputs[0];
    }
}

/// <summary>
/// Batch normalization in evaluation mode over [C, …]: (x − running_mean) / √(running_var + ε) · weight + bias. Its
/// statistics are not parameters (they are not trained by gradient); LRP canonizers merge it into the layer before.
/// </summary>
public sealed class BatchNormLayer : Layer
{
    public BatchNormLayer(Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias, float epsilon = 1e-5f)
    {
        int c = runningMean.Count;
        foreach (var (t, name) in new[] { (runningMean, "running_mean"), (runningVar, "running_var"), (weight, "weight"), (bias, "bias") })
            if (t is not null && (t.Rank != 1 || t.Count != c))
                throw new ModelException($"batch_norm: '{name}' must have shape [{c}], got {Shapes.Format(t.Shape)}.");
        if (!(epsilon >= 0f)) throw new ModelException($"batch_norm: epsilon must be non-negative, got {epsilon}.");
        RunningMean = runningMean.DetachFromScope();
        RunningVar = runningVar.DetachFromScope();
        Weight = weight is null ? null : Parameter(weight);
        Bias = bias is null ? null : Parameter(bias);
        Epsilon = epsilon;
    }

    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }
    public float Epsilon { get; }
    public override string Kind => "batch_norm";

    public override IEnumerable<(string, Tensor)> Parameters
    {
        get
        {
            if (Weight is not null) yield return ("weight", Weight);
            if (Bias is not null) yield return ("bias", Bias);
            yield return ("running_mean", RunningMean);
            yield return ("running_var", RunningVar);
        }
    }

    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Ops.BatchNorm(inputs[0], RunningMean, RunningVar, Weight, Bias, training: false, epsilon: Epsilon);

    public override int[] OutputShape(IReadOnlyList<int[]> inputs)
    {
        if (inputs.Count != 1 || inputs[0].Length < 1)
            throw new ModelException("batch_norm: expected one input of shape [C, …] (without batch).");
        if (inputs[0][0] != RunningMean.Count)
            throw new ModelException($"batch_norm: input has {inputs[0][0]} channels, the layer normalizes {RunningMean.Count}.");
        return inputs[0].ToArray();
    }
}
