/* fit's packed training rows (models/packed_rows.c): each column kept in
 * the narrowest type that gives its values back exactly (the row widths
 * below are counted by hand), every batch unpacked bit for bit as the rows
 * an index shuffled with the same draws names, and rows too wide to pack
 * left to the index. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_model_internal.h"

#define N 500

static int32_t small_ids[N * 3], wide_ids[N];
static float whole[N], fractions[N], signed_zero[N], weights[N];
static ck_tensor x[3], y[1];

/* Column 0: whole numbers -150..150, 3 a row (two bytes each); column 1: whole floats
 * 1..5 (one byte); column 2 below; target: whole numbers or not. */
static void make_columns(const int32_t *ids, int ids_width, const float *third, const float *target)
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 3; j++) small_ids[i * 3 + j] = (i * 7 + j * 13) % 301 - 150;
        wide_ids[i] = i % 2 ? -40000 - i : 70000 + i;
        whole[i] = (float)(1 + i % 5);
        fractions[i] = (float)i * 0.25f - 3.1f;
        signed_zero[i] = i % 3 ? (float)(i % 9) : -0.0f;
        weights[i] = i % 4 ? 1.0f : 2.0f;
    }
    x[0] = ck_tensor_view(CK_I32, ck_shape_of(2, N, ids_width), (void *)ids);
    x[1] = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), whole);
    x[2] = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), (void *)third);
    y[0] = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), (void *)target);
}

/* Shuffle the packed rows and an index with the same draws, twice; every
 * batch of 64 (the last one short) must be the index's rows, bit for bit. */
static void check_batches_follow_the_index(ck_packed_rows *p, const ck_data *d, int n_in)
{
    static int64_t idx[N];
    for (int64_t i = 0; i < N; i++) idx[i] = i;
    ck_rng a, b;
    ck_rng_seed(&a, 3);
    ck_rng_seed(&b, 3);
    for (int epoch = 0; epoch < 2; epoch++) {
        ck_rng_shuffle_rows(&a, p->rows, p->n, (size_t)p->stride);
        ck_rng_shuffle(&b, idx, N);
        for (int64_t start = 0; start < N; start += 64) {
            int64_t count = N - start < 64 ? N - start : 64;
            const ck_data *batch = ck_packed_rows_batch(p, start, count);
            cr_assert_eq(batch->n, count);
            for (int c = 0; c < n_in + 1; c++) {
                const ck_tensor *from = c < n_in ? &d->x[c] : &d->y[0], *got = c < n_in ? &batch->x[c] : &batch->y[0];
                int64_t width = from->shape.d[1];
                cr_assert_eq(got->shape.d[0], count);
                cr_assert_eq(got->dtype, from->dtype);
                for (int64_t r = 0; r < count; r++)
                    cr_assert_eq(memcmp((const uint32_t *)got->data + r * width,
                                        (const uint32_t *)from->data + idx[start + r] * width, 4 * (size_t)width),
                                 0, "epoch %d, column %d, batch row %lld: not row %lld of the data", epoch, c,
                                 (long long)(start + r), (long long)idx[start + r]);
            }
            if (d->weights)
                for (int64_t r = 0; r < count; r++) cr_assert_eq(batch->weights[r], d->weights[idx[start + r]]);
        }
    }
}

/* Pack x (3 inputs) and y with the given weights: the row takes `stride`
 * bytes, and every batch comes back as the index's rows. */
static void pack_and_check(const float *w, int stride)
{
    ck_model m = {.n_in = 3, .n_out = 1};
    ck_data d = {.x = x, .y = y, .weights = w, .n = N};
    ck_packed_rows p;
    cr_assert_eq(ck_packed_rows_build(&m, &d, 64, &p), 1, "%s", ck_error());
    cr_assert_eq(p.stride, stride);
    check_batches_follow_the_index(&p, &d, 3);
    ck_packed_rows_free(&p);
}

Test(packed_rows, narrow_columns_pack_into_a_few_bytes_and_come_back_exactly)
{
    make_columns(small_ids, 3, fractions, whole);
    pack_and_check(NULL, 12); /* fractions 4 bytes + ids 3 x 2 + whole 1 + target 1 = 12 */
}

Test(packed_rows, wide_ids_negative_zero_and_weights_keep_their_bits)
{
    make_columns(wide_ids, 1, signed_zero, fractions);
    pack_and_check(weights, 16); /* ids past 16 bits 4 + -0.0 column 4 + target 4 + whole 1 + weights 1 = 14 -> 16 */
}

Test(packed_rows, rows_wider_than_half_a_cache_line_are_left_to_the_index)
{
    static float wide[N * 8];
    for (int i = 0; i < N * 8; i++) wide[i] = (float)i + 0.5f;
    make_columns(small_ids, 3, fractions, whole);
    x[2] = ck_tensor_view(CK_F32, ck_shape_of(2, N, 8), wide); /* 32 bytes alone */
    ck_model m = {.n_in = 3, .n_out = 1};
    ck_data d = {.x = x, .y = y, .n = N};
    ck_packed_rows p;
    cr_assert_eq(ck_packed_rows_build(&m, &d, 64, &p), 0);
    cr_assert_null(p.rows);
    ck_packed_rows_free(&p); /* an empty one frees nothing */
}
