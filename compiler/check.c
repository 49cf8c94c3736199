/* The checker's driver: fe_compile parses, then checks the declarations in order (data and
 * latent: check_data.c; networks: check_net.c and the files it uses; the train block:
 * check_train.c) and hands the result to to_model_def.c. */
#include "common/bytes.h"
#include "compiler/check_env.h"
#include "compiler/frontend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ck_shape_str(int ndim, const int *shape, char *buf, size_t len)
{
    if (ndim == 3)
        snprintf(buf, len, "[%d, %d, %d]", shape[0], shape[1], shape[2]);
    else
        snprintf(buf, len, "[%d]", shape[0]);
    return buf;
}

const char *fe_shape_str(int ndim, const int *shape, char *buf, size_t len)
{
    return ck_shape_str(ndim, shape, buf, len);
}

int ck_find_net(const ck *c, const char *name)
{
    for (int i = 0; i < c->n_nets; i++)
        if (!strcmp(c->nets[i].net.name, name))
            return i;
    return -1;
}

/* ------------------------------------------------------------------ driver */

void to_model_def(ck *c, md_model *m);  /* to_model_def.c */
void ck_free_objectives(ck *c);

static void check_file(ck *c)
{
    ast_list *decls = c->file->decls;
    fe_loc first = {0, 1};
    int decl_errors = 0; /* a network lost at declaration would make every use of it an error */
    /* pass 1: data, latent, global defaults, network names */
    for (int i = 0; decls && i < decls->n; i++) {
        ast_decl *dd = decls->v[i];
        switch (dd->kind) {
        case AD_DATA:
            if (c->data) {
                fe_error(c->d, dd->name_loc, "second data block");
                fe_note(c->d, c->data->name_loc, "the first one is here");
                break;
            }
            c->data = dd;
            ck_data(c, dd);
            break;
        case AD_LATENT:
            if (c->latent) {
                fe_error(c->d, dd->name_loc, "second latent declaration (a model has one latent)");
                break;
            }
            c->latent = dd;
            ck_latent(c, dd);
            break;
        case AD_TRAIN:
            if (c->train) {
                fe_error(c->d, dd->loc, "second train block");
                break;
            }
            c->train = dd;
            break;
        case AD_DEFAULTS:
            if (c->n_gdefs < 32)
                c->gdefs[c->n_gdefs++] = dd->defaults;
            break;
        case AD_NET: {
            if (ck_find_net(c, dd->name) >= 0) {
                fe_error(c->d, dd->name_loc, "network '%s' defined twice", dd->name);
                decl_errors = 1;
                break;
            }
            if (!strcmp(dd->name, "x") || !strcmp(dd->name, "y") || (c->latent_name && !strcmp(dd->name, c->latent_name))) {
                fe_error(c->d, dd->name_loc, "a network cannot be called '%s' (that name is an input)", dd->name);
                decl_errors = 1;
                break;
            }
            static const char *const reserved[] = {"hinge_real", "hinge_fake", "mean", "bce", "softmax_ce", "adam"};
            int clash = 0;
            for (int r = 0; r < 6; r++)
                clash |= !strcmp(dd->name, reserved[r]);
            if (clash) {
                fe_error(c->d, dd->name_loc, "a network cannot be called '%s' (a loss function or optimizer has that name)", dd->name);
                decl_errors = 1;
                break;
            }
            if (c->n_nets >= CK_MAX_NETS) {
                fe_error(c->d, dd->name_loc, "too many networks (at most %d)", CK_MAX_NETS);
                decl_errors = 1;
                break;
            }
            ck_net *ni = &c->nets[c->n_nets++];
            ni->decl = dd;
            snprintf(ni->net.name, sizeof ni->net.name, "%s", dd->name);
            ni->net.role = dd->role;
            fe_line_col(c->d, dd->name_loc.start, &ni->net.line, &ni->net.col);
            break;
        }
        }
    }
    if (!c->data)
        fe_error(c->d, decls && decls->n ? ((ast_decl *)decls->v[0])->loc : first,
                 "the model has no data block (write 'data { image 3 x 64 x 64 ... }')");
    /* global defaults are checked once, in an empty environment */
    if (c->n_gdefs) {
        env *e = calloc(1, sizeof(env));
        if (e) {
            e->c = c;
            for (int i = 0; i < c->n_gdefs; i++)
                ck_check_defaults(c, e, c->gdefs[i]);
            free(e);
        }
    }
    if (!c->have_image)
        return; /* every network depends on the image shape: stop before cascading */
    for (int i = 0; i < c->n_nets; i++)
        ck_elab_net(c, &c->nets[i]);
    for (int i = 0; i < c->n_nets; i++)
        if (c->nets[i].ok)
            ck_warn_unused(c, c->nets[i].decl->body);
    if (!c->train) {
        fe_error(c->d, decls && decls->n ? ((ast_decl *)decls->v[decls->n - 1])->loc : first,
                 "the model has no train block (write 'train { batch N  epochs N  loss ... }')");
    } else {
        int all_ok = 1;
        for (int i = 0; i < c->n_nets; i++)
            all_ok &= c->nets[i].ok;
        if (all_ok && !decl_errors)
            ck_train(c);
    }
    for (int i = 0; i < c->n_gdefs; i++)
        if (!c->gdefs[i]->used && c->d->n_errors == 0)
            fe_warning(c->d, c->gdefs[i]->loc, "these defaults are never used");
    if (c->n_labels && !c->labels_used && c->d->n_errors == 0)
        fe_warning(c->d, c->labels_loc, "labels are declared but nothing uses them (no 'y' input, head or target)");
    if (c->latent && c->d->n_errors == 0) {
        int has_gen = 0;
        for (int i = 0; i < c->n_nets; i++)
            has_gen |= c->nets[i].net.role == GAN_NET_GENERATOR;
        if (!has_gen)
            fe_warning(c->d, c->latent->name_loc, "latent '%s' is declared but the model has no generator", c->latent->name);
    }
}

/* Not text: a NUL byte, or 8 control or broken UTF-8 bytes in the first 4 KB (a binary file,
 * an image, a model.bin given by mistake). The offset of the first such byte, else -1. */
static long binary_at(const char *src, size_t len)
{
    long first = -1;
    int bad = 0;
    for (size_t i = 0; i < len && i < 4096;) {
        unsigned char c = (unsigned char)src[i];
        int n = fe_utf8_glyph(src + i, len - i);
        int ok = n > 1 || c == '\t' || c == '\n' || c == '\r' || c == '\f' || (c >= 0x20 && c != 0x7f && c < 0x80);
        if (!ok) {
            if (first < 0)
                first = (long)i;
            if (++bad >= 8 || c == 0)
                return first;
        }
        i += n > 1 ? (size_t)n : 1;
    }
    return len > 4096 && memchr(src + 4096, 0, len - 4096) ? 4096 : -1;
}

int fe_compile(const char *name, const char *src, size_t len, fe_result *out)
{
    long bin = binary_at(src, len);
    if (bin >= 0) {
        memset(out, 0, sizeof *out);
        fe_diag d;
        fe_diag_init(&d, name, src, len);
        fe_error(&d, (fe_loc){(int)bin, (int)bin + 1}, "this does not look like a .gan text file (byte 0x%02x at offset %ld); "
                       "a .gan source is text, compiled with 'ganc FILE.gan -o MODEL.bin'",
                       (unsigned char)src[bin], bin);
        fe_diag_summary(&d);
        out->n_errors = d.n_errors;
        out->messages = d.buf ? d.buf : strdup("");
        return 1;
    }
    memset(out, 0, sizeof *out);
    fe_diag d;
    fe_diag_init(&d, name, src, len);
    fe_arena *arena = fe_arena_new();
    ck *c = calloc(1, sizeof(ck));
    if (!arena || !c) {
        fe_arena_free(arena);
        free(c);
        out->messages = strdup("out of memory\n");
        out->n_errors = 1;
        return 1;
    }
    fe_parse_ctx pc = {arena, &d, NULL, NULL};
    pc.file = fe_arena_alloc(arena, sizeof(ast_file));
    pc.file->decls = ast_list_new(arena);
    fe_parse(&pc, src, len);
    if (d.n_errors == 0) {
        c->d = &d;
        c->arena = arena;
        c->file = pc.file;
        c->lo = -1;
        c->hi = 1;
        check_file(c);
    }
    if (d.n_errors == 0) {
        md_model *m = calloc(1, sizeof(md_model));
        if (m) {
            to_model_def(c, m);
            out->model = m;
        }
    }
    for (int i = 0; i < c->n_nets; i++)
        free(c->nets[i].net.nodes);
    ck_free_objectives(c);
    fe_diag_summary(&d);
    out->n_errors = d.n_errors;
    out->n_warnings = d.n_warnings;
    out->messages = d.buf ? d.buf : strdup("");
    free(c);
    fe_arena_free(arena);
    return out->n_errors ? 1 : 0;
}

/* A .gan source larger than this is surely not one (a model is a few KB of text). */
#define FE_MAX_SOURCE (64u << 20)

int fe_compile_file(const char *path, fe_result *out)
{
    memset(out, 0, sizeof *out);
    uint8_t *buf = NULL;
    size_t len = 0;
    char why[1024];
    /* gan_read_file refuses a FIFO or a device before it could block, and says why it failed */
    int r = gan_read_file(path, &buf, &len, FE_MAX_SOURCE, why, sizeof why);
    if (r) {
        size_t pl = strlen(path);
        const char *reason = !strncmp(why, path, pl) && !strncmp(why + pl, ": ", 2) ? why + pl + 2
                                                                                   : why;
        char msg[1400];
        if (r == GAN_READ_ETOOBIG)
            snprintf(msg, sizeof msg, "%s: error: %s: too large for a .gan source (limit %u "
                     "MiB)\n", path, reason, FE_MAX_SOURCE >> 20);
        else
            snprintf(msg, sizeof msg, "%s: error: cannot read the file: %s\n", path, reason);
        out->messages = strdup(msg);
        out->n_errors = 1;
        return 2;
    }
    int rc = fe_compile(path, (const char *)buf, len, out);
    free(buf);
    return rc;
}

void fe_result_free(fe_result *r)
{
    if (!r)
        return;
    md_model_free(r->model);
    free(r->messages);
    memset(r, 0, sizeof *r);
}
