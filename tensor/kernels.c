/* kernels.c - plain float32 loops (see ck_kernels.h). Each loop walks memory
 * with unit stride through restrict pointers so gcc -O2 can vectorise it. */
#include "ck_kernels.h"

#include <math.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- threads ---- */

/* Loops shorter than this stay on one thread: waking the team costs more. */
#define CK_PARALLEL_MIN 32768

static int num_threads = 0; /* 0: not set, use CK_DEFAULT_THREADS */

#ifndef CK_DEFAULT_THREADS
#define CK_DEFAULT_THREADS 1
#endif

int ck_set_num_threads(int n)
{
    if (n < 0) return -1;
    num_threads = n;
    return 0;
}

int ck_get_num_threads(void)
{
#ifdef _OPENMP
    int n = num_threads > 0 ? num_threads : CK_DEFAULT_THREADS;
    int max = omp_get_num_procs();
    return n < max ? n : max;
#else
    return 1;
#endif
}

#ifdef _OPENMP
/* Threads for a loop over `work` floats: 1 unless it is long enough. The
 * loops split this way are elementwise or write disjoint rows, so every
 * element is computed by the same operations whatever the count. */
static int threads_for(int64_t work)
{
    return work >= CK_PARALLEL_MIN ? ck_get_num_threads() : 1;
}
#endif

/* Run RANGE(begin, end) over [0, count): in equal contiguous parts, one per
 * thread, when several threads pay off; else one call on this thread,
 * without entering OpenMP at all (whose pool would be started for nothing). */
#ifdef _OPENMP
#define SPLIT_RANGE(count, work, RANGE) do { \
        const int64_t count_ = (count); \
        const int threads_ = threads_for(work); \
        if (threads_ > 1) { \
            _Pragma("omp parallel num_threads(threads_)") \
            { \
                const int64_t parts_ = omp_get_num_threads(); \
                const int64_t per_ = (count_ + parts_ - 1) / parts_; \
                const int64_t begin_ = per_ * omp_get_thread_num(); \
                const int64_t end_ = begin_ + per_ < count_ ? begin_ + per_ : count_; \
                if (begin_ < end_) RANGE(begin_, end_); \
            } \
        } else { \
            RANGE(0, count_); \
        } \
    } while (0)
#else
#define SPLIT_RANGE(count, work, RANGE) RANGE(0, (count))
#endif

/* ---- short rows ----
 * Most rows here are short (an embedding of k = 20 floats, a bias): there
 * gcc's loop vectoriser spends more on run-time checks and remainders than
 * on the work. Written in blocks of 8 statements, each block becomes a few
 * vector instructions at -O2 and -O3 alike (straight-line SLP), with no
 * checks; then one block of 4, and a plain loop for the last 0-3. Every element sees the same operations
 * in the same order as the one-line loop it replaces, so results are
 * bit-identical. */
#define STEP8(STEP, j) STEP(j); STEP(j + 1); STEP(j + 2); STEP(j + 3); \
    STEP(j + 4); STEP(j + 5); STEP(j + 6); STEP(j + 7)
#define FOR_ROW(n, STEP) do { \
        int64_t j_ = 0; \
        for (; j_ + 8 <= (n); j_ += 8) { STEP8(STEP, j_); } \
        if (j_ + 4 <= (n)) { STEP(j_); STEP(j_ + 1); STEP(j_ + 2); STEP(j_ + 3); j_ += 4; } \
        for (; j_ < (n); j_++) STEP(j_); \
    } while (0)

/* y = s x */
static inline void row_scale(float *restrict y, const float *restrict x, int64_t n, float s)
{
#define SCALE_STEP(j) y[j] = s * x[j]
    FOR_ROW(n, SCALE_STEP);
#undef SCALE_STEP
}

/* y += s x */
static inline void row_axpy(float *restrict y, const float *restrict x, int64_t n, float s)
{
#define AXPY_STEP(j) y[j] += s * x[j]
    FOR_ROW(n, AXPY_STEP);
#undef AXPY_STEP
}

/* y = x */
static inline void row_copy(float *restrict y, const float *restrict x, int64_t n)
{
#define COPY_STEP(j) y[j] = x[j]
    FOR_ROW(n, COPY_STEP);
#undef COPY_STEP
}

/* y += x */
static inline void row_add(float *restrict y, const float *restrict x, int64_t n)
{
#define ADD_STEP(j) y[j] += x[j]
    FOR_ROW(n, ADD_STEP);
#undef ADD_STEP
}

/* y += a b */
static inline void row_mul_add(float *restrict y, const float *restrict a, const float *restrict b, int64_t n)
{
#define MUL_ADD_STEP(j) y[j] += a[j] * b[j]
    FOR_ROW(n, MUL_ADD_STEP);
#undef MUL_ADD_STEP
}

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

/* One output row of n elements; an input with row stride 0 is one value. */
static void binary_row(ck_binop op, int64_t n, const float *restrict a, int64_t sa,
                       const float *restrict b, int64_t sb, float *restrict out)
{
    if (sa && sb) {
        switch (op) {
#define ADD_STEP(j) out[j] = a[j] + b[j]
#define SUB_STEP(j) out[j] = a[j] - b[j]
#define MUL_STEP(j) out[j] = a[j] * b[j]
        case CK_BIN_ADD: FOR_ROW(n, ADD_STEP); break;
        case CK_BIN_SUB: FOR_ROW(n, SUB_STEP); break;
        case CK_BIN_MUL: FOR_ROW(n, MUL_STEP); break;
#undef ADD_STEP
#undef SUB_STEP
#undef MUL_STEP
        }
    } else if (sa) {
        const float s = b[0];
        switch (op) {
        case CK_BIN_ADD: for (int64_t j = 0; j < n; j++) out[j] = a[j] + s; break;
        case CK_BIN_SUB: for (int64_t j = 0; j < n; j++) out[j] = a[j] - s; break;
        case CK_BIN_MUL: for (int64_t j = 0; j < n; j++) out[j] = a[j] * s; break;
        }
    } else if (sb) {
        const float s = a[0];
        switch (op) {
        case CK_BIN_ADD: for (int64_t j = 0; j < n; j++) out[j] = s + b[j]; break;
        case CK_BIN_SUB: for (int64_t j = 0; j < n; j++) out[j] = s - b[j]; break;
        case CK_BIN_MUL: for (int64_t j = 0; j < n; j++) out[j] = s * b[j]; break;
        }
    } else {
        float v = op == CK_BIN_ADD ? a[0] + b[0] : op == CK_BIN_SUB ? a[0] - b[0] : a[0] * b[0];
        for (int64_t j = 0; j < n; j++) out[j] = v;
    }
}

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
 * walk the row (stride 1) or stay on one element (stride 0: summed). */
static void accumulate_row(float *restrict target, int64_t st, const float *restrict g, int64_t n,
                           const float *restrict factor, int64_t sf)
{
    if (st && sf) {
        row_mul_add(target, g, factor, n);
    } else if (st) {
        const float f = factor[0];
        if (f == 1.0f) row_add(target, g, n);  /* add, sub: g * 1 is g */
        else for (int64_t j = 0; j < n; j++) target[j] += g[j] * f;
    } else if (sf) {
        float dot = 0.0f;
        for (int64_t j = 0; j < n; j++) dot += g[j] * factor[j];
        target[0] += dot;
    } else {
        float total = 0.0f;
        for (int64_t j = 0; j < n; j++) total += g[j];
        target[0] += total * factor[0];
    }
}

void ck_k_binary_backward(ck_binop op, const ck_bcast *p, const float *a, const float *b,
                          const float *g, float *grad_a, float *grad_b)
{
    static const float plus_one = 1.0f, minus_one = -1.0f;
    const int64_t n = p->d[3];
    for (int64_t i0 = 0; i0 < p->d[0]; i0++)
        for (int64_t i1 = 0; i1 < p->d[1]; i1++)
            for (int64_t i2 = 0; i2 < p->d[2]; i2++) {
                int64_t oa = i0 * p->stride_a[0] + i1 * p->stride_a[1] + i2 * p->stride_a[2];
                int64_t ob = i0 * p->stride_b[0] + i1 * p->stride_b[1] + i2 * p->stride_b[2];
                int64_t sa = p->stride_a[3], sb = p->stride_b[3];
                /* d(a+b)/da = 1, d(a-b)/da = 1, d(a*b)/da = b; and for b: 1, -1, a. */
                if (grad_a) {
                    if (op == CK_BIN_MUL) accumulate_row(grad_a + oa, sa, g, n, b + ob, sb);
                    else accumulate_row(grad_a + oa, sa, g, n, &plus_one, 0);
                }
                if (grad_b) {
                    if (op == CK_BIN_MUL) accumulate_row(grad_b + ob, sb, g, n, a + oa, sa);
                    else accumulate_row(grad_b + ob, sb, g, n, op == CK_BIN_SUB ? &minus_one : &plus_one, 0);
                }
                g += n;
            }
}

/* ---- simple elementwise ---- */

void ck_k_fill(float *restrict x, int64_t n, float value)
{
    for (int64_t j = 0; j < n; j++) x[j] = value;
}

void ck_k_axpy(float *restrict y, const float *restrict x, int64_t n, float alpha)
{
    for (int64_t j = 0; j < n; j++) y[j] += alpha * x[j];
}

void ck_k_scale(float *restrict y, const float *restrict x, int64_t n, float alpha)
{
    for (int64_t j = 0; j < n; j++) y[j] = alpha * x[j];
}

void ck_k_square(float *restrict y, const float *restrict x, int64_t n)
{
#define SQUARE_RANGE(begin, end) for (int64_t j = begin; j < end; j++) y[j] = x[j] * x[j]
    SPLIT_RANGE(n, n, SQUARE_RANGE);
#undef SQUARE_RANGE
}

void ck_k_square_backward(float *restrict gx, const float *restrict x, const float *restrict g, int64_t n)
{
#define SQUARE_BACKWARD_RANGE(begin, end) for (int64_t j = begin; j < end; j++) gx[j] += 2.0f * x[j] * g[j]
    SPLIT_RANGE(n, n, SQUARE_BACKWARD_RANGE);
#undef SQUARE_BACKWARD_RANGE
}

void ck_k_square_grad(float *restrict gx, const float *restrict x, const float *restrict g, int64_t n)
{
#define SQUARE_GRAD_RANGE(begin, end) for (int64_t j = begin; j < end; j++) gx[j] = 2.0f * x[j] * g[j]
    SPLIT_RANGE(n, n, SQUARE_GRAD_RANGE);
#undef SQUARE_GRAD_RANGE
}

void ck_k_relu(float *restrict y, const float *restrict x, int64_t n)
{
    for (int64_t j = 0; j < n; j++) y[j] = x[j] > 0.0f ? x[j] : 0.0f;
}

void ck_k_relu_backward(float *restrict gx, const float *restrict y, const float *restrict g, int64_t n)
{
    for (int64_t j = 0; j < n; j++) gx[j] += y[j] > 0.0f ? g[j] : 0.0f;
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

/* ---- reductions ---- */

/* Reduce the last axis: one short sum per output row. A sum is a chain of
 * dependent adds, so rows are summed 4 at a time: four independent chains
 * keep the adder busy while each row still adds in its own order. */
static void sum_last_axis(float *restrict out, const float *restrict x, int64_t outer, int64_t len,
                          float scale)
{
    int64_t o = 0;
    for (; o + 4 <= outer; o += 4) {
        const float *restrict x0 = x + o * len, *restrict x1 = x0 + len;
        const float *restrict x2 = x1 + len, *restrict x3 = x2 + len;
        float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
        for (int64_t l = 0; l < len; l++) {
            t0 += scale * x0[l];
            t1 += scale * x1[l];
            t2 += scale * x2[l];
            t3 += scale * x3[l];
        }
        out[o] = t0;
        out[o + 1] = t1;
        out[o + 2] = t2;
        out[o + 3] = t3;
    }
    for (; o < outer; o++) {
        const float *restrict x_row = x + o * len;
        float total = 0.0f;
        for (int64_t l = 0; l < len; l++) total += scale * x_row[l];
        out[o] = total;
    }
}

/* out (width) = scale * sum over l < len of x[l * inner + j], for a block of
 * `width` (8 or 4) columns: the partial sums stay in registers (a fixed-size
 * array gcc maps to vector registers) instead of round trips through out. */
#define SUM_COLUMNS(width) do { \
        float acc[width]; \
        for (int t = 0; t < (width); t++) acc[t] = scale * x_cols[t]; \
        for (int64_t l = 1; l < len; l++) \
            for (int t = 0; t < (width); t++) acc[t] += scale * x_cols[l * inner + t]; \
        for (int t = 0; t < (width); t++) out_cols[t] = acc[t]; \
    } while (0)

/* One outer row: out (inner) = scale * sum over len of x (len, inner). */
static inline void sum_rows(float *restrict out_row, const float *restrict x_rows, int64_t len,
                            int64_t inner, float scale)
{
    int64_t j = 0;
    for (; j + 8 <= inner; j += 8) {
        float *restrict out_cols = out_row + j;
        const float *restrict x_cols = x_rows + j;
        SUM_COLUMNS(8);
    }
    if (j + 4 <= inner) {
        float *restrict out_cols = out_row + j;
        const float *restrict x_cols = x_rows + j;
        SUM_COLUMNS(4);
        j += 4;
    }
    for (; j < inner; j++) {
        float total = scale * x_rows[j];   /* 0 + s x is s x */
        for (int64_t l = 1; l < len; l++) total += scale * x_rows[l * inner + j];
        out_row[j] = total;
    }
}
#undef SUM_COLUMNS

void ck_k_sum_axis(float *restrict out, const float *restrict x, int64_t outer, int64_t len,
                   int64_t inner, float scale)
{
    if (inner == 1) { sum_last_axis(out, x, outer, len, scale); return; }
    if (len == 0) { ck_k_fill(out, outer * inner, 0.0f); return; }
#define SUM_RANGE(begin, end) \
    for (int64_t o = begin; o < end; o++) sum_rows(out + o * inner, x + o * len * inner, len, inner, scale)
    SPLIT_RANGE(outer, outer * len * inner, SUM_RANGE);
#undef SUM_RANGE
}

/* One outer row: gx (len, inner) += scale * g (inner), or = when not
 * accumulating; g read once. Blocks of 4 columns: gcc keeps such a block of
 * scale * g in one vector register (with 8 it falls back to scalars). */
static inline void sum_rows_backward(float *restrict gx_rows, const float *restrict g_row, int64_t len,
                                     int64_t inner, float scale, int accumulate)
{
    int64_t j = 0;
    for (; j + 4 <= inner; j += 4) {
        float sg[4];
        for (int t = 0; t < 4; t++) sg[t] = scale * g_row[j + t];
        for (int64_t l = 0; l < len; l++) {
            float *restrict gx_cols = gx_rows + l * inner + j;
            if (accumulate)
                for (int t = 0; t < 4; t++) gx_cols[t] += sg[t];
            else
                for (int t = 0; t < 4; t++) gx_cols[t] = sg[t];
        }
    }
    for (; j < inner; j++) {
        const float sg = scale * g_row[j];
        for (int64_t l = 0; l < len; l++) {
            if (accumulate) gx_rows[l * inner + j] += sg;
            else gx_rows[l * inner + j] = sg;
        }
    }
}

static inline void sum_axis_backward(float *restrict gx, const float *restrict g, int64_t outer,
                                     int64_t len, int64_t inner, float scale, int accumulate)
{
    if (inner == 1) {
        for (int64_t o = 0; o < outer; o++) {
            const float s = scale * g[o];
            float *restrict gx_row = gx + o * len;
            if (accumulate) for (int64_t l = 0; l < len; l++) gx_row[l] += s;
            else for (int64_t l = 0; l < len; l++) gx_row[l] = s;
        }
        return;
    }
#define SUM_BACKWARD_RANGE(begin, end) \
    for (int64_t o = begin; o < end; o++) \
        sum_rows_backward(gx + o * len * inner, g + o * inner, len, inner, scale, accumulate)
    SPLIT_RANGE(outer, outer * len * inner, SUM_BACKWARD_RANGE);
#undef SUM_BACKWARD_RANGE
}

void ck_k_sum_axis_backward(float *restrict gx, const float *restrict g, int64_t outer,
                            int64_t len, int64_t inner, float scale)
{
    sum_axis_backward(gx, g, outer, len, inner, scale, 1);
}

void ck_k_sum_axis_broadcast(float *restrict gx, const float *restrict g, int64_t outer,
                             int64_t len, int64_t inner, float scale)
{
    sum_axis_backward(gx, g, outer, len, inner, scale, 0);
}

/* ---- matrix products ---- */

void ck_k_matmul(float *restrict c, const float *restrict a, const float *restrict b,
                 int64_t m, int64_t k, int64_t n)
{
    if (n == 1) { /* matrix @ vector: one dot product per row */
        if (k == 1) { /* (m, 1) @ (1, 1): a scaling */
            const float b0 = b[0];
            for (int64_t i = 0; i < m; i++) c[i] = a[i] * b0;
            return;
        }
        for (int64_t i = 0; i < m; i++) {
            const float *restrict a_row = a + i * k;
            float dot = 0.0f;
            for (int64_t p = 0; p < k; p++) dot += a_row[p] * b[p];
            c[i] = dot;
        }
        return;
    }
    /* i-k-j: the inner loop runs along rows of b and c, unit stride. The
     * first term assigns (0 + a b is a b): no zeroing of c, which gcc would
     * turn into a memset call per row. */
    for (int64_t i = 0; i < m; i++) {
        float *restrict c_row = c + i * n;
        const float *restrict a_row = a + i * k;
        if (k == 0) { for (int64_t j = 0; j < n; j++) c_row[j] = 0.0f; continue; }
        row_scale(c_row, b, n, a_row[0]);
        for (int64_t p = 1; p < k; p++) row_axpy(c_row, b + p * n, n, a_row[p]);
    }
}

void ck_k_matmul_backward_a(float *restrict da, const float *restrict dc, const float *restrict bt,
                            int64_t m, int64_t k, int64_t n)
{
    /* da[i, :] += sum_j dc[i, j] * bt[j, :]: unit stride along k. */
    for (int64_t i = 0; i < m; i++) {
        float *restrict da_row = da + i * k;
        const float *restrict dc_row = dc + i * n;
        for (int64_t j = 0; j < n; j++) row_axpy(da_row, bt + j * k, k, dc_row[j]);
    }
}

void ck_k_matmul_backward_b(float *restrict db, const float *restrict a, const float *restrict dc,
                            int64_t m, int64_t k, int64_t n)
{
    /* db[p, j] += a[i, p] * dc[i, j], i in order. A block of 4 columns of
     * db stays in a register over all m rows (the same sums in the same
     * order as adding into memory row by row, without the store-to-load
     * round trip per row). */
    for (int64_t p = 0; p < k; p++) {
        float *restrict db_row = db + p * n;
        int64_t j = 0;
        for (; j + 4 <= n; j += 4) {
            float acc[4];
            for (int t = 0; t < 4; t++) acc[t] = db_row[j + t];
            for (int64_t i = 0; i < m; i++) {
                const float a_ip = a[i * k + p];
                const float *restrict dc_cols = dc + i * n + j;
                for (int t = 0; t < 4; t++) acc[t] += a_ip * dc_cols[t];
            }
            for (int t = 0; t < 4; t++) db_row[j + t] = acc[t];
        }
        for (; j < n; j++) {
            float acc = db_row[j];
            for (int64_t i = 0; i < m; i++) acc += a[i * k + p] * dc[i * n + j];
            db_row[j] = acc;
        }
    }
}

void ck_k_transpose(float *restrict dst, const float *restrict src, int64_t rows, int64_t cols)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}

/* ---- rows: gather, scatter-add, strided copies ----
 * Rows here are short (an embedding of 1 to a few dozen floats), so the
 * copies are inline loops, not a memcpy call per row. */

void ck_k_gather_rows(float *restrict out, const float *restrict table, const int32_t *restrict ids,
                      int64_t n, int64_t dim)
{
    if (dim == 1) {
        for (int64_t r = 0; r < n; r++) out[r] = table[ids[r]];
        return;
    }
#define GATHER_RANGE(begin, end) \
    for (int64_t r = begin; r < end; r++) row_copy(out + r * dim, table + (int64_t)ids[r] * dim, dim)
    SPLIT_RANGE(n, n * dim, GATHER_RANGE);
#undef GATHER_RANGE
}

void ck_k_scatter_add_rows(float *restrict grad_table, const float *restrict g, const int32_t *restrict ids,
                           int64_t n, int64_t dim)
{
    /* In row order, so a repeated id sums its rows in a fixed order. */
    if (dim == 1) {
        for (int64_t r = 0; r < n; r++) grad_table[ids[r]] += g[r];
        return;
    }
    for (int64_t r = 0; r < n; r++) row_add(grad_table + (int64_t)ids[r] * dim, g + r * dim, dim);
}

void ck_k_copy_rows(float *restrict dst, int64_t dst_stride, const float *restrict src, int64_t src_stride,
                    int64_t rows, int64_t cols)
{
    if (cols == 1) {
        for (int64_t r = 0; r < rows; r++) dst[r * dst_stride] = src[r * src_stride];
        return;
    }
#define COPY_RANGE(begin, end) \
    for (int64_t r = begin; r < end; r++) row_copy(dst + r * dst_stride, src + r * src_stride, cols)
    SPLIT_RANGE(rows, rows * cols, COPY_RANGE);
#undef COPY_RANGE
}

void ck_k_add_rows(float *restrict dst, int64_t dst_stride, const float *restrict src, int64_t src_stride,
                   int64_t rows, int64_t cols)
{
    if (cols == 1) {
        for (int64_t r = 0; r < rows; r++) dst[r * dst_stride] += src[r * src_stride];
        return;
    }
#define ADD_RANGE(begin, end) \
    for (int64_t r = begin; r < end; r++) row_add(dst + r * dst_stride, src + r * src_stride, cols)
    SPLIT_RANGE(rows, rows * cols, ADD_RANGE);
#undef ADD_RANGE
}

/* ---- optimizers ---- */

/* The divide and square root make Adam compute-bound; where the compiler
 * can, it also builds an AVX2 copy (8 floats per instruction instead of 4)
 * and the loader picks it on CPUs that have AVX2. Same IEEE operations in
 * the same order (ISO C mode does not contract into FMA): same results. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define ADAM_TARGETS __attribute__((target_clones("avx2", "default")))
#else
#define ADAM_TARGETS
#endif

/* One stretch of Keras's dense Adam. sqrtf vectorises only when the
 * compiler need not set errno (the build adds -fno-math-errno; v >= 0, so
 * errno could never be set anyway). gcc moves the `g[k] = 0` stores into a
 * memset after the loop: in pieces of 1024 floats that memset finds g still
 * in L1, instead of a second pass over a whole table. */
#define ADAM_PIECE 1024
ADAM_TARGETS
static void adam_span(float *restrict w, float *restrict m, float *restrict v, float *restrict g,
                      int64_t n, float lr_t, float b1, float b2, float eps)
{
    for (int64_t begin = 0; begin < n; begin += ADAM_PIECE) {
        const int64_t end = begin + ADAM_PIECE < n ? begin + ADAM_PIECE : n;
        for (int64_t k = begin; k < end; k++) {
            const float gk = g[k];
            g[k] = 0.0f;
            m[k] = b1 * m[k] + (1.0f - b1) * gk;
            v[k] = b2 * v[k] + (1.0f - b2) * gk * gk;
            w[k] -= lr_t * m[k] / (sqrtf(v[k]) + eps);
        }
    }
}

void ck_k_adam(float *restrict w, float *restrict m, float *restrict v, float *restrict g, int64_t n,
               float lr_t, float b1, float b2, float eps)
{
    /* Elementwise: each thread owns a fixed slice, so the result does not
     * depend on the thread count. */
#define ADAM_RANGE(begin, end) \
    adam_span(w + begin, m + begin, v + begin, g + begin, end - begin, lr_t, b1, b2, eps)
    SPLIT_RANGE(n, n, ADAM_RANGE);
#undef ADAM_RANGE
}

void ck_k_sgd(float *restrict w, float *restrict velocity, float *restrict g, int64_t n, float lr,
              float momentum)
{
    if (momentum == 0.0f) {
        for (int64_t k = 0; k < n; k++) {
            w[k] -= lr * g[k];
            g[k] = 0.0f;
        }
        return;
    }
    for (int64_t k = 0; k < n; k++) {
        velocity[k] = momentum * velocity[k] - lr * g[k];
        g[k] = 0.0f;
        w[k] += velocity[k];
    }
}

/* ---- losses ---- */

double ck_k_mean_squared_error(const float *restrict pred, const float *restrict target, int64_t n)
{
    double total = 0.0;
    for (int64_t k = 0; k < n; k++) {
        double diff = (double)pred[k] - (double)target[k];
        total += diff * diff;
    }
    return n > 0 ? total / (double)n : NAN;
}
