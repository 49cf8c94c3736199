/* MPI_Allreduce (sum, in place, float) of given sizes: the median and the spread of the time
 * per call, for docs/distributed.md's projection. Not part of the build:
 *   mpicc -O2 -o /tmp/allreduce_bench tools/allreduce_bench.c
 *   mpirun -np 2 --oversubscribe --bind-to core /tmp/allreduce_bench 184041 245219 ... */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size, reps = 200;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    double t[200];
    for (int a = 1; a < argc; a++) {
        int n = atoi(argv[a]);
        float *x = calloc((size_t)n + 1, sizeof *x);
        for (int i = 0; i < 10; i++)
            MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        for (int i = 0; i < reps; i++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            t[i] = MPI_Wtime() - t0;
        }
        qsort(t, (size_t)reps, sizeof t[0], cmp);
        if (rank == 0)
            printf("%d ranks  %10d floats  %8.2f MB  median %8.3f ms  p10 %8.3f  p90 %8.3f  "
                   "%.2f GB/s algbw\n", size, n, n * 4e-6, t[reps / 2] * 1e3, t[reps / 10] * 1e3,
                   t[reps * 9 / 10] * 1e3, n * 4e-9 / t[reps / 2]);
        free(x);
    }
    MPI_Finalize();
    return 0;
}
