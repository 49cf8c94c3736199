/* gan_dist over MPI (make MPI=1; runtime/train/dist.h, docs/distributed.md). The only file
 * that includes mpi.h. MPI_COMM_WORLD's errors return to us (MPI_ERRORS_RETURN) so that a
 * failed exchange becomes a message naming the call before the job is aborted; a rank that
 * dies outright (SIGKILL, OOM) is seen by mpirun itself, which ends the others. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <mpi.h>
#include "common/err.h"
#include "runtime/train/dist.h"

struct gan_dist {
    int rank, size;
    double seconds, values;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int mpi_fail(int rc, const char *what, char *err, size_t errlen)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
        snprintf(msg, sizeof msg, "error %d", rc);
    return gan_errf(err, errlen, "%s: %s", what, msg);
}

static int launched_by_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_SIZE");
}

int gan_dist_open(gan_dist **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!launched_by_mpi())
        return 0;
    int rc = MPI_Init(NULL, NULL);
    if (rc != MPI_SUCCESS)
        return mpi_fail(rc, "MPI_Init", err, errlen);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    gan_dist *d = calloc(1, sizeof *d);
    if (!d) {
        MPI_Finalize();
        return gan_errf(err, errlen, "out of memory");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    if (d->size == 1) { /* mpirun -np 1: the single process, with nothing to exchange */
        free(d);
        MPI_Finalize();
        return 0;
    }
    *out = d;
    return 0;
}

void gan_dist_close(gan_dist *d)
{
    if (!d)
        return;
    free(d);
    MPI_Finalize();
}

void gan_dist_abort(gan_dist *d, int rc)
{
    if (!d)
        return;
    fflush(stdout);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, rc ? rc : 1);
    exit(rc ? rc : 1); /* not reached: MPI_Abort ends the process */
}

int gan_dist_rank(const gan_dist *d) { return d ? d->rank : 0; }
int gan_dist_size(const gan_dist *d) { return d ? d->size : 1; }

/* In place, in pieces of at most INT_MAX elements (MPI counts are int). */
static int allreduce_sum(gan_dist *d, void *x, size_t n, MPI_Datatype type, size_t elsize,
                         char *err, size_t errlen)
{
    double t0 = now_s();
    for (size_t at = 0; at < n;) {
        int k = n - at > (size_t)INT_MAX ? INT_MAX : (int)(n - at);
        int rc = MPI_Allreduce(MPI_IN_PLACE, (char *)x + at * elsize, k, type, MPI_SUM,
                               MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return mpi_fail(rc, "MPI_Allreduce", err, errlen);
        at += (size_t)k;
    }
    d->seconds += now_s() - t0;
    d->values += (double)n;
    return 0;
}

int gan_dist_mean_f32(gan_dist *d, float *x, size_t n, char *err, size_t errlen)
{
    if (!d || n == 0)
        return 0;
    if (allreduce_sum(d, x, n, MPI_FLOAT, sizeof *x, err, errlen))
        return -1;
    /* for the power-of-two sizes of the equivalence test the scale is exact */
    float inv = 1.0f / (float)d->size;
    for (size_t i = 0; i < n; i++)
        x[i] *= inv;
    return 0;
}

int gan_dist_mean_f64(gan_dist *d, double *x, int n, char *err, size_t errlen)
{
    if (!d || n <= 0)
        return 0;
    if (allreduce_sum(d, x, (size_t)n, MPI_DOUBLE, sizeof *x, err, errlen))
        return -1;
    for (int i = 0; i < n; i++)
        x[i] /= d->size;
    return 0;
}

double gan_dist_seconds(const gan_dist *d) { return d ? d->seconds : 0; }
double gan_dist_values(const gan_dist *d) { return d ? d->values : 0; }

const char *gan_dist_library(void)
{
#if defined(OMPI_MAJOR_VERSION)
#define GAN_STR2(x) #x
#define GAN_STR(x) GAN_STR2(x)
    return "Open MPI " GAN_STR(OMPI_MAJOR_VERSION) "." GAN_STR(OMPI_MINOR_VERSION) "."
        GAN_STR(OMPI_RELEASE_VERSION);
#else
    return "MPI";
#endif
}
