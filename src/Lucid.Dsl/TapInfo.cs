namespace Lucid.Dsl;

/// <summary>A tap of a bound model as the generator saw it in the schema: name, layer kind and output shape.</summary>
/// <param name="Name">The tap's name in the model.</param>
/// <param name="Kind">Layer kind ("conv2d", "relu", "concat", …).</param>
/// <param name="Channels">Channels (features of a flat tap).</param>
/// <param name="Height">Spatial height (1 for a flat tap).</param>
/// <param name="Width">Spatial width (1 for a flat tap).</param>
public sealed record TapInfo(string Name, string Kind, int Channels, int Height, int Width);
