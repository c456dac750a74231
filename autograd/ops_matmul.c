/* ops_matmul.c - matrix product: shape rule, forward, backward and
 * constructor (see ops_internal.h for the conventions, op_table.c for the row). */
#include "ck_kernels.h"
#include "ops_internal.h"

/* ---- matmul: a (..., k) @ b (k, n) -> (..., n); leading dims of a are rows ---- */

int ck_matmul_shape(ck_node *n)
{
    char sa[SHAPE_BUF], sb[SHAPE_BUF];
    if (require_inputs(n, 2) < 0 || require_f32(n, 0) < 0 || require_f32(n, 1) < 0) return -1;
    ck_shape a = n->in[0]->value.shape, b = n->in[1]->value.shape;
    if (a.ndim < 1 || b.ndim != 2)
        return ck_fail("matmul: shapes %s and %s: expected (..., k) @ (k, n)", ck_shape_str(a, sa, sizeof sa),
                       ck_shape_str(b, sb, sizeof sb));
    if (a.d[a.ndim - 1] != b.d[0])
        return ck_fail("matmul: shapes %s and %s: inner dims %d and %d differ", ck_shape_str(a, sa, sizeof sa),
                       ck_shape_str(b, sb, sizeof sb), a.d[a.ndim - 1], b.d[0]);
    n->value.dtype = CK_F32;
    n->value.shape = a;
    n->value.shape.d[a.ndim - 1] = b.d[1];
    return 0;
}

int ck_matmul_forward(ck_tape *t, ck_node *n)
{
    const ck_tensor *a = &n->in[0]->value, *b = &n->in[1]->value;
    int64_t k = b->shape.d[0], cols = b->shape.d[1];
    int64_t rows = k ? a->size / k : 0;
    ck_k_matmul(n->value.f, a->f, b->f, rows, k, cols);
    /* dA = dC b^T: the built-in loops walk b^T row by row, so they get a
     * transposed copy (sgemm reads b transposed as it is). */
    if (n->in[0]->grad && ck_tape_grad_enabled(t) && ck_k_matmul_backward_a_needs_bt(rows, k, cols)) {
        float *bt = ck_tape_alloc(t, (size_t)(k * cols) * sizeof(float));
        if (!bt) return -1;
        ck_k_transpose(bt, b->f, k, cols);
        n->saved = bt;
    }
    return 0;
}

/* Adds into both gradients (no CK_OP_ASSIGNS_GRAD): the tape zeroes them. */
void ck_matmul_backward(ck_node *n)
{
    const ck_tensor *a = &n->in[0]->value, *b = &n->in[1]->value;
    int64_t k = b->shape.d[0], cols = b->shape.d[1];
    int64_t rows = k ? a->size / k : 0;
    if (n->in[0]->grad) {
        if (n->saved || !ck_k_matmul_backward_a_needs_bt(rows, k, cols)) {
            ck_k_matmul_backward_a(n->in[0]->grad, n->grad, b->f, n->saved, rows, k, cols);
        } else { /* no saved transpose: slower dot products, equal up to rounding */
            for (int64_t i = 0; i < rows; i++)
                for (int64_t p = 0; p < k; p++) {
                    float dot = 0.0f;
                    for (int64_t j = 0; j < cols; j++) dot += n->grad[i * cols + j] * b->f[p * cols + j];
                    n->in[0]->grad[i * k + p] += dot;
                }
        }
    }
    if (n->in[1]->grad) ck_k_matmul_backward_b(n->in[1]->grad, a->f, n->grad, rows, k, cols);
}

ck_node *ck_matmul(ck_tape *t, ck_node *a, ck_node *b) { return apply2(t, CK_OP_MATMUL, a, b, NULL); }
