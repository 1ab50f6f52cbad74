using Lucid.Tensors;

namespace Lucid.Attribution;

/// <summary>An LRP attribution with the relevance at every tap (when recorded) and each linear layer's conservation delta.</summary>
public sealed record LrpResult(Tensor Attribution, float[] TargetValues, float[] Delta,
    IReadOnlyDictionary<string, float[]> LayerDeltas, IReadOnlyDictionary<string, Tensor> Relevance)
    : AttributionResult(Attribution, TargetValues, Delta);
