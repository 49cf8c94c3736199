/* TEMPORARY: stand-ins for compiler/backend.h so ganc links before the back end is merged.
 * The lead deletes this file when the real back end lands. */
#include <stdio.h>
#include "backend.h"

gan_model *gan_build(const md_model *md, const gan_build_opts *opts, char *err, size_t errlen)
{
    (void)md;
    (void)opts;
    snprintf(err, errlen, "back end not built yet");
    return NULL;
}

int gan_plan(gan_model *m, char *err, size_t errlen)
{
    (void)m;
    snprintf(err, errlen, "back end not built yet");
    return -1;
}

int gan_plan_check(const gan_model *m, char *err, size_t errlen)
{
    (void)m;
    snprintf(err, errlen, "back end not built yet");
    return -1;
}

void gan_write_dot(const gan_model *m, FILE *f)
{
    (void)m;
    fputs("// back end not built yet\n", f);
}

void gan_report_programs(const gan_model *m, FILE *f)
{
    (void)m;
    fputs("(back end not built yet: no program report)\n", f);
}

/* ganc also calls two runtime functions (runtime/model_write.c, not merged in this branch).
 * Weak, so the real definitions win wherever they are linked; never reached here, because
 * gan_build above always fails. */
__attribute__((weak)) int gan_model_write(const gan_model *m, const char *path, char *err, size_t errlen)
{
    (void)m;
    (void)path;
    snprintf(err, errlen, "model writer not built yet");
    return -1;
}

__attribute__((weak)) void gan_model_free(gan_model *m)
{
    (void)m;
}
