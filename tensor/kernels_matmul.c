/* kernels_matmul.c - row-major matrix products, their backward, and the
 * transpose matmul's backward keeps (see ck_kernels.h). */
#include "kernels_internal.h"

/* ---- BLAS ----
 * Built with -Dblas (meson finds OpenBLAS or another CBLAS), the products
 * of real matrices (inner and outer dims both over 1) call sgemm: measured
 * here 5-16x faster than the loops below at the sizes of Dense layers
 * (docs/benchmarks.md), because it packs blocks of both operands for the
 * cache and registers. The matrix-vector and outer-product shapes (a Dense
 * of 1 unit or of 1 input, the FM's) keep the loops: tiny work, and their
 * sums stay in the order documented here. sgemm adds in its own order, so a
 * BLAS build's Dense layers agree with a plain build's to float rounding. */
#ifdef CK_HAVE_CBLAS
#include <cblas.h>

static int blas_shape(int64_t m, int64_t k, int64_t n)
{
    return m > 1 && k > 1 && n > 1 && m <= INT32_MAX && k <= INT32_MAX && n <= INT32_MAX;
}

/* One pool of threads: ours. OpenBLAS's pthreads build has a pool of its
 * own, and two pools that each spin while waiting for work take the same
 * two cores from each other (measured: the MLP at 2 threads took 3.76 s an
 * epoch against 2.54 s at 1). So sgemm always runs on one thread, and a
 * product big enough to share is cut into blocks of output rows, one per
 * thread of our team (each block's elements are summed exactly as in the
 * whole product's call; the split depends only on the thread count). */
#ifdef CK_HAVE_OPENBLAS
static _Atomic int blas_one_thread;
static void blas_single_thread(void)
{
    if (!blas_one_thread) {
        openblas_set_num_threads(1);
        blas_one_thread = 1;
    }
}
#else
static void blas_single_thread(void) {}
#endif

/* Multiply-adds below which a product stays on one thread. */
#define BLAS_PARALLEL_MIN (1 << 20)

/* Run BLOCK(first_row, rows) over the `rows` output rows of a product of
 * `work` multiply-adds: whole, or in one block per thread. */
#ifdef _OPENMP
#define BLAS_SPLIT(rows, work, BLOCK)                                                               \
    do {                                                                                            \
        const int64_t rows_ = (rows);                                                               \
        const int threads_ = (work) >= BLAS_PARALLEL_MIN && rows_ > 1 ? ck_get_num_threads() : 1;   \
        blas_single_thread();                                                                       \
        if (threads_ > 1) {                                                                         \
            _Pragma("omp parallel num_threads(threads_)")                                           \
            {                                                                                       \
                const int64_t parts_ = omp_get_num_threads(), per_ = (rows_ + parts_ - 1) / parts_; \
                const int64_t first_ = per_ * omp_get_thread_num();                                 \
                if (first_ < rows_) BLOCK(first_, (first_ + per_ < rows_ ? per_ : rows_ - first_)); \
            }                                                                                       \
        } else {                                                                                    \
            BLOCK(0, rows_);                                                                        \
        }                                                                                           \
    } while (0)
#else
#define BLAS_SPLIT(rows, work, BLOCK) \
    do {                              \
        blas_single_thread();         \
        BLOCK(0, (rows));             \
    } while (0)
#endif
#endif /* CK_HAVE_CBLAS */

/* ---- matrix products ---- */

CK_VECTOR_CLONES
void ck_k_matmul(float *restrict c, const float *restrict a, const float *restrict b, int64_t m, int64_t k, int64_t n)
{
#ifdef CK_HAVE_CBLAS
    if (blas_shape(m, k, n)) { /* rows [i, i + rows) of c = those of a @ b */
#define C_ROWS(i, rows)                                                                                             \
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(rows), (int)n, (int)k, 1.0f, a + (i)*k, (int)k, b, \
                (int)n, 0.0f, c + (i)*n, (int)n)
        BLAS_SPLIT(m, m * k * n, C_ROWS);
#undef C_ROWS
        return;
    }
#endif
    if (n == 1) {     /* matrix @ vector: one dot product per row */
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
        if (k == 0) {
            for (int64_t j = 0; j < n; j++) c_row[j] = 0.0f;
            continue;
        }
        row_scale(c_row, b, n, a_row[0]);
        for (int64_t p = 1; p < k; p++) row_axpy(c_row, b + p * n, n, a_row[p]);
    }
}

int ck_k_matmul_backward_a_needs_bt(int64_t m, int64_t k, int64_t n)
{
#ifdef CK_HAVE_CBLAS
    if (blas_shape(m, k, n)) return 0; /* sgemm reads b transposed in place */
#endif
    (void)m;
    (void)k;
    return n > 1; /* with one column, b (k, 1) already is b^T's layout */
}

CK_VECTOR_CLONES
void ck_k_matmul_backward_a(float *restrict da, const float *restrict dc, const float *restrict b,
                            const float *restrict bt, int64_t m, int64_t k, int64_t n)
{
#ifdef CK_HAVE_CBLAS
    if (blas_shape(m, k, n)) { /* da (m, k) += dc (m, n) @ b^T, b (k, n) read transposed; by rows of da */
#define DA_ROWS(i, rows)                                                                                           \
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(rows), (int)k, (int)n, 1.0f, dc + (i)*n, (int)n, b, \
                (int)n, 1.0f, da + (i)*k, (int)k)
        BLAS_SPLIT(m, m * k * n, DA_ROWS);
#undef DA_ROWS
        return;
    }
#endif
    if (n == 1) { /* da[i, p] += dc[i] b[p]: one term each (a Dense of one unit, its input a few values) */
        for (int64_t i = 0; i < m; i++)
            for (int64_t p = 0; p < k; p++) da[i * k + p] += dc[i] * b[p];
        return;
    }
    /* da[i, :] += sum_j dc[i, j] * bt[j, :]: unit stride along k. */
    for (int64_t i = 0; i < m; i++) {
        float *restrict da_row = da + i * k;
        const float *restrict dc_row = dc + i * n;
        for (int64_t j = 0; j < n; j++) row_axpy(da_row, bt + j * k, k, dc_row[j]);
    }
}

CK_VECTOR_CLONES
void ck_k_matmul_backward_b(float *restrict db, const float *restrict a, const float *restrict dc, int64_t m, int64_t k,
                            int64_t n)
{
#ifdef CK_HAVE_CBLAS
    if (blas_shape(m, k, n)) { /* db (k, n) += a^T (k, m) @ dc (m, n), by rows of db (columns of a) */
#define DB_ROWS(p, rows)                                                                                         \
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(rows), (int)n, (int)m, 1.0f, a + (p), (int)k, dc, \
                (int)n, 1.0f, db + (p)*n, (int)n)
        BLAS_SPLIT(k, m * k * n, DB_ROWS);
#undef DB_ROWS
        return;
    }
#endif
    /* db[p, j] += a[i, p] * dc[i, j], i in order: row p of db is the
     * column sums of dc weighted by a's column p. */
    for (int64_t p = 0; p < k; p++) add_column_sums(db + p * n, dc, n, m, n, a + p, k);
}

void ck_k_transpose(float *restrict dst, const float *restrict src, int64_t rows, int64_t cols)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}
