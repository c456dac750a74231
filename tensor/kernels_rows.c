/* kernels_rows.c - gather, scatter-add and strided row copies: embedding
 * lookups and concat (see ck_kernels.h). */
#include "kernels_internal.h"

/* ---- rows: gather, scatter-add, strided copies ----
 * Rows here are short (an embedding of 1 to a few dozen floats), so the
 * copies are inline loops, not a memcpy call per row. */

/* Ids are checked before every gather, so the check is one pass of vector
 * maxima: the largest id as unsigned (a negative id is a huge one), eight
 * lanes at a time, instead of two compares and a branch per id; the
 * culprit is searched for only when there is one. */
CK_VECTOR_CLONES
int64_t ck_k_find_id_outside(const int32_t *restrict ids, int64_t n, int64_t vocab)
{
    uint32_t lane_max[8] = {0}, largest = 0;
    int64_t pos = 0;
    for (; pos + 8 <= n; pos += 8)
        for (int l = 0; l < 8; l++) {
            uint32_t id = (uint32_t)ids[pos + l];
            lane_max[l] = id > lane_max[l] ? id : lane_max[l];
        }
    for (; pos < n; pos++) largest = (uint32_t)ids[pos] > largest ? (uint32_t)ids[pos] : largest;
    for (int l = 0; l < 8; l++) largest = lane_max[l] > largest ? lane_max[l] : largest;
    if ((int64_t)largest < vocab) return -1;
    for (pos = 0; pos < n; pos++)
        if (ids[pos] < 0 || ids[pos] >= vocab) return pos;
    return -1;
}

CK_VECTOR_CLONES
void ck_k_gather_rows(float *restrict out, const float *restrict table, const int32_t *restrict ids, int64_t n,
                      int64_t dim)
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

/* Rows a few steps ahead are prefetched: in a shuffled dataset of a
 * million rows nearly every row is a cache miss, and the misses of the
 * coming rows can then overlap instead of waiting one after another. The
 * first AHEAD rows are prefetched before the loop: a tile takes only 256
 * rows per call, a quarter of which would otherwise get no head start
 * (0.030-0.039 -> 0.024-0.027 s an epoch for five columns in 256-row
 * calls, measured here). */
#define TAKE_AHEAD 64
void ck_k_take_rows32(void *restrict out, const void *restrict rows, const int64_t *restrict idx, int64_t n,
                      int64_t width)
{
    uint32_t *restrict to = out;
    const uint32_t *restrict from = rows;
#if defined(__GNUC__)
    for (int64_t r = 0; r < n && r < TAKE_AHEAD; r++) __builtin_prefetch(from + idx[r] * width);
#endif
    for (int64_t r = 0; r < n; r++) {
#if defined(__GNUC__)
        if (r + TAKE_AHEAD < n) __builtin_prefetch(from + idx[r + TAKE_AHEAD] * width);
#endif
        const uint32_t *row = from + idx[r] * width;
        for (int64_t j = 0; j < width; j++) to[r * width + j] = row[j];
    }
}

CK_VECTOR_CLONES
void ck_k_scatter_add_rows(float *restrict grad_table, const float *restrict g, const int32_t *restrict ids, int64_t n,
                           int64_t dim)
{
    /* In row order, so a repeated id sums its rows in a fixed order. */
    if (dim == 1) {
        for (int64_t r = 0; r < n; r++) grad_table[ids[r]] += g[r];
        return;
    }
    for (int64_t r = 0; r < n; r++) row_add(grad_table + (int64_t)ids[r] * dim, g + r * dim, dim);
}

CK_VECTOR_CLONES
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

CK_VECTOR_CLONES
void ck_k_add_rows(float *restrict dst, int64_t dst_stride, const float *restrict src, int64_t src_stride, int64_t rows,
                   int64_t cols)
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

/* ---- a sum over gathered rows (an embedding bag): the tape's fusion ----
 * out (outer, dim) = sum over l < len of scale * table[ids[o len + l]], in
 * order of l: the sum (or mean) over the gathered (outer, len, dim) rows,
 * float for float, without them. */
#if defined(__GNUC__)
#define BAG_BLOCK(j, T)                                         \
    do {                                                        \
        VLOAD(T, acc_, first_ + (j));                           \
        if (scale != 1.0f) acc_ = scale * acc_;                 \
        for (int64_t l = 1; l < len; l++) {                     \
            VLOAD(T, v_, table + (int64_t)ids_[l] * dim + (j)); \
            if (scale != 1.0f) v_ = scale * v_;                 \
            acc_ += v_;                                         \
        }                                                       \
        VSTORE(out_row + (j), acc_);                            \
    } while (0)
#endif
#define BAG_ONE(j)                                                    \
    do {                                                              \
        float total_ = scale != 1.0f ? scale * first_[j] : first_[j]; \
        for (int64_t l = 1; l < len; l++) {                           \
            const float v_ = table[(int64_t)ids_[l] * dim + (j)];     \
            total_ += scale != 1.0f ? scale * v_ : v_;                \
        }                                                             \
        out_row[j] = total_;                                          \
    } while (0)

CK_VECTOR_CLONES
void ck_k_sum_gathered(float *restrict out, const float *restrict table, const int32_t *restrict ids, int64_t outer,
                       int64_t len, int64_t dim, float scale)
{
    if (dim == 1) { /* as the sum over a last axis adds: from 0 (so -0 terms give +0, as there) */
        for (int64_t o = 0; o < outer; o++) {
            float total = 0.0f;
            for (int64_t l = 0; l < len; l++) {
                const float v = table[ids[o * len + l]];
                total += scale != 1.0f ? scale * v : v;
            }
            out[o] = total;
        }
        return;
    }
    for (int64_t o = 0; o < outer; o++) {
        const int32_t *restrict ids_ = ids + o * len;
        const float *restrict first_ = table + (int64_t)ids_[0] * dim;
        float *restrict out_row = out + o * dim;
#if defined(__GNUC__)
        ROW(dim, BAG_BLOCK, BAG_BLOCK, BAG_ONE);
#else
        for (int64_t j = 0; j < dim; j++) BAG_ONE(j);
#endif
    }
}

/* Its backward: grad_table[ids[o len + l]] += scale * g[o], rows in the
 * order of (o, l), as the sum's broadcast gradient scattered by gather's
 * backward adds them. scale * g[o] is made once per sample, 16 columns at
 * a time (then 8, 4, 1) kept in registers, and added into its len rows:
 * each table element still gets its terms in (o, l) order. (Through a
 * buffer of the scaled row, with row_add's blocks, this took twice the
 * instructions.) */
#if defined(__GNUC__)
#define BAG_ADD(T, j, u)                                               \
    do {                                                               \
        for (int64_t l = 0; l < len; l++) {                            \
            float *to_ = grad_table + (int64_t)row_ids[l] * dim + (j); \
            VLOAD(T, have_, to_);                                      \
            have_ += (u);                                              \
            VSTORE(to_, have_);                                        \
        }                                                              \
    } while (0)
#define BAG_SCALED(T, u, p) \
    VLOAD(T, u, p);         \
    if (scale != 1.0f) u = scale * u
#endif
CK_VECTOR_CLONES
void ck_k_scatter_add_bag(float *restrict grad_table, const float *restrict g, const int32_t *restrict ids,
                          int64_t outer, int64_t len, int64_t dim, float scale)
{
    if (dim == 1) {
        for (int64_t o = 0; o < outer; o++) {
            const float s = scale != 1.0f ? scale * g[o] : g[o];
            for (int64_t l = 0; l < len; l++) grad_table[ids[o * len + l]] += s;
        }
        return;
    }
    for (int64_t o = 0; o < outer; o++) {
        const float *restrict g_row = g + o * dim;
        const int32_t *restrict row_ids = ids + o * len;
        int64_t j = 0;
#if defined(__GNUC__)
        for (; j + 16 <= dim; j += 16) {
            BAG_SCALED(ck_f8, u, g_row + j);
            BAG_SCALED(ck_f8, v, g_row + j + 8);
            for (int64_t l = 0; l < len; l++) {
                float *to = grad_table + (int64_t)row_ids[l] * dim + j;
                VLOAD(ck_f8, a, to);
                VLOAD(ck_f8, b, to + 8);
                a += u;
                b += v;
                VSTORE(to, a);
                VSTORE(to + 8, b);
            }
        }
        if (j + 8 <= dim) {
            BAG_SCALED(ck_f8, u, g_row + j);
            BAG_ADD(ck_f8, j, u);
            j += 8;
        }
        if (j + 4 <= dim) {
            BAG_SCALED(ck_f4, u, g_row + j);
            BAG_ADD(ck_f4, j, u);
            j += 4;
        }
#endif
        for (; j < dim; j++) {
            const float s = scale != 1.0f ? scale * g_row[j] : g_row[j];
            for (int64_t l = 0; l < len; l++) grad_table[(int64_t)row_ids[l] * dim + j] += s;
        }
    }
}
