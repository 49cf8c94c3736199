/* The op table: one row per op, the only place an op is declared. Everything else about the op
 * set -- the enum, the names, the slot specs, every predicate, the compiler's gradient rule --
 * is generated from these rows (format/ops.h, format/op_table.c, compiler/autodiff.c).
 *
 * Include it with GAN_OP defined (and GAN_OP_FAMILY, for the list of families):
 *
 *   GAN_OP(ID, NUM, NAME, KIND, FAM, IN, OUT, DIFF, UPD, WS, FLAGS, BWD, BWD_IN, BWD_OUT)
 *
 *   ID     enum suffix: GAN_OP_<ID>
 *   NUM    the op's number in model.bin. STABLE: never renumber or reuse one (a renumbering is
 *          a format change; tests/test_op_table.c pins every number to its name)
 *   NAME   lower-case name for reports, --dot and errors
 *   KIND   BOOK (bookkeeping, no gradient), FWD, LOSS (a loss term: seeds the backward),
 *          BWD, OPTIM (updates persistent state in place)
 *   FAM    the family whose functions check, cost and run it: format/ops_<FAM>.c (contract,
 *          FLOPs, workspace) and runtime/run/run_<FAM>.c (the kernel call)
 *   IN/OUT slot specs, one character per slot: r required, o optional (-1 allowed)
 *   DIFF   bit k: the op is differentiable in its input slot k
 *   UPD    bit k: input slot k is persistent state that the op updates in place
 *   WS     the out slot that is a workspace (scratch within the op), or -1
 *   FLAGS  GAN_OPF_* bits (ops.h)
 *   BWD    the op that carries its gradient (ID suffix), NONE for none
 *   BWD_IN how the backward op's inputs are formed from the forward op, one char per slot:
 *          0-7 forward input k, y forward out0, Y out0 when i0 holds an activation other than
 *          none (else -1), a / b forward out1 / out2, d the gradient of out0
 *   BWD_OUT its outputs: 0-7 the gradient of forward input k (-1 where none is wanted),
 *          w a new workspace the size of the forward's out1, * the gradients of all inputs
 *
 * Ops are listed in number order. New ops take the next free number at the end.
 */

/* Families, in the order their files appear. */
#ifdef GAN_OP_FAMILY
GAN_OP_FAMILY(shape)
GAN_OP_FAMILY(dense)
GAN_OP_FAMILY(conv)
GAN_OP_FAMILY(norm)
GAN_OP_FAMILY(loss)
GAN_OP_FAMILY(optim)
GAN_OP_FAMILY(pool)
GAN_OP_FAMILY(instance_norm)
GAN_OP_FAMILY(film)
GAN_OP_FAMILY(diffaug)
GAN_OP_FAMILY(upconv)
#endif

#ifdef GAN_OP
/*     ID                   NUM NAME                   KIND   FAM    IN          OUT         DIFF  UPD   WS FLAGS                      BWD                  BWD_IN    BWD_OUT */
GAN_OP(ZERO,                  0, "zero",                BOOK,  shape, "",         "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(COPY,                  1, "copy",                FWD,   shape, "r",        "r",        0x01, 0x00, -1, 0,                         COPY_BWD,            "d",      "0")
GAN_OP(DENSE,                 2, "dense",               FWD,   dense, "rro",      "r",        0x07, 0x00, -1, GAN_OPF_EPILOGUE,          DENSE_BWD,           "01Yd",   "012")
GAN_OP(CONV2D,                3, "conv2d",              FWD,   conv,  "rro",      "ro",       0x07, 0x00,  1, GAN_OPF_EPILOGUE,          CONV2D_BWD,          "01Yd",   "012w")
GAN_OP(CONV2D_T,              4, "conv2d_t",            FWD,   conv,  "rro",      "ro",       0x07, 0x00,  1, GAN_OPF_EPILOGUE,          CONV2D_T_BWD,        "01Yd",   "012w")
GAN_OP(UPSAMPLE,              5, "upsample",            FWD,   shape, "r",        "r",        0x01, 0x00, -1, 0,                         UPSAMPLE_BWD,        "d",      "0")
GAN_OP(BN_TRAIN,              6, "bn_train",            FWD,   norm,  "roorr",    "rrr",      0x07, 0x18, -1, GAN_OPF_EPILOGUE,          BN_TRAIN_BWD,        "01Ydab", "012")
GAN_OP(BN_INFER,              7, "bn_infer",            FWD,   norm,  "roorr",    "r",        0x01, 0x00, -1, GAN_OPF_EPILOGUE,          BN_INFER_BWD,        "01Yd4",  "0")
GAN_OP(ACT,                   8, "act",                 FWD,   shape, "r",        "r",        0x01, 0x00, -1, GAN_OPF_ACT | GAN_OPF_ALIAS_IN0, ACT_BWD,   "yd",     "0")
GAN_OP(CONCAT,                9, "concat",              FWD,   shape, "rrrrrrrr", "r",        0xff, 0x00, -1, GAN_OPF_VARIADIC,          CONCAT_BWD,          "d",      "*")
GAN_OP(TILE,                 10, "tile",                FWD,   shape, "r",        "r",        0x01, 0x00, -1, 0,                         TILE_BWD,            "d",      "0")
GAN_OP(GAP,                  11, "gap",                 FWD,   shape, "r",        "r",        0x01, 0x00, -1, 0,                         GAP_BWD,             "d",      "0")
GAN_OP(ADD,                  12, "add",                 FWD,   shape, "rr",       "r",        0x03, 0x00, -1, 0,                         ADD_BWD,             "d",      "01")
GAN_OP(MUL,                  13, "mul",                 FWD,   shape, "rr",       "r",        0x03, 0x00, -1, 0,                         MUL_BWD,             "01d",    "01")
GAN_OP(ROWDOT,               14, "rowdot",              FWD,   shape, "rr",       "r",        0x03, 0x00, -1, 0,                         ROWDOT_BWD,          "01d",    "01")
GAN_OP(SPECTRAL_NORM,        15, "spectral_norm",       FWD,   norm,  "rr",       "roo",      0x01, 0x02, -1, GAN_OPF_UPD_IF_TRAINING,   SPECTRAL_NORM_BWD,   "01abd",  "0")
GAN_OP(LOSS_HINGE_REAL,      16, "loss_hinge_real",     LOSS,  loss,  "r",        "r",        0x01, 0x00, -1, 0,                         LOSS_HINGE_REAL_BWD, "01",     "0")
GAN_OP(LOSS_HINGE_FAKE,      17, "loss_hinge_fake",     LOSS,  loss,  "r",        "r",        0x01, 0x00, -1, 0,                         LOSS_HINGE_FAKE_BWD, "01",     "0")
GAN_OP(LOSS_MEAN,            18, "loss_mean",           LOSS,  loss,  "r",        "r",        0x01, 0x00, -1, 0,                         LOSS_MEAN_BWD,       "01",     "0")
GAN_OP(LOSS_BCE_LOGITS,      19, "loss_bce_logits",     LOSS,  loss,  "ro",       "r",        0x01, 0x00, -1, 0,                         LOSS_BCE_LOGITS_BWD, "01",     "0")
GAN_OP(LOSS_BCE,             20, "loss_bce",            LOSS,  loss,  "ro",       "r",        0x01, 0x00, -1, 0,                         LOSS_BCE_BWD,        "01",     "0")
GAN_OP(LOSS_SOFTMAX_CE,      21, "loss_softmax_ce",     LOSS,  loss,  "rr",       "r",        0x01, 0x00, -1, 0,                         LOSS_SOFTMAX_CE_BWD, "01",     "0")
GAN_OP(LOSS_SUM,             22, "loss_sum",            BOOK,  loss,  "rrrrrrrr", "r",        0x00, 0x00, -1, GAN_OPF_VARIADIC,          NONE,                "",       "")
GAN_OP(COPY_BWD,             23, "copy_bwd",            BWD,   shape, "r",        "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(DENSE_BWD,            24, "dense_bwd",           BWD,   dense, "rror",     "ooo",      0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(CONV2D_BWD,           25, "conv2d_bwd",          BWD,   conv,  "rror",     "oooo",     0x00, 0x00,  3, 0,                         NONE,                "",       "")
GAN_OP(CONV2D_T_BWD,         26, "conv2d_t_bwd",        BWD,   conv,  "rror",     "oooo",     0x00, 0x00,  3, 0,                         NONE,                "",       "")
GAN_OP(UPSAMPLE_BWD,         27, "upsample_bwd",        BWD,   shape, "r",        "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(BN_TRAIN_BWD,         28, "bn_train_bwd",        BWD,   norm,  "roorrr",   "ooo",      0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(ACT_BWD,              29, "act_bwd",             BWD,   shape, "rr",       "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(CONCAT_BWD,           30, "concat_bwd",          BWD,   shape, "r",        "oooooooo", 0x00, 0x00, -1, GAN_OPF_VARIADIC,          NONE,                "",       "")
GAN_OP(TILE_BWD,             31, "tile_bwd",            BWD,   shape, "r",        "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(GAP_BWD,              32, "gap_bwd",             BWD,   shape, "r",        "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(ADD_BWD,              33, "add_bwd",             BWD,   shape, "r",        "oo",       0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(MUL_BWD,              34, "mul_bwd",             BWD,   shape, "rrr",      "oo",       0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(ROWDOT_BWD,           35, "rowdot_bwd",          BWD,   shape, "rrr",      "oo",       0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(SPECTRAL_NORM_BWD,    36, "spectral_norm_bwd",   BWD,   norm,  "rrrrr",    "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(LOSS_HINGE_REAL_BWD,  37, "loss_hinge_real_bwd", BWD,   loss,  "r",        "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(LOSS_HINGE_FAKE_BWD,  38, "loss_hinge_fake_bwd", BWD,   loss,  "r",        "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(LOSS_MEAN_BWD,        39, "loss_mean_bwd",       BWD,   loss,  "r",        "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(LOSS_BCE_LOGITS_BWD,  40, "loss_bce_logits_bwd", BWD,   loss,  "ro",       "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(LOSS_BCE_BWD,         41, "loss_bce_bwd",        BWD,   loss,  "ro",       "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(LOSS_SOFTMAX_CE_BWD,  42, "loss_softmax_ce_bwd", BWD,   loss,  "rr",       "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(ADAM,                 43, "adam",                OPTIM, optim, "rrrrr",    "",         0x00, 0x1d, -1, 0,                         NONE,                "",       "")
GAN_OP(EMA,                  44, "ema",                 OPTIM, optim, "rro",      "",         0x00, 0x02, -1, 0,                         NONE,                "",       "")
GAN_OP(AVG_POOL,             45, "avg_pool",            FWD,   pool,  "r",        "r",        0x01, 0x00, -1, 0,                         AVG_POOL_BWD,        "d",      "0")
GAN_OP(AVG_POOL_BWD,         46, "avg_pool_bwd",        BWD,   pool,  "r",        "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(INSTANCE_NORM,        47, "instance_norm",       FWD,   instance_norm, "roo", "roo",   0x07, 0x00, -1, 0,                         INSTANCE_NORM_BWD,   "01dab",  "012")
GAN_OP(INSTANCE_NORM_BWD,    48, "instance_norm_bwd",   BWD,   instance_norm, "rorrr", "ooo", 0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(LOSS_MSE,             49, "loss_mse",            LOSS,  loss,  "ro",       "r",        0x01, 0x00, -1, 0,                         LOSS_MSE_BWD,        "01",     "0")
GAN_OP(LOSS_MSE_BWD,         50, "loss_mse_bwd",        BWD,   loss,  "ro",       "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(SGD,                  51, "sgd",                 OPTIM, optim, "rrrr",     "",         0x00, 0x0d, -1, 0,                         NONE,                "",       "")
GAN_OP(RMSPROP,              52, "rmsprop",             OPTIM, optim, "rrrr",     "",         0x00, 0x0d, -1, 0,                         NONE,                "",       "")
GAN_OP(FILM,                 53, "film",                FWD,   film,  "rr",       "r",        0x03, 0x00, -1, 0,                         FILM_BWD,            "01d",    "01")
GAN_OP(FILM_BWD,             54, "film_bwd",            BWD,   film,  "rrr",      "oo",       0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(DIFFAUG,              55, "diffaug",             FWD,   diffaug, "rrr",    "rr",       0x01, 0x04, -1, 0,                         DIFFAUG_BWD,         "ad",     "0")
GAN_OP(DIFFAUG_BWD,          56, "diffaug_bwd",         BWD,   diffaug, "rr",     "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(LOSS_DOT,             57, "loss_dot",            LOSS,  loss,  "rr",       "r",        0x01, 0x00, -1, 0,                         LOSS_DOT_BWD,        "01",     "0")
GAN_OP(LOSS_DOT_BWD,         58, "loss_dot_bwd",        BWD,   loss,  "rr",       "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(BN_INFER_BWD,         59, "bn_infer_bwd",        BWD,   norm,  "roorr",    "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(LOSS_BCE_BAL,         60, "loss_bce_bal",        LOSS,  loss,  "rr",       "r",        0x01, 0x00, -1, 0,                         LOSS_BCE_BAL_BWD,    "01",     "0")
GAN_OP(LOSS_BCE_BAL_BWD,     61, "loss_bce_bal_bwd",    BWD,   loss,  "rr",       "r",        0x00, 0x00, -1, 0,                         NONE,                "",       "")
GAN_OP(UPCONV2D,             62, "upconv2d",            FWD,   upconv, "rro",     "ro",       0x07, 0x00,  1, GAN_OPF_EPILOGUE,          UPCONV2D_BWD,        "01Yd",   "012w")
GAN_OP(UPCONV2D_BWD,         63, "upconv2d_bwd",        BWD,   upconv, "rror",    "oooo",     0x00, 0x00,  3, 0,                         NONE,                "",       "")
#endif
