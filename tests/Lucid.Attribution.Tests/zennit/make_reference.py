#!/usr/bin/env python3
"""Writes zennit-reference.json: Zennit's relevances for a small conv net with biases and a BatchNorm, the numbers
ZennitReferenceTests checks our composites against.

Generated with Zennit 0.5.1 (git tag 0.5.1; the newest Zennit needs torch >= 2) and torch 1.13. Run with Zennit importable (PyPI's zennit, or a checkout: PYTHONPATH=<zennit>/src) and torch:
    python3 make_reference.py > zennit-reference.json
The network (all layers with biases): conv1 3->6 k3 p1, BatchNorm(6) in evaluation mode, ReLU, conv2 6->8 k3 s2 p1,
ReLU, AvgPool 2, flatten, linear 32->5. Input [1, 3, 8, 8] uniform in [0, 1] (the ZBox bounds). Relevance enters at
the top class as its logit (grad_output = output * one-hot) and is read at the input. Composites: EpsilonPlusFlat,
EpsilonAlpha2Beta1, EpsilonGammaBox(low=0, high=1), each with SequentialMergeBatchNorm; and EpsilonPlus with the layer
map's WSquare on conv2 (a bias squared in its denominator).
"""
import json

import torch
from zennit.attribution import Gradient
from zennit.canonizers import SequentialMergeBatchNorm
from zennit.composites import EpsilonAlpha2Beta1, EpsilonGammaBox, EpsilonPlus, EpsilonPlusFlat
from zennit.rules import WSquare

torch.manual_seed(7)
model = torch.nn.Sequential(
    torch.nn.Conv2d(3, 6, 3, padding=1),
    torch.nn.BatchNorm2d(6),
    torch.nn.ReLU(),
    torch.nn.Conv2d(6, 8, 3, stride=2, padding=1),
    torch.nn.ReLU(),
    torch.nn.AvgPool2d(2),
    torch.nn.Flatten(),
    torch.nn.Linear(32, 5),
).eval()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.randn_like(p) * 0.5)
    bn = model[1]
    bn.running_mean.copy_(torch.randn(6) * 0.3)
    bn.running_var.copy_(torch.rand(6) + 0.5)
x = torch.rand(1, 3, 8, 8)
target = int(model(x)[0].argmax())


def attribute(composite):
    with Gradient(model=model, composite=composite) as attributor:
        output, relevance = attributor(x, lambda out: out * torch.eye(5)[[target]])
    return relevance.flatten().tolist()


canonizers = [SequentialMergeBatchNorm()]
cases = {
    "EpsilonPlusFlat": attribute(EpsilonPlusFlat(canonizers=canonizers)),
    "EpsilonAlpha2Beta1": attribute(EpsilonAlpha2Beta1(canonizers=canonizers)),
    "EpsilonGammaBox": attribute(EpsilonGammaBox(low=0.0, high=1.0, canonizers=canonizers)),
}
# WSquare on conv2 only: a name map on top of EpsilonPlus
from zennit.composites import NameMapComposite, MixedComposite  # noqa: E402

cases["EpsilonPlusWSquareConv2"] = attribute(MixedComposite([
    NameMapComposite([(["3"], WSquare())]),
    EpsilonPlus(canonizers=canonizers),
]))
state = {k: v.flatten().tolist() for k, v in model.state_dict().items() if v.dtype == torch.float32}
json.dump({"input": x.flatten().tolist(), "target": target, "state": state, "relevance": cases,
           "logit": model(x)[0, target].item()}, __import__("sys").stdout)
