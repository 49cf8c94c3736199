/* The op set: the contract between ganc (which emits programs) and ganrt (which runs them).
 *
 * Every op has fixed positional inputs and outputs (tensor indices into gan_model.tensors,
 * -1 where an optional slot is unused) and fixed attribute slots i[] and f[]. Layout is NCHW
 * float32 everywhere; a tensor of rank 2 is [N, F]; a "per-sample" size is numel / N.
 *
 * Backward ops ADD into their gradient outputs (the llm.c habit); the compiler inserts
 * GAN_OP_ZERO before the first accumulation into a buffer. A backward op may overwrite its
 * dy input (dy of a tensor is read only by the backward of that tensor's producer).
 *
 * Changing the meaning or numbering of anything here changes the model.bin format: bump
 * GAN_FORMAT_VERSION in model.h.
 */
#ifndef GAN_OPS_H
#define GAN_OPS_H

typedef enum {
    GAN_ACT_NONE = 0,
    GAN_ACT_RELU = 1,
    GAN_ACT_LEAKY_RELU = 2, /* slope f[0] (alpha) for x < 0 */
    GAN_ACT_TANH = 3,
    GAN_ACT_SIGMOID = 4,
    GAN_ACT_COUNT
} gan_act;

/* Attribute slots used below:
 *   ACT   = i[0] activation (gan_act), ALPHA = f[0] leaky slope
 *   conv: STRIDE = i[1], PAD_T = i[2], PAD_L = i[3]; kernel size comes from the weight's shape,
 *         output size from the output's shape (bottom/right padding is what remains, so TF
 *         "same" with even kernels is expressible).
 *   loss ops: WEIGHT = f[0] (used by the backward only: dL/dinput is scaled by it),
 *             PARAM = f[1] (constant target of BCE when in1 = -1; scale of MEAN)
 */
typedef enum {
    /* ---- bookkeeping ---- */
    GAN_OP_ZERO = 0,      /* out0 := 0 */
    GAN_OP_COPY,          /* in0 -> out0, same numel (reshape / flatten) */

    /* ---- forward ---- */
    GAN_OP_DENSE,         /* in0 x [N,K..] (flattened per sample), in1 w [M,K], in2 b [M] | -1
                             out0 y [N,M] = act(x w^T + b); i0 act, f0 alpha */
    GAN_OP_CONV2D,        /* in0 x [N,C,H,W], in1 w [OC,C,KH,KW], in2 b [OC] | -1
                             out0 y [N,OC,OH,OW], out1 workspace | -1
                             y[n,o,oh,ow] = act(b[o] + sum_{c,kh,kw} w[o,c,kh,kw] *
                                 x[n,c, oh*s - pt + kh, ow*s - pl + kw])   (zero outside)
                             i0 act, i1 stride, i2 pad_t, i3 pad_l, f0 alpha
                             workspace: C*KH*KW*OH*OW floats (one image's im2col) */
    GAN_OP_CONV2D_T,      /* transposed conv: in0 x [N,C,H,W], in1 w [C,OC,KH,KW], in2 b | -1
                             out0 y [N,OC,OH,OW], out1 workspace | -1
                             y[n,o, h*s - pt + kh, w*s - pl + kw] += x[n,c,h,w] * w[c,o,kh,kw]
                             (dropped where outside), then + b, then act.
                             i0 act, i1 stride, i2 pad_t, i3 pad_l, f0 alpha
                             workspace: OC*KH*KW*H*W floats (one image's columns) */
    GAN_OP_UPSAMPLE,      /* nearest: in0 x [N,C,H,W] -> out0 [N,C,H*k,W*k]; i1 factor k */
    GAN_OP_BN_TRAIN,      /* batch norm with batch statistics over N (and H,W) per channel C
                             in0 x [N,C] or [N,C,H,W], in1 gamma [C] | -1, in2 beta [C] | -1,
                             in3 running_mean [C], in4 running_var [C]  (both updated in place:
                               r = momentum * r + (1 - momentum) * batch   -- Keras convention;
                               running_var takes the unbiased batch variance)
                             out0 y = act(gamma * (x - mean) * invstd + beta),
                             out1 saved_mean [C], out2 saved_invstd [C] = 1/sqrt(var_biased+eps)
                             i0 act, f0 alpha, f1 momentum, f2 eps */
    GAN_OP_BN_INFER,      /* in0 x, in1 gamma|-1, in2 beta|-1, in3 running_mean, in4 running_var
                             out0 y = act(gamma * (x - rm) / sqrt(rv + eps) + beta)
                             i0 act, f0 alpha, f2 eps */
    GAN_OP_ACT,           /* in0 x -> out0 act(x); i0 act, f0 alpha (out0 may alias in0) */
    GAN_OP_CONCAT,        /* in0..in(k-1) [N,Ci,(H,W)] same spatial -> out0 [N,sum Ci,(H,W)] */
    GAN_OP_TILE,          /* in0 [N,L] -> out0 [N,L,H,W] (each value broadcast over H,W) */
    GAN_OP_GAP,           /* global average pool: in0 [N,C,H,W] -> out0 [N,C] */
    GAN_OP_ADD,           /* in0 + in1 -> out0 (same shape) */
    GAN_OP_MUL,           /* in0 * in1 -> out0 (same shape) */
    GAN_OP_ROWDOT,        /* in0 a [N,F], in1 b [N,F] -> out0 [N,1] = sum_f a*b (projection) */
    GAN_OP_SPECTRAL_NORM, /* in0 w [O, ...] viewed as an O x K matrix (K = numel/O),
                             in1 u [O] (persistent state)
                             out0 w_sn (shape of w), out1 v [K] (saved), out2 sigma [1] (saved)
                             i0 training: 1 = one power iteration, u updated in place:
                                 v = normalize(W^T u); u = normalize(W v)
                               0 = no update: v = normalize(W^T u)
                             sigma = u^T W v; w_sn = w / sigma; f0 eps (normalize: x/max(|x|,eps)) */

    /* ---- losses: out0 [1] = the unweighted term; WEIGHT f0 only scales the backward ---- */
    GAN_OP_LOSS_HINGE_REAL,   /* in0 a -> mean(relu(1 - a)) */
    GAN_OP_LOSS_HINGE_FAKE,   /* in0 a -> mean(relu(1 + a)) */
    GAN_OP_LOSS_MEAN,         /* in0 a -> f1 * mean(a)   (f1 = -1 gives -mean) */
    GAN_OP_LOSS_BCE_LOGITS,   /* in0 logits, in1 targets (same shape) | -1 (then target = f1)
                                 -> mean over all elements of
                                    max(l,0) - l*t + log(1 + exp(-|l|)) */
    GAN_OP_LOSS_BCE,          /* unfused form: in0 probabilities p (after a sigmoid), in1 | -1 as
                                 above -> mean of -(t log p + (1-t) log(1-p)), p clamped to
                                 [1e-7, 1-1e-7] */
    GAN_OP_LOSS_SOFTMAX_CE,   /* in0 logits [N,K], in1 targets [N,K] (one-hot) ->
                                 mean over N of -sum_k t log softmax(l)_k */
    GAN_OP_LOSS_SUM,          /* in0..in(k-1) scalars -> out0 = sum_j f[j] * in_j (k <= 8) */

    /* ---- backward: grads are outputs, accumulated (+=); -1 = not wanted ---- */
    GAN_OP_COPY_BWD,          /* in0 dy -> out0 dx */
    GAN_OP_DENSE_BWD,         /* in0 x, in1 w, in2 y (forward output; -1 when act none), in3 dy
                                 out0 dx, out1 dw, out2 db; i0 act, f0 alpha (as forward) */
    GAN_OP_CONV2D_BWD,        /* in0 x, in1 w, in2 y | -1, in3 dy
                                 out0 dx, out1 dw, out2 db, out3 workspace | -1
                                 attrs as forward; workspace: C*KH*KW*OH*OW floats */
    GAN_OP_CONV2D_T_BWD,      /* in0 x, in1 w, in2 y | -1, in3 dy
                                 out0 dx, out1 dw, out2 db, out3 workspace | -1
                                 attrs as forward; workspace: OC*KH*KW*H*W floats */
    GAN_OP_UPSAMPLE_BWD,      /* in0 dy -> out0 dx; i1 factor */
    GAN_OP_BN_TRAIN_BWD,      /* in0 x, in1 gamma | -1, in2 y | -1 (needed when act != none),
                                 in3 dy, in4 saved_mean, in5 saved_invstd
                                 out0 dx, out1 dgamma, out2 dbeta; i0 act, f0 alpha */
    GAN_OP_ACT_BWD,           /* in0 y (forward output), in1 dy -> out0 dx; i0 act, f0 alpha
                                 (derivative from y: relu/leaky y > 0, tanh 1-y^2, sigm y(1-y)) */
    GAN_OP_CONCAT_BWD,        /* in0 dy -> out0..out(k-1) dx_i (slot -1: skipped); the forward's
                                 input shapes are given by the outputs' shapes; i[7] = k */
    GAN_OP_TILE_BWD,          /* in0 dy [N,L,H,W] -> out0 dx [N,L] (sum over H,W) */
    GAN_OP_GAP_BWD,           /* in0 dy [N,C] -> out0 dx [N,C,H,W] (dy / (H*W)) */
    GAN_OP_ADD_BWD,           /* in0 dy -> out0 da, out1 db */
    GAN_OP_MUL_BWD,           /* in0 a, in1 b, in2 dy -> out0 da, out1 db */
    GAN_OP_ROWDOT_BWD,        /* in0 a, in1 b, in2 dy [N,1] -> out0 da, out1 db */
    GAN_OP_SPECTRAL_NORM_BWD, /* in0 w, in1 u (as updated by the forward), in2 v, in3 sigma,
                                 in4 dw_sn -> out0 dw
                                 dw += dw_sn/sigma - (sum(dw_sn * w) / sigma^2) * u v^T
                                 (u, v treated as constants, as PyTorch's spectral_norm) */
    GAN_OP_LOSS_HINGE_REAL_BWD, /* in0 a -> out0 da; f0 weight */
    GAN_OP_LOSS_HINGE_FAKE_BWD, /* in0 a -> out0 da; f0 weight */
    GAN_OP_LOSS_MEAN_BWD,       /* in0 a -> out0 da; f0 weight, f1 scale */
    GAN_OP_LOSS_BCE_LOGITS_BWD, /* in0 logits, in1 targets | -1 -> out0 dlogits; f0 weight,
                                   f1 constant target */
    GAN_OP_LOSS_BCE_BWD,        /* in0 p, in1 targets | -1 -> out0 dp; f0 weight, f1 target */
    GAN_OP_LOSS_SOFTMAX_CE_BWD, /* in0 logits, in1 targets -> out0 dlogits; f0 weight */

    /* ---- optimizer and weight averaging (persistent tensors, updated in place) ---- */
    GAN_OP_ADAM,          /* in0 params, in1 grads, in2 m, in3 v (all same numel), in4 t [1]
                             (step count as float; the op increments it first, then uses it
                             for bias correction 1 - beta^t); f0 lr, f1 beta1, f2 beta2, f3 eps.
                             The fused form covers a network's flat parameter buffer in one op;
                             the unfused form is one op per parameter tensor (same t tensor,
                             incremented only by the op with i[0] = 1). */
    GAN_OP_EMA,           /* in0 params, in1 ema: ema = f0 * ema + (1 - f0) * params */

    GAN_OP_COUNT
} gan_op_type;

/* Short lower-case name of an op ("conv2d_bwd"), for reports, --dot and errors. */
const char *gan_op_name(int type);
const char *gan_act_name(int act);

#endif
