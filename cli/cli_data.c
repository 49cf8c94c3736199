/* `ganrt data ...`: data-set tools. For now one subcommand, `synth`, which renders synthetic
 * labelled faces in CelebA layout so the quick start needs no download. */
#include "cli/cli.h"
#include "runtime/data.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage_synth(FILE *o) {
    fprintf(o,
        "usage: ganrt data synth -o DIR [--n N] [--size S] [--seed K] [--attrs NAME=P,...]\n"
        "                        [--threads T] [--preview FILE.png] [--quiet] [--force]\n"
        "\n"
        "Renders N synthetic faces (S x S RGB PNG) with CelebA-named attributes into DIR in\n"
        "CelebA layout: DIR/img_align_celeba/000001.png ... and DIR/list_attr_celeba.txt\n"
        "(all 40 CelebA attribute names; the ones not rendered are -1), so `ganrt train\n"
        "--data DIR` reads it like CelebA.\n"
        "\n"
        "  -o, --out DIR      output folder (created); one that is not empty is refused\n"
        "  --force            write into a folder that is not empty (files of the same\n"
        "                     name are replaced)\n"
        "  --n N              number of faces (default 20000)\n"
        "  --size S           image side in pixels, 8..1024 (default 64)\n"
        "  --seed K           seed; the same seed gives byte-identical files (default 1)\n"
        "  --attrs LIST       attribute frequencies, e.g. Smiling=0.5,Eyeglasses=0.2\n"
        "  --threads T        render threads (default 2)\n"
        "  --preview FILE     also write a grid of the first 32 faces, labelled, to FILE\n"
        "  --quiet            no progress line\n"
        "\n"
        "Rendered attributes and default frequencies:\n");
    for (int a = 0; a < GAN_SYN_N_ATTRS; a++)
        fprintf(o, "  %-12s %.2f\n", gan_synth_attr_names[a], (double)gan_synth_default_freq[a]);
    fprintf(o,
        "Blond_Hair and Black_Hair are exclusive (one draw: blond, black, else brown, which is\n"
        "labelled Brown_Hair); every other attribute is drawn independently. See docs/data.md.\n");
}

static void usage(FILE *o) {
    fprintf(o,
        "usage: ganrt data <command> [options]\n"
        "\n"
        "commands:\n"
        "  synth    render synthetic labelled faces in CelebA layout (ganrt data synth --help)\n");
}

static int parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* "Smiling=0.5,Male=0.3" -> freq[]; prints its own error. */
static int parse_attrs(const char *spec, float *freq) {
    char *copy = strdup(spec), *save = NULL;
    if (!copy) return -1;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            fprintf(stderr, "ganrt data synth: --attrs: expected NAME=P, got '%s'\n", tok);
            rc = -1;
            break;
        }
        *eq = 0;
        int a = -1;
        for (int i = 0; i < GAN_SYN_N_ATTRS; i++)
            if (!strcmp(tok, gan_synth_attr_names[i])) a = i;
        if (a < 0) {
            const char *near = gan_closest_name(tok, gan_synth_attr_names, GAN_SYN_N_ATTRS);
            fprintf(stderr, "ganrt data synth: --attrs: '%s' is not a rendered attribute", tok);
            if (near) fprintf(stderr, "; did you mean '%s'?", near);
            fprintf(stderr, " (rendered:");
            for (int i = 0; i < GAN_SYN_N_ATTRS; i++) fprintf(stderr, " %s", gan_synth_attr_names[i]);
            fprintf(stderr, ")\n");
            rc = -1;
            break;
        }
        char *end;
        errno = 0;
        double p = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || errno || !(p >= 0.0 && p <= 1.0)) {
            fprintf(stderr, "ganrt data synth: --attrs: %s=%s: frequency must be a number in [0, 1]\n",
                    tok, eq + 1);
            rc = -1;
            break;
        }
        freq[a] = (float)p;
    }
    free(copy);
    if (rc == 0 && freq[GAN_SYN_BLOND_HAIR] + freq[GAN_SYN_BLACK_HAIR] > 1.0f + 1e-6f) {
        fprintf(stderr, "ganrt data synth: --attrs: Blond_Hair + Black_Hair = %.2f; they are "
                "exclusive, so the sum must be at most 1\n",
                (double)(freq[GAN_SYN_BLOND_HAIR] + freq[GAN_SYN_BLACK_HAIR]));
        rc = -1;
    }
    return rc;
}

static int write_preview(const char *path, int size, uint64_t seed, const float *freq, int n) {
    int count = n < 32 ? n : 32, cols = 8;
    size_t hw = (size_t)size * size;
    float *imgs = malloc(sizeof(float) * 3 * hw * (size_t)count);
    unsigned char *rgb = malloc(3 * hw);
    char(*labels)[64] = calloc((size_t)(count + cols - 1) / cols, 64);
    const char **lp = malloc(sizeof(char *) * (size_t)((count + cols - 1) / cols));
    if (!imgs || !rgb || !labels || !lp) {
        free(imgs), free(rgb), free(labels), free(lp);
        fprintf(stderr, "ganrt data synth: out of memory\n");
        return -1;
    }
    for (int i = 0; i < count; i++) {
        gan_synth_face f;
        gan_synth_sample(&f, seed, (uint64_t)i, freq);
        gan_synth_draw(&f, size, rgb);
        for (size_t p = 0; p < hw; p++)
            for (int c = 0; c < 3; c++) imgs[((size_t)i * 3 + c) * hw + p] = rgb[p * 3 + c] / 255.0f;
    }
    for (int r = 0; r * cols < count; r++) {
        snprintf(labels[r], 64, "%06d-%06d", r * cols + 1, r * cols + cols < count ? r * cols + cols : count);
        lp[r] = labels[r];
    }
    char err[512];
    int rc = gan_write_grid_png(path, imgs, count, 3, size, size, 0, 1, cols, lp, err, sizeof err);
    if (rc) fprintf(stderr, "ganrt data synth: %s\n", err);
    free(imgs), free(rgb), free(labels), free(lp);
    return rc;
}

/* 1 when path is a folder with something in it, 0 when it is empty or absent. */
static int non_empty_dir(const char *path) {
    DIR *d = opendir(path);
    if (!d) return 0;
    struct dirent *e;
    int any = 0;
    while (!any && (e = readdir(d)) != NULL) any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return any;
}

static int synth_main(int argc, char **argv) {
    const char *out = NULL, *preview = NULL;
    long n = 20000, size = 64, threads = 2;
    unsigned long long seed = 1;
    int quiet = 0, force = 0;
    float freq[GAN_SYN_N_ATTRS];
    memcpy(freq, gan_synth_default_freq, sizeof freq);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage_synth(stdout);
            return 0;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = 1;
            continue;
        } else if (!strcmp(a, "--force")) {
            force = 1;
            continue;
        }
        int takes = !strcmp(a, "-o") || !strcmp(a, "--out") || !strcmp(a, "--n") ||
                    !strcmp(a, "--size") || !strcmp(a, "--seed") || !strcmp(a, "--attrs") ||
                    !strcmp(a, "--threads") || !strcmp(a, "--preview");
        if (!takes) {
            fprintf(stderr, "ganrt data synth: unknown option '%s' (see --help)\n", a);
            return 2;
        }
        if (!v) {
            fprintf(stderr, "ganrt data synth: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "-o") || !strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--preview")) preview = v;
        else if (!strcmp(a, "--n")) {
            if (parse_int(v, 1, 999999, &n)) {
                fprintf(stderr, "ganrt data synth: --n %s: expected a count from 1 to 999999\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--size")) {
            if (parse_int(v, 8, 1024, &size)) {
                fprintf(stderr, "ganrt data synth: --size %s: expected 8 to 1024 pixels\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--threads")) {
            if (parse_int(v, 1, 256, &threads)) {
                fprintf(stderr, "ganrt data synth: --threads %s: expected 1 to 256\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--seed")) {
            char *end;
            errno = 0;
            seed = strtoull(v, &end, 10);
            if (end == v || *end || errno || v[0] == '-') {
                fprintf(stderr, "ganrt data synth: --seed %s: expected a non-negative integer\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--attrs")) {
            if (parse_attrs(v, freq)) return 2;
        }
    }
    if (!out) {
        fprintf(stderr, "ganrt data synth: missing -o DIR (see --help)\n");
        return 2;
    }
    if (!force && non_empty_dir(out)) {
        fprintf(stderr, "ganrt data synth: %s is not empty; refusing to write a data set over "
                "what is there (give another folder, or --force)\n", out);
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char err[1024];
    if (gan_synth_write_dataset(out, (int)n, (int)size, seed, freq, !quiet, (int)threads, err,
                                sizeof err)) {
        fprintf(stderr, "ganrt data synth: %s\n", err);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (preview && write_preview(preview, (int)size, seed, freq, (int)n)) return 1;
    if (!quiet)
        fprintf(stderr, "synth: wrote %ld faces of %ldx%ld to %s/img_align_celeba and "
                "%s/list_attr_celeba.txt in %.1f s\n", n, size, size, out, out, secs);
    return 0;
}

int ganrt_data_main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "synth")) return synth_main(argc - 1, argv + 1);
    const char *cmds[] = {"synth"};
    const char *near = gan_closest_name(argv[1], cmds, 1);
    fprintf(stderr, "ganrt data: unknown command '%s'", argv[1]);
    if (near) fprintf(stderr, "; did you mean '%s'?", near);
    fprintf(stderr, " (see ganrt data --help)\n");
    return 2;
}
