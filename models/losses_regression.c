/* losses_regression.c - Keras's regression and margin losses as per-sample
 * values (B, ...) = the mean over the last axis, built from autograd ops.
 * Each formula is Keras 2's (keras/losses.py), quoted above its code. */
#include "ck_model_internal.h"

/* Huber's delta when the loss object leaves it 0 (Keras's default) */
static const float HUBER_DEFAULT_DELTA = 1.0f;
static const float MAPE_PERCENT = 100.0f;
static const float LOG_2 = 0.693147180559945309f;

/* mean(square(y_pred - y_true), axis=-1) */
ck_node *ck_mean_squared_error(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg)
{
    (void)cfg;
    return ck_loss_mean_last(t, ck_square(t, ck_sub(t, y_pred, y_true)));
}

/* mean(abs(y_pred - y_true), axis=-1) */
ck_node *ck_mean_absolute_error(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg)
{
    (void)cfg;
    return ck_loss_mean_last(t, ck_abs(t, ck_sub(t, y_pred, y_true)));
}

/* 100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), epsilon)), axis=-1) */
ck_node *ck_mean_absolute_percentage_error(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg)
{
    (void)cfg;
    ck_node *scale = ck_maximum(t, ck_abs(t, y_true), ck_loss_constant(t, CK_EPSILON));
    ck_node *diff = ck_abs(t, ck_div(t, ck_sub(t, y_true, y_pred), scale));
    return ck_scale(t, ck_loss_mean_last(t, diff), MAPE_PERCENT);
}

/* mean(square(log(maximum(y_pred, eps) + 1) - log(maximum(y_true, eps) + 1)), axis=-1) */
ck_node *ck_mean_squared_logarithmic_error(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg)
{
    (void)cfg;
    ck_node *eps = ck_loss_constant(t, CK_EPSILON), *one = ck_loss_constant(t, 1.0f);
    ck_node *first = ck_log(t, ck_add(t, ck_maximum(t, y_pred, eps), one));
    ck_node *second = ck_log(t, ck_add(t, ck_maximum(t, y_true, eps), one));
    return ck_loss_mean_last(t, ck_square(t, ck_sub(t, first, second)));
}

/* error = y_pred - y_true;
 * mean(where(|error| <= delta, 0.5 * error^2, delta * |error| - 0.5 * delta^2), axis=-1),
 * written as 0.5 * q^2 + delta * (|error| - q) with q = minimum(|error|, delta):
 * the same values, and no select op */
ck_node *ck_huber(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg)
{
    float delta = cfg && cfg->delta != 0.0f ? cfg->delta : HUBER_DEFAULT_DELTA;
    ck_node *abs_error = ck_abs(t, ck_sub(t, y_pred, y_true));
    ck_node *quadratic = ck_minimum(t, abs_error, ck_loss_constant(t, delta));
    ck_node *linear = ck_sub(t, abs_error, quadratic);
    ck_node *loss = ck_add(t, ck_scale(t, ck_square(t, quadratic), 0.5f), ck_scale(t, linear, delta));
    return ck_loss_mean_last(t, loss);
}

/* x = y_pred - y_true; mean(x + softplus(-2 x) - log(2), axis=-1):
 * log(cosh(x)) without overflowing cosh */
ck_node *ck_log_cosh(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg)
{
    (void)cfg;
    ck_node *x = ck_sub(t, y_pred, y_true);
    ck_node *log_cosh = ck_sub(t, ck_add(t, x, ck_softplus(t, ck_scale(t, x, -2.0f))), ck_loss_constant(t, LOG_2));
    return ck_loss_mean_last(t, log_cosh);
}

/* Keras's _maybe_convert_labels: targets that are all 0 or 1 become -1 / 1
 * (2 y - 1); any other targets are used as they are (-1 / 1 expected). */
static ck_node *hinge_labels(ck_tape *t, ck_node *y_true)
{
    if (!y_true || y_true->value.dtype != CK_F32) return y_true;
    for (int64_t i = 0; i < y_true->value.size; i++)
        if (y_true->value.f[i] != 0.0f && y_true->value.f[i] != 1.0f) return y_true;
    return ck_add(t, ck_scale(t, y_true, 2.0f), ck_loss_constant(t, -1.0f));
}

/* maximum(1 - y_true * y_pred, 0) */
static ck_node *hinge_margin(ck_tape *t, ck_node *y_true, ck_node *y_pred)
{
    return ck_relu(t, ck_sub(t, ck_loss_constant(t, 1.0f), ck_mul(t, hinge_labels(t, y_true), y_pred)));
}

/* mean(maximum(1 - y_true * y_pred, 0), axis=-1) */
ck_node *ck_hinge(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg)
{
    (void)cfg;
    return ck_loss_mean_last(t, hinge_margin(t, y_true, y_pred));
}

/* mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1) */
ck_node *ck_squared_hinge(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg)
{
    (void)cfg;
    return ck_loss_mean_last(t, ck_square(t, hinge_margin(t, y_true, y_pred)));
}
