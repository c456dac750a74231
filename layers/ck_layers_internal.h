/* ck_layers_internal.h - the structures behind ck_layers.h, shared with
 * models/ (not installed). A layer is a small vtable (ck_layer_class) plus
 * its settings and weights; every call of a layer is recorded (Keras's
 * "inbound node") so a Model can replay the graph on real batches. */
#ifndef CK_LAYERS_INTERNAL_H
#define CK_LAYERS_INTERNAL_H

#include "ck_layers.h"

/* What a layer call sees at run time. */
typedef struct ck_call_ctx {
    ck_tape *tape;
    int training; /* 1 inside fit: Dropout is active */
    ck_rng *rng;  /* Dropout's masks */
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
} ck_layer_class;

/* One call of a layer: Keras's Node (input tensors -> one output tensor). */
typedef struct ck_layer_call {
    ck_sym **in;
    int n_in;
    ck_sym *out;
} ck_layer_call;

/* Weights per layer: Dense's kernel and bias, BatchNormalization's four. */
#define CK_LAYER_MAX_WEIGHTS 8

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
    float l2;                                 /* Keras l2(factor) on the first weight, 0: none */
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

/* Run the layer's call on real values (used by Model). */
static inline ck_node *ck_layer_run(ck_layer *l, const ck_call_ctx *ctx, ck_node *const *in, ck_node *const *masks,
                                    int n, ck_node **out_mask)
{
    *out_mask = NULL;
    return l->cls->call(l, ctx, in, masks, n, out_mask);
}

#endif
