/* train_test_split.c - scikit-learn's train_test_split on row indices; see
 * ck_split.h. The permutation is numpy's (ck_mt19937.h); this file only
 * counts the rows and cuts the permutation where sklearn does. */
#include "ck_split.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ck_error.h"
#include "ck_mt19937.h"

int64_t ck_train_test_split_n_test(int64_t n, double test_size) { return (int64_t)ceil(test_size * (double)n); }

/* malloc of n indices, the size checked; n may be 0. */
static int64_t *alloc_indices(int64_t n)
{
    if (n < 0 || (uint64_t)n > SIZE_MAX / sizeof(int64_t)) return NULL;
    return malloc(n ? (size_t)n * sizeof(int64_t) : 1);
}

static void reverse_indices(int64_t *a, int64_t n)
{
    for (int64_t i = 0, j = n - 1; i < j; i++, j--) {
        int64_t swap = a[i];
        a[i] = a[j];
        a[j] = swap;
    }
}

int ck_train_test_split_order(int64_t n, int64_t n_test, uint32_t seed, int64_t *order)
{
    if (n < 0) return ck_fail("train_test_split_order: n = %lld is negative", (long long)n);
    if (n_test < 0 || n_test > n)
        return ck_fail("train_test_split_order: n_test = %lld is not in 0..%lld", (long long)n_test, (long long)n);
    if (n > 0 && !order) return ck_fail("train_test_split_order: output array is NULL");
    if (ck_numpy_permutation(n, seed, order) < 0) return -1;
    if (n == 0) return 0; /* nothing to rotate (and order may be NULL: no offsets from it) */
    /* p = [test rows | training rows]; rotate it left by n_test (three
     * reversals, no second array) so that order = [training rows | test rows] */
    reverse_indices(order, n_test);
    reverse_indices(order + n_test, n - n_test);
    reverse_indices(order, n);
    return 0;
}

int ck_train_test_split_indices(int64_t n, double test_size, uint32_t seed, int64_t **train_idx, int64_t *n_train,
                                int64_t **test_idx, int64_t *n_test)
{
    char shown[CK_DOUBLE_TEXT];
    if (!train_idx || !n_train || !test_idx || !n_test) return ck_fail("train_test_split: an output pointer is NULL");
    *train_idx = *test_idx = NULL;
    *n_train = *n_test = 0;
    if (!(test_size > 0.0 && test_size < 1.0))
        return ck_fail("train_test_split: test_size = %s, must be in (0, 1)",
                       ck_shortest_double(test_size, shown, sizeof shown));
    if (n < 0) return ck_fail("train_test_split: n = %lld is negative", (long long)n);
    int64_t test = ck_train_test_split_n_test(n, test_size);
    int64_t train = n - test;
    if (train < 1)
        return ck_fail("train_test_split: test_size = %s leaves no training rows of %lld (ceil(%s * %lld) = %lld rows "
                       "go to validation)",
                       ck_shortest_double(test_size, shown, sizeof shown), (long long)n, shown, (long long)n,
                       (long long)ck_train_test_split_n_test(n, test_size));

    int64_t *order = alloc_indices(n), *tr = alloc_indices(train), *te = alloc_indices(test);
    if (!order || !tr || !te) {
        free(order);
        free(tr);
        free(te);
        return ck_fail("train_test_split: out of memory for %lld rows", (long long)n);
    }
    if (ck_train_test_split_order(n, test, seed, order) < 0) {
        free(order);
        free(tr);
        free(te);
        return -1;
    }
    memcpy(tr, order, (size_t)train * sizeof *tr);
    memcpy(te, order + train, (size_t)test * sizeof *te);
    free(order);
    *train_idx = tr;
    *test_idx = te;
    *n_train = train;
    *n_test = test;
    return 0;
}

ck_tensor *ck_take_rows(const ck_tensor *t, const int64_t *idx, int64_t n)
{
    if (!t || (n > 0 && !idx) || t->shape.ndim < 1 || n < 0 || n > INT32_MAX) {
        ck_fail("take_rows: bad arguments");
        return NULL;
    }
    int64_t rows = t->shape.d[0], width = rows ? t->size / rows : 0;
    for (int64_t k = 0; k < n; k++)
        if (idx[k] < 0 || idx[k] >= rows) {
            ck_fail("take_rows: index %lld is not a row of %lld", (long long)idx[k], (long long)rows);
            return NULL;
        }
    ck_shape s = t->shape;
    s.d[0] = (int)n;
    ck_tensor *out = ck_tensor_new(t->dtype, s);
    if (!out) return NULL;
    size_t row_bytes = sizeof(float) * (size_t)width; /* F32 and I32 are both 4 bytes */
    for (int64_t k = 0; k < n; k++)
        memcpy((char *)out->data + (size_t)k * row_bytes, (const char *)t->data + (size_t)idx[k] * row_bytes,
               row_bytes);
    return out;
}
