#!/usr/bin/env python3
"""PyTorch peer for the real-network benchmarks: ML.NET's ImageNet ResNet-18 (the same ONNX file and weights as ours).

Usage: torch_resnet18.py <ResNet18.onnx> <check.bin>
       torch_resnet18.py --render-memory <ResNet18.onnx> <batch> <steps>   (peak resident set of the render, JSON)

The ONNX graph (Conv, BatchNormalization, Relu, MaxPool, Add, AveragePool) is executed node by node with torch.nn.functional
on the file's own initializers, so both engines compute the same network. The input contract is ours: RGB in [0, 1]
becomes BGR in 0-255 minus the package's per-channel means. check.bin holds the pixels [1, 3, 224, 224] and our avgpool
output [1, 512, 1, 1] (float32, little-endian); the peer stops with an error unless its output agrees within 1e-4
relative. Cases (median ms, torch.utils.benchmark, 2 threads):
  forward and forward + input gradient at batch 1 and 8;
  a Lucid-style render step (Fourier image, decorrelation, sigmoid, Lucid's transforms, channel 17 of layer3.1, Adam)
  at batch 1 and 4 (the render peer's pieces at 224 squared);
  LRP EpsilonPlusFlat with BatchNorm merged into each convolution, as Zennit computes it (rules as custom backward
  functions: z+ for convolutions, flat for the first, the Norm rule for sums, relevance passed through ReLU and
  max-pooling), target channel 17 of layer3.1;
  Integrated Gradients, 50 Gauss-Legendre steps in one batch, same target.
Prints JSON {case: ms}.
"""
import json
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from torch.utils.benchmark import Timer

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from torch_render import make, image  # noqa: E402  (the render peer's Fourier image and colour decorrelation)
import torch_render  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(1)

MEAN = torch.tensor([103.0626, 115.9029, 123.1516]).view(1, 3, 1, 1)
TARGET_NODE = "ReLU347_Output_0"  # layer3.1
CHANNEL = 17


class Graph:
    def __init__(self, path, merge_bn=False):
        model = onnx.load(path)
        self.init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
        self.input = model.graph.input[0].name
        self.nodes = []
        for n in model.graph.node:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            self.nodes.append((n.op_type, list(n.input), n.output[0], attrs))
        if merge_bn:
            self._merge()

    def _merge(self):
        """BatchNorm folded into the convolution before it (the LRP canonizer): w' = w*g/s, b' = (b - m)*g/s + beta."""
        producers = {out: i for i, (_, _, out, _) in enumerate(self.nodes)}
        merged, drop = {}, set()
        for i, (op, ins, out, attrs) in enumerate(self.nodes):
            if op != "BatchNormalization":
                continue
            j = producers[ins[0]]
            cop, cins, cout, cattrs = self.nodes[j]
            g, beta, m, v = (self.init[k] for k in ins[1:5])
            s = torch.sqrt(v + attrs.get("epsilon", 1e-5))
            w = self.init[cins[1]] * (g / s).view(-1, 1, 1, 1)
            b = (self.init[cins[2]] if len(cins) > 2 else torch.zeros_like(m))
            b = (b - m) * g / s + beta
            self.init[cout + ".w"], self.init[cout + ".b"] = w, b
            merged[j] = (cop, [cins[0], cout + ".w", cout + ".b"], out, cattrs)
            drop.add(i)
        self.nodes = [merged.get(i, nd) for i, nd in enumerate(self.nodes) if i not in drop]

    def run(self, x, stop=None, conv=None, add=None):
        env = {self.input: x}
        for op, ins, out, a in self.nodes:
            v = [env[k] if k in env else self.init[k] for k in ins]
            if op == "Conv":
                p = a.get("pads", [0, 0, 0, 0])
                args = (v[0], v[1], v[2] if len(v) > 2 else None, a.get("strides", [1, 1]), (p[0], p[1]), a.get("dilations", [1, 1]), a.get("group", 1))
                y = conv(*args, first=ins[0] == self.input) if conv else F.conv2d(*args)
            elif op == "BatchNormalization":
                y = F.batch_norm(v[0], v[3], v[4], v[1], v[2], False, 0.0, a.get("epsilon", 1e-5))
            elif op == "Relu":
                y = F.relu(v[0])
            elif op == "MaxPool":
                p = a.get("pads", [0, 0, 0, 0])
                y = F.max_pool2d(v[0], a["kernel_shape"], a["strides"], (p[0], p[1]))
            elif op == "AveragePool":
                y = F.avg_pool2d(v[0], a["kernel_shape"], a.get("strides", a["kernel_shape"]))
            elif op == "Add":
                y = add(v[0], v[1]) if add else v[0] + v[1]
            else:
                raise ValueError(f"unsupported op {op}")
            env[out] = y
            if out == stop:
                return y
        return y


def contract(pixels):
    return pixels[:, [2, 1, 0]] * 255.0 - MEAN


class ZPlus(torch.autograd.Function):
    """Zennit's z+ in relevance form: R_in = x * conv^T(R / z+, w+), z+ = conv(x, w+) + b+ (x >= 0 after ReLU)."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        ctx.save_for_backward(x, w, b)
        ctx.conf = (stride, padding, dilation, groups)
        return F.conv2d(x, w, b, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, r):
        x, w, b = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.conf
        wp = w.clamp(min=0)
        z = F.conv2d(x, wp, b.clamp(min=0), stride, padding, dilation, groups)
        s = r / (z + 1e-6 * torch.where(z >= 0, 1.0, -1.0))
        c = torch.nn.grad.conv2d_input(x.shape, wp, s, stride, padding, dilation, groups)
        return x * c, None, None, None, None, None, None


class Flat(torch.autograd.Function):
    """Zennit's flat rule for the first layer: relevance spread by the receptive field alone."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        ctx.save_for_backward(x, w)
        ctx.conf = (stride, padding, dilation, groups)
        return F.conv2d(x, w, b, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, r):
        x, w = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.conf
        ones_w = torch.ones_like(w)
        z = F.conv2d(torch.ones_like(x), ones_w, None, stride, padding, dilation, groups)
        c = torch.nn.grad.conv2d_input(x.shape, ones_w, r / (z + 1e-6), stride, padding, dilation, groups)
        return c, None, None, None, None, None, None


class Norm(torch.autograd.Function):
    """Zennit's Norm rule for a sum: each addend gets its share a_i / (a + b) of the relevance."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a + b

    @staticmethod
    def backward(ctx, r):
        a, b = ctx.saved_tensors
        z = a + b
        s = r / (z + 1e-6 * torch.where(z >= 0, 1.0, -1.0))
        return a * s, b * s


def lrp_conv(x, w, b, stride, padding, dilation, groups, first):
    return (Flat if first else ZPlus).apply(x, w, b, tuple(stride), tuple(padding), tuple(dilation), groups)


def gauss_legendre(n):
    t, w = np.polynomial.legendre.leggauss(n)
    return torch.tensor((t + 1) / 2, dtype=torch.float32), torch.tensor(w / 2, dtype=torch.float32)


def timed(fn, seconds=3.0):
    for _ in range(3):
        fn()
    return Timer(stmt="fn()", globals={"fn": fn}, num_threads=2).blocked_autorange(min_run_time=seconds).median * 1e3


def render_step(features, channel, batch):
    """One step of the Lucid-style render at 224 squared: Fourier image, decorrelation, sigmoid, Lucid's transforms,
    then `features` (pixels in [0, 1] to the objective's tap), the mean of `channel`, Adam 0.05."""
    spectrum, scale = make(224)
    spectrum = spectrum.detach().repeat(batch, 1, 1, 1, 1).requires_grad_()
    opt = torch.optim.Adam([spectrum], lr=0.05)

    def step():
        opt.zero_grad()
        img = image(spectrum, scale, 224)
        act = features(torch_render.transform(img, 224))
        (-act[:, channel].mean()).backward()
        opt.step()

    return step


def layer31(net):
    """ML.NET's ResNet-18 on pixels in [0, 1] up to layer3.1."""
    return lambda x: net.run(contract(x), stop=TARGET_NODE)


def network_cases(name, channel, run, features, relevance_features, render):
    """The real-network cases on pixels in [0, 1], target `channel` of the tap that `features` stops at:
    forward and forward + input gradient of the summed output at batch 1 and 8 (`run`), a render step at batch 1 and
    4 (`render(batch)` gives the step function), LRP through `relevance_features` (the network with the rules as custom
    backward functions, up to the tap; relevance enters as output times mask, as Zennit starts), and Integrated
    Gradients with 50 Gauss-Legendre steps in one batch."""
    results = {}
    for batch in (1, 8):
        x = torch.rand(batch, 3, 224, 224)

        def forward():
            with torch.no_grad():
                run(x)

        def gradient():
            xi = x.clone().requires_grad_()
            torch.autograd.grad(run(xi).sum(), xi)

        results[f"{name} fwd b{batch}"] = timed(forward)
        results[f"{name} fwd+input grad b{batch}"] = timed(gradient)

    for batch in (1, 4):
        results[f"render step 224x224 {name} b{batch}"] = timed(render(batch))

    photo = torch.rand(1, 3, 224, 224)

    def relevance():
        xi = photo.clone().requires_grad_()
        act = relevance_features(xi)
        mask = torch.zeros_like(act)
        mask[:, channel] = 1
        torch.autograd.grad(act, xi, grad_outputs=act.detach() * mask)

    results[f"lrp epsilon-plus-flat {name} b1"] = timed(relevance)

    alphas, weights = gauss_legendre(50)

    def ig():
        path = (alphas.view(-1, 1, 1, 1) * photo).requires_grad_()
        act = features(path)[:, channel].sum(dim=(1, 2))
        (g,) = torch.autograd.grad(act.sum(), path)
        return photo * (weights.view(-1, 1, 1, 1) * g).sum(0, keepdim=True)

    results[f"ig 50 steps {name} b1"] = timed(ig, seconds=6.0)
    return results


def resident_mib(field):
    """VmRSS (now) or VmHWM (the peak) of this process, in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    raise SystemExit(f"/proc/self/status has no {field}")


def render_memory(path, batch, steps):
    """--render-memory: the render's peak resident set, after the network is loaded (baseline) and over the steps."""
    net = Graph(path)
    step = render_step(layer31(net), CHANNEL, batch)
    baseline = resident_mib("VmRSS")
    for _ in range(steps):
        step()
    json.dump({"baseline MiB": baseline, "peak MiB": resident_mib("VmHWM")}, sys.stdout)


def main():
    if sys.argv[1] == "--render-memory":
        render_memory(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    path, check = sys.argv[1], sys.argv[2]
    net = Graph(path)
    lrp_net = Graph(path, merge_bn=True)
    data = np.fromfile(check, dtype=np.float32)
    pixels = torch.from_numpy(data[: 3 * 224 * 224].copy()).view(1, 3, 224, 224)
    ours = torch.from_numpy(data[3 * 224 * 224:].copy())
    with torch.no_grad():
        theirs = net.run(contract(pixels)).flatten()
    err = (theirs - ours).abs().max().item() / ours.abs().max().item()
    if err > 1e-4:
        raise SystemExit(f"the peer's ResNet-18 disagrees with ours: max relative difference {err:.2e}")
    results = network_cases(
        "resnet18", CHANNEL,
        run=lambda x: net.run(contract(x)),
        features=layer31(net),
        relevance_features=lambda x: lrp_net.run(contract(x), stop=TARGET_NODE, conv=lrp_conv, add=Norm.apply),
        render=lambda batch: render_step(layer31(net), CHANNEL, batch))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
