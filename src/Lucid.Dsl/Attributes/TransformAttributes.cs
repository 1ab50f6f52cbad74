namespace Lucid.Dsl;

/// <summary>
/// Declares a transform set: a <c>partial class</c> whose transform attributes, in the order written, are applied
/// left to right. The generator emits <c>Create()</c>. Without a set a render uses Lucid's standard transforms.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class TransformSetAttribute : Attribute;

/// <summary>One step of a transform set.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public abstract class TransformStepAttribute : Attribute;

/// <summary>How padding fills the border.</summary>
public enum PadMode { Constant, Reflect, Uniform }

/// <summary>Pad by <see cref="Width"/> pixels.</summary>
public sealed class PadAttribute(int width) : TransformStepAttribute
{
    public int Width { get; } = width;
    public PadMode Mode { get; set; } = PadMode.Constant;
    public float Value { get; set; } = 0.5f;
}

/// <summary>Lucid's jitter: a random crop of up to <see cref="Pixels"/> pixels.</summary>
public sealed class JitterAttribute(int pixels) : TransformStepAttribute
{
    public int Pixels { get; } = pixels;
}

/// <summary>A random roll of up to <see cref="Pixels"/> pixels (VITAL's jitter).</summary>
public sealed class RollAttribute(int pixels) : TransformStepAttribute
{
    public int Pixels { get; } = pixels;
}

/// <summary>Rescale by a factor drawn from <see cref="Scales"/>.</summary>
public sealed class RandomScaleAttribute(params double[] scales) : TransformStepAttribute
{
    public double[] Scales { get; } = scales;
}

/// <summary>Rotate by an angle in degrees drawn from <see cref="Degrees"/> (bilinear, differentiable).</summary>
public sealed class RandomRotateAttribute(params double[] degrees) : TransformStepAttribute
{
    public double[] Degrees { get; } = degrees;
}

/// <summary>Crop or pad to a fixed size.</summary>
public sealed class CropOrPadToAttribute(int height, int width) : TransformStepAttribute
{
    public int Height { get; } = height;
    public int Width { get; } = width;
}

/// <summary>Gaussian noise of standard deviation <see cref="Sigma"/>.</summary>
public sealed class NoiseAttribute(float sigma) : TransformStepAttribute
{
    public float Sigma { get; } = sigma;
}

/// <summary>MACO's random box crops resized to <see cref="Size"/>.</summary>
public sealed class RandomCropsAttribute(int count, double minBox, double maxBox, int size) : TransformStepAttribute
{
    public int Count { get; } = count;
    public double MinBox { get; } = minBox;
    public double MaxBox { get; } = maxBox;
    public int Size { get; } = size;
}

/// <summary>Lucid's gradient normalization.</summary>
public sealed class NormalizeGradientAttribute : TransformStepAttribute;

/// <summary>Collapse an RGBA image over a random background (the alpha recipe).</summary>
public sealed class CollapseAlphaAttribute : TransformStepAttribute
{
    public float Sd { get; set; } = 0.5f;
}

/// <summary>Lucid's standard set (pad 12, jitter 8, scale, rotate, jitter 4) as one step.</summary>
public sealed class StandardTransformsAttribute : TransformStepAttribute;
