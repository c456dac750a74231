/* The matrix-product kernels at the sizes of Dense layers, where a BLAS
 * build calls sgemm and, with threads, cuts the output into blocks of rows
 * (kernels_matmul.c): each result against a double-precision product
 * written out here, on one thread and on two, and two threads equal to
 * themselves run after run. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ck_kernels.h"
#include "ck_rng.h"

/* m k n: over a million multiply-adds (the split's threshold), odd sizes
 * so the blocks are uneven */
enum { M = 67, K = 131, N = 149 };

static float a[M * K], b[K * N], bt[N * K], dc[M * N];

static void fill(float *x, int n, ck_rng *r)
{
    for (int i = 0; i < n; i++) x[i] = ck_rng_uniform(r) * 2.0f - 1.0f;
}

static void setup(void)
{
    ck_rng r;
    ck_rng_seed(&r, 3);
    fill(a, M * K, &r);
    fill(b, K * N, &r);
    fill(dc, M * N, &r);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < N; j++) bt[j * K + i] = b[i * N + j];
}

TestSuite(matmul, .init = setup, .fini = NULL);

/* |got - want| within float rounding of a K- or M-term dot product */
static void expect_close(const float *got, const double *want, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        cr_assert(fabs((double)got[i] - want[i]) <= 1e-4 * (1.0 + fabs(want[i])), "%s[%d]: %.9g, want %.9g", what, i,
                  (double)got[i], want[i]);
}

/* c = a b, da = 0.5 + dc b^T, db = 0.25 + a^T dc on `threads` threads. */
static void products(int threads, float *c, float *da, float *db)
{
    cr_assert_eq(ck_set_num_threads(threads), 0);
    ck_k_matmul(c, a, b, M, K, N);
    for (int i = 0; i < M * K; i++) da[i] = 0.5f; /* the backward kernels accumulate */
    ck_k_matmul_backward_a(da, dc, b, bt, M, K, N);
    for (int i = 0; i < K * N; i++) db[i] = 0.25f;
    ck_k_matmul_backward_b(db, a, dc, M, K, N);
    ck_set_num_threads(1);
}

Test(matmul, dense_sized_products_and_their_backward_on_one_and_two_threads)
{
    static double want_c[M * N], want_da[M * K], want_db[K * N];
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int p = 0; p < K; p++) s += (double)a[i * K + p] * b[p * N + j];
            want_c[i * N + j] = s;
        }
    for (int i = 0; i < M; i++)
        for (int p = 0; p < K; p++) {
            double s = 0.5;
            for (int j = 0; j < N; j++) s += (double)dc[i * N + j] * b[p * N + j];
            want_da[i * K + p] = s;
        }
    for (int p = 0; p < K; p++)
        for (int j = 0; j < N; j++) {
            double s = 0.25;
            for (int i = 0; i < M; i++) s += (double)a[i * K + p] * dc[i * N + j];
            want_db[p * N + j] = s;
        }
    static float c[2][M * N], da[2][M * K], db[2][K * N], again[3][K * N];
    for (int t = 0; t < 2; t++) {
        products(t + 1, c[t], da[t], db[t]);
        expect_close(c[t], want_c, M * N, t ? "c (2 threads)" : "c");
        expect_close(da[t], want_da, M * K, t ? "da (2 threads)" : "da");
        expect_close(db[t], want_db, K * N, t ? "db (2 threads)" : "db");
    }
    products(2, again[0], again[1], again[2]);
    cr_assert_eq(memcmp(again[0], c[1], sizeof c[1]), 0, "c differs between two runs on two threads");
    cr_assert_eq(memcmp(again[1], da[1], sizeof da[1]), 0, "da differs between two runs on two threads");
    cr_assert_eq(memcmp(again[2], db[1], sizeof db[1]), 0, "db differs between two runs on two threads");
}

/* Where sgemm is not called (k or n 1: a Dense layer on one feature, or of
 * one unit) the built-in kernel keeps column sums in registers (up to 32
 * columns, blocks of 8 and 4 and single ones): every width that cuts them
 * differently gives exactly the row-by-row float sums written out here;
 * so does the input's gradient of a one-unit layer (n 1); and a bias's gradient (add's or sub's backward into a broadcast row, any
 * width) likewise. */
Test(matmul, small_weight_and_bias_gradients_are_the_row_by_row_sums)
{
    enum { ROWS = 37 };
    const int cases[][2] = {{1, 1},  {1, 3},  {1, 4},  {1, 5},  {1, 8},  {1, 12}, {1, 20},
                            {1, 31}, {1, 32}, {1, 37}, {1, 45}, {1, 70}, {2, 1},  {5, 1}}; /* k, n */
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const int inner = cases[c][0], n = cases[c][1];
        float db[5 * 70], want[5 * 70], bias[70], want_bias[70];
        for (int q = 0; q < inner * n; q++) db[q] = want[q] = 0.01f * (float)q - 0.2f;
        for (int i = 0; i < ROWS; i++) /* db[p, j] += a[i, p] dc[i, j], i in order, in floats */
            for (int p = 0; p < inner; p++)
                for (int j = 0; j < n; j++) want[p * n + j] += a[i * inner + p] * dc[i * n + j];
        ck_k_matmul_backward_b(db, a, dc, ROWS, inner, n);
        for (int q = 0; q < inner * n; q++)
            cr_assert_eq(db[q], want[q], "k %d n %d: db[%d] %.9g, want %.9g", inner, n, q, (double)db[q],
                         (double)want[q]);

        if (n == 1) { /* da[i, p] += dc[i] b[p]: one term each */
            float da[ROWS * 5], want_da[ROWS * 5];
            for (int q = 0; q < ROWS * inner; q++) da[q] = want_da[q] = 0.02f * (float)q;
            for (int i = 0; i < ROWS; i++)
                for (int p = 0; p < inner; p++) want_da[i * inner + p] += dc[i] * b[p];
            ck_k_matmul_backward_a(da, dc, b, b, ROWS, inner, 1);
            for (int q = 0; q < ROWS * inner; q++)
                cr_assert_eq(da[q], want_da[q], "k %d: da[%d] %.9g, want %.9g", inner, q, (double)da[q],
                             (double)want_da[q]);
        }
        /* (ROWS, n) - bias (n): the bias's gradient is minus the column sums of g (here dc) */
        ck_bcast plan;
        ck_shape out;
        cr_assert_eq(ck_bcast_plan(ck_shape_of(2, ROWS, n), ck_shape_of(1, n), &out, &plan), 0);
        for (int j = 0; j < n; j++) bias[j] = want_bias[j] = 0.5f - 0.03f * (float)j;
        for (int i = 0; i < ROWS; i++)
            for (int j = 0; j < n; j++) want_bias[j] += dc[i * n + j] * -1.0f;
        ck_k_binary_backward(CK_BIN_SUB, &plan, a, b, dc, NULL, bias);
        for (int j = 0; j < n; j++)
            cr_assert_eq(bias[j], want_bias[j], "n %d: bias gradient [%d] %.9g, want %.9g", n, j, (double)bias[j],
                         (double)want_bias[j]);
    }
}
