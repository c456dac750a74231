/* Every differentiable op passes ck_gradcheck on several shapes. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_gradcheck.h"

/* What a build function needs: which op, its settings, and any constant
 * inputs (ids, masks) that are not checked. */
typedef struct case_spec {
    ck_op_id op;
    ck_op_args args;
    const ck_tensor *constant; /* second input when not a parameter */
} case_spec;

static ck_node *build_case(ck_tape *t, ck_node *const *in, int n, void *user)
{
    const case_spec *c = user;
    ck_node *inputs[6];
    int count = 0;
    for (int k = 0; k < n; k++) inputs[count++] = in[k];
    if (c->constant) inputs[count++] = ck_const(t, c->constant);
    return ck_apply(t, &ck_ops[c->op], inputs, count, &c->args);
}

/* Values in (-1, -0.1] U [0.1, 1): away from relu's kink. */
static ck_node *random_param(ck_rng *r, ck_shape s)
{
    ck_tensor *v = ck_tensor_uniform(s, -0.9f, 0.9f, r);
    for (int64_t k = 0; k < v->size; k++) v->f[k] += v->f[k] >= 0 ? 0.1f : -0.1f;
    return ck_param(v, "x");
}

static void check(case_spec *c, ck_node **params, int n)
{
    ck_error_clear();
    ck_gradcheck_result res;
    int rc = ck_gradcheck(build_case, c, params, n, 0, 0, 0, &res);
    cr_assert_eq(rc, 0, "gradcheck error: %s", ck_error() ? ck_error() : "");
    cr_expect(res.ok, "%s: %ld of %ld failed; worst input %d [%ld]: analytic %g numeric %g", ck_ops[c->op].name,
              res.n_failed, res.n_checked, res.worst_input, res.worst_index, res.worst_analytic, res.worst_numeric);
    long expected = 0;
    for (int k = 0; k < n; k++) expected += (long)params[k]->value.size;
    cr_expect_eq(res.n_checked, expected);
    for (int k = 0; k < n; k++) ck_param_free(params[k]);
}

static void check_binary(ck_op_id op, ck_shape a, ck_shape b, uint64_t seed)
{
    ck_rng r;
    ck_rng_seed(&r, seed);
    case_spec c = {.op = op};
    ck_node *p[2] = {random_param(&r, a), random_param(&r, b)};
    check(&c, p, 2);
}

static void check_unary(ck_op_id op, ck_shape s, ck_op_args args, uint64_t seed)
{
    ck_rng r;
    ck_rng_seed(&r, seed);
    case_spec c = {.op = op, .args = args};
    ck_node *p[1] = {random_param(&r, s)};
    check(&c, p, 1);
}

/* Every broadcasting pattern the kernels special-case, and the general one. */
enum { n_broadcast_pairs = 9 };
static ck_shape broadcast_pairs[n_broadcast_pairs][2];

static void init_pairs(void)
{
    ck_shape pairs[9][2] = {
        {ck_shape_of(2, 3, 4), ck_shape_of(2, 3, 4)},       /* same shape */
        {ck_shape_of(2, 3, 4), ck_shape_of(1, 4)},          /* row vector (n) */
        {ck_shape_of(2, 3, 4), ck_shape_of(2, 1, 4)},       /* row vector (1, n) */
        {ck_shape_of(2, 3, 4), ck_shape_of(2, 3, 1)},       /* column */
        {ck_shape_of(2, 3, 4), ck_shape_of(0)},             /* scalar */
        {ck_shape_of(0), ck_shape_of(2, 3, 4)},             /* scalar on the left */
        {ck_shape_of(3, 2, 3, 4), ck_shape_of(3, 2, 1, 4)}, /* 3-d, middle broadcast */
        {ck_shape_of(2, 3, 1), ck_shape_of(1, 4)},          /* both stretched */
        {ck_shape_of(4, 2, 1, 3, 2), ck_shape_of(3, 3, 1, 2)},
    };
    memcpy(broadcast_pairs, pairs, sizeof pairs);
}

Test(gradcheck, add_sub_mul_all_broadcast_cases)
{
    init_pairs();
    const ck_op_id ops[3] = {CK_OP_ADD, CK_OP_SUB, CK_OP_MUL};
    for (int o = 0; o < 3; o++)
        for (int k = 0; k < n_broadcast_pairs; k++)
            check_binary(ops[o], broadcast_pairs[k][0], broadcast_pairs[k][1], (uint64_t)(10 * o + k));
}

Test(gradcheck, same_node_twice)
{
    ck_rng r;
    ck_rng_seed(&r, 77);
    ck_node *x = random_param(&r, ck_shape_of(2, 2, 3));
    case_spec c = {.op = CK_OP_MUL};
    /* mul(x, x): the same parameter as both inputs, gradients add up */
    ck_node *both[2] = {x, x};
    ck_gradcheck_result res;
    cr_assert_eq(ck_gradcheck(build_case, &c, both, 2, 0, 0, 0, &res), 0);
    cr_expect(res.ok);
    ck_param_free(x);
}

Test(gradcheck, scale_square_activations)
{
    ck_op_args none = {0}, scale = {0};
    scale.alpha = -1.7f;
    const ck_shape shapes[3] = {ck_shape_of(1, 5), ck_shape_of(2, 3, 4), ck_shape_of(4, 2, 1, 2, 3)};
    for (int k = 0; k < 3; k++) {
        check_unary(CK_OP_SCALE, shapes[k], scale, 100 + k);
        check_unary(CK_OP_SQUARE, shapes[k], none, 110 + k);
        check_unary(CK_OP_RELU, shapes[k], none, 120 + k);
        check_unary(CK_OP_SIGMOID, shapes[k], none, 130 + k);
        check_unary(CK_OP_TANH, shapes[k], none, 140 + k);
    }
}

Test(gradcheck, matmul_shapes)
{
    const ck_shape pairs[5][2] = {
        {ck_shape_of(2, 4, 3), ck_shape_of(2, 3, 5)},
        {ck_shape_of(2, 4, 3), ck_shape_of(2, 3, 1)}, /* one column: the dot-product path */
        {ck_shape_of(2, 1, 6), ck_shape_of(2, 6, 2)},
        {ck_shape_of(3, 2, 3, 4), ck_shape_of(2, 4, 2)},
        {ck_shape_of(1, 3), ck_shape_of(2, 3, 2)},
    };
    for (int k = 0; k < 5; k++) check_binary(CK_OP_MATMUL, pairs[k][0], pairs[k][1], 200 + k);
}

Test(gradcheck, sum_mean_every_axis)
{
    for (int axis = -3; axis < 3; axis++)
        for (int keep = 0; keep < 2; keep++) {
            ck_op_args args = {0};
            args.axis = axis;
            args.keepdims = keep;
            check_unary(CK_OP_SUM, ck_shape_of(3, 2, 3, 4), args, 300 + axis + 10 * keep);
            check_unary(CK_OP_MEAN, ck_shape_of(3, 2, 3, 4), args, 400 + axis + 10 * keep);
        }
}

Test(gradcheck, reshape)
{
    ck_op_args args = {0};
    args.shape = ck_shape_of(3, 4, -1, 3);
    check_unary(CK_OP_RESHAPE, ck_shape_of(2, 6, 4), args, 500);
    args.shape = ck_shape_of(1, 24);
    check_unary(CK_OP_RESHAPE, ck_shape_of(3, 2, 3, 4), args, 501);
}

Test(gradcheck, concat_axes_and_counts)
{
    ck_rng r;
    ck_rng_seed(&r, 600);
    for (int axis = 0; axis < 3; axis++)
        for (int count = 2; count <= 4; count++) {
            ck_node *p[4];
            for (int k = 0; k < count; k++) {
                int dims[3] = {2, 3, 2};
                dims[axis] = k + 1; /* inputs of different lengths along axis */
                p[k] = random_param(&r, ck_shape_make(3, dims));
            }
            case_spec c = {.op = CK_OP_CONCAT};
            c.args.axis = axis;
            check(&c, p, count);
        }
}

Test(gradcheck, gather_with_repeated_ids)
{
    ck_rng r;
    ck_rng_seed(&r, 700);
    const int32_t id_data[6] = {2, 0, 2, 4, 2, 0}; /* 2 three times, 0 twice, 1 and 3 unused */
    ck_tensor id2 = ck_tensor_view(CK_I32, ck_shape_of(2, 2, 3), (void *)id_data);
    ck_tensor id1 = ck_tensor_view(CK_I32, ck_shape_of(1, 6), (void *)id_data);
    ck_tensor id3 = ck_tensor_view(CK_I32, ck_shape_of(3, 1, 2, 3), (void *)id_data);
    const ck_tensor *all[3] = {&id1, &id2, &id3};
    for (int k = 0; k < 3; k++) {
        case_spec c = {.op = CK_OP_GATHER, .constant = all[k]};
        ck_node *p[1] = {random_param(&r, ck_shape_of(2, 5, 3))};
        check(&c, p, 1);
    }
}

Test(gradcheck, masked_mean_padded_rows)
{
    ck_rng r;
    ck_rng_seed(&r, 800);
    /* mask (3, 4): a full row, a padded row, an all-padding row */
    const float mask_data[12] = {1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0};
    ck_tensor mask = ck_tensor_view(CK_F32, ck_shape_of(2, 3, 4), (void *)mask_data);
    for (int keep = 0; keep < 2; keep++) {
        case_spec c = {.op = CK_OP_MASKED_MEAN, .constant = &mask};
        c.args.axis = 1;
        c.args.keepdims = keep;
        ck_node *p[1] = {random_param(&r, ck_shape_of(3, 3, 4, 5))};
        check(&c, p, 1);
    }
    /* x (3, 4) with axis -1: no inner dims */
    case_spec c = {.op = CK_OP_MASKED_MEAN, .constant = &mask};
    c.args.axis = -1;
    ck_node *p[1] = {random_param(&r, ck_shape_of(2, 3, 4))};
    check(&c, p, 1);
}

Test(gradcheck, masked_mean_mask_gradient)
{
    /* A soft (trainable) mask: checks d out / d mask too. */
    ck_rng r;
    ck_rng_seed(&r, 810);
    ck_tensor *m = ck_tensor_uniform(ck_shape_of(2, 2, 3), 0.5f, 1.5f, &r);
    ck_node *p[2] = {random_param(&r, ck_shape_of(3, 2, 3, 2)), ck_param(m, "mask")};
    case_spec c = {.op = CK_OP_MASKED_MEAN};
    c.args.axis = 1;
    check(&c, p, 2);
}

Test(gradcheck, mse_both_inputs)
{
    check_binary(CK_OP_MSE, ck_shape_of(2, 5, 1), ck_shape_of(2, 5, 1), 900);
    check_binary(CK_OP_MSE, ck_shape_of(3, 2, 3, 2), ck_shape_of(3, 2, 3, 2), 901);
}

/* ---- normalization ---- */

/* x, gamma, beta all checked; epsilon 1e-3 as Keras's default. */
static void check_norm(ck_op_id op, ck_shape x, int axis, uint64_t seed)
{
    ck_rng r;
    ck_rng_seed(&r, seed);
    int channels = x.d[axis < 0 ? axis + x.ndim : axis];
    case_spec c = {.op = op};
    c.args.axis = axis;
    c.args.alpha = 1e-3f;
    ck_node *p[3] = {random_param(&r, x), random_param(&r, ck_shape_of(1, channels)),
                     random_param(&r, ck_shape_of(1, channels))};
    check(&c, p, 3);
}

Test(gradcheck, batch_norm_and_layer_norm_axes)
{
    check_norm(CK_OP_BATCH_NORM, ck_shape_of(2, 5, 3), -1, 1000);
    check_norm(CK_OP_BATCH_NORM, ck_shape_of(3, 2, 3, 2), 1, 1001);
    check_norm(CK_OP_BATCH_NORM, ck_shape_of(3, 3, 2, 4), -1, 1002);
    check_norm(CK_OP_LAYER_NORM, ck_shape_of(2, 3, 5), -1, 1010);
    check_norm(CK_OP_LAYER_NORM, ck_shape_of(3, 2, 4, 3), 1, 1011);
    check_norm(CK_OP_LAYER_NORM, ck_shape_of(3, 2, 2, 6), -1, 1012);
}

Test(gradcheck, batch_norm_inference_all_five_inputs)
{
    ck_rng r;
    ck_rng_seed(&r, 1020);
    case_spec c = {.op = CK_OP_BATCH_NORM_INFERENCE};
    c.args.axis = -1;
    c.args.alpha = 1e-3f;
    /* the variance stays well above 0 */
    ck_node *p[5] = {random_param(&r, ck_shape_of(2, 4, 3)), random_param(&r, ck_shape_of(1, 3)),
                     random_param(&r, ck_shape_of(1, 3)), random_param(&r, ck_shape_of(1, 3)),
                     ck_param(ck_tensor_uniform(ck_shape_of(1, 3), 0.5f, 1.5f, &r), "var")};
    check(&c, p, 5);
}

Test(gradcheck, l2_normalize_axes)
{
    ck_op_args args = {0};
    args.axis = -1;
    check_unary(CK_OP_L2_NORMALIZE, ck_shape_of(2, 3, 4), args, 1030);
    args.axis = 1;
    check_unary(CK_OP_L2_NORMALIZE, ck_shape_of(3, 2, 3, 2), args, 1031);
}

/* ---- layout ---- */

Test(gradcheck, permute_and_repeat)
{
    ck_op_args args = {0};
    args.shape = ck_shape_of(3, 2, 0, 1);
    check_unary(CK_OP_PERMUTE, ck_shape_of(3, 2, 3, 4), args, 1040);
    args.shape = ck_shape_of(4, 0, 3, 1, 2);
    check_unary(CK_OP_PERMUTE, ck_shape_of(4, 2, 1, 3, 2), args, 1041);
    /* x (2, 3) with 4 copies inserted at axis 0, 1, 2 */
    const ck_shape repeated[3] = {ck_shape_of(3, 4, 2, 3), ck_shape_of(3, 2, 4, 3), ck_shape_of(3, 2, 3, 4)};
    for (int axis = 0; axis <= 2; axis++) {
        ck_op_args rep = {0};
        rep.axis = axis;
        rep.shape = repeated[axis];
        check_unary(CK_OP_REPEAT, ck_shape_of(2, 2, 3), rep, 1050 + axis);
    }
}

/* ---- max ---- */

Test(gradcheck, max_and_masked_max)
{
    ck_op_args args = {0};
    for (int axis = 0; axis < 3; axis++) {
        args.axis = axis;
        args.keepdims = axis == 1;
        check_unary(CK_OP_MAX, ck_shape_of(3, 2, 3, 4), args, 1060 + axis);
    }
    ck_rng r;
    ck_rng_seed(&r, 1070);
    const float mask_data[12] = {1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0}; /* full, padded, all padding */
    ck_tensor mask = ck_tensor_view(CK_F32, ck_shape_of(2, 3, 4), (void *)mask_data);
    case_spec c = {.op = CK_OP_MASKED_MAX, .constant = &mask};
    c.args.axis = 1;
    ck_node *p[1] = {random_param(&r, ck_shape_of(3, 3, 4, 5))};
    check(&c, p, 1);
}
