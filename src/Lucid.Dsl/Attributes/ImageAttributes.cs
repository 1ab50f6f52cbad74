namespace Lucid.Dsl;

/// <summary>Size and batch of an image declaration (a <c>partial class</c>; the generator emits <c>Create(seed)</c>).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public abstract class ImageAttribute : Attribute
{
    /// <summary>Width in pixels (Lucid's default 128).</summary>
    public int Width { get; set; } = 128;
    /// <summary>Height in pixels (0: square).</summary>
    public int Height { get; set; }
    /// <summary>Images optimized together.</summary>
    public int Batch { get; set; } = 1;
}

/// <summary>Lucid's Fourier image: 1/f-scaled spectrum, decorrelated colour, sigmoid (the renderer's default).</summary>
public sealed class FourierImageAttribute : ImageAttribute
{
    public bool Decorrelated { get; set; } = true;
    /// <summary>Standard deviation of the initial spectrum (Lucid: 0.01).</summary>
    public float Sd { get; set; } = 0.01f;
    /// <summary>Spectrum decay power (Lucid: 1, i.e. 1/f).</summary>
    public double DecayPower { get; set; } = 1;
    /// <summary>Clip to [0, 1] with a projected gradient instead of the sigmoid.</summary>
    public bool Clip { get; set; }
    /// <summary>Add an alpha channel (RGBA; collapsed over a random background by the render's transforms).</summary>
    public bool Alpha { get; set; }
}

/// <summary>A pixel image (optionally decorrelated).</summary>
public sealed class PixelImageAttribute : ImageAttribute
{
    public bool Decorrelated { get; set; } = true;
    public float Sd { get; set; } = 0.01f;
    public bool Clip { get; set; }
}

/// <summary>A Laplacian pyramid of pixel tensors.</summary>
public sealed class LaplacianPyramidImageAttribute : ImageAttribute
{
    public int Levels { get; set; } = 4;
    public bool Decorrelated { get; set; } = true;
    public float Sd { get; set; } = 0.01f;
}

/// <summary>A compositional pattern-producing network image.</summary>
public sealed class CppnImageAttribute : ImageAttribute
{
    public int Hidden { get; set; } = 24;
    public int Layers { get; set; } = 8;
}

/// <summary>MACO's phase-only Fourier image under a fixed magnitude spectrum (passed to the render).</summary>
public sealed class MacoImageAttribute : ImageAttribute;
