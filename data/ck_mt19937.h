/* ck_mt19937.h - numpy's legacy RandomState stream, so that a split made
 * here is index-identical to sklearn's train_test_split(random_state=seed).
 *
 * numpy.random.RandomState(seed) seeds a Mersenne Twister (MT19937) with
 * init_genrand(seed); permutation(n) shuffles arange(n) from the last index
 * down, drawing each swap partner by masked rejection sampling. Only what the
 * split needs is here: seeding, raw 32-bit draws, bounded integers and the
 * permutation. The library's own PRNG (ck_rng.h) is used for everything else. */
#ifndef CK_MT19937_H
#define CK_MT19937_H

#include <stdint.h>

#define CK_MT19937_N 624

typedef struct ck_mt19937 {
    uint32_t key[CK_MT19937_N];
    int pos; /* next word of key to temper; N: regenerate */
} ck_mt19937;

/* numpy.random.RandomState(seed) for an integer seed in [0, 2^32). */
void ck_mt19937_seed(ck_mt19937 *r, uint32_t seed);
/* The next tempered 32-bit output (numpy's randint(2**32, dtype=uint32)). */
uint32_t ck_mt19937_u32(ck_mt19937 *r);
/* A uniform integer in [0, max], exactly as numpy's legacy random_interval:
 * mask = the smallest 2^k - 1 >= max, redraw while (draw & mask) > max;
 * 32-bit draws when max fits in 32 bits, else 64-bit ones (hi << 32 | lo). */
uint64_t ck_mt19937_interval(ck_mt19937 *r, uint64_t max);
/* out (n): numpy.random.RandomState(seed).permutation(n). n >= 0.
 * Returns 0, or -1 (message set) when n < 0 or out is NULL with n > 0. */
int ck_numpy_permutation(int64_t n, uint32_t seed, int64_t *out);

#endif
