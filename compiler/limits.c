/* Resource limits: a model whose parameters or planned memory are beyond what a training
 * machine holds is refused at compile time, at the network responsible, instead of
 * failing later in ganrt with an allocation error (or, worse, swapping). */
#include "compiler/backend.h"
#include "compiler/frontend.h"
#include <string.h>

#include "common/err.h"
#include "format/model.h"

gan_limits gan_default_limits(void)
{
    gan_limits l = {GAN_DEFAULT_MAX_PARAMS, GAN_DEFAULT_MAX_MEMORY};
    return l;
}

static uint64_t net_params(const md_network *net)
{
    long long tr, nt;
    fe_network_params(net, &tr, &nt);
    return (uint64_t)(tr > 0 ? tr : 0) + (uint64_t)(nt > 0 ? nt : 0);
}

static void locate(const md_model *md, int n, int *line, int *col)
{
    *line = n >= 0 && n < md->n_networks ? md->networks[n].line : 0;
    *col = n >= 0 && n < md->n_networks ? md->networks[n].col : 0;
}

int gan_check_md_limits(const md_model *md, const gan_limits *lim, char *err, size_t errlen,
                        int *line, int *col)
{
    uint64_t total = 0, most = 0;
    int worst = -1;
    for (int n = 0; n < md->n_networks; n++) {
        uint64_t p = net_params(&md->networks[n]);
        total += p;
        if (worst < 0 || p > most)
            most = p, worst = n;
    }
    locate(md, worst, line, col);
    /* model.bin holds a network's parameters as one tensor, at most 2^31 - 1 floats: a hard
     * bound whatever --max-params says, reported here with the network's location rather
     * than by the lowering, which has none */
    if (most > 0x7fffffffULL)
        return gan_errf(err, errlen,
                        "network '%s' has %llu parameters; a network may have at most "
                        "2147483647 (the model format's limit)",
                        md->networks[worst].name, (unsigned long long)most);
    if (total <= lim->max_params)
        return 0;
    return gan_errf(err, errlen,
                    "network '%s' has %llu parameters (%llu in the whole model); the limit is "
                    "%llu (ganc --max-params N raises it)",
                    md->networks[worst].name, (unsigned long long)most,
                    (unsigned long long)total, (unsigned long long)lim->max_params);
}

static double mib(uint64_t floats) { return (double)floats * 4.0 / (1024.0 * 1024.0); }

/* The network a program belongs to; sample / predict run the generator / classifier. */
static int program_network(const gan_model *m, const gan_program *p)
{
    if (p->network >= 0 && p->network < m->n_networks)
        return p->network;
    for (int n = 0; n < m->n_networks; n++)
        if (m->networks[n].role != GAN_NET_DISCRIMINATOR)
            return n;
    return m->n_networks ? 0 : -1;
}

int gan_check_plan_limits(const gan_model *m, const md_model *md, const gan_limits *lim,
                          char *err, size_t errlen, int *line, int *col)
{
    uint64_t floats = 0;
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        floats += m->region_floats[r];
    *line = *col = 0;
    if (floats <= lim->max_memory / 4)
        return 0;
    /* Blame the activations' largest program when they dominate, else the biggest network's
     * weights (parameters drive the state and gradient regions too). */
    uint64_t arena = m->region_floats[GAN_REGION_ARENA];
    int big = 0, net = -1;
    for (int i = 1; i < m->n_programs; i++)
        if (m->programs[i].arena_floats > m->programs[big].arena_floats)
            big = i;
    if (m->n_programs && arena * 2 >= floats) {
        net = program_network(m, &m->programs[big]);
    } else {
        uint64_t most = 0;
        for (int n = 0; n < m->n_networks; n++) {
            int t = m->networks[n].params;
            uint64_t p = t >= 0 && t < m->n_tensors ? m->tensors[t].numel : 0;
            if (net < 0 || p > most)
                most = p, net = n;
        }
    }
    const char *name = net >= 0 && net < m->n_networks ? m->networks[net].name : "?";
    int mdn = -1;
    for (int n = 0; n < md->n_networks; n++)
        if (net >= 0 && net < m->n_networks && !strcmp(md->networks[n].name, name))
            mdn = n;
    locate(md, mdn, line, col);
    return gan_errf(err, errlen,
                    "the model needs %.1f MiB (parameters %.1f, optimizer and other state %.1f, "
                    "gradients %.1f, activations %.1f MiB, the most in program '%s' of network "
                    "'%s'); the limit is %.1f MiB (ganc --max-memory SIZE raises it)",
                    mib(floats), mib(m->region_floats[GAN_REGION_PARAM]),
                    mib(m->region_floats[GAN_REGION_STATE]), mib(m->region_floats[GAN_REGION_GRAD]),
                    mib(arena), m->n_programs ? m->programs[big].name : "?", name,
                    (double)lim->max_memory / (1024.0 * 1024.0));
}
