using System.Numerics;

namespace Lucid.Tensors;

/// <summary>
/// Pool of float buffers in power-of-two buckets. Unlike <c>ArrayPool.Shared</c> it keeps every returned buffer, so a
/// steady-state loop (an optimization or training step) reuses the same buffers and allocates nothing on the managed heap.
/// Thread-safe; buffers are handed out uninitialized.
/// </summary>
public static class TensorPool
{
    private const int MinBucketLog2 = 4;
    private static readonly Stack<float[]>[] Buckets = CreateBuckets();
    private static long _retainedBytes;

    private static Stack<float[]>[] CreateBuckets()
    {
        var b = new Stack<float[]>[32];
        for (int i = 0; i < b.Length; i++) b[i] = new Stack<float[]>();
        return b;
    }

    /// <summary>Bytes currently held by the pool (returned and not yet reused).</summary>
    public static long RetainedBytes => Interlocked.Read(ref _retainedBytes);

    internal static float[] Rent(int length)
    {
        if (length == 0) return Array.Empty<float>();
        int log2 = Math.Max(MinBucketLog2, 32 - BitOperations.LeadingZeroCount((uint)(length - 1)));
        var bucket = Buckets[log2];
        lock (bucket)
        {
            if (bucket.TryPop(out var array))
            {
                Interlocked.Add(ref _retainedBytes, -(long)array.Length * sizeof(float));
                return array;
            }
        }
        long size = 1L << log2;
        return GC.AllocateUninitializedArray<float>((int)Math.Min(size, Array.MaxLength));
    }

    internal static void Return(float[] array)
    {
        if (array.Length == 0) return;
        int log2 = BitOperations.Log2((uint)array.Length);
        if ((1L << log2) != array.Length) return; // not one of ours (e.g. a wrapped user array)
        var bucket = Buckets[log2];
        lock (bucket) bucket.Push(array);
        Interlocked.Add(ref _retainedBytes, (long)array.Length * sizeof(float));
    }

    /// <summary>Releases every pooled buffer to the garbage collector.</summary>
    public static void Trim()
    {
        foreach (var bucket in Buckets)
            lock (bucket)
            {
                foreach (var a in bucket) Interlocked.Add(ref _retainedBytes, -(long)a.Length * sizeof(float));
                bucket.Clear();
            }
    }
}

/// <summary>Reference-counted backing buffer shared by a tensor and its views (reshape, detach).</summary>
internal sealed class Storage
{
    public float[] Array;
    private int _refCount = 1;
    private readonly bool _pooled;

    public Storage(float[] array, bool pooled)
    {
        Array = array;
        _pooled = pooled;
    }

    public void AddRef() => Interlocked.Increment(ref _refCount);

    public void Release()
    {
        if (Interlocked.Decrement(ref _refCount) == 0)
        {
            if (_pooled) TensorPool.Return(Array);
            Array = System.Array.Empty<float>();
        }
    }
}
