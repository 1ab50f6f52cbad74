namespace Lucid.Tensors.Optim;

/// <summary>A learning-rate schedule: the rate for 0-based <c>step</c>, given the optimizer's base rate.</summary>
public interface ILearningRateSchedule
{
    float LearningRate(int step, float baseRate);
}

/// <summary>Multiplies the rate by <see cref="Gamma"/> every <see cref="StepSize"/> steps (PyTorch's StepLR).</summary>
public sealed class StepSchedule : ILearningRateSchedule
{
    public int StepSize { get; }
    public float Gamma { get; }

    public StepSchedule(int stepSize, float gamma = 0.1f)
    {
        if (stepSize <= 0) throw new LucidArgumentException(nameof(stepSize), $"StepSchedule: step size must be positive, got {stepSize}.");
        StepSize = stepSize;
        Gamma = gamma;
    }

    public float LearningRate(int step, float baseRate) => baseRate * MathF.Pow(Gamma, step / StepSize);
}

/// <summary>
/// Linear warm-up from 0 over <see cref="WarmupSteps"/>, then cosine decay to <see cref="MinRate"/> at
/// <see cref="TotalSteps"/> (held there afterwards) — the schedule VITAL and most modern training recipes use.
/// </summary>
public sealed class CosineWarmupSchedule : ILearningRateSchedule
{
    public int WarmupSteps { get; }
    public int TotalSteps { get; }
    public float MinRate { get; }

    public CosineWarmupSchedule(int warmupSteps, int totalSteps, float minRate = 0f)
    {
        if (warmupSteps < 0) throw new LucidArgumentException(nameof(warmupSteps), $"CosineWarmupSchedule: warm-up steps must be non-negative, got {warmupSteps}.");
        if (totalSteps <= warmupSteps) throw new LucidArgumentException(nameof(totalSteps), $"CosineWarmupSchedule: total steps ({totalSteps}) must exceed warm-up steps ({warmupSteps}).");
        WarmupSteps = warmupSteps; TotalSteps = totalSteps; MinRate = minRate;
    }

    public float LearningRate(int step, float baseRate)
    {
        if (step < WarmupSteps) return baseRate * (step + 1) / WarmupSteps;
        double progress = Math.Min(1.0, (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps));
        return (float)(MinRate + (baseRate - MinRate) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
