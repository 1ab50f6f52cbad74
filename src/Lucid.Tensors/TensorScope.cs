namespace Lucid.Tensors;

/// <summary>
/// Disposes every tensor created on this thread while it is the innermost open scope, except those detached or moved
/// out. Scopes nest. Typical use: <c>using (Tensor.Scope()) { ... one optimization step ... }</c>.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;
    private readonly List<Tensor?> _tensors = new();
    private bool _disposed;

    internal TensorScope? Outer { get; }

    private TensorScope()
    {
        Outer = _current;
        _current = this;
    }

    /// <summary>Opens a scope on the current thread.</summary>
    public static TensorScope Open() => new();

    internal static void Register(Tensor t)
    {
        _current?.Add(t);
    }

    internal void Add(Tensor t)
    {
        t._scope = this;
        t._scopeIndex = _tensors.Count;
        _tensors.Add(t);
    }

    internal void Forget(Tensor t)
    {
        if (t._scope != this) return;
        _tensors[t._scopeIndex] = null;
        t._scope = null;
    }

    /// <summary>Disposes the tensors this scope still owns, and closes it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_current != this)
            throw new LucidException("TensorScope: scopes must be disposed innermost first (a scope was disposed while a nested one was still open).");
        _current = Outer;
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            if (t is null) continue;
            t._scope = null;
            t.Dispose();
        }
        _tensors.Clear();
    }
}

public sealed partial class Tensor
{
    /// <summary>Opens a <see cref="TensorScope"/> on the current thread.</summary>
    public static TensorScope Scope() => TensorScope.Open();
}
