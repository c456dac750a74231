/* ops_reduce.c - sum, mean and max over one axis, mask_nonzero, masked_mean:
 * shape rule, forward, backward and constructor side by side (see
 * ops_internal.h for the conventions, op_table.c for the rows). */
#include <math.h>

#include "ck_kernels.h"
#include "ops_internal.h"

/* ---- sum, mean over one axis: x (..., L, ...) -> (..., ...) or (..., 1, ...) ---- */

int ck_reduce_axis_shape(ck_node *n)
{
    if (require_inputs(n, 1) < 0 || require_f32(n, 0) < 0) return -1;
    ck_shape x = n->in[0]->value.shape;
    if (normalise_axis(n, x, &n->args.axis) < 0) return -1;
    n->value.dtype = CK_F32;
    n->value.shape = reduce_shape(x, n->args.axis, n->args.keepdims);
    return 0;
}

static void reduce_axis_forward(ck_node *n, int is_mean)
{
    int64_t outer, len, inner;
    split_at_axis(n->in[0]->value.shape, n->args.axis, &outer, &len, &inner);
    float scale = is_mean && len > 0 ? 1.0f / (float)len : 1.0f;
    ck_k_sum_axis(n->value.f, n->in[0]->value.f, outer, len, inner, scale);
    /* the mean of nothing is 0 / 0 = NaN, as numpy, TF and PyTorch (the sum of nothing is 0) */
    if (is_mean && len == 0) ck_k_fill(n->value.f, n->value.size, NAN);
}

/* Every element of x gets scale * g of its output element. */
static void reduce_axis_backward(ck_node *n, int is_mean)
{
    ck_node *x = n->in[0];
    if (!x->grad) return;
    int64_t outer, len, inner;
    split_at_axis(x->value.shape, n->args.axis, &outer, &len, &inner);
    float scale = is_mean && len > 0 ? 1.0f / (float)len : 1.0f;
    if (x->grad_unset)
        ck_k_sum_axis_backward_assign(x->grad, n->grad, outer, len, inner, scale);
    else
        ck_k_sum_axis_backward(x->grad, n->grad, outer, len, inner, scale);
}

int ck_sum_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    reduce_axis_forward(n, 0);
    return 0;
}
void ck_sum_backward(ck_node *n) { reduce_axis_backward(n, 0); }
int ck_mean_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    reduce_axis_forward(n, 1);
    return 0;
}
void ck_mean_backward(ck_node *n) { reduce_axis_backward(n, 1); }

ck_node *ck_sum(ck_tape *t, ck_node *x, int axis, int keepdims)
{
    ck_op_args args = {0};
    args.axis = axis;
    args.keepdims = keepdims;
    return apply1(t, CK_OP_SUM, x, &args);
}

ck_node *ck_mean(ck_tape *t, ck_node *x, int axis, int keepdims)
{
    ck_op_args args = {0};
    args.axis = axis;
    args.keepdims = keepdims;
    return apply1(t, CK_OP_MEAN, x, &args);
}

ck_node *ck_sum_concat(ck_tape *t, ck_node *const *xs, int n, int axis, int keepdims, float scale)
{
    ck_op_args args = {.axis = axis, .keepdims = keepdims, .alpha = scale};
    return ck_apply(t, &ck_ops[CK_OP_SUM_CONCAT], xs, n, &args);
}

ck_node *ck_sum_square_concat(ck_tape *t, ck_node *const *xs, int n, int axis, int keepdims, float scale)
{
    ck_op_args args = {.axis = axis, .keepdims = keepdims, .alpha = scale};
    return ck_apply(t, &ck_ops[CK_OP_SUM_SQUARE_CONCAT], xs, n, &args);
}

/* ---- mask_nonzero: ids (...) -> (...) float, 1 where id != 0; no gradient ---- */

int ck_mask_nonzero_shape(ck_node *n)
{
    if (require_inputs(n, 1) < 0) return -1;
    n->value.dtype = CK_F32;
    n->value.shape = n->in[0]->value.shape;
    return 0;
}

int ck_mask_nonzero_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    const ck_tensor *x = &n->in[0]->value;
    if (x->dtype == CK_I32)
        for (int64_t k = 0; k < x->size; k++) n->value.f[k] = x->i[k] != 0 ? 1.0f : 0.0f;
    else
        for (int64_t k = 0; k < x->size; k++) n->value.f[k] = x->f[k] != 0.0f ? 1.0f : 0.0f;
    return 0;
}

ck_node *ck_mask_nonzero(ck_tape *t, ck_node *ids) { return apply1(t, CK_OP_MASK_NONZERO, ids, NULL); }

/* ---- masked_mean: x (O, L, I) viewed around axis, mask (O, L) -> (O, I) ----
 * (its shape rule also serves masked_max)
 * out[o, i] = sum_l mask[o, l] x[o, l, i] / count[o], count[o] = sum_l mask[o, l]
 * (0 when count is 0). */

int ck_masked_mean_shape(ck_node *n)
{
    char sx[SHAPE_BUF], sm[SHAPE_BUF], se[SHAPE_BUF];
    if (require_inputs(n, 2) < 0 || require_f32(n, 0) < 0 || require_f32(n, 1) < 0) return -1;
    ck_shape x = n->in[0]->value.shape, mask = n->in[1]->value.shape;
    if (normalise_axis(n, x, &n->args.axis) < 0) return -1;
    int axis = n->args.axis;
    ck_shape expected = x;
    expected.ndim = axis + 1;
    for (int k = axis + 1; k < CK_MAX_DIMS; k++) expected.d[k] = 0;
    if (!ck_shape_eq(mask, expected))
        return ck_fail("%s: mask shape %s does not match x %s up to axis %d: expected %s", n->op->name,
                       ck_shape_str(mask, sm, sizeof sm), ck_shape_str(x, sx, sizeof sx), axis,
                       ck_shape_str(expected, se, sizeof se));
    n->value.dtype = CK_F32;
    n->value.shape = reduce_shape(x, axis, n->args.keepdims);
    return 0;
}

static float mask_count(const float *mask_row, int64_t len)
{
    float count = 0.0f;
    for (int64_t l = 0; l < len; l++) count += mask_row[l];
    return count;
}

int ck_masked_mean_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    int64_t outer, len, inner;
    split_at_axis(n->in[0]->value.shape, n->args.axis, &outer, &len, &inner);
    ck_k_masked_mean(n->value.f, n->in[0]->value.f, n->in[1]->value.f, outer, len, inner);
    return 0;
}

/* Adds into both gradients (no CK_OP_ASSIGNS_GRAD): rows whose mask is all
 * padding get nothing, so one write would not cover x's gradient. */
void ck_masked_mean_backward(ck_node *n)
{
    int64_t outer, len, inner;
    split_at_axis(n->in[0]->value.shape, n->args.axis, &outer, &len, &inner);
    const float *x = n->in[0]->value.f, *mask = n->in[1]->value.f;
    float *grad_x = n->in[0]->grad, *grad_mask = n->in[1]->grad;
    if (grad_x) ck_k_masked_mean_backward(grad_x, n->grad, mask, outer, len, inner);
    if (!grad_mask) return;
    for (int64_t o = 0; o < outer; o++) {
        float count = mask_count(mask + o * len, len);
        if (count == 0.0f) continue;
        const float *g_row = n->grad + o * inner, *out_row = n->value.f + o * inner;
        for (int64_t l = 0; l < len; l++) { /* d out / d mask[o, l] = (x[o, l, :] - out[o, :]) / count */
            const float *x_row = x + (o * len + l) * inner;
            float dot = 0.0f;
            for (int64_t i = 0; i < inner; i++) dot += g_row[i] * (x_row[i] - out_row[i]);
            grad_mask[o * len + l] += dot / count;
        }
    }
}

ck_node *ck_masked_mean(ck_tape *t, ck_node *x, ck_node *mask, int axis, int keepdims)
{
    ck_op_args args = {0};
    args.axis = axis;
    args.keepdims = keepdims;
    return apply2(t, CK_OP_MASKED_MEAN, x, mask, &args);
}

/* ---- sum_all, mean_all: x (...) -> () scalar; helpers, not rows ---- */

ck_node *ck_sum_all(ck_tape *t, ck_node *x) { return ck_sum(t, ck_reshape(t, x, ck_shape_of(1, -1)), 0, 0); }
ck_node *ck_mean_all(ck_tape *t, ck_node *x) { return ck_mean(t, ck_reshape(t, x, ck_shape_of(1, -1)), 0, 0); }

/* ---- max, masked_max: x (O, L, I) viewed around axis [, mask (O, L)] -> (O, I) ----
 * out[o, i] = max over l (with mask[o, l] != 0) of x[o, l, i]; 0 when no l
 * counts; a NaN is the max (numpy's rule), and then no position gets a gradient. Backward as tf.reduce_max: the positions equal to the max share
 * the gradient equally. Positions that are not a max get nothing, so the
 * gradient is added into (no CK_OP_ASSIGNS_GRAD). */

/* An axis with no element has no maximum. */
int ck_max_shape(ck_node *n)
{
    char buf[SHAPE_BUF];
    if (ck_reduce_axis_shape(n) < 0) return -1;
    ck_shape x = n->in[0]->value.shape;
    if (x.d[n->args.axis] == 0)
        return ck_fail("max: axis %d of shape %s is empty: no maximum", n->args.axis, ck_shape_str(x, buf, sizeof buf));
    return 0;
}

static int counts(const float *mask, int64_t o, int64_t len, int64_t l) { return !mask || mask[o * len + l] != 0.0f; }

static void max_forward(ck_node *n, const float *mask)
{
    int64_t outer, len, inner;
    split_at_axis(n->in[0]->value.shape, n->args.axis, &outer, &len, &inner);
    const float *x = n->in[0]->value.f;
    for (int64_t o = 0; o < outer; o++) {
        float *out = n->value.f + o * inner;
        int any = 0;
        for (int64_t l = 0; l < len; l++) {
            if (!counts(mask, o, len, l)) continue;
            const float *xr = x + (o * len + l) * inner;
            /* a NaN stays the max once met, whatever its position (numpy's rule) */
            for (int64_t i = 0; i < inner; i++) out[i] = any && (out[i] >= xr[i] || out[i] != out[i]) ? out[i] : xr[i];
            any = 1;
        }
        if (!any)
            for (int64_t i = 0; i < inner; i++) out[i] = 0.0f;
    }
}

static void max_backward(ck_node *n, const float *mask)
{
    ck_node *in = n->in[0];
    if (!in->grad) return;
    int64_t outer, len, inner;
    split_at_axis(in->value.shape, n->args.axis, &outer, &len, &inner);
    const float *x = in->value.f;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            float best = n->value.f[o * inner + i];
            int ties = 0;
            for (int64_t l = 0; l < len; l++) ties += counts(mask, o, len, l) && x[(o * len + l) * inner + i] == best;
            if (!ties) continue;
            float share = n->grad[o * inner + i] / (float)ties;
            for (int64_t l = 0; l < len; l++)
                if (counts(mask, o, len, l) && x[(o * len + l) * inner + i] == best)
                    in->grad[(o * len + l) * inner + i] += share;
        }
}

int ck_max_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    max_forward(n, NULL);
    return 0;
}
void ck_max_backward(ck_node *n) { max_backward(n, NULL); }
int ck_masked_max_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    max_forward(n, n->in[1]->value.f);
    return 0;
}
void ck_masked_max_backward(ck_node *n) { max_backward(n, n->in[1]->value.f); }

ck_node *ck_max(ck_tape *t, ck_node *x, int axis, int keepdims)
{
    ck_op_args args = {0};
    args.axis = axis;
    args.keepdims = keepdims;
    return apply1(t, CK_OP_MAX, x, &args);
}

ck_node *ck_masked_max(ck_tape *t, ck_node *x, ck_node *mask, int axis, int keepdims)
{
    ck_op_args args = {0};
    args.axis = axis;
    args.keepdims = keepdims;
    return apply2(t, CK_OP_MASKED_MAX, x, mask, &args);
}

/* ---- sum_concat, sum_square_concat: parts p (O, L_p, I) viewed around axis,
 * alike but for L_p >= 1 -> (O, I), or (O, 1, I) with keepdims ----
 * out = alpha * the sum along axis of concat(parts, axis), or of its square,
 * without the concatenation: what the tape's fusion (fusion.c) makes of a
 * sum or mean over a deferred concat or square. Each term is added in the
 * order the sum of the concatenation adds it: the same floats. */

int ck_sum_parts_shape(ck_node *n)
{
    char s0[SHAPE_BUF], sk[SHAPE_BUF];
    if (n->n_in < 1) return ck_fail("%s: needs at least 1 input, got %d", n->op->name, n->n_in);
    for (int k = 0; k < n->n_in; k++)
        if (require_f32(n, k) < 0) return -1;
    ck_shape first = n->in[0]->value.shape;
    if (normalise_axis(n, first, &n->args.axis) < 0) return -1;
    int axis = n->args.axis;
    ck_shape whole = first;
    for (int k = 0; k < n->n_in; k++) {
        ck_shape s = n->in[k]->value.shape;
        int agree = s.ndim == first.ndim && s.d[axis] >= 1;
        for (int d = 0; agree && d < s.ndim; d++)
            if (d != axis && s.d[d] != first.d[d]) agree = 0;
        if (!agree)
            return ck_fail("%s: input %d has shape %s and input 0 %s: all dims but axis %d must agree, "
                           "and axis %d must not be empty",
                           n->op->name, k, ck_shape_str(s, sk, sizeof sk), ck_shape_str(first, s0, sizeof s0), axis,
                           axis);
        if (k > 0) whole.d[axis] += s.d[axis];
    }
    n->value.dtype = CK_F32;
    n->value.shape = reduce_shape(whole, axis, n->args.keepdims);
    return 0;
}

#define PARTS_ON_STACK 8
static int sum_parts_forward(ck_tape *t, ck_node *n, int squared)
{
    const float *stack_parts[PARTS_ON_STACK];
    int64_t stack_lens[PARTS_ON_STACK];
    const float **parts = stack_parts;
    int64_t *lens = stack_lens, outer = 0, inner = 0;
    if (n->n_in > PARTS_ON_STACK) { /* from the step's arena, never malloc */
        parts = ck_tape_alloc(t, sizeof *parts * (size_t)n->n_in);
        lens = ck_tape_alloc(t, sizeof *lens * (size_t)n->n_in);
        if (!parts || !lens) return -1;
    }
    for (int k = 0; k < n->n_in; k++) {
        split_at_axis(n->in[k]->value.shape, n->args.axis, &outer, &lens[k], &inner);
        parts[k] = n->in[k]->value.f;
    }
    ck_k_sum_parts(n->value.f, parts, lens, n->n_in, outer, inner, n->args.alpha, squared);
    return 0;
}

/* Each part's gradient (+)= alpha g broadcast over its rows (sum_concat),
 * or 2 x (alpha g) (sum_square_concat): the sum's, the square's and the
 * concat's backward in one pass over the parts' rows, those the tape left
 * unset (assigned) in one, the others (added) in another. With a folded
 * partner (fusion.c), the other kind over the same parts, whose gradient
 * backward has reached: its terms first, then n's (unless n's own gradient
 * was not reached), in the same pass. */
#define BACKWARD_ROWS_ON_STACK 32
static void parts_backward(float *const *gx, const float *const *x, const int64_t *strides, int64_t n_rows,
                           const ck_node *n, int squared, int64_t outer, int64_t inner, int accumulate)
{
    const ck_node *partner = n->fold_partner;
    if (!partner || partner->folded != CK_FOLD_REACHED) /* n alone */
        ck_k_sum_parts_backward(gx, x, strides, n_rows, n->grad, outer, inner, n->args.alpha, squared, accumulate);
    else if (n->folded == CK_FOLD_OWN_UNREACHED) /* the partner alone */
        ck_k_sum_parts_backward(gx, x, strides, n_rows, partner->grad, outer, inner, partner->args.alpha, !squared,
                                accumulate);
    else
        ck_k_sum_parts_backward_pair(gx, x, strides, n_rows, partner->grad, partner->args.alpha, !squared, n->grad,
                                     n->args.alpha, outer, inner, accumulate);
}

static void sum_parts_backward(ck_node *n, int squared)
{
    for (int accumulate = 0; accumulate < 2; accumulate++) {
        float *gx[BACKWARD_ROWS_ON_STACK];
        const float *x[BACKWARD_ROWS_ON_STACK];
        int64_t strides[BACKWARD_ROWS_ON_STACK], n_rows = 0, outer = 0, len = 0, inner = 0;
        for (int k = 0; k < n->n_in; k++) {
            ck_node *part = n->in[k];
            split_at_axis(part->value.shape, n->args.axis, &outer, &len, &inner);
            if (!part->grad || part->grad_unset == accumulate) continue; /* not in this pass */
            for (int64_t l = 0; l < len; l++) {
                if (n_rows == BACKWARD_ROWS_ON_STACK) { /* a long axis: the rows so far, then on */
                    parts_backward(gx, x, strides, n_rows, n, squared, outer, inner, accumulate);
                    n_rows = 0;
                }
                gx[n_rows] = part->grad + l * inner;
                x[n_rows] = part->value.f + l * inner;
                strides[n_rows] = len * inner;
                n_rows++;
            }
        }
        if (n_rows > 0) parts_backward(gx, x, strides, n_rows, n, squared, outer, inner, accumulate);
    }
}

int ck_sum_concat_forward(ck_tape *t, ck_node *n) { return sum_parts_forward(t, n, 0); }
void ck_sum_concat_backward(ck_node *n) { sum_parts_backward(n, 0); }
int ck_sum_square_concat_forward(ck_tape *t, ck_node *n) { return sum_parts_forward(t, n, 1); }
void ck_sum_square_concat_backward(ck_node *n) { sum_parts_backward(n, 1); }
