using Lucid.Models.Graph;
using Lucid.Tensors.Autograd;
using static TorchSharp.torch;
using LucidTensor = Lucid.Tensors.Tensor;
using Ops = Lucid.Tensors.Ops;
using Tensor = TorchSharp.torch.Tensor;

namespace Lucid.Benchmarks;

/// <summary>
/// The network cases' two passes in each engine: a forward pass without gradients, and forward + the input gradient of
/// the summed output. Each runs in its own scope, so nothing it makes outlives the call.
/// </summary>
internal static class Passes
{
    public static void Forward(Model model, LucidTensor x)
    {
        using var _ = GradMode.NoGrad();
        using var scope = LucidTensor.Scope();
        model.Forward(x);
    }

    public static void InputGradient(Model model, LucidTensor x)
    {
        using var scope = LucidTensor.Scope();
        var input = x.Detach().RequireGrad();
        Gradients.Of(Ops.Sum(model.Forward(input)), new[] { input });
    }

    public static void Forward(Func<Tensor, Tensor> network, Tensor x)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        network(x);
    }

    public static void InputGradient(Func<Tensor, Tensor> network, Tensor x)
    {
        using var scope = NewDisposeScope();
        var input = x.detach().requires_grad_(true);
        autograd.grad(new[] { network(input).sum() }, new[] { input });
    }
}
