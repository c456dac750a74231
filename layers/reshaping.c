/* reshaping.c - Reshape: a new shape for each sample (the batch dim is
 * kept); the data is not copied. */
#include "ck_layers_internal.h"

typedef struct reshape_config {
    ck_shape target; /* without the batch dim; one entry may be -1 */
} reshape_config;

static int reshape_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)n;
    const reshape_config *cfg = l->config;
    char b[64];
    int64_t per_sample = 1, target = 1;
    for (int d = 1; d < in[0]->shape.ndim; d++) per_sample *= in[0]->shape.d[d];
    int unknown = 0;
    for (int d = 0; d < cfg->target.ndim; d++) {
        if (cfg->target.d[d] == -1)
            unknown = 1;
        else
            target *= cfg->target.d[d];
    }
    if (unknown ? per_sample % target != 0 : per_sample != target)
        return ck_fail("cannot reshape %lld values per sample into %s", (long long)per_sample,
                       ck_shape_py(cfg->target, b, sizeof b));
    return 0;
}

static ck_node *reshape_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                             ck_node **out_mask)
{
    (void)masks;
    (void)n;
    (void)out_mask;
    const reshape_config *cfg = l->config;
    ck_shape s = {cfg->target.ndim + 1, {in[0]->value.shape.d[0]}};
    for (int d = 0; d < cfg->target.ndim; d++) s.d[d + 1] = cfg->target.d[d];
    return ck_reshape(c->tape, in[0], s);
}

static const ck_layer_class reshape_class = {
    "Reshape", "reshape", 1, 1, sizeof(reshape_config), reshape_check, NULL, reshape_call,
};

ck_layer *ck_Reshape(ck_session *s, ck_shape target_shape, const char *name)
{
    char b[64];
    int unknown = 0;
    if (target_shape.ndim < 1 || target_shape.ndim + 1 > CK_MAX_DIMS) {
        ck_fail("Reshape: target shape needs 1 to %d dims, got %d", CK_MAX_DIMS - 1, target_shape.ndim);
        return NULL;
    }
    for (int d = 0; d < target_shape.ndim; d++) {
        if (target_shape.d[d] == -1 && !unknown)
            unknown = 1;
        else if (target_shape.d[d] <= 0) {
            ck_fail("Reshape: bad target shape %s (dims > 0, at most one -1)", ck_shape_str(target_shape, b, sizeof b));
            return NULL;
        }
    }
    ck_layer *l = ck_layer_alloc(s, &reshape_class, name);
    if (l) ((reshape_config *)l->config)->target = target_shape;
    return l;
}
