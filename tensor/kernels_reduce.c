/* kernels_reduce.c - sums and max over one axis and their backward (see
 * ck_kernels.h). */
#include "kernels_internal.h"

/* ---- reductions ---- */

/* Each sum below adds scale * x term by term, in order along the axis; a
 * sum (scale 1) skips the multiplication, which changes nothing (1 x is x).
 * TERM is the term as written in each loop. */
#define PLAIN_TERM(v) (v)
#define SCALED_TERM(v) (scale * (v))

/* Reduce the last axis: one short sum per output row. A sum is a chain of
 * dependent adds, so rows are summed 8 at a time: eight independent chains
 * keep the adders busy while each row still adds in its own order. */
#define SUM_LAST_AXIS(TERM)                                                                 \
    do {                                                                                    \
        int64_t o = 0;                                                                      \
        for (; o + LAST_AXIS_ROWS <= outer; o += LAST_AXIS_ROWS) {                          \
            const float *restrict x_rows = x + o * len;                                     \
            float t[LAST_AXIS_ROWS];                                                        \
            for (int r = 0; r < LAST_AXIS_ROWS; r++) t[r] = 0.0f;                           \
            for (int64_t l = 0; l < len; l++)                                               \
                for (int r = 0; r < LAST_AXIS_ROWS; r++) t[r] += TERM(x_rows[r * len + l]); \
            for (int r = 0; r < LAST_AXIS_ROWS; r++) out[o + r] = t[r];                     \
        }                                                                                   \
        for (; o < outer; o++) {                                                            \
            const float *restrict x_row = x + o * len;                                      \
            float total = 0.0f;                                                             \
            for (int64_t l = 0; l < len; l++) total += TERM(x_row[l]);                      \
            out[o] = total;                                                                 \
        }                                                                                   \
    } while (0)
#define LAST_AXIS_ROWS 8

CK_ROW_INLINE void sum_last_axis(float *restrict out, const float *restrict x, int64_t outer, int64_t len, float scale)
{
    if (scale == 1.0f)
        SUM_LAST_AXIS(PLAIN_TERM);
    else
        SUM_LAST_AXIS(SCALED_TERM);
}

/* Axes this short (fields, pooled slots) are summed without a loop. */
#define SHORT_AXIS 4

/* One outer row: out (inner) = sum over len of TERM(x (len, inner)), a
 * block of columns at a time: the block's partial sums stay in a vector
 * register over the len rows (no round trip through out per row). */
#if defined(__GNUC__)
#define SUM_BLOCK(j, T, TERM)                                     \
    do {                                                          \
        const float *restrict p_ = x_rows + (j);                  \
        VLOAD(T, acc_, p_);                                       \
        acc_ = TERM(acc_);                                        \
        if (len <= SHORT_AXIS) { /* unrolled: no loop per term */ \
            if (len > 1) {                                        \
                VLOAD(T, v1_, p_ + inner);                        \
                acc_ += TERM(v1_);                                \
            }                                                     \
            if (len > 2) {                                        \
                VLOAD(T, v2_, p_ + 2 * inner);                    \
                acc_ += TERM(v2_);                                \
            }                                                     \
            if (len > 3) {                                        \
                VLOAD(T, v3_, p_ + 3 * inner);                    \
                acc_ += TERM(v3_);                                \
            }                                                     \
        } else {                                                  \
            for (int64_t l = 1; l < len; l++) {                   \
                VLOAD(T, v_, p_ + l * inner);                     \
                acc_ += TERM(v_);                                 \
            }                                                     \
        }                                                         \
        VSTORE(out_row + (j), acc_);                              \
    } while (0)
#define SUM_BLOCK_PLAIN(j, T) SUM_BLOCK(j, T, PLAIN_TERM)
#define SUM_BLOCK_SCALED(j, T) SUM_BLOCK(j, T, SCALED_TERM)
#endif
#define SUM_ONE(j, TERM)                                                           \
    do {                                                                           \
        float total_ = TERM(x_rows[j]); /* 0 + term is the term */                 \
        for (int64_t l = 1; l < len; l++) total_ += TERM(x_rows[l * inner + (j)]); \
        out_row[j] = total_;                                                       \
    } while (0)
#define SUM_ONE_PLAIN(j) SUM_ONE(j, PLAIN_TERM)
#define SUM_ONE_SCALED(j) SUM_ONE(j, SCALED_TERM)

CK_ROW_INLINE void sum_rows(float *restrict out_row, const float *restrict x_rows, int64_t len, int64_t inner,
                            float scale)
{
#if defined(__GNUC__)
    if (scale == 1.0f)
        ROW(inner, SUM_BLOCK_PLAIN, SUM_BLOCK_PLAIN, SUM_ONE_PLAIN);
    else
        ROW(inner, SUM_BLOCK_SCALED, SUM_BLOCK_SCALED, SUM_ONE_SCALED);
#else
    for (int64_t j = 0; j < inner; j++) {
        if (scale == 1.0f)
            SUM_ONE_PLAIN(j);
        else
            SUM_ONE_SCALED(j);
    }
#endif
}
#undef SUM_LAST_AXIS

CK_VECTOR_CLONES
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
 * accumulating. A block of columns at a time: the block of scale * g is
 * computed once, kept in a vector register, and written (or added) into
 * each of the len rows, so the row's branches and loads are paid once per
 * block, not once per row of gx. */
#if defined(__GNUC__)
#define BACKWARD_PUT(T, l, ACC)                            \
    do {                                                   \
        float *restrict to_ = gx_rows + (l)*inner + (j_c); \
        if (ACC) {                                         \
            VLOAD(T, have_, to_);                          \
            have_ += g_;                                   \
            VSTORE(to_, have_);                            \
        } else {                                           \
            VSTORE(to_, g_);                               \
        }                                                  \
    } while (0)
#define BACKWARD_BLOCK(j, T, ACC)                                                 \
    do {                                                                          \
        const int64_t j_c = (j);                                                  \
        VLOAD(T, g_, g_row + j_c);                                                \
        if (scale != 1.0f) g_ = scale * g_; /* 1 g is g */                        \
        if (len <= SHORT_AXIS) {            /* unrolled: no loop per row of gx */ \
            if (len > 0) BACKWARD_PUT(T, 0, ACC);                                 \
            if (len > 1) BACKWARD_PUT(T, 1, ACC);                                 \
            if (len > 2) BACKWARD_PUT(T, 2, ACC);                                 \
            if (len > 3) BACKWARD_PUT(T, 3, ACC);                                 \
        } else {                                                                  \
            for (int64_t l = 0; l < len; l++) BACKWARD_PUT(T, l, ACC);            \
        }                                                                         \
    } while (0)
#define BACKWARD_BLOCK_ADD(j, T) BACKWARD_BLOCK(j, T, 1)
#define BACKWARD_BLOCK_SET(j, T) BACKWARD_BLOCK(j, T, 0)
#endif
#define BACKWARD_ONE(j, ACC)                                           \
    do {                                                               \
        const float sg_ = scale != 1.0f ? scale * g_row[j] : g_row[j]; \
        for (int64_t l = 0; l < len; l++) {                            \
            if (ACC)                                                   \
                gx_rows[l * inner + (j)] += sg_;                       \
            else                                                       \
                gx_rows[l * inner + (j)] = sg_;                        \
        }                                                              \
    } while (0)
#define BACKWARD_ONE_ADD(j) BACKWARD_ONE(j, 1)
#define BACKWARD_ONE_SET(j) BACKWARD_ONE(j, 0)

CK_ROW_INLINE void sum_rows_backward(float *restrict gx_rows, const float *restrict g_row, int64_t len, int64_t inner,
                                     float scale, int accumulate)
{
#if defined(__GNUC__)
    if (accumulate)
        ROW(inner, BACKWARD_BLOCK_ADD, BACKWARD_BLOCK_ADD, BACKWARD_ONE_ADD);
    else
        ROW(inner, BACKWARD_BLOCK_SET, BACKWARD_BLOCK_SET, BACKWARD_ONE_SET);
#else
    for (int64_t j = 0; j < inner; j++) {
        if (accumulate)
            BACKWARD_ONE_ADD(j);
        else
            BACKWARD_ONE_SET(j);
    }
#endif
}

CK_ROW_INLINE void sum_axis_backward(float *restrict gx, const float *restrict g, int64_t outer, int64_t len,
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

CK_VECTOR_CLONES
void ck_k_sum_axis_backward(float *restrict gx, const float *restrict g, int64_t outer, int64_t len, int64_t inner,
                            float scale)
{
    sum_axis_backward(gx, g, outer, len, inner, scale, 1);
}

CK_VECTOR_CLONES
void ck_k_sum_axis_backward_assign(float *restrict gx, const float *restrict g, int64_t outer, int64_t len,
                                   int64_t inner, float scale)
{
    sum_axis_backward(gx, g, outer, len, inner, scale, 0);
}

/* ---- masked mean over the middle axis: x (outer, len, inner), mask (outer, len) ----
 * out[o] = sum over l of (mask[o, l] / count[o]) x[o, l] (0 where count is 0),
 * added row by row with the vector row helpers (rows are short: an
 * embedding's k); skipping zero weights as the op always has. */
CK_VECTOR_CLONES
void ck_k_masked_mean(float *restrict out, const float *restrict x, const float *restrict mask, int64_t outer,
                      int64_t len, int64_t inner)
{
    for (int64_t o = 0; o < outer; o++) {
        const float *restrict mask_row = mask + o * len;
        float count = 0.0f;
        for (int64_t l = 0; l < len; l++) count += mask_row[l];
        float *restrict out_row = out + o * inner;
        for (int64_t i = 0; i < inner; i++) out_row[i] = 0.0f;
        if (count == 0.0f) continue; /* all padding: the output stays 0 */
        for (int64_t l = 0; l < len; l++) {
            const float weight = mask_row[l] / count;
            if (weight != 0.0f) row_axpy(out_row, x + (o * len + l) * inner, inner, weight);
        }
    }
}

/* gx[o, l] += (mask[o, l] / count[o]) g[o], rows whose count is 0 left alone */
CK_VECTOR_CLONES
void ck_k_masked_mean_backward(float *restrict gx, const float *restrict g, const float *restrict mask, int64_t outer,
                               int64_t len, int64_t inner)
{
    for (int64_t o = 0; o < outer; o++) {
        const float *restrict mask_row = mask + o * len;
        float count = 0.0f;
        for (int64_t l = 0; l < len; l++) count += mask_row[l];
        if (count == 0.0f) continue;
        for (int64_t l = 0; l < len; l++)
            row_axpy(gx + (o * len + l) * inner, g + o * inner, inner, mask_row[l] / count);
    }
}
