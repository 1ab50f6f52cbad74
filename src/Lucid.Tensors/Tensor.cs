using System.Runtime.CompilerServices;
using Lucid.Tensors.Autograd;

namespace Lucid.Tensors;

/// <summary>
/// A dense float32 tensor in contiguous row-major (NCHW for images) layout, backed by pooled memory.
/// Tensors take part in reverse-mode autodiff: set <see cref="RequiresGrad"/> on leaves, call <see cref="Backward"/>
/// on a scalar result, read <see cref="Grad"/>. Dispose tensors (or open a <see cref="TensorScope"/>) to return memory to the pool.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private Storage _storage;
    private readonly int[] _shape;
    private readonly int _count;
    private bool _disposed;
    private bool _requiresGrad;
    private Tensor? _grad;
    internal Node? _gradFn;
    internal bool _retainGrad;
    internal List<Func<Tensor, Tensor?>>? _gradHooks;
    /// <summary>Gradient being accumulated for this tensor during one backward pass.</summary>
    internal Tensor? _pendingGrad;
    internal TensorScope? _scope;
    internal int _scopeIndex;

    private Tensor(Storage storage, int[] shape, int count)
    {
        _storage = storage;
        _shape = shape;
        _count = count;
        TensorScope.Register(this);
    }

    internal static Tensor Uninitialized(int[] shape, string op = "tensor")
    {
        int count = Shapes.Count(shape, op);
        return new Tensor(new Storage(TensorPool.Rent(count), pooled: true), shape, count);
    }

    internal static Tensor Uninitialized(ReadOnlySpan<int> shape, string op = "tensor") => Uninitialized(shape.ToArray(), op);

    /// <summary>A view sharing this tensor's storage under another shape (same element count).</summary>
    internal Tensor ViewAs(int[] shape)
    {
        ThrowIfDisposed("view");
        _storage.AddRef();
        return new Tensor(_storage, shape, _count);
    }

    // ---- shape ---------------------------------------------------------------------------------------------------

    /// <summary>The sizes of the dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements.</summary>
    public int Count => _count;

    /// <summary>The size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => _shape[Shapes.NormalizeDim(dim, _shape.Length, "Size")];

    internal int[] ShapeArray => _shape;

    /// <summary>An optional name used in error messages and graph dumps (models set it to the tap name).</summary>
    public string? Name { get; set; }

    public override string ToString()
    {
        var shape = Shapes.Format(_shape);
        if (_disposed) return $"Tensor{shape} (disposed)";
        var grad = _gradFn is not null ? $", grad_fn={_gradFn.Op}" : _requiresGrad ? ", requires_grad" : "";
        if (_count > 8) return $"Tensor{shape}{grad}";
        return $"Tensor{shape}{grad} [{string.Join(", ", Data.ToArray().Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)))}]";
    }

    // ---- data ----------------------------------------------------------------------------------------------------

    /// <summary>The elements, row-major. Throws <see cref="TensorLifetimeException"/> once the tensor is disposed.</summary>
    public Span<float> Data
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (_disposed) ThrowDisposed("Data");
            return new Span<float>(_storage.Array, 0, _count);
        }
    }

    internal float[] Buffer
    {
        get
        {
            if (_disposed) ThrowDisposed("Buffer");
            return _storage.Array;
        }
    }

    /// <summary>A copy of the elements.</summary>
    public float[] ToArray() => Data.ToArray();

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (_count != 1)
            throw new ShapeMismatchException($"Item: expected a tensor with one element, got shape {Shapes.Format(_shape)}.");
        return Data[0];
    }

    /// <summary>Element at a multi-index (for tests and inspection; not for hot loops).</summary>
    [IndexerName("Element")]
    public float this[params int[] index]
    {
        get => Data[FlatIndex(index)];
        set => Data[FlatIndex(index)] = value;
    }

    /// <summary>
    /// The examples <paramref name="range"/> of a batch — a slice along the first dimension (<c>images[2..5]</c>,
    /// <c>images[^1..]</c>), differentiable as <see cref="Ops.Slice"/>. A range outside the batch is refused.
    /// </summary>
    [IndexerName("Element")]
    public Tensor this[Range range]
    {
        get
        {
            ThrowIfDisposed("range indexer");
            if (_shape.Length == 0) throw new ShapeMismatchException("range indexer: a scalar tensor has no first dimension to slice.");
            int n = _shape[0];
            int start = range.Start.IsFromEnd ? n - range.Start.Value : range.Start.Value;
            int end = range.End.IsFromEnd ? n - range.End.Value : range.End.Value;
            if (start < 0 || end > n || start > end)
                throw new LucidArgumentException(nameof(range), $"range indexer: {range} is outside the first dimension of shape {Shapes.Format(_shape)} (0..{n}).");
            return Ops.Slice(this, 0, start, end);
        }
    }

    private int FlatIndex(int[] index)
    {
        if (index.Length != _shape.Length)
            throw new ShapeMismatchException($"indexer: {index.Length} indices for a tensor of shape {Shapes.Format(_shape)}.");
        int flat = 0;
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)_shape[i])
                throw new LucidArgumentException("index", $"indexer: index {index[i]} is out of range for dimension {i} of size {_shape[i]}.");
            flat = flat * _shape[i] + index[i];
        }
        return flat;
    }

    public bool IsDisposed => _disposed;

    internal void ThrowIfDisposed(string op)
    {
        if (_disposed) ThrowDisposed(op);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowDisposed(string op) =>
        throw new TensorLifetimeException($"{op}: tensor{(Name is null ? "" : $" '{Name}'")} of shape {Shapes.Format(_shape)} was used after it was disposed.");

    /// <summary>Returns the memory to the pool. Safe to call twice. Views keep the shared storage alive.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _scope?.Forget(this);
        _storage.Release();
        _gradFn = null;
        _pendingGrad?.Dispose();
        _pendingGrad = null;
    }

    /// <summary>Detaches this tensor from the scope it was created in, so the scope will not dispose it.</summary>
    public Tensor DetachFromScope()
    {
        _scope?.Forget(this);
        return this;
    }

    /// <summary>Moves this tensor from its scope to the enclosing one (or out of any scope if there is none).</summary>
    public Tensor MoveToOuterScope()
    {
        var outer = _scope?.Outer;
        _scope?.Forget(this);
        outer?.Add(this);
        return this;
    }

    // ---- autograd ------------------------------------------------------------------------------------------------

    /// <summary>Whether operations on this tensor are recorded for differentiation. Settable on leaves only.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (_gradFn is not null && !value)
                throw new LucidArgumentException(nameof(RequiresGrad), $"RequiresGrad: tensor of shape {Shapes.Format(_shape)} is the output of '{_gradFn.Op}'; only leaves can stop requiring gradients (use Detach()).");
            _requiresGrad = value;
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (fluent).</summary>
    public Tensor RequireGrad(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }

    /// <summary>The accumulated gradient of a leaf (or of a non-leaf after <see cref="RetainGrad"/>); null before any backward.</summary>
    public Tensor? Grad
    {
        get => _grad;
        set
        {
            if (value is not null && !Shapes.SameShape(value.Shape, _shape))
                throw new ShapeMismatchException($"Grad: gradient of shape {Shapes.Format(value.Shape)} does not match tensor shape {Shapes.Format(_shape)}.");
            _grad = value;
        }
    }

    /// <summary>The node that produced this tensor, or null for a leaf.</summary>
    public Node? GradFn => _gradFn;

    /// <summary>True for tensors not produced by a recorded operation.</summary>
    public bool IsLeaf => _gradFn is null;

    /// <summary>Keep the gradient of this non-leaf tensor in <see cref="Grad"/> after backward.</summary>
    public Tensor RetainGrad()
    {
        _retainGrad = true;
        return this;
    }

    /// <summary>Registers a hook run on this tensor's gradient during backward; it may return a replacement gradient (or null to keep it).</summary>
    public IDisposable RegisterGradHook(Func<Tensor, Tensor?> hook)
    {
        (_gradHooks ??= new()).Add(hook);
        return new Remover(() => _gradHooks.Remove(hook));
    }

    /// <summary>
    /// Registers a hook on the node that produced this tensor. The hook sees the node (op, inputs, attributes) and the
    /// gradient arriving at its output; returning null keeps the node's own backward rule (observe), returning an array
    /// replaces the gradients sent to the node's inputs (LRP rules, guided backprop and deconvnet are built this way).
    /// </summary>
    public IDisposable RegisterBackwardHook(NodeBackwardHook hook)
    {
        if (_gradFn is null)
            throw new LucidArgumentException(nameof(hook), $"RegisterBackwardHook: tensor of shape {Shapes.Format(_shape)} is a leaf; it has no backward rule to hook.");
        return _gradFn.AddHook(hook);
    }

    /// <summary>Runs reverse-mode differentiation from this tensor; gradients accumulate into the leaves' <see cref="Grad"/>.</summary>
    /// <param name="gradient">The gradient of the final objective with respect to this tensor; defaults to 1 for a one-element tensor.</param>
    /// <param name="retainGraph">Keep the graph so that backward can run through it again.</param>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) =>
        AutogradEngine.Run(this, gradient, retainGraph, nodeHook: null, capture: null);

    /// <summary>A tensor sharing this one's memory that is not part of the graph (like PyTorch's <c>detach()</c>).</summary>
    public Tensor Detach()
    {
        ThrowIfDisposed("Detach");
        _storage.AddRef();
        return new Tensor(_storage, _shape, _count);
    }

    internal void AccumulateLeafGrad(Tensor g)
    {
        if (_grad is null || _grad.IsDisposed)
        {
            var copy = Uninitialized(_shape, "grad");
            copy.DetachFromScope();
            g.Data.CopyTo(copy.Data);
            _grad = copy;
        }
        else
        {
            System.Numerics.Tensors.TensorPrimitives.Add(_grad.Data, g.Data, _grad.Data);
        }
    }

    private sealed class Remover(Action remove) : IDisposable
    {
        private Action? _remove = remove;
        public void Dispose()
        {
            _remove?.Invoke();
            _remove = null;
        }
    }
}

public sealed partial class Tensor
{
    internal void MarkRequiresGrad() => _requiresGrad = true;
}
