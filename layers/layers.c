/* layers.c - the layer classes: each is a check (shape errors with the
 * layer's name), an optional build (weights on the first call) and a call
 * (the forward pass from autograd ops). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ck_layers_internal.h"

static int normalise_axis(int axis, int ndim) { return axis < 0 ? axis + ndim : axis; }

static int same_dim(int a, int b) { return a == b; }   /* None (-1) only equals None */

/* ---- activations ---- */

static int parse_activation(const char *name, ck_activation_id *out, const char *who)
{
    if (!name || !strcmp(name, "linear")) *out = CK_ACT_LINEAR;
    else if (!strcmp(name, "relu")) *out = CK_ACT_RELU;
    else if (!strcmp(name, "sigmoid")) *out = CK_ACT_SIGMOID;
    else if (!strcmp(name, "tanh")) *out = CK_ACT_TANH;
    else return ck_fail("%s: unknown activation '%s' (use linear, relu, sigmoid or tanh)", who, name);
    return 0;
}

static ck_node *apply_activation(ck_tape *t, ck_node *x, ck_activation_id act)
{
    switch (act) {
    case CK_ACT_RELU: return ck_relu(t, x);
    case CK_ACT_SIGMOID: return ck_sigmoid(t, x);
    case CK_ACT_TANH: return ck_tanh(t, x);
    case CK_ACT_LINEAR: break;
    }
    return x;
}

static int add_weight(ck_layer *l, const char *weight_name, ck_tensor *value)
{
    if (!value) return -1;
    size_t n = strlen(l->name) + strlen(weight_name) + 2;
    char *full = malloc(n);
    if (!full) { ck_tensor_free(value); return ck_fail("out of memory"); }
    snprintf(full, n, "%s/%s", l->name, weight_name);
    ck_node *p = ck_param(value, full);
    if (!p) { free(full); return -1; }
    l->weights[l->n_weights] = p;
    l->weight_names[l->n_weights] = full;
    l->n_weights++;
    return 0;
}

static int require_f32(ck_sym *const *in, int n)
{
    for (int i = 0; i < n; i++)
        if (in[i]->dtype != CK_F32) return ck_fail("input %d holds int32 ids; expected float32", i);
    return 0;
}

/* ---- Dense: y = activation(x @ kernel + bias), on the last axis ---- */

static int dense_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)l;
    if (require_f32(in, n)) return -1;
    if (in[0]->shape.ndim < 2) return ck_fail("Dense needs a feature axis after the batch dim");
    if (l->built && l->weights[0]->value.shape.d[0] != in[0]->shape.d[in[0]->shape.ndim - 1])
        return ck_fail("the layer was built for %d input features, got %d",
                       l->weights[0]->value.shape.d[0], in[0]->shape.d[in[0]->shape.ndim - 1]);
    return 0;
}

static int dense_build(ck_layer *l, ck_sym *const *in, int n)
{
    (void)n;
    int fan_in = in[0]->shape.d[in[0]->shape.ndim - 1], fan_out = l->units;
    /* glorot_uniform */
    float limit = sqrtf(6.0f / (float)(fan_in + fan_out));
    ck_rng *rng = &l->session->rng;
    if (add_weight(l, "kernel", ck_tensor_uniform(ck_shape_of(2, fan_in, fan_out), -limit, limit, rng)))
        return -1;
    if (l->use_bias && add_weight(l, "bias", ck_tensor_zeros(ck_shape_of(1, fan_out)))) return -1;
    return 0;
}

static ck_node *dense_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in,
                           ck_node *const *masks, int n, ck_node **out_mask)
{
    (void)n;
    /* x (B, ..., k) @ kernel (k, units) -> (B, ..., units) */
    ck_node *y = ck_matmul(c->tape, in[0], l->weights[0]);
    if (l->use_bias) y = ck_add(c->tape, y, l->weights[1]);
    *out_mask = masks[0];       /* Dense supports masking: the mask passes through */
    return apply_activation(c->tape, y, l->activation);
}

static const ck_layer_class dense_class = {
    "Dense", "dense", 1, 1, dense_check, dense_build, dense_call
};

ck_layer *ck_Dense(ck_session *s, int units, const char *activation, const char *name)
{
    ck_activation_id act = CK_ACT_LINEAR;
    if (units <= 0) { ck_fail("Dense: units must be > 0, got %d", units); return NULL; }
    if (parse_activation(activation, &act, "Dense")) return NULL;
    ck_layer *l = ck_layer_alloc(s, &dense_class, name);
    if (!l) return NULL;
    l->units = units;
    l->activation = act;
    return l;
}

/* ---- Embedding: ids (B, ...) -> (B, ..., D) ---- */

static int embedding_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)l; (void)n;
    if (in[0]->dtype != CK_I32) return ck_fail("Embedding needs int32 ids, got float32");
    if (in[0]->shape.ndim + 1 > CK_MAX_DIMS)
        return ck_fail("output would have %d dims (at most %d)", in[0]->shape.ndim + 1, CK_MAX_DIMS);
    return 0;
}

static int embedding_build(ck_layer *l, ck_sym *const *in, int n)
{
    (void)in; (void)n;
    return add_weight(l, "embeddings",
                      ck_tensor_uniform(ck_shape_of(2, l->input_dim, l->output_dim), -0.05f, 0.05f,
                                        &l->session->rng));
}

static ck_node *embedding_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in,
                               ck_node *const *masks, int n, ck_node **out_mask)
{
    (void)masks; (void)n;
    if (l->mask_zero) *out_mask = ck_mask_nonzero(c->tape, in[0]);   /* (B, ...) */
    return ck_gather(c->tape, l->weights[0], in[0]);
}

static const ck_layer_class embedding_class = {
    "Embedding", "embedding", 1, 1, embedding_check, embedding_build, embedding_call
};

ck_layer *ck_Embedding(ck_session *s, int input_dim, int output_dim, int mask_zero, const char *name)
{
    if (input_dim <= 0 || output_dim <= 0) {
        ck_fail("Embedding: input_dim and output_dim must be > 0, got %d and %d", input_dim, output_dim);
        return NULL;
    }
    ck_layer *l = ck_layer_alloc(s, &embedding_class, name);
    if (!l) return NULL;
    l->input_dim = input_dim;
    l->output_dim = output_dim;
    l->mask_zero = mask_zero != 0;
    return l;
}

/* ---- MeanPool: mean over one axis, masked or plain ---- */

static int pool_uses_mask(const ck_layer *l, int has_mask)
{
    return l->pool_mode == CK_POOL_MASKED || (l->pool_mode == CK_POOL_AUTO && has_mask);
}

static int meanpool_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)n;
    if (require_f32(in, 1)) return -1;
    int nd = in[0]->shape.ndim, axis = normalise_axis(l->axis, nd);
    if (axis < 1 || axis >= nd)
        return ck_fail("axis %d is out of range for %d dims (axis 0 is the batch)", l->axis, nd);
    if (pool_uses_mask(l, in[0]->has_mask)) {
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

static ck_node *meanpool_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in,
                              ck_node *const *masks, int n, ck_node **out_mask)
{
    (void)n; (void)out_mask;      /* pooling consumes the mask */
    int axis = normalise_axis(l->axis, in[0]->value.shape.ndim);
    if (pool_uses_mask(l, masks[0] != NULL))
        return ck_masked_mean(c->tape, in[0], masks[0], axis, l->keepdims);
    return ck_mean(c->tape, in[0], axis, l->keepdims);
}

static const ck_layer_class meanpool_class = {
    "MeanPool", "mean_pool", 1, 1, meanpool_check, NULL, meanpool_call
};

ck_layer *ck_MeanPool(ck_session *s, int axis, int keepdims, ck_pool_mode mode, const char *name)
{
    if (mode != CK_POOL_AUTO && mode != CK_POOL_MASKED && mode != CK_POOL_PLAIN) {
        ck_fail("MeanPool: unknown mode %d", (int)mode);
        return NULL;
    }
    if (axis == 0) { ck_fail("MeanPool: axis 0 is the batch dim"); return NULL; }
    ck_layer *l = ck_layer_alloc(s, &meanpool_class, name);
    if (!l) return NULL;
    l->axis = axis;
    l->keepdims = keepdims != 0;
    l->pool_mode = mode;
    return l;
}

/* ---- Concatenate ---- */

static int concat_check(ck_layer *l, ck_sym *const *in, int n)
{
    if (require_f32(in, n)) return -1;
    int nd = in[0]->shape.ndim, axis = normalise_axis(l->axis, nd);
    if (axis < 1 || axis >= nd)
        return ck_fail("axis %d is out of range for %d dims (axis 0 is the batch)", l->axis, nd);
    for (int i = 1; i < n; i++) {
        if (in[i]->shape.ndim != nd)
            return ck_fail("all inputs need the same number of dims (%d and %d)", nd, in[i]->shape.ndim);
        for (int d = 0; d < nd; d++)
            if (d != axis && !same_dim(in[0]->shape.d[d], in[i]->shape.d[d]))
                return ck_fail("shapes must match on every axis but the concat axis %d", axis);
    }
    return 0;
}

static ck_node *concat_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in,
                            ck_node *const *masks, int n, ck_node **out_mask)
{
    (void)masks; (void)out_mask;  /* masks are dropped (see docs) */
    return ck_concat(c->tape, in, n, normalise_axis(l->axis, in[0]->value.shape.ndim));
}

static const ck_layer_class concat_class = {
    "Concatenate", "concatenate", 1, 64, concat_check, NULL, concat_call
};

ck_layer *ck_Concatenate(ck_session *s, int axis, const char *name)
{
    ck_layer *l = ck_layer_alloc(s, &concat_class, name);
    if (l) l->axis = axis;
    return l;
}

/* ---- Add, Subtract, Multiply: elementwise, a dim of 1 broadcasts ---- */

static int merge_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)l;
    if (require_f32(in, n)) return -1;
    for (int i = 1; i < n; i++) {
        if (in[i]->shape.ndim != in[0]->shape.ndim)
            return ck_fail("all inputs need the same number of dims (%d and %d)",
                           in[0]->shape.ndim, in[i]->shape.ndim);
        for (int d = 1; d < in[0]->shape.ndim; d++) {
            int a = in[0]->shape.d[d], b = in[i]->shape.d[d];
            if (a != b && a != 1 && b != 1)
                return ck_fail("shapes do not match on axis %d (%d and %d)", d, a, b);
        }
    }
    return 0;
}

/* The output mask is the AND (product) of the inputs' masks, as in Keras. */
static void merge_mask(const ck_call_ctx *c, ck_node *const *masks, int n, ck_node **out_mask)
{
    for (int i = 0; i < n; i++)
        if (masks[i]) *out_mask = *out_mask ? ck_mul(c->tape, *out_mask, masks[i]) : masks[i];
}

static ck_node *add_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in,
                         ck_node *const *masks, int n, ck_node **out_mask)
{
    (void)l;
    ck_node *y = in[0];
    for (int i = 1; i < n; i++) y = ck_add(c->tape, y, in[i]);
    merge_mask(c, masks, n, out_mask);
    return y;
}

static ck_node *subtract_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in,
                              ck_node *const *masks, int n, ck_node **out_mask)
{
    (void)l;
    merge_mask(c, masks, n, out_mask);
    return ck_sub(c->tape, in[0], in[1]);
}

static ck_node *multiply_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in,
                              ck_node *const *masks, int n, ck_node **out_mask)
{
    (void)l;
    ck_node *y = in[0];
    for (int i = 1; i < n; i++) y = ck_mul(c->tape, y, in[i]);
    merge_mask(c, masks, n, out_mask);
    return y;
}

static const ck_layer_class add_class = { "Add", "add", 2, 64, merge_check, NULL, add_call };
static const ck_layer_class subtract_class = {
    "Subtract", "subtract", 2, 2, merge_check, NULL, subtract_call
};
static const ck_layer_class multiply_class = {
    "Multiply", "multiply", 2, 64, merge_check, NULL, multiply_call
};

ck_layer *ck_Add(ck_session *s, const char *name) { return ck_layer_alloc(s, &add_class, name); }
ck_layer *ck_Subtract(ck_session *s, const char *name) { return ck_layer_alloc(s, &subtract_class, name); }
ck_layer *ck_Multiply(ck_session *s, const char *name) { return ck_layer_alloc(s, &multiply_class, name); }

/* ---- Reshape (target shape without the batch dim) ---- */

static int reshape_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)n;
    char b[64];
    int64_t per_sample = 1, target = 1;
    for (int d = 1; d < in[0]->shape.ndim; d++) per_sample *= in[0]->shape.d[d];
    int unknown = 0;
    for (int d = 0; d < l->target.ndim; d++) {
        if (l->target.d[d] == -1) unknown = 1;
        else target *= l->target.d[d];
    }
    if (unknown ? per_sample % target != 0 : per_sample != target)
        return ck_fail("cannot reshape %lld values per sample into %s", (long long)per_sample,
                       ck_shape_py(l->target, b, sizeof b));
    return 0;
}

static ck_node *reshape_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in,
                             ck_node *const *masks, int n, ck_node **out_mask)
{
    (void)masks; (void)n; (void)out_mask;
    ck_shape s = { l->target.ndim + 1, { in[0]->value.shape.d[0] } };
    for (int d = 0; d < l->target.ndim; d++) s.d[d + 1] = l->target.d[d];
    return ck_reshape(c->tape, in[0], s);
}

static const ck_layer_class reshape_class = {
    "Reshape", "reshape", 1, 1, reshape_check, NULL, reshape_call
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
        if (target_shape.d[d] == -1 && !unknown) unknown = 1;
        else if (target_shape.d[d] <= 0) {
            ck_fail("Reshape: bad target shape %s (dims > 0, at most one -1)",
                    ck_shape_str(target_shape, b, sizeof b));
            return NULL;
        }
    }
    ck_layer *l = ck_layer_alloc(s, &reshape_class, name);
    if (l) l->target = target_shape;
    return l;
}

/* ---- Lambda ---- */

static ck_node *lambda_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in,
                            ck_node *const *masks, int n, ck_node **out_mask)
{
    (void)masks; (void)out_mask;  /* Keras's Lambda drops masks */
    ck_node *y = l->fn(c->tape, in, n, l->user);
    if (!y && !ck_error()) ck_fail("the function returned NULL");
    return y;
}

static const ck_layer_class lambda_class = { "Lambda", "lambda", 1, 64, NULL, NULL, lambda_call };

ck_layer *ck_Lambda(ck_session *s, ck_lambda_fn fn, void *user, const char *name)
{
    if (!fn) { ck_fail("Lambda: function is NULL"); return NULL; }
    ck_layer *l = ck_layer_alloc(s, &lambda_class, name);
    if (!l) return NULL;
    l->fn = fn;
    l->user = user;
    return l;
}

/* ---- Activation ---- */

static ck_node *activation_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in,
                                ck_node *const *masks, int n, ck_node **out_mask)
{
    (void)n;
    *out_mask = masks[0];
    return apply_activation(c->tape, in[0], l->activation);
}

static const ck_layer_class activation_class = {
    "Activation", "activation", 1, 1, NULL, NULL, activation_call
};

ck_layer *ck_Activation(ck_session *s, const char *activation, const char *name)
{
    ck_activation_id act = CK_ACT_LINEAR;
    if (parse_activation(activation, &act, "Activation")) return NULL;
    ck_layer *l = ck_layer_alloc(s, &activation_class, name);
    if (l) l->activation = act;
    return l;
}

/* ---- Dropout: inverted dropout, scale kept units by 1 / (1 - rate) ---- */

static ck_node *dropout_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in,
                             ck_node *const *masks, int n, ck_node **out_mask)
{
    (void)n;
    *out_mask = masks[0];
    if (!c->training || l->rate == 0.0f) return in[0];
    int64_t size = in[0]->value.size;
    float *keep = ck_tape_alloc(c->tape, (size_t)size * sizeof(float));
    if (!keep) return NULL;
    float scale = 1.0f / (1.0f - l->rate);
    for (int64_t i = 0; i < size; i++)
        keep[i] = ck_rng_uniform(c->rng) >= l->rate ? scale : 0.0f;
    ck_tensor keep_t = ck_tensor_view(CK_F32, in[0]->value.shape, keep);
    return ck_mul(c->tape, in[0], ck_const(c->tape, &keep_t));
}

static const ck_layer_class dropout_class = {
    "Dropout", "dropout", 1, 1, NULL, NULL, dropout_call
};

ck_layer *ck_Dropout(ck_session *s, float rate, const char *name)
{
    if (!(rate >= 0.0f && rate < 1.0f)) { ck_fail("Dropout: rate must be in [0, 1), got %g", (double)rate); return NULL; }
    ck_layer *l = ck_layer_alloc(s, &dropout_class, name);
    if (l) l->rate = rate;
    return l;
}

/* ---- settings ---- */

int ck_layer_set_use_bias(ck_layer *l, int use_bias)
{
    if (!l) return ck_fail("set_use_bias: layer is NULL");
    if (l->cls != &dense_class)
        return ck_fail("set_use_bias: layer '%s' is a %s, not a Dense", l->name, l->cls->type);
    if (l->built) return ck_fail("set_use_bias: layer '%s' is already built", l->name);
    l->use_bias = use_bias != 0;
    return 0;
}

int ck_layer_set_l2(ck_layer *l, float factor)
{
    if (!l) return ck_fail("set_l2: layer is NULL");
    if (l->cls != &dense_class && l->cls != &embedding_class)
        return ck_fail("set_l2: layer '%s' (%s) has no kernel or embeddings", l->name, l->cls->type);
    if (!(factor >= 0.0f)) return ck_fail("set_l2: factor must be >= 0, got %g", (double)factor);
    l->l2 = factor;
    return 0;
}
