/* The data block (image shape, pixel range, CelebA labels) and the latent declaration. */
#include "compiler/check_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "common/names.h"

void ck_data(ck *c, ast_decl *dd)
{
    int have_range = 0, have_labels = 0, image_given = 0;
    static const char *const keys[] = {"image", "range", "labels"};
    for (int i = 0; dd->body && i < dd->body->n; i++) {
        ast_stmt *it = dd->body->v[i];
        if (!strcmp(it->name, "image")) {
            int again = image_given;
            image_given = 1;
            if (again) {
                fe_error(c->d, it->name_loc, "'image' given twice");
                continue;
            }
            ast_expr *v = it->value;
            if (!v || v->kind != AE_DIMS || v->ndims != 3) {
                fe_error(c->d, v ? v->loc : it->loc, "image needs channels x height x width, e.g. 'image 3 x 64 x 64'");
                continue;
            }
            int ok = 1;
            for (int k = 0; k < 3; k++)
                if (v->dims[k] < 1 || v->dims[k] > (k == 0 ? GAN_HYPER_MAX_CHANNELS : GAN_HYPER_MAX_SIDE))
                    ok = 0;
            if (!ok) {
                /* quoted from the source: a side past INT_MAX is not what the user wrote */
                fe_error(c->d, v->loc, "image size '%.*s' is out of range (channels 1..%d, height and width 1..%d)",
                         v->loc.end - v->loc.start, c->d->src + v->loc.start,
                         GAN_HYPER_MAX_CHANNELS, GAN_HYPER_MAX_SIDE);
                continue;
            }
            c->img_c = v->dims[0];
            c->img_h = v->dims[1];
            c->img_w = v->dims[2];
            c->have_image = 1;
        } else if (!strcmp(it->name, "range")) {
            if (have_range) {
                fe_error(c->d, it->name_loc, "'range' given twice");
                continue;
            }
            if (!it->values || it->values->n != 2 || ((ast_expr *)it->values->v[0])->kind != AE_NUM) {
                fe_error(c->d, it->value ? it->value->loc : it->loc, "range needs two numbers, e.g. 'range [-1, 1]'");
                continue;
            }
            double lo = ((ast_expr *)it->values->v[0])->num, hi = ((ast_expr *)it->values->v[1])->num;
            if (!(lo < hi) || !isfinite(lo) || !isfinite(hi)) {
                fe_error(c->d, it->value->loc, "range [%g, %g] is empty: the low end must be below the high end", lo, hi);
                continue;
            }
            if (lo < -GAN_HYPER_MAX_RANGE || hi > GAN_HYPER_MAX_RANGE) {
                fe_error(c->d, it->value->loc, "range [%g, %g] is too wide: each end must be within [-%g, %g]",
                         lo, hi, GAN_HYPER_MAX_RANGE, GAN_HYPER_MAX_RANGE);
                continue;
            }
            c->lo = (float)lo;
            c->hi = (float)hi;
            have_range = 1;
        } else if (!strcmp(it->name, "labels")) {
            if (have_labels) {
                fe_error(c->d, it->name_loc, "'labels' given twice");
                continue;
            }
            have_labels = 1;
            c->labels_loc = it->name_loc;
            if (!it->values || (it->values->n && ((ast_expr *)it->values->v[0])->kind != AE_IDENT) || it->value) {
                fe_error(c->d, it->value ? it->value->loc : it->loc, "labels needs a list of label names, e.g. 'labels [Smiling, Male]' or 'labels one_of [cat, dog]'");
                continue;
            }
            int kind = GAN_LABELS_MULTI;
            /* after an error, keep a label count so the networks still check without cascading */
            c->n_labels = it->values->n < CK_MAX_LABELS ? it->values->n : CK_MAX_LABELS;
            for (int k = 0; k < c->n_labels; k++)
                c->labels[k] = "?";
            c->label_kind = kind;
            if (it->modifier) {
                if (strcmp(it->modifier, "one_of")) {
                    static const char *const mods[] = {"one_of"};
                    const char *s = fe_suggest(it->modifier, mods, 1);
                    fe_error(c->d, it->modifier_loc, "unknown label kind '%s'%s%s%s", it->modifier,
                             s ? "; did you mean '" : "; write 'labels [..]' (multilabel) or 'labels one_of [..]' (one class",
                             s ? s : ")", s ? "'?" : "");
                    continue;
                }
                kind = GAN_LABELS_CATEGORICAL;
            }
            c->label_kind = kind;
            if (it->values->n == 0) {
                c->n_labels = 0;
                fe_error(c->d, it->loc, "labels list is empty (leave out 'labels' for an unconditional model)");
                continue;
            }
            if (kind == GAN_LABELS_CATEGORICAL && it->values->n < 2) {
                fe_error(c->d, it->loc, "'labels one_of' needs at least two classes");
                continue;
            }
            ck_label_names(c, it->values);
        } else {
            fe_error_unknown(c->d, it->name_loc, "unknown data setting", it->name, keys, 3,
                             " (expected image, range or labels)");
        }
    }
    if (!image_given)
        fe_error(c->d, dd->loc.start >= 0 ? (fe_loc){dd->loc.start, dd->loc.start + 4} : dd->loc,
                 "data block has no 'image C x H x W'");
}

void ck_latent(ck *c, ast_decl *ld)
{
    ast_expr *sz = ld->size;
    if (!sz->is_int || sz->num < 1 || sz->num > 1e6) {
        fe_error(c->d, sz->loc, "latent size must be a whole number from 1 to 1000000");
        return;
    }
    c->latent_size = (int)sz->num;
    c->latent_name = ld->name;
    c->latent_dist = GAN_LATENT_NORMAL;
    if (ld->dist) {
        if (!strcmp(ld->dist, "normal"))
            c->latent_dist = GAN_LATENT_NORMAL;
        else if (!strcmp(ld->dist, "uniform"))
            c->latent_dist = GAN_LATENT_UNIFORM;
        else {
            static const char *const dists[] = {"normal", "uniform"};
            const char *s = fe_suggest(ld->dist, dists, 2);
            fe_error(c->d, ld->dist_loc, "unknown distribution '%s'; %s%s%s", ld->dist,
                     s ? "did you mean '" : "expected normal or uniform", s ? s : "", s ? "'?" : "");
        }
    }
    if (!strcmp(ld->name, "x") || !strcmp(ld->name, "y"))
        fe_error(c->d, ld->name_loc, "the latent cannot be called '%s': 'x' is the image and 'y' the labels", ld->name);
}
