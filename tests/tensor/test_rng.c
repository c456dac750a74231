/* PCG32: fixed sequences, ranges, and the distribution of normals. */
#include <criterion/criterion.h>
#include <math.h>

#include "ck_rng.h"

/* The PCG32 reference (pcg32_srandom_r / pcg32_random_r), written out
 * independently here from the paper's description: state advances by an
 * LCG, output = xorshift-high-bits rotated by the top 5 bits. */
typedef struct {
    uint64_t state, inc;
} ref_pcg;

static uint32_t ref_next(ref_pcg *r)
{
    uint64_t s = r->state;
    r->state = s * 6364136223846793005ULL + r->inc;
    uint32_t x = (uint32_t)(((s >> 18) ^ s) >> 27);
    unsigned rot = (unsigned)(s >> 59);
    return rot ? (x >> rot) | (x << (32 - rot)) : x;
}

static void ref_seed(ref_pcg *r, uint64_t initstate, uint64_t initseq)
{
    r->state = 0;
    r->inc = (initseq << 1) | 1;
    ref_next(r);
    r->state += initstate;
    ref_next(r);
}

Test(rng, matches_published_pcg32_demo_values)
{
    /* pcg32-demo output for seed 42, stream 54 (the library's stream). */
    const uint32_t expected[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u, 0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
    ck_rng r;
    ck_rng_seed(&r, 42);
    for (int k = 0; k < 6; k++) cr_expect_eq(ck_rng_u32(&r), expected[k], "value %d", k);
}

Test(rng, matches_reference_for_other_seeds)
{
    const uint64_t seeds[] = {0, 1, 7, 123456789, 0xffffffffffffffffULL};
    for (int s = 0; s < 5; s++) {
        ck_rng r;
        ref_pcg ref;
        ck_rng_seed(&r, seeds[s]);
        ref_seed(&ref, seeds[s], 54);
        for (int k = 0; k < 1000; k++) cr_assert_eq(ck_rng_u32(&r), ref_next(&ref));
    }
}

Test(rng, same_seed_same_sequence_different_seed_different)
{
    ck_rng a, b, c;
    ck_rng_seed(&a, 7);
    ck_rng_seed(&b, 7);
    ck_rng_seed(&c, 8);
    int differ = 0;
    for (int k = 0; k < 100; k++) {
        uint32_t x = ck_rng_u32(&a);
        cr_assert_eq(x, ck_rng_u32(&b));
        differ += x != ck_rng_u32(&c);
    }
    cr_expect_gt(differ, 90);
}

Test(rng, uniform_in_range_and_mean_half)
{
    ck_rng r;
    ck_rng_seed(&r, 3);
    double total = 0;
    const int n = 100000;
    for (int k = 0; k < n; k++) {
        float u = ck_rng_uniform(&r);
        cr_assert(u >= 0.0f && u < 1.0f, "u = %g", (double)u);
        total += u;
    }
    cr_expect(fabs(total / n - 0.5) < 0.01, "mean %g", total / n);
}

Test(rng, uniform_is_top_24_bits)
{
    ck_rng r;
    ref_pcg ref;
    ck_rng_seed(&r, 11);
    ref_seed(&ref, 11, 54);
    for (int k = 0; k < 100; k++) {
        float expected = (float)(ref_next(&ref) >> 8) / 16777216.0f;
        cr_assert_eq(ck_rng_uniform(&r), expected);
    }
}

Test(rng, below_stays_below_and_covers)
{
    ck_rng r;
    ck_rng_seed(&r, 5);
    int counts[7] = {0};
    for (int k = 0; k < 70000; k++) {
        uint32_t v = ck_rng_below(&r, 7);
        cr_assert_lt(v, 7u);
        counts[v]++;
    }
    for (int v = 0; v < 7; v++) cr_expect(abs(counts[v] - 10000) < 500, "count[%d] = %d", v, counts[v]);
    cr_expect_eq(ck_rng_below(&r, 1), 0u);
}

Test(rng, normal_mean_and_std)
{
    ck_rng r;
    ck_rng_seed(&r, 2024);
    const int n = 100000;
    double sum = 0, sum_sq = 0;
    for (int k = 0; k < n; k++) {
        double z = ck_rng_normal(&r);
        cr_assert(isfinite(z));
        sum += z;
        sum_sq += z * z;
    }
    double mean = sum / n, std = sqrt(sum_sq / n - mean * mean);
    cr_expect(fabs(mean) < 0.02, "mean %g", mean);
    cr_expect(fabs(std - 1.0) < 0.02, "std %g", std);
}

/* The shuffle draws its swap partners ahead of the swaps (to prefetch
 * them): the permutation must be plain Fisher-Yates's with the same draws,
 * written out here with ck_rng_below on a second generator of that seed. */
static void plain_fisher_yates(int64_t *idx, int64_t n, uint64_t seed)
{
    ck_rng r;
    ck_rng_seed(&r, seed);
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)ck_rng_below(&r, (uint32_t)(i + 1));
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

Test(rng, shuffle_is_plain_fisher_yates_and_leaves_the_rng_where_it_would)
{
    static int64_t got[5000], want[5000];
    const int64_t sizes[] = {0, 1, 2, 15, 16, 17, 40, 5000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int64_t n = sizes[k];
        for (int64_t i = 0; i < n; i++) got[i] = want[i] = i * 3 + 1;
        ck_rng r;
        ck_rng_seed(&r, 42);
        ck_rng_shuffle(&r, got, n);
        plain_fisher_yates(want, n, 42);
        for (int64_t i = 0; i < n; i++)
            cr_assert_eq(got[i], want[i], "n = %lld, slot %lld", (long long)n, (long long)i);
        /* as many draws as the plain loop: the next number is the same */
        ck_rng after;
        ck_rng_seed(&after, 42);
        for (int64_t i = n - 1; i > 0; i--) ck_rng_below(&after, (uint32_t)(i + 1));
        cr_assert_eq(ck_rng_u32(&r), ck_rng_u32(&after), "n = %lld: the generator moved differently", (long long)n);
    }
    /* and it does permute: a shuffle of 5000 leaves few slots in place */
    int fixed = 0;
    for (int64_t i = 0; i < 5000; i++) fixed += got[i] == i * 3 + 1;
    cr_assert_lt(fixed, 20);
}

Test(rng, uniform_fill_is_the_same_draws_as_one_call_each)
{
    float filled[1000];
    for (int n = 0; n <= 1000; n += 333) {
        ck_rng a, b;
        ck_rng_seed(&a, 9);
        ck_rng_seed(&b, 9);
        ck_rng_uniform_fill(&a, filled, n);
        for (int i = 0; i < n; i++) {
            float one = ck_rng_uniform(&b);
            cr_assert_eq(filled[i], one, "n = %d, draw %d: %.9g vs %.9g", n, i, (double)filled[i], (double)one);
        }
        cr_assert_eq(ck_rng_u32(&a), ck_rng_u32(&b), "n = %d: the generators moved differently", n);
    }
}

/* Rows of 4, 12 and 32 bytes shuffled as rows go where ck_rng_shuffle
 * sends the index of each row, shuffle after shuffle, with the same draws. */
Test(rng, shuffle_rows_moves_whole_rows_as_the_index_shuffle_moves_indices)
{
    enum { N = 3001, MAX_WORDS = 8 };
    static uint32_t rows[N * MAX_WORDS];
    static int64_t idx[N];
    const int word_counts[] = {1, 3, 8};
    for (size_t k = 0; k < sizeof word_counts / sizeof word_counts[0]; k++) {
        int words = word_counts[k];
        for (int64_t i = 0; i < N; i++) {
            idx[i] = i;
            for (int w = 0; w < words; w++) rows[i * words + w] = (uint32_t)(i * 100 + w);
        }
        ck_rng a, b;
        ck_rng_seed(&a, 5);
        ck_rng_seed(&b, 5);
        for (int round = 0; round < 3; round++) {
            ck_rng_shuffle_rows(&a, rows, N, sizeof(uint32_t) * (size_t)words);
            ck_rng_shuffle(&b, idx, N);
            for (int64_t p = 0; p < N; p++)
                for (int w = 0; w < words; w++)
                    cr_assert_eq(rows[p * words + w], (uint32_t)(idx[p] * 100 + w),
                                 "%d-word rows, shuffle %d: slot %lld word %d holds %u, the index says row %lld", words,
                                 round + 1, (long long)p, w, rows[p * words + w], (long long)idx[p]);
        }
        cr_assert_eq(ck_rng_u32(&a), ck_rng_u32(&b), "%d-word rows: the generators drew differently", words);
    }
}
