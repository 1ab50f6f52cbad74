#!/usr/bin/env python3
"""PyTorch peer for the feature-visualization benchmark: one render step (Lucid's defaults) on inception-mini.

Same computation as Lucid.Optvis: a Fourier image (sd 0.01, 1/f scale x sqrt(HW), inverse rfft2, /4), ImageNet colour
decorrelation, sigmoid; Lucid's standard transforms (pad 12 at 0.5, jitter 8, random scale 0.90-1.10, random rotation
-10..10 degrees bilinear, jitter 4), bilinear resize to the 64x64 input; the mean of channel 7 of mixed4a; Adam 0.05.
Plain torch, 2 threads. Prints JSON {case: median ms per step}.
"""
import json
import math
import random
import sys

import torch
import torch.nn.functional as F
from torch.utils.benchmark import Timer

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from torch_attribution import Net  # noqa: E402  (the same inception-mini in plain torch)

torch.set_num_threads(2)
torch.manual_seed(1)
random.seed(1)

C = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
C = C / C.norm(dim=0).max()


def until_mixed4a(net, x):
    h = F.relu(net.conv("conv2d0", x, 2, 2))
    h = F.max_pool2d(h, 3, 2, ceil_mode=True)
    h = F.local_response_norm(h, 5)
    h = F.relu(net.conv("conv2d1", h, 0))
    h = F.relu(net.conv("conv2d2", h, 1))
    h = F.local_response_norm(h, 5)
    h = F.max_pool2d(h, 3, 2, ceil_mode=True)
    for i, name in enumerate(net.blocks[:3]):
        if i == 2:
            h = F.max_pool2d(h, 3, 2, ceil_mode=True)
        b1 = net.conv(name + "_1x1", h, 0)
        b3 = net.conv(name + "_3x3", F.relu(net.conv(name + "_3x3_b", h, 0)), 1)
        b5 = net.conv(name + "_5x5", F.relu(net.conv(name + "_5x5_b", h, 0)), 2)
        bp = net.conv(name + "_pool", F.max_pool2d(h, 3, 1, 1), 0)
        h = F.relu(torch.cat([b1, b3, b5, bp], 1))
    return h


def make(size):
    fy = torch.fft.fftfreq(size)[:, None]
    fx = torch.fft.fftfreq(size)[: size // 2 + 1]
    freqs = torch.sqrt(fx * fx + fy * fy)
    scale = (1.0 / torch.clamp(freqs, min=1.0 / size)) * size
    spectrum = (torch.randn(1, 3, size, size // 2 + 1, 2) * 0.01).requires_grad_()
    return spectrum, scale[None, None, :, :, None]


def image(spectrum, scale, size):
    z = torch.view_as_complex((spectrum * scale).contiguous())
    t = torch.fft.irfft2(z, s=(size, size)) / 4.0
    t = torch.einsum("ij,njhw->nihw", C, t)
    return torch.sigmoid(t)


def transform(x, size=64):
    x = F.pad(x, (12, 12, 12, 12), value=0.5)
    d = 8
    oy, ox = random.randint(0, d), random.randint(0, d)
    x = x[:, :, oy:oy + x.shape[2] - d, ox:ox + x.shape[3] - d]
    s = random.choice([1 + (i - 5) / 50.0 for i in range(11)])
    x = F.interpolate(x, size=(int(s * x.shape[2]), int(s * x.shape[3])), mode="bilinear", align_corners=False)
    a = random.choice(list(range(-10, 11)) + 5 * [0]) * math.pi / 180
    if a != 0:
        h, w = x.shape[2], x.shape[3]
        theta = torch.tensor([[[math.cos(a), -math.sin(a) * h / w, 0], [math.sin(a) * w / h, math.cos(a), 0]]], dtype=x.dtype)
        grid = F.affine_grid(theta.expand(x.shape[0], 2, 3), list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, align_corners=False)
    d = 4
    oy, ox = random.randint(0, d), random.randint(0, d)
    x = x[:, :, oy:oy + x.shape[2] - d, ox:ox + x.shape[3] - d]
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


def main():
    net = Net()
    results = {}
    for size in (64, 128):
        spectrum, scale = make(size)
        opt = torch.optim.Adam([spectrum], lr=0.05)

        def step():
            opt.zero_grad()
            x = image(spectrum, scale, size)
            loss = -until_mixed4a(net, transform(x))[:, 7].mean()
            loss.backward()
            opt.step()

        for _ in range(5):
            step()
        results[f"render step {size}x{size} inception-mini"] = Timer(stmt="step()", globals={"step": step}, num_threads=2).blocked_autorange(min_run_time=2.0).median * 1e3
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
