/* Numeric checks of the compiled programs, run by the interpreter with a trivial planner:
 *  - parameter gradients of d_step / g_step / train_step against central finite differences
 *    of the program's own total loss (optimizer neutralised with lr = 0, state restored
 *    between runs so BN running stats, spectral-norm u and Adam moments do not drift);
 *  - fused and unfused builds compute the same losses, gradients and Adam updates;
 *  - inference programs run.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/backend.h"
#include "compiler/graph_build.h"
#include "runtime/exec.h"
#include "tests/util/lower_check.h"
#include "tests/util/lower_run.h"
#include "tests/util/md_fixtures.h"
#include "tests/util/md_sources.h"

typedef md_model *(*fixture_fn)(int tiny);
static const struct { const char *name; fixture_fn fn; const char *progs[2]; } fixtures[] = {
    {"making_faces", mdfx_making_faces, {"d_step", "g_step"}},
    {"dcgan", mdfx_dcgan, {"d_step", "g_step"}},
    {"hinge_sn", mdfx_hinge_sn, {"d_step", "g_step"}},
    {"class_cond", mdfx_class_cond, {"d_step", "g_step"}},
    {"classifier", mdfx_classifier, {"train_step", NULL}},
    {"projection", mdfx_projection, {"d_step", "g_step"}},
    {"lsgan", mdsrc_lsgan, {"d_step", "g_step"}},
    {"cond_bn", mdsrc_cond_bn, {"d_step", "g_step"}},
    {"bce_bal", mdsrc_bce_bal, {"d_step", "g_step"}},
};
#define N_FIXTURES (int)(sizeof fixtures / sizeof fixtures[0])

static gan_model *build(md_model *md, int fuse)
{
    char err[512] = "";
    gan_build_opts o = {fuse, 0};
    gan_model *m = gan_build(md, &o, err, sizeof err);
    ck_assert_msg(m != NULL, "gan_build: %s", err);
    return m;
}

static int find_tensor(const gan_model *m, const char *name)
{
    for (int t = 0; t < m->n_tensors; t++)
        if (strcmp(m->tensors[t].name, name) == 0)
            return t;
    return -1;
}

static gan_program *prog(gan_model *m, const char *name)
{
    for (int p = 0; p < m->n_programs; p++)
        if (strcmp(m->programs[p].name, name) == 0)
            return &m->programs[p];
    ck_abort_msg("no program %s", name);
    return NULL;
}

static void run(lower_rt *r, const gan_program *p)
{
    char err[512] = "";
    int rc = gan_exec_program(r->m, p, r->base, 1, err, sizeof err);
    ck_assert_msg(rc == 0, "%s: %s", p->name, err);
}

static float out0(lower_rt *r, const gan_program *p, int i)
{
    return *gan_tensor_ptr(r->m, r->base, p->outputs[i]);
}

typedef struct {
    float *param, *state, *inputs;
    uint64_t n_inputs;
} snap;

static void snap_take(lower_rt *r, const gan_program *p, snap *s)
{
    const gan_model *m = r->m;
    s->param = malloc(m->region_floats[GAN_REGION_PARAM] * sizeof(float) + 4);
    s->state = malloc(m->region_floats[GAN_REGION_STATE] * sizeof(float) + 4);
    memcpy(s->param, r->base[GAN_REGION_PARAM], m->region_floats[GAN_REGION_PARAM] * sizeof(float));
    memcpy(s->state, r->base[GAN_REGION_STATE], m->region_floats[GAN_REGION_STATE] * sizeof(float));
    s->n_inputs = 0;
    for (int i = 0; i < p->n_inputs; i++)
        s->n_inputs += m->tensors[p->inputs[i]].numel;
    s->inputs = malloc(s->n_inputs * sizeof(float) + 4);
    uint64_t o = 0;
    for (int i = 0; i < p->n_inputs; i++) {
        const gan_tensor *t = &m->tensors[p->inputs[i]];
        memcpy(s->inputs + o, gan_tensor_ptr(m, r->base, p->inputs[i]), t->numel * sizeof(float));
        o += t->numel;
    }
}

static void snap_restore(lower_rt *r, const gan_program *p, const snap *s)
{
    const gan_model *m = r->m;
    memcpy(r->base[GAN_REGION_PARAM], s->param, m->region_floats[GAN_REGION_PARAM] * sizeof(float));
    memcpy(r->base[GAN_REGION_STATE], s->state, m->region_floats[GAN_REGION_STATE] * sizeof(float));
    uint64_t o = 0;
    for (int i = 0; i < p->n_inputs; i++) {
        const gan_tensor *t = &m->tensors[p->inputs[i]];
        memcpy(gan_tensor_ptr(m, r->base, p->inputs[i]), s->inputs + o, t->numel * sizeof(float));
        o += t->numel;
    }
}

static void restore_inputs(lower_rt *r, const gan_program *p, const snap *s)
{
    uint64_t o = 0;
    for (int i = 0; i < p->n_inputs; i++) {
        const gan_tensor *t = &r->m->tensors[p->inputs[i]];
        memcpy(gan_tensor_ptr(r->m, r->base, p->inputs[i]), s->inputs + o, t->numel * sizeof(float));
        o += t->numel;
    }
}

static void snap_free(snap *s)
{
    free(s->param);
    free(s->state);
    free(s->inputs);
}

static double fd_at(lower_rt *r, const gan_program *p, const snap *s, uint64_t at, float h)
{
    snap_restore(r, p, s);
    r->base[GAN_REGION_PARAM][at] += h;
    run(r, p);
    double lp = out0(r, p, 0);
    snap_restore(r, p, s);
    r->base[GAN_REGION_PARAM][at] -= h;
    run(r, p);
    double lm = out0(r, p, 0);
    snap_restore(r, p, s);
    return (lp - lm) / (2.0 * h);
}

/* Finite differences of the total loss against the backward's parameter gradients. */
static void grad_check(int f, int which, int fuse)
{
    const char *pname = fixtures[f].progs[which];
    if (!pname)
        return;
    md_model *md = fixtures[f].fn(1);
    gan_model *m = build(md, fuse);
    lower_rt r;
    ck_assert_int_eq(lower_rt_init(&r, m, 1234 + (unsigned)f), 0);
    lower_rt_init_params(&r);
    gan_program *p = prog(m, pname);
    for (int j = 0; j < p->n_ops; j++)
        if (p->ops[j].type == GAN_OP_ADAM)
            p->ops[j].f[0] = 0; /* lr 0: parameters stay where the differences are taken */
    lower_rt_fill_inputs(&r, p);
    snap in0;
    snap_take(&r, p, &in0);
    /* converge the spectral-norm u vectors (lr is 0, so only state moves) so that u, v are
     * constant in w to float precision, as the backward assumes */
    for (int k = 0; k < 80; k++) {
        restore_inputs(&r, p, &in0);
        run(&r, p);
    }
    restore_inputs(&r, p, &in0);
    snap_free(&in0);
    snap s;
    snap_take(&r, p, &s);
    snap_restore(&r, p, &s);
    run(&r, p);
    float L0 = out0(&r, p, 0);
    ck_assert_msg(isfinite(L0), "%s %s: loss %g", fixtures[f].name, pname, L0);
    /* the total is the weighted sum of the terms */
    const gan_op *sum = NULL;
    for (int j = 0; j < p->n_ops; j++)
        if (p->ops[j].type == GAN_OP_LOSS_SUM)
            sum = &p->ops[j];
    ck_assert_ptr_nonnull(sum);
    double tot = 0;
    for (int k = 1; k < p->n_outputs; k++)
        tot += sum->f[k - 1] * out0(&r, p, k);
    ck_assert_msg(fabs(tot - L0) <= 1e-5 * (1 + fabs(L0)), "total %g != sum of terms %g", L0, tot);
    uint64_t ng = m->region_floats[GAN_REGION_GRAD];
    float *grad = malloc(ng * sizeof(float) + 4);
    memcpy(grad, r.base[GAN_REGION_GRAD], ng * sizeof(float));
    const gan_tensor *agg = &m->tensors[m->networks[p->network].params];
    int n_checked = 0, n_bad = 0, n_nonzero = 0;
    double worst = 0;
    for (int t = 0; t < m->n_tensors; t++) {
        const gan_tensor *x = &m->tensors[t];
        if (x->region != GAN_REGION_PARAM || (x->flags & GAN_TF_AGGREGATE) ||
            x->offset < agg->offset || x->offset >= agg->offset + agg->numel)
            continue;
        for (int rep = 0; rep < 3; rep++) {
            uint64_t i = (uint64_t)(lower_rt_uniform(&r) * (float)x->numel) % x->numel;
            uint64_t at = x->offset + i;
            /* central differences at h = 1e-3, retried at 2.5e-4: a kink crossed inside
             * [-h, h] shrinks with h, a wrong gradient rule does not */
            double an = grad[at], fd = 0, e = 0, tol = 0;
            for (float h = 1e-3f; h > 1e-4f; h /= 4) {
                fd = fd_at(&r, p, &s, at, h);
                tol = 2e-3 + 3e-2 * fmax(fabs(fd), fabs(an));
                e = fabs(fd - an);
                if (e <= tol)
                    break;
            }
            n_checked++;
            n_nonzero += fabs(an) > 1e-4;
            if (e > worst)
                worst = e;
            if (e > tol) {
                n_bad++;
                fprintf(stderr, "%s %s fuse=%d: d/d %s[%llu]: fd %.6g backward %.6g\n",
                        fixtures[f].name, pname, fuse, x->name, (unsigned long long)i, fd, an);
            }
        }
    }
    /* a kink (relu, leaky relu, hinge) inside [-h, h] can spoil one difference; a wrong rule
     * spoils many */
    ck_assert_msg(n_bad * 10 <= n_checked, "%s %s fuse=%d: %d of %d gradients off (worst %g)",
                  fixtures[f].name, pname, fuse, n_bad, n_checked, worst);
    ck_assert_msg(n_nonzero * 2 >= n_checked, "%s %s: too many zero gradients (%d of %d)",
                  fixtures[f].name, pname, n_checked - n_nonzero, n_checked);
    free(grad);
    snap_free(&s);
    lower_rt_free(&r);
    gb_model_destroy(m);
    mdfx_free(md);
}

START_TEST(finite_differences)
{
    int f = _i / 4, which = (_i / 2) % 2, fuse = _i % 2;
    grad_check(f, which, fuse);
}
END_TEST

static int close_arrays(const float *a, const float *b, uint64_t n, double atol, double rtol,
                        uint64_t *where)
{
    for (uint64_t i = 0; i < n; i++)
        if (!(fabs((double)a[i] - b[i]) <= atol + rtol * fmax(fabs(a[i]), fabs(b[i])))) {
            *where = i;
            return 0;
        }
    return 1;
}

/* fused and unfused builds: same losses, gradients, updated parameters and Adam state */
START_TEST(fused_matches_unfused)
{
    md_model *md = fixtures[_i].fn(1);
    gan_model *mf = build(md, 1), *mu = build(md, 0);
    lower_rt rf, ru;
    ck_assert_int_eq(lower_rt_init(&rf, mf, 77), 0);
    ck_assert_int_eq(lower_rt_init(&ru, mu, 77), 0);
    for (int g = 0; g < GAN_REGION_ARENA; g++)
        ck_assert_uint_eq(mf->region_floats[g], mu->region_floats[g]);
    lower_rt_init_params(&rf);
    memcpy(ru.base[GAN_REGION_PARAM], rf.base[GAN_REGION_PARAM],
           mf->region_floats[GAN_REGION_PARAM] * 4);
    memcpy(ru.base[GAN_REGION_STATE], rf.base[GAN_REGION_STATE],
           mf->region_floats[GAN_REGION_STATE] * 4);
    for (int q = 0; q < 2; q++) {
        const char *pname = fixtures[_i].progs[q];
        if (!pname)
            continue;
        gan_program *pf = prog(mf, pname), *pu = prog(mu, pname);
        lower_rt_fill_inputs(&rf, pf);
        ck_assert_int_eq(pf->n_inputs, pu->n_inputs);
        for (int i = 0; i < pf->n_inputs; i++) {
            ck_assert_int_eq(pf->input_roles[i], pu->input_roles[i]);
            memcpy(gan_tensor_ptr(mu, ru.base, pu->inputs[i]),
                   gan_tensor_ptr(mf, rf.base, pf->inputs[i]),
                   mf->tensors[pf->inputs[i]].numel * 4);
        }
        run(&rf, pf);
        run(&ru, pu);
        ck_assert_int_eq(pf->n_outputs, pu->n_outputs);
        for (int k = 0; k < pf->n_outputs; k++) {
            float a = out0(&rf, pf, k), b = out0(&ru, pu, k);
            ck_assert_msg(fabs(a - b) <= 1e-5 + 1e-4 * fabs(a), "%s %s output %d: %g vs %g",
                          fixtures[_i].name, pname, k, a, b);
        }
        static const char *const rn[3] = {"param", "state", "grad"};
        for (int g = 0; g < GAN_REGION_ARENA; g++) {
            uint64_t w = 0;
            /* params: Adam's first step is lr * g / (|g| + eps), so a gradient that is float
             * noise in both builds may flip the sign of a whole step (lr <= 2e-4 here) */
            double atol = g == GAN_REGION_PARAM ? 5e-4 : 1e-4;
            int ok = close_arrays(rf.base[g], ru.base[g], mf->region_floats[g], atol, 1e-3, &w);
            ck_assert_msg(ok, "%s %s: %s region differs at %llu: %g vs %g", fixtures[_i].name,
                          pname, rn[g], (unsigned long long)w, rf.base[g][w], ru.base[g][w]);
        }
    }
    /* Adam's t advanced exactly once per training step in both forms */
    for (int n = 0; n < mf->n_networks; n++) {
        if (mf->networks[n].grads < 0)
            continue;
        char nm[GAN_NAME_MAX + 8];
        snprintf(nm, sizeof nm, "%s.adam_t", mf->networks[n].name);
        int tf = find_tensor(mf, nm), tu = find_tensor(mu, nm);
        ck_assert_int_ge(tf, 0);
        ck_assert_int_ge(tu, 0);
        ck_assert_float_eq(*gan_tensor_ptr(mf, rf.base, tf), 1.0f);
        ck_assert_float_eq(*gan_tensor_ptr(mu, ru.base, tu), 1.0f);
    }
    lower_rt_free(&rf);
    lower_rt_free(&ru);
    gb_model_destroy(mf);
    gb_model_destroy(mu);
    mdfx_free(md);
}
END_TEST

/* inference programs run and produce finite outputs in the head's range */
START_TEST(inference_runs)
{
    md_model *md = fixtures[_i].fn(1);
    for (int fuse = 0; fuse < 2; fuse++) {
        gan_model *m = build(md, fuse);
        lower_rt r;
        ck_assert_int_eq(lower_rt_init(&r, m, 5), 0);
        lower_rt_init_params(&r);
        for (int q = 0; q < m->n_programs; q++) {
            gan_program *p = &m->programs[q];
            if (p->network >= 0)
                continue;
            lower_rt_fill_inputs(&r, p);
            run(&r, p);
            const gan_tensor *o = &m->tensors[p->outputs[0]];
            const float *d = gan_tensor_ptr(m, r.base, p->outputs[0]);
            for (uint64_t i = 0; i < o->numel; i++) {
                ck_assert_msg(isfinite(d[i]), "%s: output not finite", p->name);
                if (strcmp(p->name, "sample") == 0)
                    ck_assert_msg(d[i] >= -1 && d[i] <= 1, "sample out of tanh range: %g", d[i]);
            }
        }
        lower_rt_free(&r);
        gb_model_destroy(m);
    }
    mdfx_free(md);
}
END_TEST

/* end to end: Adam steps on a fixed batch drive the classifier's loss down */
START_TEST(training_reduces_loss)
{
    md_model *md = mdfx_classifier(1);
    for (int fuse = 0; fuse < 2; fuse++) {
        gan_model *m = build(md, fuse);
        lower_rt r;
        ck_assert_int_eq(lower_rt_init(&r, m, 11), 0);
        lower_rt_init_params(&r);
        gan_program *p = prog(m, "train_step");
        for (int j = 0; j < p->n_ops; j++)
            if (p->ops[j].type == GAN_OP_ADAM)
                p->ops[j].f[0] = 1e-2f;
        lower_rt_fill_inputs(&r, p);
        snap in;
        snap_take(&r, p, &in);
        float first = 0, last = 0;
        for (int k = 0; k < 60; k++) {
            restore_inputs(&r, p, &in);
            run(&r, p);
            last = out0(&r, p, 0);
            if (k == 0)
                first = last;
        }
        ck_assert_msg(last < 0.5f * first, "fuse=%d: loss %g -> %g", fuse, first, last);
        snap_free(&in);
        lower_rt_free(&r);
        gb_model_destroy(m);
    }
    mdfx_free(md);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lower_grad");
    TCase *tc = tcase_create("numeric");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, finite_differences, 0, N_FIXTURES * 4);
    tcase_add_loop_test(tc, fused_matches_unfused, 0, N_FIXTURES);
    tcase_add_loop_test(tc, inference_runs, 0, N_FIXTURES);
    tcase_add_test(tc, training_reduces_loss);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
