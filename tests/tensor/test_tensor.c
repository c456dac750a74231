/* Shapes, creation, views, reshape and the error message API. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_kernels.h"
#include "ck_tensor.h"

static const char *shape_text(ck_shape s)
{
    static char buf[64];
    return ck_shape_str(s, buf, sizeof buf);
}

Test(shape, printer)
{
    cr_expect_str_eq(shape_text(ck_shape_of(2, 2048, 20)), "(2048, 20)");
    cr_expect_str_eq(shape_text(ck_shape_of(3, -1, 4, 20)), "(None, 4, 20)");
    cr_expect_str_eq(shape_text(ck_shape_of(0)), "()");
    cr_expect_str_eq(shape_text(ck_shape_of(1, 5)), "(5,)");
    cr_expect_str_eq(shape_text(ck_shape_of(4, 1, 2, 3, 4)), "(1, 2, 3, 4)");
    char small[6];
    ck_shape_str(ck_shape_of(2, 2048, 20), small, sizeof small);
    cr_expect_str_eq(small, "(2048"); /* truncated, still terminated */
}

Test(shape, size_eq_check)
{
    cr_expect_eq(ck_shape_size(ck_shape_of(3, 2, 3, 4)), 24);
    cr_expect_eq(ck_shape_size(ck_shape_of(0)), 1);
    cr_expect_eq(ck_shape_size(ck_shape_of(2, -1, 4)), -1);
    int dims[3] = {2, 3, 4};
    cr_expect(ck_shape_eq(ck_shape_make(3, dims), ck_shape_of(3, 2, 3, 4)));
    cr_expect(!ck_shape_eq(ck_shape_of(2, 2, 3), ck_shape_of(2, 3, 2)));
    cr_expect(!ck_shape_eq(ck_shape_of(1, 6), ck_shape_of(2, 6, 1)));

    ck_error_clear();
    cr_expect_eq(ck_shape_check(ck_shape_of(2, -1, 4), 1, "input"), 0);
    cr_expect_null(ck_error());
    cr_expect_eq(ck_shape_check(ck_shape_of(2, -1, 4), 0, "input"), -1);
    cr_expect_str_eq(ck_error(), "input: dim 0 of (None, 4) is -1, expected >= 0");
    ck_error_clear();
    ck_shape five;
    memset(&five, 0, sizeof five);
    five.ndim = 5;
    cr_expect_eq(ck_shape_check(five, 0, "x"), -1);
    cr_expect_str_eq(ck_error(), "x: 5 dims, expected 0 to 4");
    ck_error_clear();
}

Test(error, first_message_kept_and_prefix)
{
    ck_error_clear();
    cr_expect_null(ck_error());
    cr_expect_eq(ck_fail("first %d", 1), -1);
    cr_expect_eq(ck_fail("second %d", 2), -1);
    cr_expect_str_eq(ck_error(), "first 1");
    ck_error_prefix("layer '%s': ", "dense");
    cr_expect_str_eq(ck_error(), "layer 'dense': first 1");
    ck_error_clear();
    cr_expect_null(ck_error());
    ck_error_prefix("ignored: ");
    cr_expect_null(ck_error());
    ck_fail("third");
    cr_expect_str_eq(ck_error(), "third");
    ck_error_clear();
}

Test(tensor, creation)
{
    ck_tensor *z = ck_tensor_zeros(ck_shape_of(2, 2, 3));
    cr_assert_not_null(z);
    cr_expect_eq(z->size, 6);
    cr_expect_eq(z->dtype, CK_F32);
    for (int k = 0; k < 6; k++) cr_expect_eq(z->f[k], 0.0f);
    ck_tensor *o = ck_tensor_ones(ck_shape_of(1, 4));
    for (int k = 0; k < 4; k++) cr_expect_eq(o->f[k], 1.0f);
    const float data[3] = {1.5f, -2.0f, 3.25f};
    ck_tensor *d = ck_tensor_from_data(ck_shape_of(1, 3), data);
    cr_expect_eq(d->f[2], 3.25f);
    const int32_t ids[4] = {4, 0, 2, 9};
    ck_tensor *i = ck_tensor_from_ids(ck_shape_of(2, 2, 2), ids);
    cr_expect_eq(i->dtype, CK_I32);
    cr_expect_eq(i->i[3], 9);
    ck_tensor *c = ck_tensor_copy(d);
    d->f[0] = 100.0f;
    cr_expect_eq(c->f[0], 1.5f);
    ck_tensor *s = ck_tensor_zeros(ck_shape_of(0));
    cr_expect_eq(s->size, 1);
    ck_tensor_free(z);
    ck_tensor_free(o);
    ck_tensor_free(d);
    ck_tensor_free(i);
    ck_tensor_free(c);
    ck_tensor_free(s);

    ck_error_clear();
    cr_expect_null(ck_tensor_zeros(ck_shape_of(2, -1, 3)));
    cr_expect_str_eq(ck_error(), "tensor_new: dim 0 of (None, 3) is -1, expected >= 0");
    ck_error_clear();
}

Test(tensor, random_creation_is_seeded_and_in_range)
{
    ck_rng r1, r2;
    ck_rng_seed(&r1, 9);
    ck_rng_seed(&r2, 9);
    ck_tensor *u = ck_tensor_uniform(ck_shape_of(2, 100, 10), -0.05f, 0.05f, &r1);
    for (int k = 0; k < 1000; k++) {
        cr_assert(u->f[k] >= -0.05f && u->f[k] < 0.05f);
        float expected = -0.05f + 0.1f * ck_rng_uniform(&r2);
        cr_assert_eq(u->f[k], expected);
    }
    ck_tensor *n = ck_tensor_normal(ck_shape_of(1, 20000), 3.0f, 0.5f, &r1);
    double sum = 0, sq = 0;
    for (int k = 0; k < 20000; k++) {
        sum += n->f[k];
        sq += (double)n->f[k] * n->f[k];
    }
    double mean = sum / 20000, std = sqrt(sq / 20000 - mean * mean);
    cr_expect(fabs(mean - 3.0) < 0.02, "mean %g", mean);
    cr_expect(fabs(std - 0.5) < 0.02, "std %g", std);
    ck_tensor_free(u);
    ck_tensor_free(n);
}

Test(tensor, views_reshape_rows)
{
    float data[6] = {0, 1, 2, 3, 4, 5};
    ck_tensor t = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 3), data);
    cr_expect_eq(t.size, 6);
    cr_expect_eq(t.owns, 0);
    ck_tensor r;
    cr_assert_eq(ck_tensor_reshape(&t, ck_shape_of(2, 3, -1), &r), 0);
    cr_expect(ck_shape_eq(r.shape, ck_shape_of(2, 3, 2)));
    cr_expect_eq(r.f, data);
    cr_assert_eq(ck_tensor_reshape(&t, ck_shape_of(1, 6), &r), 0);
    cr_expect(ck_shape_eq(r.shape, ck_shape_of(1, 6)));

    ck_tensor rows = ck_tensor_rows(&t, 1, 1);
    cr_expect(ck_shape_eq(rows.shape, ck_shape_of(2, 1, 3)));
    cr_expect_eq(rows.f, data + 3);
    cr_expect_eq(rows.size, 3);

    ck_arena a;
    ck_arena_init(&a);
    ck_tensor at;
    cr_assert_eq(ck_tensor_arena(&a, CK_I32, ck_shape_of(2, 4, 4), &at), 0);
    cr_expect_eq(at.size, 16);
    for (int k = 0; k < 16; k++) cr_expect_eq(at.i[k], 0);
    ck_arena_free(&a);
}

Test(tensor, reshape_and_rows_errors)
{
    float data[6] = {0};
    ck_tensor t = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 3), data), r;
    ck_error_clear();
    cr_expect_eq(ck_tensor_reshape(&t, ck_shape_of(2, 4, 2), &r), -1);
    cr_expect_str_eq(ck_error(), "reshape: cannot reshape (2, 3) (6 elements) into (4, 2) (8 elements)");
    ck_error_clear();
    cr_expect_eq(ck_tensor_reshape(&t, ck_shape_of(2, -1, -1), &r), -1);
    cr_expect_str_eq(ck_error(), "reshape: target (None, None) has more than one -1 dim");
    ck_error_clear();
    cr_expect_eq(ck_tensor_reshape(&t, ck_shape_of(2, 4, -1), &r), -1);
    cr_expect_str_eq(ck_error(), "reshape: cannot infer the -1 dim of (4, None) from (2, 3) (6 elements)");
    ck_error_clear();
    ck_tensor bad = ck_tensor_rows(&t, 1, 2);
    cr_expect_null(bad.data);
    cr_expect_str_eq(ck_error(), "tensor_rows: rows [1, 3) out of range for shape (2, 3)");
    ck_error_clear();
}

Test(tensor, print)
{
    float data[4] = {1, 2.5f, -3, 4};
    ck_tensor t = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 2), data);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_tensor_print(&t, "w", f);
    fclose(f);
    cr_expect_str_eq(text, "w float32 (2, 2):\n  1 2.5\n  -3 4\n");
    free(text);
}

/* fit's shuffled batches: rows idx[r] of a (rows, width) table of 4-byte
 * values, copied as bits (ids and floats alike), past the prefetch
 * distance and at its edges. */
Test(tensor, take_rows32_copies_the_indexed_rows_bit_for_bit)
{
    enum { ROWS = 300, N = 200 };
    static uint32_t table[ROWS * 3], out[N * 3];
    static int64_t idx[N];
    for (int i = 0; i < ROWS * 3; i++) table[i] = 0x7fc00000u + (uint32_t)i * 2654435761u; /* NaN patterns too */
    for (int r = 0; r < N; r++) idx[r] = (r * 37 + 11) % ROWS;
    for (int64_t width = 1; width <= 3; width += 2)
        for (int64_t n = 0; n <= N; n += N / 4 + (n == 0)) {
            memset(out, 0xab, sizeof out);
            ck_k_take_rows32(out, table, idx, n, width);
            for (int64_t r = 0; r < n; r++)
                for (int64_t j = 0; j < width; j++)
                    cr_assert_eq(out[r * width + j], table[idx[r] * width + j], "width %lld, n %lld, row %lld",
                                 (long long)width, (long long)n, (long long)r);
            cr_assert_eq(out[n * width], 0xababababu, "wrote past row %lld", (long long)n);
        }
}

/* The id check before a gather: the first id outside [0, vocab), wherever
 * it sits (in the eight-lane body or the tail), negative or too large. */
Test(tensor, find_id_outside_names_the_first_bad_position)
{
    enum { N = 37, VOCAB = 10 };
    int32_t ids[N];
    for (int n = 0; n <= N; n++) {
        for (int i = 0; i < n; i++) ids[i] = (i * 7) % VOCAB;
        cr_assert_eq(ck_k_find_id_outside(ids, n, VOCAB), -1, "n %d: all ids are in range", n);
        for (int bad = 0; bad < n; bad++) {
            const int32_t culprits[] = {-1, VOCAB, INT32_MIN, INT32_MAX};
            for (int c = 0; c < 4; c++) {
                ids[bad] = culprits[c];
                if (bad + 3 < n) ids[bad + 3] = VOCAB + 5; /* a later one is not the first */
                cr_assert_eq(ck_k_find_id_outside(ids, n, VOCAB), bad, "n %d, id %d at %d", n, (int)culprits[c], bad);
                ids[bad] = 0;
                if (bad + 3 < n) ids[bad + 3] = 0;
            }
        }
    }
}
