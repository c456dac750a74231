/* custom_op - write your own differentiable op, from user code.
 *
 * The library's ops are rows of one table (autograd/op_table.c), and a row
 * is a plain struct: ck_op {name, shape, forward, backward, flags, onnx}.
 * User code can make its own row and run it with ck_apply(); nothing in
 * the library changes. The last field says which ONNX nodes the op becomes,
 * so a model using it can be exported (ck_export_onnx).
 *
 * The op here is the FM's pairwise interaction, fused into one op:
 *
 *     x (B, p, k)  ->  y (B, 1),   y[b] = sum_{i<j} <x[b,i,:], x[b,j,:]>
 *
 * computed in O(p k) with the sum-square identity
 *
 *     sum_{i<j} <x_i, x_j> = 0.5 * sum_k ((sum_i x_ik)^2 - sum_i x_ik^2)
 *
 * and its gradient, by differentiating the right-hand side:
 *
 *     dy / dx_ik = s_k - x_ik,    s_k = sum_i x_ik
 *
 * (each x_i meets the sum of all the OTHER vectors). The notebook builds the
 * same value from 7 layers (sum, square, multiply, subtract, ...); fused, it
 * records one node and keeps only s (B, k) for backward.
 *
 * The program checks the op three ways and exits non-zero if one fails:
 *  1. forward against the O(p^2 k) double loop over pairs;
 *  2. ck_gradcheck: the backward above against central differences;
 *  3. inside a model: Input -> Lambda(pairwise) -> Dense(1), predict, and
 *     compare with the same graph built from the library's own ops.
 * With --onnx FILE it also exports that model (when the library was built
 * with ONNX support); tests/onnx checks the file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "ck_gradcheck.h"
#include "ck_model.h"
#include "ck_onnx.h"

/* ---- the op: shape rule, forward, backward ---- */

/* x (B, p, k) F32 -> (B, 1) F32 */
static int pairwise_shape(ck_node *n)
{
    char buf[64];
    if (n->n_in != 1) return ck_fail("pairwise: expected 1 input, got %d", n->n_in);
    const ck_tensor *x = &n->in[0]->value;
    if (x->dtype != CK_F32 || x->shape.ndim != 3)
        return ck_fail("pairwise: expected float32 (B, p, k), got %s%s", x->dtype == CK_F32 ? "" : "int32 ",
                       ck_shape_str(x->shape, buf, sizeof buf));
    n->value.dtype = CK_F32;
    n->value.shape = ck_shape_of(2, x->shape.d[0], 1);
    return 0;
}

static int pairwise_forward(ck_tape *t, ck_node *n)
{
    const ck_tensor *x = &n->in[0]->value;
    int64_t batch = x->shape.d[0], p = x->shape.d[1], k = x->shape.d[2];
    /* s (B, k): the per-dim sums, kept for backward (arena memory, freed at
     * the end of the step like every other temporary). */
    float *s = ck_tape_alloc(t, (size_t)(batch * k) * sizeof(float));
    if (!s) return -1;
    for (int64_t b = 0; b < batch; b++) {
        const float *xb = x->f + b * p * k; /* (p, k) */
        float *sb = s + b * k;              /* (k) */
        float sum_of_squares = 0.0f;
        for (int64_t i = 0; i < p; i++)
            for (int64_t d = 0; d < k; d++) {
                sb[d] += xb[i * k + d];
                sum_of_squares += xb[i * k + d] * xb[i * k + d];
            }
        float square_of_sum = 0.0f;
        for (int64_t d = 0; d < k; d++) square_of_sum += sb[d] * sb[d];
        n->value.f[b] = 0.5f * (square_of_sum - sum_of_squares);
    }
    n->saved = s;
    return 0;
}

/* dx[b, i, d] += g[b] * (s[b, d] - x[b, i, d]) */
static void pairwise_backward(ck_node *n)
{
    float *dx = n->in[0]->grad;
    if (!dx) return;
    const ck_tensor *x = &n->in[0]->value;
    int64_t batch = x->shape.d[0], p = x->shape.d[1], k = x->shape.d[2];
    const float *s = n->saved;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < p; i++)
            for (int64_t d = 0; d < k; d++) {
                int64_t at = (b * p + i) * k + d;
                dx[at] += n->grad[b] * (s[b * k + d] - x->f[at]);
            }
}

/* The op as ONNX nodes, for ck_export_onnx: the same identity, with ONNX
 * operators (in[0] is x's ONNX name, out the name the result must get):
 *     s  = ReduceSum(x, axes [1])                  (B, k)
 *     a  = ReduceSum(s * s, axes [1], keepdims)     (B, 1)
 *     c  = ReduceSum(ReduceSum(x * x, [2]), [1], keepdims)  (B, 1)
 *     out = 0.5 * (a - c) */
static int pairwise_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    const int64_t field_axis = 1, dim_axis = 2;
    const char *fields = ck_onnx_ints(e, "field_axis", &field_axis, 1);
    const char *dims = ck_onnx_ints(e, "dim_axis", &dim_axis, 1);
    const char *half = ck_onnx_scalar(e, "half", CK_ONNX_FLOAT, 0.5);
    const char *s = e->value(e, "sum"), *s2 = e->value(e, "square_of_sum"), *a = e->value(e, "sum_square_of_sum");
    const char *x2 = e->value(e, "square"), *x2_fields = e->value(e, "sum_square_dims");
    const char *c = e->value(e, "sum_of_squares"), *diff = e->value(e, "diff");
    if (!fields || !dims || !half || !s || !s2 || !a || !x2 || !x2_fields || !c || !diff) return -1;
    ck_onnx_attr drop = ck_onnx_attr_int("keepdims", 0), keep = ck_onnx_attr_int("keepdims", 1);
    if (ck_onnx_node(e, "ReduceSum", (const char *[]){in[0], fields}, 2, s, &drop, 1) < 0 ||
        ck_onnx_node(e, "Mul", (const char *[]){s, s}, 2, s2, NULL, 0) < 0 ||
        ck_onnx_node(e, "ReduceSum", (const char *[]){s2, fields}, 2, a, &keep, 1) < 0 ||
        ck_onnx_node(e, "Mul", (const char *[]){in[0], in[0]}, 2, x2, NULL, 0) < 0 ||
        ck_onnx_node(e, "ReduceSum", (const char *[]){x2, dims}, 2, x2_fields, &drop, 1) < 0 ||
        ck_onnx_node(e, "ReduceSum", (const char *[]){x2_fields, fields}, 2, c, &keep, 1) < 0 ||
        ck_onnx_node(e, "Sub", (const char *[]){a, c}, 2, diff, NULL, 0) < 0)
        return -1;
    return ck_onnx_node(e, "Mul", (const char *[]){diff, half}, 2, out, NULL, 0);
}

/* The op's row: the same struct as every row of the built-in table. Flags 0
 * are the safe defaults: the value is zeroed before forward, backward adds.
 * The last field is the ONNX translation (NULL: the op cannot be exported,
 * and ck_export_onnx refuses a model using it, naming the op). */
static const ck_op pairwise_op = {"pairwise", pairwise_shape, pairwise_forward, pairwise_backward, 0, pairwise_onnx};

static ck_node *pairwise(ck_tape *t, ck_node *x)
{
    ck_node *in[1] = {x};
    return ck_apply(t, &pairwise_op, in, 1, NULL);
}

/* ---- checks ---- */

enum { B = 3, P = 4, K = 5 };

/* O(p^2 k): every pair once, in double. */
static double pairwise_reference(const float *x, int p, int k)
{
    double total = 0.0;
    for (int i = 0; i < p; i++)
        for (int j = i + 1; j < p; j++)
            for (int d = 0; d < k; d++) total += (double)x[i * k + d] * (double)x[j * k + d];
    return total;
}

static ck_node *build_pairwise(ck_tape *t, ck_node *const *inputs, int n, void *user)
{
    (void)n;
    (void)user;
    return pairwise(t, inputs[0]);
}

static int check_forward(ck_node *x)
{
    ck_tape *t = ck_tape_new();
    ck_node *y = t ? pairwise(t, x) : NULL;
    if (!y) {
        ck_tape_free(t);
        return -1;
    }
    double worst = 0.0;
    for (int b = 0; b < B; b++) {
        double expected = pairwise_reference(x->value.f + b * P * K, P, K);
        worst = fmax(worst, fabs(y->value.f[b] - expected));
    }
    ck_tape_free(t);
    printf("1. forward vs the O(p^2 k) loop over pairs: max |error| %.2e  %s\n", worst, worst < 1e-5 ? "ok" : "FAILED");
    return worst < 1e-5 ? 0 : 1;
}

static int check_gradient(ck_node *x)
{
    ck_gradcheck_result r;
    ck_node *inputs[1] = {x};
    if (ck_gradcheck(build_pairwise, NULL, inputs, 1, 0, 0, 0, &r) < 0) return -1;
    printf("2. ck_gradcheck: %ld elements, %ld failed, max abs error %.2e, max rel error %.2e  %s\n", r.n_checked,
           r.n_failed, r.max_abs_err, r.max_rel_err, r.ok ? "ok" : "FAILED");
    if (!r.ok)
        printf("   worst: element %ld, analytic %.6f, numeric %.6f\n", r.worst_index, r.worst_analytic,
               r.worst_numeric);
    return r.ok ? 0 : 1;
}

/* Lambda functions: the fused op, and the notebook's composition of ops. */
static ck_node *fused_lambda(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return pairwise(t, in[0]); /* (B, 1) */
}

static ck_node *composed_lambda(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    ck_node *sum = ck_sum(t, in[0], 1, 0);                          /* (B, k) */
    ck_node *sum_of_squares = ck_sum(t, ck_square(t, in[0]), 1, 0); /* (B, k) */
    ck_node *half = ck_scale(t, ck_sub(t, ck_square(t, sum), sum_of_squares), 0.5f);
    return ck_sum(t, half, 1, 1); /* (B, 1) */
}

/* Input (p, k) -> Lambda(fn) -> Dense(1); predictions for x; exported to
 * onnx_path too when it is not NULL. */
static ck_tensor *predict_with(ck_lambda_fn fn, const ck_tensor *x, const char *onnx_path)
{
    ck_session *s = ck_session_new(7); /* same seed: the same Dense weights */
    ck_sym *in = ck_Input(s, ck_shape_of(2, P, K), CK_F32, "fields");
    ck_sym *y = ck_call1(ck_Lambda(s, fn, NULL, "pairwise_interaction"), in);
    y = ck_call1(ck_Dense(s, 1, NULL, "output"), y);
    ck_model *m = ck_Model(s, &in, 1, &y, 1, "pairwise_model");
    ck_tensor *pred = m ? ck_predict(m, x, 1, 2) : NULL;
    if (pred && fn == fused_lambda) ck_summary(m, stdout);
    if (pred && onnx_path) {
        if (ck_export_onnx(m, onnx_path, NULL) < 0) {
            ck_tensor_free(pred);
            pred = NULL;
        } else {
            printf("exported to %s\n", onnx_path);
        }
    }
    ck_session_free(s);
    return pred;
}

static int check_in_model(const ck_tensor *x, const char *onnx_path)
{
    ck_tensor *fused = predict_with(fused_lambda, x, onnx_path);
    ck_tensor *composed = fused ? predict_with(composed_lambda, x, NULL) : NULL;
    if (!composed) {
        ck_tensor_free(fused);
        return -1;
    }
    double worst = 0.0;
    for (int64_t b = 0; b < fused->size; b++) worst = fmax(worst, fabs(fused->f[b] - composed->f[b]));
    ck_tensor_free(fused);
    ck_tensor_free(composed);
    printf("3. Lambda(pairwise) in a model vs the same graph from built-in ops: max |diff| %.2e  %s\n", worst,
           worst < 1e-5 ? "ok" : "FAILED");
    return worst < 1e-5 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *onnx_path = argc == 3 && !strcmp(argv[1], "--onnx") ? argv[2] : NULL;
    if (argc != 1 && !onnx_path) {
        fprintf(stderr, "usage: custom_op [--onnx FILE]\n");
        return 2;
    }
    ck_rng rng;
    ck_rng_seed(&rng, 42);
    /* x (B, p, k): values O(1), where float32 central differences are reliable */
    ck_node *x = ck_param(ck_tensor_uniform(ck_shape_of(3, B, P, K), -1.0f, 1.0f, &rng), "x");
    if (!x) {
        fprintf(stderr, "custom_op: %s\n", ck_error());
        return 1;
    }

    int failed = 0, rc;
    if ((rc = check_forward(x)) < 0) goto error;
    failed += rc;
    if ((rc = check_gradient(x)) < 0) goto error;
    failed += rc;
    if ((rc = check_in_model(&x->value, onnx_path)) < 0) goto error;
    failed += rc;
    ck_param_free(x);
    printf(failed ? "custom_op: %d check(s) FAILED\n" : "custom_op: all checks passed\n", failed);
    return failed ? 1 : 0;

error:
    fprintf(stderr, "custom_op: %s\n", ck_error() ? ck_error() : "unknown error");
    ck_param_free(x);
    return 1;
}
