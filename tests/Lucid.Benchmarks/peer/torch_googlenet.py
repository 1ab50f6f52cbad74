#!/usr/bin/env python3
"""PyTorch peer for the GoogLeNet benchmarks: torchvision's googlenet with the weights of ours and TorchSharp's.

Usage: torch_googlenet.py <prefix>

<prefix>.bin / <prefix>.txt hold the state dict written by the benchmark (float32, little-endian; one line per tensor:
name, offset in floats, shape), <prefix>.check the pixels [1, 3, 224, 224] and our logits [1, 1000] for them. The peer
loads the weights into torchvision.models.googlenet (aux_logits and transform_input off) and stops with an error unless
its logits agree with ours within 1e-4 relative. Inputs are RGB in [0, 1] normalized with torchvision's mean and std.
Cases (median ms, torch.utils.benchmark, 2 threads), target channel 17 of inception4a (Lucid's mixed4a):
  forward and forward + input gradient (of the summed logits) at batch 1 and 8;
  a Lucid-style render step (the render peer's Fourier image, decorrelation, sigmoid and transforms at 224 squared,
  the network run up to inception4a, Adam 0.05) at batch 1 and 4;
  LRP EpsilonPlusFlat with batch norm merged into each convolution, as Zennit computes it (flat for the first
  convolution, z+ for the others, gradient through ReLU, max-pooling and concatenation);
  Integrated Gradients, 50 Gauss-Legendre steps in one batch.
Prints JSON {case: ms}.
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F
try:
    from torchvision.models import googlenet
except ImportError:
    raise SystemExit("the GoogLeNet peer needs torchvision: apt-get install -y python3-torchvision")

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from torch_resnet18 import ZPlus, Flat, network_cases, render_step  # noqa: E402  (Zennit's rules as custom backward functions; the cases)

torch.set_num_threads(2)
torch.manual_seed(1)

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
PREFIX = ["conv1", "maxpool1", "conv2", "conv3", "maxpool2", "inception3a", "inception3b", "maxpool3", "inception4a"]
CHANNEL = 17


def load(prefix):
    net = googlenet(weights=None, aux_logits=False, transform_input=False, init_weights=False)
    data = np.fromfile(prefix + ".bin", dtype=np.float32)
    state = {}
    with open(prefix + ".txt") as f:
        for line in f:
            name, offset, shape = line.split()
            dims = [int(d) for d in shape.split(",")]
            n = int(np.prod(dims))
            state[name] = torch.from_numpy(data[int(offset): int(offset) + n].copy()).view(*dims)
    missing = [k for k, v in net.state_dict().items() if v.dtype == torch.float32 and k not in state]
    unknown = [k for k in state if k not in net.state_dict()]
    if missing or unknown:
        raise SystemExit(f"weights do not match torchvision's googlenet: missing {missing[:5]}, unknown {unknown[:5]}")
    net.load_state_dict(state, strict=False)
    return net.eval()


def contract(pixels):
    return (pixels - MEAN) / STD


def features(net, x):
    for name in PREFIX:
        x = getattr(net, name)(x)
    return x


class MergedConv(torch.nn.Module):
    """A BasicConv2d with its batch norm folded into the convolution (w' = w*g/s, b' = beta - m*g/s), then ReLU, with
    Zennit's rule (flat for the first layer, z+ elsewhere) as the convolution's backward."""

    def __init__(self, basic, first):
        super().__init__()
        conv, bn = basic.conv, basic.bn
        s = torch.sqrt(bn.running_var + bn.eps)
        self.w = (conv.weight * (bn.weight / s).view(-1, 1, 1, 1)).detach()
        self.b = (bn.bias - bn.running_mean * bn.weight / s).detach()
        self.conf = (conv.stride, conv.padding, conv.dilation, conv.groups)
        self.rule = Flat if first else ZPlus

    def forward(self, x):
        return F.relu(self.rule.apply(x, self.w, self.b, *self.conf))


def lrp_net(prefix):
    net = load(prefix)
    for name, module in list(net.named_modules()):
        for child_name, child in list(module.named_children()):
            if type(child).__name__ == "BasicConv2d":
                setattr(module, child_name, MergedConv(child, first=(module is net and child_name == "conv1")))
    return net


def main():
    prefix = sys.argv[1]
    net = load(prefix)
    lrp = lrp_net(prefix)
    data = np.fromfile(prefix + ".check", dtype=np.float32)
    pixels = torch.from_numpy(data[: 3 * 224 * 224].copy()).view(1, 3, 224, 224)
    ours = torch.from_numpy(data[3 * 224 * 224:].copy())
    with torch.no_grad():
        theirs = net(contract(pixels)).flatten()
    err = (theirs - ours).abs().max().item() / ours.abs().max().item()
    if err > 1e-4:
        raise SystemExit(f"the peer's GoogLeNet disagrees with ours: max relative difference {err:.2e}")
    results = network_cases(
        "googlenet", CHANNEL,
        run=lambda x: net(contract(x)),
        features=lambda x: features(net, contract(x)),
        relevance_features=lambda x: features(lrp, contract(x)),
        render=lambda batch: render_step(lambda x: features(net, contract(x)), CHANNEL, batch))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
