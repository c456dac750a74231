/* The tape: errors, grad on/off, backward semantics, custom ops, memory. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_gradcheck.h"

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
TestSuite(errors, .init = setup, .fini = teardown);
TestSuite(tape, .init = setup, .fini = teardown);

static ck_node *zeros(ck_shape s)
{
    ck_tensor t = ck_tensor_view(CK_F32, s, ck_tape_alloc(tape, (size_t)ck_shape_size(s) * 4));
    return ck_const(tape, &t);
}

static ck_node *param_of(ck_shape s, const float *data) { return ck_param(ck_tensor_from_data(s, data), "p"); }

static void expect_error(ck_node *n, const char *message)
{
    cr_expect_null(n);
    cr_assert_not_null(ck_error());
    cr_expect_str_eq(ck_error(), message);
    ck_error_clear();
}

/* ---- error messages ---- */

Test(errors, shape_mismatches)
{
    expect_error(ck_add(tape, zeros(ck_shape_of(2, 2048, 20)), zeros(ck_shape_of(2, 2048, 21))),
                 "add: shapes (2048, 20) and (2048, 21) do not broadcast");
    expect_error(ck_mul(tape, zeros(ck_shape_of(2, 3, 4)), zeros(ck_shape_of(1, 3))),
                 "mul: shapes (3, 4) and (3,) do not broadcast");
    expect_error(ck_sub(tape, zeros(ck_shape_of(3, 2, 3, 4)), zeros(ck_shape_of(3, 3, 3, 4))),
                 "sub: shapes (2, 3, 4) and (3, 3, 4) do not broadcast");
    expect_error(ck_matmul(tape, zeros(ck_shape_of(2, 4, 3)), zeros(ck_shape_of(2, 2, 5))),
                 "matmul: shapes (4, 3) and (2, 5): inner dims 3 and 2 differ");
    expect_error(ck_matmul(tape, zeros(ck_shape_of(2, 4, 3)), zeros(ck_shape_of(1, 3))),
                 "matmul: shapes (4, 3) and (3,): expected (..., k) @ (k, n)");
    expect_error(ck_sum(tape, zeros(ck_shape_of(2, 4, 3)), 2, 0), "sum: axis 2 out of range for shape (4, 3)");
    expect_error(ck_mean(tape, zeros(ck_shape_of(2, 4, 3)), -3, 0), "mean: axis -3 out of range for shape (4, 3)");
    expect_error(ck_reshape(tape, zeros(ck_shape_of(2, 4, 3)), ck_shape_of(2, 5, -1)),
                 "reshape: cannot infer the -1 dim of (5, None) from (4, 3) (12 elements)");
    ck_node *parts[2] = {zeros(ck_shape_of(2, 2, 3)), zeros(ck_shape_of(2, 3, 3))};
    expect_error(ck_concat(tape, parts, 2, 1),
                 "concat: input 1 has shape (3, 3) but input 0 has (2, 3): all dims but axis 1 must agree");
    expect_error(ck_mse(tape, zeros(ck_shape_of(2, 4, 1)), zeros(ck_shape_of(1, 4))),
                 "mse: shapes (4, 1) and (4,) differ");
    expect_error(ck_masked_mean(tape, zeros(ck_shape_of(3, 2, 4, 5)), zeros(ck_shape_of(2, 2, 5)), 1, 0),
                 "masked_mean: mask shape (2, 5) does not match x (2, 4, 5) up to axis 1: expected (2, 4)");
}

Test(errors, gather_checks)
{
    const int32_t bad_ids[5] = {0, 4, 2, 9, 1};
    ck_tensor ids = ck_tensor_view(CK_I32, ck_shape_of(1, 5), (void *)bad_ids);
    ck_node *table = zeros(ck_shape_of(2, 5, 3));
    expect_error(ck_gather(tape, table, ck_const(tape, &ids)), "gather: id 9 out of range [0, 5) at position 3");
    const int32_t negative[2] = {1, -1};
    ck_tensor neg = ck_tensor_view(CK_I32, ck_shape_of(1, 2), (void *)negative);
    expect_error(ck_gather(tape, table, ck_const(tape, &neg)), "gather: id -1 out of range [0, 5) at position 1");
    expect_error(ck_gather(tape, table, zeros(ck_shape_of(1, 2))), "gather: ids must be int32, got float32");
    expect_error(ck_add(tape, table, ck_const(tape, &ids)), "add: input 1 must be float32, got int32");
}

Test(errors, null_propagates_keeping_first_message)
{
    ck_node *x = zeros(ck_shape_of(2, 4, 3));
    ck_node *bad = ck_matmul(tape, x, zeros(ck_shape_of(2, 2, 5)));
    ck_node *y = ck_relu(tape, ck_add(tape, ck_sum(tape, bad, 0, 0), x));
    ck_node *loss = ck_mse(tape, y, x);
    expect_error(loss, "matmul: shapes (4, 3) and (2, 5): inner dims 3 and 2 differ");
    ck_node *two[2] = {x, NULL};
    expect_error(ck_concat(tape, two, 2, 0), "concat: input 1 is NULL");
    cr_expect_eq(ck_backward(tape, NULL), -1);
    cr_expect_str_eq(ck_error(), "backward: root is NULL");
}

Test(errors, backward_on_non_scalar_root)
{
    const float w[6] = {1, 2, 3, 4, 5, 6};
    ck_node *p = param_of(ck_shape_of(2, 2, 3), w);
    ck_node *y = ck_square(tape, p);
    cr_expect_eq(ck_backward(tape, y), -1);
    cr_expect_str_eq(ck_error(), "backward: root must have 1 element, got shape (2, 3) (6 elements)");
    ck_error_clear();
    ck_node *c = ck_sum(tape, zeros(ck_shape_of(1, 3)), 0, 0); /* no parameter: no gradient */
    cr_expect_eq(ck_backward(tape, c), -1);
    cr_expect_str_eq(ck_error(), "backward: root has no gradient (no input needs one, or gradients are off)");
    ck_param_free(p);
}

/* ---- grad on / off, recording ---- */

Test(tape, grad_disabled_records_nothing)
{
    const float w[3] = {1, -2, 3};
    ck_node *p = param_of(ck_shape_of(1, 3), w);
    cr_expect_eq(ck_tape_set_grad(tape, 0), 1);
    cr_expect_eq(ck_tape_grad_enabled(tape), 0);
    ck_node *y = ck_sum(tape, ck_relu(tape, ck_scale(tape, p, 2.0f)), 0, 0);
    cr_assert_not_null(y);
    cr_expect_float_eq(y->value.f[0], 8.0f, 1e-6f);
    cr_expect_null(y->grad);
    cr_expect_eq(ck_tape_size(tape), 0);
    cr_expect_eq(ck_backward(tape, y), -1);
    ck_error_clear();
    cr_expect_eq(ck_tape_set_grad(tape, 1), 0);
    ck_node *z = ck_sum(tape, ck_scale(tape, p, 2.0f), 0, 0);
    cr_expect_not_null(z->grad);
    cr_expect_eq(ck_tape_size(tape), 2);
    /* constants alone are not recorded either */
    ck_node *c = ck_square(tape, zeros(ck_shape_of(1, 3)));
    cr_expect_null(c->grad);
    cr_expect_eq(ck_tape_size(tape), 2);
    ck_node *m = ck_mask_nonzero(tape, p);
    cr_expect_null(m->grad); /* not differentiable */
    cr_expect_eq(ck_tape_size(tape), 2);
    ck_param_free(p);
}

/* d/dw of mse(x @ w + b, y), worked out by hand:
 * x = [[1, 2], [3, 4]], w = [[0.5], [-1]], b = [0.25], y = [[1], [0]]
 * pred = [1*0.5 - 2 + 0.25, 3*0.5 - 4 + 0.25] = [-1.25, -2.25]
 * err = pred - y = [-2.25, -2.25]; loss = (2.25^2 + 2.25^2) / 2 = 5.0625
 * dpred = 2 err / 2 = [-2.25, -2.25]
 * dw = x^T dpred = [1*-2.25 + 3*-2.25, 2*-2.25 + 4*-2.25] = [-9, -13.5]
 * db = sum dpred = -4.5 */
static ck_node *linear_mse(ck_tape *t, ck_node *const *p, int n, void *user)
{
    (void)n;
    (void)user;
    static const float x_data[4] = {1, 2, 3, 4}, y_data[2] = {1, 0};
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 2), (void *)x_data);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 1), (void *)y_data);
    ck_node *pred = ck_add(t, ck_matmul(t, ck_const(t, &x), p[0]), p[1]);
    return ck_mse(t, pred, ck_const(t, &y));
}

Test(tape, hand_computed_linear_gradient)
{
    ck_node *p[2] = {param_of(ck_shape_of(2, 2, 1), (float[]){0.5f, -1}),
                     param_of(ck_shape_of(1, 1), (float[]){0.25f})};
    ck_node *loss = linear_mse(tape, p, 2, NULL);
    cr_assert_not_null(loss);
    cr_expect_float_eq(loss->value.f[0], 5.0625f, 1e-6f);
    cr_assert_eq(ck_backward(tape, loss), 0);
    cr_expect_float_eq(p[0]->grad[0], -9.0f, 1e-5f);
    cr_expect_float_eq(p[0]->grad[1], -13.5f, 1e-5f);
    cr_expect_float_eq(p[1]->grad[0], -4.5f, 1e-5f);

    /* Calling backward again: intermediate gradients are the same (they are
     * re-zeroed), parameter gradients accumulate (like PyTorch). */
    ck_node *pred = loss->in[0];
    float first = pred->grad[0];
    cr_assert_eq(ck_backward(tape, loss), 0);
    cr_expect_float_eq(pred->grad[0], first, 1e-7f);
    cr_expect_float_eq(p[0]->grad[0], -18.0f, 1e-5f);
    cr_expect_float_eq(p[1]->grad[0], -9.0f, 1e-5f);
    ck_zero_grad(p, 2);
    cr_expect_eq(p[0]->grad[0], 0.0f);

    ck_gradcheck_result res;
    cr_assert_eq(ck_gradcheck(linear_mse, NULL, p, 2, 0, 0, 0, &res), 0);
    cr_expect(res.ok);
    cr_expect_eq(res.n_checked, 3);
    cr_expect(fabs(res.worst_numeric - (-9.0)) < 0.05 || fabs(res.worst_numeric - (-13.5)) < 0.05 ||
              fabs(res.worst_numeric - (-4.5)) < 0.05);
    /* gradcheck restored every perturbed element */
    cr_expect_eq(p[0]->value.f[0], 0.5f);
    cr_expect_eq(p[0]->value.f[1], -1.0f);
    cr_expect_eq(p[1]->value.f[0], 0.25f);
    ck_param_free(p[0]);
    ck_param_free(p[1]);
}

/* Backward assigns a gradient when one op's write covers it and adds where
 * a buffer is written again: a's first writer in backward is the reshape
 * (created last of a's consumers: assigns), then concat and mul(a, a), whose
 * two inputs share one buffer (both add); b's only writer is mul(b, b),
 * which must add its two contributions too. By hand, with a = 2 p, b = p,
 * loss = sum(concat([a, a * a])) + sum(view(a)) + sum(b * b):
 * d loss / d a = 1 + 2 a + 1, d loss / d b = 2 b,
 * so d loss / d p = 2 (2 + 4 p) + 2 p = 4 + 10 p. */
Test(tape, assigned_and_accumulated_gradients)
{
    ck_node *p = param_of(ck_shape_of(2, 2, 3), (float[]){1, 2, 3, 4, 5, 6});
    ck_node *a = ck_scale(tape, p, 2.0f);
    ck_node *parts[2] = {a, ck_mul(tape, a, a)};
    ck_node *concat_sums = ck_sum(tape, ck_concat(tape, parts, 2, 1), 1, 0); /* (2,) */
    ck_node *view = ck_reshape(tape, a, ck_shape_of(3, 2, 3, 1));
    ck_node *view_sums = ck_sum(tape, ck_sum(tape, view, 2, 0), 1, 0); /* (2,) */
    ck_node *b = ck_scale(tape, p, 1.0f);
    ck_node *b_sums = ck_sum(tape, ck_mul(tape, b, b), 1, 0); /* (2,) */
    ck_node *loss = ck_sum(tape, ck_add(tape, ck_add(tape, concat_sums, view_sums), b_sums), 0, 0);
    cr_assert_not_null(loss);
    for (int round = 1; round <= 2; round++) { /* intermediates restart, p accumulates */
        cr_assert_eq(ck_backward(tape, loss), 0);
        for (int k = 0; k < 6; k++) {
            cr_expect_float_eq(a->grad[k], 2.0f + 4.0f * (float)(k + 1), 1e-5f, "a[%d]", k);
            cr_expect_float_eq(b->grad[k], 2.0f * (float)(k + 1), 1e-5f, "b[%d]", k);
            cr_expect_float_eq(p->grad[k], (float)round * (4.0f + 10.0f * (float)(k + 1)), 1e-4f, "p[%d]", k);
        }
    }
    ck_param_free(p);
}

/* The tape hands gradients out unzeroed; backward zeroes those of nodes
 * the root does not depend on, made before it (unused) or after it. */
Test(tape, gradients_the_root_does_not_reach_are_zero)
{
    ck_node *p = param_of(ck_shape_of(1, 3), (float[]){1, 2, 3});
    ck_node *unused = ck_square(tape, p);
    ck_node *loss = ck_sum(tape, ck_scale(tape, p, 2.0f), 0, 0);
    ck_node *after = ck_relu(tape, p);
    cr_assert_not_null(after);
    for (int k = 0; k < 3; k++) unused->grad[k] = after->grad[k] = 123.0f; /* stale memory */
    cr_assert_eq(ck_backward(tape, loss), 0);
    for (int k = 0; k < 3; k++) {
        cr_expect_eq(unused->grad[k], 0.0f, "unused[%d]", k);
        cr_expect_eq(after->grad[k], 0.0f, "after[%d]", k);
        cr_expect_eq(p->grad[k], 2.0f, "p[%d]", k);
    }
    ck_param_free(p);
}

/* A reshape's gradient is its own: d loss / d (the reshaped value), added
 * into its input's. With x = 1 * p (2, 3), y = reshape(x) (3, 2),
 * loss = sum(y * c1) + sum(x * c2):
 * d loss / d y = c1, d loss / d x = c1 (read as (2, 3)) + c2. The value
 * stays a view of x's data. Both orders of building the two terms. */
Test(tape, reshape_has_its_own_gradient)
{
    const float c1_data[6] = {1, 2, 3, 4, 5, 6};       /* (3, 2) */
    const float c2_data[6] = {10, 20, 30, 40, 50, 60}; /* (2, 3) */
    ck_tensor c1 = ck_tensor_view(CK_F32, ck_shape_of(2, 3, 2), (void *)c1_data);
    ck_tensor c2 = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 3), (void *)c2_data);
    ck_node *p = param_of(ck_shape_of(2, 2, 3), (float[]){-1, 0.5f, 2, 3, -4, 0.25f});
    for (int reshape_first = 0; reshape_first < 2; reshape_first++) {
        ck_tape_reset(tape);
        ck_zero_grad(&p, 1);
        ck_node *x = ck_scale(tape, p, 1.0f);
        ck_node *y = NULL, *y_term = NULL, *x_term = NULL;
        if (reshape_first) y = ck_reshape(tape, x, ck_shape_of(2, 3, 2));
        x_term = ck_sum(tape, ck_sum(tape, ck_mul(tape, x, ck_const(tape, &c2)), 1, 0), 0, 0);
        if (!reshape_first) y = ck_reshape(tape, x, ck_shape_of(2, 3, 2));
        y_term = ck_sum(tape, ck_sum(tape, ck_mul(tape, y, ck_const(tape, &c1)), 1, 0), 0, 0);
        ck_node *loss = ck_add(tape, y_term, x_term);
        cr_assert_not_null(loss, "%s", ck_error());
        cr_expect_eq(y->value.f, x->value.f, "a reshape's value is a view");
        cr_expect_neq(y->grad, x->grad, "a reshape's gradient is its own");
        cr_assert_eq(ck_backward(tape, loss), 0);
        for (int k = 0; k < 6; k++) {
            cr_expect_eq(y->grad[k], c1_data[k], "y[%d]", k);
            cr_expect_eq(x->grad[k], c1_data[k] + c2_data[k], "x[%d]", k);
            cr_expect_eq(p->grad[k], c1_data[k] + c2_data[k], "p[%d]", k);
        }
    }
    ck_param_free(p);
}

/* ---- a user-defined op with a deliberately wrong backward ---- */

static int cube_shape(ck_node *n)
{
    n->value.dtype = CK_F32;
    n->value.shape = n->in[0]->value.shape;
    return 0;
}

static int cube_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    for (int64_t k = 0; k < n->value.size; k++) {
        float x = n->in[0]->value.f[k];
        n->value.f[k] = x * x * x;
    }
    return 0;
}

static void cube_backward_right(ck_node *n)
{
    for (int64_t k = 0; k < n->value.size; k++) {
        float x = n->in[0]->value.f[k];
        n->in[0]->grad[k] += 3.0f * x * x * n->grad[k];
    }
}

static void cube_backward_wrong(ck_node *n) /* forgets the factor 3 */
{
    for (int64_t k = 0; k < n->value.size; k++) {
        float x = n->in[0]->value.f[k];
        n->in[0]->grad[k] += x * x * n->grad[k];
    }
}

static ck_node *apply_user_op(ck_tape *t, ck_node *const *p, int n, void *user)
{
    return ck_apply(t, user, p, n, NULL);
}

Test(tape, gradcheck_catches_wrong_backward)
{
    const ck_op right = {"cube", cube_shape, cube_forward, cube_backward_right, 0, NULL};
    const ck_op wrong = {"cube", cube_shape, cube_forward, cube_backward_wrong, 0, NULL};
    ck_node *p[1] = {param_of(ck_shape_of(2, 2, 2), (float[]){0.5f, -1, 1.5f, 0.75f})};
    ck_gradcheck_result res;
    cr_assert_eq(ck_gradcheck(apply_user_op, (void *)&right, p, 1, 0, 0, 0, &res), 0);
    cr_expect_eq(res.ok, 1);
    cr_assert_eq(ck_gradcheck(apply_user_op, (void *)&wrong, p, 1, 0, 0, 0, &res), 0);
    cr_expect_eq(res.ok, 0);
    cr_expect_eq(res.n_failed, 4);
    /* the worst element is x = 1.5 (index 2): analytic x^2 w vs numeric 3 x^2 w */
    cr_expect_eq(res.worst_index, 2);
    cr_expect(fabs(res.worst_numeric - 3.0 * res.worst_analytic) < 0.05 * fabs(res.worst_numeric));
    ck_param_free(p[0]);
}

/* ---- memory: a training-like step reaches a steady state ---- */

Test(tape, arena_stops_growing_after_warm_up)
{
    ck_rng r;
    ck_rng_seed(&r, 1);
    ck_node *w = ck_param(ck_tensor_uniform(ck_shape_of(2, 8, 4), -0.5f, 0.5f, &r), "w");
    ck_node *table = ck_param(ck_tensor_uniform(ck_shape_of(2, 10, 8), -0.5f, 0.5f, &r), "emb");
    ck_node *params[2] = {w, table};
    int32_t id_data[64 * 3];
    float target_data[64 * 4];
    for (int k = 0; k < 64 * 3; k++) id_data[k] = (int32_t)ck_rng_below(&r, 10);
    for (int k = 0; k < 64 * 4; k++) target_data[k] = ck_rng_uniform(&r);
    ck_tensor ids = ck_tensor_view(CK_I32, ck_shape_of(2, 64, 3), id_data);
    ck_tensor target = ck_tensor_view(CK_F32, ck_shape_of(2, 64, 4), target_data);

    size_t mallocs_after_warmup = 0, reserved_after_warmup = 0;
    float first_loss = 0, last_loss = 0;
    for (int step = 0; step < 1000; step++) {
        ck_node *id = ck_const(tape, &ids);
        ck_node *emb = ck_gather(tape, table, id);                                    /* (64, 3, 8) */
        ck_node *pooled = ck_masked_mean(tape, emb, ck_mask_nonzero(tape, id), 1, 0); /* (64, 8) */
        ck_node *pred = ck_sigmoid(tape, ck_matmul(tape, pooled, w));                 /* (64, 4) */
        ck_node *loss = ck_mse(tape, pred, ck_const(tape, &target));
        cr_assert_not_null(loss, "%s", ck_error());
        ck_zero_grad(params, 2);
        cr_assert_eq(ck_backward(tape, loss), 0);
        for (int p = 0; p < 2; p++)
            for (int64_t k = 0; k < params[p]->value.size; k++) params[p]->value.f[k] -= 0.5f * params[p]->grad[k];
        if (step == 0) first_loss = loss->value.f[0];
        last_loss = loss->value.f[0];
        ck_tape_reset(tape);
        const ck_arena *a = ck_tape_arena(tape);
        if (step == 2) {
            mallocs_after_warmup = a->n_mallocs;
            reserved_after_warmup = a->reserved;
        } else if (step > 2) {
            cr_assert_eq(a->n_mallocs, mallocs_after_warmup, "step %d", step);
            cr_assert_eq(a->reserved, reserved_after_warmup, "step %d", step);
        }
    }
    cr_expect_lt(last_loss, first_loss); /* the step really trains */
    cr_expect_eq(ck_tape_size(tape), 0);
    ck_param_free(w);
    ck_param_free(table);
}

Test(tape, param_and_const_leaves)
{
    float data[2] = {3, 4};
    ck_tensor view = ck_tensor_view(CK_F32, ck_shape_of(1, 2), data);
    ck_node *c = ck_const(tape, &view);
    cr_expect_eq(c->value.f, data); /* a view, no copy */
    cr_expect_null(c->grad);
    cr_expect_null(c->op);
    ck_node *p = ck_param(ck_tensor_from_data(ck_shape_of(1, 2), data), "dense/kernel");
    cr_expect_str_eq(p->name, "dense/kernel");
    cr_expect(p->is_param);
    cr_expect_eq(p->grad[0], 0.0f);
    cr_expect_eq(p->grad[1], 0.0f);
    ck_param_free(p);
    expect_error(ck_param(ck_tensor_from_ids(ck_shape_of(1, 1), (int32_t[]){1}), "ids"),
                 "param 'ids': value must be float32");
}

/* A parameter as its own root (nothing recorded between them): its gradient
 * still accumulates across calls, as every parameter's does (ck_autograd.h):
 * seeds 1, then 2.5, give 3.5; a 3-element root takes ck_backward_seed. */
Test(tape, parameter_root_accumulates_its_seed)
{
    const float w[1] = {7}, v[3] = {1, 2, 3};
    ck_node *p = param_of(ck_shape_of(1, 1), w), *q = param_of(ck_shape_of(1, 3), v);
    ck_zero_grad(&p, 1);
    cr_assert_eq(ck_backward(tape, p), 0, "%s", ck_error());
    cr_expect_eq(p->grad[0], 1.0f);
    const float seed[1] = {2.5f};
    cr_assert_eq(ck_backward_seed(tape, p, seed), 0, "%s", ck_error());
    cr_expect_eq(p->grad[0], 3.5f);
    ck_zero_grad(&q, 1);
    const float seed3[3] = {1, -1, 0.5f};
    for (int call = 0; call < 2; call++) cr_assert_eq(ck_backward_seed(tape, q, seed3), 0, "%s", ck_error());
    for (int k = 0; k < 3; k++) cr_expect_eq(q->grad[k], 2 * seed3[k]);
    ck_param_free(p);
    ck_param_free(q);
}
