/* kernels_internal.h - what the kernels_*.c files share (not installed):
 * the thread split of long loops and the short-row loops. */
#ifndef CK_KERNELS_INTERNAL_H
#define CK_KERNELS_INTERNAL_H

#include "ck_kernels.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- vector width ----
 * The short-row loops below are where the time goes, and the portable build
 * (no -march) vectorises them 4 floats at a time. CK_VECTOR_CLONES also
 * builds a function for AVX2 (8 floats) and the loader picks that copy on
 * CPUs that have it. The same IEEE operations in the same order (ISO C mode
 * contracts nothing into FMA, and AVX2 is not FMA): the same results. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CK_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CK_VECTOR_CLONES
#endif

/* The row helpers a cloned kernel calls are inlined into each clone, so
 * they too are built for its vector width. */
#if defined(__GNUC__)
#define CK_ROW_INLINE static inline __attribute__((always_inline))
#else
#define CK_ROW_INLINE static inline
#endif

/* ---- threads ---- */

/* Loops shorter than this stay on one thread: waking the team costs more. */
#define CK_PARALLEL_MIN 32768

#ifdef _OPENMP
/* Threads for a loop over `work` floats: 1 unless it is long enough. The
 * loops split this way are elementwise or write disjoint rows, so every
 * element is computed by the same operations whatever the count. */
static inline int threads_for(int64_t work) { return work >= CK_PARALLEL_MIN ? ck_get_num_threads() : 1; }
#endif

/* Run RANGE(begin, end) over [0, count): in equal contiguous parts, one per
 * thread, when several threads pay off; else one call on this thread,
 * without entering OpenMP at all (whose pool would be started for nothing). */
#ifdef _OPENMP
#define SPLIT_RANGE(count, work, RANGE)                                               \
    do {                                                                              \
        const int64_t count_ = (count);                                               \
        const int threads_ = threads_for(work);                                       \
        if (threads_ > 1) {                                                           \
            _Pragma("omp parallel num_threads(threads_)")                             \
            {                                                                         \
                const int64_t parts_ = omp_get_num_threads();                         \
                const int64_t per_ = (count_ + parts_ - 1) / parts_;                  \
                const int64_t begin_ = per_ * omp_get_thread_num();                   \
                const int64_t end_ = begin_ + per_ < count_ ? begin_ + per_ : count_; \
                if (begin_ < end_) RANGE(begin_, end_);                               \
            }                                                                         \
        } else {                                                                      \
            RANGE(0, count_);                                                         \
        }                                                                             \
    } while (0)
#else
#define SPLIT_RANGE(count, work, RANGE) RANGE(0, (count))
#endif

/* ---- short rows ----
 * Most rows here are short (an embedding of k = 20 floats, a bias): there
 * gcc's loop vectoriser spends more on run-time checks and remainders than
 * on the work. Written in blocks of 8 statements, each block becomes a few
 * vector instructions at -O2 and -O3 alike (straight-line SLP), with no
 * checks; then one block of 4, and a plain loop for the last 0-3. Every
 * element sees the same operations in the same order as the one-line loop
 * it replaces, so results are bit-identical. */
#define STEP8(STEP, j) \
    STEP(j);           \
    STEP(j + 1);       \
    STEP(j + 2);       \
    STEP(j + 3);       \
    STEP(j + 4);       \
    STEP(j + 5);       \
    STEP(j + 6);       \
    STEP(j + 7)
#define FOR_ROW(n, STEP)                                    \
    do {                                                    \
        int64_t j_ = 0;                                     \
        for (; j_ + 8 <= (n); j_ += 8) { STEP8(STEP, j_); } \
        if (j_ + 4 <= (n)) {                                \
            STEP(j_);                                       \
            STEP(j_ + 1);                                   \
            STEP(j_ + 2);                                   \
            STEP(j_ + 3);                                   \
            j_ += 4;                                        \
        }                                                   \
        for (; j_ < (n); j_++) STEP(j_);                    \
    } while (0)

#if defined(__GNUC__)
/* The row helpers below, written with GCC's vector types: a row of n is
 * blocks of 16 and 8 (one AVX2 instruction each, two SSE ones), one block
 * of 4, then 0-3 single elements, with no loop for the short rows here
 * (an embedding row of 20 is 8 + 8 + 4) and no library call for the tail.
 * Each element sees exactly the operations of the scalar statement. */
typedef float ck_f8 __attribute__((vector_size(32)));
typedef float ck_f4 __attribute__((vector_size(16)));
/* a vector variable v of type T loaded from p, and stored to p (unaligned) */
#define VLOAD(T, v, p) \
    T v;               \
    __builtin_memcpy(&v, (p), sizeof v)
#define VSTORE(p, v) __builtin_memcpy((p), &(v), sizeof(v))

/* ROW(n, V8, V4, S1): V8(j, ck_f8) and V4(j, ck_f4) do elements j.. as one
 * vector, S1(j) element j alone. */
#define ROW(n, V8, V4, S1)                    \
    do {                                      \
        int64_t j_ = 0;                       \
        for (; j_ + 16 <= (n); j_ += 16) {    \
            V8(j_, ck_f8);                    \
            V8(j_ + 8, ck_f8);                \
        }                                     \
        if (j_ + 8 <= (n)) {                  \
            V8(j_, ck_f8);                    \
            j_ += 8;                          \
        }                                     \
        if (j_ + 4 <= (n)) {                  \
            V4(j_, ck_f4);                    \
            j_ += 4;                          \
        }                                     \
        switch ((n)-j_) {                     \
        case 3: S1(j_ + 2); /* fallthrough */ \
        case 2: S1(j_ + 1); /* fallthrough */ \
        case 1: S1(j_); break;                \
        default: break;                       \
        }                                     \
    } while (0)
#endif

/* y = s x */
CK_ROW_INLINE void row_scale(float *restrict y, const float *restrict x, int64_t n, float s)
{
#if defined(__GNUC__)
#define SCALE_V(j, T)          \
    do {                       \
        VLOAD(T, v_, x + (j)); \
        v_ = s * v_;           \
        VSTORE(y + (j), v_);   \
    } while (0)
#define SCALE_1(j) y[j] = s * x[j]
    ROW(n, SCALE_V, SCALE_V, SCALE_1);
#undef SCALE_V
#undef SCALE_1
#else
#define SCALE_STEP(j) y[j] = s * x[j]
    FOR_ROW(n, SCALE_STEP);
#undef SCALE_STEP
#endif
}

/* y += s x */
CK_ROW_INLINE void row_axpy(float *restrict y, const float *restrict x, int64_t n, float s)
{
#if defined(__GNUC__)
#define AXPY_V(j, T)           \
    do {                       \
        VLOAD(T, v_, y + (j)); \
        VLOAD(T, w_, x + (j)); \
        v_ += s * w_;          \
        VSTORE(y + (j), v_);   \
    } while (0)
#define AXPY_1(j) y[j] += s * x[j]
    ROW(n, AXPY_V, AXPY_V, AXPY_1);
#undef AXPY_V
#undef AXPY_1
#else
#define AXPY_STEP(j) y[j] += s * x[j]
    FOR_ROW(n, AXPY_STEP);
#undef AXPY_STEP
#endif
}

/* y = x */
CK_ROW_INLINE void row_copy(float *restrict y, const float *restrict x, int64_t n)
{
#if defined(__GNUC__)
#define COPY_V(j, T)           \
    do {                       \
        VLOAD(T, v_, x + (j)); \
        VSTORE(y + (j), v_);   \
    } while (0)
#define COPY_1(j) y[j] = x[j]
    ROW(n, COPY_V, COPY_V, COPY_1);
#undef COPY_V
#undef COPY_1
#else
#define COPY_STEP(j) y[j] = x[j]
    FOR_ROW(n, COPY_STEP);
#undef COPY_STEP
#endif
}

/* y += x */
CK_ROW_INLINE void row_add(float *restrict y, const float *restrict x, int64_t n)
{
#if defined(__GNUC__)
#define ADD_V(j, T)            \
    do {                       \
        VLOAD(T, v_, y + (j)); \
        VLOAD(T, w_, x + (j)); \
        v_ += w_;              \
        VSTORE(y + (j), v_);   \
    } while (0)
#define ADD_1(j) y[j] += x[j]
    ROW(n, ADD_V, ADD_V, ADD_1);
#undef ADD_V
#undef ADD_1
#else
#define ADD_STEP(j) y[j] += x[j]
    FOR_ROW(n, ADD_STEP);
#undef ADD_STEP
#endif
}

/* y += a b */
CK_ROW_INLINE void row_mul_add(float *restrict y, const float *restrict a, const float *restrict b, int64_t n)
{
#if defined(__GNUC__)
#define MUL_ADD_V(j, T)        \
    do {                       \
        VLOAD(T, v_, y + (j)); \
        VLOAD(T, p_, a + (j)); \
        VLOAD(T, q_, b + (j)); \
        v_ += p_ * q_;         \
        VSTORE(y + (j), v_);   \
    } while (0)
#define MUL_ADD_1(j) y[j] += a[j] * b[j]
    ROW(n, MUL_ADD_V, MUL_ADD_V, MUL_ADD_1);
#undef MUL_ADD_V
#undef MUL_ADD_1
#else
#define MUL_ADD_STEP(j) y[j] += a[j] * b[j]
    FOR_ROW(n, MUL_ADD_STEP);
#undef MUL_ADD_STEP
#endif
}

/* sums (n) += f_i rows[i] for i < count, in row order (rows row_stride
 * apart; f_i = factors[i factor_stride], or 1 when factors is NULL: the
 * row itself). A weight's or a bias's gradient. Up to 32 columns stay in
 * registers over all rows, as independent sums in one loop: the same adds
 * in the same order as adding row after row into memory, without each
 * row waiting for the last one's store, or one column block's chain of
 * adds for another's. */
CK_ROW_INLINE void add_column_sums(float *restrict sums, const float *restrict rows, int64_t row_stride, int64_t count,
                                   int64_t n, const float *restrict factors, int64_t factor_stride)
{
    int64_t j = 0;
#if defined(__GNUC__)
#define TERM_OF(i, v) (factors ? factors[(i)*factor_stride] * (v) : (v))
    while (n - j >= 8) {
        const int64_t blocks = (n - j) / 8 < 4 ? (n - j) / 8 : 4; /* of 8 columns: 1 to 4 */
        const int tail4 = blocks < 4 && n - j - 8 * blocks >= 4;  /* and 4 more */
        VLOAD(ck_f8, s0, sums + j);
        ck_f8 s1 = s0, s2 = s0, s3 = s0;
        ck_f4 s4 = {0};
        if (blocks > 1) __builtin_memcpy(&s1, sums + j + 8, sizeof s1);
        if (blocks > 2) __builtin_memcpy(&s2, sums + j + 16, sizeof s2);
        if (blocks > 3) __builtin_memcpy(&s3, sums + j + 24, sizeof s3);
        if (tail4) __builtin_memcpy(&s4, sums + j + 8 * blocks, sizeof s4);
        for (int64_t i = 0; i < count; i++) {
            const float *restrict row = rows + i * row_stride + j;
            VLOAD(ck_f8, d0, row);
            s0 += TERM_OF(i, d0);
            if (blocks > 1) {
                VLOAD(ck_f8, d1, row + 8);
                s1 += TERM_OF(i, d1);
            }
            if (blocks > 2) {
                VLOAD(ck_f8, d2, row + 16);
                s2 += TERM_OF(i, d2);
            }
            if (blocks > 3) {
                VLOAD(ck_f8, d3, row + 24);
                s3 += TERM_OF(i, d3);
            }
            if (tail4) {
                VLOAD(ck_f4, d4, row + 8 * blocks);
                s4 += TERM_OF(i, d4);
            }
        }
        VSTORE(sums + j, s0);
        if (blocks > 1) VSTORE(sums + j + 8, s1);
        if (blocks > 2) VSTORE(sums + j + 16, s2);
        if (blocks > 3) VSTORE(sums + j + 24, s3);
        if (tail4) VSTORE(sums + j + 8 * blocks, s4);
        j += 8 * blocks + 4 * tail4;
    }
#undef TERM_OF
#endif
    for (; j < n; j += 8) { /* the last columns (all of them without vectors), 8 sums at a time */
        const int64_t w = n - j < 8 ? n - j : 8;
        float t[8];
        for (int64_t c = 0; c < w; c++) t[c] = sums[j + c];
        for (int64_t i = 0; i < count; i++)
            for (int64_t c = 0; c < w; c++) {
                const float v = rows[i * row_stride + j + c];
                t[c] += factors ? factors[i * factor_stride] * v : v;
            }
        for (int64_t c = 0; c < w; c++) sums[j + c] = t[c];
    }
}

#endif
