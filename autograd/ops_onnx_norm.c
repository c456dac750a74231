/* ops_onnx_norm.c - the normalization rows (ops_norm.c) as ONNX nodes: the
 * op table's onnx column, as in ops_onnx.c. x is viewed as (O, C, I)
 * around args.axis, gamma, beta, mean and var are (C), eps is args.alpha.
 * Each translation follows our formula (tf.nn.batch_normalization's):
 *     inv = gamma / sqrt(var + eps);  y = x * inv + (beta - mean * inv)
 * with elementwise operators, so it holds for any axis (ONNX's
 * BatchNormalization wants the channels at axis 1); ORT folds the
 * per-channel part of an inference batch norm into constants. The
 * statistics are taken in double, as ours: then ONNX Runtime's values are
 * ours exactly (tests/onnx every_op). ONNX's LayerNormalization (opset 17)
 * is not used: ONNX Runtime takes them in float, and its results already
 * used half the 1e-5 bound on tests/onnx's norm_two_outputs (the
 * composition: 2%); a variance small next to its mean would take more. */
#include "ops_internal.h"

/* A (C) vector shaped to broadcast against x around axis: itself when the
 * axis is the last, else Reshape to (C, 1, ..., 1). */
static const char *per_channel(ck_onnx_emitter *e, const ck_node *n, const char *v)
{
    int ndim = n->in[0]->value.shape.ndim, axis = n->args.axis;
    if (axis == ndim - 1) return v;
    int64_t shape[CK_MAX_DIMS];
    shape[0] = n->in[0]->value.shape.d[axis];
    for (int d = 1; d < ndim - axis; d++) shape[d] = 1;
    const char *shape_name = ck_onnx_ints(e, "channel_shape", shape, ndim - axis), *out = e->value(e, "per_channel");
    if (!shape_name || !out || ck_onnx_node(e, "Reshape", (const char *[]){v, shape_name}, 2, out, NULL, 0) < 0)
        return NULL;
    return out;
}

/* op_type(a, b) -> a new value named after hint, or NULL. */
static const char *op2(ck_onnx_emitter *e, const char *op_type, const char *a, const char *b, const char *hint)
{
    const char *out = e->value(e, hint);
    if (!a || !b || !out || ck_onnx_node(e, op_type, (const char *[]){a, b}, 2, out, NULL, 0) < 0) return NULL;
    return out;
}

/* op_type(x) -> a new value named after hint, or NULL. */
static const char *op1(ck_onnx_emitter *e, const char *op_type, const char *x, const char *hint)
{
    const char *out = e->value(e, hint);
    if (!x || !out || ck_onnx_node(e, op_type, &x, 1, out, NULL, 0) < 0) return NULL;
    return out;
}

/* 1 / sqrt(var + eps), as ours computes it. Reciprocal, not Div(1, s):
 * ONNX Runtime rewrites Div(1, s) * g as g / s, one rounding off ours,
 * which the normalisation can multiply up. */
static const char *reciprocal_std(ck_onnx_emitter *e, const char *var, float eps)
{
    const char *var_eps = op2(e, "Add", var, ck_onnx_scalar(e, "epsilon", CK_ONNX_FLOAT, eps), "var_eps");
    return op1(e, "Reciprocal", op1(e, "Sqrt", var_eps, "std"), "rstd");
}

/* y = x * inv + (beta - mean * inv), inv = rstd * gamma; every operand
 * already broadcasts against x. */
static int scale_shift(ck_onnx_emitter *e, const char *x, const char *rstd, const char *gamma, const char *beta,
                       const char *mean, const char *out)
{
    const char *inv = op2(e, "Mul", rstd, gamma, "inv");
    const char *shift = op2(e, "Sub", beta, op2(e, "Mul", mean, inv, "mean_inv"), "shift");
    const char *scaled = op2(e, "Mul", x, inv, "scaled");
    if (!scaled || !shift) return -1;
    return ck_onnx_node(e, "Add", (const char *[]){scaled, shift}, 2, out, NULL, 0);
}

/* x, gamma, beta, mean, var: the statistics given (Keras's
 * BatchNormalization at inference, what an export traces) */
int ck_batch_norm_inference_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    const char *rstd = reciprocal_std(e, in[4], n->args.alpha);
    const char *inv = op2(e, "Mul", rstd, in[1], "inv");
    const char *shift = op2(e, "Sub", in[2], op2(e, "Mul", in[3], inv, "mean_inv"), "shift");
    const char *inv_b = inv ? per_channel(e, n, inv) : NULL, *shift_b = shift ? per_channel(e, n, shift) : NULL;
    const char *scaled = op2(e, "Mul", in[0], inv_b, "scaled");
    if (!scaled || !shift_b) return -1;
    return ck_onnx_node(e, "Add", (const char *[]){scaled, shift_b}, 2, out, NULL, 0);
}

/* x cast to ONNX type `to`, as a new value named after hint, or NULL. */
static const char *cast(ck_onnx_emitter *e, const char *x, ck_onnx_type to, const char *hint)
{
    ck_onnx_attr a = ck_onnx_attr_int("to", to);
    const char *out = e->value(e, hint);
    if (!x || !out || ck_onnx_node(e, "Cast", &x, 1, out, &a, 1) < 0) return NULL;
    return out;
}

/* Mean and biased variance over `axes` (keepdims) into *mean, *var, as
 * ours takes them: in double, then rounded to float. (In float, a
 * variance that is small next to the mean loses the digits the
 * normalisation then multiplies up, and the two would differ.) */
static int moments(ck_onnx_emitter *e, const char *x, const int64_t *axes, int n_axes, const char **mean,
                   const char **var)
{
    const char *x_double = cast(e, x, CK_ONNX_DOUBLE, "x_double");
    const char *mean_double = e->value(e, "mean_double"), *var_double = e->value(e, "var_double");
    if (!x_double || !mean_double || !var_double ||
        ck_onnx_reduce(e, "ReduceMean", x_double, axes, n_axes, 1, mean_double) < 0)
        return -1;
    const char *centred = op2(e, "Sub", x_double, mean_double, "centred");
    const char *squared = op2(e, "Mul", centred, centred, "squared");
    if (!squared || ck_onnx_reduce(e, "ReduceMean", squared, axes, n_axes, 1, var_double) < 0) return -1;
    *mean = cast(e, mean_double, CK_ONNX_FLOAT, "mean");
    *var = cast(e, var_double, CK_ONNX_FLOAT, "var");
    return *mean && *var ? 0 : -1;
}

/* x, gamma, beta: statistics of the batch itself, over every axis but the
 * channels' (Keras's BatchNormalization in training; an export runs the
 * model for prediction and never meets it, but a Lambda may) */
int ck_batch_norm_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    int64_t axes[CK_MAX_DIMS];
    int n_axes = 0;
    for (int d = 0; d < n->in[0]->value.shape.ndim; d++)
        if (d != n->args.axis) axes[n_axes++] = d;
    const char *mean, *var;
    if (moments(e, in[0], axes, n_axes, &mean, &var) < 0) return -1;
    const char *gamma = per_channel(e, n, in[1]), *beta = per_channel(e, n, in[2]);
    const char *rstd = reciprocal_std(e, var, n->args.alpha);
    if (!gamma || !beta || !rstd) return -1;
    return scale_shift(e, in[0], rstd, gamma, beta, mean, out);
}

/* x, gamma, beta: statistics over the channel axis at every other position */
int ck_layer_norm_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    int64_t axis = n->args.axis;
    const char *mean, *var;
    if (moments(e, in[0], &axis, 1, &mean, &var) < 0) return -1;
    const char *gamma = per_channel(e, n, in[1]), *beta = per_channel(e, n, in[2]);
    const char *rstd = reciprocal_std(e, var, n->args.alpha);
    if (!gamma || !beta || !rstd) return -1;
    return scale_shift(e, in[0], rstd, gamma, beta, mean, out);
}

/* x / sqrt(max(sum(x^2 over axis), 1e-12)), as x * (1 / norm) like ours */
int ck_l2_normalize_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    int64_t axis = n->args.axis;
    const char *squared = op2(e, "Mul", in[0], in[0], "squared"), *sum = e->value(e, "sum_squares");
    if (!squared || !sum || ck_onnx_reduce(e, "ReduceSum", squared, &axis, 1, 1, sum) < 0) return -1;
    const char *floor = ck_onnx_scalar(e, "floor", CK_ONNX_FLOAT, L2_NORMALIZE_EPSILON);
    const char *inv = op1(e, "Reciprocal", op1(e, "Sqrt", op2(e, "Max", sum, floor, "floored"), "norm"), "inv_norm");
    if (!inv) return -1;
    return ck_onnx_node(e, "Mul", (const char *[]){in[0], inv}, 2, out, NULL, 0);
}
