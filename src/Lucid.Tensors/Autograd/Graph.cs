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
