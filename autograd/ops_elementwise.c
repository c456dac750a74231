/* ops_elementwise.c - add, sub, mul, div, maximum, minimum (with
 * broadcasting), scale (and neg), square, relu, sigmoid, tanh: shape rule, forward, backward and constructor side
 * by side (see ops_internal.h for the conventions, op_table.c for the rows). */
#include "ck_kernels.h"
#include "ops_internal.h"

#include <string.h>

/* ---- add, sub, mul: a (...) op b (...) -> broadcast shape (numpy rule) ---- */

int ck_binary_shape(ck_node *n)
{
    char sa[SHAPE_BUF], sb[SHAPE_BUF];
    if (require_inputs(n, 2) < 0 || require_f32(n, 0) < 0 || require_f32(n, 1) < 0) return -1;
    ck_shape a = n->in[0]->value.shape, b = n->in[1]->value.shape;
    if (ck_bcast_plan(a, b, &n->value.shape, NULL) < 0)
        return ck_fail("%s: shapes %s and %s do not broadcast", n->op->name, ck_shape_str(a, sa, sizeof sa),
                       ck_shape_str(b, sb, sizeof sb));
    n->value.dtype = CK_F32;
    return 0;
}

static void binary_forward(ck_binop op, ck_node *n)
{
    ck_bcast plan;
    ck_bcast_plan(n->in[0]->value.shape, n->in[1]->value.shape, NULL, &plan);
    ck_k_binary(op, &plan, n->in[0]->value.f, n->in[1]->value.f, n->value.f);
}

/* Input k has the output's size (not stretched): assign its whole gradient,
 * d(out)/d(input k) * g, in one pass. */
static void binary_assign_grad(ck_binop op, ck_node *n, int k)
{
    ck_node *x = n->in[k], *other = n->in[1 - k];
    if (op == CK_BIN_MUL) { /* g * other, other possibly stretched */
        ck_bcast plan;
        ck_bcast_plan(n->value.shape, other->value.shape, NULL, &plan);
        ck_k_binary(CK_BIN_MUL, &plan, n->grad, other->value.f, x->grad);
    } else if (op == CK_BIN_SUB && k == 1) {
        ck_k_scale(x->grad, n->grad, n->value.size, -1.0f);
    } else {
        memcpy(x->grad, n->grad, (size_t)n->value.size * sizeof(float));
    }
}

/* Gradients are summed over the dims each input was stretched along. An
 * unset gradient (CK_OP_ASSIGNS_GRAD) is assigned when one write covers it;
 * a stretched one collects several writes per element, so it is zeroed and
 * added into like any other. */
static void binary_backward(ck_binop op, ck_node *n)
{
    float *grad[2] = {n->in[0]->grad, n->in[1]->grad};
    if (op == CK_BIN_MUL && n->in[0] == n->in[1]) { /* x * x: the tape zeroed the shared gradient */
        if (grad[0]) ck_k_mul_self_backward(grad[0], n->in[0]->value.f, n->grad, n->value.size);
        return;
    }
    for (int k = 0; k < 2; k++) {
        ck_node *x = n->in[k];
        if (!x->grad_unset) continue;
        if (x->value.size == n->value.size) {
            binary_assign_grad(op, n, k);
            grad[k] = NULL; /* done */
        } else {
            memset(x->grad, 0, (size_t)x->value.size * sizeof(float));
        }
    }
    if (!grad[0] && !grad[1]) return;
    ck_bcast plan;
    ck_bcast_plan(n->in[0]->value.shape, n->in[1]->value.shape, NULL, &plan);
    ck_k_binary_backward(op, &plan, n->in[0]->value.f, n->in[1]->value.f, n->grad, grad[0], grad[1]);
}

int ck_add_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    binary_forward(CK_BIN_ADD, n);
    return 0;
}
void ck_add_backward(ck_node *n) { binary_backward(CK_BIN_ADD, n); }
int ck_sub_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    binary_forward(CK_BIN_SUB, n);
    return 0;
}
void ck_sub_backward(ck_node *n) { binary_backward(CK_BIN_SUB, n); }
int ck_mul_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    binary_forward(CK_BIN_MUL, n);
    return 0;
}
void ck_mul_backward(ck_node *n) { binary_backward(CK_BIN_MUL, n); }

ck_node *ck_add(ck_tape *t, ck_node *a, ck_node *b) { return apply2(t, CK_OP_ADD, a, b, NULL); }
ck_node *ck_sub(ck_tape *t, ck_node *a, ck_node *b) { return apply2(t, CK_OP_SUB, a, b, NULL); }
ck_node *ck_mul(ck_tape *t, ck_node *a, ck_node *b) { return apply2(t, CK_OP_MUL, a, b, NULL); }

/* ---- div, maximum, minimum: a (...) op b (...) -> broadcast shape ----
 * Their rows are not flagged ASSIGNS: the tape zeroes the gradients and
 * backward adds (grad_unset is never set, so binary_backward goes straight
 * to the kernel). maximum sends g to a where a >= b, minimum where a <= b:
 * ties go to a, as TF's Maximum and Minimum gradients (greater_equal,
 * less_equal). */

int ck_div_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    binary_forward(CK_BIN_DIV, n);
    return 0;
}
void ck_div_backward(ck_node *n) { binary_backward(CK_BIN_DIV, n); }
int ck_maximum_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    binary_forward(CK_BIN_MAX, n);
    return 0;
}
void ck_maximum_backward(ck_node *n) { binary_backward(CK_BIN_MAX, n); }
int ck_minimum_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    binary_forward(CK_BIN_MIN, n);
    return 0;
}
void ck_minimum_backward(ck_node *n) { binary_backward(CK_BIN_MIN, n); }

ck_node *ck_div(ck_tape *t, ck_node *a, ck_node *b) { return apply2(t, CK_OP_DIV, a, b, NULL); }
ck_node *ck_maximum(ck_tape *t, ck_node *a, ck_node *b) { return apply2(t, CK_OP_MAXIMUM, a, b, NULL); }
ck_node *ck_minimum(ck_tape *t, ck_node *a, ck_node *b) { return apply2(t, CK_OP_MINIMUM, a, b, NULL); }

/* ---- scale: x (...) -> alpha * x (...) ---- */

int ck_same_shape_f32(ck_node *n)
{
    if (require_inputs(n, 1) < 0 || require_f32(n, 0) < 0) return -1;
    n->value.dtype = CK_F32;
    n->value.shape = n->in[0]->value.shape;
    return 0;
}

int ck_scale_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    ck_k_scale(n->value.f, n->in[0]->value.f, n->value.size, n->args.alpha);
    return 0;
}

void ck_scale_backward(ck_node *n)
{
    ck_node *x = n->in[0];
    if (x->grad_unset)
        ck_k_scale(x->grad, n->grad, n->value.size, n->args.alpha);
    else if (x->grad)
        ck_k_axpy(x->grad, n->grad, n->value.size, n->args.alpha);
}

ck_node *ck_scale(ck_tape *t, ck_node *x, float alpha)
{
    ck_op_args args = {0};
    args.alpha = alpha;
    return apply1(t, CK_OP_SCALE, x, &args);
}

/* neg: scale by -1, not a row of its own */
ck_node *ck_neg(ck_tape *t, ck_node *x) { return ck_scale(t, x, -1.0f); }

/* ---- square: x (...) -> x^2 (...) ---- */

int ck_square_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    ck_k_square(n->value.f, n->in[0]->value.f, n->value.size);
    return 0;
}

void ck_square_backward(ck_node *n)
{
    ck_node *x = n->in[0];
    if (x->grad_unset)
        ck_k_square_backward_assign(x->grad, x->value.f, n->grad, n->value.size);
    else if (x->grad)
        ck_k_square_backward(x->grad, x->value.f, n->grad, n->value.size);
}

ck_node *ck_square(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_SQUARE, x, NULL); }

/* ---- relu, sigmoid, tanh: x (...) -> y (...); backward uses the output y ---- */

int ck_relu_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    ck_k_relu(n->value.f, n->in[0]->value.f, n->value.size);
    return 0;
}

void ck_relu_backward(ck_node *n)
{
    if (n->in[0]->grad) ck_k_relu_backward(n->in[0]->grad, n->value.f, n->grad, n->value.size);
}

ck_node *ck_relu(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_RELU, x, NULL); }

int ck_sigmoid_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    ck_k_sigmoid(n->value.f, n->in[0]->value.f, n->value.size);
    return 0;
}

void ck_sigmoid_backward(ck_node *n)
{
    if (n->in[0]->grad) ck_k_sigmoid_backward(n->in[0]->grad, n->value.f, n->grad, n->value.size);
}

ck_node *ck_sigmoid(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_SIGMOID, x, NULL); }

int ck_tanh_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    ck_k_tanh(n->value.f, n->in[0]->value.f, n->value.size);
    return 0;
}

void ck_tanh_backward(ck_node *n)
{
    if (n->in[0]->grad) ck_k_tanh_backward(n->in[0]->grad, n->value.f, n->grad, n->value.size);
}

ck_node *ck_tanh(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_TANH, x, NULL); }
