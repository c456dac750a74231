/* thread_roundtrip.c - the round-trip latency between two threads pinned to
 * two cores: what a parallel region pays at least to hand work to a second
 * thread and learn it is done (docs/benchmarks.md reports it next to the
 * 2-thread figures).
 *
 *   thread_roundtrip [CORE_A CORE_B]      (default 0 1)
 *
 * The two threads bounce one atomic counter: A writes an odd value and waits
 * for B to write the next even one. Prints the median over REPEATS runs of
 * ROUNDS round trips, in microseconds. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { ROUNDS = 200000, REPEATS = 5 };

static atomic_long ball;

static void pin(int core)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0)
        fprintf(stderr, "thread_roundtrip: cannot pin to core %d (measuring unpinned)\n", core);
}

static void *partner(void *arg)
{
    pin(*(const int *)arg);
    for (long r = 0; r < (long)ROUNDS * REPEATS; r++) {
        while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * r + 1) {}
        atomic_store_explicit(&ball, 2 * r + 2, memory_order_release);
    }
    return NULL;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int core_a = argc > 2 ? atoi(argv[1]) : 0, core_b = argc > 2 ? atoi(argv[2]) : 1;
    pthread_t t;
    if (pthread_create(&t, NULL, partner, &core_b) != 0) {
        fprintf(stderr, "thread_roundtrip: cannot start a thread\n");
        return 1;
    }
    pin(core_a);
    double us[REPEATS];
    long r = 0;
    for (int rep = 0; rep < REPEATS; rep++) {
        double t0 = now();
        for (int i = 0; i < ROUNDS; i++, r++) {
            atomic_store_explicit(&ball, 2 * r + 1, memory_order_release);
            while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * r + 2) {}
        }
        us[rep] = (now() - t0) / ROUNDS * 1e6;
    }
    pthread_join(t, NULL);
    qsort(us, REPEATS, sizeof us[0], by_value);
    printf("round trip between cores %d and %d: %.3f us (median of %d x %d; min %.3f, max %.3f)\n", core_a, core_b,
           us[REPEATS / 2], REPEATS, ROUNDS, us[0], us[REPEATS - 1]);
    return 0;
}
