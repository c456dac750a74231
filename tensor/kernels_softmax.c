/* kernels_softmax.c - softmax and log_softmax along the middle axis of
 * (outer, len, inner), forward and backward (see ck_kernels.h). The axis is
 * walked with stride `inner` (1 for the last axis, the usual case). */
#include "kernels_internal.h"

#include <math.h>

/* The largest of len values spaced `inner` apart; -inf when len is 0. */
static inline float strided_max(const float *restrict x, int64_t len, int64_t inner)
{
    float m = -INFINITY;
    for (int64_t l = 0; l < len; l++)
        if (x[l * inner] > m) m = x[l * inner];
    return m;
}

/* One (o, i) line of softmax or log_softmax. Subtracting the max first keeps
 * every e^(x - max) in (0, 1], so nothing overflows, and the sum is >= 1. */
static inline void softmax_line(float *restrict y, const float *restrict x, int64_t len, int64_t inner, int log_form)
{
    const float m = strided_max(x, len, inner);
    float sum = 0.0f;
    if (log_form) {
        for (int64_t l = 0; l < len; l++) sum += expf(x[l * inner] - m);
        /* (x - max) first: max + ln sum would round away ln sum's digits */
        const float log_sum = logf(sum);
        for (int64_t l = 0; l < len; l++) y[l * inner] = (x[l * inner] - m) - log_sum;
    } else {
        for (int64_t l = 0; l < len; l++) {
            y[l * inner] = expf(x[l * inner] - m);
            sum += y[l * inner];
        }
        const float inv = 1.0f / sum;
        for (int64_t l = 0; l < len; l++) y[l * inner] *= inv;
    }
}

static void softmax_axis(float *restrict y, const float *restrict x, int64_t outer, int64_t len, int64_t inner,
                         int log_form)
{
#define SOFTMAX_RANGE(begin, end)                               \
    for (int64_t o = begin; o < end; o++)                       \
        for (int64_t i = 0; i < inner; i++) {                   \
            const int64_t at = o * len * inner + i;             \
            softmax_line(y + at, x + at, len, inner, log_form); \
        }
    SPLIT_RANGE(outer, outer * len * inner, SOFTMAX_RANGE);
#undef SOFTMAX_RANGE
}

void ck_k_softmax_axis(float *restrict y, const float *restrict x, int64_t outer, int64_t len, int64_t inner)
{
    softmax_axis(y, x, outer, len, inner, 0);
}

void ck_k_log_softmax_axis(float *restrict y, const float *restrict x, int64_t outer, int64_t len, int64_t inner)
{
    softmax_axis(y, x, outer, len, inner, 1);
}

/* One line of the backward, from the output y:
 *   softmax:     gx = y (g - sum_l g y)
 *   log_softmax: gx = g - e^y sum_l g       (e^y is the softmax) */
static inline void softmax_backward_line(float *restrict gx, const float *restrict y, const float *restrict g,
                                         int64_t len, int64_t inner, int log_form, int accumulate)
{
    float total = 0.0f;
    for (int64_t l = 0; l < len; l++) total += log_form ? g[l * inner] : g[l * inner] * y[l * inner];
    for (int64_t l = 0; l < len; l++) {
        const int64_t k = l * inner;
        const float d = log_form ? g[k] - expf(y[k]) * total : y[k] * (g[k] - total);
        gx[k] = accumulate ? gx[k] + d : d;
    }
}

static void softmax_axis_backward(float *restrict gx, const float *restrict y, const float *restrict g, int64_t outer,
                                  int64_t len, int64_t inner, int log_form, int accumulate)
{
#define SOFTMAX_BACKWARD_RANGE(begin, end)                                                    \
    for (int64_t o = begin; o < end; o++)                                                     \
        for (int64_t i = 0; i < inner; i++) {                                                 \
            const int64_t at = o * len * inner + i;                                           \
            softmax_backward_line(gx + at, y + at, g + at, len, inner, log_form, accumulate); \
        }
    SPLIT_RANGE(outer, outer * len * inner, SOFTMAX_BACKWARD_RANGE);
#undef SOFTMAX_BACKWARD_RANGE
}

void ck_k_softmax_axis_backward(float *restrict gx, const float *restrict y, const float *restrict g, int64_t outer,
                                int64_t len, int64_t inner)
{
    softmax_axis_backward(gx, y, g, outer, len, inner, 0, 1);
}

void ck_k_softmax_axis_backward_assign(float *restrict gx, const float *restrict y, const float *restrict g,
                                       int64_t outer, int64_t len, int64_t inner)
{
    softmax_axis_backward(gx, y, g, outer, len, inner, 0, 0);
}

void ck_k_log_softmax_axis_backward(float *restrict gx, const float *restrict y, const float *restrict g, int64_t outer,
                                    int64_t len, int64_t inner)
{
    softmax_axis_backward(gx, y, g, outer, len, inner, 1, 1);
}

void ck_k_log_softmax_axis_backward_assign(float *restrict gx, const float *restrict y, const float *restrict g,
                                           int64_t outer, int64_t len, int64_t inner)
{
    softmax_axis_backward(gx, y, g, outer, len, inner, 1, 0);
}
