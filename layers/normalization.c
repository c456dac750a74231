/* normalization.c - Keras's BatchNormalization and LayerNormalization, on
 * the fused ops of autograd/ops_norm.c. */
#include "ck_layers_internal.h"

/* Keras's defaults. */
static const double BN_MOMENTUM = 0.99;
static const float NORM_EPSILON = 1e-3f;
static const int NORM_AXIS = -1;

typedef struct norm_config {
    int axis;        /* as given: negative counts from the end */
    double momentum; /* BatchNormalization only; a double, as Keras's Python float */
    float epsilon;
    int center, scale;
} norm_config;

/* Where each weight sits: gamma and beta exist only with scale and center. */
typedef struct norm_weights {
    ck_node *gamma, *beta, *moving_mean, *moving_variance;
} norm_weights;

static norm_weights weights_of(const ck_layer *l)
{
    const norm_config *cfg = l->config;
    norm_weights w = {NULL, NULL, NULL, NULL};
    int k = 0;
    if (cfg->scale) w.gamma = l->weights[k++];
    if (cfg->center) w.beta = l->weights[k++];
    if (k + 2 <= l->n_weights) { /* BatchNormalization's moving statistics */
        w.moving_mean = l->weights[k];
        w.moving_variance = l->weights[k + 1];
    }
    return w;
}

static int norm_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)n;
    const norm_config *cfg = l->config;
    if (ck_require_f32_inputs(in, 1)) return -1;
    int nd = in[0]->shape.ndim, axis = ck_layer_axis(cfg->axis, nd);
    if (axis < 1 || axis >= nd)
        return ck_fail("axis %d is out of range for %d dims (axis 0 is the batch)", cfg->axis, nd);
    if (l->built && l->n_weights > 0 && l->weights[0]->value.shape.d[0] != in[0]->shape.d[axis])
        return ck_fail("the layer was built for %d channels on axis %d, got %d", l->weights[0]->value.shape.d[0], axis,
                       in[0]->shape.d[axis]);
    return 0;
}

/* gamma (ones) and beta (zeros), as Keras orders them; with_moving: the
 * non-trainable moving_mean (zeros) and moving_variance (ones) too. */
static int norm_build_weights(ck_layer *l, ck_sym *const *in, int with_moving)
{
    const norm_config *cfg = l->config;
    ck_shape channels = ck_shape_of(1, in[0]->shape.d[ck_layer_axis(cfg->axis, in[0]->shape.ndim)]);
    const ck_weight_init zeros = {CK_INIT_ZEROS, 0.0f}, ones = {CK_INIT_ONES, 0.0f};
    if (cfg->scale && ck_layer_make_weight(l, "gamma", channels, ones, 1)) return -1;
    if (cfg->center && ck_layer_make_weight(l, "beta", channels, zeros, 1)) return -1;
    if (!with_moving) return 0;
    if (ck_layer_make_weight(l, "moving_mean", channels, zeros, 0)) return -1;
    return ck_layer_make_weight(l, "moving_variance", channels, ones, 0);
}

/* The weight, or a constant of ones / zeros when the layer has none. */
static ck_node *or_constant(ck_tape *t, ck_node *weight, int channels, float value)
{
    if (weight) return weight;
    float *data = ck_tape_alloc(t, (size_t)channels * sizeof(float));
    if (!data) return NULL;
    for (int c = 0; c < channels; c++) data[c] = value;
    ck_tensor v = ck_tensor_view(CK_F32, ck_shape_of(1, channels), data);
    return ck_const(t, &v);
}

static void write_norm_config(const norm_config *cfg, ck_json_writer *w, int with_momentum)
{
    ck_json_key(w, "axis");
    ck_json_int(w, cfg->axis);
    if (with_momentum) {
        ck_json_key(w, "momentum");
        ck_json_double(w, cfg->momentum);
    }
    ck_json_key(w, "epsilon");
    ck_json_float(w, cfg->epsilon);
    ck_json_key(w, "center");
    ck_json_bool(w, cfg->center);
    ck_json_key(w, "scale");
    ck_json_bool(w, cfg->scale);
}

/* Keras writes axis as an integer or, once built, a list of one. */
static int read_norm_config(const ck_json *c, norm_config *cfg)
{
    double epsilon = cfg->epsilon;
    int n_axes = 1;
    if (ck_cfg_int_list(c, "axis", -CK_MAX_DIMS, CK_MAX_DIMS, &cfg->axis, 1, &n_axes, 1) ||
        ck_cfg_number(c, "momentum", 0.0, 1.0, &cfg->momentum) || ck_cfg_number(c, "epsilon", 0.0, 1.0, &epsilon) ||
        ck_cfg_bool(c, "center", &cfg->center) || ck_cfg_bool(c, "scale", &cfg->scale))
        return -1;
    if (n_axes != 1) return ck_fail("'axis' must name one axis");
    cfg->epsilon = (float)epsilon;
    return 0;
}

static int check_settings(const char *who, int axis, double momentum, float epsilon)
{
    if (axis == 0) return ck_fail("%s: axis 0 is the batch dim", who);
    if (!(momentum >= 0.0 && momentum <= 1.0) || !(epsilon > 0.0f))
        return ck_fail("%s: momentum must be in [0, 1] and epsilon > 0, got %g and %g", who, momentum, (double)epsilon);
    return 0;
}

static const char *const norm_regularizable[] = {"gamma", "beta", NULL};

/* ---- BatchNormalization ---- */

static int batch_norm_build(ck_layer *l, ck_sym *const *in, int n)
{
    (void)n;
    return norm_build_weights(l, in, 1);
}

/* Keras's _assign_moving_average: moving -= (moving - batch) * (1 - momentum). */
static void update_moving(float *moving, const float *batch, int channels, float decay)
{
    for (int c = 0; c < channels; c++) moving[c] -= (moving[c] - batch[c]) * decay;
}

static ck_node *batch_norm_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                                ck_node **out_mask)
{
    (void)n;
    const norm_config *cfg = l->config;
    ck_node *x = in[0];
    int axis = ck_layer_axis(cfg->axis, x->value.shape.ndim), channels = x->value.shape.d[axis];
    norm_weights w = weights_of(l);
    ck_node *gamma = or_constant(c->tape, w.gamma, channels, 1.0f),
            *beta = or_constant(c->tape, w.beta, channels, 0.0f);
    *out_mask = masks[0];
    if (!(c->training && c->trainable))
        return ck_batch_norm_inference(c->tape, x, gamma, beta, w.moving_mean, w.moving_variance, axis, cfg->epsilon);
    float *batch = ck_tape_alloc(c->tape, 2 * (size_t)channels * sizeof(float));
    ck_node *y = batch ? ck_batch_norm(c->tape, x, gamma, beta, axis, cfg->epsilon, batch, batch + channels) : NULL;
    if (y && x->value.size > 0) { /* an empty batch leaves the statistics alone, as Keras */
        float decay = (float)(1.0 - cfg->momentum);
        update_moving(w.moving_mean->value.f, batch, channels, decay);
        update_moving(w.moving_variance->value.f, batch + channels, channels, decay);
    }
    return y;
}

static int batch_norm_get_config(const ck_layer *l, ck_json_writer *w)
{
    write_norm_config(l->config, w, 1);
    return 0;
}

static ck_layer *batch_norm_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    norm_config cfg = {NORM_AXIS, BN_MOMENTUM, NORM_EPSILON, 1, 1};
    if (read_norm_config(c, &cfg)) return NULL;
    return ck_BatchNormalization_ex(s, cfg.axis, cfg.momentum, cfg.epsilon, cfg.center, cfg.scale, name);
}

const ck_layer_class ck_batch_normalization_class = {
    .type = "BatchNormalization",
    .base_name = "batch_normalization",
    .min_inputs = 1,
    .max_inputs = 1,
    .config_size = sizeof(norm_config),
    .check = norm_check,
    .build = batch_norm_build,
    .call = batch_norm_call,
    .get_config = batch_norm_get_config,
    .from_config = batch_norm_from_config,
    .regularizable = norm_regularizable,
};

ck_layer *ck_BatchNormalization_ex(ck_session *s, int axis, double momentum, float epsilon, int center, int scale,
                                   const char *name)
{
    if (check_settings("BatchNormalization", axis, momentum, epsilon)) return NULL;
    ck_layer *l = ck_layer_alloc(s, &ck_batch_normalization_class, name);
    if (l) *(norm_config *)l->config = (norm_config){axis, momentum, epsilon, center != 0, scale != 0};
    return l;
}

ck_layer *ck_BatchNormalization(ck_session *s, const char *name)
{
    return ck_BatchNormalization_ex(s, NORM_AXIS, BN_MOMENTUM, NORM_EPSILON, 1, 1, name);
}

/* ---- LayerNormalization ---- */

static int layer_norm_build(ck_layer *l, ck_sym *const *in, int n)
{
    (void)n;
    return norm_build_weights(l, in, 0);
}

static ck_node *layer_norm_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                                ck_node **out_mask)
{
    (void)n;
    const norm_config *cfg = l->config;
    int axis = ck_layer_axis(cfg->axis, in[0]->value.shape.ndim), channels = in[0]->value.shape.d[axis];
    norm_weights w = weights_of(l);
    *out_mask = masks[0];
    return ck_layer_norm(c->tape, in[0], or_constant(c->tape, w.gamma, channels, 1.0f),
                         or_constant(c->tape, w.beta, channels, 0.0f), axis, cfg->epsilon);
}

static int layer_norm_get_config(const ck_layer *l, ck_json_writer *w)
{
    write_norm_config(l->config, w, 0);
    return 0;
}

static ck_layer *layer_norm_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    norm_config cfg = {NORM_AXIS, 0.0, NORM_EPSILON, 1, 1};
    if (read_norm_config(c, &cfg)) return NULL;
    return ck_LayerNormalization_ex(s, cfg.axis, cfg.epsilon, cfg.center, cfg.scale, name);
}

const ck_layer_class ck_layer_normalization_class = {
    .type = "LayerNormalization",
    .base_name = "layer_normalization",
    .min_inputs = 1,
    .max_inputs = 1,
    .config_size = sizeof(norm_config),
    .check = norm_check,
    .build = layer_norm_build,
    .call = layer_norm_call,
    .get_config = layer_norm_get_config,
    .from_config = layer_norm_from_config,
    .regularizable = norm_regularizable,
};

ck_layer *ck_LayerNormalization_ex(ck_session *s, int axis, float epsilon, int center, int scale, const char *name)
{
    if (check_settings("LayerNormalization", axis, 0.0, epsilon)) return NULL;
    ck_layer *l = ck_layer_alloc(s, &ck_layer_normalization_class, name);
    if (l) *(norm_config *)l->config = (norm_config){axis, 0.0, epsilon, center != 0, scale != 0};
    return l;
}

ck_layer *ck_LayerNormalization(ck_session *s, const char *name)
{
    return ck_LayerNormalization_ex(s, NORM_AXIS, NORM_EPSILON, 1, 1, name);
}
