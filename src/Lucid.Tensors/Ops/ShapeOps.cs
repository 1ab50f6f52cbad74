using Lucid.Tensors.Autograd;

namespace Lucid.Tensors;

/// <summary>Padding modes of <see cref="Ops.Pad"/>.</summary>
public enum PadMode { Constant, Reflect, Replicate }

public static partial class Ops
{
    /// <summary>The same elements under a new shape (a view sharing memory). One dimension may be −1 (inferred).</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        x.ThrowIfDisposed("reshape");
        var resolved = (int[])shape.Clone();
        int infer = -1, known = 1;
        for (int i = 0; i < resolved.Length; i++)
        {
            if (resolved[i] == -1)
            {
                if (infer >= 0) throw new LucidArgumentException(nameof(shape), $"reshape: only one dimension can be -1, got {Shapes.Format(shape)}.");
                infer = i;
            }
            else if (resolved[i] < 0) throw new LucidArgumentException(nameof(shape), $"reshape: invalid size {resolved[i]} in {Shapes.Format(shape)}.");
            else known *= resolved[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || x.Count % known != 0)
                throw new ShapeMismatchException($"reshape: cannot infer -1 in {Shapes.Format(shape)} for {x.Count} elements (input {Shapes.Format(x.ShapeArray)}).");
            resolved[infer] = x.Count / known;
        }
        if (Shapes.Count(resolved, "reshape") != x.Count)
            throw new ShapeMismatchException($"reshape: shape {Shapes.Format(shape)} does not hold the {x.Count} elements of {Shapes.Format(x.ShapeArray)}.");
        var y = x.ViewAs(resolved);
        if (!Graph.Needs(x)) return y;
        return Graph.Record(y, "reshape", new[] { x }, (g, grads) =>
        {
            var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
            g.Data.CopyTo(gx.Data);
            grads[0] = gx;
        }, resolved);
    }

    /// <summary>Flattens dimensions from <paramref name="startDim"/> to <paramref name="endDim"/> into one.</summary>
    public static Tensor Flatten(Tensor x, int startDim = 1, int endDim = -1)
    {
        if (x.Rank == 0) return Reshape(x, 1);
        int s = Shapes.NormalizeDim(startDim, x.Rank, "flatten", nameof(startDim));
        int e = Shapes.NormalizeDim(endDim, x.Rank, "flatten", nameof(endDim));
        if (e < s) throw new LucidArgumentException(nameof(endDim), $"flatten: endDim ({endDim}) comes before startDim ({startDim}).");
        var shape = new List<int>();
        for (int i = 0; i < s; i++) shape.Add(x.ShapeArray[i]);
        int merged = 1;
        for (int i = s; i <= e; i++) merged *= x.ShapeArray[i];
        shape.Add(merged);
        for (int i = e + 1; i < x.Rank; i++) shape.Add(x.ShapeArray[i]);
        return Reshape(x, shape.ToArray());
    }

    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/>.</summary>
    public static Tensor Unsqueeze(Tensor x, int dim)
    {
        int d = Shapes.NormalizeDim(dim, x.Rank + 1, "unsqueeze");
        var shape = x.ShapeArray.ToList();
        shape.Insert(d, 1);
        return Reshape(x, shape.ToArray());
    }

    /// <summary>Removes size-1 dimensions (all of them, or only <paramref name="dim"/>).</summary>
    public static Tensor Squeeze(Tensor x, int? dim = null)
    {
        var shape = x.ShapeArray.ToList();
        if (dim is { } dd)
        {
            int d = Shapes.NormalizeDim(dd, x.Rank, "squeeze");
            if (shape[d] == 1) shape.RemoveAt(d);
        }
        else shape.RemoveAll(s => s == 1);
        return Reshape(x, shape.ToArray());
    }

    /// <summary>Reorders dimensions: output dimension i is input dimension <paramref name="dims"/>[i].</summary>
    public static Tensor Permute(Tensor x, params int[] dims)
    {
        x.ThrowIfDisposed("permute");
        if (dims.Length != x.Rank)
            throw new ShapeMismatchException($"permute: {dims.Length} dimensions given for a tensor of rank {x.Rank} ({Shapes.Format(x.ShapeArray)}).");
        var perm = new int[dims.Length];
        var seen = new bool[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            perm[i] = Shapes.NormalizeDim(dims[i], x.Rank, "permute", "dims");
            if (seen[perm[i]]) throw new LucidArgumentException(nameof(dims), $"permute: dimension {dims[i]} appears twice in {Shapes.Format(dims)}.");
            seen[perm[i]] = true;
        }
        var y = Tensor.Uninitialized(perm.Select(p => x.ShapeArray[p]).ToArray(), "permute");
        PermuteCopy(x.Data, x.ShapeArray, perm, y.Data);
        if (!Graph.Needs(x)) return y;
        var inverse = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
        return Graph.Record(y, "permute", new[] { x }, (g, grads) =>
        {
            var gx = Tensor.Uninitialized(x.ShapeArray, "grad");
            PermuteCopy(g.Data, g.ShapeArray, inverse, gx.Data);
            grads[0] = gx;
        }, perm);
    }

    public static Tensor Transpose(Tensor x, int dim0, int dim1)
    {
        int a = Shapes.NormalizeDim(dim0, x.Rank, "transpose", nameof(dim0));
        int b = Shapes.NormalizeDim(dim1, x.Rank, "transpose", nameof(dim1));
        var perm = Enumerable.Range(0, x.Rank).ToArray();
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(x, perm);
    }

    internal static void PermuteCopy(ReadOnlySpan<float> src, int[] shape, int[] perm, Span<float> dst)
    {
        int rank = shape.Length;
        if (rank == 0) { if (!src.IsEmpty) dst[0] = src[0]; return; }
        var inStrides = Shapes.Strides(shape);
        Span<int> strides = stackalloc int[rank];
        Span<int> outShape = stackalloc int[rank];
        for (int i = 0; i < rank; i++) { strides[i] = inStrides[perm[i]]; outShape[i] = shape[perm[i]]; }
        int inner = outShape[rank - 1], innerStride = strides[rank - 1];
        if (inner == 0) return;
        int rows = dst.Length / inner;
        Span<int> idx = stackalloc int[rank];
        int offset = 0;
        for (int row = 0; row < rows; row++)
        {
            var d = dst.Slice(row * inner, inner);
            if (innerStride == 1) src.Slice(offset, inner).CopyTo(d);
            else for (int j = 0, o = offset; j < inner; j++, o += innerStride) d[j] = src[o];
            for (int k = rank - 2; k >= 0; k--)
            {
                idx[k]++;
                offset += strides[k];
                if (idx[k] < outShape[k]) break;
                offset -= strides[k] * idx[k];
                idx[k] = 0;
            }
        }
    }

    // ---- separable gathers: slice, pad, roll, index-select ---------------------------------------------------------

    /// <summary>
    /// y[i0, i1, ...] = x[map0[i0], map1[i1], ...] or <paramref name="fill"/> where a map entry is −1. The backward
    /// scatters with the same maps, so every op built on it is exactly differentiable.
    /// </summary>
    private static Tensor SeparableGather(Tensor x, int[][] maps, float fill, string name, object? attributes)
    {
        x.ThrowIfDisposed(name);
        var outShape = maps.Select(m => m.Length).ToArray();
        var y = Tensor.Uninitialized(outShape, name);
        GatherCore(x.Data, x.ShapeArray, maps, fill, y.Data, scatter: false);
        if (!Graph.Needs(x)) return y;
        return Graph.Record(y, name, new[] { x }, (g, grads) =>
        {
            var gx = Tensor.Zeros(x.ShapeArray);
            GatherCore(gx.Data, x.ShapeArray, maps, 0f, g.Data, scatter: true);
            grads[0] = gx;
        }, attributes);
    }

    private static void GatherCore(Span<float> src, int[] srcShape, int[][] maps, float fill, Span<float> dst, bool scatter)
    {
        int rank = srcShape.Length;
        if (rank == 0) { if (scatter) src[0] += dst[0]; else dst[0] = src[0]; return; }
        var strides = Shapes.Strides(srcShape);
        int inner = maps[rank - 1].Length;
        if (inner == 0 || dst.Length == 0) return;
        int rows = dst.Length / inner;
        var innerMap = maps[rank - 1];
        // the common shapes of the innermost map — slices, crops and constant pads — are one contiguous run of source
        // columns between a prefix and a suffix of fill (−1): those rows copy (or add) as spans
        int lead = 0;
        while (lead < inner && innerMap[lead] < 0) lead++;
        int run = 0;
        while (lead + run < inner && innerMap[lead + run] >= 0 && innerMap[lead + run] == innerMap[lead] + run) run++;
        bool spans = run > 0;
        for (int j = lead + run; spans && j < inner; j++) spans = innerMap[j] < 0;
        int first = spans ? innerMap[lead] : 0;
        // large gathers run in row blocks on both cores; a scatter only where no two rows of the output land on the same
        // source row (slices, crops, constant pads: injective outer maps), so every source element still receives its
        // additions in one row's order
        int rowsPerItem = dst.Length < 2 * ParallelChunk ? 0 : Math.Max(1, ParallelChunk / inner);
        if (rowsPerItem > 0 && rows >= 2 * rowsPerItem && (!scatter || OuterMapsInjective(maps)))
        {
            unsafe
            {
                fixed (float* ps = src)
                fixed (float* pd = dst)
                {
                    var state = (Src: (nint)ps, SrcLength: src.Length, Dst: (nint)pd, DstLength: dst.Length, Strides: strides, Maps: maps,
                        Fill: fill, Scatter: scatter, Lead: lead, Run: run, Spans: spans, First: first, RowsPerItem: rowsPerItem, Rows: rows);
                    Kernels.ParallelKernels.For((rows + rowsPerItem - 1) / rowsPerItem, state, static (i, s) =>
                        GatherRows(new Span<float>((float*)s.Src, s.SrcLength), s.Strides, s.Maps, s.Fill, new Span<float>((float*)s.Dst, s.DstLength),
                            s.Scatter, s.Lead, s.Run, s.Spans, s.First, i * s.RowsPerItem, Math.Min(s.Rows, (i + 1) * s.RowsPerItem)));
                }
            }
            return;
        }
        GatherRows(src, strides, maps, fill, dst, scatter, lead, run, spans, first, 0, rows);
    }

    /// <summary>
    /// Whether every map but the innermost sends distinct output indices to distinct source indices — checked as strictly
    /// increasing source indices (ignoring fill entries), which slices, crops, constant pads and sorted selections are
    /// (a reflecting pad is not, and scatters on one core).
    /// </summary>
    private static bool OuterMapsInjective(int[][] maps)
    {
        for (int k = 0; k < maps.Length - 1; k++)
        {
            int previous = -1;
            foreach (int s in maps[k])
            {
                if (s < 0) continue;
                if (s <= previous) return false;
                previous = s;
            }
        }
        return true;
    }

    private static void GatherRows(Span<float> src, int[] strides, int[][] maps, float fill, Span<float> dst, bool scatter,
        int lead, int run, bool spans, int first, int rowStart, int rowEnd)
    {
        int rank = maps.Length;
        int inner = maps[rank - 1].Length;
        var innerMap = maps[rank - 1];
        for (int row = rowStart; row < rowEnd; row++)
        {
            int rem = row, offset = 0;
            bool outside = false;
            for (int k = rank - 2; k >= 0; k--)
            {
                int i = rem % maps[k].Length;
                rem /= maps[k].Length;
                int s = maps[k][i];
                if (s < 0) outside = true;
                offset += s * strides[k];
            }
            var d = dst.Slice(row * inner, inner);
            if (outside)
            {
                if (!scatter) d.Fill(fill);
                continue;
            }
            if (spans)
            {
                var from = src.Slice(offset + first, run);
                var to = d.Slice(lead, run);
                if (scatter) System.Numerics.Tensors.TensorPrimitives.Add(from, to, from);
                else
                {
                    from.CopyTo(to);
                    d[..lead].Fill(fill);
                    d[(lead + run)..].Fill(fill);
                }
                continue;
            }
            for (int j = 0; j < inner; j++)
            {
                int s = innerMap[j];
                if (scatter) { if (s >= 0) src[offset + s] += d[j]; }
                else d[j] = s >= 0 ? src[offset + s] : fill;
            }
        }
    }

    /// <summary>One identity map per dimension.</summary>
    private static int[][] IdentityMaps(Tensor x)
    {
        var shape = x.ShapeArray;
        var maps = new int[shape.Length][];
        for (int k = 0; k < shape.Length; k++) maps[k] = SharedMap(MapKind.Identity, shape[k], 0, 0, 0, shape[k]);
        return maps;
    }

    private enum MapKind { Identity, Slice, Pad }

    /// <summary>
    /// An index map of <paramref name="length"/> entries: identity (a = size), slice (a = start, c = step) or pad (a = size,
    /// b = before, d = mode). Maps are only read (ops replace a dimension's map, never write into one), so those at most
    /// 1024 long are shared between calls with the same arguments while fewer than 4096 are kept: a render step slices
    /// and pads a dozen times at offsets from a small set. Built from the arguments alone, so a hit allocates nothing.
    /// </summary>
    private static int[] SharedMap(MapKind kind, int a, int b, int c, int d, int length)
    {
        if (SharedMaps.TryGetValue((kind, a, b, c, d), out var shared)) return shared;
        var map = new int[length];
        for (int o = 0; o < length; o++)
            map[o] = kind switch
            {
                MapKind.Identity => o,
                MapKind.Slice => a + o * c,
                _ => (PadMode)d switch
                {
                    PadMode.Constant => o - b >= 0 && o - b < a ? o - b : -1,
                    PadMode.Replicate => Math.Clamp(o - b, 0, a - 1),
                    _ => Reflect(o - b, a),
                },
            };
        if (length <= 1024 && SharedMaps.Count < 4096) SharedMaps.TryAdd((kind, a, b, c, d), map);
        return map;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(MapKind, int, int, int, int), int[]> SharedMaps = new();

    /// <summary>Elements start, start+step, ... (before end) along <paramref name="dim"/>; negative start/end count from the end and are clamped (as Python slicing).</summary>
    public static Tensor Slice(Tensor x, int dim, int start, int end, int step = 1)
    {
        int d = Shapes.NormalizeDim(dim, x.Rank, "slice");
        if (step <= 0) throw new LucidArgumentException(nameof(step), $"slice: step must be positive, got {step}.");
        int n = x.ShapeArray[d];
        int s = Math.Clamp(start < 0 ? start + n : start, 0, n);
        int e = Math.Clamp(end < 0 ? end + n : end, 0, n);
        var maps = IdentityMaps(x);
        int count = e > s ? (e - s + step - 1) / step : 0;
        maps[d] = SharedMap(MapKind.Slice, s, count, step, 0, count);
        return SeparableGather(x, maps, 0f, "slice", (d, s, e, step));
    }

    /// <summary>Selects <paramref name="indices"/> along <paramref name="dim"/> (repeats allowed; gradients accumulate).</summary>
    public static Tensor IndexSelect(Tensor x, int dim, ReadOnlySpan<int> indices)
    {
        int d = Shapes.NormalizeDim(dim, x.Rank, "index_select");
        int n = x.ShapeArray[d];
        var map = indices.ToArray();
        for (int i = 0; i < map.Length; i++)
        {
            if (map[i] < 0) map[i] += n;
            if ((uint)map[i] >= (uint)n)
                throw new LucidArgumentException(nameof(indices), $"index_select: index {indices[i]} at position {i} is out of range for dimension {dim} of size {n}.");
        }
        var maps = IdentityMaps(x);
        maps[d] = map;
        return SeparableGather(x, maps, 0f, "index_select", (d, map));
    }

    /// <summary>Circular shift by <paramref name="shifts"/>[i] along <paramref name="dims"/>[i] (as torch.roll).</summary>
    public static Tensor Roll(Tensor x, int[] shifts, int[] dims)
    {
        if (shifts.Length != dims.Length)
            throw new LucidArgumentException(nameof(shifts), $"roll: {shifts.Length} shifts for {dims.Length} dims.");
        var maps = IdentityMaps(x);
        for (int k = 0; k < dims.Length; k++)
        {
            int d = Shapes.NormalizeDim(dims[k], x.Rank, "roll", nameof(dims));
            int n = x.ShapeArray[d];
            if (n == 0) continue;
            var prev = maps[d];
            maps[d] = Enumerable.Range(0, n).Select(i => prev[(((i - shifts[k]) % n) + n) % n]).ToArray();
        }
        return SeparableGather(x, maps, 0f, "roll", (shifts, dims));
    }

    /// <summary>
    /// Pads the last dimensions: <paramref name="pads"/> = (left, right) for the last dim, then (top, bottom) for the one
    /// before, ... as torch.nn.functional.pad. Reflect excludes the edge (needs pad &lt; size), replicate repeats it.
    /// </summary>
    public static Tensor Pad(Tensor x, int[] pads, PadMode mode = PadMode.Constant, float value = 0f)
    {
        x.ThrowIfDisposed("pad");
        if (pads.Length % 2 != 0 || pads.Length / 2 > x.Rank)
            throw new LucidArgumentException(nameof(pads), $"pad: expected pairs for at most {x.Rank} dimensions, got {pads.Length} values.");
        var maps = IdentityMaps(x);
        for (int k = 0; k < pads.Length / 2; k++)
        {
            int d = x.Rank - 1 - k;
            int before = pads[2 * k], after = pads[2 * k + 1], n = x.ShapeArray[d];
            if (mode != PadMode.Constant && (before < 0 || after < 0))
                throw new LucidArgumentException(nameof(pads), $"pad: negative padding is only allowed in constant mode, got {before}, {after} for dimension {d}.");
            if (mode == PadMode.Reflect && (before >= n || after >= n))
                throw new LucidArgumentException(nameof(pads), $"pad: reflect padding ({before}, {after}) must be smaller than dimension {d}'s size {n}.");
            if (mode == PadMode.Replicate && n == 0)
                throw new LucidArgumentException(nameof(pads), $"pad: cannot replicate-pad the empty dimension {d}.");
            int size = n + before + after;
            if (size < 0) throw new LucidArgumentException(nameof(pads), $"pad: padding ({before}, {after}) leaves a negative size for dimension {d} of size {n}.");
            maps[d] = SharedMap(MapKind.Pad, n, before, after, (int)mode, size);
        }
        return SeparableGather(x, maps, value, "pad", (pads, mode, value));
    }

    private static int Reflect(int i, int n)
    {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        i = ((i % period) + period) % period;
        return i < n ? i : period - i;
    }

    // ---- concat / split / gather -------------------------------------------------------------------------------

    /// <summary>Concatenates along <paramref name="dim"/>; all other dimensions must match.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int dim)
    {
        if (tensors.Count == 0) throw new LucidArgumentException(nameof(tensors), "concat: no tensors given.");
        var first = tensors[0];
        int d = Shapes.NormalizeDim(dim, first.Rank, "concat");
        int total = 0;
        for (int t = 0; t < tensors.Count; t++)
        {
            var x = tensors[t];
            x.ThrowIfDisposed("concat");
            if (x.Rank != first.Rank)
                throw new ShapeMismatchException($"concat: tensor {t} has shape {Shapes.Format(x.ShapeArray)}, tensor 0 has {Shapes.Format(first.ShapeArray)} (ranks differ).");
            for (int i = 0; i < x.Rank; i++)
                if (i != d && x.ShapeArray[i] != first.ShapeArray[i])
                    throw new ShapeMismatchException($"concat: tensor {t} has shape {Shapes.Format(x.ShapeArray)}, tensor 0 has {Shapes.Format(first.ShapeArray)}; only dimension {d} may differ.");
            total += x.ShapeArray[d];
        }
        var shape = (int[])first.ShapeArray.Clone();
        shape[d] = total;
        var y = Tensor.Uninitialized(shape, "concat");
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        var yd = y.Data;
        int offset = 0;
        var sizes = new int[tensors.Count];
        for (int t = 0; t < tensors.Count; t++)
        {
            int block = tensors[t].ShapeArray[d] * inner;
            sizes[t] = tensors[t].ShapeArray[d];
            var src = tensors[t].Data;
            for (int o = 0; o < outer; o++) src.Slice(o * block, block).CopyTo(yd.Slice(o * total * inner + offset, block));
            offset += block;
        }
        var inputs = tensors.ToArray();
        if (!Graph.Needs(inputs)) return y;
        return Graph.Record(y, "concat", inputs, (g, grads) =>
        {
            var gd = g.Data;
            int off = 0;
            for (int t = 0; t < inputs.Length; t++)
            {
                int block = sizes[t] * inner;
                if (Graph.Wants(inputs[t]))
                {
                    var gx = Tensor.Uninitialized(inputs[t].ShapeArray, "grad");
                    var gxd = gx.Data;
                    for (int o = 0; o < outer; o++) gd.Slice(o * total * inner + off, block).CopyTo(gxd.Slice(o * block, block));
                    grads[t] = gx;
                }
                off += block;
            }
        }, (d, sizes));
    }

    /// <summary>Splits along <paramref name="dim"/> into pieces of the given sizes (which must add up to the dimension).</summary>
    public static Tensor[] Split(Tensor x, int[] sizes, int dim)
    {
        int d = Shapes.NormalizeDim(dim, x.Rank, "split");
        if (sizes.Any(s => s < 0) || sizes.Sum() != x.ShapeArray[d])
            throw new LucidArgumentException(nameof(sizes), $"split: sizes {Shapes.Format(sizes)} must be non-negative and add up to {x.ShapeArray[d]} (dimension {dim} of {Shapes.Format(x.ShapeArray)}).");
        var result = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            result[i] = Slice(x, d, start, start + sizes[i]);
            start += sizes[i];
        }
        return result;
    }

    /// <summary>
    /// torch.gather: y has the shape of <paramref name="indexShape"/>; y[..., j, ...] = x[..., index[..., j, ...], ...]
    /// along <paramref name="dim"/>; other dimensions of the index must not exceed x's.
    /// </summary>
    public static Tensor Gather(Tensor x, int dim, ReadOnlySpan<int> index, int[] indexShape)
    {
        x.ThrowIfDisposed("gather");
        int d = Shapes.NormalizeDim(dim, x.Rank, "gather");
        if (indexShape.Length != x.Rank)
            throw new ShapeMismatchException($"gather: index of shape {Shapes.Format(indexShape)} must have the rank of input {Shapes.Format(x.ShapeArray)}.");
        if (Shapes.Count(indexShape, "gather", nameof(indexShape)) != index.Length)
            throw new ShapeMismatchException($"gather: {index.Length} indices do not fill index shape {Shapes.Format(indexShape)}.");
        for (int i = 0; i < x.Rank; i++)
            if (i != d && indexShape[i] > x.ShapeArray[i])
                throw new ShapeMismatchException($"gather: index shape {Shapes.Format(indexShape)} exceeds input {Shapes.Format(x.ShapeArray)} at dimension {i}.");
        int n = x.ShapeArray[d];
        var idx = index.ToArray();
        var xStrides = Shapes.Strides(x.ShapeArray);
        var source = new int[idx.Length];
        Span<int> pos = stackalloc int[x.Rank];
        for (int flat = 0; flat < idx.Length; flat++)
        {
            int rem = flat;
            for (int k = x.Rank - 1; k >= 0; k--) { pos[k] = rem % indexShape[k]; rem /= indexShape[k]; }
            int v = idx[flat] < 0 ? idx[flat] + n : idx[flat];
            if ((uint)v >= (uint)n)
                throw new LucidArgumentException(nameof(index), $"gather: index {idx[flat]} is out of range for dimension {dim} of size {n}.");
            int off = 0;
            for (int k = 0; k < x.Rank; k++) off += (k == d ? v : pos[k]) * xStrides[k];
            source[flat] = off;
        }
        var y = Tensor.Uninitialized((int[])indexShape.Clone(), "gather");
        var xd = x.Data; var yd = y.Data;
        for (int i = 0; i < source.Length; i++) yd[i] = xd[source[i]];
        if (!Graph.Needs(x)) return y;
        return Graph.Record(y, "gather", new[] { x }, (g, grads) =>
        {
            var gx = Tensor.Zeros(x.ShapeArray);
            var gxd = gx.Data; var gd = g.Data;
            for (int i = 0; i < source.Length; i++) gxd[source[i]] += gd[i];
            grads[0] = gx;
        }, d);
    }
}
