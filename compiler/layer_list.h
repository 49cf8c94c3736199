/* Every layer kind, one line each: LAYER_KIND(ID, name, value) makes md_kind MD_<ID> = value
 * (compiler/model_def.h) and names the kind's facts, layer_kind_<name>, which a file
 * compiler/layer_*.c defines (docs/compiler.md, "Adding a layer"). The comment names the
 * md_node fields the kind uses.
 *
 * The lines are in the order of the layer table's rows, which is the order of "did you mean"
 * candidates; a new kind goes last. The values are the md_kind numbers, fixed since the kinds
 * were first written (add and project were numbered in the other order, tile after concat); a
 * new kind takes the next free one. layers.c refuses at compile time a repeated value and one
 * outside 1 to the number of kinds. MD_INPUT (0), a network's formal input, is no layer and
 * has no line.
 *
 * No include guard: every includer defines LAYER_KIND first and undefines it after. */
LAYER_KIND(DENSE, dense, 1)           /* units; bias; spectral_norm; init */
LAYER_KIND(CONV, conv, 2)             /* filters (units), kh, kw, stride, pad_t/l/b/r; bias; spectral_norm; init */
LAYER_KIND(CONV_T, conv_t, 3)         /* as conv (output = (H-1)*s + k - pt - pb) */
LAYER_KIND(UPSAMPLE, upsample, 4)     /* factor */
LAYER_KIND(BATCHNORM, batchnorm, 5)   /* momentum (Keras convention), eps, affine */
LAYER_KIND(ACT, act, 6)               /* act, alpha */
LAYER_KIND(CONCAT, concat, 7)         /* in[0..n_in-1] along the channel/feature axis, same spatial size */
LAYER_KIND(RESHAPE, reshape, 9)       /* reshape / flatten: same numel */
LAYER_KIND(GAP, gap, 10)              /* [C,H,W] -> [C] */
LAYER_KIND(PROJECT, project, 12)      /* in[0] features h [F], in[1] labels y [L] -> [1] = sum_f (W y)_f h_f,
                                         W [F,L], no bias; spectral_norm; init */
LAYER_KIND(ADD, add, 11)              /* in[0] + in[1], same shape */
LAYER_KIND(TILE, tile, 8)             /* vector [L] -> [L,H,W] with H,W = shape[1], shape[2] */
LAYER_KIND(AVG_POOL, avg_pool, 13)    /* kh = kw (window), stride */
LAYER_KIND(INSTANCE_NORM, instance_norm, 14) /* eps, affine */
