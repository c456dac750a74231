/* ops_nn.c - softmax and log_softmax over an axis, and the elementwise
 * activations (softplus, softsign, elu, selu, gelu, swish, leaky_relu,
 * log_sigmoid): shape rule, forward, backward and constructor side by side
 * (see ops_internal.h for the conventions, op_table.c for the rows; the
 * loops are in tensor/kernels_softmax.c and tensor/kernels_math.c). Each
 * activation's derivative reads whichever of x and y is cheaper. */
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

/* ---- softplus: x (...) -> (...); ln(1 + e^x), as ln(1 + e^-|x|) + max(x, 0) so no e^x overflows; derivative sigmoid(x) = 1 - e^-y ---- */

int ck_softplus_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_SOFTPLUS, n);
    return 0;
}
void ck_softplus_backward(ck_node *n) { unary_backward(CK_UN_SOFTPLUS, n); }
ck_node *ck_softplus(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_SOFTPLUS, x, NULL); }

/* ---- softsign: x (...) -> (...); x / (1 + |x|); derivative 1 / (1 + |x|)^2 ---- */

int ck_softsign_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_SOFTSIGN, n);
    return 0;
}
void ck_softsign_backward(ck_node *n) { unary_backward(CK_UN_SOFTSIGN, n); }
ck_node *ck_softsign(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_SOFTSIGN, x, NULL); }

/* ---- elu: x (...) -> (...); x > 0 ? x : alpha (e^x - 1); derivative 1, or y + alpha (alpha at 0, as TF) ---- */

int ck_elu_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_ELU, n);
    return 0;
}
void ck_elu_backward(ck_node *n) { unary_backward(CK_UN_ELU, n); }

ck_node *ck_elu(ck_tape *t, ck_node *x, float alpha)
{
    ck_op_args args = {0};
    args.alpha = alpha;
    return apply1(t, CK_OP_ELU, x, &args);
}

/* ---- selu: x (...) -> (...); scale * elu(x, alpha) with Keras's constants; derivative scale, or y + scale alpha ---- */

int ck_selu_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_SELU, n);
    return 0;
}
void ck_selu_backward(ck_node *n) { unary_backward(CK_UN_SELU, n); }
ck_node *ck_selu(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_SELU, x, NULL); }

/* ---- gelu: x (...) -> (...); x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, Keras's default (approximate=False) ---- */

int ck_gelu_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_GELU, n);
    return 0;
}
void ck_gelu_backward(ck_node *n) { unary_backward(CK_UN_GELU, n); }

/* ---- gelu_tanh: x (...) -> (...); gelu's tanh form, Keras's approximate=True: x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2 ---- */

int ck_gelu_tanh_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_GELU_TANH, n);
    return 0;
}
void ck_gelu_tanh_backward(ck_node *n) { unary_backward(CK_UN_GELU_TANH, n); }

ck_node *ck_gelu(ck_tape *t, ck_node *x, int approximate)
{
    return apply1(t, approximate ? CK_OP_GELU_TANH : CK_OP_GELU, x, NULL);
}

/* ---- swish: x (...) -> (...); x sigmoid(x) (silu); derivative s (1 + x (1 - s)), s = sigmoid(x) ---- */

int ck_swish_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_SWISH, n);
    return 0;
}
void ck_swish_backward(ck_node *n) { unary_backward(CK_UN_SWISH, n); }
ck_node *ck_swish(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_SWISH, x, NULL); }

/* ---- leaky_relu: x (...) -> (...); x > 0 ? x : alpha x; derivative 1, or alpha (alpha at 0, as TF) ---- */

int ck_leaky_relu_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_LEAKY_RELU, n);
    return 0;
}
void ck_leaky_relu_backward(ck_node *n) { unary_backward(CK_UN_LEAKY_RELU, n); }

ck_node *ck_leaky_relu(ck_tape *t, ck_node *x, float alpha)
{
    ck_op_args args = {0};
    args.alpha = alpha;
    return apply1(t, CK_OP_LEAKY_RELU, x, &args);
}

/* ---- log_sigmoid: x (...) -> (...); ln sigmoid(x) = -softplus(-x); derivative 1 - sigmoid(x) = -expm1(y) ---- */

int ck_log_sigmoid_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_LOG_SIGMOID, n);
    return 0;
}
void ck_log_sigmoid_backward(ck_node *n) { unary_backward(CK_UN_LOG_SIGMOID, n); }
ck_node *ck_log_sigmoid(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_LOG_SIGMOID, x, NULL); }
