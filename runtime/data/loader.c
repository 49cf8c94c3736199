/* The batch loader. Design (docs/data.md):
 *  - The sample sequence is the concatenation of epoch orders; epoch e's order is a
 *    Fisher-Yates shuffle seeded by mix(seed, e), so (epoch, index) names a position exactly.
 *  - One background thread (the worker) walks that sequence ahead of the consumer and decodes
 *    each sample (crop + area resize, uint8 CHW) into a ring of slots; the consumer takes slots
 *    strictly in sequence order. Thread timing can change when a slot is filled, never what
 *    it holds, so batches are deterministic.
 *  - Decoded images are also kept in a uint8 cache (all of them when they fit the budget, else
 *    the first ones) that only the worker touches, so later epochs do not decode again.
 *  - A bad image (missing, unreadable, corrupt) is reported by the worker in its slot; the
 *    consumer skips it, warns once per image on stderr and counts it. next() fails with an
 *    error once more than 1% are bad: more than 1% of the whole set known bad, or more than
 *    1% of the distinct images seen once 1000 (or all) have been seen.
 */
#include "runtime/data.h"
#include "runtime/data/data_int.h"
#include "common/err.h"
#include "format/model.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SLOT_MSG 320
#define DEFAULT_CACHE_MB 1024

struct gan_loader {
    /* configuration */
    int c, h, w, kind, n_labels, batch;
    float lo, hi;
    uint64_t seed;
    char *root;            /* the folder image names are relative to (DIR/img_align_celeba) */
    int face_crop;         /* CelebA layout: the face crop; else a centred square */
    size_t n;              /* images in the sequence (after exclusion and limit) */
    char (*files)[GAN_FILE_MAX]; /* [n] */
    float *labels;         /* [n * n_labels] */
    size_t chw;
    size_t excluded;
    gan_split_info split;
    /* worker-only */
    unsigned char *cache;  /* [n_cache * chw] */
    size_t n_cache;
    unsigned char *state;  /* [n]: 0 unknown, 1 ok (in cache if cached), 2 bad */
    size_t *perm;          /* worker's current epoch order */
    uint64_t perm_epoch;
    int perm_valid;
    uint64_t w_epoch, w_index;
    /* the ring, shared under mu */
    int ring_n;
    unsigned char *ring_px;    /* [ring_n * chw] */
    size_t *ring_img;          /* image index per slot */
    unsigned char *ring_ok;
    char (*ring_msg)[SLOT_MSG];
    uint64_t produced, consumed;
    int stop, running;
    pthread_t thr;
    pthread_mutex_t mu;
    pthread_cond_t has_data, has_space;
    /* consumer-only */
    uint64_t c_epoch, c_index;
    unsigned char *seen;       /* [n] */
    size_t seen_count, bad_count;
};

static void make_perm(size_t *perm, size_t n, uint64_t seed, uint64_t epoch) {
    uint64_t s = gan_seed_mix(seed, epoch);
    for (size_t i = 0; i < n; i++) perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)gan_sm64_below(&s, i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

/* Decodes image idx into dst (uint8 CHW); returns 0, or -1 with msg. */
static int decode_one(gan_loader *l, size_t idx, unsigned char *dst, char *msg, size_t msglen) {
    size_t plen = strlen(l->root) + GAN_FILE_MAX + 8;
    char *path = malloc(plen);
    if (!path) {
        return gan_errf(msg, msglen, "%s: out of memory", l->files[idx]);
    }
    snprintf(path, plen, "%s/%s", l->root, l->files[idx]);
    /* The attribute file says .jpg; a converted copy may be .png (or the reverse). */
    struct stat st;
    char *dot = strrchr(path, '.');
    if (stat(path, &st) != 0 && dot && (!strcmp(dot, ".jpg") || !strcmp(dot, ".png"))) {
        char saved[8];
        snprintf(saved, sizeof saved, "%s", dot);
        strcpy(dot, !strcmp(saved, ".jpg") ? ".png" : ".jpg");
        if (stat(path, &st) != 0) strcpy(dot, saved); /* report the name the file gives */
    }
    gan_image8 img;
    int rc = gan_image_read_file_min(path, l->c, l->h > l->w ? l->h : l->w, &img, msg, msglen);
    free(path);
    if (rc != 0) return -1;
    if (l->face_crop) gan_image_crop_resize(&img, l->h, l->w, dst);
    else gan_image_center_crop_resize(&img, l->h, l->w, dst);
    free(img.px);
    return 0;
}

static void *worker(void *arg) {
    gan_loader *l = arg;
    for (;;) {
        pthread_mutex_lock(&l->mu);
        while (!l->stop && l->produced - l->consumed >= (uint64_t)l->ring_n)
            pthread_cond_wait(&l->has_space, &l->mu);
        if (l->stop) {
            pthread_mutex_unlock(&l->mu);
            break;
        }
        int slot = (int)(l->produced % (uint64_t)l->ring_n);
        pthread_mutex_unlock(&l->mu);

        if (!l->perm_valid || l->perm_epoch != l->w_epoch) {
            make_perm(l->perm, l->n, l->seed, l->w_epoch);
            l->perm_epoch = l->w_epoch;
            l->perm_valid = 1;
        }
        size_t idx = l->perm[l->w_index];
        unsigned char *dst = l->ring_px + (size_t)slot * l->chw;
        int ok;
        if (l->state[idx] == 2) {
            ok = 0;
            snprintf(l->ring_msg[slot], SLOT_MSG, "%s: unreadable (reported before)", l->files[idx]);
        } else if (l->state[idx] == 1 && idx < l->n_cache) {
            memcpy(dst, l->cache + idx * l->chw, l->chw);
            ok = 1;
        } else {
            ok = decode_one(l, idx, dst, l->ring_msg[slot], SLOT_MSG) == 0;
            l->state[idx] = ok ? 1 : 2;
            if (ok && idx < l->n_cache) memcpy(l->cache + idx * l->chw, dst, l->chw);
        }
        l->ring_img[slot] = idx;
        l->ring_ok[slot] = (unsigned char)ok;
        if (++l->w_index >= l->n) l->w_index = 0, l->w_epoch++;

        pthread_mutex_lock(&l->mu);
        l->produced++;
        pthread_cond_signal(&l->has_data);
        pthread_mutex_unlock(&l->mu);
    }
    return NULL;
}

static int start_worker(gan_loader *l, uint64_t epoch, uint64_t index, char *err, size_t errlen) {
    l->produced = l->consumed = 0;
    l->stop = 0;
    l->w_epoch = l->c_epoch = epoch;
    l->w_index = l->c_index = index;
    int rc = pthread_create(&l->thr, NULL, worker, l);
    if (rc != 0) {
        return gan_errf(err, errlen, "data loader: cannot start the decode thread: %s",
                        strerror(rc));
    }
    l->running = 1;
    return 0;
}

static void stop_worker(gan_loader *l) {
    if (!l->running) return;
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_broadcast(&l->has_space);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thr, NULL);
    l->running = 0;
}

/* The rows of the wanted part (docs/evaluation.md): keep[i] for each of the n files. NULL
 * in *keep means every row; otherwise the caller frees it. */
static int split_rows(gan_loader *l, const gan_loader_opts *o, const char (*files)[GAN_FILE_MAX], size_t n,
                      unsigned char **keep, char *err, size_t errlen) {
    *keep = NULL;
    if (o->split == GAN_SPLIT_ALL) return 0;
    *keep = malloc(n ? n : 1);
    if (!*keep) return gan_errf(err, errlen, "data loader: out of memory");
    if (gan_split_mark(o->dir, files, n, o->holdout, *keep, &l->split, err, errlen)) return -1;
    for (size_t i = 0; i < n; i++) (*keep)[i] = (*keep)[i] == (o->split == GAN_SPLIT_HELDOUT);
    return 0;
}

/* The data set's rows that the loader walks: its layout, the part, the labels by name. */
static int read_rows(gan_loader *l, const gan_loader_opts *o, char *err, size_t errlen) {
    gan_dataset ds;
    if (gan_dataset_open(o->dir, o->label_kind, &ds, err, errlen)) return -1;
    l->root = ds.root, ds.root = NULL;
    l->face_crop = ds.layout == GAN_LAYOUT_CELEBA;
    unsigned char *keep;
    gan_picked p = {0};
    int rc = split_rows(l, o, (const char (*)[GAN_FILE_MAX])ds.t.files, ds.t.n_rows, &keep, err,
                        errlen);
    if (!rc) rc = gan_pick_rows(o, l->n_labels, &ds, keep, &p, err, errlen);
    free(keep);
    gan_dataset_free(&ds);
    l->files = p.files;
    l->labels = p.labels;
    l->n = p.n;
    l->excluded = p.excluded;
    return rc;
}

gan_loader *gan_loader_open(const gan_loader_opts *o, char *err, size_t errlen) {
    if (!o || !o->dir) {
        gan_errf(err, errlen, "data loader: no data directory given");
        return NULL;
    }
    if ((o->c != 1 && o->c != 3) || o->h <= 0 || o->w <= 0 || o->h > 4096 || o->w > 4096 ||
        o->batch <= 0 || o->batch > 1000000 || !(o->hi > o->lo) || o->n_labels < 0 ||
        (o->n_labels > 0 && !o->label_names) ||
        (o->label_kind != GAN_LABELS_NONE && o->label_kind != GAN_LABELS_MULTI &&
         o->label_kind != GAN_LABELS_CATEGORICAL) ||
        (o->label_kind == GAN_LABELS_CATEGORICAL && o->n_labels < 1)) {
        gan_errf(err, errlen,
                 "data loader: bad options (c=%d h=%d w=%d batch=%d labels=%d kind=%d)", o->c,
                 o->h, o->w, o->batch, o->n_labels, o->label_kind);
        return NULL;
    }
    gan_loader *l = calloc(1, sizeof *l);
    if (!l) {
        gan_errf(err, errlen, "data loader: out of memory");
        return NULL;
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->has_data, NULL);
    pthread_cond_init(&l->has_space, NULL);
    l->c = o->c, l->h = o->h, l->w = o->w, l->kind = o->label_kind, l->batch = o->batch;
    l->n_labels = o->label_kind == GAN_LABELS_NONE ? 0 : o->n_labels;
    l->lo = o->lo, l->hi = o->hi, l->seed = o->seed;
    l->chw = (size_t)o->c * o->h * o->w;

    if (read_rows(l, o, err, errlen)) goto fail;
    if (l->n == 0) {
        gan_errf(err, errlen, "%s: no usable images%s", o->dir,
                 o->split == GAN_SPLIT_HELDOUT ? " in the held-out part (--holdout N?)" : "");
        goto fail;
    }
    /* Cache budget: GANRT_DATA_CACHE_MB (0 turns caching off), default 1024 MB. */
    size_t budget = (size_t)DEFAULT_CACHE_MB << 20;
    const char *env = getenv("GANRT_DATA_CACHE_MB");
    if (env && *env) {
        char *end;
        unsigned long long mb = strtoull(env, &end, 10);
        if (*end == 0 && mb < (1ull << 40)) budget = (size_t)mb << 20;
    }
    l->n_cache = budget / l->chw;
    if (l->n_cache > l->n) l->n_cache = l->n;
    if (l->n_cache) {
        l->cache = malloc(l->n_cache * l->chw);
        if (!l->cache) l->n_cache = 0; /* run without a cache rather than fail */
    }
    l->ring_n = 4 * o->batch < 64 ? 64 : 4 * o->batch; /* a few batches ahead */
    l->ring_px = malloc((size_t)l->ring_n * l->chw);
    l->ring_img = malloc((size_t)l->ring_n * sizeof(size_t));
    l->ring_ok = malloc((size_t)l->ring_n);
    l->ring_msg = malloc((size_t)l->ring_n * sizeof *l->ring_msg);
    l->state = calloc(l->n, 1);
    l->seen = calloc(l->n, 1);
    l->perm = malloc(l->n * sizeof(size_t));
    if (!l->ring_px || !l->ring_img || !l->ring_ok || !l->ring_msg || !l->state || !l->seen ||
        !l->perm) {
        gan_errf(err, errlen, "data loader: out of memory");
        goto fail;
    }
    if (start_worker(l, 0, 0, err, errlen)) goto fail;
    return l;
fail:
    gan_loader_close(l);
    return NULL;
}

/* The number in an image's file name (000123.jpg: 123, its row in list_attr_celeba.txt), or
   its position in the loader's list when the name has no number. */
static int64_t image_id(const gan_loader *l, size_t idx) {
    char *end;
    long long v = strtoll(l->files[idx], &end, 10);
    return end != l->files[idx] && *end == '.' ? (int64_t)v : (int64_t)idx;
}

int gan_loader_next(gan_loader *l, float *images, float *labels, char *err, size_t errlen) {
    return gan_loader_next_ids(l, images, labels, NULL, err, errlen);
}

int gan_loader_next_ids(gan_loader *l, float *images, float *labels, int64_t *ids, char *err,
                        size_t errlen) {
    if (!l->running) {
        return gan_errf(err, errlen, "data loader: not running (an earlier error stopped it)");
    }
    float k = (l->hi - l->lo) / 255.0f;
    int filled = 0;
    while (filled < l->batch) {
        pthread_mutex_lock(&l->mu);
        while (l->produced == l->consumed) pthread_cond_wait(&l->has_data, &l->mu);
        int slot = (int)(l->consumed % (uint64_t)l->ring_n);
        pthread_mutex_unlock(&l->mu);

        size_t idx = l->ring_img[slot];
        int first = !l->seen[idx];
        if (first) l->seen[idx] = 1, l->seen_count++;
        if (l->ring_ok[slot]) {
            const unsigned char *src = l->ring_px + (size_t)slot * l->chw;
            float *dst = images + (size_t)filled * l->chw;
            for (size_t i = 0; i < l->chw; i++) dst[i] = l->lo + k * (float)src[i];
            if (labels && l->n_labels)
                memcpy(labels + (size_t)filled * l->n_labels, l->labels + idx * l->n_labels,
                       (size_t)l->n_labels * sizeof(float));
            if (ids) ids[filled] = image_id(l, idx);
            filled++;
        } else if (first) {
            l->bad_count++;
            fprintf(stderr, "warning: skipping bad image %s\n", l->ring_msg[slot]);
        }
        pthread_mutex_lock(&l->mu);
        l->consumed++;
        pthread_cond_signal(&l->has_space);
        pthread_mutex_unlock(&l->mu);
        if (++l->c_index >= l->n) l->c_index = 0, l->c_epoch++;

        /* Fail once more than 1% are bad: either proven for the whole set (bad > n/100), or
           measured over enough images to mean something (1000 seen, or all of them). */
        if (l->bad_count * 100 > l->n ||
            (l->bad_count * 100 > l->seen_count && (l->seen_count >= 1000 || l->seen_count == l->n))) {
            gan_errf(err, errlen, "%s: too many bad images: %zu of the %zu seen so far (more "
                     "than 1%% of %zu images); see the warnings above", l->root, l->bad_count,
                     l->seen_count, l->n);
            stop_worker(l);
            return -1;
        }
    }
    return 0;
}

void gan_loader_tell(const gan_loader *l, uint64_t *epoch, uint64_t *index) {
    *epoch = l->c_epoch;
    *index = l->c_index;
}

int gan_loader_seek(gan_loader *l, uint64_t epoch, uint64_t index, char *err, size_t errlen) {
    if (index >= l->n) {
        return gan_errf(err, errlen,
                        "data loader: position %llu is past the %zu images of an epoch "
                        "(a checkpoint from another data set?)", (unsigned long long)index, l->n);
    }
    stop_worker(l);
    return start_worker(l, epoch, index, err, errlen);
}

size_t gan_loader_size(const gan_loader *l) { return l->n - l->bad_count; }
size_t gan_loader_bad_count(const gan_loader *l) { return l->bad_count; }
size_t gan_loader_excluded_count(const gan_loader *l) { return l->excluded; }
void gan_loader_split_info(const gan_loader *l, gan_split_info *info) { *info = l->split; }

void gan_loader_close(gan_loader *l) {
    if (!l) return;
    stop_worker(l);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->has_data);
    pthread_cond_destroy(&l->has_space);
    free(l->root);
    free(l->files);
    free(l->labels);
    free(l->cache);
    free(l->state);
    free(l->perm);
    free(l->ring_px);
    free(l->ring_img);
    free(l->ring_ok);
    free(l->ring_msg);
    free(l->seen);
    free(l);
}
