using TorchSharp;
using LucidTensor = Lucid.Tensors.Tensor;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Lucid.TorchSharp;

/// <summary>Copies between Lucid's tensors (float32, CPU) and TorchSharp's.</summary>
public static class TorchTensors
{
    /// <summary>A TorchSharp float32 copy of <paramref name="t"/> on <paramref name="device"/> (the CPU when null).</summary>
    public static TorchTensor ToTorch(LucidTensor t, torch.Device? device = null)
    {
        TorchRuntime.EnsureLoaded();
        var copy = torch.tensor(t.ToArray(), t.Shape.ToArray().Select(d => (long)d).ToArray(), torch.float32);
        if (device is null || device.type == DeviceType.CPU) return copy;
        using (copy) return copy.to(device);
    }

    /// <summary>A Lucid copy of <paramref name="t"/> (any device; converted to float32).</summary>
    public static LucidTensor ToLucid(TorchTensor t)
    {
        using var scope = torch.NewDisposeScope();
        var cpu = t.detach().to(torch.float32).cpu().contiguous();
        var shape = cpu.shape.Select(d => checked((int)d)).ToArray();
        return LucidTensor.FromArray(cpu.data<float>().ToArray(), shape);
    }
}
