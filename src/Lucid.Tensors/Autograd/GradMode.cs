namespace Lucid.Tensors.Autograd;

/// <summary>Whether operations are recorded for differentiation on the current thread.</summary>
public static class GradMode
{
    [ThreadStatic] private static int _disabledDepth;

    /// <summary>True unless inside a <see cref="NoGrad"/> scope.</summary>
    public static bool IsEnabled => _disabledDepth == 0;

    /// <summary>Within the returned scope no graph is recorded (inference, optimizer updates).</summary>
    public static NoGradScope NoGrad()
    {
        _disabledDepth++;
        return new NoGradScope(true);
    }

    /// <summary>Re-enables recording inside a <see cref="NoGrad"/> region (hooks that re-run an op use this).</summary>
    public static NoGradScope EnableGrad()
    {
        int saved = _disabledDepth;
        _disabledDepth = 0;
        return new NoGradScope(false, saved);
    }

    public readonly struct NoGradScope : IDisposable
    {
        private readonly bool _disabled;
        private readonly int _restore;
        internal NoGradScope(bool disabled, int restore = -1)
        {
            _disabled = disabled;
            _restore = restore;
        }
        public void Dispose()
        {
            if (_disabled) _disabledDepth--;
            else if (_restore >= 0) _disabledDepth = _restore;
        }
    }
}
