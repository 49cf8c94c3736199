/* The layer table (compiler/layers.h) assembled from compiler/layer_list.h, and its lookups.
 * The rows are those of the kinds in the list's order, so a new kind's rows come after all
 * that were there: the "did you mean" candidates of a name keep their order. */
#include "compiler/layers.h"

#include <string.h>

const char *const layer_opt_names[O_COUNT] = {
    "kernel", "stride", "padding", "init", "momentum", "eps", "alpha", "factor",
    "spectral_norm", "no_spectral_norm", "bias", "no_bias", "affine", "no_affine",
};

#define LAYER_KIND(ID, name, value) extern const layer_kind layer_kind_##name;
#include "compiler/layer_list.h"
#undef LAYER_KIND

/* md_kind numbers 1 to the number of kinds, each once (a repeated one is a duplicate case in
 * layer_kind_of), so every md_kind has its facts. */
#define LAYER_KIND(ID, name, value) \
    _Static_assert(MD_##ID >= 1 && MD_##ID < MD_KIND_COUNT, "layer_list.h: " #ID "'s value is not 1 to the number of kinds");
#include "compiler/layer_list.h"
#undef LAYER_KIND

double layer_no_flops(const md_network *net, const md_node *n)
{
    (void)net;
    (void)n;
    return 0;
}

/* A network's formal input: no layer, no row, no inputs of its own. */
static const layer_kind layer_kind_input = {
    .name = "input",
    .inputs = LAYER_NO_INPUTS,
    .flops = layer_no_flops,
};

static const layer_kind *const kinds_in_order[] = {
#define LAYER_KIND(ID, name, value) &layer_kind_##name,
#include "compiler/layer_list.h"
#undef LAYER_KIND
};
#define N_KINDS ((int)(sizeof kinds_in_order / sizeof kinds_in_order[0]))

const layer_kind *layer_kind_of(int md_kind)
{
    switch (md_kind) {
    case MD_INPUT:
        return &layer_kind_input;
#define LAYER_KIND(ID, name, value) \
    case MD_##ID:                   \
        return &layer_kind_##name;
#include "compiler/layer_list.h"
#undef LAYER_KIND
    default:
        return NULL;
    }
}

int layer_row_count(void)
{
    int n = 0;
    for (int i = 0; i < N_KINDS; i++)
        n += kinds_in_order[i]->n_rows;
    return n;
}

const layer_row *layer_row_at(int i)
{
    for (int k = 0; k < N_KINDS && i >= 0; k++) {
        if (i < kinds_in_order[k]->n_rows)
            return &kinds_in_order[k]->rows[i];
        i -= kinds_in_order[k]->n_rows;
    }
    return NULL;
}

const layer_row *layer_find(const char *name)
{
    const layer_row *r;
    for (int i = 0; (r = layer_row_at(i)); i++)
        if (r->name && !strcmp(r->name, name))
            return r;
    return NULL;
}

const layer_row *layer_of_node(const md_node *n)
{
    const layer_kind *k = layer_kind_of(n->kind);
    for (int i = 0; k && i < k->n_rows; i++)
        if (!k->rows[i].act || k->rows[i].act == n->act)
            return &k->rows[i];
    return NULL;
}

int layer_names(const char **out, int only_defaultable)
{
    int n = 0;
    const layer_row *r;
    for (int i = 0; n < LAYER_MAX_ROWS && (r = layer_row_at(i)); i++)
        if (r->name && (!only_defaultable || r->defaultable))
            out[n++] = r->name;
    return n;
}

int layer_inputs(const layer_kind *k, const md_node *nd)
{
    switch (k->inputs) {
    case LAYER_ONE_INPUT: return 1;
    case LAYER_NO_INPUTS: return 0;
    case LAYER_SOME_INPUTS: return nd->n_in >= 1 ? nd->n_in : 1;
    default: return k->inputs;
    }
}

int layer_opt_find(const char *word)
{
    for (int k = 0; k < O_COUNT; k++)
        if (!strcmp(layer_opt_names[k], word))
            return k;
    return -1;
}

int layer_opt_has_value(int o)
{
    return o < O_SN;
}

int layer_opt_slot(int o)
{
    return o == O_NO_SN ? O_SN : o == O_NO_BIAS ? O_BIAS : o == O_NO_AFFINE ? O_AFFINE : o;
}

int layer_opt_is_on(int o)
{
    return o == O_SN || o == O_BIAS || o == O_AFFINE;
}
