/* bench_load - how long loading and preparing MovieLens takes, and its
 * memory: ck_movielens_load (read, parse, merge, tokenize, pad), the 80/20
 * split and the gather into training / validation inputs, each timed; then
 * the peak resident memory so far.
 *
 *   bench_load DIR [repeats]     e.g. bench_load /tmp/ml1m 5
 *
 * Prints the best of `repeats` runs of each phase (the page cache is warm
 * after the first). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "ck_movielens.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_load DIR [repeats]\n");
        return 2;
    }
    int repeats = argc > 2 ? atoi(argv[2]) : 3;
    if (repeats < 1) repeats = 1;
    double best_load = 1e30, best_split = 1e30, best_gather = 1e30;
    long long rows = 0, train_rows = 0;
    for (int r = 0; r < repeats; r++) {
        ck_movielens d = {0};
        ck_movielens_batch tr_b = {0}, va_b = {0};
        int64_t *tr = NULL, *va = NULL, n_tr = 0, n_va = 0;
        double t0 = now();
        if (ck_movielens_load(argv[1], &d) < 0) {
            fprintf(stderr, "bench_load: %s\n", ck_error());
            return 1;
        }
        double t1 = now();
        if (ck_movielens_split(d.n, 0.2, 7, &tr, &n_tr, &va, &n_va) < 0) return 1;
        double t2 = now();
        if (ck_movielens_gather(&d, tr, n_tr, &tr_b) < 0 || ck_movielens_gather(&d, va, n_va, &va_b) < 0) return 1;
        double t3 = now();
        if (t1 - t0 < best_load) best_load = t1 - t0;
        if (t2 - t1 < best_split) best_split = t2 - t1;
        if (t3 - t2 < best_gather) best_gather = t3 - t2;
        rows = (long long)d.n;
        train_rows = (long long)n_tr;
        ck_movielens_batch_free(&tr_b);
        ck_movielens_batch_free(&va_b);
        free(tr);
        free(va);
        ck_movielens_free(&d);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s: %lld ratings, %lld training rows\n", argv[1], rows, train_rows);
    printf("load %.3f s, split %.3f s, gather %.3f s, total %.3f s (best of %d); peak RSS %.1f MB\n", best_load,
           best_split, best_gather, best_load + best_split + best_gather, repeats, (double)ru.ru_maxrss / 1024.0);
    return 0;
}
