/* Differentiable augmentation (DiffAugment, Zhao et al. 2020) of the images entering a
 * discriminator, real and generated alike, so that D cannot memorise a small data set: per
 * sample a random colour change, translation and cutout, the same transform in the backward.
 *
 * DIFFAUG      in0 x [N,C,H,W], in1 seed [1], in2 counter [1] (persistent: the op adds 1 each
 *              run; the draws of run k are a hash of seed, k and the sample)
 *              -> out0 y, x's shape; out1 params [N,9], the draws, read by the backward:
 *              brightness b, saturation s, contrast c, shift tx, ty (y(h, w) = x(h + ty, w + tx)),
 *              cutout box x0, y0, width, height.
 *              i1 bit 0: colour on; f1 translation share t (shift up to round(t H) rows and
 *              round(t W) columns each way, zeros shifted in); f2 cutout share (a square of
 *              round(f2 H) x round(f2 W) zeroed at a random centre, clipped at the border).
 *              Colour, as DiffAugment: x + b; (x - mean_c) s + mean_c; (x - mean) c + mean
 *              (mean_c over the channels of a pixel, mean over the whole sample), with b in
 *              [-0.5, 0.5), s in [0, 2), c in [0.5, 1.5).
 * DIFFAUG_BWD  in0 params, in1 dy -> out0 dx += the transpose of the same transform;
 *              attributes as the forward
 */
#include "format/op_check.h"

static double diffaug_flops(const gan_model *m, const gan_op *op)
{
    return 12.0 * opc_numel_in(m, op, op->type == GAN_OP_DIFFAUG ? 0 : 1);
}

static int diffaug_validate(vctx *v)
{
    const gan_op *op = v->op;
    int bwd = op->type == GAN_OP_DIFFAUG_BWD;
    const gan_tensor *x = bwd ? OUT(0) : IN(0), *y = bwd ? IN(1) : OUT(0);
    const gan_tensor *prm = bwd ? IN(0) : OUT(1);
    if (opc_need_ndim(v, x, 4, 4, bwd ? "dx" : "x") || opc_need_shape(v, y, x, bwd ? "dy" : "y"))
        return -1;
    if (opc_need_ndim(v, prm, 2, 2, "params"))
        return -1;
    if (prm->shape[0] != x->shape[0] || prm->shape[1] != 9)
        return opc_fail(v, "'%s' must be [N, 9] for %d samples", prm->name, x->shape[0]);
    if (!bwd && (opc_need_numel(v, IN(1), 1, "seed") || opc_need_numel(v, IN(2), 1, "counter")))
        return -1;
    if (op->i[1] & ~1)
        return opc_fail(v, "flags i1 = %d: only bit 0 (colour) is defined", op->i[1]);
    if (!(op->f[1] >= 0 && op->f[1] <= 0.5f) || !(op->f[2] >= 0 && op->f[2] <= 1))
        return opc_fail(v, "translation f1 = %g must be in [0, 0.5] and cutout f2 = %g in [0, 1]",
                        op->f[1], op->f[2]);
    return 0;
}

const gan_op_fns gan_ops_diffaug = {diffaug_validate, diffaug_flops, NULL};
