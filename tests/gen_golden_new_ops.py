#!/usr/bin/python3
"""Writes the PyTorch golden reference for the kernels of runtime/kernels.h
(average pooling, instance norm, MSE loss) into tests/golden/kernels/.

Run by hand from the repository root with Debian's PyTorch (apt-get install python3-torch):
    /usr/bin/python3 tests/gen_golden_new_ops.py
tests/test_kernels_new_ops.c reads the files. The format and helpers are gen_golden.py's; a
script of its own (and its own seed) so that adding these files leaves the older goldens as
they are.

Conventions translated to torch:
  - avg pool: F.avg_pool2d(x, k, stride), no padding (floor mode: an incomplete last window is
    dropped);
  - instance norm: F.instance_norm with weight/bias and no running statistics (= InstanceNorm2d
    (affine=True, track_running_stats=False)); the saved mean and invstd (biased variance) are
    written too, from float64;
  - mse: F.mse_loss (mean); a constant target as a full tensor; "da" holds weight * dL/da;
  - gradients: of sum(y * dy) for a random dy that is stored too.
"""
import os
import torch
import torch.nn.functional as F
from gen_golden import OUT, Writer, rnd


def pool_cases(w):
    # name n c h w k stride
    cases = [
        ("k2s2", 2, 3, 6, 6, 2, 2),
        ("k3s2_overlap", 1, 2, 7, 9, 3, 2),
        ("k3s1_overlap", 2, 2, 5, 4, 3, 1),
        ("global_k_eq_h", 2, 3, 4, 4, 4, 1),
        ("k2s3_gaps", 1, 2, 7, 8, 2, 3),
        ("k2s2_floor", 1, 1, 5, 5, 2, 2),
    ]
    for name, n, c, h, ww, k, s in cases:
        x = rnd(n, c, h, ww).requires_grad_()
        y = F.avg_pool2d(x, k, stride=s)
        dy = rnd(*y.shape)
        (y * dy).sum().backward()
        w.case("avg_pool_" + name,
               dict(n=n, c=c, h=h, w=ww, k=k, stride=s, oh=y.shape[2], ow=y.shape[3]), {},
               {"x": x, "y": y, "dy": dy, "dx": x.grad})


def instance_norm_cases(w):
    # name shape affine offset (added to x: statistics far from 0) eps
    cases = [
        ("affine", (3, 4, 5, 6), 1, 0.0, 1e-5),
        ("affine_n1", (1, 3, 4, 4), 1, 0.0, 1e-5),
        ("plain", (2, 3, 3, 5), 0, 0.0, 1e-5),
        ("affine_offset", (2, 2, 8, 8), 1, 3.0, 1e-3),
    ]
    for name, shape, affine, offset, eps in cases:
        n, c = shape[0], shape[1]
        x = (rnd(*shape, lo=-2, hi=2) + offset).requires_grad_()
        g = rnd(c, lo=0.5, hi=1.5).requires_grad_() if affine else None
        b = rnd(c).requires_grad_() if affine else None
        y = F.instance_norm(x, weight=g, bias=b, use_input_stats=True, eps=eps)
        dy = rnd(*y.shape)
        (y * dy).sum().backward()
        xd = x.detach().double().reshape(n * c, -1)
        mean = xd.mean(dim=1)
        invstd = 1.0 / torch.sqrt(xd.var(dim=1, unbiased=False) + eps)
        t = {"x": x, "y": y, "dy": dy, "dx": x.grad, "mean": mean, "invstd": invstd}
        if affine:
            t.update({"gamma": g, "beta": b, "dgamma": g.grad, "dbeta": b.grad})
        w.case("instance_norm_" + name,
               dict(n=n, c=c, hw=shape[2] * shape[3], affine=affine), dict(eps=eps), t)


def mse_cases(w):
    weight = 0.7
    for name, n, target in [("tensor", 24, None), ("const_real", 18, 1.0),
                            ("const_fake", 18, 0.0), ("n1", 1, None)]:
        a = rnd(n, lo=-2.5, hi=2.5)
        x = a.clone().requires_grad_()
        t = rnd(n) if target is None else torch.full((n,), target)
        L = F.mse_loss(x, t)
        L.backward()
        tensors = {"a": a, "loss": L.detach().reshape(1), "da": x.grad * weight}
        floats = dict(weight=weight)
        if target is None:
            tensors["t"] = t
        else:
            floats["target"] = target
        w.case("mse_" + name, dict(n=n), floats, tensors)


def main():
    torch.manual_seed(4321)
    os.makedirs(OUT, exist_ok=True)
    total = 0
    for fname, fn in [("avg_pool.txt", pool_cases), ("instance_norm.txt", instance_norm_cases),
                      ("loss_mse.txt", mse_cases)]:
        w = Writer(fname)
        fn(w)
        w.close()
        total += os.path.getsize(os.path.join(OUT, fname))
    print("wrote avg_pool, instance_norm, loss_mse into %s (%d bytes), torch %s"
          % (OUT, total, torch.__version__))


if __name__ == "__main__":
    main()
