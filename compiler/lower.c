/* Lowering: md_model (per-sample graph of each network + loss objectives) -> gan_model.
 *
 * Order of work (see docs/compiler.md):
 *   1. persistent tensors: parameters per network, contiguous, with a flat aggregate; their
 *      gradients mirrored in GRAD; Adam moments, step counter, EMA copy, batch-norm running
 *      stats and spectral-norm u vectors in STATE;
 *   2. per program: the forward graph, lowered on demand from the loss expressions (a network
 *      call is memoized by (network, argument tensors): identical calls are computed once, and
 *      only the nodes a head needs are lowered); then fusion, autodiff, optimizer, EMA;
 *   3. unused arena tensors (left behind by fusion) are dropped and indices renumbered.
 * Arena offsets stay 0: the planner assigns them. This file is the driver; the steps live in
 * the files lower_internal.h lists.
 */
#include "compiler/lower_internal.h"
#include "format/model_opinfo.h"

#include <stdlib.h>
#include <string.h>

/* Drops arena tensors no program references (fusion leaves some behind); renumbers. */
static int compact(gb_ctx *g)
{
    gan_model *m = g->m;
    int *map = malloc((size_t)m->n_tensors * sizeof *map);
    if (!map)
        return gb_fail(g, "out of memory");
    for (int t = 0; t < m->n_tensors; t++)
        map[t] = m->tensors[t].region == GAN_REGION_ARENA ? -1 : 0;
    for (int p = 0; p < m->n_programs; p++) {
        gan_program *pr = &m->programs[p];
        for (int j = 0; j < pr->n_ops; j++)
            for (int k = 0; k < GAN_OP_MAX_IO; k++) {
                if (pr->ops[j].in[k] >= 0)
                    map[pr->ops[j].in[k]] = 0;
                if (pr->ops[j].out[k] >= 0)
                    map[pr->ops[j].out[k]] = 0;
            }
        for (int i = 0; i < pr->n_inputs; i++)
            map[pr->inputs[i]] = 0;
        for (int i = 0; i < pr->n_outputs; i++)
            map[pr->outputs[i]] = 0;
    }
    int n = 0;
    for (int t = 0; t < m->n_tensors; t++)
        if (map[t] == 0) {
            m->tensors[n] = m->tensors[t];
            map[t] = n++;
        }
    m->n_tensors = n;
#define R(x) do { if ((x) >= 0) (x) = map[(x)]; } while (0)
    for (int t = 0; t < n; t++)
        R(m->tensors[t].init_src);
    for (int p = 0; p < m->n_programs; p++) {
        gan_program *pr = &m->programs[p];
        for (int j = 0; j < pr->n_ops; j++)
            for (int k = 0; k < GAN_OP_MAX_IO; k++) {
                R(pr->ops[j].in[k]);
                R(pr->ops[j].out[k]);
            }
        for (int i = 0; i < pr->n_inputs; i++)
            R(pr->inputs[i]);
        for (int i = 0; i < pr->n_outputs; i++)
            R(pr->outputs[i]);
    }
    for (int k = 0; k < m->n_networks; k++) {
        R(m->networks[k].params);
        R(m->networks[k].grads);
        R(m->networks[k].ema);
    }
#undef R
    free(map);
    return 0;
}

static void free_nets(lower_ctx *L)
{
    if (!L->nets)
        return;
    for (int n = 0; n < L->md->n_networks; n++) {
        net_info *ni = &L->nets[n];
        free(ni->w); free(ni->b); free(ni->gamma); free(ni->beta);
        free(ni->rmean); free(ni->rvar); free(ni->u);
        free(ni->plist); free(ni->pgrad); free(ni->pm); free(ni->pv);
    }
    free(L->nets);
}

static int alloc_nets(lower_ctx *L)
{
    const md_model *md = L->md;
    L->nets = calloc((size_t)md->n_networks, sizeof *L->nets);
    if (!L->nets)
        return gb_fail(&L->g, "out of memory");
    for (int n = 0; n < md->n_networks; n++) {
        net_info *ni = &L->nets[n];
        ni->objective = -1;
        ni->agg_params = ni->agg_grads = ni->adam_m = ni->adam_v = ni->adam_t = ni->ema = -1;
        int nn = md->networks[n].n_nodes > 0 ? md->networks[n].n_nodes : 1;
        int **arrs[7] = {&ni->w, &ni->b, &ni->gamma, &ni->beta, &ni->rmean, &ni->rvar, &ni->u};
        for (int a = 0; a < 7; a++) {
            *arrs[a] = malloc((size_t)nn * sizeof(int));
            if (!*arrs[a])
                return gb_fail(&L->g, "out of memory");
            for (int k = 0; k < nn; k++)
                (*arrs[a])[k] = -1;
        }
    }
    return 0;
}

gan_model *gan_build(const md_model *md, const gan_build_opts *opts, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (!md) {
        if (err && errlen)
            snprintf(err, errlen, "gan_build: no model");
        return NULL;
    }
    lower_ctx L;
    memset(&L, 0, sizeof L);
    L.md = md;
    L.fuse = opts ? opts->fuse : 1;
    L.g.err = err;
    L.g.errlen = errlen;
    L.g.m = calloc(1, sizeof(gan_model));
    if (!L.g.m) {
        gb_fail(&L.g, "out of memory");
        return NULL;
    }
    gan_model *m = L.g.m;
    m->hyper = md->hyper;
    m->hyper.label_names = NULL;
    if (opts && opts->batch > 0)
        m->hyper.batch = opts->batch;
    L.batch = m->hyper.batch;
    if (L.batch <= 0 || L.batch > (1 << 20)) {
        gb_fail(&L.g, "batch size not set (got %d)", L.batch);
        goto fail;
    }
    if (md->hyper.n_labels < 0 || (md->hyper.n_labels > 0 && !md->hyper.label_names)) {
        gb_fail(&L.g, "label names missing");
        goto fail;
    }
    if (md->hyper.n_labels > 0) {
        m->hyper.label_names = malloc((size_t)md->hyper.n_labels * GAN_NAME_MAX);
        if (!m->hyper.label_names) {
            gb_fail(&L.g, "out of memory");
            goto fail;
        }
        memcpy(m->hyper.label_names, md->hyper.label_names,
               (size_t)md->hyper.n_labels * GAN_NAME_MAX);
    }
    if (alloc_nets(&L) < 0 || lw_check_md(&L) < 0 || lw_make_params(&L) < 0 ||
        lw_make_grads(&L) < 0 || lw_make_state(&L) < 0)
        goto fail;
    m->networks = calloc((size_t)md->n_networks, sizeof *m->networks);
    if (!m->networks) {
        gb_fail(&L.g, "out of memory");
        goto fail;
    }
    m->n_networks = md->n_networks;
    for (int n = 0; n < md->n_networks; n++) {
        gan_network *gn = &m->networks[n];
        net_info *ni = &L.nets[n];
        snprintf(gn->name, sizeof gn->name, "%s", md->networks[n].name);
        gn->role = md->networks[n].role;
        gn->params = ni->agg_params;
        gn->grads = ni->agg_grads;
        gn->ema = ni->ema;
        if (ni->objective >= 0) {
            const md_objective *ob = &md->objectives[ni->objective];
            gn->lr = ob->lr;
            gn->beta1 = ob->beta1;
            gn->beta2 = ob->beta2;
            gn->eps = ob->eps > 0 ? ob->eps : 1e-8f;
            gn->ema_decay = ob->ema_decay;
        }
    }
    /* training programs in a fixed order: D, G, classifier */
    static const struct { int role; const char *name; } order[3] = {
        {GAN_NET_DISCRIMINATOR, "d_step"}, {GAN_NET_GENERATOR, "g_step"},
        {GAN_NET_CLASSIFIER, "train_step"}};
    for (int r = 0; r < 3; r++) {
        int seen = 0;
        for (int o = 0; o < md->n_objectives; o++) {
            if (md->networks[md->objectives[o].network].role != order[r].role)
                continue;
            if (seen++) {
                gb_fail(&L.g, "two loss objectives for %s networks", order[r].name);
                goto fail;
            }
            if (lw_build_train(&L, o, order[r].name) < 0)
                goto fail;
        }
    }
    for (int n = 0; n < md->n_networks; n++)
        if (md->networks[n].role == GAN_NET_GENERATOR) {
            if (lw_build_infer(&L, n, "sample", 0) < 0)
                goto fail;
            break;
        }
    int have_classifier = 0;
    for (int n = 0; n < md->n_networks; n++)
        if (md->networks[n].role == GAN_NET_CLASSIFIER) {
            if (lw_build_infer(&L, n, "predict", 1) < 0 ||
                lw_build_visualize(&L, n, 0, "visualize") < 0)
                goto fail;
            have_classifier = 1;
            break;
        }
    /* a GAN: what D's attribute head looks for (a head beside the first, one value per
     * attribute), when D reads the image alone */
    for (int n = 0; !have_classifier && n < md->n_networks; n++) {
        const md_network *net = &md->networks[n];
        if (net->role != GAN_NET_DISCRIMINATOR || md->hyper.label_kind != GAN_LABELS_MULTI ||
            md->hyper.n_labels < 1)
            continue;
        int head = -1;
        for (int h = 1; h < net->n_heads && head < 0; h++)
            if (md_node_numel(&net->nodes[net->heads[h].node]) == md->hyper.n_labels)
                head = h;
        if (head > 0 && lw_build_visualize(&L, n, head, "visualize") < 0)
            goto fail;
        break;
    }
    if (compact(&L.g) < 0)
        goto fail;
    for (int p = 0; p < m->n_programs; p++) {
        double fl = 0;
        for (int j = 0; j < m->programs[p].n_ops; j++)
            fl += gan_op_flops(m, &m->programs[p].ops[j]); /* the count the planner keeps */
        m->programs[p].flops = fl;
    }
    free_nets(&L);
    return m;
fail:
    if (!L.g.failed)
        gb_fail(&L.g, "gan_build failed");
    free_nets(&L);
    gb_model_destroy(m);
    return NULL;
}
