#!/usr/bin/env python3
"""PyTorch peer for Lucid.Benchmarks' side-by-side table.

Runs the same cases as BenchmarkCases.cs on 2 threads and prints one JSON object {case name: median milliseconds}.
Run with Debian's interpreter (/usr/bin/python3, package python3-torch) and libopenblas0-pthread installed.
"""
import json
import sys

import torch
import torch.nn.functional as F
from torch.utils.benchmark import Timer

THREADS = 2
torch.set_num_threads(THREADS)
torch.manual_seed(1)

GEMMS = [(1024, 1024, 1024), (256, 4096, 2304)]
CONVS = [(3, 64, 7, 2, 224), (64, 192, 3, 1, 56), (256, 256, 3, 1, 14), (32, 64, 3, 1, 32), (1, 32, 3, 1, 28),
         # the VGG-style stack of 3x3 convolutions
         (64, 64, 3, 1, 112), (128, 128, 3, 1, 56), (256, 256, 3, 1, 28), (512, 512, 3, 1, 14)]
BATCHES = [1, 8]
TRAINING_BATCH = 32


def median_ms(stmt, env, min_run_time=1.0):
    timer = Timer(stmt=stmt, globals=env, num_threads=THREADS)
    return timer.blocked_autorange(min_run_time=min_run_time).median * 1e3


def conv_name(cin, cout, k, s, size):
    return f"{cin}->{cout} k{k} s{s} {size}x{size}"


def main():
    results = {}
    for m, n, k in GEMMS:
        a, b = torch.randn(m, k), torch.randn(k, n)
        results[f"sgemm {m}x{n}x{k}"] = median_ms("torch.mm(a, b)", {"torch": torch, "a": a, "b": b})
    for batch in BATCHES:
        for cin, cout, k, s, size in CONVS:
            x = torch.randn(batch, cin, size, size, requires_grad=True)
            w = (torch.randn(cout, cin, k, k) * 0.05).requires_grad_()
            bias = torch.randn(cout, requires_grad=True)
            env = {"F": F, "torch": torch, "x": x, "w": w, "b": bias, "s": s, "p": k // 2}
            name = conv_name(cin, cout, k, s, size)
            results[f"conv fwd b{batch} {name}"] = median_ms(
                "with torch.no_grad(): F.conv2d(x, w, b, s, p)", env)
            results[f"conv fwd+bwd b{batch} {name}"] = median_ms(
                "y = F.conv2d(x, w, b, s, p); y.backward(y)", env)

    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, 1, 1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, 1, 1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64 * 7 * 7, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    images = torch.randn(TRAINING_BATCH, 1, 28, 28)
    labels = torch.randint(0, 10, (TRAINING_BATCH,))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    results[f"adam step small CNN b{TRAINING_BATCH}"] = median_ms("step()", {"step": step})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
