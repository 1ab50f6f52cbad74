using Lucid.Tensors.Autograd;

namespace Lucid.Tensors;

public static partial class Ops
{
    /// <summary>
    /// A differentiable operation computed elsewhere (another engine, a native library): <paramref name="output"/> was
    /// computed from <paramref name="inputs"/>, and <paramref name="backward"/> gives the inputs' gradients from the
    /// output's. Records the operation when gradients are on and an input requires them; <paramref name="owned"/>
    /// (what backward needs, e.g. the other engine's graph) is disposed when the recorded node is freed, or at once when
    /// nothing is recorded. Returns <paramref name="output"/>.
    /// </summary>
    public static Tensor Function(string op, Tensor output, IReadOnlyList<Tensor> inputs, BackwardFunction backward, IDisposable? owned = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(op);
        output.ThrowIfDisposed(op);
        var array = inputs.ToArray();
        foreach (var t in array) t.ThrowIfDisposed(op);
        if (!Graph.Needs(array))
        {
            owned?.Dispose();
            return output;
        }
        return owned is null ? Graph.Record(output, op, array, backward) : Graph.Record(output, op, array, owned, backward);
    }
}
