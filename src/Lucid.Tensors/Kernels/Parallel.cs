namespace Lucid.Tensors.Kernels;

/// <summary>
/// A tiny fork-join pool for kernels: dedicated worker threads, work items claimed from a shared counter, no allocation
/// per region. Results are deterministic because every work item writes its own outputs with a fixed operation order;
/// which thread runs an item does not change any bit. A region started while another runs (from another thread, or
/// nested) runs inline.
/// </summary>
public static class ParallelKernels
{
    private static readonly object Gate = new();
    private static Worker[] _workers = Array.Empty<Worker>();
    private static int _threads = Environment.ProcessorCount;
    private static IJob? _job;
    private static int _jobCount;
    private static int _next;
    private static int _inflight;      // workers inside the current region (only these are waited for)
    private static int _generation;    // the current region
    private static int _closed;        // the last region whose items are all claimed
    private static Exception? _error;
    [ThreadStatic] private static bool _insideRegion;

    /// <summary>Threads used by kernels (default: processor count). Results do not depend on it.</summary>
    public static int Threads
    {
        get => _threads;
        set
        {
            if (value < 1) throw new LucidArgumentException(nameof(Threads), $"Threads must be at least 1, got {value}.");
            lock (Gate) _threads = value;
        }
    }

    /// <summary>
    /// Work below which a kernel runs on the calling thread (multiply-adds, or floats read for a reduction): handing
    /// half of it to the other core costs more than the half. Beyond the hand-over itself, a second thread made small
    /// kernels' times bimodal on the shared host measured, more so with the process's priority raised (as BenchmarkDotNet
    /// raises it; why is not known): 1→32 3×3 at 28², batch 1, forward + all gradients, 0.055–0.12 ms on two threads
    /// against a steady 0.049–0.054 ms on one (AVX-512 host, in process).
    /// </summary>
    internal const long SerialWork = 1L << 19;

    /// <summary>Whether <paramref name="work"/> (see <see cref="SerialWork"/>) is too small to split between threads.</summary>
    internal static bool Serial(long work) => _threads == 1 || work < SerialWork;

    private interface IJob
    {
        void Run(int index);
    }

    private sealed class Job<TState> : IJob
    {
        [ThreadStatic] private static Job<TState>? _cached;
        public TState State = default!;
        public Action<int, TState> Body = null!;
        public void Run(int index) => Body(index, State);
        public static Job<TState> Get() => _cached ??= new Job<TState>();
    }

    /// <summary>
    /// Runs <paramref name="body"/>(i, state) for i in [0, count) — on the calling thread alone when
    /// <paramref name="serial"/> (work too small to pay for waking another). Pass a static lambda to avoid allocation.
    /// </summary>
    public static void For<TState>(int count, TState state, Action<int, TState> body, bool serial = false)
    {
        if (count <= 0) return;
        if (serial || count == 1 || _threads == 1 || _insideRegion || !Monitor.TryEnter(Gate))
        {
            for (int i = 0; i < count; i++) body(i, state);
            return;
        }
        try
        {
            var job = Job<TState>.Get();
            job.State = state;
            job.Body = body;
            RunRegion(job, count);
            job.State = default!;
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    private static void RunRegion(IJob job, int count)
    {
        EnsureWorkers();
        int helpers = Math.Min(_workers.Length, count - 1);
        _job = job;
        _jobCount = count;
        _error = null;
        Volatile.Write(ref _next, 0);
        int region = Interlocked.Increment(ref _generation);
        for (int w = 0; w < helpers; w++) _workers[w].Wake();
        _insideRegion = true;
        try
        {
            Drain();
        }
        finally
        {
            _insideRegion = false;
        }
        // Every item is claimed. Wait only for workers that joined and may still run an item: a worker whose core the
        // host has not scheduled yet (a shared VM) must not hold the caller up — it will find the region closed.
        // A full fence between this store and the read of _inflight (a worker does increment-then-read the other way
        // round): with a plain release store the two could pass each other in the store buffer, and a worker would
        // join a region whose job is being cleared.
        Interlocked.Exchange(ref _closed, region);
        var spin = new SpinWait();
        while (Volatile.Read(ref _inflight) > 0) spin.SpinOnce(sleep1Threshold: -1);
        _job = null;
        if (_error is { } error) throw new LucidException($"A parallel kernel failed: {error.Message}", error);
    }

    private static void Drain()
    {
        var job = _job;
        if (job is null) return;
        int count = _jobCount;
        // items are claimed in blocks of about 1/16 of a thread's share: claiming one at a time makes the counter's cache
        // line travel between cores for every item, which costs more than a small item (a 16-float plane copy)
        int grain = Math.Max(1, count / (16 * (_workers.Length + 1)));
        while (true)
        {
            int first = Interlocked.Add(ref _next, grain) - grain;
            if (first >= count) return;
            try
            {
                for (int i = first, end = Math.Min(first + grain, count); i < end; i++) job.Run(i);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
            }
        }
    }

    private static void EnsureWorkers()
    {
        int wanted = _threads - 1;
        if (_workers.Length == wanted) return;
        foreach (var w in _workers) w.Stop();
        var workers = new Worker[wanted];
        for (int i = 0; i < wanted; i++) workers[i] = new Worker(i);
        _workers = workers;
    }

    /// <summary>
    /// How long an idle worker polls for the next region before it blocks: kernels come back to back (a network's
    /// layers are microseconds apart), and a blocked thread takes tens of microseconds or more to wake on a shared host
    /// — long enough that the caller had run a whole small region alone (ResNet-18's batch-1 input gradient: a tenth of
    /// its region time went to regions the worker never joined).
    /// </summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 500; // 2 ms

    private sealed class Worker
    {
        private readonly SemaphoreSlim _signal = new(0);
        private volatile bool _stopped;
        private int _sleeping;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"lucid-kernel-{index}" };
            thread.Start();
        }

        /// <summary>
        /// Called after the region's generation is published (a full fence): a polling worker sees the new generation
        /// itself; one that has announced it is blocking gets a release. The worker announces before its last look at
        /// the generation, so one of the two always sees the other (at worst a spare release, which only makes a later
        /// wait return at once to look again).
        /// </summary>
        public void Wake()
        {
            if (Volatile.Read(ref _sleeping) != 0) _signal.Release();
        }

        public void Stop()
        {
            _stopped = true;
            _signal.Release();
        }

        private void Loop()
        {
            _insideRegion = true;
            int seen = Volatile.Read(ref _generation);
            while (true)
            {
                seen = AwaitRegion(seen);
                if (_stopped) return;
                // join the current region, unless its items are already all claimed (then the caller is not waiting)
                Interlocked.Increment(ref _inflight);
                if (Volatile.Read(ref _closed) != Volatile.Read(ref _generation)) Drain();
                Interlocked.Decrement(ref _inflight);
            }
        }

        /// <summary>Waits until a region after <paramref name="seen"/> starts (or the worker stops); returns its generation.</summary>
        private int AwaitRegion(int seen)
        {
            long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
            for (int i = 1; ; i++)
            {
                int generation = Volatile.Read(ref _generation);
                if (generation != seen || _stopped) return generation;
                // a read of one shared counter, no lock: the caller's next region is seen within a few hundred cycles
                Thread.SpinWait(16);
                if ((i & 255) != 0) continue;
                // every few tens of microseconds, let a thread this core may owe its time run, and look at the clock
                Thread.Yield();
                if (System.Diagnostics.Stopwatch.GetTimestamp() < deadline) continue;
                Interlocked.Exchange(ref _sleeping, 1);
                if (Volatile.Read(ref _generation) == seen && !_stopped) _signal.Wait();
                Volatile.Write(ref _sleeping, 0);
                deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
            }
        }
    }
}
