/* mt19937.c - Mersenne Twister (Matsumoto & Nishimura, 1998) with numpy's
 * legacy seeding and shuffle; see ck_mt19937.h. Written from the published
 * algorithm: state of 624 words, twist, then temper each output word. */
#include "ck_mt19937.h"

#include "ck_error.h"

#define MT_M 397
#define MT_UPPER 0x80000000u /* most significant bit of a word */
#define MT_LOWER 0x7fffffffu /* the other 31 bits */
#define MT_MATRIX_A 0x9908b0dfu

void ck_mt19937_seed(ck_mt19937 *r, uint32_t seed)
{
    /* init_genrand: key[i] = 1812433253 * (key[i-1] ^ (key[i-1] >> 30)) + i */
    r->key[0] = seed;
    for (int i = 1; i < CK_MT19937_N; i++) {
        uint32_t prev = r->key[i - 1];
        r->key[i] = 1812433253u * (prev ^ (prev >> 30)) + (uint32_t)i;
    }
    r->pos = CK_MT19937_N;
}

/* Regenerate all 624 words at once. */
static void mt_twist(ck_mt19937 *r)
{
    uint32_t *k = r->key;
    for (int i = 0; i < CK_MT19937_N; i++) {
        uint32_t y = (k[i] & MT_UPPER) | (k[(i + 1) % CK_MT19937_N] & MT_LOWER);
        uint32_t next = k[(i + MT_M) % CK_MT19937_N] ^ (y >> 1);
        if (y & 1u) next ^= MT_MATRIX_A;
        k[i] = next;
    }
    r->pos = 0;
}

uint32_t ck_mt19937_u32(ck_mt19937 *r)
{
    if (r->pos >= CK_MT19937_N) mt_twist(r);
    uint32_t y = r->key[r->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint64_t ck_mt19937_interval(ck_mt19937 *r, uint64_t max)
{
    if (max == 0) return 0;
    uint64_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    uint64_t value;
    if (max <= 0xffffffffu) {
        do value = ck_mt19937_u32(r) & mask;
        while (value > max);
    } else {
        do {
            uint64_t hi = ck_mt19937_u32(r);
            value = ((hi << 32) | ck_mt19937_u32(r)) & mask;
        } while (value > max);
    }
    return value;
}

int ck_numpy_permutation(int64_t n, uint32_t seed, int64_t *out)
{
    if (n < 0) return ck_fail("numpy_permutation: n = %lld is negative", (long long)n);
    if (n > 0 && !out) return ck_fail("numpy_permutation: output array is NULL");
    for (int64_t i = 0; i < n; i++) out[i] = i;
    ck_mt19937 r;
    ck_mt19937_seed(&r, seed);
    /* numpy's shuffle: Fisher-Yates from the end, partner j in [0, i].
     * The partners do not depend on the array, so they are drawn a batch
     * ahead and their cache lines requested before the swaps (same result,
     * far fewer stalls on a large array). */
    enum { BATCH = 64 };
    int64_t partner[BATCH];
    for (int64_t top = n - 1; top >= 1; top -= BATCH) {
        int count = top >= BATCH ? BATCH : (int)top; /* i = top .. top - count + 1 */
        for (int k = 0; k < count; k++) {
            partner[k] = (int64_t)ck_mt19937_interval(&r, (uint64_t)(top - k));
#if defined(__GNUC__)
            __builtin_prefetch(&out[partner[k]]);
#endif
        }
        for (int k = 0; k < count; k++) {
            int64_t i = top - k, j = partner[k];
            int64_t t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
    }
    return 0;
}
