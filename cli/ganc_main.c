/* ganc: the .gan compiler driver.
 * parse + check -> md_model -> gan_build -> gan_plan -> gan_plan_check -> gan_model_write.
 * Exit status: 0 accepted (and written), 1 errors in the model (or the back end refused it),
 * 2 usage errors (bad flags, unreadable input, unwritable output). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/version.h"
#include "compiler/backend.h"
#include "compiler/frontend.h"

static void usage(FILE *f)
{
    fputs("usage: ganc MODEL.gan [-o MODEL.bin] [--report] [--dot FILE] [--no-fuse] [--batch N] [--check]\n"
          "            [--max-params N] [--max-memory SIZE]\n"
          "\n"
          "  -o FILE      write the compiled model (model.bin) to FILE\n"
          "  --check      parse and check only: no back end, nothing written\n"
          "  --report     print each network's layer table and parameter counts, then the\n"
          "               back end's per-program FLOPs and memory plan\n"
          "  --dot FILE   write the programs as Graphviz to FILE\n"
          "  --no-fuse    turn the fusion passes off\n"
          "  --batch N    override the model's batch size\n"
          "  --max-params N     refuse a model with more parameters (default 1000000000)\n"
          "  --max-memory SIZE  refuse a model whose memory plan needs more, in bytes or\n"
          "                     with K, M, G (default 16G; at most 64G, what ganrt loads)\n"
          "  --help       this text\n"
          "  --version    print the version\n"
          "\n"
          "exit status: 0 ok, 1 errors in the model, 2 usage errors\n",
          f);
}

/* "123", "64K", "512M", "16G" (powers of 1024) -> bytes; 0 if malformed or out of [1, max]. */
static uint64_t parse_size(const char *v, int suffixes, uint64_t max)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v || v[0] == '-')
        return 0;
    int shift = 0;
    if (suffixes && *end && !end[1]) {
        const char *u = strchr("KMG", *end);
        if (u) {
            shift = 10 * (int)(u - "KMG" + 1);
            end++;
        }
    }
    if (*end || n == 0 || n > (max >> shift))
        return 0;
    return (uint64_t)n << shift;
}

/* 1 when a and b name one existing file (by device and inode: also through another path). */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!strcmp(a, b))
        return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Prints a limit error at the network's name ("x.gan:12:11: error: ..."). */
static void limit_error(const char *in, int line, int col, const char *msg)
{
    if (line > 0)
        fprintf(stderr, "%s:%d:%d: error: %s\n", in, line, col, msg);
    else
        fprintf(stderr, "%s: error: %s\n", in, msg);
}

int main(int argc, char **argv)
{
    gan_limits lim = gan_default_limits();
    const char *in = NULL, *out = NULL, *dot = NULL;
    int report = 0, check_only = 0, fuse = 1, batch = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("ganc %s\n", GAN_VERSION);
            return 0;
        } else if (!strcmp(a, "--max-params") || !strcmp(a, "--max-memory")) {
            int mem = !strcmp(a, "--max-memory");
            uint64_t v = i + 1 < argc ? parse_size(argv[i + 1], mem, mem ? GAN_MODEL_MAX_BYTES
                                                                           : (1ull << 40))
                                      : 0;
            if (!v) {
                fprintf(stderr, mem ? "ganc: --max-memory needs a size from 1 to 64G (e.g. 512M)%s%s\n"
                                    : "ganc: --max-params needs a whole number above 0%s%s\n",
                        i + 1 < argc ? ", got " : "", i + 1 < argc ? argv[i + 1] : "");
                return 2;
            }
            *(mem ? &lim.max_memory : &lim.max_params) = v;
            i++;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--dot") || !strcmp(a, "--batch")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ganc: %s needs an argument\n", a);
                return 2;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "-o"))
                out = v;
            else if (!strcmp(a, "--dot"))
                dot = v;
            else {
                char *end;
                errno = 0;
                long b = strtol(v, &end, 10);
                if (errno || *end || end == v || b < 1 || b > 65536) {
                    fprintf(stderr, "ganc: --batch needs a whole number from 1 to 65536, got '%s'\n", v);
                    return 2;
                }
                batch = (int)b;
            }
        } else if (!strcmp(a, "--report")) {
            report = 1;
        } else if (!strcmp(a, "--check")) {
            check_only = 1;
        } else if (!strcmp(a, "--no-fuse")) {
            fuse = 0;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ganc: unknown option '%s' (see ganc --help)\n", a);
            return 2;
        } else if (in) {
            fprintf(stderr, "ganc: more than one input file ('%s' and '%s')\n", in, a);
            return 2;
        } else {
            in = a;
        }
    }
    if (!in) {
        fprintf(stderr, "ganc: no input file\n");
        usage(stderr);
        return 2;
    }
    /* an output over the source would destroy the only copy of the model */
    const char *outs[2] = {out, dot};
    for (int k = 0; k < 2; k++)
        if (outs[k] && same_file(in, outs[k])) {
            fprintf(stderr, "ganc: %s %s is the input file; refusing to overwrite the model's "
                    "source\n", k ? "--dot" : "-o", outs[k]);
            return 2;
        }
    if (!check_only && !out && !report && !dot) {
        fprintf(stderr, "ganc: nothing to do: give -o FILE (or --check, --report, --dot FILE)\n");
        return 2;
    }
    fe_result r;
    int rc = fe_compile_file(in, &r);
    fputs(r.messages, stderr);
    if (rc) {
        fe_result_free(&r);
        return rc == 2 ? 2 : 1;
    }
    char err[1024] = "";
    int line = 0, col = 0;
    if (gan_check_md_limits(r.model, &lim, err, sizeof err, &line, &col)) {
        limit_error(in, line, col, err);
        fe_result_free(&r);
        return 1;
    }
    if (report)
        fe_report(r.model, stdout);
    if (check_only) {
        fe_result_free(&r);
        return 0;
    }
    gan_build_opts opts = {fuse, batch};
    gan_model *gm = gan_build(r.model, &opts, err, sizeof err);
    if (!gm) {
        fprintf(stderr, "%s: error: %s\n", in, err);
        fe_result_free(&r);
        return 1;
    }
    int status = 0;
    if (gan_plan(gm, err, sizeof err) || gan_plan_check(gm, err, sizeof err)) {
        fprintf(stderr, "%s: error: %s\n", in, err);
        status = 1;
    } else if (gan_check_plan_limits(gm, r.model, &lim, err, sizeof err, &line, &col)) {
        limit_error(in, line, col, err);
        status = 1;
    }
    fe_result_free(&r);
    if (!status && report) {
        printf("\n");
        gan_report_programs(gm, stdout);
    }
    if (!status && dot) {
        FILE *f = fopen(dot, "w");
        if (!f) {
            fprintf(stderr, "ganc: cannot write %s: %s\n", dot, strerror(errno));
            status = 2;
        } else {
            gan_write_dot(gm, f);
            if (fclose(f)) {
                fprintf(stderr, "ganc: cannot write %s\n", dot);
                status = 2;
            }
        }
    }
    if (!status && out && gan_model_write(gm, out, err, sizeof err)) {
        fprintf(stderr, "ganc: %s\n", err);
        status = 2; /* the model is fine; the output path is not */
    }
    gan_model_free(gm);
    return status;
}
