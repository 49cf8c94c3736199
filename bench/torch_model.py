#!/usr/bin/python3
"""The seed models in PyTorch, timed like bench/bench_model.c times ganrt.

Benchmark reference only (never a runtime dependency). Run by bench_model with Debian's
/usr/bin/python3 (python3-torch); by hand:
    /usr/bin/python3 bench/torch_model.py --model making_faces --threads 2
Prints one line
    RESULT d_step S g_step S step S rss_base_mib M rss_peak_mib M params_g N params_d N steps N
with the mean time of one d_step and one g_step run and of one whole training step
(d_steps x d_step + g_step), over --iters timed steps after --warmup untimed ones (more,
up to --max-steps, until --min-time seconds are timed), the parameter counts and the number
of timed steps.

The networks mirror models/making_faces.gan and models/demo.gan layer by layer (TF 'same'
padding, Keras batch-norm momentum m = torch momentum 1 - m, eps 1e-3, spectral norm via
torch.nn.utils.spectral_norm, the models' losses, Adam as the model says with eps 1e-7, the
demo's EMA of G). The parameter counts are printed so bench_model can check that they equal
the compiled model's. Written the way one
would write the training loop in PyTorch: G runs under no_grad for the discriminator step,
D's parameters do not require grad during the generator step, inputs are drawn before each
timed program (ganrt's timing also excludes filling the inputs).
"""
import argparse
import copy
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SN = nn.utils.spectral_norm

MODELS = {
    # models/making_faces.gan: hinge + BCE, spectral norm everywhere, upsample + conv in G
    "making_faces": dict(kind="seed", img=64, labels=8, z=100, c0=122,
                         g_filters=[97, 78, 62, 50], bn_mom=0.8,
                         d_filters=[50, 62, 78, 97, 122], alpha=0.1,
                         batch=100, d_steps=2, lr_d=2e-4, lr_g=5e-5, beta1=0.0, ema=None),
    # models/demo.gan: DCGAN recipe, transposed convs in G, BCE with constant targets
    "demo": dict(kind="dcgan", img=32, labels=8, z=64, c0=96,
                 g_filters=[64, 32], bn_mom=0.9,
                 d_filters=[32, 64, 128], alpha=0.2,
                 batch=32, d_steps=1, lr_d=2e-4, lr_g=2e-4, beta1=0.5, ema=0.99),
}


def same_conv(cin, cout, k, stride, size, sn):
    """TF 'same' padding (bottom/right get the odd pixel) as an explicit pad + valid conv."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    t = total // 2
    conv = nn.Conv2d(cin, cout, k, stride)
    return [nn.ZeroPad2d((t, total - t, t, total - t)), SN(conv) if sn else conv]


class G(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.dense = nn.Linear(c["z"] + c["labels"], 16 * c["c0"])
        mom = 1.0 - c["bn_mom"]                       # Keras momentum -> torch momentum
        self.bn0 = nn.BatchNorm2d(c["c0"], momentum=mom, eps=1e-3)
        body, ch, size = [], c["c0"], 4
        for f in c["g_filters"]:
            if c["kind"] == "seed":                   # upsample(2) | conv(f) k3 same, SN
                size *= 2
                body += [nn.Upsample(scale_factor=2, mode="nearest")]
                body += same_conv(ch, f, 3, 1, size, True)
            else:                                     # conv_t(f) k4 s2 same: pad 1 each side
                body += [nn.ConvTranspose2d(ch, f, 4, 2, padding=1)]
            body += [nn.BatchNorm2d(f, momentum=mom, eps=1e-3), nn.ReLU()]
            ch = f
        if c["kind"] == "seed":                       # conv(3, kernel 4) same: pad 1 / 2
            body += same_conv(ch, 3, 4, 1, size, True)
        else:
            body += [nn.ConvTranspose2d(ch, 3, 4, 2, padding=1)]
        self.body = nn.Sequential(*body, nn.Tanh())

    def forward(self, z, y):
        h = self.dense(torch.cat([z, y], 1))
        if self.c["kind"] == "seed":                  # dense | relu | reshape | batchnorm
            h = self.bn0(F.relu(h).reshape(-1, self.c["c0"], 4, 4))
        else:                                         # dense | reshape | batchnorm | relu
            h = F.relu(self.bn0(h.reshape(-1, self.c["c0"], 4, 4)))
        return self.body(h)


class D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        body, ch, size = [], 3, c["img"]
        for f in c["d_filters"]:
            if c["kind"] == "seed":                   # conv(f, stride 2) k3 same, SN
                body += same_conv(ch, f, 3, 2, size, True)
            else:                                     # conv(f) k4 s2 same
                body += same_conv(ch, f, 4, 2, size, False)
            body += [nn.LeakyReLU(c["alpha"])]
            ch, size = f, -(-size // 2)
        self.body = nn.Sequential(*body)
        feat = ch if c["kind"] == "seed" else ch * size * size   # GAP or flatten
        self.adv = nn.Linear(feat, 1)
        self.cls = nn.Linear(feat, c["labels"])

    def forward(self, x):
        h = self.body(x)
        h = h.mean((2, 3)) if self.c["kind"] == "seed" else h.flatten(1)
        return self.adv(h), self.cls(h)


def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="making_faces", choices=sorted(MODELS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--iters", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=0.0,
                    help="more timed steps until this many seconds are timed")
    ap.add_argument("--max-steps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=0, help="0: the model's batch")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    base = rss_mib()
    c = MODELS[a.model]
    n = a.batch or c["batch"]
    g, d = G(c), D(c)
    g.train()
    d.train()
    ema = copy.deepcopy(g).requires_grad_(False) if c["ema"] else None
    opt_d = torch.optim.Adam(d.parameters(), lr=c["lr_d"], betas=(c["beta1"], 0.999), eps=1e-7)
    opt_g = torch.optim.Adam(g.parameters(), lr=c["lr_g"], betas=(c["beta1"], 0.999), eps=1e-7)

    bce = F.binary_cross_entropy_with_logits

    def inputs():
        x = torch.rand(n, 3, c["img"], c["img"]) * 2 - 1
        y = (torch.rand(n, c["labels"]) < 0.5).float()
        z = torch.randn(n, c["z"])
        return x, y, z

    def d_step(x, y, z):
        with torch.no_grad():
            fake = g(z, y)
        adv_r, cls_r = d(x)
        adv_f, _ = d(fake)
        if c["kind"] == "seed":
            loss = F.relu(1 - adv_r).mean() + F.relu(1 + adv_f).mean()
        else:
            loss = bce(adv_r, torch.ones_like(adv_r)) + bce(adv_f, torch.zeros_like(adv_f))
        loss = loss + bce(cls_r, y)
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        return loss.item()

    def g_step(y, z):
        d.requires_grad_(False)
        adv, cls = d(g(z, y))
        if c["kind"] == "seed":
            loss = -adv.mean() + bce(cls, y)
        else:
            loss = bce(adv, torch.ones_like(adv)) + bce(cls, y)
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()
        d.requires_grad_(True)
        if ema is not None:
            with torch.no_grad():
                for pe, p in zip(ema.parameters(), g.parameters()):
                    pe.mul_(c["ema"]).add_(p, alpha=1 - c["ema"])
        return loss.item()

    sum_d = sum_g = 0.0
    timed = it = 0
    while it < a.warmup + a.iters or (c["d_steps"] * sum_d + sum_g < a.min_time and
                                      timed < a.max_steps):
        td = 0.0
        for _ in range(c["d_steps"]):
            x, y, z = inputs()
            t0 = time.perf_counter()
            d_step(x, y, z)
            td += time.perf_counter() - t0
        _, y, z = inputs()
        t0 = time.perf_counter()
        g_step(y, z)
        tg = time.perf_counter() - t0
        if it >= a.warmup:
            sum_d += td / c["d_steps"]
            sum_g += tg
            timed += 1
        it += 1
    t_d, t_g = sum_d / timed, sum_g / timed
    n_g = sum(p.numel() for p in g.parameters())
    n_d = sum(p.numel() for p in d.parameters())
    print(f"RESULT d_step {t_d:.6f} g_step {t_g:.6f} step {c['d_steps'] * t_d + t_g:.6f} "
          f"rss_base_mib {base:.1f} rss_peak_mib {rss_mib():.1f} params_g {n_g} params_d {n_d} steps {timed}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
