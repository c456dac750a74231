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
    return ck_layer_add_weight(l, "embeddings",
                               ck_tensor_uniform(ck_shape_of(2, cfg->input_dim, cfg->output_dim), -EMBEDDING_INIT_LIMIT,
                                                 EMBEDDING_INIT_LIMIT, &l->session->rng));
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

static const ck_layer_class embedding_class = {
    "Embedding", "embedding", 1, 1, sizeof(embedding_config), embedding_check, embedding_build, embedding_call,
};

ck_layer *ck_Embedding(ck_session *s, int input_dim, int output_dim, int mask_zero, const char *name)
{
    if (input_dim <= 0 || output_dim <= 0) {
        ck_fail("Embedding: input_dim and output_dim must be > 0, got %d and %d", input_dim, output_dim);
        return NULL;
    }
    ck_layer *l = ck_layer_alloc(s, &embedding_class, name);
    if (!l) return NULL;
    embedding_config *cfg = l->config;
    cfg->input_dim = input_dim;
    cfg->output_dim = output_dim;
    cfg->mask_zero = mask_zero != 0;
    return l;
}
