#!/usr/bin/python3
"""End-to-end PyTorch reference of whole training steps of the seed model's structure.

Run by hand from the repository root with Debian's PyTorch (apt-get install python3-torch;
NOT the pyenv python3 that may come first on PATH):
    /usr/bin/python3 tests/gen_step_golden.py
It writes, next to tests/golden/step/tiny_seed.gan (a tiny copy of models/making_faces.gan,
written by hand; this script mirrors it layer by layer):
  init.ckpt      the initial training state in ganrt's checkpoint format
                 (docs/checkpoint-format.md): every parameter, BN running stats, SN u vectors,
                 Adam m/v (zeros) and t (0). tests/test_step_golden.c loads it with the
                 runtime's own gan_ckpt_load_matching().
  expected.ckpt  the same container format, holding (region field 1, names below)
                   in/d1.x in/d1.y in/d1.z  in/d2.x in/d2.y in/d2.z  in/g.y in/g.z
                       the program inputs of the two d_step runs and the g_step run
                   S/losses           S = d1, d2, g: the program's outputs in program order
                                      (total, then the terms in the order of the loss line)
                   S/NAME             every parameter and state tensor after run S
                   S/PARAM.adam_m     Adam's m and v of each parameter after run S
                   S/PARAM.adam_v
                   in/s.y in/s.z s/image   then the sample program (G in inference mode:
                                      running statistics, spectral norm without a power
                                      iteration) on the state after g_step, and its output
                 so the C side can tell which run and which tensor first disagrees.
One training step of the seed model is d_steps = 2 runs of d_step, then one g_step.

Semantics replicated from format/ops.h and from the op lists ganc emits for this model
(`ganc tests/golden/step/tiny_seed.gan -o t.bin --dot t.dot`, `ganrt info t.bin`):
  - d_step: D's three spectral norms run ONCE (one power iteration each, u updated) and the
    normalized weights are shared by D(x) and D(G(z)); G runs in training mode inside d_step
    (its SN u vectors take a power iteration and its BN running stats are updated, exactly as
    a PyTorch loop with G.train() and torch.no_grad() does), but G gets no gradient;
  - g_step: G in training mode, then D's spectral norms again in training mode (D's u vectors
    are updated by g_step too), D's parameters get no update;
  - spectral norm: W viewed [O, K] over the first dim, v = normalize(W^T u),
    u = normalize(W v), sigma = u^T W v, w_sn = w / sigma, u and v constants in the backward,
    normalize eps 1e-12 -- torch.nn.utils.spectral_norm's computation, checked against it
    below;
  - batch norm: Keras momentum 0.8 = torch momentum 0.2, eps 1e-3, running var unbiased
    (torch's rule);
  - TF 'same' padding: k3 s2 on even sizes pads 0 top/left, 1 bottom/right; k4 s1 pads 1
    top/left, 2 bottom/right (F.pad before an unpadded conv);
  - losses: hinge_real = mean(relu(1 - a)), hinge_fake = mean(relu(1 + a)), BCE with logits
    averaged over all N x L elements, G: -mean(adv) + BCE;
  - Adam: torch.optim.Adam (bias-corrected, m / (sqrt(v_hat) + eps)), beta1 0, beta2 0.999,
    eps 1e-7 (the language's default, Keras'), lr 2e-4 (D) and 5e-5 (G).
The reference computes in float64 from float32-representable inputs, so what it stores is
the exact answer rounded once; the C runtime's float32 error is the only error measured.

Initial values are deliberately not the seed's init: conv weights are plain normal (an
orthogonal matrix has all singular values 1, which would make sigma = 1 and hide spectral
norm errors), biases / BN gamma, beta / running stats are random, not 0 and 1.
"""
import os
import struct
import sys
import zlib

import torch
import torch.nn.functional as F

OUT = "tests/golden/step"
B, Z, L, IMG = 4, 8, 3, 16
EPS_SN = 1e-12
BN_MOM_KERAS, BN_EPS = 0.8, 1e-3
LR_D, LR_G, BETA1, BETA2, ADAM_EPS = 2e-4, 5e-5, 0.0, 0.999, 1e-7
G_FILTERS = [6, 5]          # tiny_seed.gan: for f in [6, 5]
D_FILTERS = [4, 6, 7]       # tiny_seed.gan: for f in [4, 6, 7]
G_C0 = 8                    # dense(4*4*8) | reshape(8, 4, 4)

DT = torch.float64


def f32(t):
    """A float64 tensor holding float32-representable values (what the C side starts from)."""
    return t.to(torch.float32).to(DT)


# ---------------------------------------------------------------- the model's tensors
def param_specs():
    """(name, shape) in the order ganc lays the parameters out (G then D; per layer w, b,
    or gamma, beta)."""
    g = [("G.dense1.w", (4 * 4 * G_C0, Z + L)), ("G.dense1.b", (4 * 4 * G_C0,)),
         ("G.bn1.gamma", (G_C0,)), ("G.bn1.beta", (G_C0,))]
    c = G_C0
    for k, f in enumerate(G_FILTERS, 1):
        g += [(f"G.conv{k}.w", (f, c, 3, 3)), (f"G.conv{k}.b", (f,)),
              (f"G.bn{k + 1}.gamma", (f,)), (f"G.bn{k + 1}.beta", (f,))]
        c = f
    k = len(G_FILTERS) + 1      # the output conv (tests/check_step_torch.py sizes G_FILTERS)
    g += [(f"G.conv{k}.w", (3, c, 4, 4)), (f"G.conv{k}.b", (3,))]
    d = []
    c = 3
    for k, f in enumerate(D_FILTERS, 1):
        d += [(f"D.conv{k}.w", (f, c, 3, 3)), (f"D.conv{k}.b", (f,))]
        c = f
    d += [("D.dense1.w", (1, c)), ("D.dense1.b", (1,)), ("D.dense2.w", (L, c)),
          ("D.dense2.b", (L,))]
    return g, d


def sn_layers():
    return [f"G.conv{k}.w" for k in range(1, len(G_FILTERS) + 2)] + \
           [f"D.conv{k}.w" for k in range(1, len(D_FILTERS) + 1)]


def bn_layers():
    return [(f"G.bn{k}", c) for k, c in enumerate([G_C0] + G_FILTERS, 1)]


def make_initial(gen):
    g_specs, d_specs = param_specs()
    P = {}
    for name, shape in g_specs + d_specs:
        if name.endswith(".w") and len(shape) == 4:
            t = torch.randn(shape, generator=gen) * 0.3
        elif name.endswith(".w"):
            lim = (6.0 / (shape[0] + shape[1])) ** 0.5     # glorot_uniform
            t = (torch.rand(shape, generator=gen) * 2 - 1) * lim
        elif name.endswith(".gamma"):
            t = 1 + 0.1 * torch.randn(shape, generator=gen)
        else:                                              # biases, beta
            t = 0.1 * torch.randn(shape, generator=gen)
        P[name] = f32(t).requires_grad_(True)
    S = {}
    for w in sn_layers():
        u = torch.randn((P[w].shape[0],), generator=gen)
        S[w + ".u"] = f32(u / u.norm())
    for bn, c in bn_layers():
        S[bn + ".running_mean"] = f32(0.1 * torch.randn((c,), generator=gen))
        S[bn + ".running_var"] = f32(0.5 + torch.rand((c,), generator=gen))
    return P, S, [n for n, _ in g_specs], [n for n, _ in d_specs]


# ---------------------------------------------------------------- forward passes
def normalize(x):
    return x / torch.clamp(x.norm(), min=EPS_SN)


def spectral_norm(w, u, training):
    """w / sigma with one power iteration on the persistent u (updated in place when
    training); u and v are constants for autograd, as in torch.nn.utils.spectral_norm."""
    W = w.reshape(w.shape[0], -1)
    with torch.no_grad():
        v = normalize(W.t() @ u)
        if training:
            u.copy_(normalize(W @ v))
    sigma = torch.dot(u, W @ v)
    return w / sigma


def batch_norm(h, P, S, name, training=True):
    return F.batch_norm(h, S[name + ".running_mean"], S[name + ".running_var"],
                        P[name + ".gamma"], P[name + ".beta"], training=training,
                        momentum=1.0 - BN_MOM_KERAS, eps=BN_EPS)


def G_forward(P, S, z, y, training=True):
    """training: batch statistics and running-stat updates, SN power iteration (d_step,
    g_step); else running statistics, SN without updating u (the sample program)."""
    h = torch.cat([z, y], 1)
    h = F.relu(F.linear(h, P["G.dense1.w"], P["G.dense1.b"]))
    h = h.reshape(-1, G_C0, 4, 4)
    h = batch_norm(h, P, S, "G.bn1", training)
    for k in range(1, len(G_FILTERS) + 1):
        h = F.interpolate(h, scale_factor=2, mode="nearest")
        w = spectral_norm(P[f"G.conv{k}.w"], S[f"G.conv{k}.w.u"], training)
        h = F.conv2d(F.pad(h, (1, 1, 1, 1)), w, P[f"G.conv{k}.b"])     # k3 s1 same
        h = F.relu(batch_norm(h, P, S, f"G.bn{k + 1}", training))
    k = len(G_FILTERS) + 1
    w = spectral_norm(P[f"G.conv{k}.w"], S[f"G.conv{k}.w.u"], training)
    h = F.conv2d(F.pad(h, (1, 2, 1, 2)), w, P[f"G.conv{k}.b"])         # k4 s1 same (TF)
    return torch.tanh(h)


def D_weights(P, S):
    """D's spectral norms: once per program, shared by every D call in it."""
    return [spectral_norm(P[f"D.conv{k}.w"], S[f"D.conv{k}.w.u"], True)
            for k in range(1, len(D_FILTERS) + 1)]


def D_forward(P, W, x):
    h = x
    for k, w in enumerate(W, 1):
        h = F.leaky_relu(F.conv2d(F.pad(h, (0, 1, 0, 1)), w, P[f"D.conv{k}.b"], stride=2), 0.1)
    h = h.mean((2, 3))
    return F.linear(h, P["D.dense1.w"], P["D.dense1.b"]), \
        F.linear(h, P["D.dense2.w"], P["D.dense2.b"])


def d_step(P, S, opt, x, y, z):
    W = D_weights(P, S)
    adv_real, cls_real = D_forward(P, W, x)
    l1 = F.relu(1 - adv_real).mean()
    with torch.no_grad():
        fake = G_forward(P, S, z, y)
    adv_fake, _ = D_forward(P, W, fake)
    l2 = F.relu(1 + adv_fake).mean()
    l3 = F.binary_cross_entropy_with_logits(cls_real, y)
    loss = l1 + l2 + l3
    opt.zero_grad(set_to_none=False)
    loss.backward()
    opt.step()
    return [loss.item(), l1.item(), l2.item(), l3.item()]


def g_step(P, S, opt, y, z):
    fake = G_forward(P, S, z, y)
    W = D_weights(P, S)
    adv, cls = D_forward(P, W, fake)
    l1 = -adv.mean()
    l2 = F.binary_cross_entropy_with_logits(cls, y)
    loss = l1 + l2
    opt.zero_grad(set_to_none=False)
    loss.backward()
    opt.step()
    return [loss.item(), l1.item(), l2.item()]


# ---------------------------------------------------------------- self-checks
def check_spectral_norm_against_torch(gen):
    """Our functional spectral norm is torch.nn.utils.spectral_norm's computation: same u
    after a training forward, same output, same weight gradient."""
    conv = torch.nn.Conv2d(5, 6, 3).to(DT)
    conv = torch.nn.utils.spectral_norm(conv)
    w0 = torch.randn(6, 5, 3, 3, generator=gen, dtype=DT)
    u0 = normalize(torch.randn(6, generator=gen, dtype=DT))
    x = torch.randn(2, 5, 7, 7, generator=gen, dtype=DT)
    with torch.no_grad():
        conv.weight_orig.copy_(w0)
        conv.weight_u.copy_(u0)
    conv.train()
    y_t = conv(x)
    y_t.square().sum().backward()
    w = w0.clone().requires_grad_(True)
    u = u0.clone()
    y_o = F.conv2d(x, spectral_norm(w, u, True), conv.bias)
    y_o.square().sum().backward()
    assert torch.allclose(u, conv.weight_u, rtol=1e-12, atol=1e-14), "u differs from torch"
    assert torch.allclose(y_o, y_t, rtol=1e-12, atol=1e-12), "output differs from torch"
    assert torch.allclose(w.grad, conv.weight_orig.grad, rtol=1e-10, atol=1e-12), \
        "weight gradient differs from torch"


# ---------------------------------------------------------------- checkpoint container
def write_ckpt(path, entries):
    """entries: list of (name, region, float32-able tensor). docs/checkpoint-format.md."""
    n = len(entries)
    table = bytearray()
    data = bytearray()
    for name, region, t in entries:
        nb = name.encode()
        assert 0 < len(nb) < 64, name
        shape = list(t.shape) if t.dim() > 0 else [1]
        assert 1 <= len(shape) <= 4
        e = bytearray(128)
        e[0:len(nb)] = nb
        struct.pack_into("<II", e, 64, region, len(shape))
        struct.pack_into("<4I", e, 72, *(shape + [0] * (4 - len(shape))))
        struct.pack_into("<QQ", e, 88, t.numel(), len(data))
        struct.pack_into("<I", e, 104, 1)        # layout 1: float32 LE, row-major
        table += e
        data += t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
    data_off = 128 + len(table)
    data_off = (data_off + 63) // 64 * 64
    pad = bytes(data_off - 128 - len(table))
    h = bytearray(128)
    h[0:8] = b"GANCKPT\0"
    struct.pack_into("<II", h, 8, 1, n)
    # step, data_epoch, data_index, rng (zeros), model_id 0 (load_matching ignores it), seed
    struct.pack_into("<QQQ", h, 96, 128, data_off, len(data))
    struct.pack_into("<I", h, 120, zlib.crc32(bytes(data)) & 0xffffffff)
    hc = zlib.crc32(bytes(h[0:124]))
    hc = zlib.crc32(bytes(table) + pad, hc) & 0xffffffff
    struct.pack_into("<I", h, 124, hc)
    with open(path, "wb") as f:
        f.write(bytes(h) + bytes(table) + pad + bytes(data))


def main():
    if not os.path.exists(os.path.join(OUT, "tiny_seed.gan")):
        sys.exit("run from the repository root (tests/golden/step/tiny_seed.gan not found)")
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(20191015)
    check_spectral_norm_against_torch(gen)

    P, S, g_names, d_names = make_initial(gen)
    n_g = sum(P[n].numel() for n in g_names)
    n_d = sum(P[n].numel() for n in d_names)
    init = [(n, 0, P[n]) for n in g_names + d_names]
    init += [(n, 1, S[n]) for n in S]
    for net, cnt in (("G", n_g), ("D", n_d)):
        init += [(f"{net}.adam_m", 1, torch.zeros(cnt)), (f"{net}.adam_v", 1, torch.zeros(cnt)),
                 (f"{net}.adam_t", 1, torch.zeros(1))]
    write_ckpt(os.path.join(OUT, "init.ckpt"), init)

    opt_d = torch.optim.Adam([P[n] for n in d_names], lr=LR_D, betas=(BETA1, BETA2),
                             eps=ADAM_EPS)
    opt_g = torch.optim.Adam([P[n] for n in g_names], lr=LR_G, betas=(BETA1, BETA2),
                             eps=ADAM_EPS)

    def inputs(tag, with_x):
        e = {}
        if with_x:
            e["x"] = f32(torch.rand(B, 3, IMG, IMG, generator=gen) * 2 - 1)
        e["y"] = f32((torch.rand(B, L, generator=gen) < 0.5).to(DT))
        e["z"] = f32(torch.randn(B, Z, generator=gen))
        return e

    out = []

    def snapshot(tag, losses):
        # copies: the tensors keep changing in place in the later runs
        def keep(name, t):
            out.append((name, 1, t.detach().clone()))
        out.append((f"{tag}/losses", 1, torch.tensor(losses, dtype=DT)))
        for n in g_names + d_names:
            keep(f"{tag}/{n}", P[n])
            opt = opt_g if n.startswith("G.") else opt_d
            st = opt.state.get(P[n], {})
            m = st.get("exp_avg", torch.zeros_like(P[n]))
            v = st.get("exp_avg_sq", torch.zeros_like(P[n]))
            keep(f"{tag}/{n}.adam_m", m)
            keep(f"{tag}/{n}.adam_v", v)
        for n in S:
            keep(f"{tag}/{n}", S[n])
        for net, opt, names in (("G", opt_g, g_names), ("D", opt_d, d_names)):
            st = opt.state.get(P[names[0]], {})
            t = float(st["step"]) if "step" in st else 0.0
            out.append((f"{tag}/{net}.adam_t", 1, torch.tensor([t])))

    for tag in ("d1", "d2"):
        e = inputs(tag, True)
        for k, v in e.items():
            out.append((f"in/{tag}.{k}", 1, v))
        snapshot(tag, d_step(P, S, opt_d, e["x"], e["y"], e["z"]))
    e = inputs("g", False)
    for k, v in e.items():
        out.append((f"in/g.{k}", 1, v))
    snapshot("g", g_step(P, S, opt_g, e["y"], e["z"]))
    # then the sample program (ganrt sample): G in inference mode on the trained state
    e = inputs("s", False)
    for k, v in e.items():
        out.append((f"in/s.{k}", 1, v))
    with torch.no_grad():
        out.append(("s/image", 1, G_forward(P, S, e["z"], e["y"], training=False)))

    write_ckpt(os.path.join(OUT, "expected.ckpt"), out)
    for tag in ("d1", "d2", "g"):
        ls = [t for n, _, t in out if n == f"{tag}/losses"][0]
        print(f"{tag}: losses {[round(float(v), 6) for v in ls]}")
    print(f"wrote {OUT}/init.ckpt ({len(init)} tensors), {OUT}/expected.ckpt ({len(out)} tensors)")


if __name__ == "__main__":
    main()
