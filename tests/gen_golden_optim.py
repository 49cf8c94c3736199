#!/usr/bin/python3
"""Writes the PyTorch golden reference for the optimizers of runtime/kernels.h (SGD with
momentum, RMSprop, AdamW's decoupled weight decay) and their learning-rate schedules into
tests/golden/kernels/optim.txt.

Run by hand from the repository root with Debian's PyTorch (apt-get install python3-torch):
    /usr/bin/python3 tests/gen_golden_optim.py
tests/test_kernels_optim.c reads the file. The format and helpers are gen_golden.py's.

Each case: start params p0, then `steps` updates with gradients g1..gK (stored), the torch
optimizer driven by LambdaLR with the schedule below; the params and the optimizer state
after the last update are stored.

Schedule (update t = 1, 2, ...; runtime/kernels.h kern_lr_at):
    warm(t) = t / warmup while t < warmup, else 1
    q = clamp((t - warmup) / (last - warmup), 0, 1)
    linear: 1 - (1 - final) q;  cosine: final + (1 - final) (1 + cos(pi q)) / 2
torch's LambdaLR uses lambda(k) for its k-th update counting from 0, so lambda(k) = f(k + 1).
"""
import math
import os
import torch
from gen_golden import OUT, Writer, rnd

torch.manual_seed(4321)
CONSTANT, LINEAR, COSINE = 0, 1, 2


def factor(t, kind, warmup, last, final):
    w = t / warmup if warmup > 0 and t < warmup else 1.0
    d = 1.0
    if kind != CONSTANT and last > warmup:
        q = min(max((t - warmup) / (last - warmup), 0.0), 1.0)
        d = 1 - (1 - final) * q if kind == LINEAR else final + (1 - final) * 0.5 * (1 + math.cos(math.pi * q))
    return w * d


def run(w, name, make, state_keys, n, steps, sched, floats):
    kind, warmup, last, final = sched
    p0 = rnd(n)
    p = p0.clone().requires_grad_(True)
    opt = make([p])
    lr_sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: factor(k + 1, kind, warmup, last, final))
    grads = {}
    for k in range(steps):
        g = rnd(n)
        grads["g%d" % (k + 1)] = g
        p.grad = g.clone()
        opt.step()
        lr_sched.step()
    st = opt.state[p]
    tensors = {"p0": p0}
    tensors.update(grads)
    tensors["p"] = p.detach()
    for key, tk in state_keys.items():
        tensors[key] = st[tk]
    ints = {"n": n, "steps": steps, "schedule": kind, "warmup": warmup, "last": last}
    floats = dict(floats)
    floats["final"] = final
    w.case(name, ints=ints, floats=floats, tensors=tensors)


def main():
    w = Writer("optim.txt")
    for sname, sched in [("const", (CONSTANT, 0, 0, 0.0)), ("linear_warm", (LINEAR, 2, 6, 0.1)),
                         ("cosine_warm", (COSINE, 3, 7, 0.0)), ("cosine_past_end", (COSINE, 0, 3, 0.2))]:
        run(w, "sgd_mom_" + sname,
            lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01),
            {"buf": "momentum_buffer"}, 37, 6, sched, {"lr": 0.05, "momentum": 0.9, "wd": 0.01})
        run(w, "rmsprop_" + sname,
            lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.9, eps=1e-7, weight_decay=0.001),
            {"sq": "square_avg"}, 41, 6, sched, {"lr": 0.01, "alpha": 0.9, "eps": 1e-7, "wd": 0.001})
        run(w, "adamw_" + sname,
            lambda ps: torch.optim.AdamW(ps, lr=0.002, betas=(0.5, 0.999), eps=1e-8, weight_decay=0.1),
            {"m": "exp_avg", "v": "exp_avg_sq"}, 33, 6, sched,
            {"lr": 0.002, "beta1": 0.5, "beta2": 0.999, "eps": 1e-8, "wd": 0.1})
    run(w, "sgd_plain", lambda ps: torch.optim.SGD(ps, lr=0.1), {}, 19, 3, (CONSTANT, 0, 0, 0.0),
        {"lr": 0.1, "momentum": 0.0, "wd": 0.0})
    w.close()


if __name__ == "__main__":
    main()
