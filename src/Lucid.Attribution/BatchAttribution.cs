using Lucid.Models.Graph;
using Lucid.Tensors;

namespace Lucid.Attribution;

/// <summary>The attributions of the examples finished before a batch run stopped.</summary>
/// <param name="Attribution">[Completed, …] — the first <paramref name="Completed"/> examples, in order.</param>
/// <param name="Completed">Examples attributed.</param>
/// <param name="Cancelled">Whether the run stopped before the last example.</param>
public sealed record BatchAttributionResult(Tensor? Attribution, int Completed, bool Cancelled);

/// <summary>
/// Any attribution method over many examples in batches of a fixed size, with progress and cancellation between
/// batches: a cancelled run returns every example it finished (the same values an uncancelled run gives them).
/// </summary>
public static class BatchAttribution
{
    /// <param name="model">The model.</param>
    /// <param name="images">All examples, [N, …].</param>
    /// <param name="target">What every example's attribution explains.</param>
    /// <param name="method">The method (e.g. <c>new CompositeLrp { Composite = LrpComposite.EpsilonPlusFlat }</c>).</param>
    /// <param name="batchSize">Examples per call of the method.</param>
    /// <param name="progress">Examples finished so far, after every batch.</param>
    /// <param name="cancellation">Checked between batches.</param>
    public static BatchAttributionResult Run(Model model, Tensor images, AttributionTarget target, IAttribution method,
        int batchSize = 16, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        if (batchSize < 1) throw new LucidArgumentException(nameof(batchSize), $"batch attribution: batch size must be positive, got {batchSize}.");
        if (images.Rank < 2) throw new LucidArgumentException(nameof(images), $"batch attribution: expected a batch [N, …], got [{string.Join(", ", images.Shape.ToArray())}].");
        int n = images.Size(0), done = 0;
        var parts = new List<Tensor>();
        try
        {
            while (done < n)
            {
                if (cancellation.IsCancellationRequested) break;
                int count = Math.Min(batchSize, n - done);
                Tensor part;
                using (Tensor.Scope())
                {
                    var batch = images[done..(done + count)];
                    part = method.Attribute(model, batch, target, cancellation).Attribution.Clone().DetachFromScope();
                }
                parts.Add(part);
                done += count;
                progress?.Report(done);
            }
            if (parts.Count == 0) return new BatchAttributionResult(null, 0, done < n);
            var all = parts.Count == 1 ? parts[0] : Ops.Concat(parts.ToArray(), 0);
            if (parts.Count > 1) foreach (var p in parts) p.Dispose();
            return new BatchAttributionResult(all, done, done < n);
        }
        catch
        {
            foreach (var p in parts) p.Dispose();
            throw;
        }
    }
}
