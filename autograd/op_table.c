/* op_table.c - the built-in op table: every op and what it is, in one place.
 *
 * A row names the op's shape rule, forward and backward (in the family
 * files: ops_elementwise.c, ops_math.c, ops_nn.c, ops_matmul.c,
 * ops_reduce.c, ops_shape.c, ops_loss.c, ops_norm.c) and its flags, the
 * only things the tape knows about an op (see ck_autograd.h):
 *   VIEW      the value is input 0's data with a new shape (no copy);
 *   WRITES    forward writes every element: the value is not zeroed first;
 *   ASSIGNS   backward writes every element of an input gradient the tape
 *             marks unset, so the tape does not zero it first;
 *   ROWS      row r of the value (axis 0, the batch) depends only on row r
 *             of the inputs: a batch may run in row tiles;
 *   AXIS      the op works along args.axis: ROWS holds unless that is 0.
 * mse has no ROWS: it averages over the whole batch (the tiled fit scales
 * each tile's loss instead). The last column is the op as ONNX nodes (ops_onnx*.c), for
 * ck_export_onnx; NULL: not exportable (mse is a loss: an export traces
 * predictions, never a loss). */
#include "ops_internal.h"

#define VIEW CK_OP_VIEW
#define WRITES CK_OP_WRITES_OUTPUT
#define ASSIGNS CK_OP_ASSIGNS_GRAD
#define ROWS CK_OP_ROWWISE
#define AXIS CK_OP_AXIS

const ck_op ck_ops[CK_OP_COUNT] = {
    /* name, shape rule, forward, backward, flags, onnx */
    [CK_OP_ADD] = {"add", ck_binary_shape, ck_add_forward, ck_add_backward, WRITES | ASSIGNS | ROWS, ck_add_onnx},
    [CK_OP_SUB] = {"sub", ck_binary_shape, ck_sub_forward, ck_sub_backward, WRITES | ASSIGNS | ROWS, ck_sub_onnx},
    [CK_OP_MUL] = {"mul", ck_binary_shape, ck_mul_forward, ck_mul_backward, WRITES | ASSIGNS | ROWS, ck_mul_onnx},
    [CK_OP_SCALE] = {"scale", ck_same_shape_f32, ck_scale_forward, ck_scale_backward, WRITES | ASSIGNS | ROWS,
                     ck_scale_onnx},
    [CK_OP_MATMUL] = {"matmul", ck_matmul_shape, ck_matmul_forward, ck_matmul_backward, WRITES | ROWS, ck_matmul_onnx},
    [CK_OP_SUM] = {"sum", ck_reduce_axis_shape, ck_sum_forward, ck_sum_backward, WRITES | ASSIGNS | ROWS | AXIS,
                   ck_sum_onnx},
    [CK_OP_MEAN] = {"mean", ck_reduce_axis_shape, ck_mean_forward, ck_mean_backward, WRITES | ASSIGNS | ROWS | AXIS,
                    ck_mean_onnx},
    [CK_OP_SQUARE] = {"square", ck_same_shape_f32, ck_square_forward, ck_square_backward, WRITES | ASSIGNS | ROWS,
                      ck_square_onnx},
    [CK_OP_RESHAPE] = {"reshape", ck_reshape_shape, ck_reshape_forward, ck_reshape_backward, VIEW | ASSIGNS | ROWS,
                       ck_reshape_onnx},
    [CK_OP_CONCAT] = {"concat", ck_concat_shape, ck_concat_forward, ck_concat_backward, WRITES | ASSIGNS | ROWS | AXIS,
                      ck_concat_onnx},
    [CK_OP_GATHER] = {"gather", ck_gather_shape, ck_gather_forward, ck_gather_backward, WRITES | ROWS, ck_gather_onnx},
    [CK_OP_MASK_NONZERO] = {"mask_nonzero", ck_mask_nonzero_shape, ck_mask_nonzero_forward, NULL, WRITES | ROWS,
                            ck_mask_nonzero_onnx},
    [CK_OP_MASKED_MEAN] = {"masked_mean", ck_masked_mean_shape, ck_masked_mean_forward, ck_masked_mean_backward,
                           WRITES | ROWS | AXIS, ck_masked_mean_onnx},
    [CK_OP_RELU] = {"relu", ck_same_shape_f32, ck_relu_forward, ck_relu_backward, WRITES | ROWS, ck_relu_onnx},
    [CK_OP_SIGMOID] = {"sigmoid", ck_same_shape_f32, ck_sigmoid_forward, ck_sigmoid_backward, WRITES | ROWS,
                       ck_sigmoid_onnx},
    [CK_OP_TANH] = {"tanh", ck_same_shape_f32, ck_tanh_forward, ck_tanh_backward, WRITES | ROWS, ck_tanh_onnx},
    [CK_OP_MSE] = {"mse", ck_mse_shape, ck_mse_forward, ck_mse_backward, WRITES | ASSIGNS, NULL},
    [CK_OP_EXP] = {"exp", ck_same_shape_f32, ck_exp_forward, ck_exp_backward, WRITES | ASSIGNS | ROWS, ck_exp_onnx},
    [CK_OP_LOG] = {"log", ck_same_shape_f32, ck_log_forward, ck_log_backward, WRITES | ASSIGNS | ROWS, ck_log_onnx},
    [CK_OP_ABS] = {"abs", ck_same_shape_f32, ck_abs_forward, ck_abs_backward, WRITES | ASSIGNS | ROWS, ck_abs_onnx},
    [CK_OP_CLIP] = {"clip", ck_same_shape_f32, ck_clip_forward, ck_clip_backward, WRITES | ASSIGNS | ROWS,
                    ck_clip_onnx},
    [CK_OP_SOFTMAX] = {"softmax", ck_softmax_shape, ck_softmax_forward, ck_softmax_backward,
                       WRITES | ASSIGNS | ROWS | AXIS, ck_softmax_onnx},
    [CK_OP_LOG_SOFTMAX] = {"log_softmax", ck_softmax_shape, ck_log_softmax_forward, ck_log_softmax_backward,
                           WRITES | ASSIGNS | ROWS | AXIS, ck_log_softmax_onnx},
    [CK_OP_SQRT] = {"sqrt", ck_same_shape_f32, ck_sqrt_forward, ck_sqrt_backward, WRITES | ASSIGNS | ROWS,
                    ck_sqrt_onnx},
    [CK_OP_POW] = {"pow", ck_same_shape_f32, ck_pow_forward, ck_pow_backward, WRITES | ASSIGNS | ROWS, ck_pow_onnx},
    [CK_OP_DIV] = {"div", ck_binary_shape, ck_div_forward, ck_div_backward, WRITES | ROWS, ck_div_onnx},
    [CK_OP_MAXIMUM] = {"maximum", ck_binary_shape, ck_maximum_forward, ck_maximum_backward, WRITES | ROWS,
                       ck_maximum_onnx},
    [CK_OP_MINIMUM] = {"minimum", ck_binary_shape, ck_minimum_forward, ck_minimum_backward, WRITES | ROWS,
                       ck_minimum_onnx},
    [CK_OP_SOFTPLUS] = {"softplus", ck_same_shape_f32, ck_softplus_forward, ck_softplus_backward,
                        WRITES | ASSIGNS | ROWS, ck_softplus_onnx},
    [CK_OP_SOFTSIGN] = {"softsign", ck_same_shape_f32, ck_softsign_forward, ck_softsign_backward,
                        WRITES | ASSIGNS | ROWS, ck_softsign_onnx},
    [CK_OP_ELU] = {"elu", ck_same_shape_f32, ck_elu_forward, ck_elu_backward, WRITES | ASSIGNS | ROWS, ck_elu_onnx},
    [CK_OP_SELU] = {"selu", ck_same_shape_f32, ck_selu_forward, ck_selu_backward, WRITES | ASSIGNS | ROWS,
                    ck_selu_onnx},
    [CK_OP_GELU] = {"gelu", ck_same_shape_f32, ck_gelu_forward, ck_gelu_backward, WRITES | ASSIGNS | ROWS,
                    ck_gelu_onnx},
    [CK_OP_GELU_TANH] = {"gelu_tanh", ck_same_shape_f32, ck_gelu_tanh_forward, ck_gelu_tanh_backward,
                         WRITES | ASSIGNS | ROWS, ck_gelu_tanh_onnx},
    [CK_OP_SWISH] = {"swish", ck_same_shape_f32, ck_swish_forward, ck_swish_backward, WRITES | ASSIGNS | ROWS,
                     ck_swish_onnx},
    [CK_OP_LEAKY_RELU] = {"leaky_relu", ck_same_shape_f32, ck_leaky_relu_forward, ck_leaky_relu_backward,
                          WRITES | ASSIGNS | ROWS, ck_leaky_relu_onnx},
    [CK_OP_LOG_SIGMOID] = {"log_sigmoid", ck_same_shape_f32, ck_log_sigmoid_forward, ck_log_sigmoid_backward,
                           WRITES | ASSIGNS | ROWS, ck_log_sigmoid_onnx},
    [CK_OP_MAX] = {"max", ck_max_shape, ck_max_forward, ck_max_backward, WRITES | ROWS | AXIS, ck_max_onnx},
    [CK_OP_BATCH_NORM] = {"batch_norm", ck_batch_norm_shape, ck_batch_norm_forward, ck_batch_norm_backward,
                          WRITES | ASSIGNS, ck_batch_norm_onnx},
    [CK_OP_BATCH_NORM_INFERENCE] = {"batch_norm_inference", ck_batch_norm_inference_shape,
                                    ck_batch_norm_inference_forward, ck_batch_norm_inference_backward, WRITES | ASSIGNS,
                                    ck_batch_norm_inference_onnx},
    [CK_OP_LAYER_NORM] = {"layer_norm", ck_layer_norm_shape, ck_layer_norm_forward, ck_layer_norm_backward,
                          WRITES | ASSIGNS, ck_layer_norm_onnx},
    [CK_OP_L2_NORMALIZE] = {"l2_normalize", ck_l2_normalize_shape, ck_l2_normalize_forward, ck_l2_normalize_backward,
                            WRITES | ASSIGNS, ck_l2_normalize_onnx},
    [CK_OP_PERMUTE] = {"permute", ck_permute_shape, ck_permute_forward, ck_permute_backward, WRITES | ASSIGNS,
                       ck_permute_onnx},
    [CK_OP_REPEAT] = {"repeat", ck_repeat_shape, ck_repeat_forward, ck_repeat_backward, WRITES | ASSIGNS,
                      ck_repeat_onnx},
    [CK_OP_MASKED_MAX] = {"masked_max", ck_masked_mean_shape, ck_masked_max_forward, ck_masked_max_backward,
                          WRITES | ROWS | AXIS, ck_masked_max_onnx},
    [CK_OP_SUM_CONCAT] = {"sum_concat", ck_sum_parts_shape, ck_sum_concat_forward, ck_sum_concat_backward,
                          WRITES | ASSIGNS | ROWS | AXIS, ck_sum_concat_onnx},
    [CK_OP_SUM_SQUARE_CONCAT] = {"sum_square_concat", ck_sum_parts_shape, ck_sum_square_concat_forward,
                                 ck_sum_square_concat_backward, WRITES | ASSIGNS | ROWS | AXIS,
                                 ck_sum_square_concat_onnx},
    [CK_OP_SUM_GATHER] = {"sum_gather", ck_sum_gather_shape, ck_sum_gather_forward, ck_sum_gather_backward,
                          WRITES | ROWS | AXIS, ck_sum_gather_onnx},
};
