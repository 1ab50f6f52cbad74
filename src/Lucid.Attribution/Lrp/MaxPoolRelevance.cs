namespace Lucid.Attribution;

/// <summary>How LRP passes relevance through max-pooling.</summary>
public enum MaxPoolRelevance
{
    /// <summary>All of an output's relevance to the window's maximum (the gradient's routing; Zennit's default).</summary>
    WinnerTakeAll,
    /// <summary>In proportion to the window's inputs, as if it were a sum pool (the z-rule with unit weights).</summary>
    Proportional,
}
