/* ganc: the .gan compiler driver.
 * parse + check -> md_model -> gan_build -> gan_plan -> gan_plan_check -> gan_model_write.
 * Exit status: 0 accepted (and written), 1 errors in the model (or the back end refused it),
 * 2 usage errors (bad flags, unreadable input, unwritable output). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/version.h"
#include "compiler/backend.h"
#include "compiler/frontend.h"

static void usage(FILE *f)
{
    fputs("usage: ganc MODEL.gan [-o MODEL.bin] [--report] [--dot FILE] [--no-fuse] [--batch N] [--check]\n"
          "\n"
          "  -o FILE      write the compiled model (model.bin) to FILE\n"
          "  --check      parse and check only: no back end, nothing written\n"
          "  --report     print each network's layer table and parameter counts, then the\n"
          "               back end's per-program FLOPs and memory plan\n"
          "  --dot FILE   write the programs as Graphviz to FILE\n"
          "  --no-fuse    turn the fusion passes off\n"
          "  --batch N    override the model's batch size\n"
          "  --help       this text\n"
          "  --version    print the version\n"
          "\n"
          "exit status: 0 ok, 1 errors in the model, 2 usage errors\n",
          f);
}

int main(int argc, char **argv)
{
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
    if (report)
        fe_report(r.model, stdout);
    if (check_only) {
        fe_result_free(&r);
        return 0;
    }
    char err[1024] = "";
    gan_build_opts opts = {fuse, batch};
    gan_model *gm = gan_build(r.model, &opts, err, sizeof err);
    fe_result_free(&r);
    if (!gm) {
        fprintf(stderr, "%s: error: %s\n", in, err);
        return 1;
    }
    int status = 0;
    if (gan_plan(gm, err, sizeof err) || gan_plan_check(gm, err, sizeof err)) {
        fprintf(stderr, "%s: error: %s\n", in, err);
        status = 1;
    }
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
