/* kernels_reduce.c - sums and max over one axis and their backward (see
 * ck_kernels.h). */
#include "kernels_internal.h"

/* ---- reductions ---- */

/* Reduce the last axis: one short sum per output row. A sum is a chain of
 * dependent adds, so rows are summed 4 at a time: four independent chains
 * keep the adder busy while each row still adds in its own order. */
static void sum_last_axis(float *restrict out, const float *restrict x, int64_t outer, int64_t len, float scale)
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
#define SUM_COLUMNS(width)                                                             \
    do {                                                                               \
        float acc[width];                                                              \
        for (int t = 0; t < (width); t++) acc[t] = scale * x_cols[t];                  \
        for (int64_t l = 1; l < len; l++)                                              \
            for (int t = 0; t < (width); t++) acc[t] += scale * x_cols[l * inner + t]; \
        for (int t = 0; t < (width); t++) out_cols[t] = acc[t];                        \
    } while (0)

/* One outer row: out (inner) = scale * sum over len of x (len, inner). */
static inline void sum_rows(float *restrict out_row, const float *restrict x_rows, int64_t len, int64_t inner,
                            float scale)
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
        float total = scale * x_rows[j]; /* 0 + s x is s x */
        for (int64_t l = 1; l < len; l++) total += scale * x_rows[l * inner + j];
        out_row[j] = total;
    }
}
#undef SUM_COLUMNS

void ck_k_sum_axis(float *restrict out, const float *restrict x, int64_t outer, int64_t len, int64_t inner, float scale)
{
    if (inner == 1) {
        sum_last_axis(out, x, outer, len, scale);
        return;
    }
    if (len == 0) {
        ck_k_fill(out, outer * inner, 0.0f);
        return;
    }
#define SUM_RANGE(begin, end) \
    for (int64_t o = begin; o < end; o++) sum_rows(out + o * inner, x + o * len * inner, len, inner, scale)
    SPLIT_RANGE(outer, outer * len * inner, SUM_RANGE);
#undef SUM_RANGE
}

/* One outer row: gx (len, inner) += scale * g (inner), or = when not
 * accumulating; g read once. Blocks of 4 columns: gcc keeps such a block of
 * scale * g in one vector register (with 8 it falls back to scalars). */
static inline void sum_rows_backward(float *restrict gx_rows, const float *restrict g_row, int64_t len, int64_t inner,
                                     float scale, int accumulate)
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
            if (accumulate)
                gx_rows[l * inner + j] += sg;
            else
                gx_rows[l * inner + j] = sg;
        }
    }
}

static inline void sum_axis_backward(float *restrict gx, const float *restrict g, int64_t outer, int64_t len,
                                     int64_t inner, float scale, int accumulate)
{
    if (inner == 1) {
        for (int64_t o = 0; o < outer; o++) {
            const float s = scale * g[o];
            float *restrict gx_row = gx + o * len;
            if (accumulate)
                for (int64_t l = 0; l < len; l++) gx_row[l] += s;
            else
                for (int64_t l = 0; l < len; l++) gx_row[l] = s;
        }
        return;
    }
#define SUM_BACKWARD_RANGE(begin, end)    \
    for (int64_t o = begin; o < end; o++) \
    sum_rows_backward(gx + o * len * inner, g + o * inner, len, inner, scale, accumulate)
    SPLIT_RANGE(outer, outer * len * inner, SUM_BACKWARD_RANGE);
#undef SUM_BACKWARD_RANGE
}

void ck_k_sum_axis_backward(float *restrict gx, const float *restrict g, int64_t outer, int64_t len, int64_t inner,
                            float scale)
{
    sum_axis_backward(gx, g, outer, len, inner, scale, 1);
}

void ck_k_sum_axis_backward_assign(float *restrict gx, const float *restrict g, int64_t outer, int64_t len,
                                   int64_t inner, float scale)
{
    sum_axis_backward(gx, g, outer, len, inner, scale, 0);
}
