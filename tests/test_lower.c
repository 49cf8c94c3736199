/* Lowering + autodiff + fusion: structural tests over the hand-built fixture models. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/backend.h"
#include "compiler/graph_build.h"
#include "tests/util/lower_check.h"
#include "tests/util/md_fixtures.h"

typedef md_model *(*fixture_fn)(int tiny);
static const struct { const char *name; fixture_fn fn; } fixtures[] = {
    {"making_faces", mdfx_making_faces}, {"dcgan", mdfx_dcgan},
    {"hinge_sn", mdfx_hinge_sn},         {"class_cond", mdfx_class_cond},
    {"classifier", mdfx_classifier},     {"projection", mdfx_projection},
};
#define N_FIXTURES (int)(sizeof fixtures / sizeof fixtures[0])

static gan_model *build(md_model *md, int fuse, int batch)
{
    char err[512] = "";
    gan_build_opts o = {fuse, batch};
    gan_model *m = gan_build(md, &o, err, sizeof err);
    ck_assert_msg(m != NULL, "gan_build failed: %s", err);
    return m;
}

static int tensor(const gan_model *m, const char *name)
{
    for (int t = 0; t < m->n_tensors; t++)
        if (strcmp(m->tensors[t].name, name) == 0)
            return t;
    return -1;
}

/* every fixture, full and tiny size, fused and unfused: structurally sound */
START_TEST(all_fixtures_check)
{
    int f = _i / 4, tiny = (_i / 2) % 2, fuse = _i % 2;
    md_model *md = fixtures[f].fn(tiny);
    gan_model *m = build(md, fuse, 0);
    char err[512] = "";
    int rc = lower_check_model(m, err, sizeof err);
    ck_assert_msg(rc == 0, "%s tiny=%d fuse=%d: %s", fixtures[f].name, tiny, fuse, err);
    /* every arena tensor is referenced and named; persistent tensors inside their region */
    for (int t = 0; t < m->n_tensors; t++) {
        const gan_tensor *x = &m->tensors[t];
        ck_assert_msg(x->name[0] != 0, "tensor %d unnamed", t);
        if (x->region != GAN_REGION_ARENA)
            ck_assert_msg(x->offset + x->numel <= m->region_floats[x->region],
                          "%s outside its region", x->name);
        else
            ck_assert_uint_eq(x->offset, 0);
    }
    gb_model_destroy(m);
    mdfx_free(md);
}
END_TEST

START_TEST(seed_layout)
{
    md_model *md = mdfx_making_faces(0);
    gan_model *m = build(md, 1, 0);
    ck_assert_int_eq(m->hyper.batch, 100);
    ck_assert_str_eq(m->hyper.label_names[2], "Eyeglasses");
    ck_assert_ptr_ne(m->hyper.label_names, md->hyper.label_names); /* deep copy */
    int w = tensor(m, "D.conv3.w");
    ck_assert_int_ge(w, 0);
    const gan_tensor *t = &m->tensors[w];
    ck_assert_int_eq(t->region, GAN_REGION_PARAM);
    ck_assert_int_eq(t->shape[0], 78);
    ck_assert_int_eq(t->shape[1], 62);
    ck_assert_int_eq(t->shape[2], 3);
    ck_assert_int_eq(t->fan_in, 62 * 9);
    ck_assert_int_eq(t->fan_out, 78 * 9);
    ck_assert_int_eq(t->init, GAN_INIT_ORTHOGONAL);
    int g = tensor(m, "D.conv3.w.grad");
    ck_assert_int_ge(g, 0);
    ck_assert_int_eq(m->tensors[g].region, GAN_REGION_GRAD);
    ck_assert_uint_eq(m->tensors[g].offset, t->offset);
    int u = tensor(m, "D.conv3.w.u");
    ck_assert_int_ge(u, 0);
    ck_assert_int_eq(m->tensors[u].region, GAN_REGION_STATE);
    ck_assert_int_eq(m->tensors[u].init, GAN_INIT_UNIT_NORMAL);
    ck_assert_uint_eq(m->tensors[u].numel, 78);
    /* BN state */
    int rm = tensor(m, "G.bn1.running_mean"), rv = tensor(m, "G.bn1.running_var");
    ck_assert_int_ge(rm, 0);
    ck_assert_int_eq(m->tensors[rv].init, GAN_INIT_ONES);
    ck_assert_int_eq(m->tensors[tensor(m, "G.bn1.gamma")].init, GAN_INIT_ONES);
    /* networks: aggregates span exactly their parameters, contiguously */
    ck_assert_int_eq(m->n_networks, 2);
    for (int n = 0; n < 2; n++) {
        const gan_network *net = &m->networks[n];
        const gan_tensor *agg = &m->tensors[net->params];
        ck_assert(agg->flags & GAN_TF_AGGREGATE);
        ck_assert_int_ge(net->grads, 0);
        ck_assert_int_eq(net->ema, -1);
        uint64_t sum = 0;
        char prefix[GAN_NAME_MAX + 2];
        snprintf(prefix, sizeof prefix, "%s.", net->name);
        for (int k = 0; k < m->n_tensors; k++) {
            const gan_tensor *x = &m->tensors[k];
            if (x->region != GAN_REGION_PARAM || (x->flags & GAN_TF_AGGREGATE) ||
                strncmp(x->name, prefix, strlen(prefix)) != 0)
                continue;
            ck_assert_msg(x->offset >= agg->offset && x->offset + x->numel <= agg->offset + agg->numel,
                          "%s outside %s", x->name, agg->name);
            sum += x->numel;
        }
        ck_assert_uint_eq(sum, agg->numel);
    }
    ck_assert_float_eq(m->networks[1].lr, 2e-4f);
    ck_assert_float_eq(m->networks[0].lr, 5e-5f);
    /* programs */
    ck_assert_int_eq(m->n_programs, 4);
    ck_assert_str_eq(m->programs[0].name, "d_step");
    ck_assert_str_eq(m->programs[1].name, "g_step");
    ck_assert_str_eq(m->programs[2].name, "sample");
    /* D reads the image alone and has an attribute head: what that head looks for */
    const gan_program *v = &m->programs[3];
    ck_assert_str_eq(v->name, "visualize");
    ck_assert_int_eq(v->role, GAN_PROG_VISUALIZE);
    ck_assert_int_ge(v->n_outputs, 3);
    ck_assert_msg(strstr(m->tensors[v->outputs[0]].name, "D."), "%s",
                  m->tensors[v->outputs[0]].name);
    ck_assert_uint_eq(m->tensors[v->outputs[0]].numel, (uint64_t)m->hyper.batch * 8);
    const gan_program *d = &m->programs[0];
    ck_assert_int_eq(d->n_inputs, 3);
    ck_assert_int_eq(d->input_roles[0], GAN_ROLE_IMAGE);
    ck_assert_int_eq(d->input_roles[1], GAN_ROLE_LABELS);
    ck_assert_int_eq(d->input_roles[2], GAN_ROLE_LATENT);
    ck_assert_int_eq(m->tensors[d->inputs[0]].shape[0], 100);
    ck_assert_int_eq(m->tensors[d->inputs[0]].shape[3], 64);
    ck_assert_int_eq(d->n_outputs, 4); /* total + 3 terms */
    ck_assert_int_eq(m->programs[1].n_outputs, 3);
    ck_assert(d->flops > 0);
    gb_model_destroy(m);
    mdfx_free(md);
}
END_TEST

/* d_step: G forward only; g_step: D frozen but differentiated through */
START_TEST(step_separation)
{
    md_model *md = mdfx_making_faces(0);
    for (int fuse = 0; fuse < 2; fuse++) {
        gan_model *m = build(md, fuse, 0);
        const gan_program *d = lower_prog(m, "d_step"), *g = lower_prog(m, "g_step");
        ck_assert(d && g);
        ck_assert(!lower_writes_grad_of(m, d, "G."));
        ck_assert(lower_writes_grad_of(m, d, "D."));
        ck_assert(!lower_writes_grad_of(m, g, "D."));
        ck_assert(lower_writes_grad_of(m, g, "G."));
        int gp = m->networks[0].params, dp = m->networks[1].params;
        /* optimizer: only over the trained network */
        const gan_program *ps[2] = {d, g};
        for (int i = 0; i < 2; i++) {
            const gan_tensor *agg = &m->tensors[i == 0 ? dp : gp];
            int n_adam = 0, n_inc = 0;
            for (int j = 0; j < ps[i]->n_ops; j++) {
                const gan_op *o = &ps[i]->ops[j];
                if (o->type != GAN_OP_ADAM)
                    continue;
                n_adam++;
                n_inc += o->i[0] == 1;
                const gan_tensor *p = &m->tensors[o->in[0]];
                ck_assert_msg(p->offset >= agg->offset && p->offset + p->numel <= agg->offset + agg->numel,
                              "%s: adam over %s", ps[i]->name, p->name);
            }
            ck_assert_int_eq(n_inc, 1);
            if (fuse)
                ck_assert_int_eq(n_adam, 1);
            else
                ck_assert_int_gt(n_adam, 5);
        }
        /* no gradient for the real images or the labels */
        ck_assert_int_eq(tensor(m, "d_step.x.grad"), -1);
        ck_assert_int_eq(tensor(m, "d_step.y.grad"), -1);
        ck_assert_int_eq(tensor(m, "g_step.z.grad"), -1);
        /* g_step: the gradient reaches G's output image through D */
        char img[2 * GAN_NAME_MAX];
        snprintf(img, sizeof img, "g_step.G.%s.grad",
                 md->networks[0].nodes[md->networks[0].heads[0].node].name);
        ck_assert_msg(tensor(m, img) >= 0, "no %s", img);
        img[0] = 'd'; /* "d_step.G.<out>.grad": no gradient flows into G in d_step */
        ck_assert_msg(tensor(m, img) == -1, "%s exists", img);
        /* spectral norm: once per weight; backward only for the trained network */
        ck_assert_int_eq(lower_count_ops(d, GAN_OP_SPECTRAL_NORM), 10);
        ck_assert_int_eq(lower_count_ops(d, GAN_OP_SPECTRAL_NORM_BWD), 5);
        ck_assert_int_eq(lower_count_ops(g, GAN_OP_SPECTRAL_NORM), 10);
        ck_assert_int_eq(lower_count_ops(g, GAN_OP_SPECTRAL_NORM_BWD), 5);
        for (int j = 0; j < g->n_ops; j++)
            if (g->ops[j].type == GAN_OP_SPECTRAL_NORM_BWD)
                ck_assert_msg(strncmp(m->tensors[g->ops[j].out[0]].name, "G.", 2) == 0,
                              "g_step SN bwd writes %s", m->tensors[g->ops[j].out[0]].name);
        /* the first op zeroes the trained network's flat gradient buffer */
        ck_assert_int_eq(d->ops[0].type, GAN_OP_ZERO);
        ck_assert_int_eq(d->ops[0].out[0], m->networks[1].grads);
        ck_assert_int_eq(g->ops[0].out[0], m->networks[0].grads);
        gb_model_destroy(m);
    }
    mdfx_free(md);
}
END_TEST

/* identical calls once: D(x) for adv and cls, D(G(z,y)) once, G once */
START_TEST(calls_memoized)
{
    md_model *md = mdfx_making_faces(0);
    gan_model *m = build(md, 1, 0);
    const gan_program *d = lower_prog(m, "d_step"), *g = lower_prog(m, "g_step");
    /* G 5 (its 4 upsample + 3x3 pairs fused to upconv2d) + D twice 5 */
    ck_assert_int_eq(lower_count_ops(d, GAN_OP_CONV2D), 1 + 2 * 5);
    ck_assert_int_eq(lower_count_ops(d, GAN_OP_UPCONV2D), 4);
    ck_assert_int_eq(lower_count_ops(d, GAN_OP_UPSAMPLE), 0);
    ck_assert_int_eq(lower_count_ops(g, GAN_OP_CONV2D), 1 + 5);
    ck_assert_int_eq(lower_count_ops(g, GAN_OP_UPCONV2D), 4);
    ck_assert_int_eq(lower_count_ops(g, GAN_OP_UPCONV2D_BWD), 4);
    ck_assert_int_eq(lower_count_ops(d, GAN_OP_GAP), 2);
    ck_assert_int_eq(lower_count_ops(g, GAN_OP_GAP), 1);
    /* G's dense + D(x) adv and cls + D(G(z,y)) adv only: the unused cls head of the fake
     * call is never lowered in d_step */
    ck_assert_int_eq(lower_count_ops(d, GAN_OP_DENSE), 1 + 2 + 1);
    ck_assert_int_eq(lower_count_ops(g, GAN_OP_DENSE), 1 + 2);
    ck_assert_int_eq(lower_count_ops(d, GAN_OP_BN_TRAIN), 5);
    const gan_program *s = lower_prog(m, "sample");
    ck_assert_int_eq(lower_count_ops(s, GAN_OP_BN_TRAIN), 0);
    ck_assert_int_eq(lower_count_ops(s, GAN_OP_BN_INFER), 5);
    ck_assert_int_eq(lower_count_ops(s, GAN_OP_CONV2D) + lower_count_ops(s, GAN_OP_UPCONV2D), 5);
    for (int j = 0; j < s->n_ops; j++) {
        ck_assert_int_eq(gan_op_kind_of(s->ops[j].type), GAN_OPK_FWD); /* no backward, no optimizer */
        if (s->ops[j].type == GAN_OP_SPECTRAL_NORM)
            ck_assert_int_eq(s->ops[j].i[0], 0);
    }
    ck_assert_int_eq(s->n_inputs, 2);
    ck_assert_int_eq(s->n_outputs, 1);
    const gan_tensor *img = &m->tensors[s->outputs[0]];
    ck_assert_int_eq(img->shape[1], 3);
    ck_assert_int_eq(img->shape[2], 64);
    for (int j = 0; j < d->n_ops; j++)
        if (d->ops[j].type == GAN_OP_SPECTRAL_NORM)
            ck_assert_int_eq(d->ops[j].i[0], 1);
    gb_model_destroy(m);
    mdfx_free(md);
}
END_TEST

/* one body, two heads: the body's last activation gradient is accumulated twice */
START_TEST(shared_body_accumulates)
{
    md_model *md = mdfx_making_faces(0);
    gan_model *m = build(md, 1, 0);
    const gan_program *d = lower_prog(m, "d_step"), *g = lower_prog(m, "g_step");
    int hd = tensor(m, "d_step.D.gap1.grad"), hg = tensor(m, "g_step.D.gap1.grad");
    int hf = tensor(m, "d_step.D_2.gap1.grad");
    ck_assert_int_ge(hd, 0);
    ck_assert_int_ge(hg, 0);
    ck_assert_int_ge(hf, 0);
    /* ZERO + two DENSE_BWD (adv and cls heads) on D(x); the fake call only has adv */
    ck_assert_int_eq(lower_count_writes(d, hd), 3);
    ck_assert_int_eq(lower_count_writes(d, hf), 2);
    ck_assert_int_eq(lower_count_writes(g, hg), 3);
    /* D's parameter gradients in d_step: its head weights are written by two DENSE_BWDs */
    int dw = tensor(m, "D.dense1.w.grad");
    ck_assert_int_eq(lower_count_writes(d, dw), 2);
    gb_model_destroy(m);
    mdfx_free(md);
}
END_TEST

START_TEST(fusion_forms)
{
    md_model *md = mdfx_making_faces(0);
    gan_model *f = build(md, 1, 0), *u = build(md, 0, 0);
    const gan_program *fd = lower_prog(f, "d_step"), *ud = lower_prog(u, "d_step");
    ck_assert_int_eq(lower_count_ops(fd, GAN_OP_ACT), 0);
    ck_assert_int_eq(lower_count_ops(fd, GAN_OP_ACT_BWD), 0);
    ck_assert_int_eq(lower_count_ops(fd, GAN_OP_LOSS_BCE), 0);
    ck_assert_int_eq(lower_count_ops(fd, GAN_OP_LOSS_BCE_LOGITS), 1);
    ck_assert_int_eq(lower_count_ops(fd, GAN_OP_LOSS_BCE_LOGITS_BWD), 1);
    ck_assert_int_eq(lower_count_ops(ud, GAN_OP_LOSS_BCE), 1);
    ck_assert_int_eq(lower_count_ops(ud, GAN_OP_LOSS_BCE_LOGITS), 0);
    /* unfused: G 5 relu + tanh + sigmoid? no: d_step has G acts (dense relu, 4 relu, tanh) +
     * D 5 leaky x 2 calls + 1 sigmoid */
    ck_assert_int_eq(lower_count_ops(ud, GAN_OP_ACT), 6 + 10 + 1);
    /* fused epilogues carry the activation and the backward gets y */
    int n_lrelu = 0, n_bn_relu = 0;
    for (int j = 0; j < fd->n_ops; j++) {
        const gan_op *o = &fd->ops[j];
        if (o->type == GAN_OP_CONV2D && o->i[0] == GAN_ACT_LEAKY_RELU) {
            n_lrelu++;
            ck_assert_float_eq(o->f[0], 0.1f);
        }
        if (o->type == GAN_OP_CONV2D_BWD) {
            ck_assert_int_eq(o->i[0], GAN_ACT_LEAKY_RELU);
            ck_assert_int_ge(o->in[2], 0);
            ck_assert_int_ge(o->out[3], 0); /* workspace */
        }
        n_bn_relu += o->type == GAN_OP_BN_TRAIN && o->i[0] == GAN_ACT_RELU;
    }
    ck_assert_int_eq(n_bn_relu, 4); /* the first BN (after reshape) has no activation */
    ck_assert_int_eq(n_lrelu, 10);
    /* the unfused optimizer: one ADAM per parameter tensor, sharing t */
    int t = -1;
    for (int j = 0; j < ud->n_ops; j++)
        if (ud->ops[j].type == GAN_OP_ADAM) {
            if (t < 0)
                t = ud->ops[j].in[4];
            ck_assert_int_eq(ud->ops[j].in[4], t);
        }
    ck_assert_int_ge(tensor(u, "D.conv1.w.adam_m"), 0);
    ck_assert_int_eq(tensor(f, "D.conv1.w.adam_m"), -1);
    ck_assert_int_lt(fd->n_ops, ud->n_ops);
    gb_model_destroy(f);
    gb_model_destroy(u);
    mdfx_free(md);
}
END_TEST

START_TEST(ema_classifier_projection)
{
    md_model *md = mdfx_dcgan(0);
    gan_model *m = build(md, 1, 7);
    ck_assert_int_eq(m->hyper.batch, 7);
    const gan_program *g = lower_prog(m, "g_step");
    ck_assert_int_eq(g->ops[g->n_ops - 1].type, GAN_OP_EMA);
    ck_assert_int_ge(m->networks[0].ema, 0);
    ck_assert_int_eq(m->tensors[m->networks[0].ema].init, GAN_INIT_COPY);
    ck_assert_int_eq(m->tensors[m->networks[0].ema].init_src, m->networks[0].params);
    ck_assert_float_eq(m->networks[0].ema_decay, 0.999f);
    int w = tensor(m, "G.convt1.w");
    ck_assert_int_eq(m->tensors[w].shape[0], 128); /* [C, OC, KH, KW] */
    ck_assert_int_eq(m->tensors[w].shape[1], 64);
    ck_assert_int_eq(lower_count_ops(lower_prog(m, "d_step"), GAN_OP_CONV2D_T), 2);
    ck_assert_int_eq(lower_count_ops(g, GAN_OP_CONV2D_T_BWD), 2);
    ck_assert_int_eq(lower_prog(m, "d_step")->n_inputs, 2); /* x, z: no labels */
    gb_model_destroy(m);
    mdfx_free(md);

    md = mdfx_classifier(0);
    m = build(md, 1, 0);
    ck_assert_int_eq(m->n_programs, 3);
    ck_assert_str_eq(m->programs[0].name, "train_step");
    ck_assert_str_eq(m->programs[1].name, "predict");
    /* visualize: image + direction in; the logits, the image's gradient and the objective
     * out; the batch norms carried by their inference-form backward, no weight gradient */
    const gan_program *vz = &m->programs[2];
    ck_assert_str_eq(vz->name, "visualize");
    ck_assert_int_eq(vz->role, GAN_PROG_VISUALIZE);
    ck_assert_int_eq(vz->n_inputs, 2);
    ck_assert_int_eq(vz->input_roles[1], GAN_ROLE_DIRECTION);
    ck_assert_int_eq(vz->n_outputs, 3);
    ck_assert_int_eq(m->tensors[vz->outputs[1]].numel, m->tensors[vz->inputs[0]].numel);
    ck_assert_int_eq(lower_count_ops(vz, GAN_OP_LOSS_DOT), 1);
    ck_assert_int_eq(lower_count_ops(vz, GAN_OP_BN_INFER_BWD), lower_count_ops(vz, GAN_OP_BN_INFER));
    ck_assert_int_eq(lower_count_ops(vz, GAN_OP_BN_TRAIN), 0);
    for (int j = 0; j < vz->n_ops; j++)
        for (int k = 0; k < vz->ops[j].n_out; k++)
            ck_assert(vz->ops[j].out[k] < 0 || m->tensors[vz->ops[j].out[k]].region != GAN_REGION_GRAD);
    ck_assert_int_eq(m->programs[1].n_outputs, 1);
    ck_assert_int_eq(m->programs[1].n_inputs, 1);
    ck_assert_int_eq(m->programs[0].network, 0);
    ck_assert_int_eq(m->programs[1].network, -1);
    /* conv | sigmoid then gap: the sigmoid is fused into the conv, not into a BCE */
    ck_assert_int_eq(lower_count_ops(&m->programs[0], GAN_OP_LOSS_BCE_LOGITS), 1);
    gb_model_destroy(m);
    mdfx_free(md);

    md = mdfx_projection(0);
    m = build(md, 1, 0);
    const gan_program *d = lower_prog(m, "d_step");
    ck_assert_int_eq(lower_count_ops(d, GAN_OP_ROWDOT), 2);
    ck_assert_int_eq(lower_count_ops(d, GAN_OP_ROWDOT_BWD), 2);
    ck_assert_int_eq(lower_count_ops(lower_prog(m, "g_step"), GAN_OP_TILE_BWD), 0);
    ck_assert_int_eq(lower_count_ops(lower_prog(m, "g_step"), GAN_OP_CONCAT_BWD), 1);
    ck_assert_int_ge(tensor(m, "D.proj1.w.u"), 0);
    gb_model_destroy(m);
    mdfx_free(md);
}
END_TEST

START_TEST(bad_models_rejected)
{
    char err[256];
    gan_build_opts o = {1, 0};
    md_model *md = mdfx_making_faces(1);
    md->objectives[0].network = 7;
    ck_assert_ptr_null(gan_build(md, &o, err, sizeof err));
    ck_assert_msg(strstr(err, "out of range") != NULL, "%s", err);
    md->objectives[0].network = 1;
    md->networks[1].nodes[2].in[0] = 5; /* a later node */
    ck_assert_ptr_null(gan_build(md, &o, err, sizeof err));
    ck_assert_msg(strstr(err, "D.") != NULL && strstr(err, "line") != NULL, "%s", err);
    md->networks[1].nodes[2].in[0] = 1;
    md->hyper.batch = 0;
    ck_assert_ptr_null(gan_build(md, &o, err, sizeof err));
    ck_assert_msg(strstr(err, "batch") != NULL, "%s", err);
    md->hyper.batch = 2;
    md->objectives[1].terms[0].arg->args[0]->n_args = 1; /* G called with 1 of 2 inputs */
    ck_assert_ptr_null(gan_build(md, &o, err, sizeof err));
    ck_assert_msg(strstr(err, "argument") != NULL, "%s", err);
    md->objectives[1].terms[0].arg->args[0]->n_args = 2;
    gan_model *m = gan_build(md, &o, err, sizeof err);
    ck_assert_ptr_nonnull(m);
    gb_model_destroy(m);
    mdfx_free(md);
}
END_TEST

/* Never crash: randomly corrupted md models either build into a structurally sound model or
 * fail with a message (run under ASan + UBSan by make check). */
static unsigned long long fz_rng = 88172645463325252ULL;
static int fz(int lo, int hi)
{
    fz_rng ^= fz_rng << 13;
    fz_rng ^= fz_rng >> 7;
    fz_rng ^= fz_rng << 17;
    return lo + (int)(fz_rng % (unsigned long long)(hi - lo + 1));
}

static int fz_value(void)
{
    static const int special[] = {-1, 0, 1, 2, 3, 1 << 30, 0x7fffffff, -0x7fffffff};
    return fz(0, 1) ? fz(-2, 9) : special[fz(0, 7)];
}

START_TEST(corrupted_models_rejected)
{
    static fixture_fn fns[] = {mdfx_making_faces, mdfx_dcgan, mdfx_hinge_sn, mdfx_class_cond,
                               mdfx_classifier, mdfx_projection};
    int built = 0, rejected = 0;
    for (int it = 0; it < 400; it++) {
        md_model *md = fns[it % 6](1);
        int *slot[3];
        int old[3];
        int n_mut = fz(1, 3);
        /* counts before any mutation: later picks must stay inside the real arrays */
        int n_nodes[4], n_terms[4];
        for (int n = 0; n < md->n_networks; n++)
            n_nodes[n] = md->networks[n].n_nodes;
        for (int q = 0; q < md->n_objectives; q++)
            n_terms[q] = md->objectives[q].n_terms;
        for (int k = 0; k < n_mut; k++) {
            int ni = fz(0, md->n_networks - 1), oi = fz(0, md->n_objectives - 1);
            md_network *net = &md->networks[ni];
            md_node *nd = &net->nodes[fz(0, n_nodes[ni] - 1)];
            md_objective *ob = &md->objectives[oi];
            md_expr *ex = ob->terms[fz(0, n_terms[oi] - 1)].arg;
            int *fields[] = {&nd->kind, &nd->n_in, &nd->in[0], &nd->in[1], &nd->ndim,
                             &nd->shape[0], &nd->shape[1], &nd->shape[2], &nd->units, &nd->kh,
                             &nd->kw, &nd->stride, &nd->pad_t, &nd->pad_b, &nd->factor,
                             &nd->act, &nd->init, &nd->affine, &nd->spectral_norm,
                             &net->heads[0].node, &net->inputs[0].node, &net->n_heads,
                             &net->n_inputs, &ob->network, &ob->n_terms, &ex->network,
                             &ex->head, &ex->kind, &md->hyper.batch, &md->hyper.latent_size,
                             &md->hyper.image_c, &md->hyper.image_h};
            int f = fz(0, (int)(sizeof fields / sizeof fields[0]) - 1);
            slot[k] = fields[f];
            old[k] = *fields[f];
            *fields[f] = fz_value();
        }
        char err[512] = "";
        gan_build_opts o = {fz(0, 1), 0};
        gan_model *m = gan_build(md, &o, err, sizeof err);
        if (m) {
            char e2[512] = "";
            ck_assert_msg(lower_check_model(m, e2, sizeof e2) == 0, "iteration %d: %s", it, e2);
            gb_model_destroy(m);
            built++;
        } else {
            ck_assert_msg(err[0] != 0, "iteration %d: NULL without a message", it);
            rejected++;
        }
        for (int k = n_mut - 1; k >= 0; k--)
            *slot[k] = old[k];
        mdfx_free(md);
    }
    ck_assert_int_gt(rejected, 100);
    ck_assert_int_gt(built, 10);
}
END_TEST

START_TEST(dot_output)
{
    md_model *md = mdfx_making_faces(1);
    gan_model *m = build(md, 1, 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gan_write_dot(m, f);
    fclose(f);
    ck_assert(strncmp(buf, "digraph", 7) == 0);
    ck_assert_ptr_nonnull(strstr(buf, "label=\"d_step\""));
    ck_assert_ptr_nonnull(strstr(buf, "label=\"sample\""));
    ck_assert_ptr_nonnull(strstr(buf, "conv2d_bwd"));
    ck_assert_ptr_nonnull(strstr(buf, "conv2d+leaky_relu"));
    free(buf);
    gb_model_destroy(m);
    mdfx_free(md);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lower");
    TCase *tc = tcase_create("structure");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, all_fixtures_check, 0, N_FIXTURES * 4);
    tcase_add_test(tc, seed_layout);
    tcase_add_test(tc, step_separation);
    tcase_add_test(tc, calls_memoized);
    tcase_add_test(tc, shared_body_accumulates);
    tcase_add_test(tc, fusion_forms);
    tcase_add_test(tc, ema_classifier_projection);
    tcase_add_test(tc, bad_models_rejected);
    tcase_add_test(tc, dot_output);
    tcase_add_test(tc, corrupted_models_rejected);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
