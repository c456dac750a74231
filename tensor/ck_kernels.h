/* ck_kernels.h - the plain float32 loops behind the autograd ops
 * (tensor/kernels_*.c, one file per family below).
 *
 * No shapes, no tensors, no errors: pointers and sizes only, so each loop is
 * easy to read, to test and to vectorise (restrict pointers, unit strides,
 * no calls inside the loops). Each function says whether it assigns (=) or
 * accumulates (+=) into its output: most backward kernels accumulate, and
 * those named *_assign (and ck_k_copy_rows) assign, for an op that writes a
 * gradient holding nothing yet. Sizes are element counts. */
#ifndef CK_KERNELS_H
#define CK_KERNELS_H

#include <stdint.h>

#include "ck_tensor.h"

/* ---- broadcasting elementwise ops (kernels_elementwise.c) ---- */
/* max and min pick a where a >= b (a <= b for min), ties included: the
 * gradient follows the pick, as TF's Maximum and Minimum gradients do. */
typedef enum ck_binop { CK_BIN_ADD, CK_BIN_SUB, CK_BIN_MUL, CK_BIN_DIV, CK_BIN_MAX, CK_BIN_MIN } ck_binop;

/* How two inputs broadcast to one output, simplified for fast loops: the
 * output is walked as 4 nested dims d[0..3] (leading dims 1 when unused) and
 * each input steps by its stride per dim, 0 where it is stretched.
 * Neighbouring dims are merged when both inputs allow it, so same-shape and
 * scalar cases become one flat loop and (B, n) + (n) a loop over rows. */
typedef struct ck_bcast {
    int64_t d[CK_MAX_DIMS];
    int64_t stride_a[CK_MAX_DIMS];
    int64_t stride_b[CK_MAX_DIMS];
} ck_bcast;

/* numpy rule: shapes aligned from the right, each pair of dims equal or one
 * of them 1. Returns 0 and fills *out (may be NULL) and *plan, or -1 (no
 * message: the caller names the op). */
int ck_bcast_plan(ck_shape a, ck_shape b, ck_shape *out, ck_bcast *plan);

/* out = a op b (out must not alias a or b). */
void ck_k_binary(ck_binop op, const ck_bcast *p, const float *a, const float *b, float *out);
/* grad_a += d(out)/da * g, grad_b += d(out)/db * g, summed over stretched
 * dims. Either gradient may be NULL (skipped). */
void ck_k_binary_backward(ck_binop op, const ck_bcast *p, const float *a, const float *b, const float *g, float *grad_a,
                          float *grad_b);

/* ---- simple elementwise (kernels_elementwise.c) ---- */
/* x = value */
void ck_k_fill(float *restrict x, int64_t n, float value);
/* y += alpha * x */
void ck_k_axpy(float *restrict y, const float *restrict x, int64_t n, float alpha);
/* y = alpha * x */
void ck_k_scale(float *restrict y, const float *restrict x, int64_t n, float alpha);
/* y = x^2 */
void ck_k_square(float *restrict y, const float *restrict x, int64_t n);
/* gx += 2 x g */
void ck_k_square_backward(float *restrict gx, const float *restrict x, const float *restrict g, int64_t n);
/* gx = 2 x g: the same, assigning */
void ck_k_square_backward_assign(float *restrict gx, const float *restrict x, const float *restrict g, int64_t n);
/* gx = (gx + g x) + g x: mul(x, x)'s two terms in one pass, added as mul's
 * backward adds them one input after the other */
void ck_k_mul_self_backward(float *restrict gx, const float *restrict x, const float *restrict g, int64_t n);
/* y = max(x, 0) */
void ck_k_relu(float *restrict y, const float *restrict x, int64_t n);
/* gx += g where y > 0 (y is relu's output) */
void ck_k_relu_backward(float *restrict gx, const float *restrict y, const float *restrict g, int64_t n);
/* y = 1 / (1 + e^-x) */
void ck_k_sigmoid(float *restrict y, const float *restrict x, int64_t n);
/* gx += g y (1 - y) */
void ck_k_sigmoid_backward(float *restrict gx, const float *restrict y, const float *restrict g, int64_t n);
/* y = tanh x */
void ck_k_tanh(float *restrict y, const float *restrict x, int64_t n);
/* gx += g (1 - y^2) */
void ck_k_tanh_backward(float *restrict gx, const float *restrict y, const float *restrict g, int64_t n);

/* ---- unary math and activations, one switch per call (kernels_math.c) ---- */
/* p and q are the op's constants where it has them, ignored otherwise. */
/* Constants of the activations, shared with their ONNX translations. */
/* Keras's selu constants (tf.nn.selu, Klambauer et al. 2017). */
#define CK_SELU_ALPHA 1.6732632423543772848170429916717f
#define CK_SELU_SCALE 1.0507009873554804934193349852946f
#define CK_INV_SQRT2 0.70710678118654752440f      /* 1 / sqrt(2): gelu's erf argument */
#define CK_SQRT_2_OVER_PI 0.79788456080286535588f /* sqrt(2 / pi): gelu's tanh form */
#define CK_GELU_CUBIC 0.044715f                   /* gelu's tanh form: x + 0.044715 x^3 */
typedef enum ck_unop {
    CK_UN_EXP,         /* e^x */
    CK_UN_LOG,         /* ln x: -inf at 0, NaN below (as numpy) */
    CK_UN_SQRT,        /* sqrt x */
    CK_UN_ABS,         /* |x|; derivative sign(x), 0 at 0 (as TF) */
    CK_UN_POW,         /* x^p */
    CK_UN_CLIP,        /* min(max(x, p), q); derivative 1 on [p, q], 0 outside (as TF) */
    CK_UN_SOFTPLUS,    /* ln(1 + e^x) = ln(1 + e^-|x|) + max(x, 0) */
    CK_UN_SOFTSIGN,    /* x / (1 + |x|) */
    CK_UN_ELU,         /* x > 0 ? x : p (e^x - 1) */
    CK_UN_SELU,        /* scale * elu(x, alpha), Keras's constants */
    CK_UN_GELU,        /* x Phi(x) = x erfc(-x / sqrt 2) / 2 */
    CK_UN_GELU_TANH,   /* x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2 */
    CK_UN_SWISH,       /* x sigmoid(x) */
    CK_UN_LEAKY_RELU,  /* x > 0 ? x : p x */
    CK_UN_LOG_SIGMOID, /* ln sigmoid(x) = min(x, 0) - ln(1 + e^-|x|) */
} ck_unop;
/* y = op(x) */
void ck_k_unary(ck_unop op, float *restrict y, const float *restrict x, int64_t n, float p, float q);
/* gx += g op'(x), given x and y = op(x) (each op reads the cheaper) */
void ck_k_unary_backward(ck_unop op, float *restrict gx, const float *restrict x, const float *restrict y,
                         const float *restrict g, int64_t n, float p, float q);
/* gx = g op'(x): the same, assigning */
void ck_k_unary_backward_assign(ck_unop op, float *restrict gx, const float *restrict x, const float *restrict y,
                                const float *restrict g, int64_t n, float p, float q);

/* ---- reductions: x viewed as (outer, len, inner), reduce the middle (kernels_reduce.c) ---- */
/* out (outer, inner) = scale * sum over len of x */
void ck_k_sum_axis(float *restrict out, const float *restrict x, int64_t outer, int64_t len, int64_t inner,
                   float scale);
/* gx (outer, len, inner) += scale * g (outer, inner) */
void ck_k_sum_axis_backward(float *restrict gx, const float *restrict g, int64_t outer, int64_t len, int64_t inner,
                            float scale);
/* gx (outer, len, inner) = scale * g (outer, inner): the same, assigning */
void ck_k_sum_axis_backward_assign(float *restrict gx, const float *restrict g, int64_t outer, int64_t len,
                                   int64_t inner, float scale);
/* The same sums (kernels_parts.c) over the concatenation along the summed axis of n_parts
 * parts, read in place: part p is (outer, lens[p], inner), lens[p] >= 1;
 * out (outer, inner) = sum over the parts' rows, in order, of scale * x (or
 * of scale * x^2 when squared). Float for float the sum of the
 * concatenation (of its square). */
void ck_k_sum_parts(float *restrict out, const float *const *parts, const int64_t *lens, int n_parts, int64_t outer,
                    int64_t inner, float scale, int squared);
/* Its backward, rows of the concatenation given one by one: row r at
 * outer row o is gx[r] + o strides[r] (its values x[r] + o strides[r],
 * read when squared); gx (+)= scale g (outer, inner), or 2 x (scale g) when
 * squared; added when accumulating, else assigned. */
void ck_k_sum_parts_backward(float *const *gx, const float *const *x, const int64_t *strides, int64_t n_rows,
                             const float *restrict g, int64_t outer, int64_t inner, float scale, int squared,
                             int accumulate);
/* Two of those in one pass over the same rows, a sum's and a sum of
 * squares' (first squared when squared_first, second the other kind): gx
 * (+)= first, then += second, as the two calls in that order. */
void ck_k_sum_parts_backward_pair(float *const *gx, const float *const *x, const int64_t *strides, int64_t n_rows,
                                  const float *restrict g_first, float scale_first, int squared_first,
                                  const float *restrict g_second, float scale_second, int64_t outer, int64_t inner,
                                  int accumulate);

/* Masked mean over the middle axis, mask (outer, len): out (outer, inner) =
 * sum over l of (mask / count) x, 0 where the count is 0; and its backward
 * into x, gx += (mask / count) g (kernels_reduce.c). */
void ck_k_masked_mean(float *restrict out, const float *restrict x, const float *restrict mask, int64_t outer,
                      int64_t len, int64_t inner);
void ck_k_masked_mean_backward(float *restrict gx, const float *restrict g, const float *restrict mask, int64_t outer,
                               int64_t len, int64_t inner);

/* ---- softmax along the middle axis of (outer, len, inner) (kernels_softmax.c) ---- */
/* y = e^(x - max) / sum e^(x - max) along len: no overflow for any finite x */
void ck_k_softmax_axis(float *restrict y, const float *restrict x, int64_t outer, int64_t len, int64_t inner);
/* y = x - max - ln sum e^(x - max) along len */
void ck_k_log_softmax_axis(float *restrict y, const float *restrict x, int64_t outer, int64_t len, int64_t inner);
/* gx += y (g - sum_len g y), y = softmax's output */
void ck_k_softmax_axis_backward(float *restrict gx, const float *restrict y, const float *restrict g, int64_t outer,
                                int64_t len, int64_t inner);
/* gx = y (g - sum_len g y): the same, assigning */
void ck_k_softmax_axis_backward_assign(float *restrict gx, const float *restrict y, const float *restrict g,
                                       int64_t outer, int64_t len, int64_t inner);
/* gx += g - e^y sum_len g, y = log_softmax's output */
void ck_k_log_softmax_axis_backward(float *restrict gx, const float *restrict y, const float *restrict g, int64_t outer,
                                    int64_t len, int64_t inner);
/* gx = g - e^y sum_len g: the same, assigning */
void ck_k_log_softmax_axis_backward_assign(float *restrict gx, const float *restrict y, const float *restrict g,
                                           int64_t outer, int64_t len, int64_t inner);

/* ---- matrix products, row-major (kernels_matmul.c) ---- */
/* c (m, n) = a (m, k) @ b (k, n) */
void ck_k_matmul(float *restrict c, const float *restrict a, const float *restrict b, int64_t m, int64_t k, int64_t n);
/* da (m, k) += dc (m, n) @ b^T, for b (k, n). The built-in loops walk b^T
 * row by row and need bt = b^T (n, k); sgemm reads b itself, and bt may be
 * NULL whenever ck_k_matmul_backward_a_needs_bt(m, k, n) is 0. */
void ck_k_matmul_backward_a(float *restrict da, const float *restrict dc, const float *restrict b,
                            const float *restrict bt, int64_t m, int64_t k, int64_t n);
int ck_k_matmul_backward_a_needs_bt(int64_t m, int64_t k, int64_t n);
/* db (k, n) += a^T (k, m) @ dc (m, n) */
void ck_k_matmul_backward_b(float *restrict db, const float *restrict a, const float *restrict dc, int64_t m, int64_t k,
                            int64_t n);
/* dst (cols, rows) = src (rows, cols)^T */
void ck_k_transpose(float *restrict dst, const float *restrict src, int64_t rows, int64_t cols);

/* ---- rows (kernels_rows.c) ---- */
/* The first position whose id is outside [0, vocab), or -1 when all are in. */
int64_t ck_k_find_id_outside(const int32_t *restrict ids, int64_t n, int64_t vocab);
/* out (n, dim) = table[ids] (ids already checked to be in range) */
void ck_k_gather_rows(float *restrict out, const float *restrict table, const int32_t *restrict ids, int64_t n,
                      int64_t dim);
/* grad_table[ids[r]] += g[r] for r in order */
void ck_k_scatter_add_rows(float *restrict grad_table, const float *restrict g, const int32_t *restrict ids, int64_t n,
                           int64_t dim);
/* out (outer, dim) = sum over l < len of scale * table[ids[o len + l]]: the
 * sum (mean) over the gathered rows without gathering them, the same floats
 * (an embedding bag); and its backward, grad_table[ids[o len + l]] +=
 * scale g[o], in the order the gathered rows' scatter-add would add them. */
void ck_k_sum_gathered(float *restrict out, const float *restrict table, const int32_t *restrict ids, int64_t outer,
                       int64_t len, int64_t dim, float scale);
void ck_k_scatter_add_bag(float *restrict grad_table, const float *restrict g, const int32_t *restrict ids,
                          int64_t outer, int64_t len, int64_t dim, float scale);
/* out[r] = rows[idx[r]] for r < n, of a (rows, width) table of 4-byte
 * elements (float or int32, copied as bits): a shuffled batch of a
 * dataset, whose rows are a few values each and far apart. */
void ck_k_take_rows32(void *restrict out, const void *restrict rows, const int64_t *restrict idx, int64_t n,
                      int64_t width);
/* dst[r * dst_stride + j] = src[r * src_stride + j] for r < rows, j < cols */
void ck_k_copy_rows(float *restrict dst, int64_t dst_stride, const float *restrict src, int64_t src_stride,
                    int64_t rows, int64_t cols);
/* dst[r * dst_stride + j] += src[r * src_stride + j]: the same, accumulating */
void ck_k_add_rows(float *restrict dst, int64_t dst_stride, const float *restrict src, int64_t src_stride, int64_t rows,
                   int64_t cols);

/* ---- losses (kernels_loss.c) ---- */
/* mean((pred - target)^2) over n elements, summed in double (the loss is
 * reported to users); NaN when n is 0. The mse op and the mse metric both
 * call it, so the formula exists once. */
double ck_k_mean_squared_error(const float *restrict pred, const float *restrict target, int64_t n);

/* ---- optimizers: one parameter tensor; each CONSUMES its gradient (sets g to 0)
 * (kernels_optimizer.c) ---- */
/* Keras's Adam with the bias correction folded into lr_t:
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  w -= lr_t m / (sqrt(v) + eps) */
void ck_k_adam(float *restrict w, float *restrict m, float *restrict v, float *restrict g, int64_t n, float lr_t,
               float b1, float b2, float eps);
/* Keras's SGD: velocity = momentum velocity - lr g; w += velocity (w -= lr g without momentum) */
void ck_k_sgd(float *restrict w, float *restrict velocity, float *restrict g, int64_t n, float lr, float momentum);
/* Keras 2.11+ SGD(nesterov=True): velocity = -g lr + velocity momentum; w += -g lr + velocity momentum */
void ck_k_sgd_nesterov(float *restrict w, float *restrict velocity, float *restrict g, int64_t n, float lr,
                       float momentum);
/* Keras 2.11+ RMSprop: ms = rho ms + (1 - rho) g^2; centered (mg not NULL):
 * mg = rho mg + (1 - rho) g, denominator = ms - mg^2 + eps, else ms + eps;
 * increment = lr g / sqrt(denominator); with momentum (mom not NULL):
 * mom = momentum mom + increment, w -= mom; else w -= increment */
void ck_k_rmsprop(float *restrict w, float *restrict ms, float *restrict mom, float *restrict mg, float *restrict g,
                  int64_t n, float lr, float rho, float momentum, float eps);
/* Keras 2.11+ Adagrad: acc += g^2; w -= lr g / sqrt(acc + eps) */
void ck_k_adagrad(float *restrict w, float *restrict acc, float *restrict g, int64_t n, float lr, float eps);
/* ck_k_adam with amsgrad: v_hat = max(v_hat, v); w -= lr_t m / (sqrt(v_hat) + eps) */
void ck_k_adam_amsgrad(float *restrict w, float *restrict m, float *restrict v, float *restrict v_hat,
                       float *restrict g, int64_t n, float lr_t, float b1, float b2, float eps);
/* Keras 2.11+ Adamax: m += (g - m)(1 - b1); u = max(b2 u, |g|);
 * w -= lr m / (bias_correction (u + eps)), bias_correction = 1 - b1^t */
void ck_k_adamax(float *restrict w, float *restrict m, float *restrict u, float *restrict g, int64_t n, float lr,
                 float b1, float b2, float eps, float bias_correction);
/* Keras 2.11+ Nadam's per-step scalars (step t): u_t = b1 (1 - 0.5 0.96^t),
 * u_t_1 the same at t + 1, u_product_t = u_1 ... u_t, u_product_t_1 =
 * u_product_t u_t_1, beta_2_power = b2^t */
typedef struct ck_nadam_step {
    float lr, beta_1, beta_2, epsilon;
    float u_t, u_t_1, u_product_t, u_product_t_1, beta_2_power;
} ck_nadam_step;
/* m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
 * m_hat = u_t_1 m / (1 - u_product_t_1) + (1 - u_t) g / (1 - u_product_t);
 * v_hat = v / (1 - beta_2_power); w -= m_hat lr / (sqrt(v_hat) + eps) */
void ck_k_nadam(float *restrict w, float *restrict m, float *restrict v, float *restrict g, int64_t n,
                const ck_nadam_step *s);
/* Before the update, as Keras's base Optimizer (these do not consume g):
 * sum of g^2 in double (for the clipping norms); tf.clip_by_norm:
 * g = g clip_norm / max(norm, clip_norm); g *= scale (tf.clip_by_global_norm);
 * tf.clip_by_value: g = min(max(g, -c), c) (a NaN stays NaN); and the
 * decoupled weight decay w -= w weight_decay lr */
double ck_k_sum_squares(const float *restrict g, int64_t n);
void ck_k_clip_by_norm(float *restrict g, int64_t n, float clip_norm, float norm);
void ck_k_scale_in_place(float *restrict g, int64_t n, float scale);
void ck_k_clip_by_value(float *restrict g, int64_t n, float clip_value);
void ck_k_weight_decay(float *restrict w, int64_t n, float weight_decay, float lr);

/* ---- threads (kernels_threads.c) ---- */
/* Threads for the loops that use several (OpenMP builds; 1 otherwise).
 * n = 0 restores the build's default. Results do not depend on the count:
 * only loops whose elements (or output rows) are computed independently
 * are split. Returns 0, or -1 if n < 0. */
int ck_set_num_threads(int n);
int ck_get_num_threads(void);
/* Run fn(ctx, i) for i = 0 .. n-1, each on its own thread of one OpenMP
 * team (the caller's thread runs i = 0); without OpenMP, one after the
 * other. Inside fn, ck_get_num_threads() is 1: its kernels do not split
 * again. */
void ck_run_threads(int n, void (*fn)(void *ctx, int i), void *ctx);

#endif
