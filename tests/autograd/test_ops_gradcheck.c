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

/* Values uniform in [lo, hi): for ops defined on part of the line (log). */
static ck_node *param_in(ck_rng *r, ck_shape s, float lo, float hi)
{
    return ck_param(ck_tensor_uniform(s, lo, hi, r), "x");
}

/* random_param's values moved at least `gap` away from each of the kinks. */
static ck_node *param_away_from(ck_rng *r, ck_shape s, const float *kinks, int n_kinks, float gap)
{
    ck_node *p = random_param(r, s);
    for (int64_t k = 0; k < p->value.size; k++)
        for (int j = 0; j < n_kinks; j++) {
            float d = p->value.f[k] - kinks[j];
            if (fabsf(d) < gap) p->value.f[k] = kinks[j] + (d >= 0 ? gap : -gap);
        }
    return p;
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

/* The tape's fused sums over a concatenation: parts of different lengths
 * along each axis, sums (scale 1) and means (1 / the whole length), with
 * and without keepdims, squared and not, one part to four. */
Test(gradcheck, sum_concat_and_sum_square_concat)
{
    ck_rng r;
    ck_rng_seed(&r, 650);
    for (int axis = 0; axis < 3; axis++)
        for (int count = 1; count <= 4; count += 3)
            for (int variant = 0; variant < 4; variant++) {
                ck_node *p[4];
                int total = 0;
                for (int k = 0; k < count; k++) {
                    int dims[3] = {2, 3, 2};
                    dims[axis] = k + 1;
                    total += k + 1;
                    p[k] = random_param(&r, ck_shape_make(3, dims));
                }
                case_spec c = {.op = variant & 1 ? CK_OP_SUM_SQUARE_CONCAT : CK_OP_SUM_CONCAT};
                c.args.axis = axis - 3 * (variant >> 1); /* a negative axis for half the cases */
                c.args.keepdims = variant >> 1;
                c.args.alpha = variant & 2 ? 1.0f / (float)total : 1.0f;
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

/* The fused embedding bag: repeated ids within a bag and across bags,
 * dims 1 and 3, sums and means, with and without keepdims. */
Test(gradcheck, sum_gather_repeated_ids)
{
    ck_rng r;
    ck_rng_seed(&r, 750);
    const int32_t id_data[6] = {2, 0, 2, 4, 2, 0};
    ck_tensor bags = ck_tensor_view(CK_I32, ck_shape_of(2, 2, 3), (void *)id_data); /* 2 bags of 3 */
    ck_tensor one_bag = ck_tensor_view(CK_I32, ck_shape_of(1, 6), (void *)id_data);
    const ck_tensor *all[2] = {&bags, &one_bag};
    for (int k = 0; k < 2; k++)
        for (int dim = 1; dim <= 3; dim += 2)
            for (int variant = 0; variant < 2; variant++) {
                case_spec c = {.op = CK_OP_SUM_GATHER, .constant = all[k]};
                c.args.keepdims = variant;
                c.args.alpha = variant ? 1.0f / (float)all[k]->shape.d[all[k]->shape.ndim - 1] : 1.0f;
                ck_node *p[1] = {random_param(&r, ck_shape_of(2, 5, dim))};
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

/* ---- math and activations ---- */

static const ck_shape *unary_shapes(void)
{
    static ck_shape shapes[3];
    shapes[0] = ck_shape_of(1, 5);
    shapes[1] = ck_shape_of(2, 3, 4);
    shapes[2] = ck_shape_of(4, 2, 1, 2, 3);
    return shapes;
}

static void check_one(ck_op_id op, ck_op_args args, ck_node *p)
{
    case_spec c = {.op = op, .args = args};
    check(&c, &p, 1);
}

Test(gradcheck, exp_log_abs_clip)
{
    const ck_shape *shapes = unary_shapes();
    ck_op_args none = {0}, clip = {0};
    clip.alpha = -0.5f;
    clip.beta = 0.4f;
    const float bounds[2] = {-0.5f, 0.4f};
    ck_rng r;
    ck_rng_seed(&r, 1100);
    for (int k = 0; k < 3; k++) {
        check_unary(CK_OP_EXP, shapes[k], none, 1110 + k);
        check_one(CK_OP_LOG, none, param_in(&r, shapes[k], 0.2f, 3.0f));
        check_unary(CK_OP_ABS, shapes[k], none, 1120 + k); /* random_param keeps away from 0 */
        check_one(CK_OP_CLIP, clip, param_away_from(&r, shapes[k], bounds, 2, 0.05f));
    }
}

Test(gradcheck, softmax_log_softmax_every_axis)
{
    for (int axis = -3; axis < 3; axis++) {
        ck_op_args args = {0};
        args.axis = axis;
        check_unary(CK_OP_SOFTMAX, ck_shape_of(3, 2, 3, 4), args, 1200 + axis);
        check_unary(CK_OP_LOG_SOFTMAX, ck_shape_of(3, 2, 3, 4), args, 1210 + axis);
    }
    ck_op_args last = {0};
    last.axis = -1;
    check_unary(CK_OP_SOFTMAX, ck_shape_of(1, 7), last, 1220);
    check_unary(CK_OP_LOG_SOFTMAX, ck_shape_of(2, 5, 1), last, 1221); /* one class: constant output */
}

Test(gradcheck, sqrt_pow)
{
    const ck_shape *shapes = unary_shapes();
    const float exponents[5] = {2, 3, 0.5f, -1.5f, 1.7f};
    ck_rng r;
    ck_rng_seed(&r, 1300);
    for (int k = 0; k < 3; k++) {
        ck_op_args none = {0};
        check_one(CK_OP_SQRT, none, param_in(&r, shapes[k], 0.2f, 3.0f));
        for (int e = 0; e < 5; e++) {
            ck_op_args p = {0};
            p.alpha = exponents[e];
            check_one(CK_OP_POW, p, param_in(&r, shapes[k], 0.3f, 2.0f));
        }
        ck_op_args cube = {0};
        cube.alpha = 3;
        check_unary(CK_OP_POW, shapes[k], cube, 1310 + k); /* negative x, integer p */
    }
}

/* |values| in [0.5, 1.5): a divisor well away from 0 */
static ck_node *away_from_zero(ck_rng *r, ck_shape s)
{
    ck_node *p = param_in(r, s, -1.0f, 1.0f);
    for (int64_t k = 0; k < p->value.size; k++) p->value.f[k] += p->value.f[k] >= 0 ? 0.5f : -0.5f;
    return p;
}

/* Values 0.2 i + offset for integers i in [-5, 5]: two grids with offsets
 * 0.05 and -0.05 never come within 0.1 of each other (no near-ties). */
static ck_node *grid_param(ck_rng *r, ck_shape s, float offset)
{
    ck_node *p = param_in(r, s, -5.49f, 5.49f);
    for (int64_t k = 0; k < p->value.size; k++) p->value.f[k] = 0.2f * roundf(p->value.f[k]) + offset;
    return p;
}

Test(gradcheck, div_maximum_minimum_all_broadcast_cases)
{
    init_pairs();
    ck_rng r;
    ck_rng_seed(&r, 1400);
    for (int k = 0; k < n_broadcast_pairs; k++) {
        case_spec div = {.op = CK_OP_DIV};
        ck_node *p[2] = {random_param(&r, broadcast_pairs[k][0]), away_from_zero(&r, broadcast_pairs[k][1])};
        check(&div, p, 2);
        const ck_op_id ops[2] = {CK_OP_MAXIMUM, CK_OP_MINIMUM};
        for (int o = 0; o < 2; o++) {
            case_spec c = {.op = ops[o]};
            ck_node *q[2] = {grid_param(&r, broadcast_pairs[k][0], 0.05f),
                             grid_param(&r, broadcast_pairs[k][1], -0.05f)};
            check(&c, q, 2);
        }
    }
}

Test(gradcheck, activations)
{
    const ck_shape *shapes = unary_shapes();
    ck_op_args none = {0}, one = {0}, half = {0}, leak = {0};
    one.alpha = 1.0f;
    half.alpha = 0.5f;
    leak.alpha = 0.3f;
    for (int k = 0; k < 3; k++) {
        uint64_t seed = 1500 + 20 * (uint64_t)k;
        check_unary(CK_OP_SOFTPLUS, shapes[k], none, seed);
        check_unary(CK_OP_SOFTSIGN, shapes[k], none, seed + 1);
        check_unary(CK_OP_ELU, shapes[k], one, seed + 2);
        check_unary(CK_OP_ELU, shapes[k], half, seed + 3);
        check_unary(CK_OP_SELU, shapes[k], none, seed + 4);
        check_unary(CK_OP_GELU, shapes[k], none, seed + 5);
        check_unary(CK_OP_GELU_TANH, shapes[k], none, seed + 6);
        check_unary(CK_OP_SWISH, shapes[k], none, seed + 7);
        check_unary(CK_OP_LEAKY_RELU, shapes[k], leak, seed + 8);
        check_unary(CK_OP_LOG_SIGMOID, shapes[k], none, seed + 9);
    }
    /* larger inputs, where the stable forms take over */
    ck_rng r;
    ck_rng_seed(&r, 1600);
    const ck_op_id smooth[5] = {CK_OP_SOFTPLUS, CK_OP_GELU, CK_OP_GELU_TANH, CK_OP_SWISH, CK_OP_LOG_SIGMOID};
    for (int o = 0; o < 5; o++) check_one(smooth[o], none, param_in(&r, ck_shape_of(1, 12), -6.0f, 6.0f));
}

/* Distinct values 0.1 apart in a shuffled order: no near-ties for max. */
static ck_node *distinct_param(ck_rng *r, ck_shape s)
{
    ck_node *p = param_in(r, s, -0.01f, 0.01f);
    const int64_t n = p->value.size;
    for (int64_t k = 0; k < n; k++) p->value.f[k] += 0.1f * (float)((k * 7) % n) - 0.05f * (float)n;
    return p;
}

Test(gradcheck, max_every_axis)
{
    ck_rng r;
    ck_rng_seed(&r, 1700);
    for (int axis = -3; axis < 3; axis++)
        for (int keep = 0; keep < 2; keep++) {
            ck_op_args args = {0};
            args.axis = axis;
            args.keepdims = keep;
            check_one(CK_OP_MAX, args, distinct_param(&r, ck_shape_of(3, 2, 3, 5))); /* 7 coprime with 30 */
        }
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
