/* kernels_optimizer.c - one optimizer step over one parameter tensor:
 * Adam and SGD as Keras computes them (see ck_kernels.h). */
#include "kernels_internal.h"

#include <math.h>

/* ---- optimizers ---- */

/* The divide and square root make Adam compute-bound; where the compiler
 * can, it also builds an AVX2 copy (8 floats per instruction instead of 4)
 * and the loader picks it on CPUs that have AVX2. Same IEEE operations in
 * the same order (ISO C mode does not contract into FMA): same results. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define ADAM_TARGETS __attribute__((target_clones("avx2", "default")))
#else
#define ADAM_TARGETS
#endif

/* One stretch of Keras's dense Adam. sqrtf vectorises only when the
 * compiler need not set errno (the build adds -fno-math-errno; v >= 0, so
 * errno could never be set anyway). gcc moves the `g[k] = 0` stores into a
 * memset after the loop: in pieces of 1024 floats that memset finds g still
 * in L1, instead of a second pass over a whole table. */
#define ADAM_PIECE 1024
ADAM_TARGETS
static void adam_span(float *restrict w, float *restrict m, float *restrict v, float *restrict g, int64_t n, float lr_t,
                      float b1, float b2, float eps)
{
    for (int64_t begin = 0; begin < n; begin += ADAM_PIECE) {
        const int64_t end = begin + ADAM_PIECE < n ? begin + ADAM_PIECE : n;
        for (int64_t k = begin; k < end; k++) {
            const float gk = g[k];
            g[k] = 0.0f;
            m[k] = b1 * m[k] + (1.0f - b1) * gk;
            v[k] = b2 * v[k] + (1.0f - b2) * gk * gk;
            w[k] -= lr_t * m[k] / (sqrtf(v[k]) + eps);
        }
    }
}

void ck_k_adam(float *restrict w, float *restrict m, float *restrict v, float *restrict g, int64_t n, float lr_t,
               float b1, float b2, float eps)
{
    /* Elementwise: each thread owns a fixed slice, so the result does not
     * depend on the thread count. */
#define ADAM_RANGE(begin, end) adam_span(w + begin, m + begin, v + begin, g + begin, end - begin, lr_t, b1, b2, eps)
    SPLIT_RANGE(n, n, ADAM_RANGE);
#undef ADAM_RANGE
}

void ck_k_sgd(float *restrict w, float *restrict velocity, float *restrict g, int64_t n, float lr, float momentum)
{
    if (momentum == 0.0f) {
        for (int64_t k = 0; k < n; k++) {
            w[k] -= lr * g[k];
            g[k] = 0.0f;
        }
        return;
    }
    for (int64_t k = 0; k < n; k++) {
        velocity[k] = momentum * velocity[k] - lr * g[k];
        g[k] = 0.0f;
        w[k] += velocity[k];
    }
}
