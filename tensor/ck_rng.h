/* ck_rng.h - the library's own reproducible PRNG (PCG32), so weights and
 * shuffles are the same on every platform and never depend on libc's rand. */
#ifndef CK_RNG_H
#define CK_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct ck_rng {
    uint64_t state, inc;
} ck_rng;

/* Same seed, same stream, on every platform. */
void ck_rng_seed(ck_rng *r, uint64_t seed);
/* The next 32 random bits. */
uint32_t ck_rng_u32(ck_rng *r);
/* Uniform integer in [0, n), unbiased. n must be > 0. */
uint32_t ck_rng_below(ck_rng *r, uint32_t n);
/* Uniform float in [0, 1). */
float ck_rng_uniform(ck_rng *r);
/* out[0..n) = n uniforms, the same as n calls of ck_rng_uniform (one call:
 * the generator stays in registers, e.g. for a Dropout mask). */
void ck_rng_uniform_fill(ck_rng *r, float *out, int64_t n);
/* Standard normal (Box-Muller). */
float ck_rng_normal(ck_rng *r);
/* Shuffle idx[0..n) in place (Fisher-Yates, swap i with a uniform j <= i
 * for i from n - 1 down): the permutation depends only on r's state. */
void ck_rng_shuffle(ck_rng *r, int64_t *idx, int64_t n);
/* The same shuffle of n rows of `stride` bytes each (a multiple of 4,
 * 4-byte aligned): the same draws, so rows[p] after it is the row
 * idx[p] names after ck_rng_shuffle from the same state on idx = 0..n-1,
 * and after any number of such shuffles, each of both. */
void ck_rng_shuffle_rows(ck_rng *r, void *rows, int64_t n, size_t stride);

#endif
