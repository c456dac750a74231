/* pooling.c - MeanPool: the mean over one axis, over every position or
 * only the masked-in ones. */
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

static const ck_layer_class meanpool_class = {
    "MeanPool", "mean_pool", 1, 1, sizeof(meanpool_config), meanpool_check, NULL, meanpool_call,
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
    ck_layer *l = ck_layer_alloc(s, &meanpool_class, name);
    if (!l) return NULL;
    meanpool_config *cfg = l->config;
    cfg->axis = axis;
    cfg->keepdims = keepdims != 0;
    cfg->mode = mode;
    return l;
}
