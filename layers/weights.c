/* weights.c - a layer's weights: making them (with the session's weight
 * budget), freezing (Keras's trainable), regularizers, and Keras's
 * layer.get_weights() / set_weights(). */
#include <stdlib.h>
#include <string.h>

#include "ck_layers_internal.h"

enum { REGULARIZER_SUFFIX_LEN = 12 }; /* strlen("_regularizer") */

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
    l->weight_trainable[l->n_weights] = 1;
    l->n_weights++;
    return 0;
}

int ck_layer_make_weight(ck_layer *l, const char *weight_name, ck_shape shape, ck_weight_init init, int trainable)
{
    char b[64];
    if (ck_shape_check(shape, 0, weight_name) < 0) return -1;
    int64_t size = ck_shape_size(shape);
    int64_t *budget = &l->session->weight_budget;
    if (*budget >= 0 && size > *budget)
        return ck_fail("weight '%s' %s has %lld values, more than the %lld the weights file holds", weight_name,
                       ck_shape_str(shape, b, sizeof b), (long long)size, (long long)*budget);
    ck_tensor *value = init.kind == CK_INIT_UNIFORM
                           ? ck_tensor_uniform(shape, -init.limit, init.limit, &l->session->rng)
                       : init.kind == CK_INIT_ONES ? ck_tensor_ones(shape)
                                                   : ck_tensor_zeros(shape);
    if (ck_layer_add_weight(l, weight_name, value)) return -1;
    if (*budget >= 0) *budget -= size;
    if (!trainable) {
        l->weight_trainable[l->n_weights - 1] = 0;
        return ck_param_set_requires_grad(l->weights[l->n_weights - 1], 0);
    }
    return 0;
}

const char *ck_layer_weight_role(const ck_layer *l, int i)
{
    if (!l || i < 0 || i >= l->n_weights) return NULL;
    return l->weight_names[i] + strlen(l->name) + 1; /* "dense/kernel" was made from the name */
}

/* ---- freezing ---- */

int ck_layer_set_trainable(ck_layer *l, int trainable)
{
    if (!l) return ck_fail("set_trainable: layer is NULL");
    l->trainable = trainable != 0;
    return 0;
}

int ck_layer_trainable(const ck_layer *l) { return l ? l->trainable : 0; }

int ck_layer_weight_trainable(const ck_layer *l, int i)
{
    if (!l || i < 0 || i >= l->n_weights) return 0;
    return l->trainable && l->weight_trainable[i];
}

long ck_layer_count_trainable_params(const ck_layer *l)
{
    long n = 0;
    for (int i = 0; l && i < l->n_weights; i++)
        if (ck_layer_weight_trainable(l, i)) n += (long)l->weights[i]->value.size;
    return n;
}

/* ---- regularizers ---- */

ck_regularizer ck_l1(float l1) { return (ck_regularizer){l1, 0.0f}; }
ck_regularizer ck_l2(float l2) { return (ck_regularizer){0.0f, l2}; }
ck_regularizer ck_l1_l2(float l1, float l2) { return (ck_regularizer){l1, l2}; }

/* The class's role named by a Keras argument ("kernel_regularizer"), or NULL. */
static const char *role_of(const ck_layer *l, const char *argument)
{
    size_t len = strlen(argument);
    if (len <= REGULARIZER_SUFFIX_LEN || strcmp(argument + len - REGULARIZER_SUFFIX_LEN, "_regularizer")) return NULL;
    for (const char *const *r = l->cls->regularizable; r && *r; r++)
        if (strlen(*r) == len - REGULARIZER_SUFFIX_LEN && !strncmp(*r, argument, len - REGULARIZER_SUFFIX_LEN))
            return *r;
    return NULL;
}

int ck_layer_set_regularizer(ck_layer *l, const char *argument, ck_regularizer r)
{
    if (!l || !argument) return ck_fail("set_regularizer: NULL %s", l ? "argument" : "layer");
    const char *role = role_of(l, argument);
    if (!role) {
        char known[128] = "";
        size_t used = 0;
        for (const char *const *k = l->cls->regularizable; k && *k && used < sizeof known; k++)
            used += (size_t)snprintf(known + used, sizeof known - used, "%s%s_regularizer", used ? ", " : "", *k);
        return ck_fail("set_regularizer: layer '%s' (%s) has no '%s'%s%s", l->name, l->cls->type, argument,
                       used ? "; it has " : "", known);
    }
    if (!(r.l1 >= 0.0f && r.l2 >= 0.0f))
        return ck_fail("set_regularizer: layer '%s': l1 = %g and l2 = %g must be >= 0", l->name, (double)r.l1,
                       (double)r.l2);
    int k = 0;
    while (k < l->n_regularizers && l->regularizers[k].role != role) k++;
    if (k == l->n_regularizers) l->n_regularizers++;
    l->regularizers[k] = (ck_weight_regularizer){role, r};
    return 0;
}

ck_regularizer ck_layer_regularizer(const ck_layer *l, const char *argument)
{
    const char *role = l && argument ? role_of(l, argument) : NULL;
    for (int k = 0; role && k < l->n_regularizers; k++)
        if (l->regularizers[k].role == role) return l->regularizers[k].r;
    return (ck_regularizer){0.0f, 0.0f};
}

int ck_layer_set_l2(ck_layer *l, float factor)
{
    if (!l) return ck_fail("set_l2: layer is NULL");
    if (strcmp(l->cls->type, "Dense") && strcmp(l->cls->type, "Embedding"))
        return ck_fail("set_l2: layer '%s' (%s) has no kernel or embeddings", l->name, l->cls->type);
    if (!(factor >= 0.0f)) return ck_fail("set_l2: factor must be >= 0, got %g", (double)factor);
    char argument[64];
    snprintf(argument, sizeof argument, "%s_regularizer", l->cls->regularizable[0]); /* kernel or embeddings */
    return ck_layer_set_regularizer(l, argument, ck_l2(factor));
}

/* ---- get_weights / set_weights ---- */

void ck_weights_free(ck_tensor **weights, int n)
{
    for (int i = 0; weights && i < n; i++) ck_tensor_free(weights[i]);
    free(weights);
}

ck_tensor **ck_layer_get_weights(const ck_layer *l, int *n)
{
    if (n) *n = 0;
    if (!l || !n) {
        ck_fail("get_weights: NULL %s", l ? "count" : "layer");
        return NULL;
    }
    if (!l->n_weights) return NULL;
    ck_tensor **out = calloc((size_t)l->n_weights, sizeof *out);
    if (!out) {
        ck_fail("get_weights: out of memory");
        return NULL;
    }
    for (int i = 0; i < l->n_weights; i++)
        if (!(out[i] = ck_tensor_copy(&l->weights[i]->value))) {
            ck_weights_free(out, i);
            return NULL;
        }
    *n = l->n_weights;
    return out;
}

int ck_layer_set_weights(ck_layer *l, const ck_tensor *const *weights, int n)
{
    char a[64], b[64];
    if (!l) return ck_fail("set_weights: layer is NULL");
    if (n != l->n_weights || (n > 0 && !weights))
        return ck_fail("set_weights: layer '%s' (%s) expects %d weights, got a list of %d", l->name, l->cls->type,
                       l->n_weights, n);
    for (int i = 0; i < n; i++) {
        const ck_tensor *w = weights[i];
        if (!w || w->dtype != CK_F32)
            return ck_fail("set_weights: layer '%s': weight %d is %s", l->name, i, w ? "not float32" : "NULL");
        if (!ck_shape_eq(w->shape, l->weights[i]->value.shape))
            return ck_fail("set_weights: layer '%s' weight '%s' has shape %s, the given array has shape %s", l->name,
                           l->weight_names[i], ck_shape_str(l->weights[i]->value.shape, a, sizeof a),
                           ck_shape_str(w->shape, b, sizeof b));
    }
    for (int i = 0; i < n; i++) memcpy(l->weights[i]->value.f, weights[i]->f, sizeof(float) * (size_t)weights[i]->size);
    return 0;
}
