#!/usr/bin/python3
"""One training step of a ganrt run of models/making_faces.gan, checked against PyTorch.

The worked example of docs/reproducibility.md; tests/test_repro_torch.c runs it in `make check`
(when Debian's python3-torch is importable). Everything it needs comes out of ganrt itself:

  RUN/ckpt/step_000000.ckpt  the state before the step   (ganrt train --ckpt-initial)
  RUN/ckpt/step_000001.ckpt  the state after it
  RUN/metrics.csv            every program run's losses  (--metrics-per-program, %.9g)
  DUMP/step_000001/runR_P/   each run's inputs           (--dump-inputs: image, labels, z)
  GRADS/runR_P/NAME.grad.npy each run's gradients        (ganrt run-program --dump-tensors)

The reference is tests/gen_step_golden.py's PyTorch model of the seed's structure (spectral
norm, TF 'same' padding, Keras batch-norm momentum, hinge + BCE, Adam with bias correction);
this script imports it, sizes it from the checkpoint's shapes and replays the step in float64
from ganrt's own float32 state and inputs, so the only error left is ganrt's float32 rounding.
The hyperparameters are rounded to float32 first, as model.bin stores them (beta2 = 0.999f is
0.99900001287..., so 1 - beta2 = 0.00099998713...).

Compared, per run: every loss term (metrics.csv) and every parameter gradient; after the step:
parameters, Adam m, v and t, spectral-norm u vectors and batch-norm running statistics.
Tolerance |ours - torch| <= atol + rtol |torch| with tests/test_step_golden.c's rule: rtol 1e-4;
atol 1e-6 for quantities of order 1, 1e-5 times the network's largest |value| for gradients and
Adam's m and v. A parameter may also differ by what its Adam updates computed from our gradients
and from PyTorch's differ: beta1 = 0 makes the first update lr * g / (|g| + eps), so a gradient
near 0 turns a float32 round-off into a step of up to lr.
Exit status 0 when everything agrees, 1 with the worst disagreements listed.
"""
import argparse
import csv
import os
import struct
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True   # make check leaves the source tree as it found it
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_step_golden as ref  # noqa: E402  (the PyTorch model of the seed's structure)

DT = torch.float64
RTOL, ATOL, ATOL_REL_MAX = 1e-4, 1e-6, 1e-5


def f32(x):
    """A Python float rounded to float32, as model.bin holds it."""
    return float(np.float32(x))


def read_ckpt(path):
    """docs/checkpoint-format.md: {name: float32 array}, in table order."""
    b = open(path, "rb").read()
    assert b[:8] == b"GANCKPT\0", f"{path}: not a ganrt checkpoint"
    n = struct.unpack_from("<I", b, 12)[0]
    data_off = struct.unpack_from("<Q", b, 104)[0]
    out = {}
    for i in range(n):
        e = b[128 + 128 * i: 256 + 128 * i]
        name = e[:64].split(b"\0")[0].decode()
        nd = struct.unpack_from("<I", e, 68)[0]
        shape = struct.unpack_from("<4I", e, 72)[:nd]
        numel, off = struct.unpack_from("<QQ", e, 88)
        a = np.frombuffer(b, "<f4", numel, data_off + off)
        out[name] = a.reshape(shape).copy()
    return out


def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


class Report:
    def __init__(self):
        self.bad = []
        self.worst = {}

    def compare(self, what, ours, want, atol, extra=None):
        ours = np.asarray(ours, dtype=np.float64).ravel()
        want = np.asarray(want, dtype=np.float64).ravel()
        assert ours.shape == want.shape, f"{what}: {ours.shape} vs {want.shape}"
        err = np.abs(ours - want)
        tol = atol + RTOL * np.abs(want) + (0 if extra is None else np.asarray(extra).ravel())
        ratio = float(np.max(err / tol)) if err.size else 0.0
        kind = what.split(" ")[0]
        if ratio > self.worst.get(kind, (0, ""))[0]:
            self.worst[kind] = (ratio, what)
        if ratio > 1:
            i = int(np.argmax(err / tol))
            self.bad.append(f"{what}[{i}]: ganrt {ours[i]:.9g}, torch {want[i]:.9g} "
                            f"(|diff| {err[i]:.3g} > tol {tol[i]:.3g})")


def adam_updates(grads, lr, b1, b2, eps):
    """The sum of Adam's steps for a sequence of gradients (float64, torch's formula)."""
    m = np.zeros_like(grads[0])
    v = np.zeros_like(grads[0])
    total = np.zeros_like(grads[0])
    for t, g in enumerate(grads, 1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        total += lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return total


def load_inputs(d):
    e = {}
    for k, f in (("x", "image"), ("y", "labels"), ("z", "z")):
        p = os.path.join(d, f + ".npy")
        if os.path.exists(p):
            e[k] = t64(np.load(p))
    return e


def metrics_rows(path, step):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert rows and "program" in rows[0], f"{path}: not a --metrics-per-program file"
    return {int(r["run"]): r for r in rows if int(r["step"]) == step}


class ActSnap:
    """Puts the reference on ganrt's side of every ReLU / leaky-ReLU kink that float32 rounding
    decides. An activation input within KINK of 0 can round to the other sign in float32; its
    gradient, and every gradient upstream, then legitimately differs (seen: batch 2, seed 3,
    two of G.bn5's 8192 x 50 values at 2e-7 and 6e-7 moved G's gradients by 1e-2). The
    reference's activations are checked, in call order, against the outputs ganrt dumped
    (run-program --dump-tensors PROG.G.reluK, PROG.D.lreluK, PROG.D_2.lreluK); where the
    signs differ and the input is within KINK of 0 it is mirrored to ganrt's side (a change
    of twice a float32 rounding) and counted. Anything else is compared as a value."""
    KINK = 1e-5

    def __init__(self, rep):
        self.rep, self.queue, self.snapped = rep, [], 0
        f = ref.F

        class Proxy:
            def __getattr__(_, name):
                return getattr(f, name)

            @staticmethod
            def relu(x):
                return f.relu(self.snap(x, 0.0))

            @staticmethod
            def leaky_relu(x, slope=0.01):
                return f.leaky_relu(self.snap(x, slope), slope)
        ref.F = Proxy()

    def expect(self, run_dir, prog, n_g, n_d):
        """The activations ganrt's program runs, in the reference's call order."""
        g = [f"{prog}.G.relu{k}" for k in range(1, n_g + 1)]
        if prog == "d_step":
            names = [f"{prog}.D.lrelu{k}" for k in range(1, n_d + 1)] + g + \
                    [f"{prog}.D_2.lrelu{k}" for k in range(1, n_d + 1)]
        else:
            names = g + [f"{prog}.D.lrelu{k}" for k in range(1, n_d + 1)]
        self.queue = [(n, t64(np.load(os.path.join(run_dir, n + ".npy")))) for n in names]

    def snap(self, x, slope):
        # the hinge losses' relu(1 -+ a) are no network activation: their shape tells them
        if not self.queue or tuple(self.queue[0][1].shape) != tuple(x.shape):
            return x
        name, out = self.queue.pop(0)
        flip = ((out > 0) != (x > 0)) & (x.abs() < self.KINK)
        self.snapped += int(flip.sum())
        x = x + torch.where(flip, -2 * x, torch.zeros_like(x)).detach()
        want = torch.where(x > 0, x, slope * x).detach().numpy()
        self.rep.compare(f"activations {name}", out.numpy(), want, ATOL_REL_MAX * np.abs(want).max())
        return x


def size_reference(c0):
    """Sets gen_step_golden's model constants from the checkpoint's shapes."""
    ref.G_C0 = c0["G.bn1.gamma"].shape[0]
    ref.G_FILTERS = []
    k = 1
    while f"G.conv{k + 1}.w" in c0:
        ref.G_FILTERS.append(c0[f"G.conv{k}.w"].shape[0])
        k += 1
    ref.D_FILTERS = []
    k = 1
    while f"D.conv{k}.w" in c0:
        ref.D_FILTERS.append(c0[f"D.conv{k}.w"].shape[0])
        k += 1
    ref.L = c0["D.dense2.w"].shape[0]
    ref.Z = c0["G.dense1.w"].shape[1] - ref.L
    # the seed's hyperparameters, rounded as model.bin stores them
    ref.BN_MOM_KERAS, ref.BN_EPS = f32(0.8), f32(1e-3)


def run_step(args, rep, acts):
    c0 = read_ckpt(os.path.join(args.run, "ckpt", f"step_{args.step - 1:06d}.ckpt"))
    c1 = read_ckpt(os.path.join(args.run, "ckpt", f"step_{args.step:06d}.ckpt"))
    size_reference(c0)
    g_specs, d_specs = ref.param_specs()
    g_names, d_names = [n for n, _ in g_specs], [n for n, _ in d_specs]
    for n, shape in g_specs + d_specs:
        assert tuple(c0[n].shape) == tuple(shape), f"{n}: {c0[n].shape} vs {shape}"
    P = {n: t64(c0[n]).requires_grad_(True) for n in g_names + d_names}
    S = {n: t64(c0[n]) for n in c0 if n.endswith((".u", ".running_mean", ".running_var"))}
    assert not any(c0[n].any() for n in c0 if ".adam_" in n), \
        "this check starts from a fresh optimizer (step 0)"
    hp = {"D": (f32(2e-4), 0.0, f32(0.999), f32(1e-7)), "G": (f32(5e-5), 0.0, f32(0.999), f32(1e-7))}
    opt = {net: torch.optim.Adam([P[n] for n in names], lr=hp[net][0], betas=hp[net][1:3],
                                 eps=hp[net][3])
           for net, names in (("D", d_names), ("G", g_names))}
    mrows = metrics_rows(os.path.join(args.run, "metrics.csv"), args.step)
    step_dir = os.path.join(args.dump, f"step_{args.step:06d}")
    runs = sorted(os.listdir(step_dir), key=lambda r: int(r[3:r.index("_")]))
    grads = {"D": ([], []), "G": ([], [])}      # (ours, torch) per run
    for r in runs:
        k, prog = int(r[3:r.index("_")]), r[r.index("_") + 1:]
        e = load_inputs(os.path.join(step_dir, r))
        net, names = ("D", d_names) if prog == "d_step" else ("G", g_names)
        acts.expect(os.path.join(args.grads, r), prog, len(ref.G_FILTERS) + 1, len(ref.D_FILTERS))
        if prog == "d_step":
            losses = ref.d_step(P, S, opt["D"], e["x"], e["y"], e["z"])
        else:
            losses = ref.g_step(P, S, opt["G"], e["y"], e["z"])
        assert not acts.queue, f"{r}: the reference ran fewer activations than ganrt: " \
            f"{[n for n, _ in acts.queue]}"
        row = mrows[k]
        cols = [c for c in row if c.startswith(net.lower() + "_loss") and row[c] != ""]
        rep.compare(f"losses {r} ({', '.join(cols)})", [float(row[c]) for c in cols], losses, ATOL)
        want = np.concatenate([P[n].grad.numpy().ravel() for n in names])
        ours = np.concatenate([np.load(os.path.join(args.grads, r, n + ".grad.npy")).ravel()
                               for n in names])
        rep.compare(f"gradients {r} ({net})", ours, want, ATOL_REL_MAX * np.abs(want).max())
        grads[net][0].append(ours.astype(np.float64))
        grads[net][1].append(want)
    return c1, P, S, opt, hp, grads, (g_names, d_names)


def compare_state(c1, P, S, opt, hp, grads, names, rep):
    for net, nl in (("G", names[0]), ("D", names[1])):
        lr, b1, b2, eps = hp[net]
        ours_g, torch_g = grads[net]
        extra = np.abs(adam_updates(ours_g, lr, b1, b2, eps) - adam_updates(torch_g, lr, b1, b2, eps)) \
            if ours_g else 0
        want = np.concatenate([P[n].detach().numpy().ravel() for n in nl])
        ours = np.concatenate([c1[n].ravel() for n in nl])
        rep.compare(f"params {net}", ours, want, ATOL, extra)
        st = [opt[net].state[P[n]] for n in nl]
        for key, cname in (("exp_avg", "adam_m"), ("exp_avg_sq", "adam_v")):
            want = np.concatenate([s[key].numpy().ravel() for s in st])
            # fused: one Adam over the network's aggregate; --no-fuse: one per parameter
            ours = c1[f"{net}.{cname}"] if f"{net}.{cname}" in c1 else \
                np.concatenate([c1[f"{n}.{cname}"].ravel() for n in nl])
            rep.compare(f"{cname} {net}", ours, want, ATOL_REL_MAX * np.abs(want).max())
        rep.compare(f"adam_t {net}", c1[f"{net}.adam_t"], [float(st[0]["step"])], 0)
    for n, t in S.items():
        rep.compare(f"state {n}", c1[n], t.numpy(), ATOL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True, help="ganrt train --out RUN")
    ap.add_argument("--dump", required=True, help="ganrt train --dump-inputs DIR")
    ap.add_argument("--grads", required=True, help="per run: runR_PROG/NAME.grad.npy")
    ap.add_argument("--step", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rep = Report()
    acts = ActSnap(rep)
    compare_state(*run_step(args, rep, acts), rep)
    print(f"  {acts.snapped} activation inputs within {ActSnap.KINK:g} of 0 that float32 put on "
          f"the other side of the kink: mirrored to ganrt's side")
    for kind, (ratio, what) in sorted(rep.worst.items()):
        print(f"  {kind:10s} worst |diff|/tol {ratio:.3f}  ({what})")
    if rep.bad:
        print(f"check_step_torch: {len(rep.bad)} disagreements:")
        for b in rep.bad[:20]:
            print("  " + b)
        return 1
    print(f"check_step_torch: step {args.step} of {args.run} agrees with PyTorch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
