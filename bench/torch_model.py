#!/usr/bin/python3
"""The benchmark's models in PyTorch, timed like bench/bench_model.c times ganrt.

Benchmark reference only (never a runtime dependency). Run by bench_model with Debian's
/usr/bin/python3 (python3-torch); by hand:
    /usr/bin/python3 bench/torch_model.py --model making_faces --threads 2
    (models: making_faces, demo, dcgan64, faces64)
Prints one line
    RESULT d_step S g_step S step S rss_base_mib M rss_peak_mib M params_g N params_d N steps N
with the mean time of one d_step and one g_step run and of one whole training step
(d_steps x d_step + g_step), over --iters timed steps after --warmup untimed ones (more,
up to --max-steps, until --min-time seconds are timed), the parameter counts and the number
of timed steps.

The networks mirror models/making_faces.gan, models/demo.gan, models/dcgan64.gan and
models/faces64.gan layer by layer (TF 'same' padding, Keras batch-norm momentum m = torch
momentum 1 - m, the layers' eps, spectral norm via torch.nn.utils.spectral_norm, conditional
batch norm as BatchNorm2d(affine=False) and a zero-initialised Linear(labels, 2C), the
projection discriminator's project(h, y) as a bias-free Linear(labels, F) dotted with h,
DiffAugment as DiffAugment_pytorch.py writes it (vectorised over the batch), the models'
losses, Adam as the model says with eps 1e-7, the EMA of G where the model has one). Weight
initialisation is PyTorch's default (the .gan files' init does not change the work). The
parameter counts are printed so bench_model can check that they equal the compiled model's.
Written the way one would write the training loop in PyTorch: G runs under no_grad for the
discriminator step, D's parameters do not require grad during the generator step, inputs are
drawn before each timed program (ganrt's timing also excludes filling the inputs).
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
                         d_filters=[50, 62, 78, 97, 122], alpha=0.1, loss="hinge",
                         batch=100, d_steps=2, lr_d=2e-4, lr_g=5e-5, beta1=0.0, beta2=0.999,
                         ema=None),
    # models/demo.gan: DCGAN recipe in D and the losses; G upsamples + 3x3 convs with
    # conditional batch norm; BCE with constant targets
    "demo": dict(kind="demo", img=32, labels=8, z=64, c0=96,
                 g_filters=[64, 32], bn_mom=0.9,
                 d_filters=[32, 64, 128], alpha=0.2, loss="bce",
                 batch=32, d_steps=1, lr_d=2e-4, lr_g=2e-4, beta1=0.5, beta2=0.999, ema=0.99),
    # models/dcgan64.gan: conditional DCGAN (labels concatenated to z in G, tiled over the
    # image in D), no biases before batch norm, one logit, non-saturating BCE
    "dcgan64": dict(kind="dcgan64", img=64, labels=8, z=100, c0=512,
                    g_filters=[256, 128, 64], d_filters=[64, 128, 256, 512], loss="bce",
                    batch=64, d_steps=1, lr_d=2e-4, lr_g=2e-4, beta1=0.5, beta2=0.999,
                    ema=None),
    # models/faces64.gan: conditional batch norm in G, DiffAugment + projection D with an
    # auxiliary head on D's flattened 4x4 map, spectral norm on D's weights, hinge +
    # class-balanced BCE on the attribute head, EMA of G
    "faces64": dict(kind="faces64", img=64, labels=8, z=64, c0=256,
                    g_filters=[128, 64, 32, 16], d_filters=[32, 32, 64, 128, 256],
                    translation=0.125, cutout=0.25, loss="hinge", cls_loss="bce_balanced",
                    batch=64, d_steps=1, lr_d=2e-4, lr_g=2e-4, beta1=0.0, beta2=0.99,
                    ema=0.999),
}


def same_conv(cin, cout, k, stride, size, sn):
    """TF 'same' padding (bottom/right get the odd pixel) as an explicit pad + valid conv."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    t = total // 2
    conv = nn.Conv2d(cin, cout, k, stride)
    return [nn.ZeroPad2d((t, total - t, t, total - t)), SN(conv) if sn else conv]


class G(nn.Module):
    """making_faces (kind seed)."""

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
    """making_faces and demo: D(x) -> (adv, cls); y is not an input."""

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

    def forward(self, x, y):
        h = self.body(x)
        h = h.mean((2, 3)) if self.c["kind"] == "seed" else h.flatten(1)
        return self.adv(h), self.cls(h)


# ---------------------------------------------------------------- dcgan64

class DCGAN64G(nn.Module):
    """concat(z, y) | dense(4*4*512, no_bias) | reshape | batchnorm | relu, then
    conv_t k4 s2 (no bias) | batchnorm | relu per width, conv_t(3, bias) | tanh."""

    def __init__(self, c):
        super().__init__()
        self.c0 = c["c0"]
        self.fc = nn.Linear(c["z"] + c["labels"], 16 * c["c0"], bias=False)
        self.bn0 = nn.BatchNorm2d(c["c0"])            # momentum 0.1 = Keras 0.9, eps 1e-5
        layers, ch = [], c["c0"]
        for f in c["g_filters"]:
            layers += [nn.ConvTranspose2d(ch, f, 4, 2, 1, bias=False), nn.BatchNorm2d(f),
                       nn.ReLU(True)]
            ch = f
        layers += [nn.ConvTranspose2d(ch, 3, 4, 2, 1), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z, y):
        h = self.fc(torch.cat([z, y], 1)).view(-1, self.c0, 4, 4)
        return self.main(F.relu(self.bn0(h)))


class DCGAN64D(nn.Module):
    """concat(x, y tiled over the image) | conv k4 s2 | lrelu 0.2, then conv | batchnorm |
    lrelu per width (no biases), flatten | dense(1)."""

    def __init__(self, c):
        super().__init__()
        f = c["d_filters"]
        layers = [nn.Conv2d(3 + c["labels"], f[0], 4, 2, 1, bias=False),
                  nn.LeakyReLU(0.2, True)]
        for a, b in zip(f, f[1:]):
            layers += [nn.Conv2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b),
                       nn.LeakyReLU(0.2, True)]
        self.main = nn.Sequential(*layers)
        side = c["img"] >> len(f)
        self.fc = nn.Linear(f[-1] * side * side, 1)

    def forward(self, x, y):
        yy = y[:, :, None, None].expand(-1, -1, x.size(2), x.size(3))
        return self.fc(self.main(torch.cat([x, yy], 1)).flatten(1)), None


# ---------------------------------------------------------------- faces64

class CondBatchNorm2d(nn.Module):
    """Batch norm without affine, then x (1 + g) + b with [g, b] = W y + c, W zero at init
    (Keras momentum 0.99 = torch 0.01, eps 1e-3: the layer's defaults)."""

    def __init__(self, ch, labels):
        super().__init__()
        self.bn = nn.BatchNorm2d(ch, affine=False, momentum=0.01, eps=1e-3)
        self.embed = nn.Linear(labels, 2 * ch)
        nn.init.zeros_(self.embed.weight)
        nn.init.zeros_(self.embed.bias)

    def forward(self, x, y):
        g, b = self.embed(y).chunk(2, 1)
        return self.bn(x) * (1 + g[:, :, None, None]) + b[:, :, None, None]


class Faces64G(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c0 = c["c0"]
        self.fc = nn.Linear(c["z"] + c["labels"], 16 * c["c0"], bias=False)
        self.bn0 = CondBatchNorm2d(c["c0"], c["labels"])
        self.convs, self.bns, ch = nn.ModuleList(), nn.ModuleList(), c["c0"]
        for f in c["g_filters"]:
            self.convs.append(nn.Conv2d(ch, f, 3, 1, 1))
            self.bns.append(CondBatchNorm2d(f, c["labels"]))
            ch = f
        self.out = nn.Conv2d(ch, 3, 3, 1, 1)

    def forward(self, z, y):
        h = self.fc(torch.cat([z, y], 1)).view(-1, self.c0, 4, 4)
        h = F.relu(self.bn0(h, y))
        for conv, bn in zip(self.convs, self.bns):
            h = F.relu(bn(conv(F.interpolate(h, scale_factor=2, mode="nearest")), y))
        return torch.tanh(self.out(h))


class DemoG(nn.Module):
    """models/demo.gan's G: dense | reshape | cond_batchnorm | relu, then per stage
    upsample(2) | conv(f) k3 same | cond_batchnorm | relu, and upsample | conv(3) k3 | tanh."""

    def __init__(self, c):
        super().__init__()
        self.c0 = c["c0"]
        self.fc = nn.Linear(c["z"] + c["labels"], 16 * c["c0"])
        self.bn0 = CondBatchNorm2d(c["c0"], c["labels"])
        self.convs, self.bns, ch = nn.ModuleList(), nn.ModuleList(), c["c0"]
        for f in c["g_filters"]:
            self.convs.append(nn.Conv2d(ch, f, 3, 1, 1))
            self.bns.append(CondBatchNorm2d(f, c["labels"]))
            ch = f
        self.out = nn.Conv2d(ch, 3, 3, 1, 1)

    def forward(self, z, y):
        h = self.fc(torch.cat([z, y], 1)).view(-1, self.c0, 4, 4)
        h = F.relu(self.bn0(h, y))
        for conv, bn in zip(self.convs, self.bns):
            h = F.relu(bn(conv(F.interpolate(h, scale_factor=2, mode="nearest")), y))
        return torch.tanh(self.out(F.interpolate(h, scale_factor=2, mode="nearest")))


def diff_augment(x, translation, cutout):
    """DiffAugment (Zhao et al. 2020) as DiffAugment_pytorch.py writes it, vectorised over the
    batch: colour (brightness, saturation, contrast), translation (zeros shifted in), cutout."""
    n = x.size(0)
    x = x + (torch.rand(n, 1, 1, 1) - 0.5)
    m = x.mean(dim=1, keepdim=True)
    x = (x - m) * (torch.rand(n, 1, 1, 1) * 2) + m
    m = x.mean(dim=[1, 2, 3], keepdim=True)
    x = (x - m) * (torch.rand(n, 1, 1, 1) + 0.5) + m
    if translation > 0:
        sx, sy = int(x.size(2) * translation + 0.5), int(x.size(3) * translation + 0.5)
        tx = torch.randint(-sx, sx + 1, size=[n, 1, 1])
        ty = torch.randint(-sy, sy + 1, size=[n, 1, 1])
        gb, gx, gy = torch.meshgrid(torch.arange(n), torch.arange(x.size(2)),
                                    torch.arange(x.size(3)), indexing="ij")
        gx = torch.clamp(gx + tx + 1, 0, x.size(2) + 1)
        gy = torch.clamp(gy + ty + 1, 0, x.size(3) + 1)
        xp = F.pad(x, [1, 1, 1, 1, 0, 0, 0, 0])
        x = xp.permute(0, 2, 3, 1).contiguous()[gb, gx, gy].permute(0, 3, 1, 2)
    if cutout > 0:
        cs = int(x.size(2) * cutout + 0.5), int(x.size(3) * cutout + 0.5)
        ox = torch.randint(0, x.size(2) + (1 - cs[0] % 2), size=[n, 1, 1])
        oy = torch.randint(0, x.size(3) + (1 - cs[1] % 2), size=[n, 1, 1])
        gb, gx, gy = torch.meshgrid(torch.arange(n), torch.arange(cs[0]), torch.arange(cs[1]),
                                    indexing="ij")
        gx = torch.clamp(gx + ox - cs[0] // 2, min=0, max=x.size(2) - 1)
        gy = torch.clamp(gy + oy - cs[1] // 2, min=0, max=x.size(3) - 1)
        mask = torch.ones(n, x.size(2), x.size(3), dtype=x.dtype)
        mask[gb, gx, gy] = 0
        x = x * mask.unsqueeze(1)
    return x


class Faces64D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        f = c["d_filters"]
        layers, size = [SN(nn.Conv2d(3, f[0], 3, 1, 1)), nn.LeakyReLU(0.2)], c["img"]
        for a, b in zip(f, f[1:]):                    # k3 s2 'same': pad 0 / 1
            layers += same_conv(a, b, 3, 2, size, True) + [nn.LeakyReLU(0.2)]
            size //= 2
        self.main = nn.Sequential(*layers)
        feat = f[-1] * size * size                    # flatten
        self.adv = SN(nn.Linear(feat, 1))
        self.embed = SN(nn.Linear(c["labels"], feat, bias=False))   # project(h, y): W [F, L]
        self.cls = SN(nn.Linear(feat, c["labels"]))

    def forward(self, x, y):
        x = diff_augment(x, self.c["translation"], self.c["cutout"])
        h = self.main(x).flatten(1)
        adv = self.adv(h) + (self.embed(y) * h).sum(1, keepdim=True)
        return adv, self.cls(h)


def build(c):
    if c["kind"] == "dcgan64":
        return DCGAN64G(c), DCGAN64D(c)
    if c["kind"] == "faces64":
        return Faces64G(c), Faces64D(c)
    if c["kind"] == "demo":
        return DemoG(c), D(c)
    return G(c), D(c)


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
    g, d = build(c)
    g.train()
    d.train()
    ema = copy.deepcopy(g).requires_grad_(False) if c["ema"] else None
    betas = (c["beta1"], c["beta2"])
    opt_d = torch.optim.Adam(d.parameters(), lr=c["lr_d"], betas=betas, eps=1e-7)
    opt_g = torch.optim.Adam(g.parameters(), lr=c["lr_g"], betas=betas, eps=1e-7)

    bce = F.binary_cross_entropy_with_logits

    def bce_balanced(logits, y):
        # ganrt's bce_balanced: per attribute its positives and its negatives each carry half
        # the weight (a class absent from the batch: the other's plain mean), then the mean
        l = bce(logits, y, reduction="none")
        p = (y >= 0.5).float()
        npos = p.sum(0)
        nneg = p.shape[0] - npos
        both = (npos > 0) & (nneg > 0)
        half = torch.where(both, torch.full_like(npos, 0.5), torch.ones_like(npos))
        wp = half / npos.clamp(min=1)
        wn = half / nneg.clamp(min=1)
        return (l * p * wp + l * (1 - p) * wn).sum(0).mean()

    cls_loss = bce_balanced if c.get("cls_loss") == "bce_balanced" else bce

    def inputs():
        x = torch.rand(n, 3, c["img"], c["img"]) * 2 - 1
        y = (torch.rand(n, c["labels"]) < 0.5).float()
        z = torch.randn(n, c["z"])
        return x, y, z

    def d_step(x, y, z):
        with torch.no_grad():
            fake = g(z, y)
        adv_r, cls_r = d(x, y)
        adv_f, _ = d(fake, y)
        if c["loss"] == "hinge":
            loss = F.relu(1 - adv_r).mean() + F.relu(1 + adv_f).mean()
        else:
            loss = bce(adv_r, torch.ones_like(adv_r)) + bce(adv_f, torch.zeros_like(adv_f))
        if cls_r is not None:
            loss = loss + cls_loss(cls_r, y)
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        return loss.item()

    def g_step(y, z):
        d.requires_grad_(False)
        adv, cls = d(g(z, y), y)
        if c["loss"] == "hinge":
            loss = -adv.mean()
        else:
            loss = bce(adv, torch.ones_like(adv))
        if cls is not None:
            loss = loss + cls_loss(cls, y)
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
