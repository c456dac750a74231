/* ops_onnx_math.c - the math and activation rows (ops_math.c, ops_nn.c)
 * and div, maximum, minimum (ops_elementwise.c) as ONNX nodes: the op
 * table's onnx column, as in ops_onnx.c. Where opset 13 has the operator
 * it is used as is, its constants written as attributes (Elu's alpha) or
 * as scalar inputs (Clip's bounds); gelu, swish and log_sigmoid have no
 * operator before opset 20 and are composed of ones that exist in 13.
 * Each composition follows our kernel's formula (tensor/kernels_math.c),
 * with the same constants (ck_kernels.h). */
#include "ops_internal.h"

/* ---- helpers ---- */

/* op_type(x) -> out, one input, no attributes. */
static int unary(ck_onnx_emitter *e, const char *op_type, const char *x, const char *out)
{
    return ck_onnx_node(e, op_type, &x, 1, out, NULL, 0);
}

/* op_type(a, b) -> out, two inputs, no attributes. */
static int binary(ck_onnx_emitter *e, const char *op_type, const char *a, const char *b, const char *out)
{
    return ck_onnx_node(e, op_type, (const char *[]){a, b}, 2, out, NULL, 0);
}

/* op_type(x, c) -> out for a float constant c (named after hint). */
static int with_scalar(ck_onnx_emitter *e, const char *op_type, const char *x, const char *hint, float c,
                       const char *out)
{
    const char *name = ck_onnx_scalar(e, hint, CK_ONNX_FLOAT, c);
    return name ? binary(e, op_type, x, name, out) : -1;
}

/* op_type(x) -> out with one float attribute. */
static int with_float_attr(ck_onnx_emitter *e, const char *op_type, const char *x, const char *attr, float v,
                           const char *out)
{
    ck_onnx_attr a = ck_onnx_attr_float(attr, v);
    return ck_onnx_node(e, op_type, &x, 1, out, &a, 1);
}

/* ---- math (ops_math.c) ---- */

int ck_exp_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return unary(e, "Exp", in[0], out);
}

int ck_log_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return unary(e, "Log", in[0], out);
}

int ck_sqrt_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return unary(e, "Sqrt", in[0], out);
}

int ck_abs_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return unary(e, "Abs", in[0], out);
}

/* x^p: Pow with the exponent as a scalar input */
int ck_pow_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    return with_scalar(e, "Pow", in[0], "exponent", n->args.alpha, out);
}

/* Clip(x, lo, hi), the bounds as inputs (opset 11 on); hi >= lo already
 * (the constructor raised it, as K.clip does) */
int ck_clip_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    const char *lo = ck_onnx_scalar(e, "min", CK_ONNX_FLOAT, n->args.alpha);
    const char *hi = ck_onnx_scalar(e, "max", CK_ONNX_FLOAT, n->args.beta);
    if (!lo || !hi) return -1;
    return ck_onnx_node(e, "Clip", (const char *[]){in[0], lo, hi}, 3, out, NULL, 0);
}

/* ---- binary elementwise (ops_elementwise.c): numpy broadcasting in both ---- */

int ck_div_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return binary(e, "Div", in[0], in[1], out);
}

int ck_maximum_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return binary(e, "Max", in[0], in[1], out);
}

int ck_minimum_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return binary(e, "Min", in[0], in[1], out);
}

/* ---- softmax over an axis (ops_nn.c): opset 13's Softmax and LogSoftmax
 * take one axis, as ours (earlier opsets flattened from the axis on) ---- */

int ck_softmax_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    ck_onnx_attr axis = ck_onnx_attr_int("axis", n->args.axis);
    return ck_onnx_node(e, "Softmax", in, 1, out, &axis, 1);
}

int ck_log_softmax_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    ck_onnx_attr axis = ck_onnx_attr_int("axis", n->args.axis);
    return ck_onnx_node(e, "LogSoftmax", in, 1, out, &axis, 1);
}

/* ---- activations (ops_nn.c) ---- */

int ck_softplus_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return unary(e, "Softplus", in[0], out);
}

int ck_softsign_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return unary(e, "Softsign", in[0], out);
}

int ck_elu_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    return with_float_attr(e, "Elu", in[0], "alpha", n->args.alpha, out);
}

int ck_leaky_relu_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    return with_float_attr(e, "LeakyRelu", in[0], "alpha", n->args.alpha, out);
}

/* ONNX's default alpha and gamma are Keras's constants rounded to float,
 * as ours are; written out all the same */
int ck_selu_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    ck_onnx_attr attrs[2] = {ck_onnx_attr_float("alpha", CK_SELU_ALPHA), ck_onnx_attr_float("gamma", CK_SELU_SCALE)};
    return ck_onnx_node(e, "Selu", in, 1, out, attrs, 2);
}

/* 0.5 x (1 + t) -> out, given t (shared by both gelus). */
static int half_x_one_plus(ck_onnx_emitter *e, const char *x, const char *t, const char *out)
{
    const char *one_plus = e->value(e, "one_plus"), *x_times = e->value(e, "x_times");
    if (!one_plus || !x_times) return -1;
    if (with_scalar(e, "Add", t, "one", 1.0f, one_plus) < 0 || binary(e, "Mul", x, one_plus, x_times) < 0) return -1;
    return with_scalar(e, "Mul", x_times, "half", 0.5f, out);
}

/* x (1 + erf(x / sqrt 2)) / 2 (Gelu is an operator from opset 20 only).
 * Ours uses erfc(-x / sqrt 2), which keeps its precision for x far below
 * 0; for x > -4 the two differ by less than 1e-6 absolute. */
int ck_gelu_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    const char *scaled = e->value(e, "x_over_sqrt2"), *erf = e->value(e, "erf");
    if (!scaled || !erf) return -1;
    if (with_scalar(e, "Mul", in[0], "inv_sqrt2", CK_INV_SQRT2, scaled) < 0 || unary(e, "Erf", scaled, erf) < 0)
        return -1;
    return half_x_one_plus(e, in[0], erf, out);
}

/* x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2 */
int ck_gelu_tanh_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    const char *x = in[0], *x2 = e->value(e, "x2"), *x3 = e->value(e, "x3"), *cubic = e->value(e, "cubic");
    const char *inner = e->value(e, "inner"), *arg = e->value(e, "tanh_arg"), *t = e->value(e, "tanh");
    if (!x2 || !x3 || !cubic || !inner || !arg || !t) return -1;
    if (binary(e, "Mul", x, x, x2) < 0 || binary(e, "Mul", x2, x, x3) < 0 ||
        with_scalar(e, "Mul", x3, "cubic_coefficient", CK_GELU_CUBIC, cubic) < 0 ||
        binary(e, "Add", x, cubic, inner) < 0 ||
        with_scalar(e, "Mul", inner, "sqrt_2_over_pi", CK_SQRT_2_OVER_PI, arg) < 0 || unary(e, "Tanh", arg, t) < 0)
        return -1;
    return half_x_one_plus(e, x, t, out);
}

/* x sigmoid(x) (Swish is not an ONNX operator) */
int ck_swish_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    const char *s = e->value(e, "sigmoid");
    if (!s || unary(e, "Sigmoid", in[0], s) < 0) return -1;
    return binary(e, "Mul", in[0], s, out);
}

/* ln sigmoid(x) = -softplus(-x), stable as ours: Neg, Softplus, Neg */
int ck_log_sigmoid_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    const char *neg = e->value(e, "neg_x"), *sp = e->value(e, "softplus");
    if (!neg || !sp || unary(e, "Neg", in[0], neg) < 0 || unary(e, "Softplus", neg, sp) < 0) return -1;
    return unary(e, "Neg", sp, out);
}
