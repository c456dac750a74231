/* kernels_math.c - unary math and activations, forward and backward (see
 * ck_kernels.h): one switch per call, then a plain loop per op. Each
 * derivative is written from whichever of x and y = op(x) is cheaper. */
#include "kernels_internal.h"

#include <math.h>

/* Keras's selu and gelu constants: CK_SELU_ALPHA ... in ck_kernels.h */
#define INV_SQRT_2PI 0.39894228040143267794f /* 1 / sqrt(2 pi): the normal density */

static inline float softplus(float x) { return log1pf(expf(-fabsf(x))) + fmaxf(x, 0.0f); }
static inline float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* gelu(x) = x Phi(x), Phi the normal CDF; erfc keeps Phi accurate for
 * negative x, where 1 + erf(x / sqrt 2) would cancel. */
static inline float gelu_grad(float x)
{
    return 0.5f * erfcf(-x * CK_INV_SQRT2) + x * INV_SQRT_2PI * expf(-0.5f * x * x);
}

static inline float gelu_tanh(float x)
{
    return 0.5f * x * (1.0f + tanhf(CK_SQRT_2_OVER_PI * (x + CK_GELU_CUBIC * x * x * x)));
}

static inline float gelu_tanh_grad(float x)
{
    const float t = tanhf(CK_SQRT_2_OVER_PI * (x + CK_GELU_CUBIC * x * x * x));
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * CK_SQRT_2_OVER_PI * (1.0f + 3.0f * CK_GELU_CUBIC * x * x);
}

/* d/dx x s(x) = s + x s (1 - s), s = sigmoid(x) */
static inline float swish_grad(float x)
{
    const float s = sigmoid(x);
    return s * (1.0f + x * (1.0f - s));
}

static void unary_range(ck_unop op, float *restrict y, const float *restrict x, int64_t begin, int64_t end, float p,
                        float q)
{
#define MAP(EXPR)                           \
    for (int64_t j = begin; j < end; j++) { \
        const float v = x[j];               \
        y[j] = (EXPR);                      \
    }                                       \
    break
    switch (op) {
    case CK_UN_EXP: MAP(expf(v));
    case CK_UN_LOG: MAP(logf(v));
    case CK_UN_SQRT: MAP(sqrtf(v));
    case CK_UN_ABS: MAP(fabsf(v));
    case CK_UN_POW: MAP(powf(v, p));
    case CK_UN_CLIP: MAP(v < p ? p : v > q ? q : v); /* NaN stays NaN */
    case CK_UN_SOFTPLUS: MAP(softplus(v));
    case CK_UN_SOFTSIGN: MAP(v / (1.0f + fabsf(v)));
    case CK_UN_ELU: MAP(v > 0.0f ? v : p * expm1f(v));
    case CK_UN_SELU: MAP(v > 0.0f ? CK_SELU_SCALE * v : CK_SELU_SCALE * CK_SELU_ALPHA * expm1f(v));
    case CK_UN_GELU: MAP(0.5f * v * erfcf(-v * CK_INV_SQRT2));
    case CK_UN_GELU_TANH: MAP(gelu_tanh(v));
    case CK_UN_SWISH: MAP(v * sigmoid(v));
    case CK_UN_LEAKY_RELU: MAP(v > 0.0f ? v : p * v);
    case CK_UN_LOG_SIGMOID: MAP(-softplus(-v));
    }
#undef MAP
}

void ck_k_unary(ck_unop op, float *restrict y, const float *restrict x, int64_t n, float p, float q)
{
#define UNARY_RANGE(begin, end) unary_range(op, y, x, begin, end, p, q)
    SPLIT_RANGE(n, n, UNARY_RANGE);
#undef UNARY_RANGE
}

/* gx (+)= g * D, where D may read v = x[j] and out = y[j]. */
static void unary_backward_range(ck_unop op, float *restrict gx, const float *restrict x, const float *restrict y,
                                 const float *restrict g, int64_t begin, int64_t end, float p, float q, int accumulate)
{
#define DERIVATIVE(D)                       \
    for (int64_t j = begin; j < end; j++) { \
        const float v = x[j], out = y[j];   \
        (void)v;                            \
        (void)out;                          \
        const float d = g[j] * (D);         \
        gx[j] = accumulate ? gx[j] + d : d; \
    }                                       \
    break
    switch (op) {
    case CK_UN_EXP: DERIVATIVE(out);
    case CK_UN_LOG: DERIVATIVE(1.0f / v);
    case CK_UN_SQRT: DERIVATIVE(0.5f / out);
    case CK_UN_ABS: DERIVATIVE(v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : 0.0f);
    case CK_UN_POW: DERIVATIVE(p == 0.0f ? 0.0f : p * powf(v, p - 1.0f)); /* x^0 is 1 even at 0 */
    case CK_UN_CLIP: DERIVATIVE(v >= p && v <= q ? 1.0f : 0.0f);
    case CK_UN_SOFTPLUS: DERIVATIVE(-expm1f(-out)); /* sigmoid(x) = 1 - e^-y */
    case CK_UN_SOFTSIGN: DERIVATIVE(1.0f / ((1.0f + fabsf(v)) * (1.0f + fabsf(v))));
    case CK_UN_ELU: DERIVATIVE(v > 0.0f ? 1.0f : out + p); /* p e^x = y + p */
    case CK_UN_SELU: DERIVATIVE(v > 0.0f ? CK_SELU_SCALE : out + CK_SELU_SCALE * CK_SELU_ALPHA);
    case CK_UN_GELU: DERIVATIVE(gelu_grad(v));
    case CK_UN_GELU_TANH: DERIVATIVE(gelu_tanh_grad(v));
    case CK_UN_SWISH: DERIVATIVE(swish_grad(v));
    case CK_UN_LEAKY_RELU: DERIVATIVE(v > 0.0f ? 1.0f : p);
    case CK_UN_LOG_SIGMOID: DERIVATIVE(-expm1f(out)); /* 1 - sigmoid(x) = 1 - e^y */
    }
#undef DERIVATIVE
}

void ck_k_unary_backward(ck_unop op, float *restrict gx, const float *restrict x, const float *restrict y,
                         const float *restrict g, int64_t n, float p, float q)
{
#define BACKWARD_RANGE(begin, end) unary_backward_range(op, gx, x, y, g, begin, end, p, q, 1)
    SPLIT_RANGE(n, n, BACKWARD_RANGE);
#undef BACKWARD_RANGE
}

void ck_k_unary_backward_assign(ck_unop op, float *restrict gx, const float *restrict x, const float *restrict y,
                                const float *restrict g, int64_t n, float p, float q)
{
#define BACKWARD_RANGE(begin, end) unary_backward_range(op, gx, x, y, g, begin, end, p, q, 0)
    SPLIT_RANGE(n, n, BACKWARD_RANGE);
#undef BACKWARD_RANGE
}
