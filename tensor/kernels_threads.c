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
    if (omp_in_parallel()) return 1; /* inside a thread of ck_run_threads: its loops stay on it */
    int n = num_threads > 0 ? num_threads : CK_DEFAULT_THREADS;
    int max = n_procs;
    if (!max) n_procs = max = omp_get_num_procs();
    return n < max ? n : max;
#else
    return 1;
#endif
}

void ck_run_threads(int n, void (*fn)(void *ctx, int i), void *ctx)
{
#ifdef _OPENMP
    if (n > 1) {
#pragma omp parallel num_threads(n)
        {
            /* the team may be smaller than asked: its threads share the indices */
            for (int i = omp_get_thread_num(); i < n; i += omp_get_num_threads()) fn(ctx, i);
        }
        return;
    }
#endif
    for (int i = 0; i < n; i++) fn(ctx, i);
}
