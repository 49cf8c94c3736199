#!/usr/bin/python3
"""Writes the PyTorch golden reference for FiLM (runtime/kernels.h kern_film_fwd/bwd, the
modulation of cond_batchnorm) into tests/golden/kernels/film.txt.

Run by hand from the repository root with Debian's PyTorch (apt-get install python3-torch):
    /usr/bin/python3 tests/gen_golden_film.py
tests/test_kernels_film.c reads the file. The format and helpers are gen_golden.py's.

    y = x * (1 + g) + b,  g = gb[:, :C], b = gb[:, C:], broadcast over H, W
Gradients are of sum(y * dy) for a random dy that is stored too.
"""
import torch
from gen_golden import Writer, rnd

torch.manual_seed(5353)


def case(w, name, n, c, h, wd):
    shape = (n, c, h, wd) if h else (n, c)
    x = rnd(*shape).requires_grad_(True)
    gb = rnd(n, 2 * c, lo=-0.8, hi=0.8).requires_grad_(True)
    g, b = gb[:, :c], gb[:, c:]
    if h:
        g, b = g[:, :, None, None], b[:, :, None, None]
    y = x * (1 + g) + b
    dy = rnd(*shape)
    (y * dy).sum().backward()
    w.case(name, ints={"n": n, "c": c, "h": h, "w": wd},
           tensors={"x": x, "gb": gb, "y": y, "dy": dy, "dx": x.grad, "dgb": gb.grad})


def main():
    w = Writer("film.txt")
    case(w, "map_2x3x4x5", 2, 3, 4, 5)
    case(w, "map_3x8x7x7", 3, 8, 7, 7)
    case(w, "vector_4x6", 4, 6, 0, 0)
    w.close()


if __name__ == "__main__":
    main()
