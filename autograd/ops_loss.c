/* ops_loss.c - mean squared error: shape rule, forward, backward and
 * constructor (see ops_internal.h for the conventions, op_table.c for the row). */
#include "ck_kernels.h"
#include "ops_internal.h"

/* ---- mse: pred (...), target (same) -> () mean of (pred - target)^2 ---- */

int ck_mse_shape(ck_node *n)
{
    char sp[SHAPE_BUF], st[SHAPE_BUF];
    if (require_inputs(n, 2) < 0 || require_f32(n, 0) < 0 || require_f32(n, 1) < 0) return -1;
    ck_shape pred = n->in[0]->value.shape, target = n->in[1]->value.shape;
    if (!ck_shape_eq(pred, target))
        return ck_fail("mse: shapes %s and %s differ", ck_shape_str(pred, sp, sizeof sp),
                       ck_shape_str(target, st, sizeof st));
    n->value.dtype = CK_F32;
    n->value.shape = ck_shape_of(0);
    return 0;
}

int ck_mse_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    /* the formula lives in the kernel, which the reported values share */
    n->value.f[0] = (float)ck_k_mean_squared_error(n->in[0]->value.f, n->in[1]->value.f, n->in[0]->value.size);
    return 0;
}

/* d / d pred = 2 g (pred - target) / size, d / d target = its negative. */
void ck_mse_backward(ck_node *n)
{
    const float *pred = n->in[0]->value.f, *target = n->in[1]->value.f;
    int64_t size = n->in[0]->value.size;
    if (size == 0) return;
    float coef = 2.0f * n->grad[0] / (float)size;
    float *grad_pred = n->in[0]->grad, *grad_target = n->in[1]->grad;
    if (n->in[0]->grad_unset)
        for (int64_t k = 0; k < size; k++) grad_pred[k] = coef * (pred[k] - target[k]);
    else if (grad_pred)
        for (int64_t k = 0; k < size; k++) grad_pred[k] += coef * (pred[k] - target[k]);
    if (n->in[1]->grad_unset)
        for (int64_t k = 0; k < size; k++) grad_target[k] = -(coef * (pred[k] - target[k]));
    else if (grad_target)
        for (int64_t k = 0; k < size; k++) grad_target[k] -= coef * (pred[k] - target[k]);
}

ck_node *ck_mse(ck_tape *t, ck_node *pred, ck_node *target) { return apply2(t, CK_OP_MSE, pred, target, NULL); }
