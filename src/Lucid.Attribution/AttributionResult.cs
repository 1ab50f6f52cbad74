using Lucid.Tensors;

namespace Lucid.Attribution;

/// <summary>
/// An attribution: a tensor shaped like the explained input (or layer), the target value per example, and — for
/// methods with a completeness law — the per-example delta Σ attribution − (f(x) − f(x′)) (Captum's convention).
/// </summary>
public sealed record AttributionResult(Tensor Attribution, float[] TargetValues, float[]? Delta = null);
