namespace Lucid.Tensors.Optim;

/// <summary>
/// Base of the optimizers: holds the parameters (leaf tensors with RequiresGrad) and per-parameter state allocated
/// once, so a steady-state <see cref="Step"/> allocates nothing. Updates run under no-grad, in place.
/// </summary>
public abstract class Optimizer
{
    protected readonly Tensor[] Parameters;
    private int _step;

    protected Optimizer(IEnumerable<Tensor> parameters, float learningRate, string name)
    {
        Parameters = parameters.ToArray();
        if (Parameters.Length == 0) throw new LucidArgumentException(nameof(parameters), $"{name}: no parameters to optimize.");
        for (int i = 0; i < Parameters.Length; i++)
        {
            if (!Parameters[i].IsLeaf || !Parameters[i].RequiresGrad)
                throw new LucidArgumentException(nameof(parameters), $"{name}: parameter {i} (shape {Shapes.Format(Parameters[i].ShapeArray)}) must be a leaf tensor with RequiresGrad = true.");
        }
        if (!(learningRate >= 0f) || float.IsInfinity(learningRate))
            throw new LucidArgumentException(nameof(learningRate), $"{name}: learning rate must be a finite non-negative number, got {learningRate}.");
        LearningRate = learningRate;
        BaseLearningRate = learningRate;
    }

    /// <summary>The learning rate used by the next step (set by <see cref="Schedule"/> when there is one).</summary>
    public float LearningRate { get; set; }

    /// <summary>The learning rate given at construction; schedules scale from it.</summary>
    public float BaseLearningRate { get; }

    /// <summary>Optional schedule; consulted before every step with the 0-based step number.</summary>
    public ILearningRateSchedule? Schedule { get; set; }

    /// <summary>Steps taken so far.</summary>
    public int StepCount => _step;

    /// <summary>Zeroes every parameter's gradient in place (keeps the buffers, so the next backward allocates nothing).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.Grad?.Data.Clear();
    }

    /// <summary>Applies one update from the parameters' current gradients; parameters without a gradient are skipped.</summary>
    public void Step()
    {
        if (Schedule is not null) LearningRate = Schedule.LearningRate(_step, BaseLearningRate);
        _step++;
        using var _ = Autograd.GradMode.NoGrad();
        for (int i = 0; i < Parameters.Length; i++)
        {
            var p = Parameters[i];
            if (p.Grad is null) continue;
            Update(i, p.Data, p.Grad.Data, _step);
        }
    }

    /// <summary>Updates parameter <paramref name="index"/> in place; <paramref name="step"/> counts from 1.</summary>
    protected abstract void Update(int index, Span<float> parameter, ReadOnlySpan<float> gradient, int step);

    protected float[] State(ref float[]?[] states, int index)
    {
        return states[index] ??= new float[Parameters[index].Count];
    }

    private readonly Dictionary<string, float[]?[]> _states = new(StringComparer.Ordinal);

    /// <summary>Makes a per-parameter state array part of <see cref="SaveState"/> and <see cref="LoadState"/>.</summary>
    protected void Register(string name, float[]?[] states) => _states[name] = states;

    /// <summary>
    /// Everything the next step depends on, as named arrays: each state buffer ("m.3": Adam's first moment of parameter 3)
    /// and the step count ("step"). With the parameters, enough to continue training exactly where it stopped.
    /// </summary>
    public IReadOnlyDictionary<string, float[]> SaveState()
    {
        var state = new Dictionary<string, float[]>(StringComparer.Ordinal) { ["step"] = new[] { (float)_step } };
        foreach (var (name, arrays) in _states)
            for (int i = 0; i < arrays.Length; i++)
                if (arrays[i] is { } a) state[$"{name}.{i}"] = (float[])a.Clone();
        foreach (var (name, values) in ExtraState()) state[name] = values;
        return state;
    }

    /// <summary>Scalar state of an optimizer beyond its per-parameter buffers, by names without a dot.</summary>
    protected virtual IEnumerable<(string Name, float[] Values)> ExtraState() => Array.Empty<(string, float[])>();

    /// <summary>Restores one entry of <see cref="ExtraState"/>; false if the name is not one.</summary>
    protected virtual bool LoadExtra(string name, float[] values) => false;

    /// <summary>A double as two floats' bits (state must survive a float32 file exactly).</summary>
    protected static float[] Bits(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        return new[] { BitConverter.Int32BitsToSingle((int)bits), BitConverter.Int32BitsToSingle((int)(bits >> 32)) };
    }

    protected static double FromBits(float[] values) =>
        BitConverter.Int64BitsToDouble((uint)BitConverter.SingleToInt32Bits(values[0]) | (long)BitConverter.SingleToInt32Bits(values[1]) << 32);

    /// <summary>Restores what <see cref="SaveState"/> saved (from an optimizer of the same kind over the same parameters).</summary>
    public void LoadState(IReadOnlyDictionary<string, float[]> state)
    {
        if (!state.TryGetValue("step", out var step) || step.Length != 1 || step[0] < 0)
            throw new LucidArgumentException(nameof(state), "optimizer state: no step count.");
        foreach (var (key, values) in state)
        {
            if (key == "step" || LoadExtra(key, values)) continue;
            int dot = key.LastIndexOf('.');
            if (dot < 0 || !_states.TryGetValue(key[..dot], out var arrays) || !int.TryParse(key[(dot + 1)..], out int index) || index < 0 || index >= arrays.Length)
                throw new LucidArgumentException(nameof(state), $"optimizer state: '{key}' is not a state of this {GetType().Name} over {Parameters.Length} parameters.");
            if (values.Length != Parameters[index].Count)
                throw new LucidArgumentException(nameof(state), $"optimizer state: '{key}' has {values.Length} values, parameter {index} has {Parameters[index].Count}.");
            arrays[index] = (float[])values.Clone();
        }
        _step = (int)step[0];
    }
}

/// <summary>Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay (PyTorch's update).</summary>
public sealed class Sgd : Optimizer
{
    private float[]?[] _momentum;
    public float Momentum { get; }
    public float Dampening { get; }
    public bool Nesterov { get; }
    public float WeightDecay { get; }

    public Sgd(IEnumerable<Tensor> parameters, float learningRate, float momentum = 0f, float dampening = 0f, bool nesterov = false, float weightDecay = 0f)
        : base(parameters, learningRate, "SGD")
    {
        if (momentum < 0f) throw new LucidArgumentException(nameof(momentum), $"SGD: momentum must be non-negative, got {momentum}.");
        if (weightDecay < 0f) throw new LucidArgumentException(nameof(weightDecay), $"SGD: weight decay must be non-negative, got {weightDecay}.");
        if (nesterov && (momentum <= 0f || dampening != 0f))
            throw new LucidArgumentException(nameof(nesterov), "SGD: Nesterov momentum needs momentum > 0 and zero dampening.");
        Momentum = momentum; Dampening = dampening; Nesterov = nesterov; WeightDecay = weightDecay;
        _momentum = new float[]?[Parameters.Length];
        Register("momentum", _momentum);
    }

    protected override void Update(int index, Span<float> p, ReadOnlySpan<float> g, int step)
    {
        float lr = LearningRate;
        float[]? buf = Momentum != 0f ? State(ref _momentum, index) : null;
        for (int i = 0; i < p.Length; i++)
        {
            float d = g[i] + WeightDecay * p[i];
            if (buf is not null)
            {
                buf[i] = step == 1 ? d : Momentum * buf[i] + (1f - Dampening) * d;
                d = Nesterov ? d + Momentum * buf[i] : buf[i];
            }
            p[i] -= lr * d;
        }
    }
}

/// <summary>Adam (Kingma &amp; Ba) with bias correction and optional L2 weight decay; defaults β = (0.9, 0.999), ε = 1e-8 as PyTorch.</summary>
public class Adam : Optimizer
{
    private float[]?[] _m, _v;
    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }
    private readonly bool _decoupled;

    public Adam(IEnumerable<Tensor> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f)
        : this(parameters, learningRate, beta1, beta2, epsilon, weightDecay, decoupled: false, name: "Adam") { }

    protected Adam(IEnumerable<Tensor> parameters, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, bool decoupled, string name)
        : base(parameters, learningRate, name)
    {
        if (!(beta1 >= 0f && beta1 < 1f)) throw new LucidArgumentException(nameof(beta1), $"{name}: beta1 must be in [0, 1), got {beta1}.");
        if (!(beta2 >= 0f && beta2 < 1f)) throw new LucidArgumentException(nameof(beta2), $"{name}: beta2 must be in [0, 1), got {beta2}.");
        if (!(epsilon >= 0f)) throw new LucidArgumentException(nameof(epsilon), $"{name}: epsilon must be non-negative, got {epsilon}.");
        if (!(weightDecay >= 0f)) throw new LucidArgumentException(nameof(weightDecay), $"{name}: weight decay must be non-negative, got {weightDecay}.");
        Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; WeightDecay = weightDecay; _decoupled = decoupled;
        _m = new float[]?[Parameters.Length];
        _v = new float[]?[Parameters.Length];
        Register("m", _m);
        Register("v", _v);
    }

    protected override void Update(int index, Span<float> p, ReadOnlySpan<float> g, int step)
    {
        var m = State(ref _m, index);
        var v = State(ref _v, index);
        float lr = LearningRate;
        float bc1 = 1f - MathF.Pow(Beta1, step);
        float bc2Sqrt = MathF.Sqrt(1f - MathF.Pow(Beta2, step));
        float stepSize = lr / bc1;
        if (_decoupled && WeightDecay != 0f)
            System.Numerics.Tensors.TensorPrimitives.Multiply(p, 1f - lr * WeightDecay, p);
        float l2 = _decoupled ? 0f : WeightDecay;
        // SIMD over Vector<float> lanes with exactly the scalar loop's operations in the same order (no fused
        // multiply-adds), so the result is bit-identical to it — and to every earlier run
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated && p.Length >= System.Numerics.Vector<float>.Count)
        {
            var b1 = new System.Numerics.Vector<float>(Beta1); var c1 = new System.Numerics.Vector<float>(1f - Beta1);
            var b2 = new System.Numerics.Vector<float>(Beta2); var c2 = new System.Numerics.Vector<float>(1f - Beta2);
            var decay = new System.Numerics.Vector<float>(l2); var size = new System.Numerics.Vector<float>(stepSize);
            var bias = new System.Numerics.Vector<float>(bc2Sqrt); var eps = new System.Numerics.Vector<float>(Epsilon);
            var ms = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(m.AsSpan());
            var vs = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(v.AsSpan());
            var ps = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(p);
            var gs = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(g);
            for (int k = 0; k < ps.Length; k++)
            {
                var gi = gs[k] + decay * ps[k];
                var mk = b1 * ms[k] + c1 * gi;
                var vk = b2 * vs[k] + c2 * gi * gi;
                ms[k] = mk;
                vs[k] = vk;
                ps[k] -= size * mk / (System.Numerics.Vector.SquareRoot(vk) / bias + eps);
            }
            i = ps.Length * System.Numerics.Vector<float>.Count;
        }
        for (; i < p.Length; i++)
        {
            float gi = g[i] + l2 * p[i];
            m[i] = Beta1 * m[i] + (1f - Beta1) * gi;
            v[i] = Beta2 * v[i] + (1f - Beta2) * gi * gi;
            p[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) / bc2Sqrt + Epsilon);
        }
    }
}

/// <summary>AdamW (Loshchilov &amp; Hutter): Adam with decoupled weight decay p ← p·(1 − lr·λ); PyTorch's default λ = 0.01.</summary>
public sealed class AdamW : Adam
{
    public AdamW(IEnumerable<Tensor> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f)
        : base(parameters, learningRate, beta1, beta2, epsilon, weightDecay, decoupled: true, name: "AdamW") { }
}

/// <summary>NAdam (Dozat): Adam with Nesterov momentum and PyTorch's momentum-decay schedule μ_t = β1·(1 − ½·0.96^(t·ψ)), ψ = 0.004.</summary>
public sealed class NAdam : Optimizer
{
    private float[]?[] _m, _v;
    private double _muProduct = 1.0;
    private int _muStep;

    protected override IEnumerable<(string Name, float[] Values)> ExtraState()
    {
        yield return ("muProduct", Bits(_muProduct));
        yield return ("muStep", new[] { (float)_muStep });
    }

    protected override bool LoadExtra(string name, float[] values)
    {
        switch (name)
        {
            case "muProduct" when values.Length == 2: _muProduct = FromBits(values); return true;
            case "muStep" when values.Length == 1: _muStep = (int)values[0]; return true;
            default: return false;
        }
    }
    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }
    public float MomentumDecay { get; }

    public NAdam(IEnumerable<Tensor> parameters, float learningRate = 2e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f, float momentumDecay = 4e-3f)
        : base(parameters, learningRate, "NAdam")
    {
        if (!(beta1 >= 0f && beta1 < 1f)) throw new LucidArgumentException(nameof(beta1), $"NAdam: beta1 must be in [0, 1), got {beta1}.");
        if (!(beta2 >= 0f && beta2 < 1f)) throw new LucidArgumentException(nameof(beta2), $"NAdam: beta2 must be in [0, 1), got {beta2}.");
        Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; WeightDecay = weightDecay; MomentumDecay = momentumDecay;
        _m = new float[]?[Parameters.Length];
        _v = new float[]?[Parameters.Length];
        Register("m", _m);
        Register("v", _v);
    }

    private double Mu(int t) => Beta1 * (1.0 - 0.5 * Math.Pow(0.96, t * MomentumDecay));

    protected override void Update(int index, Span<float> p, ReadOnlySpan<float> g, int step)
    {
        if (_muStep != step)
        {
            _muStep = step;
            _muProduct *= Mu(step);
        }
        var m = State(ref _m, index);
        var v = State(ref _v, index);
        double mu = Mu(step), muNext = Mu(step + 1);
        float lr = LearningRate;
        float bc2 = 1f - MathF.Pow(Beta2, step);
        float gradCoef = (float)(lr * (1 - mu) / (1 - _muProduct));
        float momCoef = (float)(lr * muNext / (1 - _muProduct * muNext));
        for (int i = 0; i < p.Length; i++)
        {
            float gi = g[i] + WeightDecay * p[i];
            m[i] = Beta1 * m[i] + (1f - Beta1) * gi;
            v[i] = Beta2 * v[i] + (1f - Beta2) * gi * gi;
            float denom = MathF.Sqrt(v[i] / bc2) + Epsilon;
            p[i] -= gradCoef * gi / denom + momCoef * m[i] / denom;
        }
    }
}
