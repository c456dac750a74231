/* ops.c - every built-in op: shape rule, forward kernel, backward kernel and
 * constructor side by side, then the table ck_ops[] that lists them.
 *
 * Conventions: a shape rule checks the inputs and sets n->value's dtype and
 * shape, failing with "op: ..." and the shapes involved; forward writes
 * EVERY element of n->value (the tape skips zeroing the outputs of the
 * built-in ops: one pass less over memory per op); backward ACCUMULATES n->grad into each input whose grad
 * is not NULL (ids, constants and masks have none), except that an input
 * whose grad_unset the tape has set gets its gradient assigned: the tape then
 * skipped zeroing it (see assigns_grad in tape.c for the ops that do this). The loops themselves are
 * in tensor/kernels_*.c. */
#include "ck_autograd.h"
#include "ck_kernels.h"

#include <string.h>

#define SHAPE_BUF 64

/* ---- helpers shared by the shape rules ---- */

static int require_f32(const ck_node *n, int k)
{
    if (n->in[k]->value.dtype == CK_F32) return 0;
    return ck_fail("%s: input %d must be float32, got int32", n->op->name, k);
}

static int require_inputs(const ck_node *n, int count)
{
    if (n->n_in == count) return 0;
    return ck_fail("%s: expected %d inputs, got %d", n->op->name, count, n->n_in);
}

/* Map axis (negative counts from the end) into [0, ndim); -1 on error. */
static int normalise_axis(const ck_node *n, ck_shape s, int *axis)
{
    char buf[SHAPE_BUF];
    int a = *axis < 0 ? *axis + s.ndim : *axis;
    if (a < 0 || a >= s.ndim)
        return ck_fail("%s: axis %d out of range for shape %s", n->op->name, *axis,
                       ck_shape_str(s, buf, sizeof buf));
    *axis = a;
    return 0;
}

/* View a shape as (outer, len, inner) around `axis`. */
static void split_at_axis(ck_shape s, int axis, int64_t *outer, int64_t *len, int64_t *inner)
{
    *outer = 1;
    *inner = 1;
    for (int k = 0; k < axis; k++) *outer *= s.d[k];
    for (int k = axis + 1; k < s.ndim; k++) *inner *= s.d[k];
    *len = s.d[axis];
}

/* The shape with `axis` removed, or kept as 1. */
static ck_shape reduce_shape(ck_shape s, int axis, int keepdims)
{
    ck_shape r = s;
    if (keepdims) {
        r.d[axis] = 1;
        return r;
    }
    for (int k = axis; k < s.ndim - 1; k++) r.d[k] = s.d[k + 1];
    r.d[s.ndim - 1] = 0;
    r.ndim = s.ndim - 1;
    return r;
}

static ck_node *apply1(ck_tape *t, ck_op_id id, ck_node *x, const ck_op_args *args)
{
    ck_node *in[1] = {x};
    return ck_apply(t, &ck_ops[id], in, 1, args);
}

static ck_node *apply2(ck_tape *t, ck_op_id id, ck_node *a, ck_node *b, const ck_op_args *args)
{
    ck_node *in[2] = {a, b};
    return ck_apply(t, &ck_ops[id], in, 2, args);
}

/* ---- add, sub, mul: a (...) op b (...) -> broadcast shape (numpy rule) ---- */

static int binary_shape(ck_node *n)
{
    char sa[SHAPE_BUF], sb[SHAPE_BUF];
    if (require_inputs(n, 2) < 0 || require_f32(n, 0) < 0 || require_f32(n, 1) < 0) return -1;
    ck_shape a = n->in[0]->value.shape, b = n->in[1]->value.shape;
    if (ck_bcast_plan(a, b, &n->value.shape, NULL) < 0)
        return ck_fail("%s: shapes %s and %s do not broadcast", n->op->name,
                       ck_shape_str(a, sa, sizeof sa), ck_shape_str(b, sb, sizeof sb));
    n->value.dtype = CK_F32;
    return 0;
}

static void binary_forward(ck_binop op, ck_node *n)
{
    ck_bcast plan;
    ck_bcast_plan(n->in[0]->value.shape, n->in[1]->value.shape, NULL, &plan);
    ck_k_binary(op, &plan, n->in[0]->value.f, n->in[1]->value.f, n->value.f);
}

/* Input k's gradient holds nothing yet and has the output's size (the tape
 * only says so then): assign d(out)/d(input k) * g in one pass. */
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

/* Gradients are summed over the dims each input was stretched along. */
static void binary_backward(ck_binop op, ck_node *n)
{
    float *grad_a = n->in[0]->grad, *grad_b = n->in[1]->grad;
    if (n->in[0]->grad_unset) { binary_assign_grad(op, n, 0); grad_a = NULL; }
    if (n->in[1]->grad_unset) { binary_assign_grad(op, n, 1); grad_b = NULL; }
    if (!grad_a && !grad_b) return;
    ck_bcast plan;
    ck_bcast_plan(n->in[0]->value.shape, n->in[1]->value.shape, NULL, &plan);
    ck_k_binary_backward(op, &plan, n->in[0]->value.f, n->in[1]->value.f, n->grad, grad_a, grad_b);
}

static int add_forward(ck_tape *t, ck_node *n) { (void)t; binary_forward(CK_BIN_ADD, n); return 0; }
static void add_backward(ck_node *n) { binary_backward(CK_BIN_ADD, n); }
static int sub_forward(ck_tape *t, ck_node *n) { (void)t; binary_forward(CK_BIN_SUB, n); return 0; }
static void sub_backward(ck_node *n) { binary_backward(CK_BIN_SUB, n); }
static int mul_forward(ck_tape *t, ck_node *n) { (void)t; binary_forward(CK_BIN_MUL, n); return 0; }
static void mul_backward(ck_node *n) { binary_backward(CK_BIN_MUL, n); }

ck_node *ck_add(ck_tape *t, ck_node *a, ck_node *b) { return apply2(t, CK_OP_ADD, a, b, NULL); }
ck_node *ck_sub(ck_tape *t, ck_node *a, ck_node *b) { return apply2(t, CK_OP_SUB, a, b, NULL); }
ck_node *ck_mul(ck_tape *t, ck_node *a, ck_node *b) { return apply2(t, CK_OP_MUL, a, b, NULL); }

/* ---- scale: x (...) -> alpha * x (...) ---- */

static int same_shape_f32(ck_node *n)
{
    if (require_inputs(n, 1) < 0 || require_f32(n, 0) < 0) return -1;
    n->value.dtype = CK_F32;
    n->value.shape = n->in[0]->value.shape;
    return 0;
}

static int scale_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    ck_k_scale(n->value.f, n->in[0]->value.f, n->value.size, n->args.alpha);
    return 0;
}

static void scale_backward(ck_node *n)
{
    ck_node *x = n->in[0];
    if (x->grad_unset) ck_k_scale(x->grad, n->grad, n->value.size, n->args.alpha);
    else if (x->grad) ck_k_axpy(x->grad, n->grad, n->value.size, n->args.alpha);
}

ck_node *ck_scale(ck_tape *t, ck_node *x, float alpha)
{
    ck_op_args args = {0};
    args.alpha = alpha;
    return apply1(t, CK_OP_SCALE, x, &args);
}

/* ---- matmul: a (..., k) @ b (k, n) -> (..., n); leading dims of a are rows ---- */

static int matmul_shape(ck_node *n)
{
    char sa[SHAPE_BUF], sb[SHAPE_BUF];
    if (require_inputs(n, 2) < 0 || require_f32(n, 0) < 0 || require_f32(n, 1) < 0) return -1;
    ck_shape a = n->in[0]->value.shape, b = n->in[1]->value.shape;
    ck_shape_str(a, sa, sizeof sa);
    ck_shape_str(b, sb, sizeof sb);
    if (a.ndim < 1 || b.ndim != 2)
        return ck_fail("matmul: shapes %s and %s: expected (..., k) @ (k, n)", sa, sb);
    if (a.d[a.ndim - 1] != b.d[0])
        return ck_fail("matmul: shapes %s and %s: inner dims %d and %d differ", sa, sb,
                       a.d[a.ndim - 1], b.d[0]);
    n->value.dtype = CK_F32;
    n->value.shape = a;
    n->value.shape.d[a.ndim - 1] = b.d[1];
    return 0;
}

static int matmul_forward(ck_tape *t, ck_node *n)
{
    const ck_tensor *a = &n->in[0]->value, *b = &n->in[1]->value;
    int64_t k = b->shape.d[0], cols = b->shape.d[1];
    int64_t rows = k ? a->size / k : 0;
    ck_k_matmul(n->value.f, a->f, b->f, rows, k, cols);
    /* dA = dC b^T walks b^T row by row: keep a transposed copy for backward. */
    if (n->in[0]->grad && ck_tape_grad_enabled(t) && cols > 1) {
        float *bt = ck_tape_alloc(t, (size_t)(k * cols) * sizeof(float));
        if (!bt) return -1;
        ck_k_transpose(bt, b->f, k, cols);
        n->saved = bt;
    }
    return 0;
}

static void matmul_backward(ck_node *n)
{
    const ck_tensor *a = &n->in[0]->value, *b = &n->in[1]->value;
    int64_t k = b->shape.d[0], cols = b->shape.d[1];
    int64_t rows = k ? a->size / k : 0;
    if (n->in[0]->grad) {
        /* With one column, b (k, 1) already has the layout of b^T (1, k). */
        const float *bt = cols == 1 ? b->f : n->saved;
        if (bt) {
            ck_k_matmul_backward_a(n->in[0]->grad, n->grad, bt, rows, k, cols);
        } else { /* no saved transpose: slower dot products, same result */
            for (int64_t i = 0; i < rows; i++)
                for (int64_t p = 0; p < k; p++) {
                    float dot = 0.0f;
                    for (int64_t j = 0; j < cols; j++) dot += n->grad[i * cols + j] * b->f[p * cols + j];
                    n->in[0]->grad[i * k + p] += dot;
                }
        }
    }
    if (n->in[1]->grad) ck_k_matmul_backward_b(n->in[1]->grad, a->f, n->grad, rows, k, cols);
}

ck_node *ck_matmul(ck_tape *t, ck_node *a, ck_node *b) { return apply2(t, CK_OP_MATMUL, a, b, NULL); }

/* ---- sum, mean over one axis: x (..., L, ...) -> (..., ...) or (..., 1, ...) ---- */

static int reduce_axis_shape(ck_node *n)
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
}

static void reduce_axis_backward(ck_node *n, int is_mean)
{
    if (!n->in[0]->grad) return;
    int64_t outer, len, inner;
    split_at_axis(n->in[0]->value.shape, n->args.axis, &outer, &len, &inner);
    float scale = is_mean && len > 0 ? 1.0f / (float)len : 1.0f;
    if (n->in[0]->grad_unset) ck_k_sum_axis_backward_assign(n->in[0]->grad, n->grad, outer, len, inner, scale);
    else ck_k_sum_axis_backward(n->in[0]->grad, n->grad, outer, len, inner, scale);
}

static int sum_forward(ck_tape *t, ck_node *n) { (void)t; reduce_axis_forward(n, 0); return 0; }
static void sum_backward(ck_node *n) { reduce_axis_backward(n, 0); }
static int mean_forward(ck_tape *t, ck_node *n) { (void)t; reduce_axis_forward(n, 1); return 0; }
static void mean_backward(ck_node *n) { reduce_axis_backward(n, 1); }

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

/* ---- square: x (...) -> x^2 (...) ---- */

static int square_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    ck_k_square(n->value.f, n->in[0]->value.f, n->value.size);
    return 0;
}

static void square_backward(ck_node *n)
{
    ck_node *x = n->in[0];
    if (x->grad_unset) ck_k_square_backward_assign(x->grad, x->value.f, n->grad, n->value.size);
    else if (x->grad) ck_k_square_backward(x->grad, x->value.f, n->grad, n->value.size);
}

ck_node *ck_square(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_SQUARE, x, NULL); }

/* ---- reshape: x (...) -> args.shape (same size; one dim may be -1) ---- */

static int reshape_shape(ck_node *n)
{
    if (require_inputs(n, 1) < 0) return -1;
    ck_tensor view;
    if (ck_tensor_reshape(&n->in[0]->value, n->args.shape, &view) < 0) return -1;
    n->value.dtype = n->in[0]->value.dtype; /* ids may be reshaped too */
    n->value.shape = view.shape;
    return 0;
}

/* The tape makes a reshape a view (see ck_apply): n->value.data already is
 * the input's data, and n->grad its gradient unless the input is a
 * parameter. Copying stays as the fallback for any other caller. */
static int reshape_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    /* float and int32 elements are both 4 bytes */
    if (n->value.data != n->in[0]->value.data)
        memcpy(n->value.data, n->in[0]->value.data, (size_t)n->value.size * sizeof(float));
    return 0;
}

static void reshape_backward(ck_node *n)
{
    if (n->in[0]->grad && n->in[0]->grad != n->grad) ck_k_axpy(n->in[0]->grad, n->grad, n->value.size, 1.0f);
}

ck_node *ck_reshape(ck_tape *t, ck_node *x, ck_shape s)
{
    ck_op_args args = {0};
    args.shape = s;
    return apply1(t, CK_OP_RESHAPE, x, &args);
}

/* ---- concat: x_k (..., L_k, ...) -> (..., sum L_k, ...) along args.axis ---- */

static int concat_shape(ck_node *n)
{
    char s0[SHAPE_BUF], sk[SHAPE_BUF];
    if (n->n_in < 1) return ck_fail("concat: needs at least 1 input, got %d", n->n_in);
    for (int k = 0; k < n->n_in; k++)
        if (require_f32(n, k) < 0) return -1;
    ck_shape first = n->in[0]->value.shape;
    if (normalise_axis(n, first, &n->args.axis) < 0) return -1;
    int axis = n->args.axis;
    ck_shape out = first;
    for (int k = 1; k < n->n_in; k++) {
        ck_shape s = n->in[k]->value.shape;
        int agree = s.ndim == first.ndim;
        for (int d = 0; agree && d < s.ndim; d++)
            if (d != axis && s.d[d] != first.d[d]) agree = 0;
        if (!agree)
            return ck_fail("concat: input %d has shape %s but input 0 has %s: "
                           "all dims but axis %d must agree", k, ck_shape_str(s, sk, sizeof sk),
                           ck_shape_str(first, s0, sizeof s0), axis);
        out.d[axis] += s.d[axis];
    }
    n->value.dtype = CK_F32;
    n->value.shape = out;
    return 0;
}

/* Viewed as (outer, chunk): each input contributes one chunk per outer row. */
static int64_t concat_chunk(const ck_node *x, int axis)
{
    int64_t outer, len, inner;
    split_at_axis(x->value.shape, axis, &outer, &len, &inner);
    return len * inner;
}

/* Rows per block: each block of the output (a few KB) is filled from every
 * input, or read back into every input's gradient, while it sits in L1;
 * input by input over all rows would pass over the whole output once per
 * input, each pass touching every cache line it shares with the others. */
#define CONCAT_BLOCK_ROWS 64

static int concat_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    int64_t outer, len, inner;
    split_at_axis(n->value.shape, n->args.axis, &outer, &len, &inner);
    int64_t out_row = len * inner;
    for (int64_t row = 0; row < outer; row += CONCAT_BLOCK_ROWS) {
        int64_t rows = outer - row < CONCAT_BLOCK_ROWS ? outer - row : CONCAT_BLOCK_ROWS, offset = 0;
        for (int k = 0; k < n->n_in; k++) {
            int64_t chunk = concat_chunk(n->in[k], n->args.axis);
            ck_k_copy_rows(n->value.f + row * out_row + offset, out_row, n->in[k]->value.f + row * chunk,
                           chunk, rows, chunk);
            offset += chunk;
        }
    }
    return 0;
}

static void concat_backward(ck_node *n)
{
    int64_t outer, len, inner;
    split_at_axis(n->value.shape, n->args.axis, &outer, &len, &inner);
    int64_t out_row = len * inner;
    for (int64_t row = 0; row < outer; row += CONCAT_BLOCK_ROWS) {
        int64_t rows = outer - row < CONCAT_BLOCK_ROWS ? outer - row : CONCAT_BLOCK_ROWS, offset = 0;
        for (int k = 0; k < n->n_in; k++) {
            int64_t chunk = concat_chunk(n->in[k], n->args.axis);
            ck_node *x = n->in[k];
            const float *g = n->grad + row * out_row + offset;
            if (x->grad_unset) ck_k_copy_rows(x->grad + row * chunk, chunk, g, out_row, rows, chunk);
            else if (x->grad) ck_k_add_rows(x->grad + row * chunk, chunk, g, out_row, rows, chunk);
            offset += chunk;
        }
    }
}

ck_node *ck_concat(ck_tape *t, ck_node *const *xs, int n, int axis)
{
    ck_op_args args = {0};
    args.axis = axis;
    return ck_apply(t, &ck_ops[CK_OP_CONCAT], xs, n, &args);
}

/* ---- gather: table (V, D), ids (...) int32 -> (..., D) ---- */

static int gather_shape(ck_node *n)
{
    char st[SHAPE_BUF], si[SHAPE_BUF];
    if (require_inputs(n, 2) < 0 || require_f32(n, 0) < 0) return -1;
    ck_shape table = n->in[0]->value.shape, ids = n->in[1]->value.shape;
    if (n->in[1]->value.dtype != CK_I32)
        return ck_fail("gather: ids must be int32, got float32");
    if (table.ndim != 2)
        return ck_fail("gather: table must be 2-d (V, D), got %s", ck_shape_str(table, st, sizeof st));
    if (ids.ndim >= CK_MAX_DIMS)
        return ck_fail("gather: ids %s have too many dims: the output would have %d, max %d",
                       ck_shape_str(ids, si, sizeof si), ids.ndim + 1, CK_MAX_DIMS);
    n->value.dtype = CK_F32;
    n->value.shape = ids;
    n->value.shape.d[ids.ndim] = table.d[1];
    n->value.shape.ndim = ids.ndim + 1;
    return 0;
}

static int gather_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    const ck_tensor *table = &n->in[0]->value, *ids = &n->in[1]->value;
    int64_t vocab = table->shape.d[0], dim = table->shape.d[1];
    for (int64_t pos = 0; pos < ids->size; pos++) {
        int32_t id = ids->i[pos];
        if (id < 0 || id >= vocab)
            return ck_fail("gather: id %d out of range [0, %lld) at position %lld", (int)id,
                           (long long)vocab, (long long)pos);
    }
    ck_k_gather_rows(n->value.f, table->f, ids->i, ids->size, dim);
    return 0;
}

/* Scatter-add: an id used several times collects every row's gradient. */
static void gather_backward(ck_node *n)
{
    float *grad_table = n->in[0]->grad;
    if (!grad_table) return;
    const ck_tensor *ids = &n->in[1]->value;
    ck_k_scatter_add_rows(grad_table, n->grad, ids->i, ids->size, n->in[0]->value.shape.d[1]);
}

ck_node *ck_gather(ck_tape *t, ck_node *table, ck_node *ids)
{
    return apply2(t, CK_OP_GATHER, table, ids, NULL);
}

/* ---- mask_nonzero: ids (...) -> (...) float, 1 where id != 0; no gradient ---- */

static int mask_nonzero_shape(ck_node *n)
{
    if (require_inputs(n, 1) < 0) return -1;
    n->value.dtype = CK_F32;
    n->value.shape = n->in[0]->value.shape;
    return 0;
}

static int mask_nonzero_forward(ck_tape *t, ck_node *n)
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
 * out[o, i] = sum_l mask[o, l] x[o, l, i] / count[o], count[o] = sum_l mask[o, l]
 * (0 when count is 0). */

static int masked_mean_shape(ck_node *n)
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
        return ck_fail("masked_mean: mask shape %s does not match x %s up to axis %d: expected %s",
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

static int masked_mean_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    int64_t outer, len, inner;
    split_at_axis(n->in[0]->value.shape, n->args.axis, &outer, &len, &inner);
    const float *x = n->in[0]->value.f, *mask = n->in[1]->value.f;
    for (int64_t o = 0; o < outer; o++) {
        float count = mask_count(mask + o * len, len);
        float *restrict out_row = n->value.f + o * inner;
        for (int64_t i = 0; i < inner; i++) out_row[i] = 0.0f;
        if (count == 0.0f) continue; /* all padding: the output stays 0 */
        /* rows are short (inner is k, or 1 for the 1st-order genre term): loops
         * written here, not kernel calls, so no call per row */
        for (int64_t l = 0; l < len; l++) {
            float weight = mask[o * len + l] / count;
            if (weight == 0.0f) continue;
            const float *restrict x_row = x + (o * len + l) * inner;
            for (int64_t i = 0; i < inner; i++) out_row[i] += weight * x_row[i];
        }
    }
    return 0;
}

static void masked_mean_backward(ck_node *n)
{
    int64_t outer, len, inner;
    split_at_axis(n->in[0]->value.shape, n->args.axis, &outer, &len, &inner);
    const float *x = n->in[0]->value.f, *mask = n->in[1]->value.f;
    float *grad_x = n->in[0]->grad, *grad_mask = n->in[1]->grad;
    for (int64_t o = 0; o < outer; o++) {
        float count = mask_count(mask + o * len, len);
        if (count == 0.0f) continue;
        const float *g_row = n->grad + o * inner, *out_row = n->value.f + o * inner;
        for (int64_t l = 0; l < len; l++) {
            const float *x_row = x + (o * len + l) * inner;
            if (grad_x) {
                float weight = mask[o * len + l] / count;
                float *restrict gx_row = grad_x + (o * len + l) * inner;
                for (int64_t i = 0; i < inner; i++) gx_row[i] += weight * g_row[i];
            }
            if (grad_mask) { /* d out / d mask[o, l] = (x[o, l, :] - out[o, :]) / count */
                float dot = 0.0f;
                for (int64_t i = 0; i < inner; i++) dot += g_row[i] * (x_row[i] - out_row[i]);
                grad_mask[o * len + l] += dot / count;
            }
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

/* ---- relu, sigmoid, tanh: x (...) -> (...); backward uses the output y ---- */

static int relu_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    ck_k_relu(n->value.f, n->in[0]->value.f, n->value.size);
    return 0;
}

static void relu_backward(ck_node *n)
{
    if (n->in[0]->grad) ck_k_relu_backward(n->in[0]->grad, n->value.f, n->grad, n->value.size);
}

ck_node *ck_relu(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_RELU, x, NULL); }

static int sigmoid_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    ck_k_sigmoid(n->value.f, n->in[0]->value.f, n->value.size);
    return 0;
}

static void sigmoid_backward(ck_node *n)
{
    if (n->in[0]->grad) ck_k_sigmoid_backward(n->in[0]->grad, n->value.f, n->grad, n->value.size);
}

ck_node *ck_sigmoid(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_SIGMOID, x, NULL); }

static int tanh_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    ck_k_tanh(n->value.f, n->in[0]->value.f, n->value.size);
    return 0;
}

static void tanh_backward(ck_node *n)
{
    if (n->in[0]->grad) ck_k_tanh_backward(n->in[0]->grad, n->value.f, n->grad, n->value.size);
}

ck_node *ck_tanh(ck_tape *t, ck_node *x) { return apply1(t, CK_OP_TANH, x, NULL); }

/* ---- mse: pred (...), target (same) -> () mean of (pred - target)^2 ---- */

static int mse_shape(ck_node *n)
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

static int mse_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    const float *pred = n->in[0]->value.f, *target = n->in[1]->value.f;
    int64_t size = n->in[0]->value.size;
    double total = 0.0; /* long sums in double: the loss is reported to users */
    for (int64_t k = 0; k < size; k++) {
        double diff = (double)pred[k] - (double)target[k];
        total += diff * diff;
    }
    n->value.f[0] = size > 0 ? (float)(total / (double)size) : 0.0f;
    return 0;
}

static void mse_backward(ck_node *n)
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

/* ---- the table: one row per op, in ck_op_id order ---- */

const ck_op ck_ops[CK_OP_COUNT] = {
    [CK_OP_ADD]          = {"add", binary_shape, add_forward, add_backward},
    [CK_OP_SUB]          = {"sub", binary_shape, sub_forward, sub_backward},
    [CK_OP_MUL]          = {"mul", binary_shape, mul_forward, mul_backward},
    [CK_OP_SCALE]        = {"scale", same_shape_f32, scale_forward, scale_backward},
    [CK_OP_MATMUL]       = {"matmul", matmul_shape, matmul_forward, matmul_backward},
    [CK_OP_SUM]          = {"sum", reduce_axis_shape, sum_forward, sum_backward},
    [CK_OP_MEAN]         = {"mean", reduce_axis_shape, mean_forward, mean_backward},
    [CK_OP_SQUARE]       = {"square", same_shape_f32, square_forward, square_backward},
    [CK_OP_RESHAPE]      = {"reshape", reshape_shape, reshape_forward, reshape_backward},
    [CK_OP_CONCAT]       = {"concat", concat_shape, concat_forward, concat_backward},
    [CK_OP_GATHER]       = {"gather", gather_shape, gather_forward, gather_backward},
    [CK_OP_MASK_NONZERO] = {"mask_nonzero", mask_nonzero_shape, mask_nonzero_forward, NULL},
    [CK_OP_MASKED_MEAN]  = {"masked_mean", masked_mean_shape, masked_mean_forward, masked_mean_backward},
    [CK_OP_RELU]         = {"relu", same_shape_f32, relu_forward, relu_backward},
    [CK_OP_SIGMOID]      = {"sigmoid", same_shape_f32, sigmoid_forward, sigmoid_backward},
    [CK_OP_TANH]         = {"tanh", same_shape_f32, tanh_forward, tanh_backward},
    [CK_OP_MSE]          = {"mse", mse_shape, mse_forward, mse_backward},
};
