/* One translation per op of a sample program (docs/export.md, "Nodes"). A fused epilogue
 * (bias and activation inside a dense, conv or batch norm) comes back out as separate nodes;
 * the batch stays symbolic, so every shape constant keeps -1 in its first place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/export_onnx_int.h"
#include "cli/onnx_pb.h"
#include "runtime/kernels.h"

#define NM XO_NAME

static const gan_tensor *tensor(const xo_ctx *c, int t)
{
    return &c->m->tensors[t];
}

/* Reshape `in` to tensor t's shape with the batch left to ONNX (-1 first). */
static void reshape_to(xo_ctx *c, const char *what, const gan_tensor *t, const char *in,
                       const char *out)
{
    int64_t shape[GAN_MAX_DIMS] = {-1};
    for (int d = 1; d < t->ndim; d++)
        shape[d] = t->shape[d];
    char sh[NM];
    xo_const_i64(c, what, shape, t->ndim, sh, sizeof sh);
    const char *ins[2] = {in, sh};
    onnx_node_end(c->w, xo_node(c, "Reshape", ins, 2, &out, 1));
}

/* x as [N, F]: a Flatten when it has more dimensions. */
static void flat(xo_ctx *c, const gan_tensor *t, const char *what, char *x, size_t len)
{
    if (t->ndim <= 2)
        return;
    char f[NM];
    xo_tmp(c, what, f, sizeof f);
    const char *in = x, *out = f;
    size_t n = xo_node(c, "Flatten", &in, 1, &out, 1);
    onnx_attr_int(c->w, "axis", 1);
    onnx_node_end(c->w, n);
    snprintf(x, len, "%s", f);
}

/* DENSE: Gemm(x, w, b) with transB = 1, then the activation. */
static int dense(xo_ctx *c, const gan_op *op)
{
    char x[NM], w[NM], b[NM], y[NM], fin[NM];
    int has_b = op->n_in > 2 && op->in[2] >= 0;
    if (xo_in(c, op->in[0], x, NM) || xo_in(c, op->in[1], w, NM) ||
        (has_b && xo_in(c, op->in[2], b, NM)))
        return -1;
    flat(c, tensor(c, op->in[0]), "flat", x, NM);
    if (xo_epilogue_out(c, op, y, fin, NM))
        return -1;
    const char *ins[3] = {x, w, b}, *out = y;
    size_t n = xo_node(c, "Gemm", ins, has_b ? 3 : 2, &out, 1);
    onnx_attr_int(c->w, "transB", 1);
    onnx_node_end(c->w, n);
    return xo_epilogue_end(c, op, y, fin);
}

/* The Conv / ConvTranspose node of op (its x already named), then its epilogue. */
static int conv_node(xo_ctx *c, const gan_op *op, int tr, const char *x, const int64_t pads[4],
                     const int64_t opad[2])
{
    char w[NM], b[NM], y[NM], fin[NM];
    int has_b = op->n_in > 2 && op->in[2] >= 0;
    if (xo_in(c, op->in[1], w, NM) || (has_b && xo_in(c, op->in[2], b, NM)))
        return -1;
    const gan_tensor *tw = tensor(c, op->in[1]);
    int64_t s = op->type == GAN_OP_UPCONV2D ? 1 : op->i[1];
    int64_t ks[2] = {tw->shape[2], tw->shape[3]}, st[2] = {s, s};
    if (xo_epilogue_out(c, op, y, fin, NM))
        return -1;
    const char *ins[3] = {x, w, b}, *out = y;
    size_t n = xo_node(c, tr ? "ConvTranspose" : "Conv", ins, has_b ? 3 : 2, &out, 1);
    onnx_attr_ints(c->w, "kernel_shape", ks, 2);
    onnx_attr_ints(c->w, "strides", st, 2);
    onnx_attr_ints(c->w, "pads", pads, 4);
    if (tr && (opad[0] || opad[1]))
        onnx_attr_ints(c->w, "output_padding", opad, 2);
    onnx_node_end(c->w, n);
    return xo_epilogue_end(c, op, y, fin);
}

/* CONV2D / CONV2D_T: the bottom/right padding is what the output size leaves over
 * (format/ops_conv.c). ONNX pads cannot be negative: a conv's negative remainder only drops
 * rows no window reaches (floor division does the same); a transposed conv's becomes its
 * output_padding. */
static int conv(xo_ctx *c, const gan_op *op)
{
    int tr = op->type == GAN_OP_CONV2D_T;
    char x[NM];
    if (xo_in(c, op->in[0], x, NM))
        return -1;
    const gan_tensor *tx = tensor(c, op->in[0]), *tw = tensor(c, op->in[1]);
    const gan_tensor *ty = tensor(c, op->out[0]);
    int64_t s = op->i[1], pt = op->i[2], pl = op->i[3], kh = tw->shape[2], kw = tw->shape[3];
    int64_t pb, pr;
    if (tr) {
        pb = (tx->shape[2] - 1) * s + kh - pt - ty->shape[2];
        pr = (tx->shape[3] - 1) * s + kw - pl - ty->shape[3];
    } else {
        pb = (ty->shape[2] - 1) * s + kh - tx->shape[2] - pt;
        pr = (ty->shape[3] - 1) * s + kw - tx->shape[3] - pl;
    }
    int64_t opad[2] = {pb < 0 ? -pb : 0, pr < 0 ? -pr : 0};
    int64_t pads[4] = {pt, pl, pb < 0 ? 0 : pb, pr < 0 ? 0 : pr};
    return conv_node(c, op, tr, x, pads, opad);
}

/* Nearest upsampling by an integer factor k: Resize with asymmetric coordinates and floor
 * rounding, so output pixel i reads input pixel floor(i / k) exactly as the kernel does. */
static void resize_nearest(xo_ctx *c, const char *x, int k, const char *y)
{
    char sc[NM];
    float scales[4] = {1.0f, 1.0f, (float)k, (float)k};
    xo_const_f32(c, "scales", scales, 4, sc, NM);
    const char *ins[3] = {x, "", sc}, *out = y; /* "": no roi */
    size_t n = xo_node(c, "Resize", ins, 3, &out, 1);
    onnx_attr_str(c->w, "mode", "nearest");
    onnx_attr_str(c->w, "coordinate_transformation_mode", "asymmetric");
    onnx_attr_str(c->w, "nearest_mode", "floor");
    onnx_node_end(c->w, n);
}

static int upsample(xo_ctx *c, const gan_op *op)
{
    char x[NM], y[NM];
    if (xo_in(c, op->in[0], x, NM) || xo_out(c, op->out[0], y, NM))
        return -1;
    resize_nearest(c, x, op->i[1], y);
    return 0;
}

/* UPCONV2D (ganc's fusion of the two): the pair again, Resize x2 then a 3x3 pad-1 Conv */
static int upconv(xo_ctx *c, const gan_op *op)
{
    char x[NM], u[NM];
    if (xo_in(c, op->in[0], x, NM))
        return -1;
    xo_tmp(c, "upsampled", u, NM);
    resize_nearest(c, x, 2, u);
    const int64_t pads[4] = {1, 1, 1, 1}, opad[2] = {0, 0};
    return conv_node(c, op, 0, u, pads, opad);
}

/* gamma (slot g) and beta (slot g + 1), or the ones and zeros an op without them means. */
static int scale_bias(xo_ctx *c, const gan_op *op, int g, int ch, char *sc, char *bi)
{
    if (op->in[g] >= 0 ? xo_in(c, op->in[g], sc, NM) : xo_const_fill(c, "ones", 1.0f, ch, sc, NM))
        return -1;
    return op->in[g + 1] >= 0 ? xo_in(c, op->in[g + 1], bi, NM)
                              : xo_const_fill(c, "zeros", 0.0f, ch, bi, NM);
}

/* BN_INFER: BatchNormalization (inference form) with the running statistics, then the
 * activation. A [N,C] input goes through [N,C,1,1] and back, the form every runtime takes. */
static int bn_infer(xo_ctx *c, const gan_op *op)
{
    char x[NM], sc[NM], bi[NM], rm[NM], rv[NM], y[NM], fin[NM], x4[NM], y4[NM];
    const gan_tensor *tx = tensor(c, op->in[0]);
    if (xo_in(c, op->in[0], x, NM) || scale_bias(c, op, 1, tx->shape[1], sc, bi) ||
        xo_in(c, op->in[3], rm, NM) || xo_in(c, op->in[4], rv, NM))
        return -1;
    int flat2 = tx->ndim == 2;
    if (flat2) {
        gan_tensor t4 = *tx;
        t4.ndim = 4;
        t4.shape[2] = t4.shape[3] = 1;
        xo_tmp(c, "x4", x4, NM);
        reshape_to(c, "shape4", &t4, x, x4);
        snprintf(x, NM, "%s", x4);
    }
    if (xo_epilogue_out(c, op, y, fin, NM))
        return -1;
    if (flat2)
        xo_tmp(c, "y4", y4, NM);
    const char *ins[5] = {x, sc, bi, rm, rv}, *out = flat2 ? y4 : y;
    size_t n = xo_node(c, "BatchNormalization", ins, 5, &out, 1);
    onnx_attr_float(c->w, "epsilon", op->f[2]);
    onnx_node_end(c->w, n);
    if (flat2)
        reshape_to(c, "shape2", tx, y4, y);
    return xo_epilogue_end(c, op, y, fin);
}

static int act(xo_ctx *c, const gan_op *op)
{
    char x[NM], y[NM];
    if (xo_in(c, op->in[0], x, NM) || xo_out(c, op->out[0], y, NM))
        return -1;
    return xo_act(c, op->i[0], op->f[0], x, y);
}

/* CONCAT: parts of equal spatial size joined per sample, i.e. along the channels (axis 1). */
static int concat(xo_ctx *c, const gan_op *op)
{
    char names[GAN_OP_MAX_IO][NM], y[NM];
    const char *ins[GAN_OP_MAX_IO];
    for (int k = 0; k < op->n_in; k++) {
        if (op->in[k] < 0)
            return xo_fail(c, "part %d is missing", k);
        if (xo_in(c, op->in[k], names[k], NM))
            return -1;
        ins[k] = names[k];
    }
    if (xo_out(c, op->out[0], y, NM))
        return -1;
    const char *out = y;
    size_t n = xo_node(c, "Concat", ins, op->n_in, &out, 1);
    onnx_attr_int(c->w, "axis", 1);
    onnx_node_end(c->w, n);
    return 0;
}

/* TILE [N,L] -> [N,L,H,W]: Reshape to [N,L,1,1], then Expand over H,W. */
static int tile(xo_ctx *c, const gan_op *op)
{
    char x[NM], x4[NM], y[NM], ex[NM];
    const gan_tensor *ty = tensor(c, op->out[0]);
    if (xo_in(c, op->in[0], x, NM))
        return -1;
    gan_tensor t4 = *ty;
    t4.shape[2] = t4.shape[3] = 1;
    xo_tmp(c, "x4", x4, NM);
    reshape_to(c, "shape4", &t4, x, x4);
    int64_t e[4] = {1, 1, ty->shape[2], ty->shape[3]};
    xo_const_i64(c, "expand", e, 4, ex, NM);
    if (xo_out(c, op->out[0], y, NM))
        return -1;
    const char *ins[2] = {x4, ex}, *out = y;
    onnx_node_end(c->w, xo_node(c, "Expand", ins, 2, &out, 1));
    return 0;
}

/* GAP: GlobalAveragePool, then Flatten to [N,C]. */
static int gap(xo_ctx *c, const gan_op *op)
{
    char x[NM], p[NM], y[NM];
    if (xo_in(c, op->in[0], x, NM))
        return -1;
    xo_tmp(c, "pooled", p, NM);
    xo_simple(c, "GlobalAveragePool", x, p);
    if (xo_out(c, op->out[0], y, NM))
        return -1;
    const char *in = p, *out = y;
    size_t n = xo_node(c, "Flatten", &in, 1, &out, 1);
    onnx_attr_int(c->w, "axis", 1);
    onnx_node_end(c->w, n);
    return 0;
}

/* ADD, MUL: the element-wise node; ROWDOT: Mul then ReduceSum over the features. */
static int binary(xo_ctx *c, const gan_op *op)
{
    char a[NM], b[NM], y[NM], prod[NM], ax[NM], red[NM];
    if (xo_in(c, op->in[0], a, NM) || xo_in(c, op->in[1], b, NM))
        return -1;
    if (op->type != GAN_OP_ROWDOT) {
        if (xo_out(c, op->out[0], y, NM))
            return -1;
        const char *ins[2] = {a, b}, *out = y;
        onnx_node_end(c->w, xo_node(c, op->type == GAN_OP_ADD ? "Add" : "Mul", ins, 2, &out, 1));
        return 0;
    }
    flat(c, tensor(c, op->in[0]), "flat_a", a, NM);
    flat(c, tensor(c, op->in[1]), "flat_b", b, NM);
    xo_tmp(c, "product", prod, NM);
    const char *ins[2] = {a, b}, *po = prod;
    onnx_node_end(c->w, xo_node(c, "Mul", ins, 2, &po, 1));
    int64_t axes[1] = {1};
    xo_const_i64(c, "axes", axes, 1, ax, NM);
    const gan_tensor *ty = tensor(c, op->out[0]);
    int direct = ty->ndim == 2;
    if (xo_out(c, op->out[0], y, NM))
        return -1;
    if (!direct)
        xo_tmp(c, "sum", red, NM);
    const char *rin[2] = {prod, ax}, *ro = direct ? y : red;
    size_t n = xo_node(c, "ReduceSum", rin, 2, &ro, 1);
    onnx_attr_int(c->w, "keepdims", 1);
    onnx_node_end(c->w, n);
    if (!direct)
        reshape_to(c, "shape", ty, red, y);
    return 0;
}

/* COPY: same values, maybe another shape (a flatten or an unflatten). */
static int copy(xo_ctx *c, const gan_op *op)
{
    char x[NM], y[NM];
    if (xo_in(c, op->in[0], x, NM) || xo_out(c, op->out[0], y, NM))
        return -1;
    reshape_to(c, "shape", tensor(c, op->out[0]), x, y);
    return 0;
}

/* AVG_POOL without padding, incomplete windows dropped: AveragePool's floor mode. */
static int avg_pool(xo_ctx *c, const gan_op *op)
{
    char x[NM], y[NM];
    if (xo_in(c, op->in[0], x, NM) || xo_out(c, op->out[0], y, NM))
        return -1;
    int64_t k[2] = {op->i[1], op->i[1]}, s[2] = {op->i[2], op->i[2]};
    const char *in = x, *out = y;
    size_t n = xo_node(c, "AveragePool", &in, 1, &out, 1);
    onnx_attr_ints(c->w, "kernel_shape", k, 2);
    onnx_attr_ints(c->w, "strides", s, 2);
    onnx_node_end(c->w, n);
    return 0;
}

static int instance_norm(xo_ctx *c, const gan_op *op)
{
    char x[NM], sc[NM], bi[NM], y[NM];
    if (xo_in(c, op->in[0], x, NM) || scale_bias(c, op, 1, tensor(c, op->in[0])->shape[1], sc, bi))
        return -1;
    if (xo_out(c, op->out[0], y, NM))
        return -1;
    const char *ins[3] = {x, sc, bi}, *out = y;
    size_t n = xo_node(c, "InstanceNormalization", ins, 3, &out, 1);
    onnx_attr_float(c->w, "epsilon", op->f[2]);
    onnx_node_end(c->w, n);
    return 0;
}

/* FILM (conditional batch norm's modulation): gb [N,2C] splits into g and b [N,C] (Split with
 * sizes [C, C]); y = x (1 + g) + b, g and b reshaped to [N,C,1,1] for a map. */
static int film(xo_ctx *c, const gan_op *op)
{
    char x[NM], gb[NM], g[NM], b[NM], sp[NM], one[NM], g1[NM], xg[NM], y[NM];
    if (xo_in(c, op->in[0], x, NM) || xo_in(c, op->in[1], gb, NM))
        return -1;
    const gan_tensor *tx = tensor(c, op->in[0]);
    int64_t ch = tx->shape[1], sizes[2] = {ch, ch};
    xo_const_i64(c, "split", sizes, 2, sp, NM);
    xo_tmp(c, "g", g, NM);
    xo_tmp(c, "b", b, NM);
    const char *sin[2] = {gb, sp}, *sout[2] = {g, b};
    size_t n = xo_node(c, "Split", sin, 2, sout, 2);
    onnx_attr_int(c->w, "axis", 1);
    onnx_node_end(c->w, n);
    float unit = 1.0f;
    xo_const_f32(c, "one", &unit, 1, one, NM);
    xo_tmp(c, "gain", g1, NM);
    const char *ain[2] = {g, one}, *aout = g1;
    onnx_node_end(c->w, xo_node(c, "Add", ain, 2, &aout, 1));
    if (tx->ndim == 4) {
        gan_tensor t4 = *tx;
        t4.shape[2] = t4.shape[3] = 1;
        char g4[NM], b4[NM];
        xo_tmp(c, "gain4", g4, NM);
        xo_tmp(c, "b4", b4, NM);
        reshape_to(c, "shape_g", &t4, g1, g4);
        reshape_to(c, "shape_b", &t4, b, b4);
        snprintf(g1, NM, "%s", g4);
        snprintf(b, NM, "%s", b4);
    }
    xo_tmp(c, "scaled", xg, NM);
    if (xo_out(c, op->out[0], y, NM))
        return -1;
    const char *min[2] = {x, g1}, *mout = xg, *bin[2] = {xg, b}, *bout = y;
    onnx_node_end(c->w, xo_node(c, "Mul", min, 2, &mout, 1));
    onnx_node_end(c->w, xo_node(c, "Add", bin, 2, &bout, 1));
    return 0;
}

/* A value computed at export time: an initializer named like the tensor it stands for. */
static void folded(xo_ctx *c, int t, const int64_t *dims, int ndim, const float *x)
{
    const gan_tensor *ty = tensor(c, t);
    c->ver[t]++;
    snprintf(c->cur[t], sizeof c->cur[t], "%s", ty->name);
    c->defined[t] = 2; /* a constant: no batch dimension */
    onnx_init_f32(c->w, ty->name, dims, ndim, x);
}

/* SPECTRAL_NORM in inference form (i0 = 0) depends only on the weight and the stored u: the
 * runtime's own kernel computes w / sigma once, and the result is an initializer. With i0 = 1
 * every run would update u, which a static graph cannot. */
static int spectral_norm(xo_ctx *c, const gan_op *op)
{
    const gan_tensor *tw = tensor(c, op->in[0]), *tu = tensor(c, op->in[1]);
    if (op->i[0] != 0)
        return xo_fail(c, "updates its u at every run (training form)");
    if (tw->region == GAN_REGION_ARENA || tu->region == GAN_REGION_ARENA)
        return xo_fail(c, "the weight and u must be parameters or state to be folded");
    size_t k = (size_t)tw->numel / (size_t)tw->shape[0];
    float *wsn = malloc(sizeof *wsn * (size_t)tw->numel), *v = malloc(sizeof *v * (k ? k : 1));
    float *u = malloc(sizeof *u * (size_t)tu->numel), sigma = 0.0f;
    if (!wsn || !v || !u) {
        free(wsn);
        free(v);
        free(u);
        return xo_fail(c, "out of memory");
    }
    memcpy(u, c->base[tu->region] + tu->offset, sizeof *u * (size_t)tu->numel);
    kern_spectral_norm_fwd(c->base[tw->region] + tw->offset, u, wsn, v, &sigma, tw->shape[0], k,
                           0, op->f[0] > 0.0f ? op->f[0] : 1e-12f, 1);
    int64_t dims[GAN_MAX_DIMS];
    for (int d = 0; d < tw->ndim; d++)
        dims[d] = tw->shape[d];
    folded(c, op->out[0], dims, tw->ndim, wsn);
    /* v and sigma are kept for a backward, which a sample program has not: they are left out
     * (a reader of them is an error, xo_in) rather than written as unused initializers */
    for (int j = 1; j < op->n_out && j < 3; j++)
        if (op->out[j] >= 0)
            c->defined[op->out[j]] = 3;
    free(wsn);
    free(v);
    free(u);
    return 0;
}

int xo_translate_op(xo_ctx *c, const gan_op *op)
{
    switch (op->type) {
    case GAN_OP_DENSE: return dense(c, op);
    case GAN_OP_CONV2D:
    case GAN_OP_CONV2D_T: return conv(c, op);
    case GAN_OP_UPSAMPLE: return upsample(c, op);
    case GAN_OP_UPCONV2D: return upconv(c, op);
    case GAN_OP_BN_INFER: return bn_infer(c, op);
    case GAN_OP_ACT: return act(c, op);
    case GAN_OP_CONCAT: return concat(c, op);
    case GAN_OP_TILE: return tile(c, op);
    case GAN_OP_GAP: return gap(c, op);
    case GAN_OP_ADD:
    case GAN_OP_MUL:
    case GAN_OP_ROWDOT: return binary(c, op);
    case GAN_OP_COPY: return copy(c, op);
    case GAN_OP_AVG_POOL: return avg_pool(c, op);
    case GAN_OP_INSTANCE_NORM: return instance_norm(c, op);
    case GAN_OP_SPECTRAL_NORM: return spectral_norm(c, op);
    case GAN_OP_FILM: return film(c, op);
    default: return xo_fail(c, "no ONNX translation for this op");
    }
}
