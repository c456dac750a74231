/* kernels_parts.c - sums over a concatenation read part by part, and their
 * backward, alone or as a folded pair (the tape's fusion; see
 * ck_kernels.h). */
#include "kernels_internal.h"

/* Each sum adds scale * x (or scale * x^2) term by term, in order, as
 * kernels_reduce.c's sums do; a sum (scale 1) skips the multiplication. */
#define PLAIN_TERM(v) (v)
#define SCALED_TERM(v) (scale * (v))

/* ---- sums over a concatenation, read part by part (the tape's fusion) ----
 * x is the concatenation along the summed axis of n_parts parts, part p
 * (outer, lens[p], inner); each term is TERM(v) as the sum of the
 * concatenation (or of its square) would add it, in the same order: part 0's
 * rows, then part 1's, ..., so the result is the same float for float. */
#define SQUARE_TERM(v) ((v) * (v))
#define SQUARE_SCALED_TERM(v) (scale * ((v) * (v)))
/* Row r of the concatenation, for outer row o: rows[r] + o * strides[r]
 * (part p's row l at o = parts[p] + (o lens[p] + l) inner). The sum is then
 * sum_rows's over those rows: a block of columns summed in a register. The
 * rows go four at a time, their pointers and strides in registers; a group
 * after the first goes on from the sum so far, kept in out (the same adds
 * in the same order). */
#define PARTS_ROWS_ON_STACK 32
#define PARTS_GROUP 4
#if defined(__GNUC__)
#define PARTS_TERM(i, T, TERM)                        \
    do {                                              \
        VLOAD(T, v_, row_##i + o * stride_##i + j_c); \
        acc_ += TERM(v_);                             \
    } while (0)
#define PARTS_BLOCK(j, T, TERM)                        \
    do {                                               \
        const int64_t j_c = (j);                       \
        T acc_;                                        \
        if (first_group) {                             \
            VLOAD(T, v0_, row_0 + o * stride_0 + (j)); \
            acc_ = TERM(v0_);                          \
        } else {                                       \
            VLOAD(T, so_far_, out_row + (j));          \
            acc_ = so_far_;                            \
            PARTS_TERM(0, T, TERM);                    \
        }                                              \
        if (rows > 1) PARTS_TERM(1, T, TERM);          \
        if (rows > 2) PARTS_TERM(2, T, TERM);          \
        if (rows > 3) PARTS_TERM(3, T, TERM);          \
        VSTORE(out_row + (j), acc_);                   \
    } while (0)
#define PARTS_BLOCK_PLAIN(j, T) PARTS_BLOCK(j, T, PLAIN_TERM)
#define PARTS_BLOCK_SCALED(j, T) PARTS_BLOCK(j, T, SCALED_TERM)
#define PARTS_BLOCK_SQUARE(j, T) PARTS_BLOCK(j, T, SQUARE_TERM)
#define PARTS_BLOCK_SQUARE_SCALED(j, T) PARTS_BLOCK(j, T, SQUARE_SCALED_TERM)
#endif
#define PARTS_ONE(j, TERM)                                                                                           \
    do {                                                                                                             \
        float total_ = first_group ? TERM(row_0[o * stride_0 + (j)]) : out_row[j] + TERM(row_0[o * stride_0 + (j)]); \
        if (rows > 1) total_ += TERM(row_1[o * stride_1 + (j)]);                                                     \
        if (rows > 2) total_ += TERM(row_2[o * stride_2 + (j)]);                                                     \
        if (rows > 3) total_ += TERM(row_3[o * stride_3 + (j)]);                                                     \
        out_row[j] = total_;                                                                                         \
    } while (0)
#define PARTS_ONE_PLAIN(j) PARTS_ONE(j, PLAIN_TERM)
#define PARTS_ONE_SCALED(j) PARTS_ONE(j, SCALED_TERM)
#define PARTS_ONE_SQUARE(j) PARTS_ONE(j, SQUARE_TERM)
#define PARTS_ONE_SQUARE_SCALED(j) PARTS_ONE(j, SQUARE_SCALED_TERM)

#if defined(__GNUC__)
#define PARTS_ROWS(KIND)                                                      \
    for (int64_t o = 0; o < outer; o++) {                                     \
        float *restrict out_row = out + o * inner;                            \
        ROW(inner, PARTS_BLOCK_##KIND, PARTS_BLOCK_##KIND, PARTS_ONE_##KIND); \
    }
#else
#define PARTS_ROWS(KIND)                                         \
    for (int64_t o = 0; o < outer; o++) {                        \
        float *restrict out_row = out + o * inner;               \
        for (int64_t j = 0; j < inner; j++) PARTS_ONE_##KIND(j); \
    }
#endif

/* Rows first..first + rows (1 to 4) of the sum, each kind of term in its
 * own loop. */
CK_ROW_INLINE void sum_rows_group(float *restrict out, const float *const *row_at, const int64_t *strides,
                                  int64_t first, int rows, int64_t outer, int64_t inner, float scale, int squared)
{
    const int first_group = first == 0;
    const float *row_0 = row_at[first], *row_1 = rows > 1 ? row_at[first + 1] : row_0,
                *row_2 = rows > 2 ? row_at[first + 2] : row_0, *row_3 = rows > 3 ? row_at[first + 3] : row_0;
    const int64_t stride_0 = strides[first], stride_1 = rows > 1 ? strides[first + 1] : 0,
                  stride_2 = rows > 2 ? strides[first + 2] : 0, stride_3 = rows > 3 ? strides[first + 3] : 0;
    if (squared && scale != 1.0f) {
        PARTS_ROWS(SQUARE_SCALED)
    } else if (squared) {
        PARTS_ROWS(SQUARE)
    } else if (scale != 1.0f) {
        PARTS_ROWS(SCALED)
    } else {
        PARTS_ROWS(PLAIN)
    }
}
#undef PARTS_ROWS

CK_ROW_INLINE void sum_rows_at(float *restrict out, const float *const *rows, const int64_t *strides, int64_t n_rows,
                               int64_t outer, int64_t inner, float scale, int squared)
{
    for (int64_t first = 0; first < n_rows; first += PARTS_GROUP) {
        int count = n_rows - first < PARTS_GROUP ? (int)(n_rows - first) : PARTS_GROUP;
        sum_rows_group(out, rows, strides, first, count, outer, inner, scale, squared);
    }
}

CK_VECTOR_CLONES
void ck_k_sum_parts(float *restrict out, const float *const *parts, const int64_t *lens, int n_parts, int64_t outer,
                    int64_t inner, float scale, int squared)
{
    const float *stack_rows[PARTS_ROWS_ON_STACK];
    int64_t stack_strides[PARTS_ROWS_ON_STACK], n_rows = 0;
    for (int p = 0; p < n_parts; p++) n_rows += lens[p];
    if (n_rows <= PARTS_ROWS_ON_STACK && inner > 1) {
        int64_t r = 0;
        for (int p = 0; p < n_parts; p++)
            for (int64_t l = 0; l < lens[p]; l++, r++) {
                stack_rows[r] = parts[p] + l * inner;
                stack_strides[r] = lens[p] * inner;
            }
        sum_rows_at(out, stack_rows, stack_strides, n_rows, outer, inner, scale, squared);
        return;
    }
    /* a long axis, or the last (inner 1): part by part into out, each row's
     * terms still in order; from 0 for the last axis, as sum_last_axis adds
     * (0 + -0 is +0), from the first term otherwise, as sum_rows */
    for (int64_t o = 0; o < outer; o++) {
        float *restrict out_row = out + o * inner;
        int first = inner > 1;
        if (!first) out_row[0] = 0.0f;
        for (int p = 0; p < n_parts; p++)
            for (int64_t l = 0; l < lens[p]; l++) {
                const float *restrict x_row = parts[p] + (o * lens[p] + l) * inner;
                for (int64_t j = 0; j < inner; j++) {
                    float v = x_row[j];
                    float term = squared ? v * v : v;
                    if (scale != 1.0f) term = scale * term;
                    out_row[j] = first ? term : out_row[j] + term;
                }
                first = 0;
            }
    }
}

/* The backward of ck_k_sum_parts into the parts' gradients, all parts in
 * one pass: row r of the concatenation (gx[r] + o strides[r], x likewise)
 * gets scale g, or 2 x (scale g) when squared, as the sum's, the square's
 * and the concat's backward would give it; added when accumulating, else
 * assigned. g's block is loaded (and scaled) once for all the rows. */
#define PLAIN_GRAD(r) g_
#define SQUARE_GRAD(r) (2.0f * xv_##r * g_)
/* Rows go four at a time, their pointers and strides in registers (row i
 * of the group at outer row o: gx_i + o stride_i): loads of pointer arrays
 * and multiplies per row and block cost as much as the arithmetic. */
#define PARTS_BACK_GROUP 4
#if defined(__GNUC__)
#define PARTS_BACK_PUT(i, T, SQUARED, ACC)                                 \
    do {                                                                   \
        float *to_ = gx_##i + o * stride_##i + (j_c); /* rows may share */ \
        T d_ = g_;                                                         \
        if (SQUARED) {                                                     \
            VLOAD(T, x_, x_##i + o * stride_##i + (j_c));                  \
            d_ = 2.0f * x_ * g_;                                           \
        }                                                                  \
        if (ACC) {                                                         \
            VLOAD(T, have_, to_);                                          \
            d_ = have_ + d_;                                               \
        }                                                                  \
        VSTORE(to_, d_);                                                   \
    } while (0)
#define PARTS_BACK_BLOCK(j, T, SQUARED, ACC)              \
    do {                                                  \
        const int64_t j_c = (j);                          \
        VLOAD(T, g_, g_row + j_c);                        \
        if (scale != 1.0f) g_ = scale * g_;               \
        PARTS_BACK_PUT(0, T, SQUARED, ACC);               \
        if (rows > 1) PARTS_BACK_PUT(1, T, SQUARED, ACC); \
        if (rows > 2) PARTS_BACK_PUT(2, T, SQUARED, ACC); \
        if (rows > 3) PARTS_BACK_PUT(3, T, SQUARED, ACC); \
    } while (0)
#define PARTS_BACK_SET(j, T) PARTS_BACK_BLOCK(j, T, 0, 0)
#define PARTS_BACK_ADD(j, T) PARTS_BACK_BLOCK(j, T, 0, 1)
#define PARTS_BACK_SQUARE_SET(j, T) PARTS_BACK_BLOCK(j, T, 1, 0)
#define PARTS_BACK_SQUARE_ADD(j, T) PARTS_BACK_BLOCK(j, T, 1, 1)
#endif
#define PARTS_BACK_PUT_ONE(i, j, SQUARED, ACC)                                     \
    do {                                                                           \
        float *to_ = gx_##i + o * stride_##i + (j);                                \
        const float d_ = SQUARED ? 2.0f * x_##i[o * stride_##i + (j)] * sg_ : sg_; \
        *to_ = ACC ? *to_ + d_ : d_;                                               \
    } while (0)
#define PARTS_BACK_ONE(j, SQUARED, ACC)                                \
    do {                                                               \
        const float sg_ = scale != 1.0f ? scale * g_row[j] : g_row[j]; \
        PARTS_BACK_PUT_ONE(0, j, SQUARED, ACC);                        \
        if (rows > 1) PARTS_BACK_PUT_ONE(1, j, SQUARED, ACC);          \
        if (rows > 2) PARTS_BACK_PUT_ONE(2, j, SQUARED, ACC);          \
        if (rows > 3) PARTS_BACK_PUT_ONE(3, j, SQUARED, ACC);          \
    } while (0)
#define PARTS_BACK_ONE_SET(j) PARTS_BACK_ONE(j, 0, 0)
#define PARTS_BACK_ONE_ADD(j) PARTS_BACK_ONE(j, 0, 1)
#define PARTS_BACK_ONE_SQUARE_SET(j) PARTS_BACK_ONE(j, 1, 0)
#define PARTS_BACK_ONE_SQUARE_ADD(j) PARTS_BACK_ONE(j, 1, 1)

#if defined(__GNUC__)
#define PARTS_BACK_ROWS(KIND)                                                    \
    for (int64_t o = 0; o < outer; o++) {                                        \
        const float *restrict g_row = g + o * inner;                             \
        ROW(inner, PARTS_BACK_##KIND, PARTS_BACK_##KIND, PARTS_BACK_ONE_##KIND); \
    }
#else
#define PARTS_BACK_ROWS(KIND)                                         \
    for (int64_t o = 0; o < outer; o++) {                             \
        const float *restrict g_row = g + o * inner;                  \
        for (int64_t j = 0; j < inner; j++) PARTS_BACK_ONE_##KIND(j); \
    }
#endif

/* The group's rows first..first + rows (1 to 4) as named locals: gradient
 * gx_i, values x_i, outer stride stride_i (a missing row repeats row 0). */
#define BACK_GROUP_ROWS()                                                                                      \
    float *gx_0 = gx[first], *gx_1 = rows > 1 ? gx[first + 1] : gx_0, *gx_2 = rows > 2 ? gx[first + 2] : gx_0, \
          *gx_3 = rows > 3 ? gx[first + 3] : gx_0;                                                             \
    const float *x_0 = x[first], *x_1 = rows > 1 ? x[first + 1] : x_0, *x_2 = rows > 2 ? x[first + 2] : x_0,   \
                *x_3 = rows > 3 ? x[first + 3] : x_0;                                                          \
    const int64_t stride_0 = strides[first], stride_1 = rows > 1 ? strides[first + 1] : 0,                     \
                  stride_2 = rows > 2 ? strides[first + 2] : 0, stride_3 = rows > 3 ? strides[first + 3] : 0

/* One group of 1 to 4 rows: first..first + rows. */
CK_ROW_INLINE void sum_parts_backward_group(float *const *gx, const float *const *x, const int64_t *strides,
                                            int64_t first, int rows, const float *restrict g, int64_t outer,
                                            int64_t inner, float scale, int squared, int accumulate)
{
    BACK_GROUP_ROWS();
    if (squared && accumulate) {
        PARTS_BACK_ROWS(SQUARE_ADD)
    } else if (squared) {
        PARTS_BACK_ROWS(SQUARE_SET)
    } else if (accumulate) {
        PARTS_BACK_ROWS(ADD)
    } else {
        PARTS_BACK_ROWS(SET)
    }
}

CK_VECTOR_CLONES
void ck_k_sum_parts_backward(float *const *gx, const float *const *x, const int64_t *strides, int64_t n_rows,
                             const float *restrict g, int64_t outer, int64_t inner, float scale, int squared,
                             int accumulate)
{
    for (int64_t first = 0; first < n_rows; first += PARTS_BACK_GROUP) {
        int rows = n_rows - first < PARTS_BACK_GROUP ? (int)(n_rows - first) : PARTS_BACK_GROUP;
        sum_parts_backward_group(gx, x, strides, first, rows, g, outer, inner, scale, squared, accumulate);
    }
}

/* Two such backwards in one pass, a sum's and a sum of squares' over the
 * same rows (the tape's folded pair): gx = (gx + first) + second, or
 * first + second when assigning, as the two calls one after the other
 * would write it; first is the squared term (2 x (scale_first g_first))
 * when squared_first, else the plain one, and second the other kind. */
#if defined(__GNUC__)
#define PAIR_PUT(i, T, SQF, ACC)                                           \
    do {                                                                   \
        float *to_ = gx_##i + o * stride_##i + (j_c); /* rows may share */ \
        VLOAD(T, x_, x_##i + o * stride_##i + (j_c));                      \
        const T first_ = SQF ? 2.0f * x_ * gf_ : gf_;                      \
        const T second_ = SQF ? gs_ : 2.0f * x_ * gs_;                     \
        T d_;                                                              \
        if (ACC) {                                                         \
            VLOAD(T, have_, to_);                                          \
            d_ = (have_ + first_) + second_;                               \
        } else {                                                           \
            d_ = first_ + second_;                                         \
        }                                                                  \
        VSTORE(to_, d_);                                                   \
    } while (0)
#define PAIR_BLOCK(j, T, SQF, ACC)                          \
    do {                                                    \
        const int64_t j_c = (j);                            \
        VLOAD(T, gf_, gf_row + j_c);                        \
        VLOAD(T, gs_, gs_row + j_c);                        \
        if (scale_first != 1.0f) gf_ = scale_first * gf_;   \
        if (scale_second != 1.0f) gs_ = scale_second * gs_; \
        PAIR_PUT(0, T, SQF, ACC);                           \
        if (rows > 1) PAIR_PUT(1, T, SQF, ACC);             \
        if (rows > 2) PAIR_PUT(2, T, SQF, ACC);             \
        if (rows > 3) PAIR_PUT(3, T, SQF, ACC);             \
    } while (0)
#define PAIR_SQUARE_FIRST_SET(j, T) PAIR_BLOCK(j, T, 1, 0)
#define PAIR_SQUARE_FIRST_ADD(j, T) PAIR_BLOCK(j, T, 1, 1)
#define PAIR_PLAIN_FIRST_SET(j, T) PAIR_BLOCK(j, T, 0, 0)
#define PAIR_PLAIN_FIRST_ADD(j, T) PAIR_BLOCK(j, T, 0, 1)
#endif
#define PAIR_PUT_ONE(i, j, SQF, ACC)                               \
    do {                                                           \
        float *to_ = gx_##i + o * stride_##i + (j);                \
        const float x_ = x_##i[o * stride_##i + (j)];              \
        const float first_ = SQF ? 2.0f * x_ * gf_ : gf_;          \
        const float second_ = SQF ? gs_ : 2.0f * x_ * gs_;         \
        *to_ = ACC ? (*to_ + first_) + second_ : first_ + second_; \
    } while (0)
#define PAIR_ONE(j, SQF, ACC)                                                          \
    do {                                                                               \
        const float gf_ = scale_first != 1.0f ? scale_first * gf_row[j] : gf_row[j];   \
        const float gs_ = scale_second != 1.0f ? scale_second * gs_row[j] : gs_row[j]; \
        PAIR_PUT_ONE(0, j, SQF, ACC);                                                  \
        if (rows > 1) PAIR_PUT_ONE(1, j, SQF, ACC);                                    \
        if (rows > 2) PAIR_PUT_ONE(2, j, SQF, ACC);                                    \
        if (rows > 3) PAIR_PUT_ONE(3, j, SQF, ACC);                                    \
    } while (0)
#define PAIR_ONE_SQUARE_FIRST_SET(j) PAIR_ONE(j, 1, 0)
#define PAIR_ONE_SQUARE_FIRST_ADD(j) PAIR_ONE(j, 1, 1)
#define PAIR_ONE_PLAIN_FIRST_SET(j) PAIR_ONE(j, 0, 0)
#define PAIR_ONE_PLAIN_FIRST_ADD(j) PAIR_ONE(j, 0, 1)

#if defined(__GNUC__)
#define PAIR_ROWS(KIND)                                        \
    for (int64_t o = 0; o < outer; o++) {                      \
        const float *restrict gf_row = g_first + o * inner;    \
        const float *restrict gs_row = g_second + o * inner;   \
        ROW(inner, PAIR_##KIND, PAIR_##KIND, PAIR_ONE_##KIND); \
    }
#else
#define PAIR_ROWS(KIND)                                         \
    for (int64_t o = 0; o < outer; o++) {                       \
        const float *restrict gf_row = g_first + o * inner;     \
        const float *restrict gs_row = g_second + o * inner;    \
        for (int64_t j = 0; j < inner; j++) PAIR_ONE_##KIND(j); \
    }
#endif

CK_ROW_INLINE void sum_parts_backward_pair_group(float *const *gx, const float *const *x, const int64_t *strides,
                                                 int64_t first, int rows, const float *restrict g_first,
                                                 float scale_first, int squared_first, const float *restrict g_second,
                                                 float scale_second, int64_t outer, int64_t inner, int accumulate)
{
    BACK_GROUP_ROWS();
    if (squared_first && accumulate) {
        PAIR_ROWS(SQUARE_FIRST_ADD)
    } else if (squared_first) {
        PAIR_ROWS(SQUARE_FIRST_SET)
    } else if (accumulate) {
        PAIR_ROWS(PLAIN_FIRST_ADD)
    } else {
        PAIR_ROWS(PLAIN_FIRST_SET)
    }
}

CK_VECTOR_CLONES
void ck_k_sum_parts_backward_pair(float *const *gx, const float *const *x, const int64_t *strides, int64_t n_rows,
                                  const float *restrict g_first, float scale_first, int squared_first,
                                  const float *restrict g_second, float scale_second, int64_t outer, int64_t inner,
                                  int accumulate)
{
    for (int64_t first = 0; first < n_rows; first += PARTS_BACK_GROUP) {
        int rows = n_rows - first < PARTS_BACK_GROUP ? (int)(n_rows - first) : PARTS_BACK_GROUP;
        sum_parts_backward_pair_group(gx, x, strides, first, rows, g_first, scale_first, squared_first, g_second,
                                      scale_second, outer, inner, accumulate);
    }
}
