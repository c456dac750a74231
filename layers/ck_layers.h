/* ck_layers.h - Keras-like layers over symbolic tensors.
 *
 * Naming: a Keras class keeps its Keras name after the prefix (ck_Dense,
 * ck_Embedding, ck_Model, ck_EarlyStopping); lower-case names are functions
 * and autograd ops (ck_add is the op, ck_Add the layer).
 *
 * As in Keras's functional API:
 *     ck_session *s = ck_session_new(7);                       // seed
 *     ck_sym *x = ck_Input(s, ck_shape_of(1, 1), CK_F32, "input_fea3");
 *     ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "num_dense_1d_fea4"), x);
 *     if (!y) fprintf(stderr, "%s\n", ck_error());   // one check at the end
 *
 * A ck_sym is a symbolic tensor: a shape whose batch dim is left open (None,
 * printed "None"), plus where it came from (layer, call index, output index),
 * and whether it carries a mask. Calling a layer records one call (a Keras
 * "node"); calling the same layer again reuses its weights (shared layers).
 * Weights are created on the first call, when the input shapes are known
 * (Keras's build()), from the session's seeded PRNG.
 *
 * The session owns every layer, symbolic tensor and model made in it (Keras's
 * backend session with its name counters): ck_session_free frees them all. */
#ifndef CK_LAYERS_H
#define CK_LAYERS_H

#include "ck_autograd.h"

typedef struct ck_session ck_session;
typedef struct ck_layer ck_layer;
typedef struct ck_sym ck_sym;

/* seed: every weight initialiser draws from the session's PRNG, so the same
 * seed and the same sequence of calls give the same weights. */
ck_session *ck_session_new(uint64_t seed);
/* Frees every layer, weight, symbolic tensor and model made in s. */
void ck_session_free(ck_session *s);
/* The initialisers' PRNG (for user layers that need the same stream). */
ck_rng *ck_session_rng(ck_session *s);

/* Symbolic input, shape WITHOUT the batch dim (Keras Input(shape=(3,))). */
ck_sym *ck_Input(ck_session *s, ck_shape shape, ck_dtype dtype, const char *name);

/* Call a layer on symbolic inputs; NULL (message kept) on any NULL input or
 * shape error. The message names the layer and the shapes involved. */
ck_sym *ck_call(ck_layer *l, ck_sym *const *inputs, int n);
ck_sym *ck_call1(ck_layer *l, ck_sym *x);

/* ---- symbolic tensor queries ---- */
ck_shape ck_sym_shape(const ck_sym *x); /* with the batch dim as -1 */
ck_dtype ck_sym_dtype(const ck_sym *x);
int ck_sym_has_mask(const ck_sym *x);
ck_layer *ck_sym_layer(const ck_sym *x); /* the layer that produced it */
const char *ck_layer_name(const ck_layer *l);
const char *ck_layer_type(const ck_layer *l); /* "Dense", "Embedding", ... */
/* Trainable weights (after the first call): count and the i-th parameter
 * node, named "layer_name/weight_name" ("dense/kernel", "dense/bias"). */
int ck_layer_n_weights(const ck_layer *l);
ck_node *ck_layer_weight(const ck_layer *l, int i);
long ck_layer_count_params(const ck_layer *l);
/* How many times the layer has been called (Keras's inbound nodes). */
int ck_layer_n_calls(const ck_layer *l);
/* The layer of that name in the session (Keras's get_layer), or NULL. */
ck_layer *ck_session_layer(ck_session *s, const char *name);

/* ---- layers; name NULL gives the Keras default ("dense", "dense_1") ---- */
/* activation: a Keras name, or NULL for "linear": "relu", "sigmoid",
 * "tanh", "softmax" (over the last axis), "softplus", "softsign", "elu"
 * (alpha 1), "selu", "gelu" (approximate=False), "swish" (or "silu"),
 * "exponential". An unknown name is an error listing these.
 * kernel glorot_uniform, bias zeros. Applies to the last axis. */
ck_layer *ck_Dense(ck_session *s, int units, const char *activation, const char *name);
/* uniform(-0.05, 0.05). mask_zero: outputs a mask ids != 0 (row 0 is still
 * an ordinary trainable row, as in Keras). (B, ...) ids -> (B, ..., D). */
ck_layer *ck_Embedding(ck_session *s, int input_dim, int output_dim, int mask_zero, const char *name);
typedef enum ck_pool_mode {
    CK_POOL_AUTO = 0, /* masked if the input carries a mask, plain otherwise */
    CK_POOL_MASKED,   /* average only positions whose mask is 1 (mask required) */
    CK_POOL_PLAIN     /* K.mean: average every position, mask ignored */
} ck_pool_mode;
/* Mean over `axis` (counting the batch dim as axis 0, as Keras does). */
ck_layer *ck_MeanPool(ck_session *s, int axis, int keepdims, ck_pool_mode mode, const char *name);
/* Joins 1..64 inputs along axis (all other dims equal); masks are dropped. */
ck_layer *ck_Concatenate(ck_session *s, int axis, const char *name);
/* Elementwise merges (Add: 2..64 inputs, Subtract: exactly 2, Multiply:
 * 2..64); a dim of 1 broadcasts. The output mask is the AND of the inputs'. */
ck_layer *ck_Add(ck_session *s, const char *name);
ck_layer *ck_Subtract(ck_session *s, const char *name);
ck_layer *ck_Multiply(ck_session *s, const char *name);
/* target shape without the batch dim; one entry may be -1. Ids may be
 * reshaped too; masks are dropped. */
ck_layer *ck_Reshape(ck_session *s, ck_shape target_shape, const char *name);
/* Lambda: any function built from autograd ops (built-in or your own, see
 * examples/custom_op.c). in[] are the call's input values for this batch;
 * the result must keep the batch dim first. The output shape is inferred
 * when the layer is called, by running fn once on a 2-row batch of zeros.
 * Masks are dropped, as Keras's Lambda does. */
typedef ck_node *(*ck_lambda_fn)(ck_tape *t, ck_node *const *in, int n, void *user);
ck_layer *ck_Lambda(ck_session *s, ck_lambda_fn fn, void *user, const char *name);
/* activation as for Dense; the mask passes through. */
ck_layer *ck_Activation(ck_session *s, const char *activation, const char *name);
/* x > 0 ? x : alpha x (Keras 2's LeakyReLU, default alpha 0.3); the mask
 * passes through. alpha must be finite. */
ck_layer *ck_LeakyReLU(ck_session *s, float alpha, const char *name);
/* Inverted dropout: in training (fit) each value is zeroed with probability
 * rate and the kept ones are scaled by 1 / (1 - rate), so the mean is
 * unchanged; identity in evaluate and predict. rate in [0, 1). */
ck_layer *ck_Dropout(ck_session *s, float rate, const char *name);

/* Optional settings, before the layer's first call. */
int ck_layer_set_use_bias(ck_layer *l, int use_bias); /* Dense */
/* Keras kernel_regularizer / embeddings_regularizer = l2(factor):
 * adds factor * sum(w^2) to the training loss. */
int ck_layer_set_l2(ck_layer *l, float factor);

#endif
