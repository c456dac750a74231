/* kernels_threads.c - how many threads the long kernel loops use (see
 * ck_kernels.h; the split itself is SPLIT_RANGE in kernels_internal.h). */
#include "kernels_internal.h"

static int num_threads = 0; /* 0: not set, use CK_DEFAULT_THREADS */

#ifndef CK_DEFAULT_THREADS
#define CK_DEFAULT_THREADS 1
#endif

int ck_set_num_threads(int n)
{
    if (n < 0) return -1;
    num_threads = n;
    return 0;
}

#ifdef _OPENMP
/* omp_get_num_procs asks the kernel for the affinity mask: once is enough
 * (every kernel call reads the thread count). */
static _Atomic int n_procs;
#endif

int ck_get_num_threads(void)
{
#ifdef _OPENMP
    int n = num_threads > 0 ? num_threads : CK_DEFAULT_THREADS;
    int max = n_procs;
    if (!max) n_procs = max = omp_get_num_procs();
    return n < max ? n : max;
#else
    return 1;
#endif
}
