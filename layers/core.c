/* core.c - the core layers: Dense, Dropout, Lambda, with their configs
 * (Keras's get_config / from_config); Dense's use_bias setting. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ck_layers_internal.h"

int ck_require_f32_inputs(ck_sym *const *in, int n)
{
    for (int i = 0; i < n; i++)
        if (in[i]->dtype != CK_F32) return ck_fail("input %d holds int32 ids; expected float32", i);
    return 0;
}

/* ---- Dense: y = activation(x @ kernel + bias), on the last axis ---- */

typedef struct dense_config {
    int units, use_bias;
    ck_activation_id activation;
} dense_config;

static int dense_check(ck_layer *l, ck_sym *const *in, int n)
{
    if (ck_require_f32_inputs(in, n)) return -1;
    if (in[0]->shape.ndim < 2) return ck_fail("Dense needs a feature axis after the batch dim");
    int features = in[0]->shape.d[in[0]->shape.ndim - 1];
    if (l->built && l->weights[0]->value.shape.d[0] != features)
        return ck_fail("the layer was built for %d input features, got %d", l->weights[0]->value.shape.d[0], features);
    return 0;
}

static int dense_build(ck_layer *l, ck_sym *const *in, int n)
{
    (void)n;
    const dense_config *cfg = l->config;
    int fan_in = in[0]->shape.d[in[0]->shape.ndim - 1], fan_out = cfg->units;
    /* glorot_uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)) */
    ck_weight_init glorot = {CK_INIT_UNIFORM, sqrtf(6.0f / (float)(fan_in + fan_out))};
    if (ck_layer_make_weight(l, "kernel", ck_shape_of(2, fan_in, fan_out), glorot, 1)) return -1;
    ck_weight_init zeros = {CK_INIT_ZEROS, 0.0f};
    if (cfg->use_bias && ck_layer_make_weight(l, "bias", ck_shape_of(1, fan_out), zeros, 1)) return -1;
    return 0;
}

static ck_node *dense_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                           ck_node **out_mask)
{
    (void)n;
    const dense_config *cfg = l->config;
    /* x (B, ..., k) @ kernel (k, units) -> (B, ..., units) */
    ck_node *y = ck_matmul(c->tape, in[0], l->weights[0]);
    if (cfg->use_bias) y = ck_add(c->tape, y, l->weights[1]);
    *out_mask = masks[0]; /* Dense supports masking: the mask passes through */
    return ck_apply_activation(c->tape, y, cfg->activation);
}

/* Keras writes the initializers too; they are informational here (a
 * loaded model takes its weights from the file). */
static void initializer(ck_json_writer *w, const char *key, const char *class_name)
{
    ck_json_key(w, key);
    ck_json_begin_object(w);
    ck_json_key(w, "class_name");
    ck_json_string(w, class_name);
    ck_json_key(w, "config");
    ck_json_begin_object(w);
    ck_json_end_object(w);
    ck_json_end_object(w);
}

static int dense_get_config(const ck_layer *l, ck_json_writer *w)
{
    const dense_config *cfg = l->config;
    ck_json_key(w, "units");
    ck_json_int(w, cfg->units);
    ck_json_key(w, "activation");
    ck_json_string(w, ck_activation_name(cfg->activation));
    ck_json_key(w, "use_bias");
    ck_json_bool(w, cfg->use_bias);
    initializer(w, "kernel_initializer", "GlorotUniform");
    initializer(w, "bias_initializer", "Zeros");
    return 0;
}

static ck_layer *dense_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    int units = 0, use_bias = 1;
    const char *activation = NULL;
    if (ck_cfg_require(c, "units") || ck_cfg_int(c, "units", 1, INT32_MAX, &units) ||
        ck_cfg_string(c, "activation", &activation) || ck_cfg_bool(c, "use_bias", &use_bias))
        return NULL;
    ck_layer *l = ck_Dense(s, units, activation, name);
    if (l) ((dense_config *)l->config)->use_bias = use_bias;
    return l;
}

static const char *const dense_regularizable[] = {"kernel", "bias", NULL};

const ck_layer_class ck_dense_class = {
    .type = "Dense",
    .base_name = "dense",
    .min_inputs = 1,
    .max_inputs = 1,
    .config_size = sizeof(dense_config),
    .check = dense_check,
    .build = dense_build,
    .call = dense_call,
    .get_config = dense_get_config,
    .from_config = dense_from_config,
    .regularizable = dense_regularizable,
};

ck_layer *ck_Dense(ck_session *s, int units, const char *activation, const char *name)
{
    ck_activation_id act = CK_ACT_LINEAR;
    if (units <= 0) {
        ck_fail("Dense: units must be > 0, got %d", units);
        return NULL;
    }
    if (ck_parse_activation(activation, &act, "Dense")) return NULL;
    ck_layer *l = ck_layer_alloc(s, &ck_dense_class, name);
    if (!l) return NULL;
    dense_config *cfg = l->config;
    cfg->units = units;
    cfg->use_bias = 1;
    cfg->activation = act;
    return l;
}

int ck_layer_set_use_bias(ck_layer *l, int use_bias)
{
    if (!l) return ck_fail("set_use_bias: layer is NULL");
    if (l->cls != &ck_dense_class)
        return ck_fail("set_use_bias: layer '%s' is a %s, not a Dense", l->name, l->cls->type);
    if (l->built) return ck_fail("set_use_bias: layer '%s' is already built", l->name);
    ((dense_config *)l->config)->use_bias = use_bias != 0;
    return 0;
}

/* ---- Lambda: any function of autograd ops ---- */

typedef struct lambda_config {
    ck_lambda_fn fn;
    void *user;
    char *function; /* its registry name (heap), NULL: cannot be saved */
} lambda_config;

static ck_node *lambda_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                            ck_node **out_mask)
{
    (void)masks;
    (void)out_mask; /* Keras's Lambda drops masks */
    const lambda_config *cfg = l->config;
    ck_node *y = cfg->fn(c->tape, in, n, cfg->user);
    if (!y && !ck_error()) ck_fail("the function returned NULL");
    return y;
}

/* Keras saves a Lambda's Python function; here the function's name, as
 * Keras writes a named ("raw") function for custom_objects to resolve. */
static int lambda_get_config(const ck_layer *l, ck_json_writer *w)
{
    const lambda_config *cfg = l->config;
    if (!cfg->function)
        return ck_fail("layer '%s' (Lambda) has a function without a name: make it with ck_Lambda_named so the "
                       "file can name it and ck_load_model can find it in a registry",
                       l->name);
    ck_json_key(w, "function");
    ck_json_string(w, cfg->function);
    ck_json_key(w, "function_type");
    ck_json_string(w, "raw");
    return 0;
}

static ck_layer *lambda_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    const char *function = NULL;
    ck_lambda_fn fn;
    void *user;
    if (ck_cfg_require(c, "function") || ck_cfg_string(c, "function", &function) ||
        ck_registry_find_lambda(reg, function, &fn, &user))
        return NULL;
    return ck_Lambda_named(s, function, fn, user, name);
}

static void lambda_free_config(void *config) { free(((lambda_config *)config)->function); }

const ck_layer_class ck_lambda_class = {
    .type = "Lambda",
    .base_name = "lambda",
    .min_inputs = 1,
    .max_inputs = 64,
    .config_size = sizeof(lambda_config),
    .call = lambda_call,
    .get_config = lambda_get_config,
    .from_config = lambda_from_config,
    .free_config = lambda_free_config,
};

ck_layer *ck_Lambda(ck_session *s, ck_lambda_fn fn, void *user, const char *name)
{
    if (!fn) {
        ck_fail("Lambda: function is NULL");
        return NULL;
    }
    ck_layer *l = ck_layer_alloc(s, &ck_lambda_class, name);
    if (!l) return NULL;
    lambda_config *cfg = l->config;
    cfg->fn = fn;
    cfg->user = user;
    return l;
}

ck_layer *ck_Lambda_named(ck_session *s, const char *function, ck_lambda_fn fn, void *user, const char *name)
{
    if (!function || !function[0]) {
        ck_fail("Lambda: the function's name is %s", function ? "empty" : "NULL");
        return NULL;
    }
    char *copy = strdup(function);
    ck_layer *l = copy ? ck_Lambda(s, fn, user, name) : NULL;
    if (!l) {
        if (!copy) ck_fail("Lambda: out of memory");
        free(copy);
        return NULL;
    }
    ((lambda_config *)l->config)->function = copy; /* freed by lambda_free_config */
    return l;
}

/* ---- Dropout: inverted dropout, kept units scaled by 1 / (1 - rate) ---- */

typedef struct dropout_config {
    float rate;
} dropout_config;

static ck_node *dropout_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                             ck_node **out_mask)
{
    (void)n;
    const dropout_config *cfg = l->config;
    *out_mask = masks[0];
    if (!c->training || cfg->rate == 0.0f) return in[0];
    int64_t size = in[0]->value.size;
    float *keep = ck_tape_alloc(c->tape, (size_t)size * sizeof(float));
    if (!keep) return NULL;
    float scale = 1.0f / (1.0f - cfg->rate);
    ck_rng_uniform_fill(c->rng, keep, size); /* then each draw becomes its keep factor */
    for (int64_t i = 0; i < size; i++) keep[i] = keep[i] >= cfg->rate ? scale : 0.0f;
    ck_tensor keep_t = ck_tensor_view(CK_F32, in[0]->value.shape, keep);
    return ck_mul(c->tape, in[0], ck_const(c->tape, &keep_t));
}

static int dropout_get_config(const ck_layer *l, ck_json_writer *w)
{
    ck_json_key(w, "rate");
    ck_json_float(w, ((const dropout_config *)l->config)->rate);
    return 0;
}

static ck_layer *dropout_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    double rate = 0;
    if (ck_cfg_require(c, "rate") || ck_cfg_number(c, "rate", 0.0, 1.0, &rate)) return NULL;
    return ck_Dropout(s, (float)rate, name);
}

const ck_layer_class ck_dropout_class = {
    .type = "Dropout",
    .base_name = "dropout",
    .min_inputs = 1,
    .max_inputs = 1,
    .config_size = sizeof(dropout_config),
    .call = dropout_call,
    .get_config = dropout_get_config,
    .from_config = dropout_from_config,
};

ck_layer *ck_Dropout(ck_session *s, float rate, const char *name)
{
    if (!(rate >= 0.0f && rate < 1.0f)) {
        ck_fail("Dropout: rate must be in [0, 1), got %g", (double)rate);
        return NULL;
    }
    ck_layer *l = ck_layer_alloc(s, &ck_dropout_class, name);
    if (l) ((dropout_config *)l->config)->rate = rate;
    return l;
}
