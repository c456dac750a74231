/* ops_norm.c - batch_norm, batch_norm_inference, layer_norm, l2_normalize:
 * shape rule, forward, backward and constructor side by side (see
 * ops_internal.h for the conventions, op_table.c for the rows).
 *
 * x is viewed as (O, C, I) around args.axis: C channels, each with O * I
 * positions. Statistics are summed in double; the normalisation itself is
 * tf.nn.batch_normalization's, in float:
 *     inv = gamma / sqrt(var + eps);  y = x * inv + (beta - mean * inv)
 * With xhat = (x - mean) / sqrt(var + eps) (so y = gamma xhat + beta), the
 * gradient through statistics taken over N values is
 *     dx = gamma / sqrt(var + eps) * (g - sum(g) / N - xhat * sum(g xhat) / N). */
#include <math.h>
#include <string.h>

#include "ops_internal.h"

/* tf.math.l2_normalize's floor on the sum of squares. */
#define L2_NORMALIZE_EPSILON 1e-12

/* Input k (gamma, beta, mean, var) must be (C): one value per channel. */
static int require_channels(const ck_node *n, int k, int channels)
{
    char s[SHAPE_BUF];
    ck_shape p = n->in[k]->value.shape;
    if (p.ndim == 1 && p.d[0] == channels) return 0;
    return ck_fail("%s: input %d has shape %s, expected (%d,): one value per channel of axis %d", n->op->name, k,
                   ck_shape_str(p, s, sizeof s), channels, n->args.axis);
}

/* x and n_params inputs of shape (C), all float32; eps >= 0. */
static int norm_shape(ck_node *n, int n_params)
{
    if (require_inputs(n, 1 + n_params) < 0) return -1;
    for (int k = 0; k <= n_params; k++)
        if (require_f32(n, k) < 0) return -1;
    ck_shape x = n->in[0]->value.shape;
    if (normalise_axis(n, x, &n->args.axis) < 0) return -1;
    for (int k = 1; k <= n_params; k++)
        if (require_channels(n, k, x.d[n->args.axis]) < 0) return -1;
    if (!(n->args.alpha >= 0.0f))
        return ck_fail("%s: epsilon must be >= 0, got %g", n->op->name, (double)n->args.alpha);
    n->value.dtype = CK_F32;
    n->value.shape = x;
    return 0;
}

int ck_batch_norm_shape(ck_node *n) { return norm_shape(n, 2); }
int ck_batch_norm_inference_shape(ck_node *n) { return norm_shape(n, 4); }
int ck_layer_norm_shape(ck_node *n) { return norm_shape(n, 2); }

/* Write g into an unset gradient, or add it. */
static void put_grad(ck_node *x, int64_t k, float g)
{
    if (x->grad_unset)
        x->grad[k] = g;
    else
        x->grad[k] += g;
}

/* ---- batch_norm: x (O, C, I), gamma (C), beta (C) -> (O, C, I); statistics per channel ----
 * Every pass walks x in memory order, (o, c, i), adding into per-channel
 * sums: with the channels last (I = 1) a channel's values are C apart. */

typedef struct batch_stats {
    float *mean, *var, *rstd; /* (C) each: batch mean, biased variance, 1 / sqrt(var + eps) */
    double *sum_a, *sum_b;    /* (C) each: per-channel sums, scratch for forward and backward */
} batch_stats;

/* y = x * inv[c] + shift[c] in memory order. */
static void normalize(float *y, const float *x, int64_t outer, int64_t channels, int64_t inner, const float *inv,
                      const float *shift)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t c = 0; c < channels; c++) {
            const float *xr = x + (o * channels + c) * inner;
            float *yr = y + (o * channels + c) * inner;
            for (int64_t i = 0; i < inner; i++) yr[i] = xr[i] * inv[c] + shift[c];
        }
}

/* Over each channel c: sum_a[c] = sum of g, sum_b[c] = sum of
 * g (x - center[c]) scale[c] (scale NULL: 1). With g = x and center the
 * mean these are sum x and sum x (x - mean); with the incoming gradient,
 * sum g and sum g xhat. */
static void channel_sums(const float *g, const float *x, const float *center, const float *scale, int64_t outer,
                         int64_t channels, int64_t inner, double *restrict sum_a, double *restrict sum_b)
{
    for (int64_t c = 0; c < channels; c++) sum_a[c] = sum_b[c] = 0;
    if (inner == 1) { /* channels last: a row's channels side by side, a loop over them the compiler vectorises */
        for (int64_t o = 0; o < outer; o++) {
            const float *restrict gr = g + o * channels, *restrict xr = x + o * channels;
            for (int64_t c = 0; c < channels; c++) {
                sum_a[c] += gr[c];
                sum_b[c] += (double)gr[c] * (xr[c] - center[c]);
            }
        }
        for (int64_t c = 0; scale && c < channels; c++) sum_b[c] *= scale[c];
        return;
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t c = 0; c < channels; c++) {
            const float *gr = g + (o * channels + c) * inner, *xr = x + (o * channels + c) * inner;
            double a = 0, b = 0;
            for (int64_t i = 0; i < inner; i++) {
                a += gr[i];
                b += (double)gr[i] * (xr[i] - center[c]);
            }
            sum_a[c] += a;
            sum_b[c] += scale ? b * scale[c] : b;
        }
}

static batch_stats *stats_new(ck_tape *t, int64_t channels)
{
    size_t c = (size_t)(channels > 0 ? channels : 1);
    batch_stats *st = ck_tape_alloc(t, sizeof *st);
    float *f = ck_tape_alloc(t, 3 * c * sizeof(float));
    double *d = ck_tape_alloc(t, 2 * c * sizeof(double));
    if (!st || !f || !d) return NULL;
    *st = (batch_stats){f, f + c, f + 2 * c, d, d + c};
    return st;
}

int ck_batch_norm_forward(ck_tape *t, ck_node *n)
{
    int64_t outer, channels, inner;
    split_at_axis(n->in[0]->value.shape, n->args.axis, &outer, &channels, &inner);
    const float *x = n->in[0]->value.f, *gamma = n->in[1]->value.f, *beta = n->in[2]->value.f;
    batch_stats *st = stats_new(t, channels);
    float *inv = ck_tape_alloc(t, 2 * (size_t)(channels > 0 ? channels : 1) * sizeof(float)), *shift = inv + channels;
    if (!st || !inv) return -1;
    double count = (double)(outer * inner);
    for (int64_t c = 0; c < channels; c++) st->mean[c] = 0.0f;
    channel_sums(x, x, st->mean, NULL, outer, channels, inner, st->sum_a, st->sum_b); /* sum x */
    for (int64_t c = 0; c < channels; c++) st->mean[c] = count > 0 ? (float)(st->sum_a[c] / count) : 0.0f;
    channel_sums(x, x, st->mean, NULL, outer, channels, inner, st->sum_a, st->sum_b); /* sum x (x - mean) */
    for (int64_t c = 0; c < channels; c++) {
        /* sum (x - mean)^2 = sum x (x - mean) - mean sum (x - mean), and sum (x - mean) is ~0 */
        double centered = st->sum_a[c] - count * st->mean[c];
        double sq = st->sum_b[c] - st->mean[c] * centered;
        st->var[c] = count > 0 ? (float)(sq > 0 ? sq / count : 0.0) : 0.0f;
        st->rstd[c] = 1.0f / sqrtf(st->var[c] + n->args.alpha);
        inv[c] = st->rstd[c] * gamma[c];
        shift[c] = beta[c] - st->mean[c] * inv[c];
    }
    normalize(n->value.f, x, outer, channels, inner, inv, shift);
    n->saved = st;
    return 0;
}

void ck_batch_norm_backward(ck_node *n)
{
    int64_t outer, channels, inner;
    split_at_axis(n->in[0]->value.shape, n->args.axis, &outer, &channels, &inner);
    const batch_stats *st = n->saved;
    const float *x = n->in[0]->value.f, *gamma = n->in[1]->value.f, *g = n->grad;
    ck_node *in_x = n->in[0], *in_gamma = n->in[1], *in_beta = n->in[2];
    double count = (double)(outer * inner);
    channel_sums(g, x, st->mean, st->rstd, outer, channels, inner, st->sum_a, st->sum_b); /* sum g, sum g xhat */
    for (int64_t c = 0; c < channels; c++) {
        if (in_gamma->grad) put_grad(in_gamma, c, (float)st->sum_b[c]);
        if (in_beta->grad) put_grad(in_beta, c, (float)st->sum_a[c]);
    }
    if (!in_x->grad) return;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t c = 0; c < channels; c++) {
            float scale = gamma[c] * st->rstd[c], mean = st->mean[c], rstd = st->rstd[c];
            float mean_g = count > 0 ? (float)(st->sum_a[c] / count) : 0.0f;
            float mean_g_xhat = count > 0 ? (float)(st->sum_b[c] / count) : 0.0f;
            int64_t base = (o * channels + c) * inner;
            for (int64_t i = 0; i < inner; i++) {
                float xhat = (x[base + i] - mean) * rstd;
                put_grad(in_x, base + i, scale * (g[base + i] - mean_g - xhat * mean_g_xhat));
            }
        }
}

ck_node *ck_batch_norm(ck_tape *t, ck_node *x, ck_node *gamma, ck_node *beta, int axis, float eps, float *batch_mean,
                       float *batch_var)
{
    ck_op_args args = {0};
    args.axis = axis;
    args.alpha = eps;
    ck_node *in[3] = {x, gamma, beta};
    ck_node *y = ck_apply(t, &ck_ops[CK_OP_BATCH_NORM], in, 3, &args);
    if (!y) return NULL;
    const batch_stats *st = y->saved;
    size_t bytes = (size_t)gamma->value.size * sizeof(float);
    if (batch_mean) memcpy(batch_mean, st->mean, bytes);
    if (batch_var) memcpy(batch_var, st->var, bytes);
    return y;
}

/* ---- batch_norm_inference: x (O, C, I), gamma, beta, mean, var (C) -> (O, C, I) ---- */

int ck_batch_norm_inference_forward(ck_tape *t, ck_node *n)
{
    int64_t outer, channels, inner;
    split_at_axis(n->in[0]->value.shape, n->args.axis, &outer, &channels, &inner);
    const float *gamma = n->in[1]->value.f, *beta = n->in[2]->value.f;
    const float *mean = n->in[3]->value.f, *var = n->in[4]->value.f;
    batch_stats *st = stats_new(t, channels); /* rstd for forward; the sums for backward */
    float *inv = ck_tape_alloc(t, 2 * (size_t)(channels > 0 ? channels : 1) * sizeof(float)), *shift = inv + channels;
    if (!st || !inv) return -1;
    for (int64_t c = 0; c < channels; c++) {
        st->rstd[c] = 1.0f / sqrtf(var[c] + n->args.alpha);
        inv[c] = st->rstd[c] * gamma[c];
        shift[c] = beta[c] - mean[c] * inv[c];
    }
    normalize(n->value.f, n->in[0]->value.f, outer, channels, inner, inv, shift);
    n->saved = st;
    return 0;
}

void ck_batch_norm_inference_backward(ck_node *n)
{
    int64_t outer, channels, inner;
    split_at_axis(n->in[0]->value.shape, n->args.axis, &outer, &channels, &inner);
    const batch_stats *st = n->saved;
    const float *x = n->in[0]->value.f, *gamma = n->in[1]->value.f, *g = n->grad, *mean = n->in[3]->value.f;
    channel_sums(g, x, mean, NULL, outer, channels, inner, st->sum_a, st->sum_b); /* sum g, sum g (x - mean) */
    if (n->in[0]->grad)
        for (int64_t o = 0; o < outer; o++)
            for (int64_t c = 0; c < channels; c++) {
                float inv = st->rstd[c] * gamma[c];
                int64_t base = (o * channels + c) * inner;
                for (int64_t i = 0; i < inner; i++) put_grad(n->in[0], base + i, g[base + i] * inv);
            }
    for (int64_t c = 0; c < channels; c++) {
        double rstd = st->rstd[c], sum_g = st->sum_a[c], sum_g_centered = st->sum_b[c];
        if (n->in[1]->grad) put_grad(n->in[1], c, (float)(sum_g_centered * rstd));
        if (n->in[2]->grad) put_grad(n->in[2], c, (float)sum_g);
        if (n->in[3]->grad) put_grad(n->in[3], c, (float)(-sum_g * rstd * gamma[c]));
        /* d rstd / d var = -rstd^3 / 2 */
        if (n->in[4]->grad) put_grad(n->in[4], c, (float)(sum_g_centered * gamma[c] * -0.5 * rstd * rstd * rstd));
    }
}

ck_node *ck_batch_norm_inference(ck_tape *t, ck_node *x, ck_node *gamma, ck_node *beta, ck_node *mean, ck_node *var,
                                 int axis, float eps)
{
    ck_op_args args = {0};
    args.axis = axis;
    args.alpha = eps;
    ck_node *in[5] = {x, gamma, beta, mean, var};
    return ck_apply(t, &ck_ops[CK_OP_BATCH_NORM_INFERENCE], in, 5, &args);
}

/* ---- layer_norm: x (O, C, I), gamma, beta (C) -> (O, C, I); statistics over C per (o, i) ---- */

typedef struct position_stats {
    float *mean, *rstd; /* (O * I) each */
} position_stats;

int ck_layer_norm_forward(ck_tape *t, ck_node *n)
{
    int64_t outer, channels, inner;
    split_at_axis(n->in[0]->value.shape, n->args.axis, &outer, &channels, &inner);
    const float *x = n->in[0]->value.f, *gamma = n->in[1]->value.f, *beta = n->in[2]->value.f;
    int64_t positions = outer * inner;
    position_stats *st = ck_tape_alloc(t, sizeof *st);
    float *buf = ck_tape_alloc(t, (size_t)(2 * (positions > 0 ? positions : 1)) * sizeof(float));
    if (!st || !buf) return -1;
    st->mean = buf;
    st->rstd = buf + positions;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *xp = x + o * channels * inner + i; /* channel c at xp[c * inner] */
            float *yp = n->value.f + o * channels * inner + i;
            double sum = 0, sq = 0;
            for (int64_t c = 0; c < channels; c++) sum += xp[c * inner];
            double mean = channels ? sum / (double)channels : 0.0;
            for (int64_t c = 0; c < channels; c++) sq += (xp[c * inner] - mean) * (xp[c * inner] - mean);
            float var = channels ? (float)(sq / (double)channels) : 0.0f;
            float m = (float)mean, rstd = 1.0f / sqrtf(var + n->args.alpha);
            st->mean[o * inner + i] = m;
            st->rstd[o * inner + i] = rstd;
            for (int64_t c = 0; c < channels; c++) {
                float inv = rstd * gamma[c];
                yp[c * inner] = xp[c * inner] * inv + (beta[c] - m * inv);
            }
        }
    n->saved = st;
    return 0;
}

/* Gamma and beta collect a sum over every position: each is zeroed (when
 * unset) before the positions add into it. */
void ck_layer_norm_backward(ck_node *n)
{
    int64_t outer, channels, inner;
    split_at_axis(n->in[0]->value.shape, n->args.axis, &outer, &channels, &inner);
    const position_stats *st = n->saved;
    const float *x = n->in[0]->value.f, *gamma = n->in[1]->value.f;
    ck_node *in_x = n->in[0];
    float *d_gamma = n->in[1]->grad, *d_beta = n->in[2]->grad;
    for (int k = 1; k <= 2; k++)
        if (n->in[k]->grad_unset) memset(n->in[k]->grad, 0, (size_t)channels * sizeof(float));
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * channels * inner + i, p = o * inner + i;
            const float *xp = x + base, *gp = n->grad + base;
            float m = st->mean[p], rstd = st->rstd[p];
            double sum_dxhat = 0, sum_dxhat_xhat = 0; /* dxhat = g gamma */
            for (int64_t c = 0; c < channels; c++) {
                float xhat = (xp[c * inner] - m) * rstd, g = gp[c * inner];
                sum_dxhat += g * gamma[c];
                sum_dxhat_xhat += g * gamma[c] * xhat;
                if (d_gamma) d_gamma[c] += g * xhat;
                if (d_beta) d_beta[c] += g;
            }
            if (!in_x->grad) continue;
            float mean_dxhat = channels ? (float)(sum_dxhat / (double)channels) : 0.0f;
            float mean_dxhat_xhat = channels ? (float)(sum_dxhat_xhat / (double)channels) : 0.0f;
            for (int64_t c = 0; c < channels; c++) {
                float xhat = (xp[c * inner] - m) * rstd;
                put_grad(in_x, base + c * inner,
                         rstd * (gp[c * inner] * gamma[c] - mean_dxhat - xhat * mean_dxhat_xhat));
            }
        }
}

ck_node *ck_layer_norm(ck_tape *t, ck_node *x, ck_node *gamma, ck_node *beta, int axis, float eps)
{
    ck_op_args args = {0};
    args.axis = axis;
    args.alpha = eps;
    ck_node *in[3] = {x, gamma, beta};
    return ck_apply(t, &ck_ops[CK_OP_LAYER_NORM], in, 3, &args);
}

/* ---- l2_normalize: x (O, C, I) -> (O, C, I), each (o, i) divided by its norm over C ---- */

int ck_l2_normalize_shape(ck_node *n)
{
    if (require_inputs(n, 1) < 0 || require_f32(n, 0) < 0) return -1;
    ck_shape x = n->in[0]->value.shape;
    if (normalise_axis(n, x, &n->args.axis) < 0) return -1;
    n->value.dtype = CK_F32;
    n->value.shape = x;
    return 0;
}

int ck_l2_normalize_forward(ck_tape *t, ck_node *n)
{
    int64_t outer, channels, inner;
    split_at_axis(n->in[0]->value.shape, n->args.axis, &outer, &channels, &inner);
    /* per position: 1 / norm, negative when the floor applied (no gradient through the sum) */
    float *r = ck_tape_alloc(t, (size_t)(outer * inner > 0 ? outer * inner : 1) * sizeof(float));
    if (!r) return -1;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *xp = n->in[0]->value.f + o * channels * inner + i;
            float *yp = n->value.f + o * channels * inner + i;
            double sq = 0;
            for (int64_t c = 0; c < channels; c++) sq += (double)xp[c * inner] * xp[c * inner];
            int floored = sq < L2_NORMALIZE_EPSILON;
            float inv_norm = 1.0f / sqrtf((float)(floored ? L2_NORMALIZE_EPSILON : sq));
            for (int64_t c = 0; c < channels; c++) yp[c * inner] = xp[c * inner] * inv_norm;
            r[o * inner + i] = floored ? -inv_norm : inv_norm;
        }
    n->saved = r;
    return 0;
}

/* dx = r (g - y sum(g y)); below the floor the norm is a constant: dx = r g. */
void ck_l2_normalize_backward(ck_node *n)
{
    ck_node *x = n->in[0];
    if (!x->grad) return;
    int64_t outer, channels, inner;
    split_at_axis(x->value.shape, n->args.axis, &outer, &channels, &inner);
    const float *r = n->saved;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * channels * inner + i;
            const float *yp = n->value.f + base, *gp = n->grad + base;
            float inv_norm = fabsf(r[o * inner + i]);
            double dot = 0;
            if (r[o * inner + i] > 0)
                for (int64_t c = 0; c < channels; c++) dot += (double)gp[c * inner] * yp[c * inner];
            for (int64_t c = 0; c < channels; c++)
                put_grad(x, base + c * inner, inv_norm * (gp[c * inner] - yp[c * inner] * (float)dot));
        }
}

ck_node *ck_l2_normalize(ck_tape *t, ck_node *x, int axis)
{
    ck_op_args args = {0};
    args.axis = axis;
    return apply1(t, CK_OP_L2_NORMALIZE, x, &args);
}
