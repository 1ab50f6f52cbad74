namespace Lucid.Tensors.Autograd;

/// <summary>Records op outputs into the autograd graph.</summary>
internal static class Graph
{
    public static bool Needs(Tensor a) => a.RequiresGrad && GradMode.IsEnabled;
    public static bool Needs(Tensor a, Tensor b) => (a.RequiresGrad || b.RequiresGrad) && GradMode.IsEnabled;
    public static bool Needs(Tensor a, Tensor b, Tensor? c) => (a.RequiresGrad || b.RequiresGrad || (c?.RequiresGrad ?? false)) && GradMode.IsEnabled;

    public static bool Needs(ReadOnlySpan<Tensor> inputs)
    {
        if (!GradMode.IsEnabled) return false;
        foreach (var t in inputs) if (t.RequiresGrad) return true;
        return false;
    }

    /// <summary>
    /// Inside a backward rule: whether input <paramref name="t"/> needs a gradient in the running pass. A pass that
    /// captures gradients (<see cref="Gradients.Of"/>) wants only tensors on a path to what it captures, so e.g. an
    /// attribution does not compute the weight gradients of every convolution.
    /// </summary>
    public static bool Wants(Tensor t) => t.RequiresGrad && AutogradEngine.IsWanted(t);

    public static Tensor Record(Tensor output, string op, Tensor[] inputs, BackwardFunction backward, object? attributes = null)
    {
        output._gradFn = new Node(op, inputs, backward, attributes, output, owned: null);
        output.MarkRequiresGrad();
        return output;
    }

    /// <summary>Records a node that owns a temporary (saved for backward); it is disposed when the node is freed.</summary>
    public static Tensor Record(Tensor output, string op, Tensor[] inputs, IDisposable owned, BackwardFunction backward, object? attributes = null)
    {
        if (owned is Tensor t) t.DetachFromScope();
        output._gradFn = new Node(op, inputs, backward, attributes, output, owned);
        output.MarkRequiresGrad();
        return output;
    }
}
