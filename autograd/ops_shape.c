/* ops_shape.c - reshape, concat, gather: ops that move values without
 * arithmetic. Shape rule, forward, backward and constructor side by side
 * (see ops_internal.h for the conventions, op_table.c for the rows). */
#include "ck_kernels.h"
#include "ops_internal.h"

#include <string.h>

/* ---- reshape: x (...) -> args.shape (same size; one dim may be -1) ---- */

int ck_reshape_shape(ck_node *n)
{
    if (require_inputs(n, 1) < 0) return -1;
    ck_tensor view;
    if (ck_tensor_reshape(&n->in[0]->value, n->args.shape, &view) < 0) return -1;
    n->value.dtype = n->in[0]->value.dtype; /* ids may be reshaped too */
    n->value.shape = view.shape;
    return 0;
}

/* The row is flagged CK_OP_VIEW, so the tape has already made n->value a
 * view of the input's data. A copy of the row without the flag gets a
 * buffer of its own, filled here. */
int ck_reshape_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    _Static_assert(sizeof(float) == sizeof(int32_t), "float and int32 elements are copied alike");
    if (n->value.data != n->in[0]->value.data)
        memcpy(n->value.data, n->in[0]->value.data, (size_t)n->value.size * sizeof(float));
    return 0;
}

/* n->grad is d loss / d (the reshaped value): the same numbers in the same
 * order as d loss / d x, so they go into x's gradient as they are. */
void ck_reshape_backward(ck_node *n)
{
    ck_node *x = n->in[0];
    if (x->grad_unset)
        memcpy(x->grad, n->grad, (size_t)n->value.size * sizeof(float));
    else if (x->grad)
        ck_k_axpy(x->grad, n->grad, n->value.size, 1.0f);
}

ck_node *ck_reshape(ck_tape *t, ck_node *x, ck_shape s)
{
    ck_op_args args = {0};
    args.shape = s;
    return apply1(t, CK_OP_RESHAPE, x, &args);
}

/* ---- concat: x_k (..., L_k, ...) -> (..., sum L_k, ...) along args.axis ---- */

int ck_concat_shape(ck_node *n)
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
                           "all dims but axis %d must agree",
                           k, ck_shape_str(s, sk, sizeof sk), ck_shape_str(first, s0, sizeof s0), axis);
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

int ck_concat_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    int64_t outer, len, inner;
    split_at_axis(n->value.shape, n->args.axis, &outer, &len, &inner);
    int64_t out_row = len * inner;
    for (int64_t row = 0; row < outer; row += CONCAT_BLOCK_ROWS) {
        int64_t rows = outer - row < CONCAT_BLOCK_ROWS ? outer - row : CONCAT_BLOCK_ROWS, offset = 0;
        for (int k = 0; k < n->n_in; k++) {
            int64_t chunk = concat_chunk(n->in[k], n->args.axis);
            ck_k_copy_rows(n->value.f + row * out_row + offset, out_row, n->in[k]->value.f + row * chunk, chunk, rows,
                           chunk);
            offset += chunk;
        }
    }
    return 0;
}

/* Each input's gradient is its own slice of n->grad: copied whole when the
 * tape says it holds nothing yet, added otherwise. */
void ck_concat_backward(ck_node *n)
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
            if (x->grad_unset)
                ck_k_copy_rows(x->grad + row * chunk, chunk, g, out_row, rows, chunk);
            else if (x->grad)
                ck_k_add_rows(x->grad + row * chunk, chunk, g, out_row, rows, chunk);
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

int ck_gather_shape(ck_node *n)
{
    char st[SHAPE_BUF], si[SHAPE_BUF];
    if (require_inputs(n, 2) < 0 || require_f32(n, 0) < 0) return -1;
    ck_shape table = n->in[0]->value.shape, ids = n->in[1]->value.shape;
    if (n->in[1]->value.dtype != CK_I32) return ck_fail("gather: ids must be int32, got float32");
    if (table.ndim != 2) return ck_fail("gather: table must be 2-d (V, D), got %s", ck_shape_str(table, st, sizeof st));
    if (ids.ndim >= CK_MAX_DIMS)
        return ck_fail("gather: ids %s have too many dims: the output would have %d, max %d",
                       ck_shape_str(ids, si, sizeof si), ids.ndim + 1, CK_MAX_DIMS);
    n->value.dtype = CK_F32;
    n->value.shape = ids;
    n->value.shape.d[ids.ndim] = table.d[1];
    n->value.shape.ndim = ids.ndim + 1;
    return 0;
}

int ck_gather_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    const ck_tensor *table = &n->in[0]->value, *ids = &n->in[1]->value;
    int64_t vocab = table->shape.d[0], dim = table->shape.d[1];
    int64_t bad = ck_k_find_id_outside(ids->i, ids->size, vocab);
    if (bad >= 0)
        return ck_fail("gather: id %d out of range [0, %lld) at position %lld", (int)ids->i[bad], (long long)vocab,
                       (long long)bad);
    ck_k_gather_rows(n->value.f, table->f, ids->i, ids->size, dim);
    return 0;
}

/* Scatter-add: an id used several times collects every row's gradient, and
 * rows no id names get nothing (so no CK_OP_ASSIGNS_GRAD). */
void ck_gather_backward(ck_node *n)
{
    float *grad_table = n->in[0]->grad;
    if (!grad_table) return;
    const ck_tensor *ids = &n->in[1]->value;
    ck_k_scatter_add_rows(grad_table, n->grad, ids->i, ids->size, n->in[0]->value.shape.d[1]);
}

ck_node *ck_gather(ck_tape *t, ck_node *table, ck_node *ids) { return apply2(t, CK_OP_GATHER, table, ids, NULL); }

/* ---- sum_gather: table (V, D), ids (..., L) int32 -> (..., D), or (..., 1, D)
 * with keepdims ----
 * alpha * the sum over the ids' last axis of gather(table, ids): an embedding
 * bag, what the tape's fusion makes of a sum or mean over a deferred gather.
 * The rows are added in the order the sum of the gathered rows adds them,
 * and the backward scatters alpha g in the order gather's would: the same
 * floats, without the (..., L, D) rows or their gradient. */

int ck_sum_gather_shape(ck_node *n)
{
    char si[SHAPE_BUF];
    if (require_inputs(n, 2) < 0 || ck_gather_shape(n) < 0) return -1; /* the gathered rows' shape, checked */
    ck_shape gathered = n->value.shape;
    int last_id = gathered.ndim - 2; /* the ids' last axis */
    if (last_id < 0 || gathered.d[last_id] < 1)
        return ck_fail("sum_gather: ids %s must have an axis to sum, not empty",
                       ck_shape_str(n->in[1]->value.shape, si, sizeof si));
    n->args.axis = last_id;
    n->value.shape = reduce_shape(gathered, last_id, n->args.keepdims);
    return 0;
}

int ck_sum_gather_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    const ck_tensor *table = &n->in[0]->value, *ids = &n->in[1]->value;
    int64_t vocab = table->shape.d[0], dim = table->shape.d[1], len = ids->shape.d[ids->shape.ndim - 1];
    int64_t bad = ck_k_find_id_outside(ids->i, ids->size, vocab);
    if (bad >= 0) /* the gather's message: its ids are the user's */
        return ck_fail("gather: id %d out of range [0, %lld) at position %lld", (int)ids->i[bad], (long long)vocab,
                       (long long)bad);
    ck_k_sum_gathered(n->value.f, table->f, ids->i, ids->size / len, len, dim, n->args.alpha);
    return 0;
}

void ck_sum_gather_backward(ck_node *n)
{
    float *grad_table = n->in[0]->grad;
    if (!grad_table) return;
    const ck_tensor *ids = &n->in[1]->value;
    int64_t len = ids->shape.d[ids->shape.ndim - 1];
    ck_k_scatter_add_bag(grad_table, n->grad, ids->i, ids->size / len, len, n->in[0]->value.shape.d[1], n->args.alpha);
}

ck_node *ck_sum_gather(ck_tape *t, ck_node *table, ck_node *ids, int keepdims, float scale)
{
    ck_op_args args = {.keepdims = keepdims, .alpha = scale};
    return apply2(t, CK_OP_SUM_GATHER, table, ids, &args);
}

/* ---- permute: x (d_0, ..., d_k) -> (d_perm[0], ..., d_perm[k]); args.shape holds perm ---- */

int ck_permute_shape(ck_node *n)
{
    char s[SHAPE_BUF];
    if (require_inputs(n, 1) < 0) return -1;
    ck_shape x = n->in[0]->value.shape, perm = n->args.shape, out = x;
    int seen[CK_MAX_DIMS] = {0};
    if (perm.ndim != x.ndim) return ck_fail("permute: %d axes given for x %s", perm.ndim, ck_shape_str(x, s, sizeof s));
    for (int i = 0; i < perm.ndim; i++) {
        int p = perm.d[i];
        if (p < 0 || p >= x.ndim || seen[p]++)
            return ck_fail("permute: axes %s are not a permutation of 0..%d", ck_shape_str(perm, s, sizeof s),
                           x.ndim - 1);
        out.d[i] = x.d[p];
    }
    n->value.dtype = n->in[0]->value.dtype;
    n->value.shape = out;
    return 0;
}

/* For output dims (padded to CK_MAX_DIMS from the left with 1s), the stride
 * in x of each: walking the output in order reads x at the sum. */
static void permute_strides(const ck_node *n, int64_t dims[CK_MAX_DIMS], int64_t strides[CK_MAX_DIMS])
{
    ck_shape x = n->in[0]->value.shape, perm = n->args.shape;
    int64_t x_stride[CK_MAX_DIMS], step = 1;
    for (int d = x.ndim - 1; d >= 0; d--) {
        x_stride[d] = step;
        step *= x.d[d];
    }
    int pad = CK_MAX_DIMS - x.ndim;
    for (int i = 0; i < CK_MAX_DIMS; i++) {
        dims[i] = i < pad ? 1 : x.d[perm.d[i - pad]];
        strides[i] = i < pad ? 0 : x_stride[perm.d[i - pad]];
    }
}

_Static_assert(CK_MAX_DIMS == 4, "permute walks 4 nested dims");

int ck_permute_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    int64_t d[CK_MAX_DIMS], st[CK_MAX_DIMS], k = 0;
    permute_strides(n, d, st);
    const int32_t *x = n->in[0]->value.i; /* float and int32 elements are moved alike */
    int32_t *y = n->value.i;
    for (int64_t a = 0; a < d[0]; a++)
        for (int64_t b = 0; b < d[1]; b++)
            for (int64_t c = 0; c < d[2]; c++)
                for (int64_t e = 0; e < d[3]; e++) y[k++] = x[a * st[0] + b * st[1] + c * st[2] + e * st[3]];
    return 0;
}

/* Every element of x receives exactly one element of n->grad. */
void ck_permute_backward(ck_node *n)
{
    ck_node *x = n->in[0];
    if (!x->grad) return;
    int64_t d[CK_MAX_DIMS], st[CK_MAX_DIMS], k = 0;
    permute_strides(n, d, st);
    for (int64_t a = 0; a < d[0]; a++)
        for (int64_t b = 0; b < d[1]; b++)
            for (int64_t c = 0; c < d[2]; c++)
                for (int64_t e = 0; e < d[3]; e++) {
                    float *gx = x->grad + a * st[0] + b * st[1] + c * st[2] + e * st[3];
                    *gx = x->grad_unset ? n->grad[k] : *gx + n->grad[k];
                    k++;
                }
}

ck_node *ck_permute(ck_tape *t, ck_node *x, const int *perm, int ndim)
{
    ck_op_args args = {0};
    if (!perm || ndim < 0 || ndim > CK_MAX_DIMS) {
        ck_fail("permute: bad axes (%d of them)", ndim);
        return NULL;
    }
    args.shape.ndim = ndim;
    for (int i = 0; i < ndim; i++) args.shape.d[i] = perm[i];
    return apply1(t, CK_OP_PERMUTE, x, &args);
}

/* ---- repeat: x (O, I) viewed around args.axis -> (O, n, I); args.shape is the output shape ---- */

int ck_repeat_shape(ck_node *n)
{
    char sx[SHAPE_BUF], so[SHAPE_BUF];
    if (require_inputs(n, 1) < 0) return -1;
    ck_shape x = n->in[0]->value.shape, out = n->args.shape;
    int axis = n->args.axis, agree = out.ndim == x.ndim + 1 && axis >= 0 && axis <= x.ndim && out.d[axis] >= 0;
    for (int d = 0; agree && d < x.ndim; d++) agree = out.d[d < axis ? d : d + 1] == x.d[d];
    if (!agree)
        return ck_fail("repeat: output shape %s is not x %s with a new axis %d", ck_shape_str(out, so, sizeof so),
                       ck_shape_str(x, sx, sizeof sx), axis);
    n->value.dtype = n->in[0]->value.dtype;
    n->value.shape = out;
    return 0;
}

static void repeat_view(const ck_node *n, int64_t *outer, int64_t *copies, int64_t *inner)
{
    split_at_axis(n->value.shape, n->args.axis, outer, copies, inner);
}

int ck_repeat_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    int64_t outer, copies, inner;
    repeat_view(n, &outer, &copies, &inner);
    const int32_t *x = n->in[0]->value.i; /* float and int32 elements are copied alike */
    for (int64_t o = 0; o < outer; o++)
        for (int64_t r = 0; r < copies; r++)
            memcpy(n->value.i + (o * copies + r) * inner, x + o * inner, (size_t)inner * sizeof(int32_t));
    return 0;
}

/* x's gradient is the sum of its copies' gradients. */
void ck_repeat_backward(ck_node *n)
{
    ck_node *x = n->in[0];
    if (!x->grad) return;
    int64_t outer, copies, inner;
    repeat_view(n, &outer, &copies, &inner);
    if (x->grad_unset) memset(x->grad, 0, (size_t)x->value.size * sizeof(float));
    for (int64_t o = 0; o < outer; o++)
        for (int64_t r = 0; r < copies; r++)
            ck_k_axpy(x->grad + o * inner, n->grad + (o * copies + r) * inner, inner, 1.0f);
}

ck_node *ck_repeat(ck_tape *t, ck_node *x, int axis, int n)
{
    if (!x) {
        ck_fail("repeat: input is NULL"); /* keeps an earlier failure's message */
        return NULL;
    }
    ck_shape s = x->value.shape;
    if (axis < 0) axis += s.ndim + 1;
    if (axis < 0 || axis > s.ndim || s.ndim + 1 > CK_MAX_DIMS || n < 0) {
        ck_fail("repeat: cannot insert an axis of %d copies at %d into %d dims", n, axis, s.ndim);
        return NULL;
    }
    ck_op_args args = {0};
    args.axis = axis;
    args.shape.ndim = s.ndim + 1;
    for (int d = 0; d < s.ndim + 1; d++) args.shape.d[d] = d < axis ? s.d[d] : d == axis ? n : s.d[d - 1];
    return apply1(t, CK_OP_REPEAT, x, &args);
}
