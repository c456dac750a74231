/* ops_math.c - elementwise math: exp, log, sqrt, abs, pow, clip. Each row
 * is a thin pair over unary_forward and unary_backward (ops_internal.h),
 * which write every element, so every row here is flagged WRITES | ASSIGNS
 * (see op_table.c for the rows). */
#include "ck_kernels.h"
#include "ops_internal.h"

/* ---- exp: x (...) -> e^x (...); derivative from the output: y ---- */

int ck_exp_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_EXP, n);
    return 0;
}
void ck_exp_backward(ck_node *n) { unary_backward(CK_UN_EXP, n); }
ck_node *ck_exp(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_EXP, x, NULL); }

/* ---- log: x (...) -> ln x (...); derivative 1 / x ---- */

int ck_log_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_LOG, n);
    return 0;
}
void ck_log_backward(ck_node *n) { unary_backward(CK_UN_LOG, n); }
ck_node *ck_log(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_LOG, x, NULL); }

/* ---- sqrt: x (...) -> sqrt x (...); derivative from the output: 1 / (2 y) ---- */

int ck_sqrt_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_SQRT, n);
    return 0;
}
void ck_sqrt_backward(ck_node *n) { unary_backward(CK_UN_SQRT, n); }
ck_node *ck_sqrt(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_SQRT, x, NULL); }

/* ---- pow: x (...) -> x^p (...), p = alpha a constant; derivative p x^(p - 1) ---- */

int ck_pow_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_POW, n);
    return 0;
}
void ck_pow_backward(ck_node *n) { unary_backward(CK_UN_POW, n); }

ck_node *ck_pow(ck_tape *t, ck_node *x, float p)
{
    ck_op_args args = {0};
    args.alpha = p;
    return apply1(t, CK_OP_POW, x, &args);
}

/* ---- abs: x (...) -> |x| (...); derivative sign(x), 0 at 0 ---- */

int ck_abs_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_ABS, n);
    return 0;
}
void ck_abs_backward(ck_node *n) { unary_backward(CK_UN_ABS, n); }
ck_node *ck_abs(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_ABS, x, NULL); }

/* ---- clip: x (...) -> min(max(x, lo), hi) (...), lo = alpha, hi = beta;
 * derivative 1 on [lo, hi], 0 outside ---- */

int ck_clip_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    unary_forward(CK_UN_CLIP, n);
    return 0;
}
void ck_clip_backward(ck_node *n) { unary_backward(CK_UN_CLIP, n); }

ck_node *ck_clip(ck_tape *t, ck_node *x, float lo, float hi)
{
    ck_op_args args = {0};
    args.alpha = lo;
    args.beta = hi < lo ? lo : hi; /* K.clip: max_value < min_value means max_value = min_value */
    return apply1(t, CK_OP_CLIP, x, &args);
}
