using Lucid.Tensors.Kernels;

namespace Lucid.Tensors.Tests;

/// <summary>Runs a piece of a test with the kernel pool at a given thread count, restoring the previous count after.</summary>
internal static class KernelThreads
{
    public static T With<T>(int threads, Func<T> body)
    {
        int saved = ParallelKernels.Threads;
        try
        {
            ParallelKernels.Threads = threads;
            return body();
        }
        finally { ParallelKernels.Threads = saved; }
    }

    public static void With(int threads, Action body) => With(threads, () => { body(); return 0; });
}
