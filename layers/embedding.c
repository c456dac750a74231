/* embedding.c - Embedding: ids (B, ...) -> rows of a trainable table
 * (B, ..., D), with Keras's mask_zero. */
#include "ck_layers_internal.h"

/* Keras's embeddings_initializer 'uniform': U(-0.05, 0.05). */
static const float EMBEDDING_INIT_LIMIT = 0.05f;

typedef struct embedding_config {
    int input_dim, output_dim, mask_zero;
} embedding_config;

static int embedding_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)l;
    (void)n;
    if (in[0]->dtype != CK_I32) return ck_fail("Embedding needs int32 ids, got float32");
    if (in[0]->shape.ndim + 1 > CK_MAX_DIMS)
        return ck_fail("output would have %d dims (at most %d)", in[0]->shape.ndim + 1, CK_MAX_DIMS);
    return 0;
}

static int embedding_build(ck_layer *l, ck_sym *const *in, int n)
{
    (void)in;
    (void)n;
    const embedding_config *cfg = l->config;
    ck_weight_init uniform = {CK_INIT_UNIFORM, EMBEDDING_INIT_LIMIT};
    return ck_layer_make_weight(l, "embeddings", ck_shape_of(2, cfg->input_dim, cfg->output_dim), uniform, 1);
}

static ck_node *embedding_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                               ck_node **out_mask)
{
    (void)masks;
    (void)n;
    const embedding_config *cfg = l->config;
    if (cfg->mask_zero) *out_mask = ck_mask_nonzero(c->tape, in[0]); /* (B, ...) */
    return ck_gather(c->tape, l->weights[0], in[0]);
}

static int embedding_get_config(const ck_layer *l, ck_json_writer *w)
{
    const embedding_config *cfg = l->config;
    ck_json_key(w, "input_dim");
    ck_json_int(w, cfg->input_dim);
    ck_json_key(w, "output_dim");
    ck_json_int(w, cfg->output_dim);
    ck_json_key(w, "mask_zero");
    ck_json_bool(w, cfg->mask_zero);
    ck_json_key(w, "embeddings_initializer");
    ck_json_begin_object(w);
    ck_json_key(w, "class_name");
    ck_json_string(w, "RandomUniform");
    ck_json_key(w, "config");
    ck_json_begin_object(w);
    ck_json_key(w, "minval");
    ck_json_float(w, -EMBEDDING_INIT_LIMIT);
    ck_json_key(w, "maxval");
    ck_json_float(w, EMBEDDING_INIT_LIMIT);
    ck_json_end_object(w);
    ck_json_end_object(w);
    return 0;
}

static ck_layer *embedding_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    int input_dim = 0, output_dim = 0, mask_zero = 0;
    if (ck_cfg_require(c, "input_dim") || ck_cfg_require(c, "output_dim") ||
        ck_cfg_int(c, "input_dim", 1, INT32_MAX, &input_dim) ||
        ck_cfg_int(c, "output_dim", 1, INT32_MAX, &output_dim) || ck_cfg_bool(c, "mask_zero", &mask_zero))
        return NULL;
    return ck_Embedding(s, input_dim, output_dim, mask_zero, name);
}

static const char *const embedding_regularizable[] = {"embeddings", NULL};

const ck_layer_class ck_embedding_class = {
    .type = "Embedding",
    .base_name = "embedding",
    .min_inputs = 1,
    .max_inputs = 1,
    .config_size = sizeof(embedding_config),
    .check = embedding_check,
    .build = embedding_build,
    .call = embedding_call,
    .get_config = embedding_get_config,
    .from_config = embedding_from_config,
    .regularizable = embedding_regularizable,
};

ck_layer *ck_Embedding(ck_session *s, int input_dim, int output_dim, int mask_zero, const char *name)
{
    if (input_dim <= 0 || output_dim <= 0) {
        ck_fail("Embedding: input_dim and output_dim must be > 0, got %d and %d", input_dim, output_dim);
        return NULL;
    }
    ck_layer *l = ck_layer_alloc(s, &ck_embedding_class, name);
    if (!l) return NULL;
    embedding_config *cfg = l->config;
    cfg->input_dim = input_dim;
    cfg->output_dim = output_dim;
    cfg->mask_zero = mask_zero != 0;
    return l;
}
