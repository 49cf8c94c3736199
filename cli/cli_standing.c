/* --standing B of ganrt eval and ganrt sample: the draws the generator's standing
 * statistics are measured with (runtime/train.h, gan_session_standing_stats). z comes from
 * the latent distribution and the attributes from real faces' rows, as in training, so the
 * statistics are those of the faces the generator learnt to make, not of the grid asked
 * for (one --vary row of Smiling=1 would otherwise be normalised as if every face smiled). */
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "runtime/train.h"

int cli_standing_stats(struct gan_session *s, const gan_model *m, long long batches,
                       uint64_t seed, const float *rows, size_t n_rows, int use_ema, char *err,
                       size_t errlen)
{
    const gan_hyper *h = &m->hyper;
    if (batches <= 0)
        return 0;
    int L = h->n_labels, n = (int)batches * (h->batch > 0 ? h->batch : 1);
    float *z = malloc(sizeof(float) * (size_t)n * (h->latent_size > 0 ? h->latent_size : 1));
    float *lab = calloc((size_t)n * (L > 0 ? L : 1), sizeof(float));
    int rc = !z || !lab ? cli_out_of_memory(err, errlen) : 0;
    if (!rc) {
        gan_rng rng;
        gan_rng_seed(&rng, gan_mix64(seed ^ 0x5354414E44ull)); /* "STAND" */
        gan_draw_latent(m, &rng, z, n);
        for (int i = 0; i < n && L > 0; i++) {
            if (rows && n_rows)
                memcpy(lab + (size_t)i * L, rows + (gan_rng_next(&rng) % n_rows) * (size_t)L,
                       sizeof(float) * L);
            else if (h->label_kind == GAN_LABELS_CATEGORICAL)
                lab[(size_t)i * L + gan_rng_next(&rng) % (uint64_t)L] = 1.0f;
        }
        rc = gan_session_standing_stats(s, n, z, L > 0 ? lab : NULL, use_ema, err, errlen) ? 1
                                                                                             : 0;
    }
    free(z);
    free(lab);
    return rc;
}
