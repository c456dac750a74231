/* What ck_gradcheck exists to catch: a backward wrong by a few percent at
 * any gradient magnitude, a backward that assigns where it must add, and
 * flags that promise writes an op does not make. Every built-in op's
 * backward is also checked with its inputs consumed a second time. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_gradcheck.h"

TestSuite(gradcheck_catches, .init = ck_error_clear);
TestSuite(gradcheck_twice, .init = ck_error_clear);

/* ---- a user op y = s x^3 whose backward is off by a chosen factor ---- */

typedef struct cubic {
    float s;      /* scales the function, so the gradients are about s */
    float factor; /* backward computes factor * 3 s x^2 g: 1 is right */
    int assigns;  /* 1: backward assigns (=) where it must add */
} cubic;

static int cubic_shape(ck_node *n)
{
    n->value.dtype = CK_F32;
    n->value.shape = n->in[0]->value.shape;
    return 0;
}

static int cubic_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    const cubic *c = n->args.user;
    for (int64_t k = 0; k < n->value.size; k++) {
        float x = n->in[0]->value.f[k];
        n->value.f[k] = c->s * x * x * x;
    }
    return 0;
}

static void cubic_backward(ck_node *n)
{
    const cubic *c = n->args.user;
    float *gx = n->in[0]->grad;
    for (int64_t k = 0; k < n->value.size; k++) {
        float x = n->in[0]->value.f[k];
        float d = c->factor * 3.0f * c->s * x * x * n->grad[k];
        if (c->assigns)
            gx[k] = d;
        else
            gx[k] += d;
    }
}

static const ck_op cubic_op = {"cubic", cubic_shape, cubic_forward, cubic_backward, 0, NULL};

static ck_node *cubic_apply(ck_tape *t, ck_node *x, const cubic *c)
{
    ck_op_args args = {0};
    args.user = (void *)c;
    return ck_apply(t, &cubic_op, &x, 1, &args);
}

static ck_node *build_cubic(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    return cubic_apply(t, in[0], user);
}

/* cubic(x) + x * c: x consumed a second time, by an op made after cubic, so
 * in backward mul writes x's gradient first and cubic must add to it. */
static ck_node *build_cubic_plus_linear(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    static const float c_data[6] = {0.5f, -2, 1, 1.5f, -0.75f, 2};
    ck_tensor c = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 3), (void *)c_data);
    ck_node *y = cubic_apply(t, in[0], user);
    return ck_add(t, y, ck_mul(t, in[0], ck_const(t, &c)));
}

static const float x_data[6] = {0.5f, -1, 1.5f, 0.75f, -1.25f, 0.3f};

static ck_gradcheck_result check_cubic(ck_build_fn build, cubic c)
{
    ck_node *x = ck_param(ck_tensor_from_data(ck_shape_of(2, 2, 3), x_data), "x");
    ck_gradcheck_result res;
    cr_assert_eq(ck_gradcheck(build, &c, &x, 1, 0, 0, 0, &res), 0, "%s", ck_error());
    cr_expect_eq(res.n_checked, 6);
    ck_param_free(x);
    return res;
}

/* Measured with the defaults (worst_ratio: 1 is the limit): right backward
 * 0.0012 (s = 1) and 0.0015 (s = 1e-3); wrong by 1%: 1.62 at both; by 10%:
 * 15.1 at both. The criterion scales with the gradients, so s does not
 * matter. The old one, |a - n| <= 1e-3 + 1e-2 |n|, passed the 10% error at
 * s = 1e-3 (gradients 3 s x^2 |w| <= 1e-2 here): the 1e-3 dominated. */
Test(gradcheck_catches, backward_wrong_by_10_and_1_percent_at_magnitudes_1_and_1e_3)
{
    const float magnitudes[2] = {1.0f, 1e-3f};
    for (int m = 0; m < 2; m++) {
        float s = magnitudes[m];
        ck_gradcheck_result res = check_cubic(build_cubic, (cubic){s, 1.0f, 0});
        cr_expect_eq(res.ok, 1, "right backward, s = %g: ratio %g", s, res.worst_ratio);
        cr_expect_lt(res.worst_ratio, 0.05, "s = %g", s);
        const float factors[2] = {1.10f, 1.01f};
        for (int f = 0; f < 2; f++) {
            res = check_cubic(build_cubic, (cubic){s, factors[f], 0});
            cr_expect_eq(res.ok, 0, "backward * %g, s = %g passed: ratio %g", factors[f], s, res.worst_ratio);
            cr_expect_gt(res.worst_ratio, 1.3, "backward * %g, s = %g: too close to the limit", factors[f], s);
            cr_expect_eq(res.worst_index, 2, "the largest gradient, x = 1.5, stands out most");
        }
    }
}

Test(gradcheck_catches, backward_that_assigns_instead_of_adding)
{
    ck_gradcheck_result res = check_cubic(build_cubic_plus_linear, (cubic){1.0f, 1.0f, 0});
    cr_expect_eq(res.ok, 1, "adding backward: ratio %g", res.worst_ratio);
    res = check_cubic(build_cubic_plus_linear, (cubic){1.0f, 1.0f, 1});
    cr_expect_eq(res.ok, 0, "assigning backward passed: ratio %g", res.worst_ratio);
    cr_expect_eq(res.n_failed, 6); /* every element lost mul's contribution */
}

/* ---- flags that promise writes the op does not make ---- */

/* y = 2 x, written only where k is even when `half` is set. */
static int twice_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    for (int64_t k = 0; k < n->value.size; k++)
        if (!*(const int *)n->args.user || k % 2 == 0) n->value.f[k] = 2.0f * n->in[0]->value.f[k];
    return 0;
}

static void twice_backward(ck_node *n)
{
    ck_node *x = n->in[0];
    int half = *(const int *)n->args.user;
    for (int64_t k = 0; k < n->value.size; k++) {
        if (x->grad_unset) {
            if (!half || k % 2 == 0) x->grad[k] = 2.0f * n->grad[k];
        } else {
            x->grad[k] += 2.0f * n->grad[k];
        }
    }
}

static const ck_op twice_writes = {"twice", cubic_shape, twice_forward, twice_backward, CK_OP_WRITES_OUTPUT, NULL};
static const ck_op twice_assigns = {"twice", cubic_shape, twice_forward, twice_backward, CK_OP_ASSIGNS_GRAD, NULL};

typedef struct flagged {
    const ck_op *op;
    int half;
} flagged;

/* sum(op(1 * p)): the intermediate 1 * p is what the tape lets op assign. */
static ck_node *build_flagged(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    const flagged *f = user;
    ck_op_args args = {0};
    args.user = (void *)&f->half;
    ck_node *x = ck_scale(t, in[0], 1.0f);
    return ck_apply(t, f->op, &x, 1, &args);
}

Test(gradcheck_catches, flags_that_promise_writes_not_made)
{
    ck_node *p = ck_param(ck_tensor_from_data(ck_shape_of(2, 2, 3), x_data), "p");
    const ck_op *ops[2] = {&twice_writes, &twice_assigns};
    for (int o = 0; o < 2; o++)
        for (int half = 0; half < 2; half++) {
            flagged f = {ops[o], half};
            ck_gradcheck_result res;
            cr_assert_eq(ck_gradcheck(build_flagged, &f, &p, 1, 0, 0, 0, &res), 0, "%s", ck_error());
            /* a value the tape did not zero, or a gradient it did not zero,
             * left half unwritten: NaN from the poisoned memory */
            cr_expect_eq(res.ok, !half, "flags %u, half %d: ratio %g", ops[o]->flags, half, res.worst_ratio);
        }
    ck_param_free(p);
}

/* ---- every built-in op, inputs consumed a second time ---- */

/* One op's check: parameters of the given shapes become intermediates
 * (1 * p: the tape lets ops assign only those, never a parameter's
 * gradient), then the op runs on them, plus a constant input if any. The
 * intermediates are consumed again by sum(x^2), made before or after the
 * op: after, its backward writes first and the op must add; before, the op
 * writes first, and assigns if its row says so. */
typedef struct twice_case {
    ck_op_id op;
    int n_params;
    ck_shape shapes[4];
    ck_op_args args;
    const ck_tensor *constant; /* a last input that is not checked (ids, mask) */
    int same_input_twice;      /* op(x, x): one buffer behind two inputs */
    /* NULL, or maps parameter k's element j from (-1, -0.1] U [0.1, 1) into
     * the op's domain, away from its kinks */
    float (*values)(float v, int k, int64_t j);
    int second_use_first; /* made inside the build: set by the test */
} twice_case;

static ck_node *sum_all(ck_tape *t, ck_node *x)
{
    while (x && x->value.shape.ndim > 0) x = ck_sum(t, x, 0, 0);
    return x;
}

static ck_node *second_use(ck_tape *t, ck_node *const *xs, int n)
{
    ck_node *total = NULL;
    for (int k = 0; k < n; k++) {
        ck_node *term = sum_all(t, ck_square(t, xs[k]));
        total = total ? ck_add(t, total, term) : term;
    }
    return total;
}

static ck_node *build_twice(ck_tape *t, ck_node *const *in, int n, void *user)
{
    const twice_case *c = user;
    ck_node *xs[4], *inputs[6];
    for (int k = 0; k < n; k++) xs[k] = ck_scale(t, in[k], 1.0f);
    int count = 0;
    for (int k = 0; k < n; k++) inputs[count++] = xs[k];
    if (c->same_input_twice) inputs[count++] = xs[0];
    if (c->constant) inputs[count++] = ck_const(t, c->constant);
    ck_node *extra = c->second_use_first ? second_use(t, xs, n) : NULL;
    ck_node *out = ck_apply(t, &ck_ops[c->op], inputs, count, &c->args);
    if (!c->second_use_first) extra = second_use(t, xs, n);
    return ck_add(t, out, extra); /* extra is a scalar: it broadcasts */
}

/* into (0.2, 2.2): log's domain */
static float positive(float v, int k, int64_t j)
{
    (void)k;
    (void)j;
    return v + 1.2f;
}

/* the second input into |b| in [0.5, 1.1): a divisor away from 0 */
static float divisor(float v, int k, int64_t j)
{
    (void)j;
    return k == 1 ? v + (v >= 0 ? 0.4f : -0.4f) : v;
}

/* onto the grids 0.2 i + 0.05 (input 0) and 0.2 i - 0.05 (input 1), which
 * stay 0.1 apart: no near-ties between a and b */
static float grid(float v, int k, int64_t j)
{
    (void)j;
    return 0.2f * roundf(5.0f * v) + (k == 0 ? 0.05f : -0.05f);
}

/* element j of 24 to a distinct value, 0.1 apart in a shuffled order (7
 * is coprime with 24): no near-ties for max */
static float distinct(float v, int k, int64_t j)
{
    (void)k;
    return 0.01f * v + 0.1f * (float)((j * 7) % 24) - 1.2f;
}

static const int32_t id_data[6] = {2, 0, 2, 4, 2, 0};
static const float mask_data[12] = {1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0}; /* full, padded, all padding */

Test(gradcheck_twice, every_differentiable_op)
{
    ck_tensor ids = ck_tensor_view(CK_I32, ck_shape_of(2, 2, 3), (void *)id_data);
    ck_tensor mask = ck_tensor_view(CK_F32, ck_shape_of(2, 3, 4), (void *)mask_data);
    ck_op_args axis1 = {0}, last_axis_keep = {0}, alpha = {0}, to_3x8 = {0};
    axis1.axis = 1;
    last_axis_keep.axis = -1;
    last_axis_keep.keepdims = 1;
    alpha.alpha = -1.7f;
    /* clip to [-2, 0.05]: the negative values pass, the positive (>= 0.1) are cut */
    ck_op_args clip = {0};
    clip.alpha = -2.0f;
    clip.beta = 0.05f;
    ck_op_args exponent = {0};
    exponent.alpha = 1.5f;
    ck_op_args half = {0}, leak = {0};
    half.alpha = 0.5f;
    leak.alpha = 0.3f;
    to_3x8.shape = ck_shape_of(2, 3, -1);
    const ck_shape s234 = ck_shape_of(3, 2, 3, 4), s4 = ck_shape_of(1, 4);
    ck_op_args norm_last = {0}, norm_middle = {0}, perm = {0}, rep = {0};
    norm_last.axis = -1;
    norm_last.alpha = 1e-3f;
    norm_middle.axis = 1;
    norm_middle.alpha = 1e-3f;
    perm.shape = ck_shape_of(3, 2, 0, 1);
    rep.axis = 1;
    rep.shape = ck_shape_of(4, 2, 2, 3, 4);
    ck_op_args sum_half = {0}; /* sum_concat's: along axis 1, each term times 0.5 */
    sum_half.axis = 1;
    sum_half.alpha = 0.5f;
    static const float var_data[4] = {0.5f, 1, 1.5f, 2};
    ck_tensor var = ck_tensor_view(CK_F32, s4, (void *)var_data);
    twice_case cases[] = {
        {.op = CK_OP_ADD, .n_params = 2, .shapes = {s234, s234}},
        {.op = CK_OP_ADD, .n_params = 2, .shapes = {s234, ck_shape_of(2, 3, 1)}}, /* b stretched */
        {.op = CK_OP_SUB, .n_params = 2, .shapes = {ck_shape_of(1, 4), s234}},    /* a stretched */
        {.op = CK_OP_SUB, .n_params = 2, .shapes = {s234, s234}},
        {.op = CK_OP_MUL, .n_params = 2, .shapes = {s234, ck_shape_of(3, 2, 1, 4)}},
        {.op = CK_OP_MUL, .n_params = 1, .shapes = {s234}, .same_input_twice = 1},
        {.op = CK_OP_SCALE, .n_params = 1, .shapes = {s234}, .args = alpha},
        {.op = CK_OP_MATMUL, .n_params = 2, .shapes = {s234, ck_shape_of(2, 4, 2)}},
        {.op = CK_OP_SUM, .n_params = 1, .shapes = {s234}, .args = axis1},
        {.op = CK_OP_MEAN, .n_params = 1, .shapes = {s234}, .args = last_axis_keep},
        {.op = CK_OP_SQUARE, .n_params = 1, .shapes = {s234}},
        {.op = CK_OP_RESHAPE, .n_params = 1, .shapes = {s234}, .args = to_3x8},
        {.op = CK_OP_CONCAT,
         .n_params = 3,
         .args = axis1,
         .shapes = {ck_shape_of(3, 2, 1, 2), ck_shape_of(3, 2, 3, 2), ck_shape_of(3, 2, 2, 2)}},
        {.op = CK_OP_GATHER, .n_params = 1, .shapes = {ck_shape_of(2, 5, 3)}, .constant = &ids},
        {.op = CK_OP_MASKED_MEAN, .n_params = 1, .shapes = {ck_shape_of(3, 3, 4, 2)}, .args = axis1, .constant = &mask},
        {.op = CK_OP_RELU, .n_params = 1, .shapes = {s234}},
        {.op = CK_OP_SIGMOID, .n_params = 1, .shapes = {s234}},
        {.op = CK_OP_TANH, .n_params = 1, .shapes = {s234}},
        {.op = CK_OP_MSE, .n_params = 2, .shapes = {s234, s234}},
        {.op = CK_OP_EXP, .n_params = 1, .shapes = {s234}},
        {.op = CK_OP_LOG, .n_params = 1, .shapes = {s234}, .values = positive},
        {.op = CK_OP_ABS, .n_params = 1, .shapes = {s234}},
        {.op = CK_OP_CLIP, .n_params = 1, .shapes = {s234}, .args = clip},
        {.op = CK_OP_SOFTMAX, .n_params = 1, .shapes = {s234}, .args = axis1},
        {.op = CK_OP_LOG_SOFTMAX, .n_params = 1, .shapes = {s234}, .args = last_axis_keep},
        {.op = CK_OP_SQRT, .n_params = 1, .shapes = {s234}, .values = positive},
        {.op = CK_OP_POW, .n_params = 1, .shapes = {s234}, .args = exponent, .values = positive},
        {.op = CK_OP_DIV, .n_params = 2, .shapes = {s234, ck_shape_of(2, 3, 1)}, .values = divisor},
        {.op = CK_OP_DIV, .n_params = 1, .shapes = {s234}, .same_input_twice = 1, .values = positive},
        {.op = CK_OP_MAXIMUM, .n_params = 2, .shapes = {ck_shape_of(1, 4), s234}, .values = grid},
        {.op = CK_OP_MAXIMUM, .n_params = 1, .shapes = {s234}, .same_input_twice = 1}, /* all ties */
        {.op = CK_OP_MINIMUM, .n_params = 2, .shapes = {s234, s234}, .values = grid},
        {.op = CK_OP_MINIMUM, .n_params = 1, .shapes = {s234}, .same_input_twice = 1},
        {.op = CK_OP_SOFTPLUS, .n_params = 1, .shapes = {s234}},
        {.op = CK_OP_SOFTSIGN, .n_params = 1, .shapes = {s234}},
        {.op = CK_OP_ELU, .n_params = 1, .shapes = {s234}, .args = half},
        {.op = CK_OP_SELU, .n_params = 1, .shapes = {s234}},
        {.op = CK_OP_GELU, .n_params = 1, .shapes = {s234}},
        {.op = CK_OP_GELU_TANH, .n_params = 1, .shapes = {s234}},
        {.op = CK_OP_SWISH, .n_params = 1, .shapes = {s234}},
        {.op = CK_OP_LEAKY_RELU, .n_params = 1, .shapes = {s234}, .args = leak},
        {.op = CK_OP_LOG_SIGMOID, .n_params = 1, .shapes = {s234}},
        {.op = CK_OP_MAX, .n_params = 1, .shapes = {s234}, .args = axis1, .values = distinct},
        {.op = CK_OP_BATCH_NORM, .n_params = 3, .shapes = {s234, s4, s4}, .args = norm_last},
        {.op = CK_OP_BATCH_NORM, .n_params = 3, .shapes = {ck_shape_of(3, 2, 4, 3), s4, s4}, .args = norm_middle},
        {.op = CK_OP_BATCH_NORM_INFERENCE,
         .n_params = 4,
         .shapes = {s234, s4, s4, s4},
         .args = norm_last,
         .constant = &var},
        {.op = CK_OP_LAYER_NORM, .n_params = 3, .shapes = {s234, s4, s4}, .args = norm_last},
        {.op = CK_OP_L2_NORMALIZE, .n_params = 1, .shapes = {s234}, .args = norm_middle},
        {.op = CK_OP_PERMUTE, .n_params = 1, .shapes = {s234}, .args = perm},
        {.op = CK_OP_REPEAT, .n_params = 1, .shapes = {s234}, .args = rep},
        {.op = CK_OP_MASKED_MAX, .n_params = 1, .shapes = {ck_shape_of(3, 3, 4, 2)}, .args = axis1, .constant = &mask},
        {.op = CK_OP_SUM_CONCAT,
         .n_params = 2,
         .args = sum_half,
         .shapes = {ck_shape_of(3, 2, 1, 2), ck_shape_of(3, 2, 3, 2)}},
        {.op = CK_OP_SUM_SQUARE_CONCAT,
         .n_params = 2,
         .args = sum_half,
         .shapes = {ck_shape_of(3, 2, 1, 2), ck_shape_of(3, 2, 3, 2)}},
        {.op = CK_OP_SUM_SQUARE_CONCAT, .n_params = 1, .shapes = {s234}, .args = sum_half, .same_input_twice = 1},
        {.op = CK_OP_SUM_GATHER, .n_params = 1, .shapes = {ck_shape_of(2, 5, 3)}, .args = sum_half, .constant = &ids},
    };
    int covered[CK_OP_COUNT] = {0};
    ck_rng r;
    ck_rng_seed(&r, 1000);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int first = 0; first < 2; first++) {
            twice_case *c = &cases[i];
            c->second_use_first = first;
            ck_node *p[4];
            for (int k = 0; k < c->n_params; k++) {
                /* values in (-1, -0.1] U [0.1, 1): away from relu's kink */
                ck_tensor *v = ck_tensor_uniform(c->shapes[k], -0.9f, 0.9f, &r);
                for (int64_t j = 0; j < v->size; j++) {
                    v->f[j] += v->f[j] >= 0 ? 0.1f : -0.1f;
                    if (c->values) v->f[j] = c->values(v->f[j], k, j);
                }
                p[k] = ck_param(v, "x");
            }
            ck_gradcheck_result res;
            cr_assert_eq(ck_gradcheck(build_twice, c, p, c->n_params, 0, 0, 0, &res), 0, "%s: %s", ck_ops[c->op].name,
                         ck_error());
            cr_expect(res.ok,
                      "%s (case %zu, second use %s): %ld of %ld failed; worst input %d [%ld]: "
                      "analytic %g numeric %g",
                      ck_ops[c->op].name, i, first ? "first" : "last", res.n_failed, res.n_checked, res.worst_input,
                      res.worst_index, res.worst_analytic, res.worst_numeric);
            for (int k = 0; k < c->n_params; k++) ck_param_free(p[k]);
            covered[c->op] = 1;
        }
    for (int id = 0; id < CK_OP_COUNT; id++)
        if (ck_ops[id].backward) cr_expect(covered[id], "op %s has no consumed-twice case", ck_ops[id].name);
}
