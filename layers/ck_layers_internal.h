/* ck_layers_internal.h - the structures behind ck_layers.h, shared with
 * models/ (not installed). A layer is a small vtable (ck_layer_class) plus
 * its settings and weights; every call of a layer is recorded (Keras's
 * "inbound node") so a Model can replay the graph on real batches. */
#ifndef CK_LAYERS_INTERNAL_H
#define CK_LAYERS_INTERNAL_H

#include "ck_json.h"
#include "ck_layers.h"

/* What a layer call sees at run time. */
typedef struct ck_call_ctx {
    ck_tape *tape;
    int training; /* 1 inside fit: Dropout is active */
    ck_rng *rng;  /* Dropout's masks */
    /* the layer's trainable flag as fit uses it (the model's last compile):
     * a frozen BatchNormalization runs in inference mode, as in Keras */
    int trainable;
} ck_call_ctx;

typedef struct ck_layer_class {
    const char *type;      /* "Dense": the Keras class name */
    const char *base_name; /* "dense": default names are dense, dense_1, ... */
    int min_inputs, max_inputs;
    size_t config_size; /* bytes of the class's settings struct (0: none) */
    /* Optional: check the symbolic inputs before anything runs, so errors
     * name the layer and the shapes (with None). Return 0 or -1 (message). */
    int (*check)(ck_layer *l, ck_sym *const *in, int n);
    /* Optional: create the weights on the first call (Keras's build). */
    int (*build)(ck_layer *l, ck_sym *const *in, int n);
    /* The forward computation on this batch's values. masks[i] is NULL when
     * input i carries no mask. *out_mask is NULL on entry. */
    ck_node *(*call)(ck_layer *l, const ck_call_ctx *ctx, ck_node *const *in, ck_node *const *masks, int n,
                     ck_node **out_mask);
    /* Keras's get_config: write the class's own settings as members of the
     * open JSON object (name, trainable, dtype and regularizers are written
     * for every class). NULL: the class has no settings. */
    int (*get_config)(const ck_layer *l, ck_json_writer *w);
    /* Keras's from_config: a new layer named `name` from the settings that
     * get_config wrote (absent keys take Keras's defaults). NULL: the class
     * cannot be rebuilt from a file. */
    ck_layer *(*from_config)(ck_session *s, const char *name, const ck_json *config, const ck_registry *reg);
    /* The weights a regularizer may be set on, by Keras's argument name
     * without "_regularizer" ({"kernel", "bias", NULL}); NULL: none. */
    const char *const *regularizable;
    /* Frees what the config points to (not the config itself); NULL: nothing. */
    void (*free_config)(void *config);
} ck_layer_class;

/* One call of a layer: Keras's Node (input tensors -> one output tensor). */
typedef struct ck_layer_call {
    ck_sym **in;
    int n_in;
    ck_sym *out;
} ck_layer_call;

/* Weights per layer: Dense's kernel and bias, BatchNormalization's four. */
#define CK_LAYER_MAX_WEIGHTS 8

/* A regularizer on the weight called `role` ("kernel"), set before or after
 * the weight exists; compile reads it. */
typedef struct ck_weight_regularizer {
    const char *role; /* a string of the class's regularizable list */
    ck_regularizer r;
} ck_weight_regularizer;

struct ck_layer {
    const ck_layer_class *cls;
    ck_session *session;
    char *name;
    int index;            /* creation order in the session */
    ck_layer_call *calls; /* stb_ds array: calls[i] is node i */
    int built;
    int n_weights;
    ck_node *weights[CK_LAYER_MAX_WEIGHTS];
    char *weight_names[CK_LAYER_MAX_WEIGHTS]; /* "dense/kernel" */
    /* per weight: 0 for weights the optimizer never updates (moving
     * statistics), whatever the layer's flag */
    unsigned char weight_trainable[CK_LAYER_MAX_WEIGHTS];
    int trainable; /* Keras's layer.trainable (1 when made) */
    int n_regularizers;
    ck_weight_regularizer regularizers[CK_LAYER_MAX_WEIGHTS];
    /* the class's own settings (cls->config_size bytes, zeroed; e.g. dense_config) */
    void *config;
};

struct ck_sym {
    int id;         /* creation order in the session */
    ck_shape shape; /* d[0] == -1: the batch dim */
    ck_dtype dtype;
    int has_mask;
    ck_shape mask_shape; /* with the batch dim as -1 */
    ck_layer *layer;     /* producer */
    int call_index;      /* which call of the producer (Keras node index) */
    int tensor_index;    /* which output of that call (always 0 here) */
};

struct ck_session {
    uint64_t seed;
    ck_rng rng;        /* weight initialisers */
    ck_layer **layers; /* stb_ds arrays, owned */
    ck_sym **syms;
    void **models; /* ck_model *, freed through model_free */
    void (*model_free)(void *model);
    struct {
        char *key;
        int value;
    } * name_counts;  /* base name -> uses */
    ck_tape *scratch; /* shape inference, grad off */
    /* weight values layers may still create; -1: no limit. ck_load_model
     * sets it to what the file holds, so a hostile file cannot make a layer
     * allocate more than that before the weights are checked. */
    int64_t weight_budget;
};

/* Keras-style unique default name: "dense", "dense_1", ... (zero_based), or
 * "input_1", "input_2", ... (not zero_based). Heap string. */
char *ck_session_unique_name(ck_session *s, const char *base, int zero_based);
/* Allocate a layer of class cls (and its zeroed config), named `name` or by
 * default; owned by s. */
ck_layer *ck_layer_alloc(ck_session *s, const ck_layer_class *cls, const char *name);
/* Add weight `weight_name` ("kernel") to l as parameter "layer/kernel",
 * taking ownership of value (NULL: an earlier failure). */
int ck_layer_add_weight(ck_layer *l, const char *weight_name, ck_tensor *value);
/* How build makes a weight: zeros, ones, or U(-limit, limit) from the
 * session's PRNG (glorot_uniform, Embedding's uniform). */
typedef enum ck_init_kind { CK_INIT_ZEROS, CK_INIT_ONES, CK_INIT_UNIFORM } ck_init_kind;
typedef struct ck_weight_init {
    ck_init_kind kind;
    float limit;
} ck_weight_init;
/* Make and add a weight (weights.c): checks the session's weight budget
 * before allocating. trainable 0: never updated by an optimizer (Keras's
 * add_weight(trainable=False)), and it has no gradient. */
int ck_layer_make_weight(ck_layer *l, const char *weight_name, ck_shape shape, ck_weight_init init, int trainable);
/* The weight's name inside its layer ("kernel" of "dense/kernel"). */
const char *ck_layer_weight_role(const ck_layer *l, int i);
/* Every input float32, or a message naming the first that holds ids. */
int ck_require_f32_inputs(ck_sym *const *in, int n);
/* Keras's axis: negative counts from the end of ndim dims. */
static inline int ck_layer_axis(int axis, int ndim) { return axis < 0 ? axis + ndim : axis; }

/* ---- activations by name (activations.c) ---- */
typedef enum ck_activation_id {
    CK_ACT_LINEAR = 0,
    CK_ACT_RELU,
    CK_ACT_SIGMOID,
    CK_ACT_TANH,
    CK_ACT_SOFTMAX, /* over the last axis */
    CK_ACT_SOFTPLUS,
    CK_ACT_SOFTSIGN,
    CK_ACT_ELU, /* alpha 1 */
    CK_ACT_SELU,
    CK_ACT_GELU, /* approximate=False */
    CK_ACT_SWISH,
    CK_ACT_EXPONENTIAL,
} ck_activation_id;
/* name NULL or a Keras name ("linear", "relu", ...: the table in
 * activations.c); who names the caller in the message */
int ck_parse_activation(const char *name, ck_activation_id *out, const char *who);
ck_node *ck_apply_activation(ck_tape *t, ck_node *x, ck_activation_id act);
/* Register a model with its session so ck_session_free frees it. */
int ck_session_add_model(ck_session *s, void *model, void (*model_free)(void *));

/* Python's tuple format with None for -1: "(None, 1, 20)", "(None,)". */
char *ck_shape_py(ck_shape s, char *buf, size_t n);

/* ---- configs (layer_config.c): Keras's get_config / from_config ---- */
/* The layer's config as members of the open JSON object w: name,
 * trainable, dtype, the class's settings, its regularizers. -1 (message)
 * when the class cannot be saved (no from_config: a file could not
 * rebuild it). */
int ck_layer_write_config(const ck_layer *l, ck_json_writer *w);
/* A new layer of Keras class `class_name` from its config (as written by
 * ck_layer_write_config); InputLayer gives the Input's layer. NULL with a
 * message naming the layer and the setting on any error. */
ck_layer *ck_layer_from_config(ck_session *s, const char *class_name, const ck_json *config, const ck_registry *reg);
/* The settings' readers for from_config. An absent key leaves *out as it
 * is (the caller sets Keras's default first) and returns 0; a key of the
 * wrong type or range fails with "'key' must be ...". */
int ck_cfg_int(const ck_json *cfg, const char *key, int lo, int hi, int *out);
int ck_cfg_bool(const ck_json *cfg, const char *key, int *out);
int ck_cfg_number(const ck_json *cfg, const char *key, double lo, double hi, double *out);
/* A string setting (NULL when absent: *out unchanged). */
int ck_cfg_string(const ck_json *cfg, const char *key, const char **out);
/* A list of at most max_n integers in [lo, hi] (*n gets the count); a
 * plain integer counts as a list of one when allow_scalar. */
int ck_cfg_int_list(const ck_json *cfg, const char *key, int lo, int hi, int *out, int max_n, int *n, int allow_scalar);
/* Fails with "'key' is required" when cfg has no member key. */
int ck_cfg_require(const ck_json *cfg, const char *key);
/* Every class this library can rebuild from a file. */
extern const ck_layer_class ck_dense_class, ck_dropout_class, ck_lambda_class, ck_activation_class, ck_embedding_class,
    ck_meanpool_class, ck_global_average_pooling_1d_class, ck_global_max_pooling_1d_class, ck_concatenate_class,
    ck_add_class, ck_subtract_class, ck_multiply_class, ck_dot_class, ck_reshape_class, ck_flatten_class,
    ck_repeat_vector_class, ck_permute_class, ck_batch_normalization_class, ck_layer_normalization_class,
    ck_input_layer_class, ck_leaky_relu_class;
/* The Lambda function registered under name (registry.c): 0, or -1 with a
 * message naming the missing function. */
int ck_registry_find_lambda(const ck_registry *r, const char *name, ck_lambda_fn *fn, void **user);
/* The activation's Keras name ("relu"). */
const char *ck_activation_name(ck_activation_id act);

/* Run the layer's call on real values (used by Model). */
static inline ck_node *ck_layer_run(ck_layer *l, const ck_call_ctx *ctx, ck_node *const *in, ck_node *const *masks,
                                    int n, ck_node **out_mask)
{
    *out_mask = NULL;
    return l->cls->call(l, ctx, in, masks, n, out_mask);
}

#endif
