/* ops_nn.c - softmax and log_softmax over an axis: shape rule, forward,
 * backward and constructor side by side (see ops_internal.h for the
 * conventions, op_table.c for the rows; the loops are in
 * tensor/kernels_softmax.c). */
#include "ck_kernels.h"
#include "ops_internal.h"

/* ---- softmax, log_softmax: x (..., L, ...) -> (..., L, ...) along axis ---- */

int ck_softmax_shape(ck_node *n)
{
    if (require_inputs(n, 1) < 0 || require_f32(n, 0) < 0) return -1;
    if (normalise_axis(n, n->in[0]->value.shape, &n->args.axis) < 0) return -1;
    n->value.dtype = CK_F32;
    n->value.shape = n->in[0]->value.shape;
    return 0;
}

int ck_softmax_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    int64_t outer, len, inner;
    split_at_axis(n->value.shape, n->args.axis, &outer, &len, &inner);
    ck_k_softmax_axis(n->value.f, n->in[0]->value.f, outer, len, inner);
    return 0;
}

/* From the output y: gx = y (g - sum_axis g y). */
void ck_softmax_backward(ck_node *n)
{
    ck_node *x = n->in[0];
    int64_t outer, len, inner;
    split_at_axis(n->value.shape, n->args.axis, &outer, &len, &inner);
    if (x->grad_unset)
        ck_k_softmax_axis_backward_assign(x->grad, n->value.f, n->grad, outer, len, inner);
    else if (x->grad)
        ck_k_softmax_axis_backward(x->grad, n->value.f, n->grad, outer, len, inner);
}

int ck_log_softmax_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    int64_t outer, len, inner;
    split_at_axis(n->value.shape, n->args.axis, &outer, &len, &inner);
    ck_k_log_softmax_axis(n->value.f, n->in[0]->value.f, outer, len, inner);
    return 0;
}

/* From the output y: gx = g - e^y sum_axis g. */
void ck_log_softmax_backward(ck_node *n)
{
    ck_node *x = n->in[0];
    int64_t outer, len, inner;
    split_at_axis(n->value.shape, n->args.axis, &outer, &len, &inner);
    if (x->grad_unset)
        ck_k_log_softmax_axis_backward_assign(x->grad, n->value.f, n->grad, outer, len, inner);
    else if (x->grad)
        ck_k_log_softmax_axis_backward(x->grad, n->value.f, n->grad, outer, len, inner);
}

ck_node *ck_softmax(ck_tape *t, ck_node *x, int axis)
{
    ck_op_args args = {0};
    args.axis = axis;
    return apply1(t, CK_OP_SOFTMAX, x, &args);
}

ck_node *ck_log_softmax(ck_tape *t, ck_node *x, int axis)
{
    ck_op_args args = {0};
    args.axis = axis;
    return apply1(t, CK_OP_LOG_SOFTMAX, x, &args);
}
