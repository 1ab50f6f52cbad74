namespace Lucid.Tensors.Autograd;

/// <summary>Computes the gradients of a node's inputs from the gradient of its output. Entries may stay null (no gradient).</summary>
public delegate void BackwardFunction(Tensor gradOutput, Tensor?[] inputGradients);

/// <summary>
/// Observes or replaces a node's backward rule. Return null to let the node's own rule run; return an array (one entry
/// per input, null for "no gradient") to replace it. <see cref="Node.ComputeDefaultGradients"/> gives the default rule's result.
/// </summary>
public delegate Tensor?[]? NodeBackwardHook(Node node, Tensor gradOutput);

/// <summary>One recorded operation of the autograd graph.</summary>
public sealed class Node
{
    private readonly Tensor[] _inputs;
    private BackwardFunction? _backward;
    private List<NodeBackwardHook>? _hooks;
    internal int VisitEpoch;
    internal int PendingChildren;

    private IDisposable? _owned;

    internal Node(string op, Tensor[] inputs, BackwardFunction backward, object? attributes, Tensor output, IDisposable? owned)
    {
        _owned = owned;
        Op = op;
        _inputs = inputs;
        _backward = backward;
        Attributes = attributes;
        Output = output;
    }

    /// <summary>The operation's name, e.g. <c>conv2d</c>, <c>relu</c>, <c>add</c>.</summary>
    public string Op { get; }

    /// <summary>The operation's inputs, in the op's documented order (e.g. conv2d: input, weight, bias).</summary>
    public IReadOnlyList<Tensor> Inputs => _inputs;

    internal Tensor[] InputArray => _inputs;

    /// <summary>The op's hyper-parameters (e.g. <see cref="Conv2dAttributes"/>), for hooks that re-run the op with another rule.</summary>
    public object? Attributes { get; }

    /// <summary>The tensor this node produced.</summary>
    public Tensor Output { get; }

    /// <summary>True once a backward pass without <c>retainGraph</c> has released this node.</summary>
    public bool IsFreed => _backward is null;

    internal bool HasHooks => _hooks is { Count: > 0 };

    internal IDisposable AddHook(NodeBackwardHook hook)
    {
        (_hooks ??= new()).Add(hook);
        return new HookHandle(this, hook);
    }

    /// <summary>Runs this node's own backward rule (ignoring hooks) and returns the input gradients.</summary>
    public Tensor?[] ComputeDefaultGradients(Tensor gradOutput)
    {
        var result = new Tensor?[_inputs.Length];
        RunDefault(gradOutput, result);
        return result;
    }

    internal void RunDefault(Tensor gradOutput, Tensor?[] result)
    {
        if (_backward is null)
            throw new TensorLifetimeException($"backward: the graph through '{Op}' was already freed by an earlier Backward(); pass retainGraph: true to the first call to run backward twice.");
        for (int i = 0; i < _inputs.Length; i++)
            if (_inputs[i].IsDisposed)
                throw new TensorLifetimeException($"backward: input {i} of '{Op}' (shape {Shapes.Format(_inputs[i].ShapeArray)}) was disposed before backward; keep the tensors of a graph alive until Backward() has run.");
        if (Output.IsDisposed)
            throw new TensorLifetimeException($"backward: the output of '{Op}' was disposed before backward.");
        _backward(gradOutput, result);
    }

    internal void Run(Tensor gradOutput, Tensor?[] result, NodeBackwardHook? globalHook)
    {
        if (_hooks is not null)
        {
            for (int h = _hooks.Count - 1; h >= 0; h--)
            {
                var replaced = _hooks[h](this, gradOutput);
                if (replaced is not null) { CopyReplacement(replaced, result); return; }
            }
        }
        if (globalHook is not null)
        {
            var replaced = globalHook(this, gradOutput);
            if (replaced is not null) { CopyReplacement(replaced, result); return; }
        }
        RunDefault(gradOutput, result);
    }

    private void CopyReplacement(Tensor?[] replaced, Tensor?[] result)
    {
        if (_backward is null)
            throw new TensorLifetimeException($"backward: the graph through '{Op}' was already freed by an earlier Backward().");
        if (replaced.Length != _inputs.Length)
            throw new LucidArgumentException("hook", $"backward hook on '{Op}' returned {replaced.Length} gradients for {_inputs.Length} inputs.");
        for (int i = 0; i < replaced.Length; i++)
        {
            var g = replaced[i];
            if (g is not null && !Shapes.SameShape(g.Shape, _inputs[i].Shape))
                throw new ShapeMismatchException($"backward hook on '{Op}': gradient {i} has shape {Shapes.Format(g.Shape)}, input {i} has shape {Shapes.Format(_inputs[i].Shape)}.");
            result[i] = g;
        }
    }

    internal void Free()
    {
        _backward = null;
        _owned?.Dispose();
        _owned = null;
    }

    public override string ToString() => $"{Op}({string.Join(", ", _inputs.Select(t => Shapes.Format(t.ShapeArray)))})";

    private sealed class HookHandle(Node node, NodeBackwardHook hook) : IDisposable
    {
        public void Dispose() => node._hooks?.Remove(hook);
    }
}
