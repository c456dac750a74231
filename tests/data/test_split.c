/* MT19937 and the sklearn-compatible splits (ck_split.h and the MovieLens
 * ones), against numpy's own output (fixtures/split_golden.txt, made once by
 * fixtures/gen_split_golden.py). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_error.h"
#include "ck_movielens.h"
#include "ck_mt19937.h"
#include "ck_split.h"

Test(mt19937, reference_outputs)
{
    /* The generator's published checks: with init_genrand(5489) the first
     * output is 3499211612 and the 10000th is 4123659995 (C++11 mt19937). */
    ck_mt19937 r;
    ck_mt19937_seed(&r, 5489);
    cr_expect_eq(ck_mt19937_u32(&r), 3499211612u);
    for (int i = 2; i < 10000; i++) ck_mt19937_u32(&r);
    cr_expect_eq(ck_mt19937_u32(&r), 4123659995u);
}

Test(mt19937, interval_stays_in_range)
{
    ck_mt19937 r;
    ck_mt19937_seed(&r, 1);
    const uint64_t maxes[] = {0, 1, 2, 5, 255, 256, 1000, 0xffffffffu, 0x100000000ull, 0x123456789ull};
    for (size_t k = 0; k < sizeof maxes / sizeof *maxes; k++)
        for (int i = 0; i < 200; i++) cr_assert_leq(ck_mt19937_interval(&r, maxes[k]), maxes[k]);
}

/* ---- the golden file ---- */

typedef struct golden_line {
    char kind[8];
    int64_t n;
    uint32_t seed;
    int64_t *v;
    int count;
} golden_line;

static FILE *open_golden(void)
{
    const char *root = getenv("CK_TEST_DATA");
    char path[4096];
    snprintf(path, sizeof path, "%s/data/fixtures/split_golden.txt", root ? root : "tests");
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    return f;
}

/* Reads the next data line; returns 0 at the end. */
static int read_golden(FILE *f, golden_line *g)
{
    static char line[1 << 16];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        char *p = line;
        long long n;
        unsigned long long seed;
        int used;
        cr_assert_eq(sscanf(p, "%7s %lld %llu%n", g->kind, &n, &seed, &used), 3);
        g->n = n;
        g->seed = (uint32_t)seed;
        p += used;
        g->count = 0;
        g->v = NULL;
        char *end;
        for (;;) {
            unsigned long long x = strtoull(p, &end, 10);
            if (end == p) break;
            g->v = realloc(g->v, (size_t)(g->count + 1) * sizeof *g->v);
            g->v[g->count++] = (int64_t)x;
            p = end;
        }
        return 1;
    }
    return 0;
}

Test(split, permutation_matches_numpy)
{
    FILE *f = open_golden();
    golden_line g;
    int checked = 0;
    int64_t *perm = NULL, perm_n = -1;
    uint32_t perm_seed = 0;
    while (read_golden(f, &g)) {
        if (g.n != perm_n || g.seed != perm_seed) {
            perm = realloc(perm, (size_t)g.n * sizeof *perm);
            cr_assert_eq(ck_numpy_permutation(g.n, g.seed, perm), 0);
            perm_n = g.n;
            perm_seed = g.seed;
        }
        if (!strcmp(g.kind, "full")) {
            cr_assert_eq(g.count, g.n);
            for (int64_t i = 0; i < g.n; i++)
                cr_assert_eq(perm[i], g.v[i], "n %lld seed %u [%lld]", (long long)g.n, g.seed, (long long)i);
        } else if (!strcmp(g.kind, "head") || !strcmp(g.kind, "tail")) {
            cr_assert_eq(g.count, 50);
            int64_t at = g.kind[0] == 'h' ? 0 : g.n - 50;
            for (int i = 0; i < 50; i++)
                cr_assert_eq(perm[at + i], g.v[i], "%s n %lld seed %u [%d]", g.kind, (long long)g.n, g.seed, i);
        } else {
            cr_assert_str_eq(g.kind, "sum");
            uint64_t sum = 0;
            for (int64_t i = 0; i < g.n; i++) sum += (uint64_t)(i + 1) * (uint64_t)perm[i];
            cr_assert_eq(sum, (uint64_t)g.v[0], "checksum n %lld seed %u", (long long)g.n, g.seed);
        }
        free(g.v);
        checked++;
    }
    fclose(f);
    free(perm);
    cr_expect_eq(checked, 17);
}

Test(split, sklearn_train_test_split_rows)
{
    /* full 1000 7 from the golden file: validation = first ceil(0.2 * 1000) */
    FILE *f = open_golden();
    golden_line g = {0};
    int found = 0;
    while (!found && read_golden(f, &g)) {
        if (!strcmp(g.kind, "full") && g.n == 1000 && g.seed == 7)
            found = 1;
        else
            free(g.v);
    }
    fclose(f);
    cr_assert(found);
    int64_t *tr, *va, n_tr, n_va;
    cr_assert_eq(ck_movielens_split(1000, 0.2, 7, &tr, &n_tr, &va, &n_va), 0);
    cr_assert_eq(n_va, 200);
    cr_assert_eq(n_tr, 800);
    for (int i = 0; i < 200; i++) cr_assert_eq(va[i], g.v[i]);
    for (int i = 0; i < 800; i++) cr_assert_eq(tr[i], g.v[200 + i]);
    free(tr);
    free(va);
    free(g.v);
}

Test(split, sizes_use_ceil_of_fraction)
{
    struct {
        int64_t n;
        double frac;
        int64_t want_val;
    } cases[] = {{10, 0.2, 2}, {11, 0.2, 3}, {1000209, 0.2, 200042}, {100000, 0.2, 20000}, {7, 0.5, 4},
                 {5, 0.0, 0},  {3, 0.01, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        int64_t *tr, *va, n_tr, n_va;
        cr_assert_eq(ck_movielens_split(cases[k].n, cases[k].frac, 3, &tr, &n_tr, &va, &n_va), 0);
        cr_expect_eq(n_va, cases[k].want_val, "n %lld frac %g", (long long)cases[k].n, cases[k].frac);
        cr_expect_eq(n_tr + n_va, cases[k].n);
        /* together a permutation of 0..n-1 */
        char *seen = calloc((size_t)cases[k].n, 1);
        for (int64_t i = 0; i < n_tr; i++) seen[tr[i]]++;
        for (int64_t i = 0; i < n_va; i++) seen[va[i]]++;
        for (int64_t i = 0; i < cases[k].n; i++) cr_assert_eq(seen[i], 1);
        free(seen);
        free(tr);
        free(va);
    }
}

Test(split, errors)
{
    int64_t *tr, *va, n_tr, n_va;
    cr_expect_eq(ck_movielens_split(10, 1.0, 7, &tr, &n_tr, &va, &n_va), -1);
    cr_expect_str_eq(ck_error(), "movielens_split: val_fraction = 1, must be in [0, 1)");
    cr_expect_null(tr);
    ck_error_clear();
    cr_expect_eq(ck_movielens_split(10, NAN, 7, &tr, &n_tr, &va, &n_va), -1);
    ck_error_clear();
    cr_expect_eq(ck_movielens_split(1, 0.5, 7, &tr, &n_tr, &va, &n_va), -1);
    cr_expect_str_eq(ck_error(), "movielens_split: val_fraction = 0.5 leaves no training rows of 1 "
                                 "(ceil(0.5 * 1) = 1 rows go to validation)");
    ck_error_clear();
    cr_expect_eq(ck_movielens_split(0, 0.2, 7, &tr, &n_tr, &va, &n_va), -1);
    cr_expect_str_eq(ck_error(), "movielens_split: n = 0, need at least 1 row");
    ck_error_clear();
    cr_expect_eq(ck_numpy_permutation(-1, 7, NULL), -1);
    cr_expect_str_eq(ck_error(), "numpy_permutation: n = -1 is negative");
    ck_error_clear();
}

/* ---- ck_train_test_split_indices: sklearn's train_test_split ---- */

/* test + train, in that order, is numpy's permutation p */
static int64_t split_at(const int64_t *train, const int64_t *test, int64_t n_test, int64_t i)
{
    return i < n_test ? test[i] : train[i - n_test];
}

Test(train_test_split, matches_numpy_permutations)
{
    const double test_sizes[] = {0.25, 0.2, 0.5};
    for (size_t s = 0; s < sizeof test_sizes / sizeof *test_sizes; s++) {
        const double test_size = test_sizes[s];
        FILE *f = open_golden();
        golden_line g;
        int checked = 0;
        int64_t *train = NULL, *test = NULL, n_train = 0, n_test = 0, split_n = -1;
        uint32_t split_seed = 0;
        while (read_golden(f, &g)) {
            if (g.n != split_n || g.seed != split_seed) {
                free(train);
                free(test);
                split_n = g.n;
                split_seed = g.seed;
                int rc = ck_train_test_split_indices(g.n, test_size, g.seed, &train, &n_train, &test, &n_test);
                if (g.n == 1) { /* one row: nothing is left to train on */
                    cr_assert_eq(rc, -1);
                    ck_error_clear();
                    free(g.v);
                    checked++;
                    continue;
                }
                cr_assert_eq(rc, 0, "%s", ck_error());
                cr_assert_eq(n_test, (int64_t)ceil(test_size * (double)g.n));
                cr_assert_eq(n_train + n_test, g.n);
            }
            if (!strcmp(g.kind, "full")) {
                for (int64_t i = 0; i < g.n; i++)
                    cr_assert_eq(split_at(train, test, n_test, i), g.v[i], "test_size %g n %lld seed %u [%lld]",
                                 test_size, (long long)g.n, g.seed, (long long)i);
            } else if (!strcmp(g.kind, "head") || !strcmp(g.kind, "tail")) {
                int64_t at = g.kind[0] == 'h' ? 0 : g.n - 50;
                for (int i = 0; i < 50; i++)
                    cr_assert_eq(split_at(train, test, n_test, at + i), g.v[i], "%s test_size %g n %lld seed %u [%d]",
                                 g.kind, test_size, (long long)g.n, g.seed, i);
            } else {
                uint64_t sum = 0;
                for (int64_t i = 0; i < g.n; i++) sum += (uint64_t)(i + 1) * (uint64_t)split_at(train, test, n_test, i);
                cr_assert_eq(sum, (uint64_t)g.v[0], "checksum test_size %g n %lld seed %u", test_size, (long long)g.n,
                             g.seed);
            }
            free(g.v);
            checked++;
        }
        fclose(f);
        free(train);
        free(test);
        cr_expect_eq(checked, 17);
    }
}

Test(train_test_split, test_rows_are_the_ceiling)
{
    struct {
        int64_t n;
        double test_size;
        int64_t want_test;
    } cases[] = {{10, 0.25, 3}, /* ceil(2.5) */
                 {10, 0.2, 2},           {11, 0.2, 3},  {7, 0.5, 4},
                 {3, 0.01, 1},           {2, 0.5, 1},   {10, 0.9, 9}, /* leaves exactly one training row */
                 {25, 0.28, 8}, /* 0.28 * 25 = 7.000000000000001 in double, as in Python */
                 {1000209, 0.2, 200042}, {5, 1e-300, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        int64_t n = cases[k].n, *train, *test, n_train, n_test;
        cr_assert_eq(ck_train_test_split_indices(n, cases[k].test_size, 9, &train, &n_train, &test, &n_test), 0, "%s",
                     ck_error());
        cr_expect_eq(n_test, cases[k].want_test, "n %lld test_size %g", (long long)n, cases[k].test_size);
        cr_expect_eq(ck_train_test_split_n_test(n, cases[k].test_size), cases[k].want_test);
        cr_expect_eq(n_train, n - n_test);
        /* together a permutation of 0..n-1 */
        char *seen = calloc((size_t)n, 1);
        for (int64_t i = 0; i < n_train; i++) seen[train[i]]++;
        for (int64_t i = 0; i < n_test; i++) seen[test[i]]++;
        for (int64_t i = 0; i < n; i++) cr_assert_eq(seen[i], 1);
        free(seen);
        free(train);
        free(test);
    }
}

/* A refused split: -1, the message, and empty outputs. */
static void expect_refused(int64_t n, double test_size, const char *message)
{
    int64_t not_set, *train = &not_set, *test = &not_set, n_train = -1, n_test = -1;
    cr_expect_eq(ck_train_test_split_indices(n, test_size, 7, &train, &n_train, &test, &n_test), -1,
                 "n %lld test_size %g", (long long)n, test_size);
    cr_expect_str_eq(ck_error(), message);
    cr_expect_null(train);
    cr_expect_null(test);
    cr_expect_eq(n_train, 0);
    cr_expect_eq(n_test, 0);
    ck_error_clear();
}

Test(train_test_split, refuses_what_sklearn_refuses)
{
    expect_refused(10, 0.0, "train_test_split: test_size = 0, must be in (0, 1)");
    expect_refused(10, -0.1, "train_test_split: test_size = -0.1, must be in (0, 1)");
    expect_refused(10, 1.0, "train_test_split: test_size = 1, must be in (0, 1)");
    expect_refused(10, 1.5, "train_test_split: test_size = 1.5, must be in (0, 1)");
    expect_refused(10, NAN, "train_test_split: test_size = nan, must be in (0, 1)");
    expect_refused(10, 0.95,
                   "train_test_split: test_size = 0.95 leaves no training rows of 10 "
                   "(ceil(0.95 * 10) = 10 rows go to validation)");
    expect_refused(1, 0.5,
                   "train_test_split: test_size = 0.5 leaves no training rows of 1 "
                   "(ceil(0.5 * 1) = 1 rows go to validation)");
    /* issue 14: a fraction just under 1 was printed as "1" (%g) */
    expect_refused(10, 0.9999999,
                   "train_test_split: test_size = 0.9999999 leaves no training rows of 10 "
                   "(ceil(0.9999999 * 10) = 10 rows go to validation)");
    expect_refused(0, 0.5,
                   "train_test_split: test_size = 0.5 leaves no training rows of 0 "
                   "(ceil(0.5 * 0) = 0 rows go to validation)");
    expect_refused(-3, 0.5, "train_test_split: n = -3 is negative");
    int64_t *train, n_train, n_test;
    cr_expect_eq(ck_train_test_split_indices(10, 0.5, 7, &train, &n_train, NULL, &n_test), -1);
    cr_expect_str_eq(ck_error(), "train_test_split: an output pointer is NULL");
    ck_error_clear();
}

Test(train_test_split, order_is_training_rows_then_test_rows)
{
    enum { N = 1000 };
    int64_t order[N], perm[N], *train, *test, n_train, n_test;
    cr_assert_eq(ck_train_test_split_indices(N, 0.2, 7, &train, &n_train, &test, &n_test), 0);
    cr_assert_eq(ck_train_test_split_order(N, n_test, 7, order), 0);
    for (int64_t i = 0; i < N; i++)
        cr_assert_eq(order[i], i < n_train ? train[i] : test[i - n_train], "[%lld]", (long long)i);
    free(train);
    free(test);
    /* no test rows: the whole permutation; all test rows: the same */
    cr_assert_eq(ck_numpy_permutation(N, 7, perm), 0);
    cr_assert_eq(ck_train_test_split_order(N, 0, 7, order), 0);
    cr_assert_eq(memcmp(order, perm, sizeof order), 0);
    cr_assert_eq(ck_train_test_split_order(N, N, 7, order), 0);
    cr_assert_eq(memcmp(order, perm, sizeof order), 0);
    cr_expect_eq(ck_train_test_split_order(0, 0, 7, NULL), 0);
    cr_expect_eq(ck_train_test_split_order(N, N + 1, 7, order), -1);
    cr_expect_str_eq(ck_error(), "train_test_split_order: n_test = 1001 is not in 0..1000");
    ck_error_clear();
    cr_expect_eq(ck_train_test_split_order(N, -1, 7, order), -1);
    ck_error_clear();
    cr_expect_eq(ck_train_test_split_order(-1, 0, 7, order), -1);
    cr_expect_str_eq(ck_error(), "train_test_split_order: n = -1 is negative");
    ck_error_clear();
    cr_expect_eq(ck_train_test_split_order(N, 1, 7, NULL), -1);
    cr_expect_str_eq(ck_error(), "train_test_split_order: output array is NULL");
    ck_error_clear();
}

/* ---- the in-place split ---- */

/* Every element of two batches, tensor by tensor. */
static void expect_same_batch(const ck_movielens_batch *got, const ck_movielens_batch *want)
{
    cr_assert_eq(got->n, want->n);
    for (int t = 0; t <= CK_ML_N_INPUTS; t++) {
        const ck_tensor *g = t < CK_ML_N_INPUTS ? &got->x[t] : &got->y;
        const ck_tensor *w = t < CK_ML_N_INPUTS ? &want->x[t] : &want->y;
        cr_assert_eq(g->dtype, w->dtype, "tensor %d", t);
        cr_assert_eq(g->shape.ndim, 2);
        cr_assert_eq(g->shape.d[0], w->shape.d[0], "tensor %d", t);
        cr_assert_eq(g->shape.d[1], w->shape.d[1], "tensor %d", t);
        cr_assert_eq(g->size, w->size);
        if (g->size > 0) cr_assert_eq(memcmp(g->data, w->data, (size_t)g->size * 4), 0, "tensor %d differs", t);
    }
}

Test(split_rows, five_rows_by_hand)
{
    /* numpy.random.RandomState(7).permutation(5) = [0 3 2 1 4]; test_size 0.4
     * -> validation rows 0, 3 and training rows 2, 1, 4 */
    float occupation[5] = {0.5f, 1.5f, 2.5f, 3.5f, 4.5f}, rating[5] = {1, 2, 3, 4, 5};
    int32_t uid[5] = {10, 11, 12, 13, 14}, mid[5] = {20, 21, 22, 23, 24};
    int32_t genre[5 * 3] = {0, 1, 2, 1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6};
    ck_movielens d = {
        .n = 5, .occupation = occupation, .uid = uid, .mid = mid, .genre = genre, .rating = rating, .maxlen = 3};
    ck_movielens_batch train, val;
    cr_assert_eq(ck_movielens_split_rows(&d, 0.4, 7, &train, &val), 0, "%s", ck_error());
    cr_assert_eq(train.n, 3);
    cr_assert_eq(val.n, 2);
    const int want_rows[5] = {2, 1, 4, 0, 3}; /* training, then validation */
    for (int i = 0; i < 5; i++) {
        int r = want_rows[i];
        cr_expect_eq(occupation[i], 0.5f + (float)r, "row %d", i);
        cr_expect_eq(uid[i], 10 + r);
        cr_expect_eq(mid[i], 20 + r);
        for (int k = 0; k < 3; k++) cr_expect_eq(genre[i * 3 + k], r + k, "row %d genre %d", i, k);
        cr_expect_eq(rating[i], (float)(r + 1));
    }
    /* views into d: training rows first, validation rows after them */
    cr_expect_eq(train.x[CK_ML_OCCUPATION].data, (void *)occupation);
    cr_expect_eq(train.x[CK_ML_GENRE].shape.d[1], 3);
    cr_expect_eq(val.x[CK_ML_UID].data, (void *)(uid + 3));
    cr_expect_eq(val.x[CK_ML_GENRE].data, (void *)(genre + 9));
    cr_expect_eq(val.y.data, (void *)(rating + 3));
    cr_expect_eq(val.y.shape.d[0], 2);
    ck_movielens_batch_free(&train); /* frees nothing: d owns the rows */
    ck_movielens_batch_free(&val);
    cr_expect_eq(uid[0], 12);
}

Test(split_rows, same_rows_as_split_and_gather)
{
    struct {
        double frac;
        uint32_t seed;
    } cases[] = {{0.2, 7}, {0.0, 3}, {0.5, 11}, {0.999, 1}, {0.01, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        ck_movielens copied, in_place;
        cr_assert_eq(ck_movielens_synthetic(5, 60, 40, 1000, &copied), 0, "%s", ck_error());
        cr_assert_eq(ck_movielens_synthetic(5, 60, 40, 1000, &in_place), 0);
        int64_t *tr, *va, n_tr, n_va;
        ck_movielens_batch want_train, want_val, train, val;
        cr_assert_eq(ck_movielens_split(copied.n, cases[c].frac, cases[c].seed, &tr, &n_tr, &va, &n_va), 0);
        cr_assert_eq(ck_movielens_gather(&copied, tr, n_tr, &want_train), 0);
        cr_assert_eq(ck_movielens_gather(&copied, va, n_va, &want_val), 0);
        cr_assert_eq(ck_movielens_split_rows(&in_place, cases[c].frac, cases[c].seed, &train, &val), 0, "%s",
                     ck_error());
        expect_same_batch(&train, &want_train);
        expect_same_batch(&val, &want_val);
        cr_expect_eq(train.x[CK_ML_MID].data, (void *)in_place.mid);
        ck_movielens_batch_free(&want_train);
        ck_movielens_batch_free(&want_val);
        ck_movielens_batch_free(&train);
        ck_movielens_batch_free(&val);
        free(tr);
        free(va);
        ck_movielens_free(&copied);
        ck_movielens_free(&in_place);
    }
}

Test(split_rows, errors_leave_the_data_unchanged)
{
    float occupation[2] = {1, 2}, rating[2] = {3, 4};
    int32_t uid[2] = {1, 2}, mid[2] = {5, 6}, genre[2 * 3] = {1, 0, 0, 2, 0, 0};
    ck_movielens d = {
        .n = 2, .occupation = occupation, .uid = uid, .mid = mid, .genre = genre, .rating = rating, .maxlen = 3};
    ck_movielens_batch train, val;
    cr_expect_eq(ck_movielens_split_rows(&d, 1.0, 7, &train, &val), -1);
    cr_expect_str_eq(ck_error(), "movielens_split_rows: val_fraction = 1, must be in [0, 1)");
    cr_expect_eq(train.n, 0);
    cr_expect_null(val.x[CK_ML_UID].data);
    ck_error_clear();
    cr_expect_eq(ck_movielens_split_rows(&d, 0.5001, 7, &train, &val), -1);
    cr_expect_str_eq(ck_error(), "movielens_split_rows: val_fraction = 0.5001 leaves no training rows of 2 "
                                 "(ceil(0.5001 * 2) = 2 rows go to validation)");
    ck_error_clear();
    cr_expect_eq(uid[0], 1);
    cr_expect_eq(uid[1], 2);
    cr_expect_eq(ck_movielens_split_rows(NULL, 0.2, 7, &train, &val), -1);
    cr_expect_str_eq(ck_error(), "movielens_split_rows: dataset is NULL or empty");
    ck_error_clear();
    cr_expect_eq(ck_movielens_split_rows(&d, 0.2, 7, NULL, &val), -1);
    ck_error_clear();
}
