/* ops_onnx.c - the built-in ops as ONNX nodes (the op table's onnx
 * column; the math and activations are in ops_onnx_math.c), and the
 * shorthands a translation uses. A translation gets the
 * traced node (shapes, dtypes, args), the ONNX names of its inputs and the
 * name its result must have; it adds nodes through the emitter (see
 * ck_autograd.h) and knows nothing of protobuf or of files.
 *
 * Adding an op's translation: one function here, declared in
 * ops_internal.h, named in the op's row of op_table.c. The ONNX operators
 * used are those of opset 13 (ai.onnx); where an operator changed later
 * (ReduceMean takes its axes as an input from opset 18) the translation
 * reads e->opset. */
#include "ops_internal.h"

#include <math.h>
#include <string.h>

/* ---- shorthands (ck_autograd.h) ---- */

int ck_onnx_node(ck_onnx_emitter *e, const char *op_type, const char *const *in, int n_in, const char *out,
                 const ck_onnx_attr *attrs, int n_attrs)
{
    if (!e || !e->node || !op_type || !out) return ck_fail("onnx_node: NULL emitter, op type or output");
    const char *outs[1] = {out};
    return e->node(e, op_type, in, n_in, outs, 1, attrs, n_attrs);
}

const char *ck_onnx_ints(ck_onnx_emitter *e, const char *hint, const int64_t *values, int n)
{
    int64_t dims[1] = {n};
    return e->constant(e, hint, CK_ONNX_INT64, dims, 1, values);
}

const char *ck_onnx_scalar(ck_onnx_emitter *e, const char *hint, ck_onnx_type type, double value)
{
    /* each conversion only for its own type: (int) of -inf (a float
     * constant's value) is undefined, even unused */
    switch (type) {
    case CK_ONNX_FLOAT: {
        float f = (float)value;
        return e->constant(e, hint, type, NULL, 0, &f);
    }
    case CK_ONNX_INT32:
    case CK_ONNX_INT64: {
        int wide = type == CK_ONNX_INT64;
        double lo = wide ? -9223372036854775808.0 : -2147483648.0, hi = -lo; /* [lo, hi) */
        if (!(value >= lo && value < hi) || value != floor(value)) {
            ck_fail("onnx_scalar: %g is not an int%d", value, wide ? 64 : 32);
            return NULL;
        }
        int32_t i32 = (int32_t)value;
        int64_t i64 = (int64_t)value;
        return e->constant(e, hint, type, NULL, 0, wide ? (const void *)&i64 : (const void *)&i32);
    }
    case CK_ONNX_DOUBLE: return e->constant(e, hint, type, NULL, 0, &value);
    case CK_ONNX_BOOL: break;
    }
    ck_fail("onnx_scalar: no scalar of ONNX type %d", (int)type);
    return NULL;
}

ck_onnx_type ck_onnx_type_of(ck_dtype dtype) { return dtype == CK_I32 ? CK_ONNX_INT32 : CK_ONNX_FLOAT; }

/* ---- helpers of the translations below ---- */

/* The first opset in which ReduceMean, ReduceMax (and the other
 * reductions but ReduceSum) take their axes as an input instead of an
 * attribute. */
enum { OPSET_REDUCE_AXES_INPUT = 18 };

/* op_type over the given axes with keepdims, for the Reduce* operators:
 * axes as an input (ReduceSum from opset 13, the others from 18), else as
 * an attribute. */
int ck_onnx_reduce(ck_onnx_emitter *e, const char *op_type, const char *x, const int64_t *axes, int n_axes,
                   int keepdims, const char *out)
{
    ck_onnx_attr attrs[2] = {ck_onnx_attr_int("keepdims", keepdims), ck_onnx_attr_ints("axes", axes, n_axes)};
    int axes_input = !strcmp(op_type, "ReduceSum") || e->opset >= OPSET_REDUCE_AXES_INPUT;
    if (!axes_input) return ck_onnx_node(e, op_type, (const char *[]){x}, 1, out, attrs, 2);
    const char *axes_name = ck_onnx_ints(e, "axes", axes, n_axes);
    if (!axes_name) return -1;
    return ck_onnx_node(e, op_type, (const char *[]){x, axes_name}, 2, out, attrs, 1);
}

static int reduce(ck_onnx_emitter *e, const char *op_type, const char *x, int64_t axis, int keepdims, const char *out)
{
    return ck_onnx_reduce(e, op_type, x, &axis, 1, keepdims, out);
}

/* A new intermediate value, or NULL with the message kept. */
static const char *tmp(ck_onnx_emitter *e, const char *hint) { return e->value(e, hint); }

/* ---- elementwise (ops_elementwise.c): ONNX broadcasts as numpy does, like ours ---- */

int ck_add_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return ck_onnx_node(e, "Add", in, 2, out, NULL, 0);
}

int ck_sub_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return ck_onnx_node(e, "Sub", in, 2, out, NULL, 0);
}

int ck_mul_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return ck_onnx_node(e, "Mul", in, 2, out, NULL, 0);
}

int ck_scale_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    const char *alpha = ck_onnx_scalar(e, "alpha", CK_ONNX_FLOAT, n->args.alpha);
    if (!alpha) return -1;
    return ck_onnx_node(e, "Mul", (const char *[]){in[0], alpha}, 2, out, NULL, 0);
}

int ck_square_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return ck_onnx_node(e, "Mul", (const char *[]){in[0], in[0]}, 2, out, NULL, 0); /* x * x, as ours */
}

int ck_relu_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return ck_onnx_node(e, "Relu", in, 1, out, NULL, 0);
}

int ck_sigmoid_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return ck_onnx_node(e, "Sigmoid", in, 1, out, NULL, 0);
}

int ck_tanh_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return ck_onnx_node(e, "Tanh", in, 1, out, NULL, 0);
}

/* ---- matmul (ops_matmul.c): (..., k) @ (k, n); ONNX MatMul broadcasts the leading dims ---- */

int ck_matmul_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    return ck_onnx_node(e, "MatMul", in, 2, out, NULL, 0);
}

/* ---- reductions (ops_reduce.c) ---- */

int ck_sum_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    return reduce(e, "ReduceSum", in[0], n->args.axis, n->args.keepdims, out);
}

int ck_mean_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    return reduce(e, "ReduceMean", in[0], n->args.axis, n->args.keepdims, out);
}

/* sum_concat, sum_square_concat: Concat (one part: none), Mul(x, x) when
 * squared, ReduceSum, then Mul by alpha unless it is 1. */
static int sum_parts_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out, int squared)
{
    const char *x = in[0];
    if (n->n_in > 1) {
        ck_onnx_attr axis = ck_onnx_attr_int("axis", n->args.axis);
        if (!(x = tmp(e, "concat")) || ck_onnx_node(e, "Concat", in, n->n_in, x, &axis, 1) < 0) return -1;
    }
    if (squared) {
        const char *sq = tmp(e, "square");
        if (!sq || ck_onnx_node(e, "Mul", (const char *[]){x, x}, 2, sq, NULL, 0) < 0) return -1;
        x = sq;
    }
    if (n->args.alpha == 1.0f) return reduce(e, "ReduceSum", x, n->args.axis, n->args.keepdims, out);
    const char *sum = tmp(e, "sum"), *alpha = ck_onnx_scalar(e, "alpha", CK_ONNX_FLOAT, n->args.alpha);
    if (!sum || !alpha || reduce(e, "ReduceSum", x, n->args.axis, n->args.keepdims, sum) < 0) return -1;
    return ck_onnx_node(e, "Mul", (const char *[]){sum, alpha}, 2, out, NULL, 0);
}

int ck_sum_concat_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    return sum_parts_onnx(e, n, in, out, 0);
}

int ck_sum_square_concat_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    return sum_parts_onnx(e, n, in, out, 1);
}

/* sum_gather: Gather on axis 0, ReduceSum over the ids' last axis, Mul by
 * alpha unless it is 1. */
int ck_sum_gather_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    ck_onnx_attr axis0 = ck_onnx_attr_int("axis", 0);
    const char *rows = tmp(e, "rows");
    if (!rows || ck_onnx_node(e, "Gather", in, 2, rows, &axis0, 1) < 0) return -1;
    if (n->args.alpha == 1.0f) return reduce(e, "ReduceSum", rows, n->args.axis, n->args.keepdims, out);
    const char *sum = tmp(e, "sum"), *alpha = ck_onnx_scalar(e, "alpha", CK_ONNX_FLOAT, n->args.alpha);
    if (!sum || !alpha || reduce(e, "ReduceSum", rows, n->args.axis, n->args.keepdims, sum) < 0) return -1;
    return ck_onnx_node(e, "Mul", (const char *[]){sum, alpha}, 2, out, NULL, 0);
}

int ck_max_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    return reduce(e, "ReduceMax", in[0], n->args.axis, n->args.keepdims, out);
}

/* 1.0f where x != 0: Cast(Not(Equal(x, 0)), FLOAT). */
int ck_mask_nonzero_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    const char *zero = ck_onnx_scalar(e, "zero", ck_onnx_type_of(n->in[0]->value.dtype), 0);
    const char *is_zero = tmp(e, "is_zero"), *nonzero = tmp(e, "nonzero");
    if (!zero || !is_zero || !nonzero) return -1;
    ck_onnx_attr to = ck_onnx_attr_int("to", CK_ONNX_FLOAT);
    if (ck_onnx_node(e, "Equal", (const char *[]){in[0], zero}, 2, is_zero, NULL, 0) < 0 ||
        ck_onnx_node(e, "Not", &is_zero, 1, nonzero, NULL, 0) < 0)
        return -1;
    return ck_onnx_node(e, "Cast", &nonzero, 1, out, &to, 1);
}

/* The mask (O, L) of x (O, L, I...) with trailing dims of 1, so it
 * broadcasts over x (Unsqueeze); itself when x has no more dims. */
static const char *expanded_mask(ck_onnx_emitter *e, const ck_node *n, const char *mask)
{
    int x_ndim = n->in[0]->value.shape.ndim, mask_ndim = n->in[1]->value.shape.ndim;
    if (x_ndim <= mask_ndim) return mask;
    int64_t axes[CK_MAX_DIMS];
    for (int d = mask_ndim; d < x_ndim; d++) axes[d - mask_ndim] = d;
    const char *axes_name = ck_onnx_ints(e, "mask_axes", axes, x_ndim - mask_ndim);
    const char *expanded = tmp(e, "mask");
    if (!axes_name || !expanded ||
        ck_onnx_node(e, "Unsqueeze", (const char *[]){mask, axes_name}, 2, expanded, NULL, 0) < 0)
        return NULL;
    return expanded;
}

/* x (O, L, I...), mask (O, L) over axis a: ReduceSum(x * mask) / count,
 * where a count of 0 (all padding) divides by 1 instead: the sum is 0
 * there, and so is ours. */
int ck_masked_mean_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    int axis = n->args.axis, keepdims = n->args.keepdims;
    const char *mask = expanded_mask(e, n, in[1]);
    const char *masked = tmp(e, "masked"), *total = tmp(e, "masked_sum"), *count = tmp(e, "count");
    const char *is_empty = tmp(e, "is_empty"), *divisor = tmp(e, "divisor");
    const char *zero = ck_onnx_scalar(e, "zero", CK_ONNX_FLOAT, 0);
    const char *one = ck_onnx_scalar(e, "one", CK_ONNX_FLOAT, 1);
    if (!mask || !masked || !total || !count || !is_empty || !divisor || !zero || !one) return -1;
    if (ck_onnx_node(e, "Mul", (const char *[]){in[0], mask}, 2, masked, NULL, 0) < 0 ||
        reduce(e, "ReduceSum", masked, axis, keepdims, total) < 0 ||
        reduce(e, "ReduceSum", mask, axis, keepdims, count) < 0 ||
        ck_onnx_node(e, "Equal", (const char *[]){count, zero}, 2, is_empty, NULL, 0) < 0 ||
        ck_onnx_node(e, "Where", (const char *[]){is_empty, one, count}, 3, divisor, NULL, 0) < 0)
        return -1;
    return ck_onnx_node(e, "Div", (const char *[]){total, divisor}, 2, out, NULL, 0);
}

/* x (O, L, I...), mask (O, L) over axis a: the positions off the mask
 * become -inf (Where), then ReduceMax; a row with none on the mask gives 0,
 * as ours (its max over the mask, also reduced, is 0). */
int ck_masked_max_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    int axis = n->args.axis, keepdims = n->args.keepdims;
    const char *mask = expanded_mask(e, n, in[1]);
    const char *off = tmp(e, "off_mask"), *on = tmp(e, "on_mask"), *filled = tmp(e, "filled");
    const char *top = tmp(e, "masked_max"), *any = tmp(e, "any_on"), *is_empty = tmp(e, "is_empty");
    const char *zero = ck_onnx_scalar(e, "zero", CK_ONNX_FLOAT, 0);
    const char *minus_inf = ck_onnx_scalar(e, "minus_inf", CK_ONNX_FLOAT, -INFINITY);
    if (!mask || !off || !on || !filled || !top || !any || !is_empty || !zero || !minus_inf) return -1;
    ck_onnx_attr to_float = ck_onnx_attr_int("to", CK_ONNX_FLOAT);
    if (ck_onnx_node(e, "Equal", (const char *[]){mask, zero}, 2, off, NULL, 0) < 0 ||
        ck_onnx_node(e, "Where", (const char *[]){off, minus_inf, in[0]}, 3, filled, NULL, 0) < 0 ||
        reduce(e, "ReduceMax", filled, axis, keepdims, top) < 0 || ck_onnx_node(e, "Not", &off, 1, on, NULL, 0) < 0 ||
        ck_onnx_node(e, "Cast", &on, 1, any, &to_float, 1) < 0)
        return -1;
    const char *any_max = tmp(e, "any_max");
    if (!any_max || reduce(e, "ReduceMax", any, axis, keepdims, any_max) < 0 ||
        ck_onnx_node(e, "Equal", (const char *[]){any_max, zero}, 2, is_empty, NULL, 0) < 0)
        return -1;
    return ck_onnx_node(e, "Where", (const char *[]){is_empty, zero, top}, 3, out, NULL, 0);
}

/* ---- shape ops (ops_shape.c) ---- */

/* The target shape as ONNX Reshape reads it: fixed dims as they are; a dim
 * that follows the batch size becomes 0 (copy the input's) when it is the
 * input's batch dim at the same place, else -1 (inferred). More than one
 * batch-sized dim cannot be written, and is refused. */
int ck_reshape_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    ck_shape s = n->value.shape, x = n->in[0]->value.shape;
    unsigned out_batch = e->batch_dims(e, n), in_batch = e->batch_dims(e, n->in[0]);
    int64_t target[CK_MAX_DIMS];
    int n_inferred = 0;
    for (int d = 0; d < s.ndim; d++) {
        target[d] = s.d[d];
        if (!(out_batch & (1u << d))) continue;
        if (d < x.ndim && (in_batch & (1u << d)) && x.d[d] == s.d[d])
            target[d] = 0;
        else if (n_inferred++ == 0)
            target[d] = -1;
        else {
            char b[SHAPE_BUF];
            return ck_fail("reshape: the target shape %s has more than one dim that follows the batch size; ONNX "
                           "Reshape can infer only one",
                           ck_shape_str(s, b, sizeof b));
        }
    }
    const char *shape = ck_onnx_ints(e, "shape", target, s.ndim);
    if (!shape) return -1;
    return ck_onnx_node(e, "Reshape", (const char *[]){in[0], shape}, 2, out, NULL, 0);
}

int ck_concat_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    ck_onnx_attr axis = ck_onnx_attr_int("axis", n->args.axis);
    return ck_onnx_node(e, "Concat", in, n->n_in, out, &axis, 1);
}

/* table (V, D), ids (...) int32 -> (..., D): Gather on axis 0 of the table. */
int ck_gather_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    ck_onnx_attr axis = ck_onnx_attr_int("axis", 0);
    return ck_onnx_node(e, "Gather", in, 2, out, &axis, 1);
}

/* perm (args.shape) as Transpose's perm */
int ck_permute_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    int64_t perm[CK_MAX_DIMS];
    for (int d = 0; d < n->args.shape.ndim; d++) perm[d] = n->args.shape.d[d];
    ck_onnx_attr a = ck_onnx_attr_ints("perm", perm, n->args.shape.ndim);
    return ck_onnx_node(e, "Transpose", in, 1, out, &a, 1);
}

/* x (O, I) -> (O, n, I): Unsqueeze at the axis, then Tile n times along it
 * (repeats of 1 elsewhere, so nothing depends on the batch size) */
int ck_repeat_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    int axis = n->args.axis, ndim = n->value.shape.ndim;
    int64_t axes[1] = {axis}, repeats[CK_MAX_DIMS];
    for (int d = 0; d < ndim; d++) repeats[d] = d == axis ? n->value.shape.d[axis] : 1;
    const char *axes_name = ck_onnx_ints(e, "axes", axes, 1), *reps = ck_onnx_ints(e, "repeats", repeats, ndim);
    const char *unsqueezed = tmp(e, "unsqueezed");
    if (!axes_name || !reps || !unsqueezed ||
        ck_onnx_node(e, "Unsqueeze", (const char *[]){in[0], axes_name}, 2, unsqueezed, NULL, 0) < 0)
        return -1;
    return ck_onnx_node(e, "Tile", (const char *[]){unsqueezed, reps}, 2, out, NULL, 0);
}
