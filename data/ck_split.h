/* ck_split.h - scikit-learn's train_test_split on row indices, index for
 * index: for the same n, test_size and seed the rows are those of
 *
 *     train, test = train_test_split(np.arange(n), test_size=test_size,
 *                                    random_state=seed)
 *
 * (shuffle=True, no stratification). sklearn draws
 * p = numpy.random.RandomState(seed).permutation(n) (ck_numpy_permutation),
 * takes n_test = ceil(test_size * n) test rows from the front of p and the
 * training rows from the rest, each in p's order:
 *
 *     int64_t *train, *test, n_train, n_test;
 *     if (ck_train_test_split_indices(10, 0.25, 42, &train, &n_train, &test, &n_test) < 0)
 *         fprintf(stderr, "%s\n", ck_error());
 *     // n_test = ceil(2.5) = 3, n_train = 7
 *     free(train);
 *     free(test);
 *
 * Index i then picks row i of every array of the dataset (X[train[k]], y[train[k]]). */
#ifndef CK_SPLIT_H
#define CK_SPLIT_H

#include <stdint.h>

#include "ck_tensor.h"

/* sklearn's number of test rows for a fractional test_size:
 * ceil(test_size * n), computed in double as Python does. No checks. */
int64_t ck_train_test_split_n_test(int64_t n, double test_size);

/* train_test_split(test_size=test_size, random_state=seed) on n rows.
 * *test_idx (n_test) = p[0 .. n_test), *train_idx (n_train) = p[n_test .. n),
 * both heap arrays (free()). Refused, as sklearn refuses them (returns -1,
 * message set, outputs NULL and 0): test_size <= 0, >= 1 or NaN; n < 0; a
 * test_size that leaves no training row (n_train = n - n_test < 1, e.g. any
 * test_size with n = 1). */
int ck_train_test_split_indices(int64_t n, double test_size, uint32_t seed, int64_t **train_idx, int64_t *n_train,
                                int64_t **test_idx, int64_t *n_test);

/* The same split as one caller-owned array, for callers that reorder their
 * own rows in place: order (n) = the training rows, then the test rows
 * (train_idx followed by test_idx of ck_train_test_split_indices with
 * n_test = ck_train_test_split_n_test(n, test_size)). It takes the count, so
 * callers apply their own rules to it: 0 <= n_test <= n (n_test = 0, which
 * sklearn refuses, gives the whole permutation p). Returns 0, or -1
 * (message set) when n < 0, n_test is out of range or order is NULL with
 * n > 0. */
int ck_train_test_split_order(int64_t n, int64_t n_test, uint32_t seed, int64_t *order);

/* numpy's t[idx]: rows idx[0..n) of t (F32 or I32, any rank >= 1) as a new
 * (n, ...) tensor (ck_tensor_free). NULL (message) for an index out of
 * range. */
ck_tensor *ck_take_rows(const ck_tensor *t, const int64_t *idx, int64_t n);

#endif
