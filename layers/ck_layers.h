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
typedef struct ck_registry ck_registry;

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
/* Weights (after the first call), trainable or not: count and the i-th
 * parameter node, named "layer_name/weight_name" ("dense/kernel"). */
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

/* Lambda with a function name, so ck_save_model can store the layer and
 * ck_load_model can find the function again in a ck_registry (Keras's
 * custom_objects). A Lambda made by ck_Lambda cannot be saved. */
ck_layer *ck_Lambda_named(ck_session *s, const char *function, ck_lambda_fn fn, void *user, const char *name);

/* ---- normalization (normalization.c) ---- */
/* Keras BatchNormalization(axis=-1, momentum=0.99, epsilon=1e-3,
 * center=True, scale=True). In training (fit) it normalises with the
 * batch's mean and biased variance over every axis but `axis`, and updates
 *     moving_mean -= (moving_mean - batch_mean) * (1 - momentum)
 * (the same for moving_variance with the biased batch variance); in
 * evaluate and predict, and in fit when the layer is frozen, it uses the
 * moving statistics. Weights gamma (ones; when scale), beta (zeros; when
 * center), moving_mean (zeros), moving_variance (ones); the moving ones are
 * non-trainable. The mask passes through. */
ck_layer *ck_BatchNormalization(ck_session *s, const char *name);
ck_layer *ck_BatchNormalization_ex(ck_session *s, int axis, double momentum, float epsilon, int center, int scale,
                                   const char *name);
/* Keras LayerNormalization(axis=-1, epsilon=1e-3, center=True,
 * scale=True): each position normalised over `axis` by its own mean and
 * biased variance; weights gamma (ones) and beta (zeros) of that axis's
 * size. The mask passes through. */
ck_layer *ck_LayerNormalization(ck_session *s, const char *name);
ck_layer *ck_LayerNormalization_ex(ck_session *s, int axis, float epsilon, int center, int scale, const char *name);

/* ---- reshaping (reshaping.c) ---- */
/* (B, ...) -> (B, product of ...); (B,) -> (B, 1). Masks are dropped. */
ck_layer *ck_Flatten(ck_session *s, const char *name);
/* (B, F) -> (B, n, F). */
ck_layer *ck_RepeatVector(ck_session *s, int n, const char *name);
/* dims: a permutation of 1..n_dims, the input's axes after the batch
 * (Keras's Permute((2, 1)): dims {2, 1}). */
ck_layer *ck_Permute(ck_session *s, const int *dims, int n_dims, const char *name);

/* ---- pooling (pooling.c): (B, steps, features) -> (B, features) ---- */
/* Keras GlobalAveragePooling1D: with a mask, the mean of the unmasked
 * steps (a row with none gives 0). */
ck_layer *ck_GlobalAveragePooling1D(ck_session *s, const char *name);
/* Keras GlobalMaxPooling1D; with a mask, the max over the unmasked steps
 * only (a row with none gives 0). (Keras 2's ignores the mask.) */
ck_layer *ck_GlobalMaxPooling1D(ck_session *s, const char *name);

/* ---- Dot (merging.c) ---- */
/* Keras Dot(axes=(axis_a, axis_b), normalize): the dot product of two
 * inputs of rank 2 or 3 along the given axes (axis 0 is the batch; Keras's
 * Dot(axes=1) is ck_Dot(s, 1, 1, ...)); with normalize, both are first
 * l2-normalised along them, giving the cosine similarity.
 * (B, n) . (B, n) -> (B, 1); (B, L1, D) . (B, L2, D), axes 2 -> (B, L1, L2);
 * (B, L, D) . (B, D), axes (2, 1) -> (B, L). */
ck_layer *ck_Dot(ck_session *s, int axis_a, int axis_b, int normalize, const char *name);

/* ---- settings ---- */
/* Before the layer's first call. */
int ck_layer_set_use_bias(ck_layer *l, int use_bias); /* Dense */

/* Freezing, as Keras's layer.trainable: a frozen layer's weights are not
 * trained and count as non-trainable in the summary. Set it before or
 * after compile: fit uses the setting of the last ck_compile (Keras's rule).
 * A frozen BatchNormalization also runs in inference mode. */
int ck_layer_set_trainable(ck_layer *l, int trainable);
int ck_layer_trainable(const ck_layer *l);
/* Weight i is trained: the layer is trainable and the weight is not one of
 * the non-trainable kind (BatchNormalization's moving statistics). */
int ck_layer_weight_trainable(const ck_layer *l, int i);
long ck_layer_count_trainable_params(const ck_layer *l);

/* Regularizers, as keras.regularizers: l1 * sum(|w|) + l2 * sum(w^2) is
 * added to the training loss (and to the reported loss and val_loss, as
 * Keras does), and its gradient to the weight's. Keras's l1(), l2() and
 * l1_l2() default to 0.01 (CK_REGULARIZER_DEFAULT). */
typedef struct ck_regularizer {
    float l1, l2;
} ck_regularizer;
#define CK_REGULARIZER_DEFAULT 0.01f
ck_regularizer ck_l1(float l1);
ck_regularizer ck_l2(float l2);
ck_regularizer ck_l1_l2(float l1, float l2);
/* argument: Keras's name, "kernel_regularizer" and "bias_regularizer"
 * (Dense), "embeddings_regularizer" (Embedding), "gamma_regularizer" and
 * "beta_regularizer" (BatchNormalization, LayerNormalization). A
 * regularizer of zeros removes it. Before or after the first call. */
int ck_layer_set_regularizer(ck_layer *l, const char *argument, ck_regularizer r);
/* The regularizer set for argument ({0, 0} when none). */
ck_regularizer ck_layer_regularizer(const ck_layer *l, const char *argument);
/* Keras kernel_regularizer / embeddings_regularizer = l2(factor) on a
 * Dense kernel or an Embedding table: factor * sum(w^2). */
int ck_layer_set_l2(ck_layer *l, float factor);

/* ---- weights as Keras's layer.get_weights() / set_weights() ---- */
/* Copies of the layer's weights in order (Dense: kernel, bias), *n of them;
 * free with ck_weights_free. NULL (and *n = 0) for a layer without weights
 * or on error (message). */
ck_tensor **ck_layer_get_weights(const ck_layer *l, int *n);
void ck_weights_free(ck_tensor **weights, int n);
/* Checks the count and every shape first (no weight changes on error). */
int ck_layer_set_weights(ck_layer *l, const ck_tensor *const *weights, int n);

/* ---- config (Keras's layer.get_config()) ---- */
/* The layer's config as JSON text (heap; free it), NULL on error. */
char *ck_layer_get_config(const ck_layer *l);

/* ---- the registry of user functions (Keras's custom_objects) ---- */
/* ck_load_model finds a Lambda's function by the name it was saved with. */
ck_registry *ck_registry_new(void);
void ck_registry_free(ck_registry *r);
/* Adding a name again replaces its function. */
int ck_registry_add_lambda(ck_registry *r, const char *name, ck_lambda_fn fn, void *user);

#endif
