#!/usr/bin/env python3
"""PyTorch peer for the attribution benchmarks: inception-mini (random weights) at batch 1.

- Integrated Gradients, 50 Gauss-Legendre steps evaluated as one batch of 50 (forward + backward).
- LRP EpsilonPlusFlat in the gradient x input formulation (as Zennit computes it): every layer's forward is replaced
  by z_rule * (z / stabilize(z_rule)).detach(), so one backward pass carries relevance / input; flat on the first
  convolution, z+ on the others, epsilon on the linear layer; relevance = input x gradient.
Prints JSON {case: median ms}.
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.benchmark import Timer

torch.set_num_threads(2)
torch.manual_seed(1)
EPS = 1e-6


def stab(z):
    return z + EPS * torch.where(z >= 0, torch.ones_like(z), -torch.ones_like(z))


class Net:
    def __init__(self):
        self.p = {}

        def conv(name, cin, cout, k):
            self.p[name] = (torch.randn(cout, cin, k, k) * (1.0 / (cin * k * k)) ** 0.5, torch.zeros(cout))

        conv("conv2d0", 3, 32, 5); conv("conv2d1", 32, 32, 1); conv("conv2d2", 32, 64, 3)
        self.blocks = []
        cin = 64
        for name, (c1, c3r, c3, c5r, c5, pp) in [("mixed3a", (16, 16, 32, 8, 16, 16)), ("mixed3b", (32, 24, 48, 8, 24, 24)),
                                                 ("mixed4a", (48, 24, 52, 8, 24, 32)), ("mixed4b", (40, 28, 56, 12, 32, 32))]:
            conv(name + "_1x1", cin, c1, 1); conv(name + "_3x3_b", cin, c3r, 1); conv(name + "_3x3", c3r, c3, 3)
            conv(name + "_5x5_b", cin, c5r, 1); conv(name + "_5x5", c5r, c5, 5); conv(name + "_pool", cin, pp, 1)
            self.blocks.append(name)
            cin = c1 + c3 + c5 + pp
        self.fc = (torch.randn(10, cin) * (1.0 / cin) ** 0.5, torch.zeros(10))

    def conv(self, name, x, pad, stride=1, rule=None, ones=None):
        w, b = self.p[name]
        z = F.conv2d(x, w, b, stride, pad)
        if rule is None:
            return z
        if rule == "zplus":
            zr = F.conv2d(x, w.clamp(min=0), None, stride, pad)
        else:  # flat: relevance flows to a ones-valued input (the caller reads its gradient)
            zr = F.conv2d(ones, torch.ones_like(w), None, stride, pad)
        return zr * (z / stab(zr)).detach()

    def forward(self, x, lrp=False, ones=None):
        r = "zplus" if lrp else None
        h = F.relu(self.conv("conv2d0", x, 2, 2, "flat" if lrp else None, ones))
        h = F.max_pool2d(h, 3, 2, ceil_mode=True)
        h = F.local_response_norm(h, 5)
        h = F.relu(self.conv("conv2d1", h, 0, rule=r))
        h = F.relu(self.conv("conv2d2", h, 1, rule=r))
        h = F.local_response_norm(h, 5)
        h = F.max_pool2d(h, 3, 2, ceil_mode=True)
        for i, name in enumerate(self.blocks):
            if i == 2:
                h = F.max_pool2d(h, 3, 2, ceil_mode=True)
            b1 = self.conv(name + "_1x1", h, 0, rule=r)
            b3 = self.conv(name + "_3x3", F.relu(self.conv(name + "_3x3_b", h, 0, rule=r)), 1, rule=r)
            b5 = self.conv(name + "_5x5", F.relu(self.conv(name + "_5x5_b", h, 0, rule=r)), 2, rule=r)
            bp = self.conv(name + "_pool", F.max_pool2d(h, 3, 1, 1), 0, rule=r)
            h = F.relu(torch.cat([b1, b3, b5, bp], 1))
        h = F.adaptive_avg_pool2d(h, 1).flatten(1)
        w, b = self.fc
        z = F.linear(h, w, b)
        if lrp:
            z = z * (z / stab(z)).detach()
        return z


def main():
    net = Net()
    x = torch.rand(1, 3, 64, 64)
    nodes, weights = np.polynomial.legendre.leggauss(50)
    alphas = torch.tensor(0.5 * (nodes + 1), dtype=torch.float32).view(-1, 1, 1, 1)
    wts = torch.tensor(0.5 * weights, dtype=torch.float32).view(-1, 1, 1, 1)

    def ig():
        path = (alphas * x).requires_grad_()
        out = net.forward(path)[:, 3].sum()
        (g,) = torch.autograd.grad(out, path)
        return x * (g * wts).sum(0, keepdim=True)

    def lrp():
        ones = torch.ones_like(x).requires_grad_()
        out = net.forward(x, lrp=True, ones=ones)
        (g,) = torch.autograd.grad(out[:, 3].sum(), ones)
        return g  # flat first layer: the relevance is the gradient at the ones-valued input

    results = {}
    for name, fn in [("ig 50 steps inception-mini b1", ig), ("lrp epsilon-plus-flat inception-mini b1", lrp)]:
        for _ in range(3):
            fn()
        results[name] = Timer(stmt="fn()", globals={"fn": fn}, num_threads=2).blocked_autorange(min_run_time=2.0).median * 1e3
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
