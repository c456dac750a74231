/* movielens_split.c - the notebook's train/validation split of the prepared
 * rows (sklearn's train_test_split, from ck_split.h) as index lists or in
 * place, and the batches fit and evaluate read (views or gathered copies). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ck_error.h"
#include "ck_movielens_internal.h"
#include "ck_split.h"

/* Every column of the dataset holds 4-byte elements (float or int32). */
#define ELEM_BYTES sizeof(float)
_Static_assert(sizeof(float) == 4 && sizeof(int32_t) == 4, "columns are 4-byte elements");
enum { ONE_WIDE_COLUMNS = 4 }; /* occupation, uid, mid, rating; genre is maxlen wide */

/* ------------------------------------------------------------------ split */

int ck_movielens_split(int64_t n, double val_fraction, uint32_t seed, int64_t **train_idx, int64_t *n_train,
                       int64_t **val_idx, int64_t *n_val)
{
    char shown[CK_DOUBLE_TEXT];
    if (!train_idx || !n_train || !val_idx || !n_val) return ck_fail("movielens_split: an output pointer is NULL");
    *train_idx = *val_idx = NULL;
    *n_train = *n_val = 0;
    if (n < 1) return ck_fail("movielens_split: n = %lld, need at least 1 row", (long long)n);
    if (!(val_fraction >= 0.0 && val_fraction < 1.0))
        return ck_fail("movielens_split: val_fraction = %s, must be in [0, 1)",
                       ck_shortest_double(val_fraction, shown, sizeof shown));
    if (n - ck_train_test_split_n_test(n, val_fraction) < 1)
        return ck_fail(
            "movielens_split: val_fraction = %s leaves no training rows of %lld (ceil(%s * %lld) = %lld rows "
            "go to validation)",
            ck_shortest_double(val_fraction, shown, sizeof shown), (long long)n, shown, (long long)n,
            (long long)ck_train_test_split_n_test(n, val_fraction));
    if (val_fraction > 0.0)
        return ck_train_test_split_indices(n, val_fraction, seed, train_idx, n_train, val_idx, n_val);
    /* no validation rows (sklearn refuses test_size 0): every row trains,
     * in the permutation's order; the empty validation list is still a
     * heap pointer, like any other */
    int64_t *all = ck_ml_alloc_array(n, sizeof *all), *none = ck_ml_alloc_array(0, sizeof *none);
    if (!all || !none) {
        free(all);
        free(none);
        return ck_fail("movielens_split: out of memory for %lld rows", (long long)n);
    }
    if (ck_train_test_split_order(n, 0, seed, all) < 0) {
        free(all);
        free(none);
        return -1;
    }
    *train_idx = all;
    *n_train = n;
    *val_idx = none;
    return 0;
}

/* ------------------------------------------------------------------ batches */

static ck_tensor view_2d(ck_dtype dtype, int rows, int cols, void *data)
{
    ck_tensor v;
    memset(&v, 0, sizeof v);
    v.dtype = dtype;
    v.shape.ndim = 2;
    v.shape.d[0] = rows;
    v.shape.d[1] = cols;
    v.size = (int64_t)rows * cols;
    v.data = data;
    v.owns = 0;
    return v;
}

/* out's tensors as views on the columns: occupation (n, 1), uid (n, 1),
 * mid (n, 1), genre (n, maxlen), rating (n, 1). */
static void set_views(ck_movielens_batch *out, int64_t n, int maxlen, float *occupation, int32_t *uid, int32_t *mid,
                      int32_t *genre, float *rating)
{
    const int rows = (int)n;
    out->n = n;
    out->x[CK_ML_OCCUPATION] = view_2d(CK_F32, rows, 1, occupation);
    out->x[CK_ML_UID] = view_2d(CK_I32, rows, 1, uid);
    out->x[CK_ML_MID] = view_2d(CK_I32, rows, 1, mid);
    out->x[CK_ML_GENRE] = view_2d(CK_I32, rows, maxlen, genre);
    out->y = view_2d(CK_F32, rows, 1, rating);
}

/* The batch of rows [first, first + n) of d, as views into d's arrays. */
static void view_rows(const ck_movielens *d, int64_t first, int64_t n, ck_movielens_batch *out)
{
    const int L = d->maxlen;
    memset(out, 0, sizeof *out);
    set_views(out, n, L, d->occupation + first, d->uid + first, d->mid + first, d->genre + first * L,
              d->rating + first);
}

void ck_movielens_batch_free(ck_movielens_batch *b)
{
    if (!b) return;
    free(b->storage_);
    memset(b, 0, sizeof *b);
}

/* ------------------------------------------------------------------ split in place */

/* Reorders the rows of a (n, width) array of 4-byte elements so that row i
 * becomes the old row order[i]. One column at a time through tmp (n), so the
 * extra memory is n elements whatever the width. */
static void reorder_rows(void *data, int64_t n, int width, const int64_t *order, uint32_t *tmp)
{
    unsigned char *bytes = data;
    const size_t row_bytes = (size_t)width * ELEM_BYTES;
    for (int k = 0; k < width; k++) {
        unsigned char *column = bytes + (size_t)k * ELEM_BYTES;
        for (int64_t i = 0; i < n; i++) {
            if (i + CK_ML_PREFETCH_AHEAD < n)
                CK_ML_PREFETCH(column + (size_t)order[i + CK_ML_PREFETCH_AHEAD] * row_bytes);
            memcpy(&tmp[i], column + (size_t)order[i] * row_bytes, ELEM_BYTES);
        }
        for (int64_t i = 0; i < n; i++) memcpy(column + (size_t)i * row_bytes, &tmp[i], ELEM_BYTES);
    }
}

int ck_movielens_split_rows(ck_movielens *d, double val_fraction, uint32_t seed, ck_movielens_batch *train,
                            ck_movielens_batch *val)
{
    char shown[CK_DOUBLE_TEXT];
    if (!train || !val) return ck_fail("movielens_split_rows: an output batch is NULL");
    memset(train, 0, sizeof *train);
    memset(val, 0, sizeof *val);
    if (!d || !d->uid) return ck_fail("movielens_split_rows: dataset is NULL or empty");
    int64_t n = d->n;
    if (n < 1 || n > INT_MAX) return ck_fail("movielens_split_rows: n = %lld rows, need 1..%d", (long long)n, INT_MAX);
    if (!(val_fraction >= 0.0 && val_fraction < 1.0))
        return ck_fail("movielens_split_rows: val_fraction = %s, must be in [0, 1)",
                       ck_shortest_double(val_fraction, shown, sizeof shown));
    /* the same counts and rows as ck_movielens_split */
    int64_t n_val = ck_train_test_split_n_test(n, val_fraction);
    int64_t n_train = n - n_val;
    if (n_train < 1)
        return ck_fail(
            "movielens_split_rows: val_fraction = %s leaves no training rows of %lld (ceil(%s * %lld) = %lld rows "
            "go to validation)",
            ck_shortest_double(val_fraction, shown, sizeof shown), (long long)n, shown, (long long)n,
            (long long)ck_train_test_split_n_test(n, val_fraction));
    int64_t *order = ck_ml_alloc_array(n, sizeof *order); /* training rows, then validation */
    uint32_t *tmp = ck_ml_alloc_array(n, sizeof *tmp);
    if (!order || !tmp) {
        free(order);
        free(tmp);
        return ck_fail("movielens_split_rows: out of memory for %lld rows", (long long)n);
    }
    if (ck_train_test_split_order(n, n_val, seed, order) < 0) {
        free(order);
        free(tmp);
        return -1;
    }
    reorder_rows(d->occupation, n, 1, order, tmp);
    reorder_rows(d->uid, n, 1, order, tmp);
    reorder_rows(d->mid, n, 1, order, tmp);
    reorder_rows(d->genre, n, d->maxlen, order, tmp);
    reorder_rows(d->rating, n, 1, order, tmp);
    free(order);
    free(tmp);
    view_rows(d, 0, n_train, train);
    view_rows(d, n_train, n_val, val);
    return 0;
}

/* ------------------------------------------------------------------ gather */

int ck_movielens_gather(const ck_movielens *d, const int64_t *idx, int64_t n, ck_movielens_batch *out)
{
    if (!out) return ck_fail("movielens_gather: output is NULL");
    memset(out, 0, sizeof *out);
    if (!d || !d->uid) return ck_fail("movielens_gather: dataset is NULL or empty");
    if (n < 0 || n > INT_MAX || (n > 0 && !idx))
        return ck_fail("movielens_gather: invalid index list (n = %lld)", (long long)n);
    for (int64_t i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= d->n)
            return ck_fail("movielens_gather: index %lld at position %lld is not in [0, %lld)", (long long)idx[i],
                           (long long)i, (long long)d->n);
    const int L = d->maxlen;
    /* one block: occupation (n) | uid (n) | mid (n) | genre (n, L) | rating (n) */
    float *block = ck_ml_alloc_array(n, (size_t)(ONE_WIDE_COLUMNS + L) * ELEM_BYTES);
    if (!block) return ck_fail("movielens_gather: out of memory for %lld rows", (long long)n);
    float *occupation = block;
    int32_t *uid = (int32_t *)(block + n);
    int32_t *mid = uid + n;
    int32_t *genre = mid + n;
    float *rating = (float *)(genre + n * L);
    for (int64_t i = 0; i < n; i++) {
        if (i + CK_ML_PREFETCH_AHEAD < n) {
            int64_t ahead = idx[i + CK_ML_PREFETCH_AHEAD];
            CK_ML_PREFETCH(&d->occupation[ahead]);
            CK_ML_PREFETCH(&d->uid[ahead]);
            CK_ML_PREFETCH(&d->mid[ahead]);
            CK_ML_PREFETCH(&d->genre[ahead * L]);
            CK_ML_PREFETCH(&d->rating[ahead]);
        }
        int64_t row = idx[i];
        occupation[i] = d->occupation[row];
        uid[i] = d->uid[row];
        mid[i] = d->mid[row];
        for (int k = 0; k < L; k++) genre[i * L + k] = d->genre[row * L + k];
        rating[i] = d->rating[row];
    }
    set_views(out, n, L, occupation, uid, mid, genre, rating);
    out->storage_ = block;
    return 0;
}
