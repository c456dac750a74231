/* pooling.c - MeanPool: the mean over one axis, over every position or
 * only the masked-in ones; Keras's GlobalAveragePooling1D and
 * GlobalMaxPooling1D over the steps of (B, steps, features). */
#include <string.h>

#include "ck_layers_internal.h"

typedef struct meanpool_config {
    int axis, keepdims;
    ck_pool_mode mode;
} meanpool_config;

static int pool_uses_mask(const meanpool_config *cfg, int has_mask)
{
    return cfg->mode == CK_POOL_MASKED || (cfg->mode == CK_POOL_AUTO && has_mask);
}

static int meanpool_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)n;
    const meanpool_config *cfg = l->config;
    if (ck_require_f32_inputs(in, 1)) return -1;
    int nd = in[0]->shape.ndim, axis = ck_layer_axis(cfg->axis, nd);
    if (axis < 1 || axis >= nd)
        return ck_fail("axis %d is out of range for %d dims (axis 0 is the batch)", cfg->axis, nd);
    if (pool_uses_mask(cfg, in[0]->has_mask)) {
        char b[64];
        if (!in[0]->has_mask)
            return ck_fail("masked mean pooling needs an input that carries a mask "
                           "(e.g. from Embedding(mask_zero=1))");
        if (in[0]->mask_shape.ndim != axis + 1)
            return ck_fail("the mask %s does not end at axis %d; use CK_POOL_PLAIN to ignore it",
                           ck_shape_py(in[0]->mask_shape, b, sizeof b), axis);
    }
    return 0;
}

static ck_node *meanpool_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                              ck_node **out_mask)
{
    (void)n;
    (void)out_mask; /* pooling consumes the mask */
    const meanpool_config *cfg = l->config;
    int axis = ck_layer_axis(cfg->axis, in[0]->value.shape.ndim);
    if (pool_uses_mask(cfg, masks[0] != NULL)) return ck_masked_mean(c->tape, in[0], masks[0], axis, cfg->keepdims);
    return ck_mean(c->tape, in[0], axis, cfg->keepdims);
}

static const char *const pool_mode_names[] = {"auto", "masked", "plain"};
enum { N_POOL_MODES = sizeof pool_mode_names / sizeof pool_mode_names[0] };

static int meanpool_get_config(const ck_layer *l, ck_json_writer *w)
{
    const meanpool_config *cfg = l->config;
    ck_json_key(w, "axis");
    ck_json_int(w, cfg->axis);
    ck_json_key(w, "keepdims");
    ck_json_bool(w, cfg->keepdims);
    ck_json_key(w, "mode");
    ck_json_string(w, pool_mode_names[cfg->mode]);
    return 0;
}

static ck_layer *meanpool_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    int axis = 1, keepdims = 0, mode = 0;
    const char *mode_name = "auto";
    if (ck_cfg_int(c, "axis", -CK_MAX_DIMS, CK_MAX_DIMS, &axis) || ck_cfg_bool(c, "keepdims", &keepdims) ||
        ck_cfg_string(c, "mode", &mode_name))
        return NULL;
    while (mode < N_POOL_MODES && strcmp(pool_mode_names[mode], mode_name)) mode++;
    if (mode == N_POOL_MODES) {
        ck_fail("'mode' must be auto, masked or plain, got '%.32s'", mode_name);
        return NULL;
    }
    return ck_MeanPool(s, axis, keepdims, (ck_pool_mode)mode, name);
}

const ck_layer_class ck_meanpool_class = {
    .type = "MeanPool",
    .base_name = "mean_pool",
    .min_inputs = 1,
    .max_inputs = 1,
    .config_size = sizeof(meanpool_config),
    .check = meanpool_check,
    .call = meanpool_call,
    .get_config = meanpool_get_config,
    .from_config = meanpool_from_config,
};

ck_layer *ck_MeanPool(ck_session *s, int axis, int keepdims, ck_pool_mode mode, const char *name)
{
    if (mode != CK_POOL_AUTO && mode != CK_POOL_MASKED && mode != CK_POOL_PLAIN) {
        ck_fail("MeanPool: unknown mode %d", (int)mode);
        return NULL;
    }
    if (axis == 0) {
        ck_fail("MeanPool: axis 0 is the batch dim");
        return NULL;
    }
    ck_layer *l = ck_layer_alloc(s, &ck_meanpool_class, name);
    if (!l) return NULL;
    meanpool_config *cfg = l->config;
    cfg->axis = axis;
    cfg->keepdims = keepdims != 0;
    cfg->mode = mode;
    return l;
}

/* ---- GlobalAveragePooling1D, GlobalMaxPooling1D: (B, steps, features) -> (B, features) ---- */

static int global_pool_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)l;
    (void)n;
    char b[64];
    if (ck_require_f32_inputs(in, 1)) return -1;
    if (in[0]->shape.ndim != 3) return ck_fail("expects (batch, steps, features): 3 dims, got %d", in[0]->shape.ndim);
    if (in[0]->has_mask && in[0]->mask_shape.ndim != 2)
        return ck_fail("the mask %s is not (batch, steps)", ck_shape_py(in[0]->mask_shape, b, sizeof b));
    return 0;
}

static ck_node *global_average_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                                    ck_node **out_mask)
{
    (void)l;
    (void)n;
    (void)out_mask; /* pooling consumes the mask */
    return masks[0] ? ck_masked_mean(c->tape, in[0], masks[0], 1, 0) : ck_mean(c->tape, in[0], 1, 0);
}

static ck_node *global_max_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                                ck_node **out_mask)
{
    (void)l;
    (void)n;
    (void)out_mask;
    return masks[0] ? ck_masked_max(c->tape, in[0], masks[0], 1, 0) : ck_max(c->tape, in[0], 1, 0);
}

/* Keras's settings, of which only the defaults exist here. */
static int global_pool_get_config(const ck_layer *l, ck_json_writer *w)
{
    (void)l;
    ck_json_key(w, "data_format");
    ck_json_string(w, "channels_last");
    ck_json_key(w, "keepdims");
    ck_json_bool(w, 0);
    return 0;
}

static int global_pool_settings(const ck_json *c)
{
    const char *data_format = "channels_last";
    int keepdims = 0;
    if (ck_cfg_string(c, "data_format", &data_format) || ck_cfg_bool(c, "keepdims", &keepdims)) return -1;
    if (strcmp(data_format, "channels_last") || keepdims)
        return ck_fail("only data_format 'channels_last' without keepdims is supported");
    return 0;
}

static ck_layer *global_average_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    return global_pool_settings(c) ? NULL : ck_GlobalAveragePooling1D(s, name);
}

static ck_layer *global_max_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    return global_pool_settings(c) ? NULL : ck_GlobalMaxPooling1D(s, name);
}

const ck_layer_class ck_global_average_pooling_1d_class = {
    .type = "GlobalAveragePooling1D",
    .base_name = "global_average_pooling1d",
    .min_inputs = 1,
    .max_inputs = 1,
    .check = global_pool_check,
    .call = global_average_call,
    .get_config = global_pool_get_config,
    .from_config = global_average_from_config,
};

const ck_layer_class ck_global_max_pooling_1d_class = {
    .type = "GlobalMaxPooling1D",
    .base_name = "global_max_pooling1d",
    .min_inputs = 1,
    .max_inputs = 1,
    .check = global_pool_check,
    .call = global_max_call,
    .get_config = global_pool_get_config,
    .from_config = global_max_from_config,
};

ck_layer *ck_GlobalAveragePooling1D(ck_session *s, const char *name)
{
    return ck_layer_alloc(s, &ck_global_average_pooling_1d_class, name);
}

ck_layer *ck_GlobalMaxPooling1D(ck_session *s, const char *name)
{
    return ck_layer_alloc(s, &ck_global_max_pooling_1d_class, name);
}
