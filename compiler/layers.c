/* The layer table (compiler/layers.h) assembled from compiler/layer_list.h (generated from
 * the kinds' files), and its lookups. The rows are those of the kinds in md_kind number
 * order, so a new kind (the next free number) has its rows after all that were there: the
 * "did you mean" candidates of a name keep their order. */
#include "compiler/layers.h"

#include <string.h>

const char *const layer_opt_names[O_COUNT] = {
    "kernel", "stride", "padding", "init", "momentum", "eps", "alpha", "factor", "translation",
    "cutout", "spectral_norm", "no_spectral_norm", "bias", "no_bias", "affine", "no_affine",
    "color", "no_color",
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

/* Every kind, by md_kind number (the generated list is in number order; the numbers are 1 to
 * the number of kinds, each once, as asserted above). */
static const layer_kind *const kinds_by_number[] = {
#define LAYER_KIND(ID, name, value) &layer_kind_##name,
#include "compiler/layer_list.h"
#undef LAYER_KIND
};
#define N_KINDS ((int)(sizeof kinds_by_number / sizeof kinds_by_number[0]))

/* The table's order: the twelve kinds written before the list was generated keep the order
 * their rows had then (project's rows came before add's, tile's last), since "did you mean"
 * breaks ties by it; every later kind follows in number order. */
static const layer_kind *const first_kinds[] = {
    &layer_kind_dense, &layer_kind_conv, &layer_kind_conv_t, &layer_kind_upsample,
    &layer_kind_batchnorm, &layer_kind_act, &layer_kind_concat, &layer_kind_reshape,
    &layer_kind_gap, &layer_kind_project, &layer_kind_add, &layer_kind_tile,
};
#define N_FIRST ((int)(sizeof first_kinds / sizeof first_kinds[0]))
_Static_assert(N_FIRST <= N_KINDS, "a kind of the first twelve is missing");

static const layer_kind *kind_in_order(int k)
{
    return k < N_FIRST ? first_kinds[k] : kinds_by_number[k];
}

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
    for (int k = 0; k < N_KINDS; k++)
        n += kind_in_order(k)->n_rows;
    return n;
}

const layer_row *layer_row_at(int i)
{
    for (int k = 0; k < N_KINDS && i >= 0; k++) {
        const layer_kind *lk = kind_in_order(k);
        if (i < lk->n_rows)
            return &lk->rows[i];
        i -= lk->n_rows;
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
    return o == O_NO_SN ? O_SN : o == O_NO_BIAS ? O_BIAS : o == O_NO_AFFINE ? O_AFFINE
         : o == O_NO_COLOR ? O_COLOR : o;
}

int layer_opt_is_on(int o)
{
    return o == O_SN || o == O_BIAS || o == O_AFFINE || o == O_COLOR;
}
