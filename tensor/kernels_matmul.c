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

/* The calling thread's count (ck_run_threads's workers keep the count
 * their caller set, 1: see kernels_threads.c). */
static void blas_set_threads(void)
{
#ifdef _OPENMP
    if (omp_in_parallel()) return;
#endif
    ck_blas_threads(ck_get_num_threads());
}
#endif

#ifdef CK_HAVE_OPENBLAS
/* OpenBLAS starts one thread per core unless told: it gets ours. */
static _Atomic int blas_threads;
void ck_blas_threads(int n)
{
    if (n != blas_threads) {
        openblas_set_num_threads(n);
        blas_threads = n;
    }
}
#else
void ck_blas_threads(int n) { (void)n; }
#endif

/* ---- matrix products ---- */

CK_VECTOR_CLONES
void ck_k_matmul(float *restrict c, const float *restrict a, const float *restrict b, int64_t m, int64_t k, int64_t n)
{
#ifdef CK_HAVE_CBLAS
    if (blas_shape(m, k, n)) {
        blas_set_threads();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, a, (int)k, b, (int)n, 0.0f,
                    c, (int)n);
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

CK_VECTOR_CLONES
void ck_k_matmul_backward_a(float *restrict da, const float *restrict dc, const float *restrict bt, int64_t m,
                            int64_t k, int64_t n)
{
#ifdef CK_HAVE_CBLAS
    if (blas_shape(m, k, n)) { /* da (m, k) += dc (m, n) @ bt (n, k) */
        blas_set_threads();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)k, (int)n, 1.0f, dc, (int)n, bt, (int)k,
                    1.0f, da, (int)k);
        return;
    }
#endif
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
    if (blas_shape(m, k, n)) { /* db (k, n) += a^T (k, m) @ dc (m, n) */
        blas_set_threads();
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)n, (int)m, 1.0f, a, (int)k, dc, (int)n, 1.0f,
                    db, (int)n);
        return;
    }
#endif
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
