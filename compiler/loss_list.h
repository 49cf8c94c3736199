/* The loss functions a train block can name, one row each: the only place a loss is declared.
 * md_loss_kind (model_def.h) and the loss table (losses.c) are generated from these rows.
 *
 *   GAN_LOSS(KIND, NAME, OP, TARGET, SCORE_HEAD, SIGNED_SCALE, VIA_SIGMOID)
 *
 *   KIND          enum suffix: MD_LOSS_<KIND>; rows keep their order (it is the order of "did
 *                 you mean" candidates and of the "expected ..." lists in messages)
 *   NAME          as written in a loss
 *   OP            the loss op it lowers to (format/op_list.h)
 *   TARGET        loss_target_rule suffix: NONE (one argument), UNIT (labels or a constant
 *                 0..1), CONST (labels or any constant), ONE_OF (labels of 'labels one_of'),
 *                 LABELS (multilabel labels only)
 *   SCORE_HEAD    1: the argument must be a head of size 1 (a critic score)
 *   SIGNED_SCALE  1: "-mean(e)": the coefficient's sign becomes the op's scale (f1)
 *   VIA_SIGMOID   1: lowered as ACT sigmoid + the op (fusion makes it the logits form)
 */
/*       KIND         NAME          OP                      TARGET  SCORE SIGN SIGM */
GAN_LOSS(HINGE_REAL,  "hinge_real", GAN_OP_LOSS_HINGE_REAL, NONE,   1,    0,   0) /* mean(relu(1 - a)) */
GAN_LOSS(HINGE_FAKE,  "hinge_fake", GAN_OP_LOSS_HINGE_FAKE, NONE,   1,    0,   0) /* mean(relu(1 + a)) */
GAN_LOSS(MEAN,        "mean",       GAN_OP_LOSS_MEAN,       NONE,   0,    1,   0) /* scale * mean(a) */
GAN_LOSS(BCE,         "bce",        GAN_OP_LOSS_BCE,        UNIT,   0,    0,   1) /* BCE with logits */
GAN_LOSS(BCE_BALANCED, "bce_balanced", GAN_OP_LOSS_BCE_BAL, LABELS, 0,  0,   0) /* BCE, classes balanced */
GAN_LOSS(SOFTMAX_CE,  "softmax_ce", GAN_OP_LOSS_SOFTMAX_CE, ONE_OF, 0,    0,   0) /* vs one-hot labels */
GAN_LOSS(MSE,         "mse",        GAN_OP_LOSS_MSE,        CONST,  0,    0,   0) /* LSGAN least squares */
