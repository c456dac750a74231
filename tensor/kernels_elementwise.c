/* kernels_elementwise.c - broadcasting add, sub, mul, div, max, min and the simple
 * elementwise loops, forward and backward (see ck_kernels.h). Each loop walks
 * memory with unit stride through restrict pointers so gcc -O2 can
 * vectorise it. */
#include "kernels_internal.h"

#include <math.h>

/* ---- broadcasting ---- */

int ck_bcast_plan(ck_shape a, ck_shape b, ck_shape *out, ck_bcast *plan)
{
    if (a.ndim < 0 || a.ndim > CK_MAX_DIMS || b.ndim < 0 || b.ndim > CK_MAX_DIMS) return -1;
    int ndim = a.ndim > b.ndim ? a.ndim : b.ndim;

    /* Align from the right: pad both to ndim dims with leading 1s. */
    int da[CK_MAX_DIMS], db[CK_MAX_DIMS], dout[CK_MAX_DIMS];
    for (int k = 0; k < ndim; k++) {
        int ka = k - (ndim - a.ndim), kb = k - (ndim - b.ndim);
        da[k] = ka >= 0 ? a.d[ka] : 1;
        db[k] = kb >= 0 ? b.d[kb] : 1;
        if (da[k] != db[k] && da[k] != 1 && db[k] != 1) return -1;
        dout[k] = da[k] == 1 ? db[k] : da[k];
    }
    if (out) *out = ck_shape_make(ndim, dout);
    if (!plan) return 0;

    /* Contiguous strides of each input, 0 where the input is stretched. */
    int64_t sa[CK_MAX_DIMS], sb[CK_MAX_DIMS];
    int64_t step_a = 1, step_b = 1;
    for (int k = ndim - 1; k >= 0; k--) {
        sa[k] = (da[k] == 1) ? 0 : step_a;
        sb[k] = (db[k] == 1) ? 0 : step_b;
        step_a *= da[k];
        step_b *= db[k];
    }

    /* Drop output dims of size 1, then merge dim k into its left neighbour
     * when both inputs step through them as one longer dim. */
    int64_t md[CK_MAX_DIMS], msa[CK_MAX_DIMS], msb[CK_MAX_DIMS];
    int m = 0;
    for (int k = 0; k < ndim; k++) {
        if (dout[k] == 1) continue;
        if (m > 0 && msa[m - 1] == sa[k] * dout[k] && msb[m - 1] == sb[k] * dout[k]) {
            md[m - 1] *= dout[k];
            msa[m - 1] = sa[k];
            msb[m - 1] = sb[k];
            continue;
        }
        md[m] = dout[k];
        msa[m] = sa[k];
        msb[m] = sb[k];
        m++;
    }

    /* Right-align into 4 dims. */
    int pad = CK_MAX_DIMS - m;
    for (int k = 0; k < CK_MAX_DIMS; k++) {
        int src = k - pad;
        plan->d[k] = src >= 0 ? md[src] : 1;
        plan->stride_a[k] = src >= 0 ? msa[src] : 0;
        plan->stride_b[k] = src >= 0 ? msb[src] : 0;
    }
    return 0;
}

/* div, max, min: one plain loop each, inputs read with their row stride
 * (0 where stretched). */
CK_ROW_INLINE void binary_row_strided(ck_binop op, int64_t n, const float *restrict a, int64_t sa,
                                      const float *restrict b, int64_t sb, float *restrict out)
{
    switch (op) {
    case CK_BIN_DIV:
        for (int64_t j = 0; j < n; j++) out[j] = a[j * sa] / b[j * sb];
        break;
    case CK_BIN_MAX:
        for (int64_t j = 0; j < n; j++) out[j] = a[j * sa] >= b[j * sb] ? a[j * sa] : b[j * sb];
        break;
    case CK_BIN_MIN:
        for (int64_t j = 0; j < n; j++) out[j] = a[j * sa] <= b[j * sb] ? a[j * sa] : b[j * sb];
        break;
    default: break; /* add, sub, mul: binary_row */
    }
}

/* One output row of n elements; an input with row stride 0 is one value. */
CK_ROW_INLINE void binary_row(ck_binop op, int64_t n, const float *restrict a, int64_t sa, const float *restrict b,
                              int64_t sb, float *restrict out)
{
    if (op >= CK_BIN_DIV) {
        binary_row_strided(op, n, a, sa, b, sb, out);
        return;
    }
    if (sa && sb) {
        switch (op) {
#define ADD_STEP(j) out[j] = a[j] + b[j]
#define SUB_STEP(j) out[j] = a[j] - b[j]
#define MUL_STEP(j) out[j] = a[j] * b[j]
        case CK_BIN_ADD: FOR_ROW(n, ADD_STEP); break;
        case CK_BIN_SUB: FOR_ROW(n, SUB_STEP); break;
        case CK_BIN_MUL: FOR_ROW(n, MUL_STEP); break;
        default: break; /* not reached: binary_row_strided */
#undef ADD_STEP
#undef SUB_STEP
#undef MUL_STEP
        }
    } else if (sa) {
        const float s = b[0];
        switch (op) {
        case CK_BIN_ADD:
            for (int64_t j = 0; j < n; j++) out[j] = a[j] + s;
            break;
        case CK_BIN_SUB:
            for (int64_t j = 0; j < n; j++) out[j] = a[j] - s;
            break;
        case CK_BIN_MUL:
            for (int64_t j = 0; j < n; j++) out[j] = a[j] * s;
            break;
        default: break; /* not reached: binary_row_strided */
        }
    } else if (sb) {
        const float s = a[0];
        switch (op) {
        case CK_BIN_ADD:
            for (int64_t j = 0; j < n; j++) out[j] = s + b[j];
            break;
        case CK_BIN_SUB:
            for (int64_t j = 0; j < n; j++) out[j] = s - b[j];
            break;
        case CK_BIN_MUL:
            for (int64_t j = 0; j < n; j++) out[j] = s * b[j];
            break;
        default: break; /* not reached: binary_row_strided */
        }
    } else {
        float v = op == CK_BIN_ADD ? a[0] + b[0] : op == CK_BIN_SUB ? a[0] - b[0] : a[0] * b[0];
        for (int64_t j = 0; j < n; j++) out[j] = v;
    }
}

CK_VECTOR_CLONES
void ck_k_binary(ck_binop op, const ck_bcast *p, const float *a, const float *b, float *out)
{
    const int64_t n = p->d[3];
    for (int64_t i0 = 0; i0 < p->d[0]; i0++)
        for (int64_t i1 = 0; i1 < p->d[1]; i1++)
            for (int64_t i2 = 0; i2 < p->d[2]; i2++) {
                const float *ar = a + i0 * p->stride_a[0] + i1 * p->stride_a[1] + i2 * p->stride_a[2];
                const float *br = b + i0 * p->stride_b[0] + i1 * p->stride_b[1] + i2 * p->stride_b[2];
                binary_row(op, n, ar, p->stride_a[3], br, p->stride_b[3], out);
                out += n;
            }
}

/* target += g * factor over one row, where target and factor each either
 * walk the row (stride 1) or stay on one element (stride 0: summed). A
 * summed element adds the row's terms to itself one by one, in order, like
 * every other gradient sum here (a weight gradient through matmul, an
 * embedding row's scatter-add): a batch run in row tiles then makes the
 * same sums as the whole batch. */
CK_ROW_INLINE void accumulate_row(float *restrict target, int64_t st, const float *restrict g, int64_t n,
                                  const float *restrict factor, int64_t sf)
{
    if (st && sf) {
        row_mul_add(target, g, factor, n);
    } else if (st) {
        const float f = factor[0];
        if (f == 1.0f)
            row_add(target, g, n); /* add, sub: g * 1 is g */
        else
            for (int64_t j = 0; j < n; j++) target[j] += g[j] * f;
    } else if (sf) {
        float dot = target[0];
        for (int64_t j = 0; j < n; j++) dot += g[j] * factor[j];
        target[0] = dot;
    } else {
        const float f = factor[0];
        float total = target[0];
        if (f == 1.0f)
            for (int64_t j = 0; j < n; j++) total += g[j]; /* add: g * 1 is g */
        else
            for (int64_t j = 0; j < n; j++) total += g[j] * f;
        target[0] = total;
    }
}

/* div, max, min: grad_a and grad_b (+)= their partials times g over one row,
 * each walked with its row stride (0: all of the row lands on one element).
 * One input at a time, so the two may share a buffer (op(x, x)). */
CK_ROW_INLINE void binary_backward_row_strided(ck_binop op, int64_t n, const float *restrict a, int64_t sa,
                                               const float *restrict b, int64_t sb, const float *restrict g,
                                               float *grad_a, float *grad_b)
{
    switch (op) {
    case CK_BIN_DIV: /* d(a / b)/da = 1 / b, d(a / b)/db = -a / b^2 */
        if (grad_a)
            for (int64_t j = 0; j < n; j++) grad_a[j * sa] += g[j] / b[j * sb];
        if (grad_b)
            for (int64_t j = 0; j < n; j++) grad_b[j * sb] -= g[j] * a[j * sa] / (b[j * sb] * b[j * sb]);
        break;
    case CK_BIN_MAX: /* g to a where a >= b, else to b */
        if (grad_a)
            for (int64_t j = 0; j < n; j++) grad_a[j * sa] += a[j * sa] >= b[j * sb] ? g[j] : 0.0f;
        if (grad_b)
            for (int64_t j = 0; j < n; j++) grad_b[j * sb] += a[j * sa] >= b[j * sb] ? 0.0f : g[j];
        break;
    case CK_BIN_MIN: /* g to a where a <= b, else to b */
        if (grad_a)
            for (int64_t j = 0; j < n; j++) grad_a[j * sa] += a[j * sa] <= b[j * sb] ? g[j] : 0.0f;
        if (grad_b)
            for (int64_t j = 0; j < n; j++) grad_b[j * sb] += a[j * sa] <= b[j * sb] ? 0.0f : g[j];
        break;
    default: break; /* add, sub, mul: accumulate_row */
    }
}

CK_VECTOR_CLONES
void ck_k_binary_backward(ck_binop op, const ck_bcast *p, const float *a, const float *b, const float *g, float *grad_a,
                          float *grad_b)
{
    static const float plus_one = 1.0f, minus_one = -1.0f;
    const int64_t n = p->d[3];
    if (grad_b && (op == CK_BIN_ADD || op == CK_BIN_SUB) && !p->stride_b[0] && !p->stride_b[1] && !p->stride_b[2] &&
        p->stride_b[3] == 1 && n > 1) { /* b one row under every row of a: a bias */
        add_column_sums(grad_b, g, n, p->d[0] * p->d[1] * p->d[2], n, op == CK_BIN_SUB ? &minus_one : NULL, 0);
        if (!grad_a) return;
        grad_b = NULL;
    }
    for (int64_t i0 = 0; i0 < p->d[0]; i0++)
        for (int64_t i1 = 0; i1 < p->d[1]; i1++)
            for (int64_t i2 = 0; i2 < p->d[2]; i2++) {
                int64_t oa = i0 * p->stride_a[0] + i1 * p->stride_a[1] + i2 * p->stride_a[2];
                int64_t ob = i0 * p->stride_b[0] + i1 * p->stride_b[1] + i2 * p->stride_b[2];
                int64_t sa = p->stride_a[3], sb = p->stride_b[3];
                if (op >= CK_BIN_DIV) {
                    binary_backward_row_strided(op, n, a + oa, sa, b + ob, sb, g, grad_a ? grad_a + oa : NULL,
                                                grad_b ? grad_b + ob : NULL);
                    g += n;
                    continue;
                }
                /* d(a+b)/da = 1, d(a-b)/da = 1, d(a*b)/da = b; and for b: 1, -1, a. */
                if (grad_a) {
                    if (op == CK_BIN_MUL)
                        accumulate_row(grad_a + oa, sa, g, n, b + ob, sb);
                    else
                        accumulate_row(grad_a + oa, sa, g, n, &plus_one, 0);
                }
                if (grad_b) {
                    if (op == CK_BIN_MUL)
                        accumulate_row(grad_b + ob, sb, g, n, a + oa, sa);
                    else
                        accumulate_row(grad_b + ob, sb, g, n, op == CK_BIN_SUB ? &minus_one : &plus_one, 0);
                }
                g += n;
            }
}

/* ---- simple elementwise ---- */

void ck_k_fill(float *restrict x, int64_t n, float value)
{
    for (int64_t j = 0; j < n; j++) x[j] = value;
}

CK_VECTOR_CLONES
void ck_k_axpy(float *restrict y, const float *restrict x, int64_t n, float alpha)
{
    for (int64_t j = 0; j < n; j++) y[j] += alpha * x[j];
}

CK_VECTOR_CLONES
void ck_k_scale(float *restrict y, const float *restrict x, int64_t n, float alpha)
{
    for (int64_t j = 0; j < n; j++) y[j] = alpha * x[j];
}

CK_VECTOR_CLONES
void ck_k_square(float *restrict y, const float *restrict x, int64_t n)
{
#define SQUARE_RANGE(begin, end) \
    for (int64_t j = begin; j < end; j++) y[j] = x[j] * x[j]
    SPLIT_RANGE(n, n, SQUARE_RANGE);
#undef SQUARE_RANGE
}

CK_VECTOR_CLONES
void ck_k_square_backward(float *restrict gx, const float *restrict x, const float *restrict g, int64_t n)
{
#define SQUARE_BACKWARD_RANGE(begin, end) \
    for (int64_t j = begin; j < end; j++) gx[j] += 2.0f * x[j] * g[j]
    SPLIT_RANGE(n, n, SQUARE_BACKWARD_RANGE);
#undef SQUARE_BACKWARD_RANGE
}

CK_VECTOR_CLONES
void ck_k_square_backward_assign(float *restrict gx, const float *restrict x, const float *restrict g, int64_t n)
{
#define SQUARE_BACKWARD_ASSIGN_RANGE(begin, end) \
    for (int64_t j = begin; j < end; j++) gx[j] = 2.0f * x[j] * g[j]
    SPLIT_RANGE(n, n, SQUARE_BACKWARD_ASSIGN_RANGE);
#undef SQUARE_BACKWARD_ASSIGN_RANGE
}

CK_VECTOR_CLONES
void ck_k_mul_self_backward(float *restrict gx, const float *restrict x, const float *restrict g, int64_t n)
{
    for (int64_t j = 0; j < n; j++) {
        const float term = g[j] * x[j];
        gx[j] = (gx[j] + term) + term;
    }
}

CK_VECTOR_CLONES
void ck_k_relu(float *restrict y, const float *restrict x, int64_t n)
{
    for (int64_t j = 0; j < n; j++) y[j] = x[j] > 0.0f ? x[j] : 0.0f;
}

/* The term is selected first, then added: a compare and a mask, no branch
 * (signs of a layer's outputs are random: a branch per element mispredicted
 * half the time, and made relu's backward the digits model's top line). */
CK_VECTOR_CLONES
void ck_k_relu_backward(float *restrict gx, const float *restrict y, const float *restrict g, int64_t n)
{
    for (int64_t j = 0; j < n; j++) {
        const float term = y[j] > 0.0f ? g[j] : 0.0f;
        gx[j] += term;
    }
}

void ck_k_sigmoid(float *restrict y, const float *restrict x, int64_t n)
{
    for (int64_t j = 0; j < n; j++) y[j] = 1.0f / (1.0f + expf(-x[j]));
}

void ck_k_sigmoid_backward(float *restrict gx, const float *restrict y, const float *restrict g, int64_t n)
{
    for (int64_t j = 0; j < n; j++) gx[j] += g[j] * y[j] * (1.0f - y[j]);
}

void ck_k_tanh(float *restrict y, const float *restrict x, int64_t n)
{
    for (int64_t j = 0; j < n; j++) y[j] = tanhf(x[j]);
}

void ck_k_tanh_backward(float *restrict gx, const float *restrict y, const float *restrict g, int64_t n)
{
    for (int64_t j = 0; j < n; j++) gx[j] += g[j] * (1.0f - y[j] * y[j]);
}
