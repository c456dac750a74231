/* activations.c - activation functions by Keras name (for Dense and
 * Activation), and the Activation layer. */
#include <string.h>

#include "ck_layers_internal.h"

static const struct {
    const char *name;
    ck_activation_id id;
} activations[] = {
    {"linear", CK_ACT_LINEAR},
    {"relu", CK_ACT_RELU},
    {"sigmoid", CK_ACT_SIGMOID},
    {"tanh", CK_ACT_TANH},
};
enum { N_ACTIVATIONS = sizeof activations / sizeof activations[0] };

int ck_parse_activation(const char *name, ck_activation_id *out, const char *who)
{
    if (!name) {
        *out = CK_ACT_LINEAR;
        return 0;
    }
    for (int i = 0; i < N_ACTIVATIONS; i++)
        if (!strcmp(name, activations[i].name)) {
            *out = activations[i].id;
            return 0;
        }
    return ck_fail("%s: unknown activation '%s' (use linear, relu, sigmoid or tanh)", who, name);
}

const char *ck_activation_name(ck_activation_id act)
{
    for (int i = 0; i < N_ACTIVATIONS; i++)
        if (activations[i].id == act) return activations[i].name;
    return "linear";
}

ck_node *ck_apply_activation(ck_tape *t, ck_node *x, ck_activation_id act)
{
    switch (act) {
    case CK_ACT_RELU: return ck_relu(t, x);
    case CK_ACT_SIGMOID: return ck_sigmoid(t, x);
    case CK_ACT_TANH: return ck_tanh(t, x);
    case CK_ACT_LINEAR: break;
    }
    return x;
}

/* ---- Activation: activation(x), same shape; the mask passes through ---- */

typedef struct activation_config {
    ck_activation_id activation;
} activation_config;

static ck_node *activation_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                                ck_node **out_mask)
{
    (void)n;
    const activation_config *cfg = l->config;
    *out_mask = masks[0];
    return ck_apply_activation(c->tape, in[0], cfg->activation);
}

static int activation_get_config(const ck_layer *l, ck_json_writer *w)
{
    ck_json_key(w, "activation");
    ck_json_string(w, ck_activation_name(((const activation_config *)l->config)->activation));
    return 0;
}

static ck_layer *activation_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    const char *activation = NULL;
    if (ck_cfg_require(c, "activation") || ck_cfg_string(c, "activation", &activation)) return NULL;
    return ck_Activation(s, activation, name);
}

const ck_layer_class ck_activation_class = {
    .type = "Activation",
    .base_name = "activation",
    .min_inputs = 1,
    .max_inputs = 1,
    .config_size = sizeof(activation_config),
    .call = activation_call,
    .get_config = activation_get_config,
    .from_config = activation_from_config,
};

ck_layer *ck_Activation(ck_session *s, const char *activation, const char *name)
{
    ck_activation_id act = CK_ACT_LINEAR;
    if (ck_parse_activation(activation, &act, "Activation")) return NULL;
    ck_layer *l = ck_layer_alloc(s, &ck_activation_class, name);
    if (l) ((activation_config *)l->config)->activation = act;
    return l;
}
