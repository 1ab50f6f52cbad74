using System.Numerics;

namespace Lucid.Tensors;

/// <summary>
/// Pool of float buffers in size classes of a quarter octave (16, 20, 24, 28, 32, 40, …: 2^k, 1.25·2^k, 1.5·2^k,
/// 1.75·2^k), so a buffer is at most 25 % larger than asked for (power-of-two classes cost up to 100 %, about 40 % on
/// a network's activations); a request takes a free buffer of its own class or, failing that, of the classes up to an
/// octave above (so buffers are shared across sizes as power-of-two classes share them). Unlike <c>ArrayPool.Shared</c> it keeps every returned buffer, so a steady-state loop (an
/// optimization or training step), which asks for the same sizes every step, reuses the same buffers and allocates
/// nothing on the managed heap. Thread-safe; buffers are handed out uninitialized.
/// </summary>
public static class TensorPool
{
    private const int MinClassLog2 = 4;
    private const int ClassesPerOctave = 4;
    private static readonly Stack<float[]>[] Buckets = CreateBuckets();
    private static long _retainedBytes;

    private static Stack<float[]>[] CreateBuckets()
    {
        var b = new Stack<float[]>[32 * ClassesPerOctave];
        for (int i = 0; i < b.Length; i++) b[i] = new Stack<float[]>();
        return b;
    }

    /// <summary>Bytes currently held by the pool (returned and not yet reused).</summary>
    public static long RetainedBytes => Interlocked.Read(ref _retainedBytes);

    /// <summary>The size class of a request of <paramref name="length"/> floats: the smallest class size ≥ it.</summary>
    internal static int ClassOf(int length)
    {
        if (length <= 1 << MinClassLog2) return MinClassLog2 * ClassesPerOctave;
        int k = 31 - BitOperations.LeadingZeroCount((uint)(length - 1)); // 2^k < length ≤ 2^(k+1)
        long step = 1L << (k - 2);
        int j = (int)((length - (1L << k) + step - 1) / step); // 1..4
        return k * ClassesPerOctave + j;
    }

    /// <summary>The size in floats of class <paramref name="index"/>.</summary>
    internal static long ClassSize(int index)
    {
        int k = index / ClassesPerOctave, j = index % ClassesPerOctave;
        return (1L << k) + j * (1L << (k - 2));
    }

    /// <summary>Whether <paramref name="length"/> is a class size (what the pool hands out, so what it takes back).</summary>
    internal static bool IsClassSize(int length) => ClassSize(ClassOf(length)) == length;

    internal static float[] Rent(int length)
    {
        if (length == 0) return Array.Empty<float>();
        int index = ClassOf(length);
        // the request's own class first, then the classes up to an octave above it: a buffer of another size that is
        // free is shared (at most twice the request) before a new one of the request's own class is made
        for (int c = index; c <= index + ClassesPerOctave && c < Buckets.Length; c++)
        {
            var bucket = Buckets[c];
            lock (bucket)
            {
                if (bucket.TryPop(out var array))
                {
                    Interlocked.Add(ref _retainedBytes, -(long)array.Length * sizeof(float));
                    return array;
                }
            }
        }
        return GC.AllocateUninitializedArray<float>((int)Math.Min(ClassSize(index), Array.MaxLength));
    }

    internal static void Return(float[] array)
    {
        if (array.Length == 0) return;
        if (!IsClassSize(array.Length)) return; // not one of ours (e.g. a wrapped user array)
        var bucket = Buckets[ClassOf(array.Length)];
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
