/* The whole training step, end to end, against PyTorch.
 *
 * tests/golden/step/tiny_seed.gan is a tiny copy of the seed model (models/making_faces.gan:
 * spectral-norm convs with TF 'same' padding, leaky ReLU, global average pooling, adv + cls
 * heads; a generator with dense, ReLU, batch norm (Keras momentum 0.8), upsampling, an even
 * kernel 'same' conv and tanh; hinge + BCE losses; Adam with beta1 0). This test compiles it
 * in-process (front end, back end, memory plan, model.bin round trip: what ganrt would
 * load), loads the initial state that tests/gen_step_golden.py wrote in the checkpoint format
 * through the runtime's own gan_ckpt_load_matching, then runs one training step of the seed's
 * schedule (d_step, d_step, g_step) with the inputs stored next to it, and compares after each
 * run: the losses, every parameter, Adam's m (= the gradient, beta1 being 0), v and t, the
 * spectral-norm u vectors and the batch-norm running statistics, with PyTorch's values
 * (computed in float64). Then the sample program (ganrt sample: G in inference mode) on
 * PyTorch's trained state, whose image must agree and which must not touch the state.
 * Three configurations: fused (the default build) on 1 and 2 threads,
 * and --no-fuse. With STEP_GOLDEN_DUMP=DIR set, our state after each run is also written
 * there as checkpoints (CFG_RUN.ckpt) for a look with any checkpoint reader.
 *
 * What is replicated, and why each program does what it does, is in the docstring of
 * tests/gen_step_golden.py.
 *
 * Tolerances: |ours - torch| <= atol + rtol |torch| per element. The reference is exact
 * (float64 from float32-representable inputs) and our side is float32 throughout; the
 * longest chain is G forward -> D forward -> backward through both -> Adam, with reductions
 * of at most a few hundred terms of magnitude <= ~1, so the expected error is a few float32
 * ulps of the largest term (~1e-6 relative; measured: <= 2e-5 on losses, u, BN stats, see
 * the summary this test prints). rtol 1e-4 leaves margin for that while any semantic slip (a
 * wrong padding side, the momentum convention, biased/unbiased running variance, missing
 * bias correction, an extra or missing power iteration) moves values at the 1e-3 .. 1e-1
 * level. The absolute part covers values that are sums with cancellation (their error
 * scales with the terms, not the result): 1e-6 for quantities of order 1 (losses,
 * parameters, u, BN stats); for Adam m (= the gradient: beta1 is 0) and v, 1e-5 times the
 * largest |m| (|v|) of the network, because a gradient that cancels to ~0 carries the
 * round-off of the network's other gradient terms. Parameters also get the step error that
 * the measured gradient difference explains (compare_state). Parameters move by about lr per
 * step (2e-4 / 5e-5), far more than 1e-6, so a wrong gradient sign or Adam step is caught.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/backend.h"
#include "compiler/frontend.h"
#include "runtime/exec.h"
#include "format/model.h"
#include "runtime/train.h"
#include "tests/util/ref_ckpt.h"

static char gdir[1100];

static int probe(const char *dir)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/expected.ckpt", dir);
    FILE *f = fopen(p, "rb");
    if (!f)
        return 0;
    fclose(f);
    return 1;
}

/* the golden files relative to the repository root: the current directory, or two levels
 * above GAN_BUILD (build/<variant>) */
static int find_golden(void)
{
    snprintf(gdir, sizeof gdir, "tests/golden/step");
    if (probe(gdir))
        return 1;
    const char *b = getenv("GAN_BUILD");
    if (b) {
        snprintf(gdir, sizeof gdir, "%s/../../tests/golden/step", b);
        if (probe(gdir))
            return 1;
    }
    return 0;
}

/* tiny_seed.gan -> md_model -> gan_build -> plan -> plan check -> model.bin bytes -> loaded
 * and validated model, as ganc + ganrt do through a file. */
static gan_model *build_model(int fuse)
{
    char path[1200], err[1024];
    snprintf(path, sizeof path, "%s/tiny_seed.gan", gdir);
    fe_result r;
    int rc = fe_compile_file(path, &r);
    ck_assert_msg(rc == 0, "%s does not compile (%d): %s", path, rc, r.messages);
    gan_build_opts o = {fuse, 0};
    gan_model *m = gan_build(r.model, &o, err, sizeof err);
    ck_assert_msg(m != NULL, "gan_build: %s", err);
    ck_assert_msg(gan_plan(m, err, sizeof err) == 0, "gan_plan: %s", err);
    ck_assert_msg(gan_plan_check(m, err, sizeof err) == 0, "gan_plan_check: %s", err);
    void *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq(gan_model_write_mem(m, &buf, &len), 0);
    gan_model *l = gan_model_load_mem(buf, len, "tiny_seed.bin", err, sizeof err);
    ck_assert_msg(l != NULL, "model.bin round trip: %s", err);
    free(buf);
    gan_model_free(m);
    fe_result_free(&r);
    return l;
}

/* What the comparison saw, per kind of quantity, for the summary line. */
enum { Q_LOSS, Q_PARAM, Q_ADAM_M, Q_ADAM_V, Q_ADAM_T, Q_SN_U, Q_BN, Q_SAMPLE, Q_COUNT };
static const char *const q_names[Q_COUNT] = {"losses", "params", "adam_m", "adam_v", "adam_t",
                                             "sn_u", "bn_stats", "sample"};
typedef struct {
    double max_abs[Q_COUNT], max_rel[Q_COUNT], worst_ratio[Q_COUNT];
    int n[Q_COUNT];
} q_stats;

static const double RTOL = 1e-4;
static const double ATOL = 1e-6;        /* quantities of order 1 */
static const double ATOL_GRAD = 1e-5;   /* times the network's largest |m| (or |v|) */

/* extra: per-element additional allowance (NULL: none); atol as above */
static void compare(const char *cfg, const char *run, int q, const char *name, const float *got,
                    const ref_tensor *want, size_t n, double atol, const double *extra,
                    q_stats *st)
{
    ck_assert_msg(want->numel == n, "%s: %s/%s has %zu values in the golden file, the model %zu",
                  cfg, run, name, want->numel, n);
    ref_cmp c;
    int ok = ref_compare(got, want->data, n, RTOL, atol, extra, &c);
    ck_assert_msg(ok,
                  "%s: after %s: %s[%zu] = %.9g, PyTorch %.9g (|diff| %.3g, allowed %.3g); %zu of "
                  "%zu values out of tolerance",
                  cfg, run, name, c.worst, (double)got[c.worst], (double)want->data[c.worst],
                  fabs((double)got[c.worst] - want->data[c.worst]), c.worst_allow, c.n_bad, n);
    st->max_abs[q] = fmax(st->max_abs[q], c.max_abs);
    /* relative error where it means something: values well above the absolute floor */
    for (size_t i = 0; i < n; i++)
        if (fabs(want->data[i]) > 100 * atol)
            st->max_rel[q] = fmax(st->max_rel[q], fabs((double)got[i] - want->data[i]) /
                                                      fabs(want->data[i]));
    st->worst_ratio[q] = fmax(st->worst_ratio[q], c.worst_ratio);
    st->n[q]++;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static const ref_tensor *want_of(const ref_ckpt *exp, const char *run, const char *name)
{
    char nm[160];
    snprintf(nm, sizeof nm, "%s/%s", run, name);
    const ref_tensor *w = ref_ckpt_find(exp, nm);
    ck_assert_msg(w != NULL, "%s is not in expected.ckpt", nm);
    return w;
}

/* network index of a parameter "G.conv1.w" */
static int net_of(const gan_model *m, const char *name)
{
    char net[GAN_NAME_MAX];
    snprintf(net, sizeof net, "%s", name);
    char *dot = strchr(net, '.');
    ck_assert(dot != NULL);
    *dot = 0;
    int ni = gan_model_find_network(m, net);
    ck_assert_msg(ni >= 0, "no network %s for %s", net, name);
    return ni;
}

/* Adam m or v of parameter t: its own tensor (unfused), or its slice of the network's flat
 * m / v (fused: the same offset as in the flat parameter buffer). */
static const float *adam_state(const gan_model *m, float *const base[GAN_REGION_COUNT], int t,
                               int v)
{
    const gan_tensor *T = &m->tensors[t];
    int ni = net_of(m, T->name);
    char own[GAN_NAME_MAX + 8], flat[GAN_NAME_MAX + 8];
    snprintf(own, sizeof own, "%s%s", T->name, v ? ".adam_v" : ".adam_m");
    snprintf(flat, sizeof flat, "%s%s", m->networks[ni].name, v ? ".adam_v" : ".adam_m");
    int ti = gan_model_find_tensor(m, own);
    if (ti >= 0)
        return gan_tensor_ptr(m, base, ti);
    int fi = gan_model_find_tensor(m, flat);
    ck_assert_msg(fi >= 0, "neither %s nor %s in the model", own, flat);
    return gan_tensor_ptr(m, base, fi) + (T->offset - m->tensors[m->networks[ni].params].offset);
}

/* largest |value| of PyTorch's m (v = 0) or v (v = 1) over all parameters of network ni */
static double net_max(const gan_model *m, const ref_ckpt *exp, const char *run, int ni, int v)
{
    double mx = 0;
    char nm[GAN_NAME_MAX + 8];
    for (int t = 0; t < m->n_tensors; t++) {
        const gan_tensor *T = &m->tensors[t];
        if (T->region != GAN_REGION_PARAM || (T->flags & GAN_TF_AGGREGATE) ||
            net_of(m, T->name) != ni)
            continue;
        snprintf(nm, sizeof nm, "%s%s", T->name, v ? ".adam_v" : ".adam_m");
        const ref_tensor *w = want_of(exp, run, nm);
        for (size_t i = 0; i < w->numel; i++)
            mx = fmax(mx, fabs(w->data[i]));
    }
    return mx;
}

/* Compares everything a checkpoint holds (and the losses) with the snapshot "run/...".
 *
 * Parameters get one more, derived, allowance: Adam turns a gradient error dg into a step
 * error of up to lr * |dg| / (sqrt(v_hat) + eps) (the derivative of the step with respect to
 * the gradient is at most that, beta1 being 0). For a gradient that is exactly 0 in exact
 * arithmetic -- a bias feeding batch norm: BN removes the channel mean, so the bias gets
 * nothing -- float32 leaves round-off of ~1e-8 where float64 leaves ~1e-17, and Adam divides
 * it by eps = 1e-7: the parameter moves by ~0.1 lr in float32 and ~0 in float64. Both are
 * right to their precision; the gradient itself is held to ATOL_GRAD above, and the
 * parameter to what that measured gradient difference can cause (twice it, accumulated
 * over the runs in carry[], per element of the PARAM region). */
static void compare_state(const char *cfg, const char *run, const gan_model *m,
                          float *const base[GAN_REGION_COUNT], const gan_program *p,
                          const ref_ckpt *exp, double *carry, q_stats *st)
{
    char nm[160];
    snprintf(nm, sizeof nm, "%s/losses", run);
    const ref_tensor *wl = ref_ckpt_find(exp, nm);
    ck_assert_msg(wl != NULL, "%s missing from expected.ckpt", nm);
    ck_assert_msg((size_t)p->n_outputs == wl->numel, "%s: %s has %d outputs, PyTorch %zu losses",
                  cfg, p->name, p->n_outputs, wl->numel);
    float losses[8];
    ck_assert(p->n_outputs <= 8);
    for (int k = 0; k < p->n_outputs; k++)
        losses[k] = *gan_tensor_ptr(m, base, p->outputs[k]);
    compare(cfg, run, Q_LOSS, "losses", losses, wl, (size_t)p->n_outputs, ATOL, NULL, st);

    int n_compared = 0;
    for (int t = 0; t < m->n_tensors; t++) {
        const gan_tensor *T = &m->tensors[t];
        if (T->region != GAN_REGION_STATE || (T->flags & GAN_TF_AGGREGATE) ||
            ends_with(T->name, ".adam_m") || ends_with(T->name, ".adam_v"))
            continue; /* Adam m, v: with their parameter below */
        int q = ends_with(T->name, ".u") ? Q_SN_U : ends_with(T->name, "adam_t") ? Q_ADAM_T : Q_BN;
        compare(cfg, run, q, T->name, gan_tensor_ptr(m, base, t), want_of(exp, run, T->name),
                (size_t)T->numel, ATOL, NULL, st);
        n_compared++;
    }
    for (int t = 0; t < m->n_tensors; t++) {
        const gan_tensor *T = &m->tensors[t];
        if (T->region != GAN_REGION_PARAM || (T->flags & GAN_TF_AGGREGATE))
            continue;
        int ni = net_of(m, T->name);
        const gan_network *net = &m->networks[ni];
        char mn[GAN_NAME_MAX + 8], vn[GAN_NAME_MAX + 8];
        snprintf(mn, sizeof mn, "%s.adam_m", T->name);
        snprintf(vn, sizeof vn, "%s.adam_v", T->name);
        const ref_tensor *wm = want_of(exp, run, mn), *wv = want_of(exp, run, vn);
        const float *gm = adam_state(m, base, t, 0), *gv = adam_state(m, base, t, 1);
        double atol_m = ATOL_GRAD * net_max(m, exp, run, ni, 0);
        double atol_v = ATOL_GRAD * net_max(m, exp, run, ni, 1);
        compare(cfg, run, Q_ADAM_M, mn, gm, wm, (size_t)T->numel, atol_m > 0 ? atol_m : ATOL,
                NULL, st);
        compare(cfg, run, Q_ADAM_V, vn, gv, wv, (size_t)T->numel, atol_v > 0 ? atol_v : ATOL,
                NULL, st);
        double *extra = carry + T->offset;
        if (p->network == ni) { /* this run stepped this network's Adam */
            double tstep = 0;
            char tn[GAN_NAME_MAX + 8];
            snprintf(tn, sizeof tn, "%s.adam_t", net->name);
            tstep = want_of(exp, run, tn)->data[0];
            double bc2 = 1.0 - pow((double)net->beta2, tstep);
            for (size_t i = 0; i < T->numel; i++) {
                double vhat = (double)wv->data[i] / bc2;
                extra[i] += 2.0 * net->lr * fabs((double)gm[i] - wm->data[i]) /
                            (sqrt(vhat) + net->eps);
            }
        }
        compare(cfg, run, Q_PARAM, T->name, gan_tensor_ptr(m, base, t), want_of(exp, run, T->name),
                (size_t)T->numel, ATOL, extra, st);
        n_compared += 3;
    }
    /* nothing PyTorch computed went unchecked */
    int n_expected = 0;
    size_t rl = strlen(run);
    for (int i = 0; i < exp->n; i++)
        if (!strncmp(exp->t[i].name, run, rl) && exp->t[i].name[rl] == '/' &&
            strcmp(exp->t[i].name + rl + 1, "losses"))
            n_expected++;
    ck_assert_msg(n_compared == n_expected,
                  "%s: compared %d tensors after %s, expected.ckpt has %d for it", cfg,
                  n_compared, run, n_expected);
}

static void fill_inputs(const char *cfg, const gan_model *m, float *const base[GAN_REGION_COUNT],
                        const gan_program *p, const char *run, const ref_ckpt *exp)
{
    static const char *const role_key[GAN_ROLE_COUNT] = {"x", "y", "z", "d"};
    for (int k = 0; k < p->n_inputs; k++) {
        int role = p->input_roles[k];
        ck_assert(role >= 0 && role < GAN_ROLE_COUNT);
        char nm[160];
        snprintf(nm, sizeof nm, "in/%s.%s", run, role_key[role]);
        const ref_tensor *w = ref_ckpt_find(exp, nm);
        ck_assert_msg(w != NULL, "%s: input %s missing from expected.ckpt", cfg, nm);
        const gan_tensor *T = &m->tensors[p->inputs[k]];
        ck_assert_msg(T->numel == w->numel, "%s: input %s: %zu values, the program wants %llu",
                      cfg, nm, w->numel, (unsigned long long)T->numel);
        memcpy(gan_tensor_ptr(m, base, p->inputs[k]), w->data, w->numel * sizeof(float));
    }
}

static const struct {
    const char *label;
    int fuse, threads;
} configs[] = {
    {"fused, 1 thread", 1, 1},
    {"fused, 2 threads", 1, 2},
    {"unfused, 1 thread", 0, 1},
};

START_TEST(step_against_torch)
{
    const char *cfg = configs[_i].label;
    char err[1024], path[1200];
    gan_model *m = build_model(configs[_i].fuse);

    ref_ckpt exp, ini;
    snprintf(path, sizeof path, "%s/expected.ckpt", gdir);
    ck_assert_msg(ref_ckpt_read(path, &exp, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/init.ckpt", gdir);
    ck_assert_msg(ref_ckpt_read(path, &ini, err, sizeof err) == 0, "%s", err);

    float *base[GAN_REGION_COUNT];
    for (int r = 0; r < GAN_REGION_COUNT; r++) {
        base[r] = malloc((m->region_floats[r] + 1) * sizeof(float));
        ck_assert(base[r] != NULL);
        /* NaN everywhere: anything read before it is written shows up in the comparison */
        for (uint64_t k = 0; k <= m->region_floats[r]; k++)
            base[r][k] = NAN;
    }
    /* Adam m, v are zeros at the start of training (init ZEROS); the golden initial state
     * stores the fused model's flat m, v too, which the unfused model splits per parameter */
    for (int t = 0; t < m->n_tensors; t++)
        if (ends_with(m->tensors[t].name, ".adam_m") || ends_with(m->tensors[t].name, ".adam_v"))
            memset(gan_tensor_ptr(m, base, t), 0, m->tensors[t].numel * sizeof(float));

    /* the initial state through the runtime's checkpoint loader (ganrt train --init) */
    int n_loaded = 0;
    ck_assert_msg(gan_ckpt_load_matching(path, m, base, NULL, &n_loaded, err, sizeof err) == 0,
                  "%s", err);
    int n_incl = 0;
    for (int t = 0; t < m->n_tensors; t++) {
        if (!gan_ckpt_tensor_included(m, t))
            continue;
        n_incl++;
        const char *nm = m->tensors[t].name;
        const ref_tensor *w = ref_ckpt_find(&ini, nm);
        ck_assert_msg(w != NULL || ends_with(nm, ".adam_m") || ends_with(nm, ".adam_v"),
                      "%s: the model's %s is not in init.ckpt", cfg, nm);
        if (w)
            ck_assert_msg(!memcmp(gan_tensor_ptr(m, base, t), w->data, w->numel * sizeof(float)),
                          "%s: %s not loaded from init.ckpt", cfg, nm);
    }
    ck_assert_msg(n_loaded > 0 && n_loaded <= n_incl, "%s: loaded %d of %d", cfg, n_loaded,
                  n_incl);

    double *carry = calloc(m->region_floats[GAN_REGION_PARAM] + 1, sizeof(double));
    ck_assert(carry != NULL);
    static const char *const runs[] = {"d1", "d2", "g"};
    q_stats st;
    memset(&st, 0, sizeof st);
    for (int k = 0; k < 3; k++) {
        int pi = gan_model_find_program(m, k < 2 ? "d_step" : "g_step");
        ck_assert(pi >= 0);
        const gan_program *p = &m->programs[pi];
        fill_inputs(cfg, m, base, p, runs[k], &exp);
        int rc = gan_exec_program(m, p, base, configs[_i].threads, err, sizeof err);
        ck_assert_msg(rc == 0, "%s: %s (%s): %s", cfg, p->name, runs[k], err);
        const char *dump = getenv("STEP_GOLDEN_DUMP"); /* a directory: keep our state */
        if (dump) {
            snprintf(path, sizeof path, "%s/%d_%s.ckpt", dump, _i, runs[k]);
            gan_ckpt_info info;
            memset(&info, 0, sizeof info);
            ck_assert_msg(gan_ckpt_write(path, m, base, &info, err, sizeof err) == 0, "%s", err);
        }
        compare_state(cfg, runs[k], m, base, p, &exp, carry, &st);
    }
    /* then the sample program: G in inference mode (running statistics, no power iteration),
     * which must leave the state as it was. It starts from PyTorch's state after g_step, not
     * ours: the biases that feed batch norm differ by Adam-amplified round-off (see
     * compare_state), which BN's batch statistics cancel in training but its running
     * statistics do not, so from our own state the image would inherit ~5e-6 of it. */
    for (int t = 0; t < m->n_tensors; t++) {
        const gan_tensor *T = &m->tensors[t];
        if ((T->region != GAN_REGION_PARAM && T->region != GAN_REGION_STATE) ||
            (T->flags & GAN_TF_AGGREGATE) || ends_with(T->name, ".adam_m") ||
            ends_with(T->name, ".adam_v"))
            continue;
        const ref_tensor *w = want_of(&exp, "g", T->name);
        ck_assert(w->numel == T->numel);
        memcpy(gan_tensor_ptr(m, base, t), w->data, w->numel * sizeof(float));
    }
    int ps = gan_model_find_program(m, "sample");
    ck_assert(ps >= 0);
    const gan_program *sp = &m->programs[ps];
    fill_inputs(cfg, m, base, sp, "s", &exp);
    size_t state_bytes = m->region_floats[GAN_REGION_STATE] * sizeof(float);
    float *state_before = malloc(state_bytes + sizeof(float));
    ck_assert(state_before != NULL);
    memcpy(state_before, base[GAN_REGION_STATE], state_bytes);
    ck_assert_msg(gan_exec_program(m, sp, base, configs[_i].threads, err, sizeof err) == 0,
                  "%s: sample: %s", cfg, err);
    ck_assert_int_eq(sp->n_outputs, 1);
    const ref_tensor *wimg = ref_ckpt_find(&exp, "s/image");
    ck_assert_msg(wimg != NULL, "s/image missing from expected.ckpt");
    compare(cfg, "sample", Q_SAMPLE, "image", gan_tensor_ptr(m, base, sp->outputs[0]), wimg,
            (size_t)m->tensors[sp->outputs[0]].numel, ATOL, NULL, &st);
    for (int t = 0; t < m->n_tensors; t++) {
        const gan_tensor *T = &m->tensors[t];
        if (T->region == GAN_REGION_STATE &&
            (ends_with(T->name, ".u") || ends_with(T->name, ".running_mean") ||
             ends_with(T->name, ".running_var")))
            ck_assert_msg(!memcmp(gan_tensor_ptr(m, base, t), state_before + T->offset,
                                  T->numel * sizeof(float)),
                          "%s: the sample program changed %s", cfg, T->name);
    }
    free(state_before);
    printf("step_golden [%s]: agrees with PyTorch after d_step, d_step, g_step, sample:\n",
           cfg);
    for (int q = 0; q < Q_COUNT; q++)
        printf("  %-9s %3d tensors  max |diff| %.2e  max rel %.2e  worst/allowed %.3f\n",
               q_names[q], st.n[q], st.max_abs[q], st.max_rel[q], st.worst_ratio[q]);

    for (int r = 0; r < GAN_REGION_COUNT; r++)
        free(base[r]);
    free(carry);
    ref_ckpt_free(&exp);
    ref_ckpt_free(&ini);
    gan_model_free(m);
}
END_TEST

int main(void)
{
    if (!find_golden()) {
        printf("test_step_golden: SKIPPED: tests/golden/step not found (run from the repository "
               "root or set GAN_BUILD; regenerate with /usr/bin/python3 tests/gen_step_golden.py)"
               "\n");
        return 0;
    }
    Suite *s = suite_create("step_golden");
    TCase *tc = tcase_create("torch");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, step_against_torch, 0, (int)(sizeof configs / sizeof configs[0]));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
