#!/usr/bin/python3
"""Writes the PyTorch golden reference for the runtime kernels into tests/golden/kernels/.

Run by hand from the repository root with Debian's PyTorch (apt-get install python3-torch):
    /usr/bin/python3 tests/gen_golden.py
tests/test_golden.c reads the files and compares the C kernels with them.

Format (text, one file per op family): a sequence of cases
    case <name>
    int <key> <value>          (shape/attribute integers)
    float <key> <value>
    tensor <key> <numel>
    <numel values>
    end
Conventions translated to torch here (ops.h is the contract):
  - conv padding: pad_t / pad_l explicit, bottom/right = what remains (TF "same" with even
    kernels is asymmetric), done with F.pad before an unpadded conv;
  - transposed conv: y[h*s - p + kh] (torch's padding p; output_padding gives the extra size);
  - batch norm: Keras momentum m  <->  torch momentum 1 - m; torch's running_var is unbiased
    like ours;
  - spectral norm: the weight viewed [shape0, -1] (dim=0 for every layer kind, also
    conv_transpose, per ops.h), one power iteration per training step, u, v constants in the
    backward;
  - gradients: of sum(y * dy) for a random dy that is stored too.
"""
import os
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
torch.set_default_dtype(torch.float32)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "kernels")

ACT_NONE, ACT_RELU, ACT_LEAKY, ACT_TANH, ACT_SIGMOID = range(5)


def act(x, a, alpha):
    if a == ACT_RELU:
        return F.relu(x)
    if a == ACT_LEAKY:
        return F.leaky_relu(x, alpha)
    if a == ACT_TANH:
        return torch.tanh(x)
    if a == ACT_SIGMOID:
        return torch.sigmoid(x)
    return x


class Writer:
    def __init__(self, name):
        self.f = open(os.path.join(OUT, name), "w")

    def case(self, name, ints=None, floats=None, tensors=None):
        f = self.f
        f.write("case %s\n" % name)
        for k, v in (ints or {}).items():
            f.write("int %s %d\n" % (k, v))
        for k, v in (floats or {}).items():
            f.write("float %s %.9g\n" % (k, v))
        for k, t in (tensors or {}).items():
            t = t.detach().reshape(-1).float()
            f.write("tensor %s %d\n" % (k, t.numel()))
            f.write(" ".join("%.9g" % v for v in t.tolist()) + "\n")
        f.write("end\n")

    def close(self):
        self.f.close()


def rnd(*shape, lo=-1.0, hi=1.0):
    return torch.rand(*shape) * (hi - lo) + lo


def conv_cases(w):
    # n c h w oc k s pad_t pad_l oh ow act bias
    cases = [
        ("k3s1_same_leaky", 2, 3, 7, 6, 5, 3, 3, 1, 1, 1, 7, 6, ACT_LEAKY, 1),
        ("k3s2_same_odd", 2, 4, 9, 9, 6, 3, 3, 2, 1, 1, 5, 5, ACT_LEAKY, 1),
        ("k3s2_same_even", 1, 3, 8, 8, 4, 3, 3, 2, 0, 0, 4, 4, ACT_NONE, 1),
        ("k4s1_same_tanh_oc3", 2, 5, 6, 6, 3, 4, 4, 1, 1, 1, 6, 6, ACT_TANH, 1),
        ("k3s1_relu_nobias", 3, 2, 5, 5, 7, 3, 3, 1, 1, 1, 5, 5, ACT_RELU, 0),
        ("k1_sigmoid", 2, 6, 4, 3, 5, 1, 1, 1, 0, 0, 4, 3, ACT_SIGMOID, 1),
    ]
    for name, n, c, h, ww, oc, kh, kw, s, pt, pl, oh, ow, a, bias in cases:
        x = rnd(n, c, h, ww).requires_grad_()
        wt = rnd(oc, c, kh, kw).mul_(0.5).requires_grad_()
        b = rnd(oc).requires_grad_() if bias else None
        pb = (oh - 1) * s + kh - h - pt
        pr = (ow - 1) * s + kw - ww - pl
        xp = F.pad(x, (pl, pr, pt, pb))
        y = act(F.conv2d(xp, wt, b, stride=s), a, 0.1)
        assert y.shape == (n, oc, oh, ow), (name, y.shape)
        dy = rnd(*y.shape)
        (y * dy).sum().backward()
        t = {"x": x, "w": wt, "y": y, "dy": dy, "dx": x.grad, "dw": wt.grad}
        if bias:
            t["b"] = b
            t["db"] = b.grad
        w.case("conv2d_" + name,
               dict(n=n, c=c, h=h, w=ww, oc=oc, kh=kh, kw=kw, oh=oh, ow=ow, stride=s, pad_t=pt,
                    pad_l=pl, act=a, bias=bias), dict(alpha=0.1), t)


def conv_t_cases(w):
    # n c h w oc k s p output_padding act bias
    cases = [
        ("k4s2p1_relu", 2, 3, 3, 3, 4, 4, 2, 1, 0, ACT_RELU, 1),
        ("k3s2p1op1", 2, 4, 3, 4, 3, 3, 2, 1, 1, ACT_NONE, 1),
        ("k3s1p1_tanh", 1, 2, 5, 4, 3, 3, 1, 1, 0, ACT_TANH, 0),
    ]
    for name, n, c, h, ww, oc, k, s, p, op, a, bias in cases:
        x = rnd(n, c, h, ww).requires_grad_()
        wt = rnd(c, oc, k, k).mul_(0.5).requires_grad_()
        b = rnd(oc).requires_grad_() if bias else None
        y = act(F.conv_transpose2d(x, wt, b, stride=s, padding=p, output_padding=op), a, 0.1)
        dy = rnd(*y.shape)
        (y * dy).sum().backward()
        t = {"x": x, "w": wt, "y": y, "dy": dy, "dx": x.grad, "dw": wt.grad}
        if bias:
            t["b"] = b
            t["db"] = b.grad
        w.case("conv2d_t_" + name,
               dict(n=n, c=c, h=h, w=ww, oc=oc, kh=k, kw=k, oh=y.shape[2], ow=y.shape[3],
                    stride=s, pad_t=p, pad_l=p, act=a, bias=bias), dict(alpha=0.1), t)


def dense_cases(w):
    for name, n, k, m, a, bias in [("tanh", 4, 9, 5, ACT_TANH, 1), ("leaky", 3, 7, 6, ACT_LEAKY, 1),
                                   ("head", 5, 12, 1, ACT_NONE, 1), ("relu_nobias", 2, 5, 4, ACT_RELU, 0)]:
        x = rnd(n, k).requires_grad_()
        wt = rnd(m, k).requires_grad_()
        b = rnd(m).requires_grad_() if bias else None
        y = act(F.linear(x, wt, b), a, 0.2)
        dy = rnd(*y.shape)
        (y * dy).sum().backward()
        t = {"x": x, "w": wt, "y": y, "dy": dy, "dx": x.grad, "dw": wt.grad}
        if bias:
            t["b"] = b
            t["db"] = b.grad
        w.case("dense_" + name, dict(n=n, k=k, m=m, act=a, bias=bias), dict(alpha=0.2), t)


def bn_cases(w):
    keras_m, eps = 0.8, 1e-3
    for name, shape, a in [("nchw_relu", (4, 3, 3, 2), ACT_RELU), ("nc", (6, 5), ACT_NONE),
                           ("nchw_leaky", (3, 2, 4, 4), ACT_LEAKY)]:
        c = shape[1]
        bn = torch.nn.BatchNorm2d(c, eps=eps, momentum=1 - keras_m) if len(shape) == 4 else \
            torch.nn.BatchNorm1d(c, eps=eps, momentum=1 - keras_m)
        with torch.no_grad():
            bn.weight.copy_(rnd(c, lo=0.5, hi=1.5))
            bn.bias.copy_(rnd(c))
            bn.running_mean.copy_(rnd(c))
            bn.running_var.copy_(rnd(c, lo=0.5, hi=2.0))
        g0, b0 = bn.weight.detach().clone(), bn.bias.detach().clone()
        rm0, rv0 = bn.running_mean.clone(), bn.running_var.clone()
        bn.train()
        x1 = rnd(*shape, lo=-2, hi=2)
        with torch.no_grad():
            bn(x1)  # step 1: running stats only
        x = rnd(*shape, lo=-2, hi=2).requires_grad_()
        y = act(bn(x), a, 0.1)  # step 2: the one whose gradients are checked
        dy = rnd(*y.shape)
        (y * dy).sum().backward()
        bn.eval()
        with torch.no_grad():
            yi = act(bn(x), a, 0.1)
        n = shape[0]
        hw = shape[2] * shape[3] if len(shape) == 4 else 1
        w.case("bn_" + name, dict(n=n, c=c, hw=hw, act=a), dict(alpha=0.1, momentum=keras_m, eps=eps),
               {"gamma": g0, "beta": b0, "rm0": rm0, "rv0": rv0, "x1": x1, "x": x, "y": y, "dy": dy,
                "dx": x.grad, "dgamma": bn.weight.grad, "dbeta": bn.bias.grad,
                "rm": bn.running_mean, "rv": bn.running_var, "y_infer": yi})


def sn_cases(w):
    steps = 3
    for name, mod in [("conv", torch.nn.Conv2d(3, 5, 3)), ("dense", torch.nn.Linear(7, 4)),
                      ("conv_t", torch.nn.ConvTranspose2d(4, 3, 4))]:
        # dim=0 for every kind: ops.h views the weight as [shape0, numel/shape0]
        m = torch.nn.utils.spectral_norm(mod, dim=0)
        m.train()
        w0 = m.weight_orig.detach().clone()
        u0 = m.weight_u.detach().clone()
        t = {"w": w0, "u0": u0}
        x = None
        for s in range(steps):
            # the forward pre-hook recomputes the normalised weight (one power iteration)
            if isinstance(mod, torch.nn.Linear):
                x = rnd(2, 7)
            elif isinstance(mod, torch.nn.Conv2d):
                x = rnd(1, 3, 5, 5)
            else:
                x = rnd(1, 4, 3, 3)
            m.weight_orig.grad = None
            y = m(x)
            wsn = m.weight
            sigma = torch.dot(m.weight_u, torch.mv(w0.reshape(w0.shape[0], -1), m.weight_v))
            t["u%d" % (s + 1)] = m.weight_u.detach().clone()
            t["v%d" % (s + 1)] = m.weight_v.detach().clone()
            t["sigma%d" % (s + 1)] = sigma.detach().reshape(1)
            t["wsn%d" % (s + 1)] = wsn.detach().clone()
        # gradient at the last step: d(sum(wsn * dwsn))/dw with u, v constants
        dwsn = rnd(*w0.shape)
        m.weight_orig.grad = None
        wsn = m.weight  # recomputed by the last forward, still attached to weight_orig
        (wsn * dwsn).sum().backward()
        t["dwsn"] = dwsn
        t["dw"] = m.weight_orig.grad
        w.case("sn_" + name, dict(o=w0.shape[0], k=w0.numel() // w0.shape[0], steps=steps),
               dict(eps=1e-12), t)


def loss_cases(w):
    n = 24
    weight = 0.7
    a = rnd(n, lo=-2.5, hi=2.5)
    t01 = (torch.rand(n) > 0.5).float()
    tsoft = torch.rand(n)
    p = rnd(n, lo=0.02, hi=0.98)

    def one(name, fn, inp, extra=None, floats=None):
        x = inp.clone().requires_grad_()
        L = fn(x)
        L.backward()
        t = {"a": inp, "loss": L.detach().reshape(1), "da": x.grad * weight}
        t.update(extra or {})
        fl = dict(weight=weight)
        fl.update(floats or {})
        w.case(name, dict(n=n), fl, t)

    one("hinge_real", lambda x: F.relu(1 - x).mean(), a)
    one("hinge_fake", lambda x: F.relu(1 + x).mean(), a)
    one("mean", lambda x: -1.0 * x.mean(), a, floats=dict(scale=-1.0))
    one("bce_logits", lambda x: F.binary_cross_entropy_with_logits(x, tsoft), a, {"t": tsoft})
    one("bce_logits_const", lambda x: F.binary_cross_entropy_with_logits(x, torch.full_like(x, 0.9)),
        a, floats=dict(target=0.9))
    one("bce", lambda x: F.binary_cross_entropy(x, t01), p, {"t": t01})
    one("bce_const", lambda x: F.binary_cross_entropy(x, torch.zeros_like(x)), p,
        floats=dict(target=0.0))
    # softmax cross-entropy on [6, 4] one-hot
    l = rnd(6, 4, lo=-3, hi=3)
    cls = torch.randint(0, 4, (6,))
    oh = F.one_hot(cls, 4).float()
    x = l.clone().requires_grad_()
    L = F.cross_entropy(x, cls)
    L.backward()
    w.case("softmax_ce", dict(n=6, k=4), dict(weight=weight),
           {"a": l, "t": oh, "loss": L.detach().reshape(1), "da": x.grad * weight})


def adam_cases(w):
    for name, b1 in [("beta1_0", 0.0), ("beta1_09", 0.9)]:
        p = torch.nn.Parameter(rnd(50))
        p0 = p.detach().clone()
        opt = torch.optim.Adam([p], lr=2e-4 * 10, betas=(b1, 0.999), eps=1e-8)
        grads = [rnd(50) for _ in range(3)]
        for g in grads:
            p.grad = g.clone()
            opt.step()
        st = opt.state[p]
        w.case("adam_" + name, dict(n=50, steps=3),
               dict(lr=2e-3, beta1=b1, beta2=0.999, eps=1e-8),
               {"p0": p0, "g1": grads[0], "g2": grads[1], "g3": grads[2], "p": p.detach(),
                "m": st["exp_avg"], "v": st["exp_avg_sq"]})


def misc_cases(w):
    x = rnd(2, 3, 3, 4).requires_grad_()
    y = F.interpolate(x, scale_factor=2, mode="nearest")
    dy = rnd(*y.shape)
    (y * dy).sum().backward()
    w.case("upsample2", dict(nc=6, h=3, w=4, f=2), {}, {"x": x, "y": y, "dy": dy, "dx": x.grad})
    x = rnd(3, 4, 5, 2).requires_grad_()
    y = x.mean(dim=(2, 3))
    dy = rnd(*y.shape)
    (y * dy).sum().backward()
    w.case("gap", dict(n=3, c=4, hw=10), {}, {"x": x, "y": y, "dy": dy, "dx": x.grad})
    for a, name in [(ACT_RELU, "relu"), (ACT_LEAKY, "leaky"), (ACT_TANH, "tanh"),
                    (ACT_SIGMOID, "sigmoid")]:
        x = rnd(40, lo=-3, hi=3).requires_grad_()
        y = act(x, a, 0.1)
        dy = rnd(40)
        (y * dy).sum().backward()
        w.case("act_" + name, dict(n=40, act=a), dict(alpha=0.1),
               {"x": x, "y": y, "dy": dy, "dx": x.grad})


def main():
    os.makedirs(OUT, exist_ok=True)
    for fname, fn in [("conv2d.txt", conv_cases), ("conv2d_t.txt", conv_t_cases),
                      ("dense.txt", dense_cases), ("batchnorm.txt", bn_cases),
                      ("spectral_norm.txt", sn_cases), ("losses.txt", loss_cases),
                      ("adam.txt", adam_cases), ("misc.txt", misc_cases)]:
        w = Writer(fname)
        fn(w)
        w.close()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote %s (%d bytes), torch %s" % (OUT, total, torch.__version__))


if __name__ == "__main__":
    main()
