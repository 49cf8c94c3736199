/* Data-parallel training over MPI (docs/distributed.md). Two builds of one interface:
 * dist_mpi.c (make MPI=1: Open MPI) and dist_none.c (the plain build: one rank, no MPI), so
 * the training loop has no #ifdef. A NULL gan_dist is the single process: every function
 * below accepts it and then does what one rank alone would (nothing to exchange).
 *
 * MPI is initialised only when the process was started by an MPI launcher (mpirun sets
 * OMPI_COMM_WORLD_SIZE / PMIX_RANK / PMI_SIZE): a plain `ganrt train` of an MPI build runs
 * exactly as the plain build does, without a singleton MPI start. */
#ifndef GAN_DIST_H
#define GAN_DIST_H

#include <stddef.h>

typedef struct gan_dist gan_dist;

/* 0 with *out NULL (not launched by mpirun, or a world of one rank) or a new gan_dist;
 * -1 with a message (MPI failed to start; or mpirun started this build, which has no MPI:
 * N copies of one run would fight over RUN). */
int gan_dist_open(gan_dist **out, char *err, size_t errlen);
/* MPI_Finalize; for a run that ends normally on every rank. */
void gan_dist_close(gan_dist *d);
/* Ends every rank of the job at once with exit status rc (MPI_Abort): a failure seen by one
 * rank alone (a bad file, a NaN) must not leave the others waiting in a collective. Returns
 * only for d == NULL. */
void gan_dist_abort(gan_dist *d, int rc);

int gan_dist_rank(const gan_dist *d); /* 0 for NULL */
int gan_dist_size(const gan_dist *d); /* 1 for NULL */

/* x[0..n) <- the mean of x over the ranks (MPI_Allreduce sum, then / size; the same float
 * result on every rank). 0, or -1 with a message. */
int gan_dist_mean_f32(gan_dist *d, float *x, size_t n, char *err, size_t errlen);
/* The same for doubles (losses, flags). */
int gan_dist_mean_f64(gan_dist *d, double *x, int n, char *err, size_t errlen);
/* Wall seconds spent in the two calls above so far, and the floats / doubles they averaged
 * (ganrt train reports the exchange per step). 0 for NULL. */
double gan_dist_seconds(const gan_dist *d);
double gan_dist_values(const gan_dist *d);

/* "Open MPI 4.1.4" or "none" (ganrt --version). */
const char *gan_dist_library(void);

#endif
