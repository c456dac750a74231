/* core.c - the core layers: Dense, Dropout, Lambda; the weight helpers
 * every layer with weights uses; per-layer settings (use_bias, l2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ck_layers_internal.h"

int ck_layer_add_weight(ck_layer *l, const char *weight_name, ck_tensor *value)
{
    if (!value) return -1;
    if (l->n_weights == CK_LAYER_MAX_WEIGHTS) {
        ck_tensor_free(value);
        return ck_fail("layer '%s' already has %d weights", l->name, CK_LAYER_MAX_WEIGHTS);
    }
    size_t n = strlen(l->name) + strlen(weight_name) + 2;
    char *full = malloc(n);
    if (!full) {
        ck_tensor_free(value);
        return ck_fail("out of memory");
    }
    snprintf(full, n, "%s/%s", l->name, weight_name);
    ck_node *p = ck_param(value, full);
    if (!p) {
        free(full);
        return -1;
    }
    l->weights[l->n_weights] = p;
    l->weight_names[l->n_weights] = full;
    l->n_weights++;
    return 0;
}

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
    float limit = sqrtf(6.0f / (float)(fan_in + fan_out));
    ck_rng *rng = &l->session->rng;
    if (ck_layer_add_weight(l, "kernel", ck_tensor_uniform(ck_shape_of(2, fan_in, fan_out), -limit, limit, rng)))
        return -1;
    if (cfg->use_bias && ck_layer_add_weight(l, "bias", ck_tensor_zeros(ck_shape_of(1, fan_out)))) return -1;
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

static const ck_layer_class dense_class = {
    "Dense", "dense", 1, 1, sizeof(dense_config), dense_check, dense_build, dense_call,
};

ck_layer *ck_Dense(ck_session *s, int units, const char *activation, const char *name)
{
    ck_activation_id act = CK_ACT_LINEAR;
    if (units <= 0) {
        ck_fail("Dense: units must be > 0, got %d", units);
        return NULL;
    }
    if (ck_parse_activation(activation, &act, "Dense")) return NULL;
    ck_layer *l = ck_layer_alloc(s, &dense_class, name);
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
    if (l->cls != &dense_class) return ck_fail("set_use_bias: layer '%s' is a %s, not a Dense", l->name, l->cls->type);
    if (l->built) return ck_fail("set_use_bias: layer '%s' is already built", l->name);
    ((dense_config *)l->config)->use_bias = use_bias != 0;
    return 0;
}

int ck_layer_set_l2(ck_layer *l, float factor)
{
    if (!l) return ck_fail("set_l2: layer is NULL");
    if (strcmp(l->cls->type, "Dense") && strcmp(l->cls->type, "Embedding"))
        return ck_fail("set_l2: layer '%s' (%s) has no kernel or embeddings", l->name, l->cls->type);
    if (!(factor >= 0.0f)) return ck_fail("set_l2: factor must be >= 0, got %g", (double)factor);
    l->l2 = factor;
    return 0;
}

/* ---- Lambda: any function of autograd ops ---- */

typedef struct lambda_config {
    ck_lambda_fn fn;
    void *user;
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

static const ck_layer_class lambda_class = {
    "Lambda", "lambda", 1, 64, sizeof(lambda_config), NULL, NULL, lambda_call,
};

ck_layer *ck_Lambda(ck_session *s, ck_lambda_fn fn, void *user, const char *name)
{
    if (!fn) {
        ck_fail("Lambda: function is NULL");
        return NULL;
    }
    ck_layer *l = ck_layer_alloc(s, &lambda_class, name);
    if (!l) return NULL;
    lambda_config *cfg = l->config;
    cfg->fn = fn;
    cfg->user = user;
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
    for (int64_t i = 0; i < size; i++) keep[i] = ck_rng_uniform(c->rng) >= cfg->rate ? scale : 0.0f;
    ck_tensor keep_t = ck_tensor_view(CK_F32, in[0]->value.shape, keep);
    return ck_mul(c->tape, in[0], ck_const(c->tape, &keep_t));
}

static const ck_layer_class dropout_class = {
    "Dropout", "dropout", 1, 1, sizeof(dropout_config), NULL, NULL, dropout_call,
};

ck_layer *ck_Dropout(ck_session *s, float rate, const char *name)
{
    if (!(rate >= 0.0f && rate < 1.0f)) {
        ck_fail("Dropout: rate must be in [0, 1), got %g", (double)rate);
        return NULL;
    }
    ck_layer *l = ck_layer_alloc(s, &dropout_class, name);
    if (l) ((dropout_config *)l->config)->rate = rate;
    return l;
}
