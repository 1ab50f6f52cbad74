using Lucid.Tensors;
using Lucid.Tensors.Autograd;
using Lucid.Tensors.Optim;
using Xunit;

namespace Lucid.Tensors.Tests;

public class AutogradTests
{
    [Fact]
    public void Backward_AccumulatesIntoLeafGrad_AcrossCalls()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }, 2).RequireGrad();
        Ops.Sum(x * x).Backward();
        Ops.Sum(x * x).Backward();
        Assert.Equal(new[] { 4f, 8f }, x.Grad!.ToArray());
    }

    [Fact]
    public void SharedSubexpression_ReceivesGradientFromEveryUse()
    {
        var x = Tensor.FromArray(new[] { 3f }, 1).RequireGrad();
        var y = Ops.Exp(x);
        var z = y * y + y; // dz/dx = (2y + 1)·y
        z.Backward(Tensor.Ones(1));
        float e = MathF.Exp(3f);
        Assert.Equal((2 * e + 1) * e, x.Grad!.Item(), 1);
    }

    [Fact]
    public void NoGrad_RecordsNoGraph()
    {
        var x = Tensor.Ones(3).RequireGrad();
        using (GradMode.NoGrad())
        {
            var y = Ops.Exp(x) * 2f;
            Assert.Null(y.GradFn);
            Assert.False(y.RequiresGrad);
        }
        Assert.NotNull(Ops.Exp(x).GradFn);
    }

    [Fact]
    public void SecondBackward_ThroughFreedGraph_Throws_UnlessRetained()
    {
        var x = Tensor.Ones(2).RequireGrad();
        var loss = Ops.Sum(Ops.Exp(x));
        loss.Backward(retainGraph: true);
        loss.Backward();
        var e = Assert.Throws<TensorLifetimeException>(() => loss.Backward());
        Assert.Contains("freed", e.Message);
        Assert.Contains("retainGraph", e.Message);
    }

    [Fact]
    public void Backward_ThroughDisposedTensor_Throws_NamingTheOp()
    {
        var x = Tensor.Ones(2, 2).RequireGrad();
        var h = Ops.Tanh(x);
        var loss = Ops.Sum(Ops.Mul(h, h));
        h.Dispose();
        var e = Assert.Throws<TensorLifetimeException>(() => loss.Backward());
        Assert.Contains("disposed", e.Message);
        Assert.Contains("mul", e.Message);
    }

    [Fact]
    public void UsingDisposedTensor_Throws()
    {
        var x = Tensor.Ones(2);
        x.Dispose();
        var e = Assert.Throws<TensorLifetimeException>(() => Ops.Exp(x));
        Assert.Contains("exp", e.Message);
        Assert.Throws<TensorLifetimeException>(() => x.Data.ToArray());
    }

    [Fact]
    public void Backward_OnNonScalarWithoutGradient_Throws()
    {
        var x = Tensor.Ones(2).RequireGrad();
        var e = Assert.Throws<ShapeMismatchException>(() => Ops.Exp(x).Backward());
        Assert.Contains("[2]", e.Message);
    }

    [Fact]
    public void Backward_OnTensorThatNeedsNoGrad_Throws() =>
        Assert.Throws<LucidArgumentException>(() => Ops.Sum(Tensor.Ones(2)).Backward());

    [Fact]
    public void BackwardHook_CanObserveWithoutChangingGradients()
    {
        var x = Tensor.FromArray(new[] { -1f, 2f }, 2).RequireGrad();
        var y = Ops.Relu(x);
        Tensor? seen = null;
        using (y.RegisterBackwardHook((node, g) => { seen = g.Clone(); return null; }))
            Ops.Sum(y * 3f).Backward();
        Assert.Equal(new[] { 3f, 3f }, seen!.ToArray());
        Assert.Equal(new[] { 0f, 3f }, x.Grad!.ToArray());
    }

    [Fact]
    public void BackwardHook_CanReplaceTheRule_AsGuidedBackpropDoes()
    {
        var x = Tensor.FromArray(new[] { -1f, 2f, 3f }, 3).RequireGrad();
        var g = Tensor.FromArray(new[] { 1f, -1f, 2f }, 3);
        // guided backprop: pass only positive gradients through ReLUs
        NodeBackwardHook guided = (node, gradOut) =>
        {
            if (node.Op != "relu") return null;
            var grads = node.ComputeDefaultGradients(gradOut);
            var clamped = Ops.Relu(grads[0]!);
            grads[0]!.Dispose();
            return new[] { clamped };
        };
        Gradients.Backward(Ops.Relu(x), guided, g);
        Assert.Equal(new[] { 0f, 0f, 2f }, x.Grad!.ToArray());
    }

    [Fact]
    public void GradientsOf_ReturnsGradientsWithoutTouchingGrad()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }, 2).RequireGrad();
        var h = Ops.Mul(x, x);
        var loss = Ops.Sum(Ops.Mul(h, 3f));
        var grads = Gradients.Of(loss, new[] { x, h });
        Assert.Equal(new[] { 6f, 12f }, grads[0].ToArray());
        Assert.Equal(new[] { 3f, 3f }, grads[1].ToArray());
        Assert.Null(x.Grad);
    }


    /// <summary>
    /// Gradients.Of computes only what leads to the requested tensors: asking for the input's gradient of a convolution
    /// with trainable weights must not compute the weight gradient (attribution would pay for it on every layer), and
    /// asking for the weight must.
    /// </summary>
    [Fact]
    public void GradientsOf_ComputesOnlyGradientsOnAPathToTheRequestedTensors()
    {
        var rng = new Rng(3);
        var x = rng.Normal(new[] { 1, 2, 5, 5 }).RequireGrad();
        var w = rng.Normal(new[] { 3, 2, 3, 3 }).RequireGrad();
        var b = rng.Normal(new[] { 3 }).RequireGrad();
        foreach (var (wanted, weightGradient) in new[] { (x, false), (w, true) })
        {
            var y = Ops.Sum(Ops.Relu(Ops.Conv2d(x, w, b)));
            Tensor?[]? seen = null;
            NodeBackwardHook hook = (node, g) => node.Op == "conv2d" ? seen = node.ComputeDefaultGradients(g) : null;
            var result = Gradients.Of(y, new[] { wanted }, nodeHook: hook)[0];
            Assert.NotNull(seen);
            Assert.Equal(weightGradient, seen![1] is not null);
            Assert.Equal(!weightGradient, seen[0] is not null);
            Assert.Null(seen[2]);
            Assert.Equal(wanted.Shape.ToArray(), result.Shape.ToArray());
        }
        Assert.Null(w.Grad);
    }
    [Fact]
    public void GradHook_CanRescaleALeafGradient()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }, 2).RequireGrad();
        using (x.RegisterGradHook(g => Ops.Mul(g, 10f)))
            Ops.Sum(x).Backward();
        Assert.Equal(new[] { 10f, 10f }, x.Grad!.ToArray());
    }

    [Fact]
    public void Scope_DisposesTemporaries_ButNotDetachedOrOuterTensors()
    {
        var outer = Tensor.Ones(2);
        Tensor inner, kept;
        using (Tensor.Scope())
        {
            inner = Ops.Exp(outer);
            kept = Ops.Exp(outer).DetachFromScope();
        }
        Assert.True(inner.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.False(outer.IsDisposed);
    }

    [Fact]
    public void Scope_KeepsLeafGradients_AcrossSteps()
    {
        var w = Tensor.Ones(3).RequireGrad();
        for (int step = 0; step < 2; step++)
            using (Tensor.Scope())
                Ops.Sum(Ops.Mul(w, w)).Backward();
        Assert.Equal(new[] { 4f, 4f, 4f }, w.Grad!.ToArray());
    }

    [Fact]
    public void Results_AreBitIdentical_ForTheSameSeed()
    {
        float[] Run()
        {
            var rng = new Rng(42);
            var x = rng.Normal(new[] { 2, 3, 17, 19 }).RequireGrad();
            var w = rng.Normal(new[] { 8, 3, 3, 3 }).RequireGrad();
            var y = Ops.Relu(Ops.Conv2d(x, w, null, 1, 1));
            Ops.Sum(Ops.MaxPool2d(y, 2, 2, 0, 1, true)).Backward();
            return y.ToArray().Concat(x.Grad!.ToArray()).Concat(w.Grad!.ToArray()).ToArray();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Adam_MatchesHandComputedFirstSteps()
    {
        // PyTorch's Adam on f(p) = p² from p = 1, lr 0.1: step 1 moves by exactly lr (m̂/√v̂ = ±1).
        var p = Tensor.FromArray(new[] { 1f }, 1).RequireGrad();
        var opt = new Adam(new[] { p }, 0.1f);
        opt.ZeroGrad();
        Ops.Sum(Ops.Mul(p, p)).Backward();
        opt.Step();
        Assert.Equal(0.9f, p.Item(), 5);
        // step 2: g = 1.8; m = 0.9·0.2 + 0.1·1.8 = 0.36, v = 0.999·0.004 + 0.001·3.24 = 0.007236
        opt.ZeroGrad();
        Ops.Sum(Ops.Mul(p, p)).Backward();
        opt.Step();
        double m = 0.36 / (1 - 0.81), v = 0.007236 / (1 - 0.998001);
        Assert.Equal(0.9 - 0.1 * m / (Math.Sqrt(v) + 1e-8), p.Item(), 5);
    }

    [Fact]
    public void Optimizers_MinimizeAQuadratic()
    {
        foreach (var make in new Func<Tensor, Optimizer>[]
        {
            p => new Sgd(new[] { p }, 0.1f, momentum: 0.9f, nesterov: true),
            p => new Adam(new[] { p }, 0.1f),
            p => new AdamW(new[] { p }, 0.1f, weightDecay: 0f),
            p => new NAdam(new[] { p }, 0.1f),
        })
        {
            var p = Tensor.FromArray(new[] { 3f, -2f }, 2).RequireGrad();
            var opt = make(p);
            for (int i = 0; i < 300; i++)
            {
                opt.ZeroGrad();
                using (Tensor.Scope()) Ops.Sum(Ops.Mul(p, p)).Backward();
                opt.Step();
            }
            Assert.All(p.ToArray(), v => Assert.True(Math.Abs(v) < 0.05, $"{opt.GetType().Name} left {v}"));
        }
    }

    [Fact]
    public void Schedules_FollowTheirDefinitions()
    {
        var step = new StepSchedule(10, 0.5f);
        Assert.Equal(1f, step.LearningRate(9, 1f));
        Assert.Equal(0.5f, step.LearningRate(10, 1f));
        var cos = new CosineWarmupSchedule(10, 110, 0f);
        Assert.Equal(0.1f, cos.LearningRate(0, 1f), 6);
        Assert.Equal(1f, cos.LearningRate(10, 1f), 6);
        Assert.Equal(0.5f, cos.LearningRate(60, 1f), 6);
        Assert.Equal(0f, cos.LearningRate(110, 1f), 6);
    }

    [Fact]
    public void Rng_IsDeterministic_AndMatchesRequestedMoments()
    {
        var a = new Rng(7).Normal(new[] { 20000 }, 1f, 2f).ToArray();
        var b = new Rng(7).Normal(new[] { 20000 }, 1f, 2f).ToArray();
        Assert.Equal(a, b);
        double mean = a.Average(v => (double)v);
        double sd = Math.Sqrt(a.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, 0.95, 1.05);
        Assert.InRange(sd, 1.95, 2.05);
        var perm = new Rng(3).Permutation(100);
        Assert.Equal(Enumerable.Range(0, 100), perm.OrderBy(v => v));
        var ints = new Rng(3).Integers(1000, -3, 4);
        Assert.All(ints, v => Assert.InRange(v, -3, 3));
        Assert.Equal(7, ints.Distinct().Count());
    }
}

public class NestedBackwardTests
{
    /// <summary>A hook may run a backward pass of its own (LRP rules re-run their layer): the outer pass is unaffected.</summary>
    [Fact]
    public void HookRunningItsOwnBackward_LeavesTheOuterPassIntact()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f, 3f }, 3).RequireGrad();
        var y = Ops.Mul(Ops.Exp(x), 2f);
        var loss = Ops.Sum(Ops.Mul(y, y));
        NodeBackwardHook hook = (node, g) =>
        {
            if (node.Op != "exp") return null;
            using var _ = GradMode.EnableGrad();
            var inner = Tensor.FromArray(new[] { 5f, 6f }, 2).RequireGrad();
            var innerGrad = Gradients.Of(Ops.Sum(Ops.Mul(Ops.Exp(inner), Ops.Tanh(inner))), new[] { inner })[0];
            Assert.Equal(2, innerGrad.Count);
            return null;
        };
        var expected = x.ToArray().Select(v => 8f * MathF.Exp(2 * v)).ToArray();
        var grads = Gradients.Of(loss, new[] { x }, nodeHook: hook)[0].ToArray();
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], grads[i], expected[i] * 1e-5f);
    }

    /// <summary>
    /// Backward restricted to some leaves (PyTorch's backward(inputs=…)): those get the same gradient bits as a full
    /// Backward gives them, a retained intermediate on their path too, and the other leaves — a convolution's weights
    /// and bias here — get none: their gradients are not computed.
    /// </summary>
    [Fact]
    public void BackwardToChosenInputs_GivesThemTheFullPassesGradients_AndLeavesTheOthersUntouched()
    {
        var rng = new Rng(5);
        var w = rng.Normal(new[] { 4, 3, 3, 3 }, 0f, 0.3f).DetachFromScope().RequireGrad();
        var b = rng.Normal(new[] { 4 }).DetachFromScope().RequireGrad();
        var p = rng.Normal(new[] { 1, 3, 6, 6 }).DetachFromScope().RequireGrad();
        (Tensor Loss, Tensor Picture) Loss()
        {
            var picture = Ops.Sigmoid(p);
            picture.RetainGrad();
            return (Ops.Sum(Ops.Relu(Ops.Conv2d(picture, w, b, 1, 1)) * Ops.Relu(Ops.Conv2d(picture, w, b, 1, 1))), picture);
        }
        var (full, fullPicture) = Loss();
        full.Backward();
        var expected = p.Grad!.ToArray();
        var expectedPicture = fullPicture.Grad!.ToArray();
        Assert.NotNull(w.Grad);
        w.Grad = null;
        b.Grad = null;
        p.Grad = null;

        var (only, onlyPicture) = Loss();
        Gradients.Backward(only, new[] { p });
        Assert.Equal(expected, p.Grad!.ToArray());
        Assert.Equal(expectedPicture, onlyPicture.Grad!.ToArray());
        Assert.Null(w.Grad);
        Assert.Null(b.Grad);
        Assert.Throws<LucidArgumentException>(() => Gradients.Backward(Loss().Loss, (IReadOnlyList<Tensor>)null!));
        // a leaf that is its own output gets a gradient only when it is among the chosen
        var leaf = Tensor.FromArray(new[] { 2f }, 1).RequireGrad();
        Gradients.Backward(leaf, new[] { p });
        Assert.Null(leaf.Grad);
        Gradients.Backward(leaf, new[] { leaf });
        Assert.Equal(new[] { 1f }, leaf.Grad!.ToArray());
    }
}
