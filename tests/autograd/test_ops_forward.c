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
    for (int64_t k = 0; k < n->value.size; k++) {
        float got = n->value.f[k], e = expected[k];
        int ok = isfinite(e) ? fabsf(got - e) <= 1e-5f * (1.0f + fabsf(e)) : isnan(e) ? isnan(got) : got == e;
        cr_expect(ok, "element %lld: %g, expected %g", (long long)k, (double)got, (double)e);
    }
}

/* Every element finite: what the stable ops promise for finite inputs. */
static void expect_finite(const ck_node *n)
{
    cr_assert_not_null(n, "%s", ck_error() ? ck_error() : "");
    for (int64_t k = 0; k < n->value.size; k++)
        cr_expect(isfinite(n->value.f[k]), "element %lld: %g", (long long)k, (double)n->value.f[k]);
}

/* d sum(op(x)) / dx at the given points: the derivative rule at kinks and
 * ties, which a gradient check cannot see. */
typedef ck_node *(*unary_fn)(ck_tape *t, ck_node *x, const void *settings);

static void expect_derivative(unary_fn op, const void *settings, int n, const float *x, const float *expected)
{
    ck_node *p = ck_param(ck_tensor_from_data(ck_shape_of(1, n), x), "x");
    ck_node *y = op(tape, p, settings);
    cr_assert_not_null(y, "%s", ck_error() ? ck_error() : "");
    ck_node *total = ck_sum_all(tape, y);
    cr_assert_eq(ck_backward(tape, total), 0, "%s", ck_error() ? ck_error() : "");
    for (int k = 0; k < n; k++) {
        float got = p->grad[k], e = expected[k];
        int ok = isfinite(e) ? fabsf(got - e) <= 1e-6f * (1.0f + fabsf(e)) : got == e;
        cr_expect(ok, "x = %g: d %g, expected %g", (double)x[k], (double)got, (double)e);
    }
    ck_param_free(p);
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

/* Over an empty axis the sum is 0 and the mean 0 / 0 = NaN, as numpy,
 * TF and PyTorch (np.mean(np.zeros((2, 0)), axis=1) is [nan, nan]). */
Test(forward, sum_and_mean_over_an_empty_axis)
{
    ck_node *empty = value(ck_shape_of(2, 2, 0), A23);
    expect_values(ck_sum(tape, empty, 1, 0), ck_shape_of(1, 2), (float[]){0, 0});
    expect_values(ck_mean(tape, empty, 1, 0), ck_shape_of(1, 2), (float[]){NAN, NAN});
    expect_values(ck_sum_all(tape, empty), ck_shape_of(0), (float[]){0});
    expect_values(ck_mean_all(tape, empty), ck_shape_of(0), (float[]){NAN});
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
    /* an empty batch: NaN, as Keras and PyTorch (mean of nothing) */
    expect_values(ck_mse(tape, value(ck_shape_of(2, 0, 1), p), value(ck_shape_of(2, 0, 1), t)), ck_shape_of(0),
                  (float[]){NAN});
}

Test(forward, table_lists_every_op_by_name)
{
    /* by id, so a row in the wrong place or a missing name (NULL) fails */
    const char *names[CK_OP_COUNT] = {
        [CK_OP_ADD] = "add",
        [CK_OP_SUB] = "sub",
        [CK_OP_MUL] = "mul",
        [CK_OP_SCALE] = "scale",
        [CK_OP_MATMUL] = "matmul",
        [CK_OP_SUM] = "sum",
        [CK_OP_MEAN] = "mean",
        [CK_OP_SQUARE] = "square",
        [CK_OP_RESHAPE] = "reshape",
        [CK_OP_CONCAT] = "concat",
        [CK_OP_GATHER] = "gather",
        [CK_OP_MASK_NONZERO] = "mask_nonzero",
        [CK_OP_MASKED_MEAN] = "masked_mean",
        [CK_OP_RELU] = "relu",
        [CK_OP_SIGMOID] = "sigmoid",
        [CK_OP_TANH] = "tanh",
        [CK_OP_MSE] = "mse",
        [CK_OP_EXP] = "exp",
        [CK_OP_LOG] = "log",
        [CK_OP_ABS] = "abs",
        [CK_OP_CLIP] = "clip",
        [CK_OP_SOFTMAX] = "softmax",
        [CK_OP_LOG_SOFTMAX] = "log_softmax",
        [CK_OP_SQRT] = "sqrt",
        [CK_OP_POW] = "pow",
        [CK_OP_DIV] = "div",
        [CK_OP_MAXIMUM] = "maximum",
        [CK_OP_MINIMUM] = "minimum",
        [CK_OP_SOFTPLUS] = "softplus",
        [CK_OP_SOFTSIGN] = "softsign",
        [CK_OP_ELU] = "elu",
        [CK_OP_SELU] = "selu",
        [CK_OP_GELU] = "gelu",
        [CK_OP_GELU_TANH] = "gelu_tanh",
        [CK_OP_SWISH] = "swish",
        [CK_OP_LEAKY_RELU] = "leaky_relu",
        [CK_OP_LOG_SIGMOID] = "log_sigmoid",
        [CK_OP_BATCH_NORM] = "batch_norm",
        [CK_OP_BATCH_NORM_INFERENCE] = "batch_norm_inference",
        [CK_OP_LAYER_NORM] = "layer_norm",
        [CK_OP_L2_NORMALIZE] = "l2_normalize",
        [CK_OP_PERMUTE] = "permute",
        [CK_OP_REPEAT] = "repeat",
        [CK_OP_MAX] = "max",
        [CK_OP_MASKED_MAX] = "masked_max",
        [CK_OP_SUM_CONCAT] = "sum_concat",
        [CK_OP_SUM_SQUARE_CONCAT] = "sum_square_concat",
        [CK_OP_SUM_GATHER] = "sum_gather",
    };
    for (int k = 0; k < CK_OP_COUNT; k++) {
        cr_assert_not_null(names[k], "op %d (%s) has no name in this test", k, ck_ops[k].name);
        cr_expect_str_eq(ck_ops[k].name, names[k]);
        cr_expect_not_null(ck_ops[k].shape);
        cr_expect_not_null(ck_ops[k].forward);
        if (k != CK_OP_MASK_NONZERO) cr_expect_not_null(ck_ops[k].backward, "%s", names[k]);
    }
}

/* ---- math and activations ---- */

Test(forward, exp_log_abs)
{
    const float x[5] = {-100, -1.5f, 0, 0.5f, 20};
    float e[5], a[5];
    for (int k = 0; k < 5; k++) {
        e[k] = (float)exp((double)x[k]);
        a[k] = x[k] < 0 ? -x[k] : x[k];
    }
    ck_node *n = value(ck_shape_of(2, 1, 5), x);
    expect_values(ck_exp(tape, n), ck_shape_of(2, 1, 5), e);
    expect_values(ck_abs(tape, n), ck_shape_of(2, 1, 5), a);
    /* log: 0 gives -inf and a negative NaN, as numpy; e^1 gives 1 */
    const float y[5] = {1, 2.718281828f, 0.25f, 0, -1};
    expect_values(ck_log(tape, value(ck_shape_of(1, 5), y)), ck_shape_of(1, 5),
                  (float[]){0, 1, (float)log(0.25), -INFINITY, NAN});
}

Test(forward, clip_keras_bounds)
{
    const float x[6] = {-3, -1, 0.5f, 2, 5, NAN};
    ck_node *n = value(ck_shape_of(1, 6), x);
    expect_values(ck_clip(tape, n, -1, 2), ck_shape_of(1, 6), (float[]){-1, -1, 0.5f, 2, 2, NAN});
    /* K.clip raises max_value to min_value when it is smaller: all 1 */
    expect_values(ck_clip(tape, n, 1, 0), ck_shape_of(1, 6), (float[]){1, 1, 1, 1, 1, NAN});
}

/* softmax along the last axis computed in double, the plain formula (safe
 * for the small inputs given). */
static void reference_softmax(const double *x, int n, float *out, int log_form)
{
    double sum = 0;
    for (int k = 0; k < n; k++) sum += exp(x[k]);
    for (int k = 0; k < n; k++) out[k] = (float)(log_form ? x[k] - log(sum) : exp(x[k]) / sum);
}

Test(forward, softmax_and_log_softmax)
{
    const float x[6] = {1, 2, 3, -0.5f, 0, 4}; /* (2, 3) */
    const double r0[3] = {1, 2, 3}, r1[3] = {-0.5, 0, 4};
    float sm[6], lsm[6];
    reference_softmax(r0, 3, sm, 0);
    reference_softmax(r1, 3, sm + 3, 0);
    reference_softmax(r0, 3, lsm, 1);
    reference_softmax(r1, 3, lsm + 3, 1);
    ck_node *n = value(ck_shape_of(2, 2, 3), x);
    expect_values(ck_softmax(tape, n, -1), ck_shape_of(2, 2, 3), sm);
    expect_values(ck_softmax(tape, n, 1), ck_shape_of(2, 2, 3), sm);
    expect_values(ck_log_softmax(tape, n, -1), ck_shape_of(2, 2, 3), lsm);
    /* axis 0: each column of (2, 3) on its own */
    float col[6];
    for (int j = 0; j < 3; j++) {
        const double c[2] = {x[j], x[3 + j]};
        float out[2];
        reference_softmax(c, 2, out, 0);
        col[j] = out[0];
        col[3 + j] = out[1];
    }
    expect_values(ck_softmax(tape, n, 0), ck_shape_of(2, 2, 3), col);
    /* 3-d, middle axis: (2, 2, 2), pairs x[o, 0, i], x[o, 1, i] */
    const float z[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    const float lo = (float)(1.0 / (1.0 + exp(2.0))), hi = 1.0f - lo; /* softmax of (a, a + 2) */
    expect_values(ck_softmax(tape, value(ck_shape_of(3, 2, 2, 2), z), 1), ck_shape_of(3, 2, 2, 2),
                  (float[]){lo, lo, hi, hi, lo, lo, hi, hi});
}

Test(forward, softmax_extreme_inputs_stay_finite)
{
    /* e^1000 overflows float: only the max-subtracted form is finite */
    const float x[3] = {1000, 1000, -1000};
    ck_node *n = value(ck_shape_of(1, 3), x);
    expect_values(ck_softmax(tape, n, -1), ck_shape_of(1, 3), (float[]){0.5f, 0.5f, 0});
    const float ln2 = (float)log(2.0);
    expect_values(ck_log_softmax(tape, n, -1), ck_shape_of(1, 3), (float[]){-ln2, -ln2, -2000 - ln2});
    const float big[4] = {3e4f, -3e4f, 0, 88.8f};
    ck_node *b = value(ck_shape_of(2, 2, 2), big);
    expect_values(ck_log_softmax(tape, b, -1), ck_shape_of(2, 2, 2), (float[]){0, -6e4f, -88.8f, 0});
    expect_finite(ck_softmax(tape, b, -1));
}

Test(forward, sum_all_mean_all)
{
    ck_node *a = value(ck_shape_of(2, 2, 3), A23);
    expect_values(ck_sum_all(tape, a), ck_shape_of(0), (float[]){21});
    expect_values(ck_mean_all(tape, a), ck_shape_of(0), (float[]){3.5f});
    const float s[1] = {4};
    expect_values(ck_sum_all(tape, value(ck_shape_of(0), s)), ck_shape_of(0), (float[]){4});
}

Test(forward, new_op_errors)
{
    ck_node *a = value(ck_shape_of(2, 2, 3), A23);
    cr_expect_null(ck_softmax(tape, a, 2));
    cr_expect_str_eq(ck_error(), "softmax: axis 2 out of range for shape (2, 3)");
    ck_error_clear();
    cr_expect_null(ck_log(tape, ids(ck_shape_of(1, 2), (int32_t[]){1, 2})));
    cr_expect_str_eq(ck_error(), "log: input 0 must be float32, got int32");
    ck_error_clear();
    cr_expect_null(ck_exp(tape, NULL)); /* an earlier failure flows through */
}

static ck_node *abs_op(ck_tape *t, ck_node *x, const void *s)
{
    (void)s;
    return ck_abs(t, x);
}

static ck_node *clip_op(ck_tape *t, ck_node *x, const void *s)
{
    const float *bounds = s;
    return ck_clip(t, x, bounds[0], bounds[1]);
}

Test(forward, derivatives_at_kinks_follow_tf)
{
    /* abs: sign(x), 0 at 0 (TF's Abs gradient is grad * sign(x)) */
    expect_derivative(abs_op, NULL, 3, (float[]){-2, 0, 3}, (float[]){-1, 0, 1});
    /* clip_by_value: 1 on [lo, hi] including the bounds, 0 outside */
    const float bounds[2] = {-1, 2};
    expect_derivative(clip_op, bounds, 5, (float[]){-3, -1, 0.5f, 2, 5}, (float[]){0, 1, 1, 1, 0});
}

Test(forward, sqrt_neg_pow)
{
    const float x[5] = {0, 0.25f, 4, 2, -1};
    ck_node *n = value(ck_shape_of(1, 5), x);
    expect_values(ck_sqrt(tape, n), ck_shape_of(1, 5), (float[]){0, 0.5f, 2, (float)sqrt(2.0), NAN});
    expect_values(ck_neg(tape, n), ck_shape_of(1, 5), (float[]){0, -0.25f, -4, -2, 1});
    expect_values(ck_pow(tape, n, 2), ck_shape_of(1, 5), (float[]){0, 0.0625f, 16, 4, 1});
    expect_values(ck_pow(tape, n, 3), ck_shape_of(1, 5), (float[]){0, 0.015625f, 64, 8, -1});
    expect_values(ck_pow(tape, n, 0.5f), ck_shape_of(1, 5), (float[]){0, 0.5f, 2, (float)sqrt(2.0), NAN});
    expect_values(ck_pow(tape, n, -1), ck_shape_of(1, 5), (float[]){INFINITY, 4, 0.25f, 0.5f, -1});
    expect_values(ck_pow(tape, n, 0), ck_shape_of(1, 5), (float[]){1, 1, 1, 1, 1});
}

Test(forward, div_broadcast_and_zero)
{
    ck_node *a = value(ck_shape_of(2, 2, 3), A23);
    const float row[3] = {1, 2, 4};
    expect_values(ck_div(tape, a, value(ck_shape_of(1, 3), row)), ck_shape_of(2, 2, 3),
                  (float[]){1, 1, 0.75f, 4, 2.5f, 1.5f});
    const float col[2] = {2, -4};
    expect_values(ck_div(tape, a, value(ck_shape_of(2, 2, 1), col)), ck_shape_of(2, 2, 3),
                  (float[]){0.5f, 1, 1.5f, -1, -1.25f, -1.5f});
    const float s[1] = {6};
    expect_values(ck_div(tape, value(ck_shape_of(0), s), a), ck_shape_of(2, 2, 3), (float[]){6, 3, 2, 1.5f, 1.2f, 1});
    /* IEEE: x / 0 is +-inf, 0 / 0 NaN */
    const float num[3] = {1, -1, 0}, zero[1] = {0};
    expect_values(ck_div(tape, value(ck_shape_of(1, 3), num), value(ck_shape_of(0), zero)), ck_shape_of(1, 3),
                  (float[]){INFINITY, -INFINITY, NAN});
}

Test(forward, maximum_minimum_broadcast)
{
    ck_node *a = value(ck_shape_of(2, 2, 3), A23);
    const float row[3] = {2, 0, 7};
    ck_node *r = value(ck_shape_of(1, 3), row);
    expect_values(ck_maximum(tape, a, r), ck_shape_of(2, 2, 3), (float[]){2, 2, 7, 4, 5, 7});
    expect_values(ck_minimum(tape, a, r), ck_shape_of(2, 2, 3), (float[]){1, 0, 3, 2, 0, 6});
    expect_values(ck_maximum(tape, r, a), ck_shape_of(2, 2, 3), (float[]){2, 2, 7, 4, 5, 7});
    const float s[1] = {3.5f};
    expect_values(ck_minimum(tape, value(ck_shape_of(0), s), a), ck_shape_of(2, 2, 3),
                  (float[]){1, 2, 3, 3.5f, 3.5f, 3.5f});
    cr_expect_null(ck_maximum(tape, a, value(ck_shape_of(1, 2), row)));
    cr_expect_str_eq(ck_error(), "maximum: shapes (2, 3) and (2,) do not broadcast");
    ck_error_clear();
}

static ck_node *maximum_x_c(ck_tape *t, ck_node *x, const void *s)
{
    ck_tensor c = ck_tensor_view(CK_F32, x->value.shape, (void *)s);
    return ck_maximum(t, x, ck_const(t, &c));
}
static ck_node *maximum_c_x(ck_tape *t, ck_node *x, const void *s)
{
    ck_tensor c = ck_tensor_view(CK_F32, x->value.shape, (void *)s);
    return ck_maximum(t, ck_const(t, &c), x);
}
static ck_node *minimum_x_c(ck_tape *t, ck_node *x, const void *s)
{
    ck_tensor c = ck_tensor_view(CK_F32, x->value.shape, (void *)s);
    return ck_minimum(t, x, ck_const(t, &c));
}
static ck_node *minimum_c_x(ck_tape *t, ck_node *x, const void *s)
{
    ck_tensor c = ck_tensor_view(CK_F32, x->value.shape, (void *)s);
    return ck_minimum(t, ck_const(t, &c), x);
}
static ck_node *sqrt_op(ck_tape *t, ck_node *x, const void *s)
{
    (void)s;
    return ck_sqrt(t, x);
}
static ck_node *pow_op(ck_tape *t, ck_node *x, const void *s) { return ck_pow(t, x, *(const float *)s); }

Test(forward, derivatives_at_ties_and_zero_follow_tf)
{
    /* x vs c = 1: below, tie, above. A tie sends the gradient to the first
     * input (TF: Maximum's greater_equal, Minimum's less_equal). */
    const float c[3] = {1, 1, 1}, x[3] = {0, 1, 2};
    expect_derivative(maximum_x_c, c, 3, x, (float[]){0, 1, 1});
    expect_derivative(maximum_c_x, c, 3, x, (float[]){0, 0, 1});
    expect_derivative(minimum_x_c, c, 3, x, (float[]){1, 1, 0});
    expect_derivative(minimum_c_x, c, 3, x, (float[]){1, 0, 0});
    /* sqrt at 0: 1 / (2 sqrt 0) = inf, as TF's SqrtGrad */
    expect_derivative(sqrt_op, NULL, 2, (float[]){0, 4}, (float[]){INFINITY, 0.25f});
    /* pow: p x^(p - 1); x^0 is constant, so 0 even at x = 0 */
    const float two = 2, zero = 0, half = 0.5f;
    expect_derivative(pow_op, &two, 3, (float[]){-1.5f, 0, 3}, (float[]){-3, 0, 6});
    expect_derivative(pow_op, &zero, 2, (float[]){0, 3}, (float[]){0, 0});
    expect_derivative(pow_op, &half, 1, (float[]){4}, (float[]){0.25f});
}

/* ---- activations: each against its formula in double, and Keras's own
 * documented outputs (tf.keras.activations docstrings, float32) ---- */

static const double selu_alpha = 1.6732632423543772848170429916717;
static const double selu_scale = 1.0507009873554804934193349852946;

static void expect_activation(ck_node *out, const float *x, int n, double (*f)(double, double), double a)
{
    float want[8];
    for (int k = 0; k < n; k++) want[k] = (float)f(x[k], a);
    expect_values(out, ck_shape_of(1, n), want);
    expect_finite(out);
}

static double softplus_ref(double x, double a)
{
    (void)a;
    return x > 30 ? x + log1p(exp(-x)) : log1p(exp(x));
}
static double softsign_ref(double x, double a)
{
    (void)a;
    return x / (1 + fabs(x));
}
static double elu_ref(double x, double a) { return x > 0 ? x : a * (exp(x) - 1); }
static double selu_ref(double x, double a)
{
    (void)a;
    return selu_scale * elu_ref(x, selu_alpha);
}
static double gelu_ref(double x, double a)
{
    (void)a;
    return 0.5 * x * erfc(-x / sqrt(2.0));
}
static double gelu_tanh_ref(double x, double a)
{
    (void)a;
    const double pi = 3.14159265358979323846;
    return 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x * x * x)));
}
static double swish_ref(double x, double a)
{
    (void)a;
    return x / (1 + exp(-x));
}
static double leaky_ref(double x, double a) { return x > 0 ? x : a * x; }
static double log_sigmoid_ref(double x, double a)
{
    (void)a;
    return x < -30 ? x - log1p(exp(x)) : -log1p(exp(-x));
}

Test(forward, activations_against_formulas_and_extremes)
{
    const float x[8] = {-100, -20, -1.5f, -0.25f, 0, 0.7f, 3, 100};
    ck_node *n = value(ck_shape_of(1, 8), x);
    expect_activation(ck_softplus(tape, n), x, 8, softplus_ref, 0);
    expect_activation(ck_softsign(tape, n), x, 8, softsign_ref, 0);
    expect_activation(ck_elu(tape, n, 1), x, 8, elu_ref, 1);
    expect_activation(ck_elu(tape, n, 0.5f), x, 8, elu_ref, 0.5);
    expect_activation(ck_selu(tape, n), x, 8, selu_ref, 0);
    expect_activation(ck_gelu(tape, n, 0), x, 8, gelu_ref, 0);
    expect_activation(ck_gelu(tape, n, 1), x, 8, gelu_tanh_ref, 0);
    expect_activation(ck_swish(tape, n), x, 8, swish_ref, 0);
    expect_activation(ck_leaky_relu(tape, n, 0.3f), x, 8, leaky_ref, 0.3);
    expect_activation(ck_log_sigmoid(tape, n), x, 8, log_sigmoid_ref, 0);
}

Test(forward, activations_match_keras_docstrings)
{
    const float a[5] = {-20, -1, 0, 1, 20}, b[5] = {-3, -1, 0, 1, 3};
    ck_node *na = value(ck_shape_of(1, 5), a), *nb = value(ck_shape_of(1, 5), b);
    expect_values(ck_softplus(tape, na), ck_shape_of(1, 5),
                  (float[]){2.0611537e-09f, 3.1326166e-01f, 6.9314718e-01f, 1.3132616e+00f, 2.0e+01f});
    expect_values(ck_swish(tape, na), ck_shape_of(1, 5),
                  (float[]){-4.1223075e-08f, -2.6894143e-01f, 0, 7.3105860e-01f, 2.0e+01f});
    expect_values(ck_gelu(tape, nb, 0), ck_shape_of(1, 5),
                  (float[]){-0.00404951f, -0.15865529f, 0, 0.8413447f, 2.9959507f});
    expect_values(ck_gelu(tape, nb, 1), ck_shape_of(1, 5),
                  (float[]){-0.00363752f, -0.15880796f, 0, 0.841192f, 2.9963627f});
    expect_values(ck_softsign(tape, value(ck_shape_of(1, 3), (float[]){-1, 0, 1})), ck_shape_of(1, 3),
                  (float[]){-0.5f, 0, 0.5f});
}

static ck_node *elu_op(ck_tape *t, ck_node *x, const void *s) { return ck_elu(t, x, *(const float *)s); }
static ck_node *leaky_op(ck_tape *t, ck_node *x, const void *s) { return ck_leaky_relu(t, x, *(const float *)s); }
static ck_node *selu_op(ck_tape *t, ck_node *x, const void *s)
{
    (void)s;
    return ck_selu(t, x);
}
static ck_node *softplus_op(ck_tape *t, ck_node *x, const void *s)
{
    (void)s;
    return ck_softplus(t, x);
}
static ck_node *log_sigmoid_op(ck_tape *t, ck_node *x, const void *s)
{
    (void)s;
    return ck_log_sigmoid(t, x);
}

Test(forward, activation_derivatives_at_0_and_extremes_follow_tf)
{
    /* TF's EluGrad and LeakyReluGrad take the negative branch at 0: alpha */
    const float half = 0.5f, leak = 0.3f;
    expect_derivative(elu_op, &half, 3, (float[]){-1, 0, 2}, (float[]){(float)(0.5 * exp(-1.0)), 0.5f, 1});
    expect_derivative(leaky_op, &leak, 3, (float[]){-1, 0, 2}, (float[]){0.3f, 0.3f, 1});
    expect_derivative(selu_op, NULL, 2, (float[]){0, 1},
                      (float[]){(float)(selu_scale * selu_alpha), (float)selu_scale});
    /* sigmoid(x) and 1 - sigmoid(x), finite at +-100 */
    const float s1 = (float)(1 / (1 + exp(-1.0)));
    expect_derivative(softplus_op, NULL, 3, (float[]){-100, 1, 100}, (float[]){0, s1, 1});
    expect_derivative(log_sigmoid_op, NULL, 3, (float[]){-100, 1, 100}, (float[]){1, 1 - s1, 0});
}

Test(forward, max_axes_ties_nan)
{
    const float x[6] = {1, 7, 3, 4, -5, 6}; /* (2, 3) */
    ck_node *a = value(ck_shape_of(2, 2, 3), x);
    expect_values(ck_max(tape, a, 0, 0), ck_shape_of(1, 3), (float[]){4, 7, 6});
    expect_values(ck_max(tape, a, -1, 0), ck_shape_of(1, 2), (float[]){7, 6});
    expect_values(ck_max(tape, a, 1, 1), ck_shape_of(2, 2, 1), (float[]){7, 6});
    const float z[8] = {0, 9, 2, 3, -4, -5, -6, -7}; /* (2, 2, 2), middle axis */
    expect_values(ck_max(tape, value(ck_shape_of(3, 2, 2, 2), z), 1, 0), ck_shape_of(2, 2, 2), (float[]){2, 9, -4, -5});
    const float all_low[3] = {-INFINITY, -1e30f, -INFINITY};
    expect_values(ck_max(tape, value(ck_shape_of(1, 3), all_low), 0, 0), ck_shape_of(0), (float[]){-1e30f});
    /* a NaN is the max, as numpy.max */
    const float with_nan[3] = {1, NAN, 5};
    expect_values(ck_max(tape, value(ck_shape_of(1, 3), with_nan), 0, 0), ck_shape_of(0), (float[]){NAN});
    cr_expect_null(ck_max(tape, value(ck_shape_of(2, 2, 0), x), 1, 0));
    cr_expect_str_eq(ck_error(), "max: axis 1 of shape (2, 0) is empty: no maximum");
    ck_error_clear();
}

static ck_node *max_op(ck_tape *t, ck_node *x, const void *s)
{
    (void)s;
    return ck_max(t, x, 0, 0);
}

Test(forward, max_gradient_is_shared_between_tied_maxima_as_tf)
{
    /* tf.reduce_max's gradient: 0.5 to each of the two 3s */
    expect_derivative(max_op, NULL, 4, (float[]){1, 3, 3, 2}, (float[]){0, 0.5f, 0.5f, 0});
    expect_derivative(max_op, NULL, 3, (float[]){-2, -3, -1}, (float[]){0, 0, 1});
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
