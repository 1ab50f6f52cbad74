namespace Lucid.Tensors.Autograd;

/// <summary>Reverse-mode traversal of the recorded graph.</summary>
internal static class AutogradEngine
{
    [ThreadStatic] private static List<Node>? _order;
    [ThreadStatic] private static Stack<(Node Node, int Next)>? _stack;
    [ThreadStatic] private static Tensor?[][]? _gradArrays;
    /// <summary>Nesting depth of backward passes on this thread: hooks (LRP rules) run backward passes of their own,
    /// and only the outermost pass may use the cached scratch lists.</summary>
    [ThreadStatic] private static int _depth;
    private static int _epoch;
    /// <summary>The tensors the running pass delivers gradients to (null: every tensor that requires them).</summary>
    [ThreadStatic] private static HashSet<Tensor>? _wanted;
    [ThreadStatic] private static HashSet<Tensor>? _wantedScratch;

    public static bool IsWanted(Tensor t) => _wanted is null || _wanted.Contains(t);

    /// <summary>Runs backward from <paramref name="root"/>. With <paramref name="capture"/>, gradients reaching those tensors are returned instead of accumulated.</summary>
    public static Tensor?[]? Run(Tensor root, Tensor? gradient, bool retainGraph, NodeBackwardHook? nodeHook, Tensor[]? capture) =>
        Run(root, gradient, retainGraph, nodeHook, capture, only: null);

    /// <summary>
    /// As above; with <paramref name="only"/> (and no capture), gradients are accumulated into those tensors alone, and
    /// only the paths that reach them are computed — PyTorch's <c>backward(inputs=…)</c>.
    /// </summary>
    public static Tensor?[]? Run(Tensor root, Tensor? gradient, bool retainGraph, NodeBackwardHook? nodeHook, Tensor[]? capture, IReadOnlyList<Tensor>? only)
    {
        root.ThrowIfDisposed("Backward");
        if (!root.RequiresGrad)
            throw new LucidArgumentException("this", $"Backward: tensor of shape {Shapes.Format(root.ShapeArray)} does not require gradients (no input of the computation had RequiresGrad = true, or it was computed under NoGrad).");
        Tensor seed;
        if (gradient is null)
        {
            if (root.Count != 1)
                throw new ShapeMismatchException($"Backward: a gradient must be given for a non-scalar output of shape {Shapes.Format(root.ShapeArray)}.");
            seed = Tensor.Uninitialized(root.ShapeArray, "backward");
            seed.Data[0] = 1f;
        }
        else
        {
            gradient.ThrowIfDisposed("Backward(gradient)");
            if (!Shapes.SameShape(gradient.Shape, root.Shape))
                throw new ShapeMismatchException($"Backward: gradient of shape {Shapes.Format(gradient.ShapeArray)} does not match output shape {Shapes.Format(root.ShapeArray)}.");
            seed = Tensor.Uninitialized(root.ShapeArray, "backward");
            gradient.Data.CopyTo(seed.Data);
        }
        seed.DetachFromScope();

        var captured = capture is null ? null : new Tensor?[capture.Length];
        using var _ = GradMode.NoGrad();
        _depth++;
        var outerWanted = _wanted;
        try
        {
            return RunGraph(root, seed, retainGraph, nodeHook, capture, captured, only);
        }
        finally
        {
            _wanted = outerWanted;
            _depth--;
        }
    }

    private static Tensor?[]? RunGraph(Tensor root, Tensor seed, bool retainGraph, NodeBackwardHook? nodeHook, Tensor[]? capture, Tensor?[]? captured,
        IReadOnlyList<Tensor>? only)
    {
        if (root._gradFn is null)
        {
            if (only is null || only.Any(t => ReferenceEquals(t, root))) DeliverToLeaf(root, seed, capture, captured);
            seed.Dispose();
            return captured;
        }

        var order = TopologicalOrder(root._gradFn);
        _wanted = capture is not null ? WantedTensors(order, capture) : only is not null ? WantedTensors(order, only) : null;
        root._pendingGrad = seed;
        try
        {
            for (int n = order.Count - 1; n >= 0; n--)
            {
                var node = order[n];
                var output = node.Output;
                var g = output._pendingGrad;
                output._pendingGrad = null;
                if (g is null || _wanted is not null && !_wanted.Contains(output))
                {
                    g?.Dispose();
                    if (!retainGraph) node.Free();
                    continue;
                }
                g = ApplyGradHooks(output, g);
                if (output._retainGrad) output.AccumulateLeafGrad(g);
                int ci = capture is null ? -1 : Array.IndexOf(capture, output);
                if (ci >= 0) AddCaptured(captured!, ci, g);

                var inputs = node.InputArray;
                var grads = RentGradArray(inputs.Length);
                try
                {
                    node.Run(g, grads, nodeHook);
                    for (int i = 0; i < inputs.Length; i++)
                    {
                        var gi = grads[i];
                        if (gi is null) continue;
                        var input = inputs[i];
                        bool owned = gi != g && Array.IndexOf(grads, gi, 0, i) < 0;
                        if (!input.RequiresGrad || _wanted is not null && !_wanted.Contains(input))
                        {
                            if (owned) gi.Dispose();
                            continue;
                        }
                        if (input._gradFn is null)
                        {
                            var hooked = ApplyGradHooks(input, gi, owned);
                            DeliverToLeaf(input, hooked, capture, captured);
                            if (owned || hooked != gi) hooked.Dispose();
                            if (owned && hooked != gi) gi.Dispose();
                        }
                        else if (input._pendingGrad is null)
                        {
                            input._pendingGrad = owned ? gi.DetachFromScope() : Copy(gi);
                        }
                        else
                        {
                            System.Numerics.Tensors.TensorPrimitives.Add(input._pendingGrad.Data, gi.Data, input._pendingGrad.Data);
                            if (owned) gi.Dispose();
                        }
                    }
                }
                finally
                {
                    Array.Clear(grads);
                    g.Dispose();
                }
                if (!retainGraph) node.Free();
            }
        }
        finally
        {
            foreach (var node in order)
            {
                node.Output._pendingGrad?.Dispose();
                node.Output._pendingGrad = null;
            }
            order.Clear();
            if (_depth == 1) _wantedScratch?.Clear();
        }
        return captured;
    }

    /// <summary>
    /// The captured tensors and every node output from which one of them is reachable backwards (order is children
    /// first, so one forward sweep decides each node from its inputs).
    /// </summary>
    private static HashSet<Tensor> WantedTensors(List<Node> order, IReadOnlyList<Tensor> capture)
    {
        // the outermost pass reuses one set (a render step runs one per step and should not allocate it each time);
        // passes run from hooks inside it build their own
        HashSet<Tensor> wanted;
        if (_depth == 1) (wanted = _wantedScratch ??= new HashSet<Tensor>(ReferenceEqualityComparer.Instance)).Clear();
        else wanted = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var t in capture) wanted.Add(t);
        foreach (var node in order)
            foreach (var input in node.InputArray)
                if (wanted.Contains(input)) { wanted.Add(node.Output); break; }
        return wanted;
    }

    private static Tensor Copy(Tensor t)
    {
        var c = Tensor.Uninitialized(t.ShapeArray, "grad");
        c.DetachFromScope();
        t.Data.CopyTo(c.Data);
        return c;
    }

    private static Tensor ApplyGradHooks(Tensor t, Tensor g, bool owned = true)
    {
        if (t._gradHooks is null) return g;
        foreach (var hook in t._gradHooks.ToArray())
        {
            var replaced = hook(g);
            if (replaced is null || replaced == g) continue;
            if (!Shapes.SameShape(replaced.Shape, t.Shape))
                throw new ShapeMismatchException($"gradient hook: returned shape {Shapes.Format(replaced.ShapeArray)} for a tensor of shape {Shapes.Format(t.ShapeArray)}.");
            var copy = Copy(replaced);
            if (owned) g.Dispose();
            owned = true;
            g = copy;
        }
        return g;
    }

    private static void DeliverToLeaf(Tensor leaf, Tensor g, Tensor[]? capture, Tensor?[]? captured)
    {
        int ci = capture is null ? -1 : Array.IndexOf(capture, leaf);
        if (ci >= 0) AddCaptured(captured!, ci, g);
        else if (capture is null) leaf.AccumulateLeafGrad(g);
    }

    private static void AddCaptured(Tensor?[] captured, int index, Tensor g)
    {
        if (captured[index] is null) captured[index] = Copy(g);
        else System.Numerics.Tensors.TensorPrimitives.Add(captured[index]!.Data, g.Data, captured[index]!.Data);
    }

    private static Tensor?[] RentGradArray(int length)
    {
        if (_depth > 1) return new Tensor?[length];
        var arrays = _gradArrays ??= new Tensor?[9][];
        if (length < arrays.Length) return arrays[length] ??= new Tensor?[length];
        return new Tensor?[length];
    }

    private static List<Node> TopologicalOrder(Node root)
    {
        int epoch = Interlocked.Increment(ref _epoch);
        var order = _depth > 1 ? new List<Node>() : _order ??= new List<Node>();
        var stack = _depth > 1 ? new Stack<(Node, int)>() : _stack ??= new Stack<(Node, int)>();
        order.Clear();
        root.VisitEpoch = epoch;
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            var inputs = node.InputArray;
            bool descended = false;
            for (int i = next; i < inputs.Length; i++)
            {
                var child = inputs[i]._gradFn;
                if (child is null || child.VisitEpoch == epoch) continue;
                if (child.IsFreed)
                    throw new TensorLifetimeException($"backward: the graph through '{child.Op}' was already freed by an earlier Backward(); pass retainGraph: true to the first call to run backward twice.");
                child.VisitEpoch = epoch;
                stack.Push((node, i + 1));
                stack.Push((child, 0));
                descended = true;
                break;
            }
            if (!descended) order.Add(node);
        }
        if (root.IsFreed)
            throw new TensorLifetimeException($"backward: the graph through '{root.Op}' was already freed by an earlier Backward(); pass retainGraph: true to the first call to run backward twice.");
        return order;
    }
}

/// <summary>Functional gradients, like <c>torch.autograd.grad</c>.</summary>
public static class Gradients
{
    /// <summary>
    /// The gradients of <paramref name="output"/> with respect to <paramref name="inputs"/> (leaves or intermediate
    /// tensors), without touching any <see cref="Tensor.Grad"/>. An input the output does not depend on gets zeros.
    /// </summary>
    public static Tensor[] Of(Tensor output, IReadOnlyList<Tensor> inputs, Tensor? gradOutput = null, bool retainGraph = false, NodeBackwardHook? nodeHook = null)
    {
        var capture = inputs.ToArray();
        var captured = AutogradEngine.Run(output, gradOutput, retainGraph, nodeHook, capture)!;
        var result = new Tensor[capture.Length];
        for (int i = 0; i < capture.Length; i++)
        {
            result[i] = captured[i] ?? Tensor.Zeros(capture[i].ShapeArray);
            if (captured[i] is not null) TensorScope.Register(result[i]);
        }
        return result;
    }

    /// <summary>Backward with a hook applied to every node (e.g. guided backprop's ReLU rule, LRP rules by layer kind).</summary>
    public static void Backward(Tensor output, NodeBackwardHook nodeHook, Tensor? gradOutput = null, bool retainGraph = false) =>
        AutogradEngine.Run(output, gradOutput, retainGraph, nodeHook, capture: null);

    /// <summary>
    /// Backward that accumulates into the <see cref="Tensor.Grad"/> of <paramref name="inputs"/> alone, computing only
    /// the paths that reach them (PyTorch's <c>backward(inputs=…)</c>): a render's step needs its image's gradient, not
    /// the weight gradients of a model whose parameters require them. Intermediate tensors on those paths that retain
    /// their gradient still get it.
    /// </summary>
    public static void Backward(Tensor output, IReadOnlyList<Tensor> inputs, NodeBackwardHook? nodeHook = null, Tensor? gradOutput = null, bool retainGraph = false)
    {
        if (inputs is null) throw new LucidArgumentException(nameof(inputs), "Backward: inputs is null; pass the tensors whose gradients are to be accumulated.");
        AutogradEngine.Run(output, gradOutput, retainGraph, nodeHook, capture: null, only: inputs);
    }
}
