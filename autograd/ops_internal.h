/* ops_internal.h - what the op family files share (not installed): the
 * helpers of the shape rules, and the declarations of every function the
 * table in op_table.c names.
 *
 * Conventions of the built-in ops: a shape rule checks the inputs and sets
 * n->value's dtype and shape, failing with "op: ..." and the shapes
 * involved; forward and backward sit side by side under one heading giving
 * the shapes; the loops themselves are in tensor/kernels_*.c. What the tape
 * must know about each op (view, writes its whole output, may assign its
 * input gradients) is in its row's flags, not here. */
#ifndef CK_OPS_INTERNAL_H
#define CK_OPS_INTERNAL_H

#include "ck_autograd.h"
#include "ck_kernels.h"

#define SHAPE_BUF 64 /* room for "(2048, 20, 20, 20)" */
/* tf.math.l2_normalize's floor on the sum of squares (ops_norm.c, and its
 * ONNX translation). */
#define L2_NORMALIZE_EPSILON 1e-12

static inline int require_f32(const ck_node *n, int k)
{
    if (n->in[k]->value.dtype == CK_F32) return 0;
    return ck_fail("%s: input %d must be float32, got int32", n->op->name, k);
}

static inline int require_inputs(const ck_node *n, int count)
{
    if (n->n_in == count) return 0;
    return ck_fail("%s: expected %d inputs, got %d", n->op->name, count, n->n_in);
}

/* Map axis (negative counts from the end) into [0, ndim); -1 on error. */
static inline int normalise_axis(const ck_node *n, ck_shape s, int *axis)
{
    char buf[SHAPE_BUF];
    int a = *axis < 0 ? *axis + s.ndim : *axis;
    if (a < 0 || a >= s.ndim)
        return ck_fail("%s: axis %d out of range for shape %s", n->op->name, *axis, ck_shape_str(s, buf, sizeof buf));
    *axis = a;
    return 0;
}

/* View a shape as (outer, len, inner) around `axis`. */
static inline void split_at_axis(ck_shape s, int axis, int64_t *outer, int64_t *len, int64_t *inner)
{
    *outer = 1;
    *inner = 1;
    for (int k = 0; k < axis; k++) *outer *= s.d[k];
    for (int k = axis + 1; k < s.ndim; k++) *inner *= s.d[k];
    *len = s.d[axis];
}

/* The shape with `axis` removed, or kept as 1. */
static inline ck_shape reduce_shape(ck_shape s, int axis, int keepdims)
{
    ck_shape r = s;
    if (keepdims) {
        r.d[axis] = 1;
        return r;
    }
    for (int k = axis; k < s.ndim - 1; k++) r.d[k] = s.d[k + 1];
    r.d[s.ndim - 1] = 0;
    r.ndim = s.ndim - 1;
    return r;
}

/* The constructors' one line: run row `id` on one or two inputs. */
static inline ck_node *apply1(ck_tape *t, ck_op_id id, ck_node *x, const ck_op_args *args)
{
    ck_node *in[1] = {x};
    return ck_apply(t, &ck_ops[id], in, 1, args);
}

static inline ck_node *apply2(ck_tape *t, ck_op_id id, ck_node *a, ck_node *b, const ck_op_args *args)
{
    ck_node *in[2] = {a, b};
    return ck_apply(t, &ck_ops[id], in, 2, args);
}

/* The elementwise math and activation rows (ops_math.c, ops_nn.c): y =
 * op(x) with the op's constants from args (alpha, beta), through the unary
 * kernels of tensor/kernels_math.c. */
static inline void unary_forward(ck_unop op, ck_node *n)
{
    ck_k_unary(op, n->value.f, n->in[0]->value.f, n->value.size, n->args.alpha, n->args.beta);
}

/* x's gradient (+)= g op'(x), assigned whole when the tape left it unset
 * (so those rows are flagged CK_OP_ASSIGNS_GRAD). */
static inline void unary_backward(ck_unop op, ck_node *n)
{
    ck_node *x = n->in[0];
    const float *xv = x->value.f, *y = n->value.f;
    if (x->grad_unset)
        ck_k_unary_backward_assign(op, x->grad, xv, y, n->grad, n->value.size, n->args.alpha, n->args.beta);
    else if (x->grad)
        ck_k_unary_backward(op, x->grad, xv, y, n->grad, n->value.size, n->args.alpha, n->args.beta);
}

/* ---- the functions the rows of ck_ops[] name, by family file ---- */

/* ops_elementwise.c */
int ck_binary_shape(ck_node *n);   /* add, sub, mul, div, maximum, minimum: numpy broadcasting */
int ck_same_shape_f32(ck_node *n); /* one float32 input, output of its shape */
int ck_add_forward(ck_tape *t, ck_node *n);
void ck_add_backward(ck_node *n);
int ck_sub_forward(ck_tape *t, ck_node *n);
void ck_sub_backward(ck_node *n);
int ck_mul_forward(ck_tape *t, ck_node *n);
void ck_mul_backward(ck_node *n);
int ck_div_forward(ck_tape *t, ck_node *n);
void ck_div_backward(ck_node *n);
int ck_maximum_forward(ck_tape *t, ck_node *n);
void ck_maximum_backward(ck_node *n);
int ck_minimum_forward(ck_tape *t, ck_node *n);
void ck_minimum_backward(ck_node *n);
int ck_scale_forward(ck_tape *t, ck_node *n);
void ck_scale_backward(ck_node *n);
int ck_square_forward(ck_tape *t, ck_node *n);
void ck_square_backward(ck_node *n);
int ck_relu_forward(ck_tape *t, ck_node *n);
void ck_relu_backward(ck_node *n);
int ck_sigmoid_forward(ck_tape *t, ck_node *n);
void ck_sigmoid_backward(ck_node *n);
int ck_tanh_forward(ck_tape *t, ck_node *n);
void ck_tanh_backward(ck_node *n);

/* ops_matmul.c */
int ck_matmul_shape(ck_node *n);
int ck_matmul_forward(ck_tape *t, ck_node *n);
void ck_matmul_backward(ck_node *n);

/* ops_reduce.c */
int ck_reduce_axis_shape(ck_node *n); /* sum, mean */
int ck_sum_forward(ck_tape *t, ck_node *n);
void ck_sum_backward(ck_node *n);
int ck_mean_forward(ck_tape *t, ck_node *n);
void ck_mean_backward(ck_node *n);
int ck_max_shape(ck_node *n);
int ck_max_forward(ck_tape *t, ck_node *n);
void ck_max_backward(ck_node *n);
int ck_mask_nonzero_shape(ck_node *n);
int ck_mask_nonzero_forward(ck_tape *t, ck_node *n);
int ck_masked_mean_shape(ck_node *n); /* masked_mean, masked_max */
int ck_masked_mean_forward(ck_tape *t, ck_node *n);
void ck_masked_mean_backward(ck_node *n);
int ck_max_forward(ck_tape *t, ck_node *n);
void ck_max_backward(ck_node *n);
int ck_masked_max_forward(ck_tape *t, ck_node *n);
void ck_masked_max_backward(ck_node *n);
int ck_sum_parts_shape(ck_node *n); /* sum_concat, sum_square_concat */
int ck_sum_concat_forward(ck_tape *t, ck_node *n);
void ck_sum_concat_backward(ck_node *n);
int ck_sum_square_concat_forward(ck_tape *t, ck_node *n);
void ck_sum_square_concat_backward(ck_node *n);

/* fusion.c: what ck_apply defers and rewrites when the tape's fusion is on */
int ck_fusion_defers(const ck_node *n);
int ck_fusion_rewrite(ck_tape *t, ck_node *n);

/* ops_shape.c */
int ck_reshape_shape(ck_node *n);
int ck_reshape_forward(ck_tape *t, ck_node *n);
void ck_reshape_backward(ck_node *n);
int ck_concat_shape(ck_node *n);
int ck_concat_forward(ck_tape *t, ck_node *n);
void ck_concat_backward(ck_node *n);
int ck_gather_shape(ck_node *n);
int ck_gather_forward(ck_tape *t, ck_node *n);
void ck_gather_backward(ck_node *n);
int ck_sum_gather_shape(ck_node *n);
int ck_sum_gather_forward(ck_tape *t, ck_node *n);
void ck_sum_gather_backward(ck_node *n);
int ck_permute_shape(ck_node *n);
int ck_permute_forward(ck_tape *t, ck_node *n);
void ck_permute_backward(ck_node *n);
int ck_repeat_shape(ck_node *n);
int ck_repeat_forward(ck_tape *t, ck_node *n);
void ck_repeat_backward(ck_node *n);

/* ops_norm.c */
int ck_batch_norm_shape(ck_node *n);
int ck_batch_norm_forward(ck_tape *t, ck_node *n);
void ck_batch_norm_backward(ck_node *n);
int ck_batch_norm_inference_shape(ck_node *n);
int ck_batch_norm_inference_forward(ck_tape *t, ck_node *n);
void ck_batch_norm_inference_backward(ck_node *n);
int ck_layer_norm_shape(ck_node *n);
int ck_layer_norm_forward(ck_tape *t, ck_node *n);
void ck_layer_norm_backward(ck_node *n);
int ck_l2_normalize_shape(ck_node *n);
int ck_l2_normalize_forward(ck_tape *t, ck_node *n);
void ck_l2_normalize_backward(ck_node *n);

/* ops_loss.c */
int ck_mse_shape(ck_node *n);
int ck_mse_forward(ck_tape *t, ck_node *n);
void ck_mse_backward(ck_node *n);

/* ops_math.c */
int ck_exp_forward(ck_tape *t, ck_node *n);
void ck_exp_backward(ck_node *n);
int ck_log_forward(ck_tape *t, ck_node *n);
void ck_log_backward(ck_node *n);
int ck_sqrt_forward(ck_tape *t, ck_node *n);
void ck_sqrt_backward(ck_node *n);
int ck_pow_forward(ck_tape *t, ck_node *n);
void ck_pow_backward(ck_node *n);
int ck_abs_forward(ck_tape *t, ck_node *n);
void ck_abs_backward(ck_node *n);
int ck_clip_forward(ck_tape *t, ck_node *n);
void ck_clip_backward(ck_node *n);

/* ops_nn.c */
int ck_softmax_shape(ck_node *n); /* softmax, log_softmax: one float32 input, an axis of it */
int ck_softmax_forward(ck_tape *t, ck_node *n);
void ck_softmax_backward(ck_node *n);
int ck_log_softmax_forward(ck_tape *t, ck_node *n);
void ck_log_softmax_backward(ck_node *n);
int ck_softplus_forward(ck_tape *t, ck_node *n);
void ck_softplus_backward(ck_node *n);
int ck_softsign_forward(ck_tape *t, ck_node *n);
void ck_softsign_backward(ck_node *n);
int ck_elu_forward(ck_tape *t, ck_node *n);
void ck_elu_backward(ck_node *n);
int ck_selu_forward(ck_tape *t, ck_node *n);
void ck_selu_backward(ck_node *n);
int ck_gelu_forward(ck_tape *t, ck_node *n);
void ck_gelu_backward(ck_node *n);
int ck_gelu_tanh_forward(ck_tape *t, ck_node *n);
void ck_gelu_tanh_backward(ck_node *n);
int ck_swish_forward(ck_tape *t, ck_node *n);
void ck_swish_backward(ck_node *n);
int ck_leaky_relu_forward(ck_tape *t, ck_node *n);
void ck_leaky_relu_backward(ck_node *n);
int ck_log_sigmoid_forward(ck_tape *t, ck_node *n);
void ck_log_sigmoid_backward(ck_node *n);

/* ops_onnx.c: the rows' onnx column, the op as ONNX nodes (ck_onnx_fn) */
int ck_add_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_sub_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_mul_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_scale_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_square_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_relu_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_sigmoid_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_tanh_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_matmul_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_sum_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_mean_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_mask_nonzero_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_masked_mean_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_reshape_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_concat_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_gather_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_max_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_sum_concat_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_sum_square_concat_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_sum_gather_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_masked_max_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_permute_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_repeat_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
/* op_type over axes with keepdims (a Reduce* node; axes as an attribute or
 * an input, as the opset wants) */
int ck_onnx_reduce(ck_onnx_emitter *e, const char *op_type, const char *x, const int64_t *axes, int n_axes,
                   int keepdims, const char *out);

/* ops_onnx_math.c */
int ck_exp_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_log_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_sqrt_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_abs_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_pow_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_clip_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_div_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_maximum_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_minimum_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_softmax_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_log_softmax_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_softplus_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_softsign_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_elu_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_selu_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_leaky_relu_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_gelu_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_gelu_tanh_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_swish_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_log_sigmoid_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);

/* ops_onnx_norm.c */
int ck_batch_norm_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_batch_norm_inference_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_layer_norm_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);
int ck_l2_normalize_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);

#endif
