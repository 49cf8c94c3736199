/* Fuzz target: .gan source through the whole compiler, as ganc runs it: parse + check,
 * then (when the front end accepts the model) lowering, the memory plan, its proof, the
 * resource limits and model.bin written to memory; the bytes written must load back. */
#include <stdlib.h>
#include <string.h>

#include "compiler/backend.h"
#include "compiler/frontend.h"
#include "format/model.h"
#include "fuzz/fuzz.h"

/* Sources larger than this are no more interesting and only slow the search down. */
#define FUZZ_GAN_MAX_SRC (64 * 1024)

int fuzz_gan_one(const uint8_t *data, size_t len)
{
    if (len > FUZZ_GAN_MAX_SRC)
        return 0;
    fe_result r;
    int rc = fe_compile("fuzz.gan", (const char *)data, len, &r);
    if (rc != 0 || !r.model) {
        fe_result_free(&r);
        return 0;
    }
    /* The same limits ganc applies by default; a fuzzed model that passes them is small
     * enough to lower and plan quickly. */
    gan_limits lim = gan_default_limits();
    char err[1024] = "";
    gan_build_opts opts = {1, 0};
    gan_model *gm = NULL;
    int line = 0, col = 0;
    if (gan_check_md_limits(r.model, &lim, err, sizeof err, &line, &col) == 0)
        gm = gan_build(r.model, &opts, err, sizeof err);
    if (gm && !gan_plan(gm, err, sizeof err) && !gan_plan_check(gm, err, sizeof err) &&
        !gan_check_plan_limits(gm, r.model, &lim, err, sizeof err, &line, &col)) {
        void *buf = NULL;
        size_t blen = 0;
        if (gan_model_write_mem(gm, &buf, &blen) == 0) {
            gan_model *back = gan_model_load_mem(buf, blen, "fuzz.bin", err, sizeof err);
            /* ganc only writes models ganrt accepts: anything else is a finding */
            if (!back)
                abort();
            gan_model_free(back);
        }
        free(buf);
    }
    gan_model_free(gm);
    fe_result_free(&r);
    return 0;
}
