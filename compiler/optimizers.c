/* The optimizer table and the checker of `optimizer NET = NAME(options)`. */
#include "compiler/optimizers.h"
#include "compiler/check_internal.h"
#include "format/ops.h"

#include <stdio.h>
#include <string.h>

static const md_optim_info optims[MD_OPT_COUNT] = {
    [MD_OPT_ADAM] = {"adam", GAN_OP_ADAM, 2, {"adam_m", "adam_v"}, "adam_t"},
    [MD_OPT_SGD] = {"sgd", GAN_OP_SGD, 1, {"sgd_buf", NULL}, "sgd_t"},
    [MD_OPT_RMSPROP] = {"rmsprop", GAN_OP_RMSPROP, 1, {"rmsprop_sq", NULL}, "rmsprop_t"},
};

const md_optim_info *md_optim_of(int kind)
{
    return kind >= 0 && kind < MD_OPT_COUNT ? &optims[kind] : NULL;
}

enum { K_LR, K_BETA1, K_BETA2, K_EPS, K_MOMENTUM, K_ALPHA, K_WD, K_SCHEDULE, K_WARMUP, K_FINAL,
       K_DECAY, K_HOLD, K_COUNT };
#define ADAM (1u << MD_OPT_ADAM)
#define SGD (1u << MD_OPT_SGD)
#define RMS (1u << MD_OPT_RMSPROP)
#define ALL (ADAM | SGD | RMS)

/* Each option: who takes it and its range; lo/hi are closed unless the flag opens them. */
static const struct {
    const char *name;
    unsigned takers;
    double lo, hi;
    int lo_open, hi_open, integer;
    const char *range;
} opts[K_COUNT] = {
    [K_LR] = {"lr", ALL, 0, 10, 1, 1, 0, "0 < lr < 10"},
    [K_BETA1] = {"beta1", ADAM, 0, 1, 0, 1, 0, "0 <= beta < 1"},
    [K_BETA2] = {"beta2", ADAM, 0, 1, 0, 1, 0, "0 <= beta < 1"},
    [K_EPS] = {"eps", ADAM | RMS, 0, 1, 1, 1, 0, "0 < eps < 1"},
    [K_MOMENTUM] = {"momentum", SGD, 0, 1, 0, 1, 0, "0 <= momentum < 1"},
    [K_ALPHA] = {"alpha", RMS, 0, 1, 1, 1, 0, "0 < alpha < 1"},
    [K_WD] = {"weight_decay", ALL, 0, 1, 0, 1, 0, "0 <= weight_decay < 1"},
    [K_SCHEDULE] = {"schedule", ALL, 0, 0, 0, 0, 0, "constant, linear or cosine"},
    [K_WARMUP] = {"warmup", ALL, 0, 1e9, 0, 0, 1, "a whole number of steps, 0 to 1e9"},
    [K_FINAL] = {"final_lr", ALL, 0, 1, 0, 0, 0, "0 <= final_lr <= 1, a share of lr"},
    [K_DECAY] = {"decay_steps", ALL, 1, 1e9, 0, 0, 1, "a whole number of steps, 1 to 1e9"},
    [K_HOLD] = {"hold", ALL, 0, 1e9, 0, 0, 1, "a whole number of steps, 0 to 1e9"},
};
static const char *const schedules[] = {"constant", "linear", "cosine"};

static void defaults(md_objective *o)
{
    o->lr = o->optim == MD_OPT_SGD ? 1e-2f : 1e-3f;
    o->beta1 = o->optim == MD_OPT_ADAM ? 0.9f : o->optim == MD_OPT_RMSPROP ? 0.9f : 0.0f;
    o->beta2 = o->optim == MD_OPT_ADAM ? 0.999f : 0.0f;
    o->eps = o->optim == MD_OPT_SGD ? 0.0f : 1e-7f; /* Keras' defaults, as the seed model's */
    o->weight_decay = 0;
    o->schedule = 0;
    o->warmup = 0;
    o->decay_steps = 0;
    o->hold = 0;
    o->final_lr = 0;
}

/* The option names `who` takes, for messages and suggestions; their count. */
static int names_of(int who, const char **names)
{
    int n = 0;
    for (int k = 0; k < K_COUNT; k++)
        if (opts[k].takers & (1u << who))
            names[n++] = opts[k].name;
    return n;
}

static void unknown_option(ck *c, int who, const ast_expr *k)
{
    const char *names[K_COUNT], *on = optims[who].name;
    int n = names_of(who, names);
    char list[256] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
    const char *sg = k->kind == AE_IDENT ? fe_suggest(k->name, names, n) : NULL;
    int other = -1; /* an optimizer that does take it: sgd's momentum given to adam */
    for (int j = 0; k->kind == AE_IDENT && j < K_COUNT; j++)
        if (!strcmp(opts[j].name, k->name))
            for (int o = 0; o < MD_OPT_COUNT && other < 0; o++)
                if (opts[j].takers & (1u << o))
                    other = o;
    /* "lr -1" is read as the subtraction lr - 1: name the option and its range */
    const ast_expr *a = k->kind == AE_BIN && k->op == '-' ? k->a : NULL;
    int ka = -1;
    for (int j = 0; a && a->kind == AE_IDENT && j < K_COUNT; j++)
        if ((opts[j].takers & (1u << who)) && !strcmp(opts[j].name, a->name))
            ka = j;
    if (ka >= 0)
        fe_error(c->d, k->loc, "'%s' with a negative value: %s must be %s (and '%s -x' reads "
                 "as a subtraction)", opts[ka].name, opts[ka].name, opts[ka].range, opts[ka].name);
    else if (other >= 0)
        fe_error(c->d, k->loc, "'%s' is an option of %s, not of %s (which takes %s)", k->name,
                 optims[other].name, on, list);
    else if (sg)
        fe_error(c->d, k->loc, "unknown %s option '%s'; did you mean '%s'?", on, k->name, sg);
    else if (k->kind == AE_IDENT)
        fe_error(c->d, k->loc, "unknown %s option '%s' (expected %s)", on, k->name, list);
    else
        fe_error(c->d, k->loc, "expected an %s option name (%s) before the value", on, list);
}

/* One `key value` pair into o. 0, or -1 after reporting. */
static int set_option(ck *c, md_objective *o, int ki, const ast_expr *v, fe_loc *sched_loc)
{
    if (ki == K_SCHEDULE) {
        int s = v->kind == AE_IDENT ? fe_name_index(v->name, schedules, 3) : -1;
        if (s < 0) {
            if (v->kind == AE_IDENT)
                fe_error_unknown(c->d, v->loc, "unknown schedule", v->name, schedules, 3,
                                 " (expected constant, linear or cosine)");
            else
                fe_error(c->d, v->loc, "schedule needs a name: constant, linear or cosine");
            return -1;
        }
        o->schedule = s;
        *sched_loc = v->loc;
        return 0;
    }
    if (v->kind != AE_NUM) {
        fe_error(c->d, v->loc, "option '%s' needs a number", opts[ki].name);
        return -1;
    }
    double x = v->num;
    int ok = (opts[ki].lo_open ? x > opts[ki].lo : x >= opts[ki].lo) &&
             (opts[ki].hi_open ? x < opts[ki].hi : x <= opts[ki].hi) &&
             (!opts[ki].integer || x == (double)(long long)x);
    if (!ok) {
        fe_error(c->d, v->loc, "%s = %g is out of range (%s)", opts[ki].name, x, opts[ki].range);
        return -1;
    }
    switch (ki) {
    case K_LR: o->lr = (float)x; break;
    case K_BETA1: case K_MOMENTUM: case K_ALPHA: o->beta1 = (float)x; break;
    case K_BETA2: o->beta2 = (float)x; break;
    case K_EPS: o->eps = (float)x; break;
    case K_WD: o->weight_decay = (float)x; break;
    case K_WARMUP: o->warmup = (int)x; break;
    case K_FINAL: o->final_lr = (float)x; break;
    case K_HOLD: o->hold = (int)x; break;
    default: o->decay_steps = (long long)x; break;
    }
    return 0;
}

/* A decay needs a span: the train block's steps or decay_steps; the warm-up and the hold must
 * end in it, and a hold without a decay would do nothing (so it is refused, not ignored). */
static void check_schedule(ck *c, const md_objective *o, fe_loc sched_loc, fe_loc call_loc)
{
    if (o->schedule == 0 && o->hold > 0) {
        fe_error(c->d, call_loc, "hold %d delays a decay, but the schedule is constant; give "
                 "schedule linear or cosine", o->hold);
        return;
    }
    long long span = o->decay_steps ? o->decay_steps : (long long)c->hyper.steps;
    if (o->schedule != 0 && span == 0) {
        fe_error(c->d, sched_loc, "schedule %s decays over the train block's steps, which are not "
                 "set (epochs decide them at run time); give decay_steps N", schedules[o->schedule]);
        return;
    }
    if (o->schedule != 0 && o->warmup >= span)
        fe_error(c->d, call_loc, "warmup %d is not shorter than the decay's %lld steps", o->warmup,
                 span);
    else if (o->schedule != 0 && o->hold >= span)
        fe_error(c->d, call_loc, "hold %d is not shorter than the decay's %lld steps: the decay "
                 "would never start", o->hold, span);
}

void ck_optimizer(ck *c, ast_stmt *s, md_objective *o)
{
    ast_expr *call = s->value;
    static const char *const names[] = {"adam", "sgd", "rmsprop"};
    int who = fe_name_index(call->name, names, MD_OPT_COUNT);
    o->optim = who < 0 ? MD_OPT_ADAM : who;
    defaults(o);
    if (who < 0) {
        fe_error_unknown(c->d, call->name_loc, "unknown optimizer", call->name, names, MD_OPT_COUNT,
                         " (expected adam, sgd or rmsprop)");
        return;
    }
    int seen[K_COUNT] = {0};
    fe_loc sched_loc = call->loc;
    for (int g = 0; g < call->args->n; g++) {
        ast_list *w = call->args->v[g];
        for (int i = 0; i < w->n; i++) {
            ast_expr *k = w->v[i];
            int ki = -1;
            if (k->kind == AE_IDENT)
                for (int j = 0; j < K_COUNT; j++)
                    if ((opts[j].takers & (1u << who)) && !strcmp(opts[j].name, k->name))
                        ki = j;
            if (ki < 0) {
                unknown_option(c, who, k);
                if (i + 1 < w->n && ((ast_expr *)w->v[i + 1])->kind == AE_NUM)
                    i++;
                continue;
            }
            if (seen[ki])
                fe_error(c->d, k->loc, "option '%s' given twice", opts[ki].name);
            seen[ki] = 1;
            if (i + 1 >= w->n) {
                fe_error(c->d, k->loc, ki == K_SCHEDULE ? "option '%s' needs a name"
                                                       : "option '%s' needs a number", opts[ki].name);
                continue;
            }
            set_option(c, o, ki, w->v[++i], &sched_loc);
        }
    }
    check_schedule(c, o, sched_loc, call->loc);
}

void md_optim_describe(const md_objective *o, char *buf, size_t len)
{
    const md_optim_info *in = md_optim_of(o->optim);
    int n = 0;
    if (o->optim == MD_OPT_ADAM)
        n = snprintf(buf, len, "adam lr %g beta1 %g beta2 %g eps %g", o->lr, o->beta1, o->beta2,
                     o->eps);
    else if (o->optim == MD_OPT_SGD)
        n = snprintf(buf, len, "sgd lr %g momentum %g", o->lr, o->beta1);
    else
        n = snprintf(buf, len, "%s lr %g alpha %g eps %g", in ? in->name : "?", o->lr, o->beta1,
                     o->eps);
    if (n < 0 || (size_t)n >= len)
        return;
    if (o->weight_decay > 0)
        n += snprintf(buf + n, len - (size_t)n, " weight_decay %g", o->weight_decay);
    if ((size_t)n < len && (o->schedule || o->warmup))
        snprintf(buf + n, len - (size_t)n, " schedule %s warmup %d hold %d final_lr %g",
                 schedules[o->schedule], o->warmup, o->hold, o->final_lr);
}
