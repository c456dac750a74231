/* rng.c - PCG32 (O'Neill, "PCG: A Family of Simple Fast Space-Efficient
 * Statistically Good Algorithms for Random Number Generation", 2014):
 * a 64-bit LCG whose output is permuted by xorshift + random rotation. */
#include "ck_rng.h"

#include <math.h>

#define PCG32_MULTIPLIER 6364136223846793005ULL
/* Every ck_rng uses the same stream; the seed picks the position in it. */
#define CK_RNG_STREAM 54u

void ck_rng_seed(ck_rng *r, uint64_t seed)
{
    r->state = 0;
    r->inc = ((uint64_t)CK_RNG_STREAM << 1) | 1u;
    ck_rng_u32(r);
    r->state += seed;
    ck_rng_u32(r);
}

uint32_t ck_rng_below(ck_rng *r, uint32_t n)
{
    if (n == 0) return 0;
    /* Reject the few lowest values so that every residue is equally likely:
     * 2^32 mod n values would otherwise land on the small residues once more. */
    uint32_t threshold = (uint32_t)(-n) % n;
    for (;;) {
        uint32_t x = ck_rng_u32(r);
        if (x >= threshold) return x % n;
    }
}

/* The next 32 bits, inlined where many are drawn in a row. */
static inline uint32_t next_u32(ck_rng *r)
{
    uint64_t old = r->state;
    r->state = old * PCG32_MULTIPLIER + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rot = (uint32_t)(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

uint32_t ck_rng_u32(ck_rng *r) { return next_u32(r); }

/* 24 random bits: every value is exactly representable and < 1. */
static inline float bits_to_uniform(uint32_t bits) { return (float)(bits >> 8) * (1.0f / 16777216.0f); }

float ck_rng_uniform(ck_rng *r) { return bits_to_uniform(next_u32(r)); }

void ck_rng_uniform_fill(ck_rng *r, float *out, int64_t n)
{
    ck_rng local = *r;
    for (int64_t i = 0; i < n; i++) out[i] = bits_to_uniform(next_u32(&local));
    *r = local;
}

float ck_rng_normal(ck_rng *r)
{
    /* Box-Muller; u1 in (0, 1] so the log is finite. */
    double u1 = 1.0 - (double)ck_rng_uniform(r);
    double u2 = (double)ck_rng_uniform(r);
    const double two_pi = 6.283185307179586476925;
    return (float)(sqrt(-2.0 * log(u1)) * cos(two_pi * u2));
}

/* A shuffle of a million rows misses the cache at nearly every swap
 * partner. The partners depend only on the RNG, so each is drawn AHEAD
 * swaps early and its row prefetched: the same draws in the same order,
 * hence the same permutation as the plain loop. */
#define SHUFFLE_AHEAD 16
/* Swap i's partner, uniform in [0, i] (i itself included: an element may
 * stay), its row (both ends: a row may straddle two cache lines)
 * prefetched for the swap to come. */
static inline int64_t draw_partner(ck_rng *r, const unsigned char *rows, size_t stride, int64_t i)
{
    int64_t j = (int64_t)ck_rng_below(r, (uint32_t)(i + 1));
#if defined(__GNUC__)
    __builtin_prefetch(rows + (size_t)j * stride, 1);
    __builtin_prefetch(rows + (size_t)j * stride + stride - 1, 1);
#endif
    return j;
}

/* Fisher-Yates on n rows of `stride` bytes (a multiple of 4), moved as
 * 32-bit words; inlined, a constant stride unrolls the swap. */
#if defined(__GNUC__)
#define SHUFFLE_INLINE static inline __attribute__((always_inline))
#else
#define SHUFFLE_INLINE static inline
#endif
SHUFFLE_INLINE void shuffle_rows(ck_rng *r, void *rows_, int64_t n, size_t stride)
{
    unsigned char *rows = rows_;
    const size_t words = stride / sizeof(uint32_t);
    int64_t partner[SHUFFLE_AHEAD]; /* ring: partner of swap i, for the next AHEAD values of i */
    int64_t next = n - 1;           /* the next i whose partner is drawn */
    for (int a = 0; a < SHUFFLE_AHEAD && next > 0; a++, next--) partner[a] = draw_partner(r, rows, stride, next);
    int slot = 0;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = partner[slot];
        if (next > 0) {
            partner[slot] = draw_partner(r, rows, stride, next);
            next--;
        }
        slot = slot + 1 == SHUFFLE_AHEAD ? 0 : slot + 1;
        uint32_t *a = (uint32_t *)(rows + (size_t)i * stride), *b = (uint32_t *)(rows + (size_t)j * stride);
        for (size_t w = 0; w < words; w++) {
            uint32_t t = a[w];
            a[w] = b[w];
            b[w] = t;
        }
    }
}

void ck_rng_shuffle(ck_rng *r, int64_t *idx, int64_t n) { shuffle_rows(r, idx, n, sizeof *idx); }

void ck_rng_shuffle_rows(ck_rng *r, void *rows, int64_t n, size_t stride) { shuffle_rows(r, rows, n, stride); }
