/* every_op.c - one Lambda per built-in op (see every_op.h). Inputs are
 * made positive where the op needs it (log, sqrt, pow); binary ops meet a
 * constant row, broadcast over the batch. */
#include <stdio.h>
#include <string.h>

#include "every_op.h"

const char *const every_op_losses[] = {"mse", NULL};

int every_op_is_loss(const char *op)
{
    for (int k = 0; every_op_losses[k]; k++)
        if (!strcmp(op, every_op_losses[k])) return 1;
    return 0;
}

/* Constants, each a single initializer in the file (no batch dim). */
static float ROW[EVERY_OP_COLS_X] = {0.5f, -1.25f, 2.0f, 0.75f, -0.5f, 1.5f, -2.0f}; /* none 0: div's divisor */
static float QUARTER[1] = {0.25f};
enum { MATMUL_UNITS = 3, EMBED_DIM = 3 };
static float WEIGHTS[EVERY_OP_COLS_X * MATMUL_UNITS];
static float TABLE[EVERY_OP_VOCAB * EMBED_DIM];
/* per-channel parameters of the norms: channels of axis 1 (2) and of axis 2 (7) */
static float GAMMA[EVERY_OP_COLS_X] = {1.5f, 0.5f, -1.0f, 2.0f, 0.75f, 1.25f, -0.5f};
static float BETA[EVERY_OP_COLS_X] = {0.1f, -0.2f, 0.3f, 0.0f, -0.5f, 0.25f, 1.0f};
static float MOVING_MEAN[EVERY_OP_ROWS_X] = {0.3f, -0.4f};
static float MOVING_VAR[EVERY_OP_ROWS_X] = {1.7f, 0.6f};
static const float NORM_EPSILON = 1e-3f; /* Keras's default */

static ck_node *constant(ck_tape *t, ck_shape s, float *data)
{
    ck_tensor c = ck_tensor_view(CK_F32, s, data);
    return ck_const(t, &c);
}
static ck_node *row(ck_tape *t) { return constant(t, ck_shape_of(1, EVERY_OP_COLS_X), ROW); }
/* |x| + 1/4 > 0 */
static ck_node *positive(ck_tape *t, ck_node *x)
{
    return ck_add(t, ck_abs(t, x), constant(t, ck_shape_of(1, 1), QUARTER));
}
static ck_node *table(ck_tape *t) { return constant(t, ck_shape_of(2, EVERY_OP_VOCAB, EMBED_DIM), TABLE); }
/* (c) of a per-channel array */
static ck_node *channels(ck_tape *t, int c, float *v) { return constant(t, ck_shape_of(1, c), v); }

/* op_<name>(t, in, n, user): x = in[0], (batch, 2, 7) or (batch, 4) ids */
#define OP(name, expr)                                                           \
    static ck_node *op_##name(ck_tape *t, ck_node *const *in, int n, void *user) \
    {                                                                            \
        (void)n;                                                                 \
        (void)user;                                                              \
        ck_node *x = in[0];                                                      \
        if (!x) return NULL;                                                     \
        return (expr);                                                           \
    }

OP(add, ck_add(t, x, row(t)))
OP(sub, ck_sub(t, row(t), x))
OP(mul, ck_mul(t, x, row(t)))
OP(scale, ck_scale(t, x, -1.5f))
OP(matmul, ck_matmul(t, x, constant(t, ck_shape_of(2, EVERY_OP_COLS_X, MATMUL_UNITS), WEIGHTS)))
OP(sum, ck_sum(t, x, -1, 0))
OP(mean, ck_mean(t, x, 1, 1))
OP(square, ck_square(t, x))
OP(reshape, ck_reshape(t, x, ck_shape_of(2, x->value.shape.d[0], -1)))
OP(concat, ck_concat(t, (ck_node *[]){x, ck_square(t, x)}, 2, 2))
OP(gather, ck_gather(t, table(t), x))
OP(mask_nonzero, ck_mask_nonzero(t, x))
OP(masked_mean, ck_masked_mean(t, ck_gather(t, table(t), x), ck_mask_nonzero(t, x), 1, 0))
OP(relu, ck_relu(t, x))
OP(sigmoid, ck_sigmoid(t, x))
OP(tanh, ck_tanh(t, x))
OP(exp, ck_exp(t, x))
OP(log, ck_log(t, positive(t, x)))
OP(abs, ck_abs(t, x))
OP(clip, ck_clip(t, x, -0.5f, 1.0f))
OP(softmax, ck_softmax(t, x, -1))
OP(log_softmax, ck_log_softmax(t, x, 1))
OP(sqrt, ck_sqrt(t, positive(t, x)))
OP(pow, ck_pow(t, positive(t, x), 1.5f))
OP(div, ck_div(t, x, row(t)))
OP(maximum, ck_maximum(t, x, row(t)))
OP(minimum, ck_minimum(t, row(t), x))
OP(softplus, ck_softplus(t, x))
OP(softsign, ck_softsign(t, x))
OP(elu, ck_elu(t, x, 0.7f))
OP(selu, ck_selu(t, x))
OP(gelu, ck_gelu(t, x, 0))
OP(gelu_tanh, ck_gelu(t, x, 1))
OP(swish, ck_swish(t, x))
OP(leaky_relu, ck_leaky_relu(t, x, 0.2f))
OP(log_sigmoid, ck_log_sigmoid(t, x))
OP(max, ck_max(t, x, 2, 0))
/* the training form: statistics of the batch itself (whole_batch below) */
OP(batch_norm, ck_batch_norm(t, x, channels(t, EVERY_OP_COLS_X, GAMMA), channels(t, EVERY_OP_COLS_X, BETA), -1,
                             NORM_EPSILON, NULL, NULL))
/* channels on axis 1: the per-channel values reshaped to (2, 1) */
OP(batch_norm_inference,
   ck_batch_norm_inference(t, x, channels(t, EVERY_OP_ROWS_X, GAMMA), channels(t, EVERY_OP_ROWS_X, BETA),
                           channels(t, EVERY_OP_ROWS_X, MOVING_MEAN), channels(t, EVERY_OP_ROWS_X, MOVING_VAR), 1,
                           NORM_EPSILON))
/* the last axis: ONNX's LayerNormalization; axis 1: composed */
OP(layer_norm,
   ck_layer_norm(t, x, channels(t, EVERY_OP_COLS_X, GAMMA), channels(t, EVERY_OP_COLS_X, BETA), -1, NORM_EPSILON))
OP(layer_norm_axis1,
   ck_layer_norm(t, x, channels(t, EVERY_OP_ROWS_X, GAMMA), channels(t, EVERY_OP_ROWS_X, BETA), 1, NORM_EPSILON))
OP(l2_normalize, ck_l2_normalize(t, x, -1))
OP(permute, ck_permute(t, x, (const int[]){0, 2, 1}, 3))
OP(repeat, ck_repeat(t, x, 1, 3))
/* the parts (x and its square) along the last axis; means: 1 / the whole length */
OP(sum_concat, ck_sum_concat(t, (ck_node *[]){x, ck_square(t, x)}, 2, 2, 0, 1.0f))
OP(sum_square_concat,
   ck_sum_square_concat(t, (ck_node *[]){x, ck_scale(t, x, 0.5f)}, 2, -1, 1, 1.0f / (float)(2 * x->value.shape.d[2])))
/* an embedding bag: the mean of each sample's EVERY_OP_IDS rows */
OP(sum_gather, ck_sum_gather(t, table(t), x, 0, 1.0f / (float)EVERY_OP_IDS))
OP(masked_max, ck_masked_max(t, ck_gather(t, table(t), x), ck_mask_nonzero(t, x), 1, 0))

typedef enum { ON_X, ON_IDS } input_kind;
static const struct {
    const char *op;     /* the ck_ops row it exercises */
    const char *output; /* the output (and Lambda) is op_<output> */
    ck_lambda_fn fn;
    input_kind on;
    int whole_batch; /* its value depends on the whole batch (batch statistics) */
} cases[] = {
#define ROW_X(name)                      \
    {                                    \
#name, #name, op_##name, ON_X, 0 \
    }
#define ROW_IDS(name)                      \
    {                                      \
#name, #name, op_##name, ON_IDS, 0 \
    }
    ROW_X(add),
    ROW_X(sub),
    ROW_X(mul),
    ROW_X(scale),
    ROW_X(matmul),
    ROW_X(sum),
    ROW_X(mean),
    ROW_X(square),
    ROW_X(reshape),
    ROW_X(concat),
    ROW_IDS(gather),
    ROW_IDS(mask_nonzero),
    ROW_IDS(masked_mean),
    ROW_X(relu),
    ROW_X(sigmoid),
    ROW_X(tanh),
    ROW_X(exp),
    ROW_X(log),
    ROW_X(abs),
    ROW_X(clip),
    ROW_X(softmax),
    ROW_X(log_softmax),
    ROW_X(sqrt),
    ROW_X(pow),
    ROW_X(div),
    ROW_X(maximum),
    ROW_X(minimum),
    ROW_X(softplus),
    ROW_X(softsign),
    ROW_X(elu),
    ROW_X(selu),
    ROW_X(gelu),
    ROW_X(gelu_tanh),
    ROW_X(swish),
    ROW_X(leaky_relu),
    ROW_X(log_sigmoid),
    ROW_X(max),
    {"batch_norm", "batch_norm", op_batch_norm, ON_X, 1},
    ROW_X(batch_norm_inference),
    ROW_X(layer_norm),
    {"layer_norm", "layer_norm_axis1", op_layer_norm_axis1, ON_X, 0},
    ROW_X(l2_normalize),
    ROW_X(permute),
    ROW_X(repeat),
    ROW_IDS(masked_max),
    ROW_X(sum_concat),
    ROW_X(sum_square_concat),
    ROW_IDS(sum_gather),
#undef ROW_X
#undef ROW_IDS
};
enum { N_CASES = sizeof cases / sizeof cases[0] };

const char *every_op_missing(void)
{
    for (int id = 0; id < CK_OP_COUNT; id++) {
        int found = every_op_is_loss(ck_ops[id].name);
        for (int c = 0; c < N_CASES && !found; c++) found = !strcmp(cases[c].op, ck_ops[id].name);
        if (!found) return ck_ops[id].name;
    }
    return NULL;
}

ck_model *every_op_model(ck_session *s, ck_sym **outputs, int *whole_batch, int *n_out)
{
    _Static_assert(N_CASES <= EVERY_OP_MAX_OUTPUTS, "every_op: more ops than outputs");
    /* fixed, varied values in [-1, 1): the weights and the embedding table */
    for (int k = 0; k < EVERY_OP_COLS_X * MATMUL_UNITS; k++) WEIGHTS[k] = (float)((k * 7) % 11) / 5.5f - 1.0f;
    for (int k = 0; k < EVERY_OP_VOCAB * EMBED_DIM; k++) TABLE[k] = (float)((k * 13) % 17) / 8.5f - 1.0f;
    ck_sym *x = ck_Input(s, ck_shape_of(2, EVERY_OP_ROWS_X, EVERY_OP_COLS_X), CK_F32, "x");
    ck_sym *ids = ck_Input(s, ck_shape_of(1, EVERY_OP_IDS), CK_I32, "ids");
    char name[64];
    for (int c = 0; c < N_CASES; c++) {
        snprintf(name, sizeof name, "op_%s", cases[c].output);
        outputs[c] = ck_call1(ck_Lambda(s, cases[c].fn, NULL, name), cases[c].on == ON_X ? x : ids);
        if (whole_batch) whole_batch[c] = cases[c].whole_batch;
    }
    *n_out = N_CASES;
    ck_sym *inputs[2] = {x, ids};
    return ck_Model(s, inputs, 2, outputs, N_CASES, "every_op");
}
