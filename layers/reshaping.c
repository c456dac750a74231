/* reshaping.c - Reshape and Flatten: a new shape for each sample (the
 * batch dim is kept; the data is not copied); RepeatVector; Permute. */
#include <stdint.h>

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

static void write_int_list(ck_json_writer *w, const char *key, const int *v, int n)
{
    ck_json_key(w, key);
    ck_json_begin_array(w);
    for (int i = 0; i < n; i++) ck_json_int(w, v[i]);
    ck_json_end_array(w);
}

static int reshape_get_config(const ck_layer *l, ck_json_writer *w)
{
    const reshape_config *cfg = l->config;
    write_int_list(w, "target_shape", cfg->target.d, cfg->target.ndim);
    return 0;
}

static ck_layer *reshape_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    ck_shape target = {0, {0}};
    if (ck_cfg_require(c, "target_shape") ||
        ck_cfg_int_list(c, "target_shape", -1, INT32_MAX, target.d, CK_MAX_DIMS - 1, &target.ndim, 0))
        return NULL;
    return ck_Reshape(s, target, name);
}

const ck_layer_class ck_reshape_class = {
    .type = "Reshape",
    .base_name = "reshape",
    .min_inputs = 1,
    .max_inputs = 1,
    .config_size = sizeof(reshape_config),
    .check = reshape_check,
    .call = reshape_call,
    .get_config = reshape_get_config,
    .from_config = reshape_from_config,
};

ck_layer *ck_Reshape(ck_session *s, ck_shape target_shape, const char *name)
{
    char b[64];
    int unknown = 0;
    if (target_shape.ndim < 1 || target_shape.ndim + 1 > CK_MAX_DIMS) {
        ck_fail("Reshape: target shape needs 1 to %d dims, got %d", CK_MAX_DIMS - 1, target_shape.ndim);
        return NULL;
    }
    int64_t known = 1;
    for (int d = 0; d < target_shape.ndim; d++) {
        if (target_shape.d[d] == -1 && !unknown)
            unknown = 1;
        else if (target_shape.d[d] <= 0) {
            ck_fail("Reshape: bad target shape %s (dims > 0, at most one -1)", ck_shape_str(target_shape, b, sizeof b));
            return NULL;
        } else if ((known *= target_shape.d[d]) > INT32_MAX) {
            ck_fail("Reshape: target shape %s holds more than %d values per sample",
                    ck_shape_str(target_shape, b, sizeof b), INT32_MAX);
            return NULL;
        }
    }
    ck_layer *l = ck_layer_alloc(s, &ck_reshape_class, name);
    if (l) ((reshape_config *)l->config)->target = target_shape;
    return l;
}

/* ---- Flatten: (B, ...) -> (B, product of ...) ---- */

static int flatten_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)l;
    (void)n;
    int64_t per_sample = 1;
    for (int d = 1; d < in[0]->shape.ndim; d++) per_sample *= in[0]->shape.d[d];
    if (per_sample > INT32_MAX) return ck_fail("%lld values per sample do not fit one axis", (long long)per_sample);
    return 0;
}

static ck_node *flatten_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                             ck_node **out_mask)
{
    (void)l;
    (void)masks;
    (void)n;
    (void)out_mask; /* masks are dropped */
    ck_shape x = in[0]->value.shape;
    int per_sample = 1;
    for (int d = 1; d < x.ndim; d++) per_sample *= x.d[d];
    return ck_reshape(c->tape, in[0], ck_shape_of(2, x.d[0], per_sample));
}

static int flatten_get_config(const ck_layer *l, ck_json_writer *w)
{
    (void)l;
    ck_json_key(w, "data_format");
    ck_json_string(w, "channels_last");
    return 0;
}

static ck_layer *flatten_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)c;
    (void)reg;
    return ck_Flatten(s, name);
}

const ck_layer_class ck_flatten_class = {
    .type = "Flatten",
    .base_name = "flatten",
    .min_inputs = 1,
    .max_inputs = 1,
    .check = flatten_check,
    .call = flatten_call,
    .get_config = flatten_get_config,
    .from_config = flatten_from_config,
};

ck_layer *ck_Flatten(ck_session *s, const char *name) { return ck_layer_alloc(s, &ck_flatten_class, name); }

/* ---- RepeatVector: (B, F) -> (B, n, F) ---- */

typedef struct repeat_vector_config {
    int n;
} repeat_vector_config;

static int repeat_vector_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)n;
    if (in[0]->shape.ndim != 2) return ck_fail("expects (batch, features): 2 dims, got %d", in[0]->shape.ndim);
    int64_t size = (int64_t)((const repeat_vector_config *)l->config)->n * in[0]->shape.d[1];
    if (size > INT32_MAX) return ck_fail("%lld values per sample are too many", (long long)size);
    return 0;
}

static ck_node *repeat_vector_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                                   ck_node **out_mask)
{
    (void)masks;
    (void)n;
    (void)out_mask;
    return ck_repeat(c->tape, in[0], 1, ((const repeat_vector_config *)l->config)->n);
}

static int repeat_vector_get_config(const ck_layer *l, ck_json_writer *w)
{
    ck_json_key(w, "n");
    ck_json_int(w, ((const repeat_vector_config *)l->config)->n);
    return 0;
}

static ck_layer *repeat_vector_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    int n = 0;
    return ck_cfg_require(c, "n") || ck_cfg_int(c, "n", 1, INT32_MAX, &n) ? NULL : ck_RepeatVector(s, n, name);
}

const ck_layer_class ck_repeat_vector_class = {
    .type = "RepeatVector",
    .base_name = "repeat_vector",
    .min_inputs = 1,
    .max_inputs = 1,
    .config_size = sizeof(repeat_vector_config),
    .check = repeat_vector_check,
    .call = repeat_vector_call,
    .get_config = repeat_vector_get_config,
    .from_config = repeat_vector_from_config,
};

ck_layer *ck_RepeatVector(ck_session *s, int n, const char *name)
{
    if (n < 1) {
        ck_fail("RepeatVector: n must be >= 1, got %d", n);
        return NULL;
    }
    ck_layer *l = ck_layer_alloc(s, &ck_repeat_vector_class, name);
    if (l) ((repeat_vector_config *)l->config)->n = n;
    return l;
}

/* ---- Permute: the axes after the batch reordered, 1-based as in Keras ---- */

typedef struct permute_config {
    int n_dims;
    int dims[CK_MAX_DIMS - 1];
} permute_config;

static int permute_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)n;
    const permute_config *cfg = l->config;
    if (in[0]->shape.ndim != cfg->n_dims + 1)
        return ck_fail("dims has %d axes but the input has %d after the batch", cfg->n_dims, in[0]->shape.ndim - 1);
    return 0;
}

static ck_node *permute_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                             ck_node **out_mask)
{
    (void)masks;
    (void)n;
    (void)out_mask;
    const permute_config *cfg = l->config;
    int perm[CK_MAX_DIMS] = {0}; /* the batch stays first */
    for (int i = 0; i < cfg->n_dims; i++) perm[i + 1] = cfg->dims[i];
    return ck_permute(c->tape, in[0], perm, cfg->n_dims + 1);
}

static int permute_get_config(const ck_layer *l, ck_json_writer *w)
{
    const permute_config *cfg = l->config;
    write_int_list(w, "dims", cfg->dims, cfg->n_dims);
    return 0;
}

static ck_layer *permute_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    int dims[CK_MAX_DIMS - 1], n = 0;
    if (ck_cfg_require(c, "dims") || ck_cfg_int_list(c, "dims", 1, CK_MAX_DIMS - 1, dims, CK_MAX_DIMS - 1, &n, 0))
        return NULL;
    return ck_Permute(s, dims, n, name);
}

const ck_layer_class ck_permute_class = {
    .type = "Permute",
    .base_name = "permute",
    .min_inputs = 1,
    .max_inputs = 1,
    .config_size = sizeof(permute_config),
    .check = permute_check,
    .call = permute_call,
    .get_config = permute_get_config,
    .from_config = permute_from_config,
};

ck_layer *ck_Permute(ck_session *s, const int *dims, int n_dims, const char *name)
{
    int seen[CK_MAX_DIMS] = {0};
    if (!dims || n_dims < 1 || n_dims > CK_MAX_DIMS - 1) {
        ck_fail("Permute: dims must list 1 to %d axes, got %d", CK_MAX_DIMS - 1, n_dims);
        return NULL;
    }
    for (int i = 0; i < n_dims; i++)
        if (dims[i] < 1 || dims[i] > n_dims || seen[dims[i]]++) {
            ck_fail("Permute: dims must be a permutation of 1..%d (axis 0 is the batch)", n_dims);
            return NULL;
        }
    ck_layer *l = ck_layer_alloc(s, &ck_permute_class, name);
    if (!l) return NULL;
    permute_config *cfg = l->config;
    cfg->n_dims = n_dims;
    for (int i = 0; i < n_dims; i++) cfg->dims[i] = dims[i];
    return l;
}
