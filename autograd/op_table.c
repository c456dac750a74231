/* op_table.c - the built-in op table: every op and what it is, in one place.
 *
 * A row names the op's shape rule, forward and backward (in the family
 * files: ops_elementwise.c, ops_matmul.c, ops_reduce.c, ops_shape.c,
 * ops_loss.c) and its flags, the only things the tape knows about an op
 * (see ck_autograd.h):
 *   VIEW      the value is input 0's data with a new shape (no copy);
 *   WRITES    forward writes every element: the value is not zeroed first;
 *   ASSIGNS   backward writes every element of an input gradient the tape
 *             marks unset, so the tape does not zero it first.
 * The last column is the op as ONNX nodes (ops_onnx.c), for
 * ck_export_onnx; NULL: not exportable (mse is a loss: an export traces
 * predictions, never a loss). */
#include "ops_internal.h"

#define VIEW CK_OP_VIEW
#define WRITES CK_OP_WRITES_OUTPUT
#define ASSIGNS CK_OP_ASSIGNS_GRAD

const ck_op ck_ops[CK_OP_COUNT] = {
    /* name, shape rule, forward, backward, flags, onnx */
    [CK_OP_ADD] = {"add", ck_binary_shape, ck_add_forward, ck_add_backward, WRITES | ASSIGNS, ck_add_onnx},
    [CK_OP_SUB] = {"sub", ck_binary_shape, ck_sub_forward, ck_sub_backward, WRITES | ASSIGNS, ck_sub_onnx},
    [CK_OP_MUL] = {"mul", ck_binary_shape, ck_mul_forward, ck_mul_backward, WRITES | ASSIGNS, ck_mul_onnx},
    [CK_OP_SCALE] = {"scale", ck_same_shape_f32, ck_scale_forward, ck_scale_backward, WRITES | ASSIGNS, ck_scale_onnx},
    [CK_OP_MATMUL] = {"matmul", ck_matmul_shape, ck_matmul_forward, ck_matmul_backward, WRITES, ck_matmul_onnx},
    [CK_OP_SUM] = {"sum", ck_reduce_axis_shape, ck_sum_forward, ck_sum_backward, WRITES | ASSIGNS, ck_sum_onnx},
    [CK_OP_MEAN] = {"mean", ck_reduce_axis_shape, ck_mean_forward, ck_mean_backward, WRITES | ASSIGNS, ck_mean_onnx},
    [CK_OP_SQUARE] = {"square", ck_same_shape_f32, ck_square_forward, ck_square_backward, WRITES | ASSIGNS,
                      ck_square_onnx},
    [CK_OP_RESHAPE] = {"reshape", ck_reshape_shape, ck_reshape_forward, ck_reshape_backward, VIEW | ASSIGNS,
                       ck_reshape_onnx},
    [CK_OP_CONCAT] = {"concat", ck_concat_shape, ck_concat_forward, ck_concat_backward, WRITES | ASSIGNS,
                      ck_concat_onnx},
    [CK_OP_GATHER] = {"gather", ck_gather_shape, ck_gather_forward, ck_gather_backward, WRITES, ck_gather_onnx},
    [CK_OP_MASK_NONZERO] = {"mask_nonzero", ck_mask_nonzero_shape, ck_mask_nonzero_forward, NULL, WRITES,
                            ck_mask_nonzero_onnx},
    [CK_OP_MASKED_MEAN] = {"masked_mean", ck_masked_mean_shape, ck_masked_mean_forward, ck_masked_mean_backward, WRITES,
                           ck_masked_mean_onnx},
    [CK_OP_RELU] = {"relu", ck_same_shape_f32, ck_relu_forward, ck_relu_backward, WRITES, ck_relu_onnx},
    [CK_OP_SIGMOID] = {"sigmoid", ck_same_shape_f32, ck_sigmoid_forward, ck_sigmoid_backward, WRITES, ck_sigmoid_onnx},
    [CK_OP_TANH] = {"tanh", ck_same_shape_f32, ck_tanh_forward, ck_tanh_backward, WRITES, ck_tanh_onnx},
    [CK_OP_MSE] = {"mse", ck_mse_shape, ck_mse_forward, ck_mse_backward, WRITES | ASSIGNS, NULL},
};
