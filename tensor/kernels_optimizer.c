/* kernels_optimizer.c - one optimizer step over one parameter tensor, as
 * Keras computes it (the formulas are in ck_kernels.h), and the gradient
 * clipping and weight decay that Keras's base Optimizer applies first. */
#include "kernels_internal.h"

#include <math.h>

/* ---- optimizers ---- */

/* The divide and square root make Adam compute-bound; where the compiler
 * can, it also builds an AVX2 copy (8 floats per instruction instead of 4)
 * and the loader picks it on CPUs that have AVX2. Same IEEE operations in
 * the same order (ISO C mode does not contract into FMA): same results. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define ADAM_TARGETS __attribute__((target_clones("avx2", "default")))
#else
#define ADAM_TARGETS
#endif

/* One stretch of Keras's dense Adam. sqrtf vectorises only when the
 * compiler need not set errno (the build adds -fno-math-errno; v >= 0, so
 * errno could never be set anyway). gcc moves the `g[k] = 0` stores into a
 * memset after the loop: in pieces of 1024 floats that memset finds g still
 * in L1, instead of a second pass over a whole table. */
#define ADAM_PIECE 1024
ADAM_TARGETS
static void adam_span(float *restrict w, float *restrict m, float *restrict v, float *restrict g, int64_t n, float lr_t,
                      float b1, float b2, float eps)
{
    for (int64_t begin = 0; begin < n; begin += ADAM_PIECE) {
        const int64_t end = begin + ADAM_PIECE < n ? begin + ADAM_PIECE : n;
        for (int64_t k = begin; k < end; k++) {
            const float gk = g[k];
            g[k] = 0.0f;
            m[k] = b1 * m[k] + (1.0f - b1) * gk;
            v[k] = b2 * v[k] + (1.0f - b2) * gk * gk;
            w[k] -= lr_t * m[k] / (sqrtf(v[k]) + eps);
        }
    }
}

void ck_k_adam(float *restrict w, float *restrict m, float *restrict v, float *restrict g, int64_t n, float lr_t,
               float b1, float b2, float eps)
{
    /* Elementwise: each thread owns a fixed slice, so the result does not
     * depend on the thread count. */
#define ADAM_RANGE(begin, end) adam_span(w + begin, m + begin, v + begin, g + begin, end - begin, lr_t, b1, b2, eps)
    SPLIT_RANGE(n, n, ADAM_RANGE);
#undef ADAM_RANGE
}

void ck_k_sgd(float *restrict w, float *restrict velocity, float *restrict g, int64_t n, float lr, float momentum)
{
    if (momentum == 0.0f) {
        for (int64_t k = 0; k < n; k++) {
            w[k] -= lr * g[k];
            g[k] = 0.0f;
        }
        return;
    }
    for (int64_t k = 0; k < n; k++) {
        velocity[k] = momentum * velocity[k] - lr * g[k];
        g[k] = 0.0f;
        w[k] += velocity[k];
    }
}

/* Keras 2.11+ SGD(nesterov=True), dense:
 *   m = -g lr + m momentum;  w += -g lr + m momentum */
void ck_k_sgd_nesterov(float *restrict w, float *restrict velocity, float *restrict g, int64_t n, float lr,
                       float momentum)
{
    for (int64_t k = 0; k < n; k++) {
        const float step = -g[k] * lr;
        g[k] = 0.0f;
        velocity[k] = step + velocity[k] * momentum;
        w[k] += step + velocity[k] * momentum;
    }
}

void ck_k_rmsprop(float *restrict w, float *restrict ms, float *restrict mom, float *restrict mg, float *restrict g,
                  int64_t n, float lr, float rho, float momentum, float eps)
{
    for (int64_t k = 0; k < n; k++) {
        const float gk = g[k];
        g[k] = 0.0f;
        ms[k] = rho * ms[k] + (1.0f - rho) * (gk * gk);
        float denominator = ms[k] + eps;
        if (mg) {
            mg[k] = rho * mg[k] + (1.0f - rho) * gk;
            denominator = ms[k] - mg[k] * mg[k] + eps;
        }
        const float increment = lr * gk / sqrtf(denominator);
        if (mom) {
            mom[k] = momentum * mom[k] + increment;
            w[k] -= mom[k];
        } else
            w[k] -= increment;
    }
}

void ck_k_adagrad(float *restrict w, float *restrict acc, float *restrict g, int64_t n, float lr, float eps)
{
    for (int64_t k = 0; k < n; k++) {
        const float gk = g[k];
        g[k] = 0.0f;
        acc[k] += gk * gk;
        w[k] -= lr * gk / sqrtf(acc[k] + eps);
    }
}

void ck_k_adam_amsgrad(float *restrict w, float *restrict m, float *restrict v, float *restrict v_hat,
                       float *restrict g, int64_t n, float lr_t, float b1, float b2, float eps)
{
    /* the moments exactly as ck_k_adam computes them */
    for (int64_t k = 0; k < n; k++) {
        const float gk = g[k];
        g[k] = 0.0f;
        m[k] = b1 * m[k] + (1.0f - b1) * gk;
        v[k] = b2 * v[k] + (1.0f - b2) * gk * gk;
        v_hat[k] = v_hat[k] > v[k] ? v_hat[k] : v[k];
        w[k] -= lr_t * m[k] / (sqrtf(v_hat[k]) + eps);
    }
}

void ck_k_adamax(float *restrict w, float *restrict m, float *restrict u, float *restrict g, int64_t n, float lr,
                 float b1, float b2, float eps, float bias_correction)
{
    for (int64_t k = 0; k < n; k++) {
        const float gk = g[k], abs_g = fabsf(gk);
        g[k] = 0.0f;
        m[k] += (gk - m[k]) * (1.0f - b1);
        u[k] = b2 * u[k] > abs_g ? b2 * u[k] : abs_g;
        w[k] -= (lr * m[k]) / (bias_correction * (u[k] + eps));
    }
}

void ck_k_nadam(float *restrict w, float *restrict m, float *restrict v, float *restrict g, int64_t n,
                const ck_nadam_step *s)
{
    const float m_scale = s->u_t_1 / (1.0f - s->u_product_t_1), g_scale = (1.0f - s->u_t) / (1.0f - s->u_product_t);
    const float v_correction = 1.0f - s->beta_2_power;
    for (int64_t k = 0; k < n; k++) {
        const float gk = g[k];
        g[k] = 0.0f;
        m[k] += (gk - m[k]) * (1.0f - s->beta_1);
        v[k] += (gk * gk - v[k]) * (1.0f - s->beta_2);
        const float m_hat = m_scale * m[k] + g_scale * gk, v_hat = v[k] / v_correction;
        w[k] -= (m_hat * s->lr) / (sqrtf(v_hat) + s->epsilon);
    }
}

/* ---- what Keras's base Optimizer does before the update ---- */

double ck_k_sum_squares(const float *restrict g, int64_t n)
{
    double sum = 0.0;
    for (int64_t k = 0; k < n; k++) sum += (double)g[k] * (double)g[k];
    return sum;
}

void ck_k_clip_by_norm(float *restrict g, int64_t n, float clip_norm, float norm)
{
    const float divisor = norm > clip_norm ? norm : clip_norm;
    for (int64_t k = 0; k < n; k++) g[k] = g[k] * clip_norm / divisor;
}

void ck_k_scale_in_place(float *restrict g, int64_t n, float scale)
{
    for (int64_t k = 0; k < n; k++) g[k] *= scale;
}

void ck_k_clip_by_value(float *restrict g, int64_t n, float clip_value)
{
    /* comparisons, not fminf/fmaxf: a NaN gradient stays NaN */
    for (int64_t k = 0; k < n; k++) g[k] = g[k] > clip_value ? clip_value : g[k] < -clip_value ? -clip_value : g[k];
}

void ck_k_weight_decay(float *restrict w, int64_t n, float weight_decay, float lr)
{
    for (int64_t k = 0; k < n; k++) w[k] -= w[k] * weight_decay * lr;
}
