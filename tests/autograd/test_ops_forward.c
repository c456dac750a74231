/* Forward values of every built-in op against numbers worked out by hand. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_autograd.h"

static ck_tape *tape;
static void setup(void)
{
    tape = ck_tape_new();
    ck_error_clear();
}
static void teardown(void)
{
    ck_tape_free(tape);
    ck_error_clear();
}
TestSuite(forward, .init = setup, .fini = teardown);

/* A constant node over literal data that lives in the tape's arena. */
static ck_node *value(ck_shape s, const float *data)
{
    ck_tensor t = ck_tensor_view(CK_F32, s, ck_tape_alloc(tape, (size_t)ck_shape_size(s) * 4));
    for (int64_t k = 0; k < t.size; k++) t.f[k] = data[k];
    return ck_const(tape, &t);
}

static ck_node *ids(ck_shape s, const int32_t *data)
{
    ck_tensor t = ck_tensor_view(CK_I32, s, ck_tape_alloc(tape, (size_t)ck_shape_size(s) * 4));
    for (int64_t k = 0; k < t.size; k++) t.i[k] = data[k];
    return ck_const(tape, &t);
}

static void expect_values(ck_node *n, ck_shape s, const float *expected)
{
    char got[64], want[64];
    cr_assert_not_null(n, "%s", ck_error() ? ck_error() : "");
    cr_assert(ck_shape_eq(n->value.shape, s), "shape %s, expected %s", ck_shape_str(n->value.shape, got, sizeof got),
              ck_shape_str(s, want, sizeof want));
    for (int64_t k = 0; k < n->value.size; k++)
        cr_expect(fabsf(n->value.f[k] - expected[k]) <= 1e-5f * (1.0f + fabsf(expected[k])),
                  "element %lld: %g, expected %g", (long long)k, (double)n->value.f[k], (double)expected[k]);
}

static const float A23[6] = {1, 2, 3, 4, 5, 6}; /* [[1,2,3],[4,5,6]] */

Test(forward, add_same_shape_row_column_scalar)
{
    ck_node *a = value(ck_shape_of(2, 2, 3), A23);
    const float b_same[6] = {10, 20, 30, 40, 50, 60};
    expect_values(ck_add(tape, a, value(ck_shape_of(2, 2, 3), b_same)), ck_shape_of(2, 2, 3),
                  (float[]){11, 22, 33, 44, 55, 66});
    const float row[3] = {10, 20, 30};
    expect_values(ck_add(tape, a, value(ck_shape_of(1, 3), row)), ck_shape_of(2, 2, 3),
                  (float[]){11, 22, 33, 14, 25, 36});
    expect_values(ck_add(tape, value(ck_shape_of(2, 1, 3), row), a), ck_shape_of(2, 2, 3),
                  (float[]){11, 22, 33, 14, 25, 36});
    const float col[2] = {100, 200};
    expect_values(ck_add(tape, a, value(ck_shape_of(2, 2, 1), col)), ck_shape_of(2, 2, 3),
                  (float[]){101, 102, 103, 204, 205, 206});
    const float s[1] = {0.5f};
    expect_values(ck_add(tape, a, value(ck_shape_of(0), s)), ck_shape_of(2, 2, 3),
                  (float[]){1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f});
    /* outer "product" by broadcasting: (2, 1) + (3) -> (2, 3) */
    expect_values(ck_add(tape, value(ck_shape_of(2, 2, 1), col), value(ck_shape_of(1, 3), row)), ck_shape_of(2, 2, 3),
                  (float[]){110, 120, 130, 210, 220, 230});
}

Test(forward, sub_and_mul_broadcast)
{
    ck_node *a = value(ck_shape_of(2, 2, 3), A23);
    const float row[3] = {1, 0, -1};
    expect_values(ck_sub(tape, a, value(ck_shape_of(1, 3), row)), ck_shape_of(2, 2, 3), (float[]){0, 2, 4, 3, 5, 7});
    const float s[1] = {10};
    expect_values(ck_sub(tape, value(ck_shape_of(0), s), a), ck_shape_of(2, 2, 3), (float[]){9, 8, 7, 6, 5, 4});
    const float col[2] = {2, -1};
    expect_values(ck_mul(tape, a, value(ck_shape_of(2, 2, 1), col)), ck_shape_of(2, 2, 3),
                  (float[]){2, 4, 6, -4, -5, -6});
    expect_values(ck_mul(tape, a, a), ck_shape_of(2, 2, 3), (float[]){1, 4, 9, 16, 25, 36});
}

Test(forward, broadcast_3d_middle)
{
    /* x (2, 2, 2) * m (2, 1, 2): m's rows repeat along the middle axis. */
    const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const float m[4] = {1, 10, 100, 1000};
    expect_values(ck_mul(tape, value(ck_shape_of(3, 2, 2, 2), x), value(ck_shape_of(3, 2, 1, 2), m)),
                  ck_shape_of(3, 2, 2, 2), (float[]){1, 20, 3, 40, 500, 6000, 700, 8000});
    /* (2, 1, 2) + (2, 1) -> (2, 2, 2) */
    const float c[2] = {0, 5};
    expect_values(ck_add(tape, value(ck_shape_of(3, 2, 1, 2), m), value(ck_shape_of(2, 2, 1), c)),
                  ck_shape_of(3, 2, 2, 2), (float[]){1, 10, 6, 15, 100, 1000, 105, 1005});
}

Test(forward, scale_square_activations)
{
    const float x[4] = {-2, -0.5f, 0, 1.5f};
    ck_node *n = value(ck_shape_of(1, 4), x);
    expect_values(ck_scale(tape, n, -2.0f), ck_shape_of(1, 4), (float[]){4, 1, 0, -3});
    expect_values(ck_square(tape, n), ck_shape_of(1, 4), (float[]){4, 0.25f, 0, 2.25f});
    expect_values(ck_relu(tape, n), ck_shape_of(1, 4), (float[]){0, 0, 0, 1.5f});
    float sig[4], th[4];
    for (int k = 0; k < 4; k++) {
        sig[k] = (float)(1.0 / (1.0 + exp(-(double)x[k])));
        th[k] = (float)((exp(2.0 * x[k]) - 1.0) / (exp(2.0 * x[k]) + 1.0));
    }
    expect_values(ck_sigmoid(tape, n), ck_shape_of(1, 4), sig);
    expect_values(ck_tanh(tape, n), ck_shape_of(1, 4), th);
    cr_expect_float_eq(sig[2], 0.5f, 1e-7f);
}

Test(forward, matmul)
{
    /* [[1,2,3],[4,5,6]] @ [[1,0],[0,1],[1,1]] = [[4,5],[10,11]] */
    const float b[6] = {1, 0, 0, 1, 1, 1};
    ck_node *a = value(ck_shape_of(2, 2, 3), A23);
    expect_values(ck_matmul(tape, a, value(ck_shape_of(2, 3, 2), b)), ck_shape_of(2, 2, 2), (float[]){4, 5, 10, 11});
    /* one column: a @ [1, -1, 2]^T = [5, 11] */
    const float v[3] = {1, -1, 2};
    expect_values(ck_matmul(tape, a, value(ck_shape_of(2, 3, 1), v)), ck_shape_of(2, 2, 1), (float[]){5, 11});
    /* 3-d a: (1, 2, 3) @ (3, 2) keeps the leading dims */
    expect_values(ck_matmul(tape, value(ck_shape_of(3, 1, 2, 3), A23), value(ck_shape_of(2, 3, 2), b)),
                  ck_shape_of(3, 1, 2, 2), (float[]){4, 5, 10, 11});
}

Test(forward, sum_mean_axes)
{
    ck_node *a = value(ck_shape_of(2, 2, 3), A23);
    expect_values(ck_sum(tape, a, 0, 0), ck_shape_of(1, 3), (float[]){5, 7, 9});
    expect_values(ck_sum(tape, a, 1, 0), ck_shape_of(1, 2), (float[]){6, 15});
    expect_values(ck_sum(tape, a, -1, 1), ck_shape_of(2, 2, 1), (float[]){6, 15});
    expect_values(ck_mean(tape, a, 0, 1), ck_shape_of(2, 1, 3), (float[]){2.5f, 3.5f, 4.5f});
    expect_values(ck_mean(tape, a, -1, 0), ck_shape_of(1, 2), (float[]){2, 5});
    const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}; /* (2, 2, 2) */
    expect_values(ck_mean(tape, value(ck_shape_of(3, 2, 2, 2), x), 1, 0), ck_shape_of(2, 2, 2), (float[]){2, 3, 6, 7});
}

Test(forward, reshape_concat)
{
    ck_node *a = value(ck_shape_of(2, 2, 3), A23);
    expect_values(ck_reshape(tape, a, ck_shape_of(2, 3, -1)), ck_shape_of(2, 3, 2), A23);
    const float b[2] = {7, 8};
    ck_node *col = value(ck_shape_of(2, 2, 1), b);
    ck_node *pair[2] = {a, col};
    expect_values(ck_concat(tape, pair, 2, 1), ck_shape_of(2, 2, 4), (float[]){1, 2, 3, 7, 4, 5, 6, 8});
    ck_node *row = value(ck_shape_of(2, 1, 3), (float[]){9, 9, 9});
    ck_node *rows[3] = {row, a, row};
    expect_values(ck_concat(tape, rows, 3, 0), ck_shape_of(2, 4, 3), (float[]){9, 9, 9, 1, 2, 3, 4, 5, 6, 9, 9, 9});
    ck_node *same[2] = {a, a};
    expect_values(ck_concat(tape, same, 2, -1), ck_shape_of(2, 2, 6), (float[]){1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6});
}

Test(forward, gather_and_masks)
{
    const float table[8] = {0, 0, 1, 2, 3, 4, 5, 6}; /* (4, 2) */
    ck_node *tbl = value(ck_shape_of(2, 4, 2), table);
    ck_node *id = ids(ck_shape_of(2, 2, 2), (int32_t[]){1, 3, 0, 1});
    expect_values(ck_gather(tape, tbl, id), ck_shape_of(3, 2, 2, 2), (float[]){1, 2, 5, 6, 0, 0, 1, 2});
    expect_values(ck_mask_nonzero(tape, id), ck_shape_of(2, 2, 2), (float[]){1, 1, 0, 1});

    /* x (2, 3, 2): row 0 uses slots 0 and 2, row 1 is all padding */
    const float x[12] = {1, 2, 100, 100, 5, 8, 3, 3, 3, 3, 3, 3};
    const float mask[6] = {1, 0, 1, 0, 0, 0};
    ck_node *mm = ck_masked_mean(tape, value(ck_shape_of(3, 2, 3, 2), x), value(ck_shape_of(2, 2, 3), mask), 1, 0);
    expect_values(mm, ck_shape_of(2, 2, 2), (float[]){3, 5, 0, 0});
    ck_node *mk = ck_masked_mean(tape, value(ck_shape_of(3, 2, 3, 2), x), value(ck_shape_of(2, 2, 3), mask), 1, 1);
    expect_values(mk, ck_shape_of(3, 2, 1, 2), (float[]){3, 5, 0, 0});
    /* axis 0 on a (3) vector with mask (3) */
    const float v[3] = {2, 4, 9};
    ck_node *mv = ck_masked_mean(tape, value(ck_shape_of(1, 3), v), value(ck_shape_of(1, 3), (float[]){1, 1, 0}), 0, 0);
    expect_values(mv, ck_shape_of(0), (float[]){3});
}

Test(forward, mse)
{
    const float p[4] = {1, 2, 3, 4}, t[4] = {1, 0, 3, 7};
    /* (0 + 4 + 0 + 9) / 4 = 3.25 */
    expect_values(ck_mse(tape, value(ck_shape_of(2, 4, 1), p), value(ck_shape_of(2, 4, 1), t)), ck_shape_of(0),
                  (float[]){3.25f});
}

Test(forward, table_lists_every_op_by_name)
{
    const char *names[CK_OP_COUNT] = {"add",
                                      "sub",
                                      "mul",
                                      "scale",
                                      "matmul",
                                      "sum",
                                      "mean",
                                      "square",
                                      "reshape",
                                      "concat",
                                      "gather",
                                      "mask_nonzero",
                                      "masked_mean",
                                      "relu",
                                      "sigmoid",
                                      "tanh",
                                      "mse",
                                      "batch_norm",
                                      "batch_norm_inference",
                                      "layer_norm",
                                      "l2_normalize",
                                      "permute",
                                      "repeat",
                                      "max",
                                      "masked_max"};
    for (int k = 0; k < CK_OP_COUNT; k++) {
        cr_expect_str_eq(ck_ops[k].name, names[k]);
        cr_expect_not_null(ck_ops[k].shape);
        cr_expect_not_null(ck_ops[k].forward);
        if (k != CK_OP_MASK_NONZERO) cr_expect_not_null(ck_ops[k].backward, "%s", names[k]);
    }
}

/* ---- normalization: expected values from plain double loops here ---- */

/* x viewed as (outer, channels, inner): the biased mean and variance of
 * channel c over outer and inner (by_channel), or of position (o, i) over
 * the channels (otherwise). */
static void reference_stats(const float *x, int outer, int channels, int inner, int by_channel, int which, double *mean,
                            double *var)
{
    int count = by_channel ? outer * inner : channels;
    double sum = 0, sq = 0;
    for (int k = 0; k < count; k++) {
        int o = by_channel ? k / inner : which / inner, i = by_channel ? k % inner : which % inner;
        int c = by_channel ? which : k;
        sum += x[(o * channels + c) * inner + i];
    }
    *mean = sum / count;
    for (int k = 0; k < count; k++) {
        int o = by_channel ? k / inner : which / inner, i = by_channel ? k % inner : which % inner;
        int c = by_channel ? which : k;
        double d = x[(o * channels + c) * inner + i] - *mean;
        sq += d * d;
    }
    *var = sq / count;
}

static void reference_norm(const float *x, const float *gamma, const float *beta, int outer, int channels, int inner,
                           int by_channel, double eps, float *y)
{
    for (int o = 0; o < outer; o++)
        for (int c = 0; c < channels; c++)
            for (int i = 0; i < inner; i++) {
                double mean, var;
                reference_stats(x, outer, channels, inner, by_channel, by_channel ? c : o * inner + i, &mean, &var);
                int k = (o * channels + c) * inner + i;
                y[k] = (float)(gamma[c] * (x[k] - mean) / sqrt(var + eps) + beta[c]);
            }
}

Test(forward, batch_norm_uses_batch_statistics_per_channel)
{
    /* (3, 2), channels on the last axis: [1, 3, 5] and [2, 6, 10] */
    const float x[6] = {1, 2, 3, 6, 5, 10}, gamma[2] = {2, 1}, beta[2] = {0.5f, -1};
    float y[6], mean[2], var[2];
    reference_norm(x, gamma, beta, 3, 2, 1, 1, 1e-3, y);
    ck_node *out = ck_batch_norm(tape, value(ck_shape_of(2, 3, 2), x), value(ck_shape_of(1, 2), gamma),
                                 value(ck_shape_of(1, 2), beta), -1, 1e-3f, mean, var);
    expect_values(out, ck_shape_of(2, 3, 2), y);
    cr_expect_float_eq(mean[0], 3.0f, 1e-6f);
    cr_expect_float_eq(mean[1], 6.0f, 1e-6f);
    cr_expect_float_eq(var[0], 8.0f / 3.0f, 1e-6f); /* biased: divided by 3, not 2 */
    cr_expect_float_eq(var[1], 32.0f / 3.0f, 1e-5f);
    /* channels on a middle axis: (2, 2, 3), axis 1, statistics over axes 0 and 2 */
    const float x3[12] = {1, 2, 3, -1, 0, 4, 2, 2, 5, 7, -3, 1}, g3[2] = {1, -0.5f}, b3[2] = {0, 2};
    float y3[12];
    reference_norm(x3, g3, b3, 2, 2, 3, 1, 1e-3, y3);
    expect_values(ck_batch_norm(tape, value(ck_shape_of(3, 2, 2, 3), x3), value(ck_shape_of(1, 2), g3),
                                value(ck_shape_of(1, 2), b3), 1, 1e-3f, NULL, NULL),
                  ck_shape_of(3, 2, 2, 3), y3);
}

Test(forward, batch_norm_inference_uses_the_given_statistics)
{
    const float x[4] = {1, 2, 3, 4}, gamma[2] = {2, 1}, beta[2] = {0, 1}, mean[2] = {1, 0}, var[2] = {4, 0.25f};
    /* channel 0: 2 (x - 1) / sqrt(4 + eps); channel 1: (x - 0) / sqrt(0.25 + eps) + 1 */
    double eps = 1e-3;
    float y[4] = {(float)(2 * 0 / sqrt(4 + eps)), (float)(2 / sqrt(0.25 + eps) + 1), (float)(2 * 2 / sqrt(4 + eps)),
                  (float)(4 / sqrt(0.25 + eps) + 1)};
    expect_values(ck_batch_norm_inference(tape, value(ck_shape_of(2, 2, 2), x), value(ck_shape_of(1, 2), gamma),
                                          value(ck_shape_of(1, 2), beta), value(ck_shape_of(1, 2), mean),
                                          value(ck_shape_of(1, 2), var), -1, (float)eps),
                  ck_shape_of(2, 2, 2), y);
}

Test(forward, layer_norm_normalises_each_row)
{
    const float x[8] = {1, 2, 3, 4, -2, 0, 0, 10}, gamma[4] = {1, 2, 0.5f, 1}, beta[4] = {0, 0, 1, -1};
    float y[8];
    reference_norm(x, gamma, beta, 2, 4, 1, 0, 1e-3, y);
    expect_values(ck_layer_norm(tape, value(ck_shape_of(2, 2, 4), x), value(ck_shape_of(1, 4), gamma),
                                value(ck_shape_of(1, 4), beta), -1, 1e-3f),
                  ck_shape_of(2, 2, 4), y);
    /* over axis 1 of (2, 2, 2): statistics per (o, i) over 2 values */
    const float g2[2] = {1, 1}, b2[2] = {0, 0};
    float y2[8];
    reference_norm(x, g2, b2, 2, 2, 2, 0, 1e-3, y2);
    expect_values(ck_layer_norm(tape, value(ck_shape_of(3, 2, 2, 2), x), value(ck_shape_of(1, 2), g2),
                                value(ck_shape_of(1, 2), b2), 1, 1e-3f),
                  ck_shape_of(3, 2, 2, 2), y2);
}

Test(forward, l2_normalize_rows_and_the_zero_floor)
{
    const float x[6] = {3, 4, 0, 0, 0, 0}; /* (3, 2): a 3-4-5 row, then zeros */
    expect_values(ck_l2_normalize(tape, value(ck_shape_of(2, 3, 2), x), -1), ck_shape_of(2, 3, 2),
                  (float[]){0.6f, 0.8f, 0, 0, 0, 0});
    /* axis 0 of (2, 2): columns [3, 0] and [4, 0] */
    expect_values(ck_l2_normalize(tape, value(ck_shape_of(2, 2, 2), x), 0), ck_shape_of(2, 2, 2),
                  (float[]){1, 1, 0, 0});
}

Test(forward, norm_shape_errors_name_the_inputs)
{
    const float x[6] = {1, 2, 3, 4, 5, 6};
    cr_assert_null(ck_batch_norm(tape, value(ck_shape_of(2, 2, 3), x), value(ck_shape_of(1, 2), x),
                                 value(ck_shape_of(1, 3), x), -1, 1e-3f, NULL, NULL));
    cr_assert(strstr(ck_error(), "batch_norm: input 1 has shape (2,), expected (3,)"), "%s", ck_error());
    ck_error_clear();
    cr_assert_null(ck_layer_norm(tape, value(ck_shape_of(2, 2, 3), x), value(ck_shape_of(1, 3), x),
                                 value(ck_shape_of(1, 3), x), 2, 1e-3f));
    cr_assert(strstr(ck_error(), "axis 2 out of range"), "%s", ck_error());
}

/* ---- layout ---- */

Test(forward, permute_transposes_any_axes)
{
    ck_node *a = value(ck_shape_of(2, 2, 3), A23);
    expect_values(ck_permute(tape, a, (int[]){1, 0}, 2), ck_shape_of(2, 3, 2), (float[]){1, 4, 2, 5, 3, 6});
    /* (2, 2, 2) with axes (0, 2, 1): each 2x2 block transposed */
    const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    ck_node *b = value(ck_shape_of(3, 2, 2, 2), x);
    expect_values(ck_permute(tape, b, (int[]){0, 2, 1}, 3), ck_shape_of(3, 2, 2, 2), (float[]){1, 3, 2, 4, 5, 7, 6, 8});
    /* (2, 1, 3) -> (3, 2, 1): y[i, j, 0] = x[j, 0, i] */
    expect_values(ck_permute(tape, value(ck_shape_of(3, 2, 1, 3), A23), (int[]){2, 0, 1}, 3), ck_shape_of(3, 3, 2, 1),
                  (float[]){1, 4, 2, 5, 3, 6});
    cr_assert_null(ck_permute(tape, a, (int[]){0, 0}, 2));
    cr_assert(strstr(ck_error(), "not a permutation"), "%s", ck_error());
}

Test(forward, repeat_inserts_an_axis_of_copies)
{
    ck_node *a = value(ck_shape_of(2, 2, 3), A23);
    expect_values(ck_repeat(tape, a, 1, 2), ck_shape_of(3, 2, 2, 3), (float[]){1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6});
    expect_values(ck_repeat(tape, a, 0, 2), ck_shape_of(3, 2, 2, 3), (float[]){1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6});
    expect_values(ck_repeat(tape, a, -1, 2), ck_shape_of(3, 2, 3, 2), (float[]){1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6});
    cr_assert_null(ck_repeat(tape, a, 4, 2));
    cr_assert(strstr(ck_error(), "repeat: cannot insert"), "%s", ck_error());
}

Test(forward, max_and_masked_max)
{
    /* x (2, 3, 2) */
    const float x[12] = {1, 9, 7, 2, 3, 3, -5, -1, -2, -8, -4, 0};
    ck_node *v = value(ck_shape_of(3, 2, 3, 2), x);
    expect_values(ck_max(tape, v, 1, 0), ck_shape_of(2, 2, 2), (float[]){7, 9, -2, 0});
    expect_values(ck_max(tape, v, -1, 1), ck_shape_of(3, 2, 3, 1), (float[]){9, 7, 3, -1, -2, 0});
    /* row 0 keeps steps 0 and 2, row 1 keeps none */
    const float mask[6] = {1, 0, 1, 0, 0, 0};
    expect_values(ck_masked_max(tape, v, value(ck_shape_of(2, 2, 3), mask), 1, 0), ck_shape_of(2, 2, 2),
                  (float[]){3, 9, 0, 0});
    cr_assert_null(ck_masked_max(tape, v, value(ck_shape_of(2, 3, 2), mask), 1, 0));
    cr_assert(strstr(ck_error(), "masked_max: mask shape (3, 2)"), "%s", ck_error());
}
