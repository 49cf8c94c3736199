/* The plain build's gan_dist: one process, nothing to exchange (runtime/train/dist.h). */
#include <stdio.h>
#include <stdlib.h>
#include "common/err.h"
#include "runtime/train/dist.h"

int gan_dist_open(gan_dist **out, char *err, size_t errlen)
{
    *out = NULL;
    /* Open MPI's launcher sets OMPI_COMM_WORLD_SIZE, PMIx-based ones PMIX_RANK */
    const char *n = getenv("OMPI_COMM_WORLD_SIZE");
    if ((n && atoi(n) > 1) || getenv("PMIX_RANK") || getenv("PMI_SIZE"))
        return gan_errf(err, errlen, "started by an MPI launcher, but this ganrt was built "
                        "without MPI: every rank would train alone and fight over the run "
                        "directory; build with 'make MPI=1' (docs/distributed.md)");
    return 0;
}

void gan_dist_close(gan_dist *d) { (void)d; }
void gan_dist_abort(gan_dist *d, int rc) { (void)d; (void)rc; }
int gan_dist_rank(const gan_dist *d) { (void)d; return 0; }
int gan_dist_size(const gan_dist *d) { (void)d; return 1; }

int gan_dist_mean_f32(gan_dist *d, float *x, size_t n, char *err, size_t errlen)
{
    (void)d, (void)x, (void)n, (void)err, (void)errlen;
    return 0;
}

int gan_dist_mean_f64(gan_dist *d, double *x, int n, char *err, size_t errlen)
{
    (void)d, (void)x, (void)n, (void)err, (void)errlen;
    return 0;
}

double gan_dist_seconds(const gan_dist *d) { (void)d; return 0; }
double gan_dist_values(const gan_dist *d) { (void)d; return 0; }
const char *gan_dist_library(void) { return "none"; }
