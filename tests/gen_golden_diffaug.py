#!/usr/bin/python3
"""Writes the PyTorch golden reference for DiffAugment's transform (runtime/kernels.h
kern_diffaug_fwd / kern_diffaug_bwd) into tests/golden/kernels/diffaug.txt.

Run by hand from the repository root with Debian's PyTorch (apt-get install python3-torch):
    /usr/bin/python3 tests/gen_golden_diffaug.py
tests/test_kernels_diffaug.c reads the file. The format and helpers are gen_golden.py's.

The draws are not torch's (they are a hash of seed, run and sample, in C): each case stores
params [N, 9] (brightness, saturation, contrast, tx, ty, cutout x0, y0, w, h) drawn here in
the kernel's ranges, and the transform is written the way DiffAugment's reference code does it
(Zhao et al. 2020, DiffAugment_pytorch.py), with the draws given:
    colour:      x + b;  (x - mean_c) s + mean_c;  (x - mean) c + mean
    translation: y[h, w] = x[h + ty, w + tx], zeros from outside
    cutout:      y = 0 on rows [y0, y0 + h) and columns [x0, x0 + w), clipped
Gradients are of sum(y * dy) for a random dy that is stored too.
"""
import torch
from gen_golden import Writer, rnd

torch.manual_seed(7171)


def transform(x, p, color):
    n, c, h, w = x.shape
    if color:
        x = x + p[:, 0].view(n, 1, 1, 1)
        m = x.mean(dim=1, keepdim=True)
        x = (x - m) * p[:, 1].view(n, 1, 1, 1) + m
        m = x.mean(dim=[1, 2, 3], keepdim=True)
        x = (x - m) * p[:, 2].view(n, 1, 1, 1) + m
    out = []
    for i in range(n):
        tx, ty = int(p[i, 3]), int(p[i, 4])
        x0, y0, cw, ch = int(p[i, 5]), int(p[i, 6]), int(p[i, 7]), int(p[i, 8])
        pad = torch.nn.functional.pad(x[i], (w, w, h, h))  # zeros around
        yi = pad[:, h + ty:2 * h + ty, w + tx:2 * w + tx]
        mask = torch.ones(h, w)
        mask[max(y0, 0):max(min(y0 + ch, h), 0), max(x0, 0):max(min(x0 + cw, w), 0)] = 0
        out.append(yi * mask)
    return torch.stack(out)


def params(n, h, w, color, tr, cut):
    p = torch.zeros(n, 9)
    sx, sy = int(w * tr + 0.5), int(h * tr + 0.5)
    cw, ch = int(w * cut + 0.5), int(h * cut + 0.5)
    for i in range(n):
        if color:
            p[i, 0] = torch.rand(1).item() - 0.5
            p[i, 1] = torch.rand(1).item() * 2
            p[i, 2] = torch.rand(1).item() + 0.5
        else:
            p[i, 1] = p[i, 2] = 1
        p[i, 3] = int(torch.randint(-sx, sx + 1, (1,)))
        p[i, 4] = int(torch.randint(-sy, sy + 1, (1,)))
        if cw:
            p[i, 5] = int(torch.randint(0, w + 1 - cw % 2, (1,))) - cw // 2
            p[i, 6] = int(torch.randint(0, h + 1 - ch % 2, (1,))) - ch // 2
        p[i, 7], p[i, 8] = cw, ch
    return p


def case(w, name, n, c, h, wd, color, tr, cut):
    x = rnd(n, c, h, wd).requires_grad_(True)
    p = params(n, h, wd, color, tr, cut)
    y = transform(x, p, color)
    dy = rnd(n, c, h, wd)
    (y * dy).sum().backward()
    w.case(name, ints={"n": n, "c": c, "h": h, "w": wd},
           tensors={"x": x, "params": p, "y": y, "dy": dy, "dx": x.grad})


def main():
    w = Writer("diffaug.txt")
    case(w, "all_3x3x8x8", 3, 3, 8, 8, 1, 0.125, 0.5)
    case(w, "all_4x3x16x12", 4, 3, 16, 12, 1, 0.25, 0.3)
    case(w, "no_color_2x1x9x9", 2, 1, 9, 9, 0, 0.2, 0.5)
    case(w, "color_only_2x3x6x6", 2, 3, 6, 6, 1, 0.0, 0.0)
    w.close()


if __name__ == "__main__":
    main()
