/* The programs: a training program per loss objective (its loss terms, fusion, autodiff, the
 * optimizer over the trained network, EMA) and the inference programs (sample, predict). */
#include "compiler/losses.h"
#include "compiler/lower_internal.h"
#include "compiler/optimizers.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int lower_term(prog_ctx *P, const md_loss_term *t, int idx)
{
    gb_ctx *g = &P->L->g;
    int a = lw_eval_expr(P, t->arg, 0);
    if (a < 0)
        return -1;
    char nm[GAN_NAME_MAX];
    gb_name(nm, "%s.loss%d", P->pname, idx + 1);
    int l = lw_arena(P, nm, 1, (int[]){1});
    if (l < 0)
        return -1;
    const loss_row *row = loss_of_kind(t->kind);
    if (!row)
        return gb_fail(g, "%s: unknown loss kind %d", P->pname, t->kind);
    int tgt = -1, o = -1;
    if (row->target != LOSS_TARGET_NONE && t->target) {
        if ((tgt = lw_eval_expr(P, t->target, 0)) < 0)
            return -1;
        if (g->m->tensors[tgt].numel != g->m->tensors[a].numel)
            return gb_fail(g, "%s: loss term %d: target has %llu values, prediction %llu",
                           P->pname, idx + 1, (unsigned long long)g->m->tensors[tgt].numel,
                           (unsigned long long)g->m->tensors[a].numel);
    }
    int x = a;
    if (row->via_sigmoid) {
        /* the two-op form; fusion turns it into the logits form (LOSS_BCE_LOGITS) */
        gb_suffix(nm, g->m->tensors[a].name, ".sigmoid");
        if ((x = gb_tensor_like(g, nm, a)) < 0 || (o = lw_op(P, GAN_OP_ACT, 1, &a, 1, &x)) < 0)
            return -1;
        P->ops.ops[o].i[0] = GAN_ACT_SIGMOID;
    }
    if (row->target == LOSS_TARGET_NONE)
        o = lw_op(P, row->op, 1, &x, 1, &l);
    else
        o = lw_op(P, row->op, 2, (int[]){x, tgt}, 1, &l);
    if (o >= 0) /* f1: the scale of mean, the constant target of the others */
        P->ops.ops[o].f[1] = row->signed_scale ? t->scale : t->const_target;
    if (o < 0 || g->failed)
        return -1;
    P->ops.ops[o].f[0] = t->weight;
    return l;
}

static void prog_free(prog_ctx *P)
{
    for (int c = 0; c < P->n_calls; c++)
        free(P->calls[c].val);
    if (P->wsn)
        for (int n = 0; n < P->L->md->n_networks; n++)
            free(P->wsn[n]);
    free(P->wsn);
    gb_oplist_free(&P->ops);
}

static int prog_init(prog_ctx *P, lower_ctx *L, const char *name, int train)
{
    memset(P, 0, sizeof *P);
    P->L = L;
    P->pname = name;
    P->train = train;
    P->x = P->y = P->z = P->d = -1;
    P->wsn = calloc((size_t)L->md->n_networks, sizeof *P->wsn);
    if (!P->wsn)
        return gb_fail(&L->g, "out of memory");
    for (int n = 0; n < L->md->n_networks; n++) {
        int nn = L->md->networks[n].n_nodes;
        P->wsn[n] = malloc((size_t)nn * sizeof(int));
        if (!P->wsn[n])
            return gb_fail(&L->g, "out of memory");
        for (int k = 0; k < nn; k++)
            P->wsn[n][k] = -1;
    }
    return 0;
}

/* Appends the finished program to the model (takes the op list). */
static int prog_finish(prog_ctx *P, int network, const int *outs, int n_outs)
{
    gan_model *m = P->L->g.m;
    gb_ctx *g = &P->L->g;
    gan_program *np = realloc(m->programs, (size_t)(m->n_programs + 1) * sizeof *np);
    if (!np)
        return gb_fail(g, "out of memory");
    m->programs = np;
    gan_program *p = &m->programs[m->n_programs];
    *p = (gan_program){.role = gan_program_role_of_name(P->pname), .network = network};
    snprintf(p->name, sizeof p->name, "%s", P->pname); /* the role's own name (d_step, ...) */
    int ins[4] = {P->x, P->y, P->z, P->d};
    int roles[4] = {GAN_ROLE_IMAGE, GAN_ROLE_LABELS, GAN_ROLE_LATENT, GAN_ROLE_DIRECTION};
    p->inputs = malloc(4 * sizeof(int));
    p->input_roles = malloc(4 * sizeof(int));
    p->outputs = malloc((size_t)(n_outs > 0 ? n_outs : 1) * sizeof(int));
    m->n_programs++; /* from here on gb_model_destroy frees what is attached */
    if (!p->inputs || !p->input_roles || !p->outputs)
        return gb_fail(g, "out of memory");
    for (int r = 0; r < 4; r++)
        if (ins[r] >= 0) {
            p->inputs[p->n_inputs] = ins[r];
            p->input_roles[p->n_inputs++] = roles[r];
        }
    memcpy(p->outputs, outs, (size_t)n_outs * sizeof(int));
    p->n_outputs = n_outs;
    p->ops = P->ops.ops;
    p->n_ops = P->ops.n;
    P->ops.ops = NULL;
    P->ops.n = P->ops.cap = 0;
    return 0;
}

/* The objective's optimizer step: one op over the network's flat buffers (fused), or one per
 * parameter tensor sharing the update counter, which the first increments. The schedule's
 * warm-up and span are in training steps; the op counts updates, d_steps per step for D. */
static int optimizer_ops(prog_ctx *P, const md_objective *ob, const net_info *ni)
{
    const lower_ctx *L = P->L;
    const md_optim_info *in = md_optim_of(ob->optim);
    const gan_hyper *h = &L->md->hyper;
    long long ups = L->md->networks[ob->network].role == GAN_NET_DISCRIMINATOR && h->d_steps > 0
                        ? h->d_steps : 1;
    long long span = ob->schedule ? (ob->decay_steps ? ob->decay_steps : (long long)h->steps) : 0;
    if (!in || span * ups > INT32_MAX || (long long)ob->warmup * ups > INT32_MAX ||
        (long long)ob->hold * ups > INT32_MAX)
        return gb_fail(&P->L->g, "%s: optimizer schedule out of range", L->md->networks[ob->network].name);
    int n = L->fuse ? 1 : ni->n_params;
    for (int p = 0; p < n; p++) {
        int ins[5], k = 0;
        ins[k++] = L->fuse ? ni->agg_params : ni->plist[p];
        ins[k++] = L->fuse ? ni->agg_grads : ni->pgrad[p];
        ins[k++] = L->fuse ? ni->adam_m : ni->pm[p];
        if (in->n_state == 2)
            ins[k++] = L->fuse ? ni->adam_v : ni->pv[p];
        ins[k++] = ni->adam_t;
        int o = lw_op(P, in->op, k, ins, 0, NULL);
        if (o < 0)
            return -1;
        gan_op *op = &P->ops.ops[o];
        op->i[0] = p == 0;
        op->i[1] = ob->schedule;
        op->i[2] = (int)(ob->warmup * ups);
        op->i[3] = (int)(span * ups);
        op->i[4] = (int)(ob->hold * ups);
        op->f[0] = ob->lr;
        op->f[1] = ob->beta1;
        op->f[2] = ob->beta2;
        op->f[3] = ob->optim == MD_OPT_SGD ? 0.0f : ob->eps > 0 ? ob->eps : 1e-8f;
        op->f[4] = ob->weight_decay;
        op->f[5] = ob->final_lr;
    }
    return 0;
}

int lw_build_train(lower_ctx *L, int obj, const char *name)
{
    const md_objective *ob = &L->md->objectives[obj];
    int tn = ob->network;
    net_info *ni = &L->nets[tn];
    gb_ctx *g = &L->g;
    prog_ctx P;
    int rc = -1;
    int *pgrad = NULL;
    if (prog_init(&P, L, name, 1) < 0)
        goto out;
    /* the trained network's gradients start from zero: one ZERO over the flat buffer */
    if (lw_op(&P, GAN_OP_ZERO, 0, NULL, 1, &ni->agg_grads) < 0)
        goto out;
    int outs[9];
    for (int t = 0; t < ob->n_terms; t++)
        if ((outs[t + 1] = lower_term(&P, &ob->terms[t], t)) < 0)
            goto out;
    char nm[GAN_NAME_MAX];
    gb_name(nm, "%s.loss", name);
    if ((outs[0] = lw_arena(&P, nm, 1, (int[]){1})) < 0)
        goto out;
    int s = lw_op(&P, GAN_OP_LOSS_SUM, ob->n_terms, outs + 1, 1, outs);
    if (s < 0)
        goto out;
    for (int t = 0; t < ob->n_terms; t++)
        P.ops.ops[s].f[t] = ob->terms[t].weight;
    if (L->fuse && gan_fuse_forward(g, &P.ops, outs, ob->n_terms + 1) < 0)
        goto out;
    int np = g->m->n_tensors;
    pgrad = malloc((size_t)np * sizeof *pgrad);
    if (!pgrad) {
        gb_fail(g, "out of memory");
        goto out;
    }
    for (int t = 0; t < np; t++)
        pgrad[t] = -1;
    for (int p = 0; p < ni->n_params; p++)
        pgrad[ni->plist[p]] = ni->pgrad[p];
    if (gan_autodiff(g, &P.ops, P.ops.n, pgrad, np) < 0)
        goto out;
    /* a training program differentiates batch statistics, never running ones */
    for (int j = 0; j < P.ops.n; j++)
        if (P.ops.ops[j].type == GAN_OP_BN_INFER_BWD) {
            gb_fail(g, "%s: autodiff through bn_infer in a training program", name);
            goto out;
        }
    if (optimizer_ops(&P, ob, ni) < 0)
        goto out;
    if (ni->ema >= 0) {
        /* after the optimizer op, which has counted this update in adam_t */
        int o = lw_op(&P, GAN_OP_EMA, 3, (int[]){ni->agg_params, ni->ema, ni->adam_t}, 0, NULL);
        if (o < 0)
            goto out;
        P.ops.ops[o].f[0] = ob->ema_decay;
    }
    rc = prog_finish(&P, tn, outs, ob->n_terms + 1);
out:
    free(pgrad);
    prog_free(&P);
    return rc;
}

/* Inference program: the network's forward in inference mode; outputs its heads (sample:
 * the first head only, the image). */
int lw_build_infer(lower_ctx *L, int n, const char *name, int all_heads)
{
    const md_network *net = &L->md->networks[n];
    gb_ctx *g = &L->g;
    prog_ctx P;
    int rc = -1;
    if (prog_init(&P, L, name, 0) < 0)
        goto out;
    int args[8];
    for (int i = 0; i < net->n_inputs; i++) {
        int role = net->inputs[i].kind == MD_IN_IMAGE    ? GAN_ROLE_IMAGE
                   : net->inputs[i].kind == MD_IN_LABELS ? GAN_ROLE_LABELS
                   : net->inputs[i].kind == MD_IN_LATENT ? GAN_ROLE_LATENT
                                                         : -1;
        if (role < 0) {
            gb_fail(g, "%s: input %s of %s cannot be fed by the runtime", name,
                    net->inputs[i].name, net->name);
            goto out;
        }
        if ((args[i] = lw_get_input(&P, role)) < 0)
            goto out;
    }
    int c = lw_find_call(&P, n, net->n_inputs, args);
    if (c < 0)
        goto out;
    int outs[8];
    int n_outs = all_heads ? net->n_heads : 1;
    for (int h = 0; h < n_outs; h++)
        if ((outs[h] = lw_node_tensor(&P, c, net->heads[h].node)) < 0)
            goto out;
    if (L->fuse && gan_fuse_forward(g, &P.ops, outs, n_outs) < 0)
        goto out;
    rc = prog_finish(&P, -1, outs, n_outs);
out:
    prog_free(&P);
    return rc;
}


int lw_build_visualize(lower_ctx *L, int n, int head, const char *name)
{
    const md_network *net = &L->md->networks[n];
    gb_ctx *g = &L->g;
    prog_ctx P;
    int rc = -1, *pgrad = NULL;
    if (prog_init(&P, L, name, 0) < 0)
        goto out;
    P.grad = 1;
    if (net->n_inputs != 1 || net->inputs[0].kind != MD_IN_IMAGE) {
        rc = 0; /* a classifier of more than the image: nothing to visualize */
        goto out;
    }
    int x = lw_get_input(&P, GAN_ROLE_IMAGE);
    int c = x < 0 ? -1 : lw_find_call(&P, n, 1, &x);
    if (c < 0)
        goto out;
    /* the head ascended on first (the runtime reads outputs[0]), then the others */
    int outs[10], nh = net->n_heads < 8 ? net->n_heads : 8;
    for (int h = 0, k = 0; h < nh; h++) {
        int src = h == 0 ? head : h <= head ? h - 1 : h;
        if ((outs[k++] = lw_node_tensor(&P, c, net->heads[src].node)) < 0)
            goto out;
    }
    int hshape[GAN_MAX_DIMS], hdim = g->m->tensors[outs[0]].ndim; /* copied: tensors move */
    memcpy(hshape, g->m->tensors[outs[0]].shape, sizeof hshape);
    char nm[GAN_NAME_MAX];
    gb_name(nm, "%s.direction", name);
    if ((P.d = lw_arena(&P, nm, hdim, hshape)) < 0)
        goto out;
    gb_name(nm, "%s.objective", name);
    int loss = lw_arena(&P, nm, 1, (int[]){1});
    int o = loss < 0 ? -1 : lw_op(&P, GAN_OP_LOSS_DOT, 2, (int[]){outs[0], P.d}, 1, &loss);
    if (o < 0)
        goto out;
    P.ops.ops[o].f[0] = 1.0f;
    P.ops.ops[o].f[1] = 1.0f;
    /* the image's gradient: zeroed here, then accumulated by the backward ops */
    gb_name(nm, "%s.x.grad", name);
    int dx = gb_tensor_like(g, nm, x);
    if (dx < 0 || lw_op(&P, GAN_OP_ZERO, 0, NULL, 1, &dx) < 0)
        goto out;
    int nt = g->m->n_tensors;
    if (!(pgrad = malloc((size_t)nt * sizeof *pgrad))) {
        gb_fail(g, "out of memory");
        goto out;
    }
    for (int t = 0; t < nt; t++)
        pgrad[t] = -1;
    pgrad[x] = dx;
    if (gan_autodiff(g, &P.ops, P.ops.n, pgrad, nt) < 0)
        goto out;
    outs[nh] = dx;
    outs[nh + 1] = loss;
    rc = prog_finish(&P, -1, outs, nh + 2);
out:
    free(pgrad);
    prog_free(&P);
    return rc;
}
