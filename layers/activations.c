/* activations.c - activation functions by Keras name (for Dense and
 * Activation), the Activation layer and the LeakyReLU layer. */
#include <math.h>
#include <string.h>

#include "ck_layers_internal.h"

/* The names keras.activations.get accepts (tf.keras 2.x), and "silu", the
 * name Keras 3 gives swish. Keras 2 has no "leaky_relu" by name: that is
 * the LeakyReLU layer. */
static const struct {
    const char *name;
    ck_activation_id id;
} activations[] = {
    {"linear", CK_ACT_LINEAR},
    {"relu", CK_ACT_RELU},
    {"sigmoid", CK_ACT_SIGMOID},
    {"tanh", CK_ACT_TANH},
    {"softmax", CK_ACT_SOFTMAX},
    {"softplus", CK_ACT_SOFTPLUS},
    {"softsign", CK_ACT_SOFTSIGN},
    {"elu", CK_ACT_ELU},
    {"selu", CK_ACT_SELU},
    {"gelu", CK_ACT_GELU},
    {"swish", CK_ACT_SWISH},
    {"silu", CK_ACT_SWISH},
    {"exponential", CK_ACT_EXPONENTIAL},
};
enum { N_ACTIVATIONS = sizeof activations / sizeof activations[0] };

/* Keras's defaults for the activations that take settings. */
#define ELU_ALPHA 1.0f
#define GELU_APPROXIMATE 0
#define NAMES_BUF 256 /* every name above, ", "-separated */

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
    char names[NAMES_BUF] = "";
    for (int i = 0; i < N_ACTIVATIONS; i++) {
        if (i) strncat(names, ", ", sizeof names - strlen(names) - 1);
        strncat(names, activations[i].name, sizeof names - strlen(names) - 1);
    }
    return ck_fail("%s: unknown activation '%s' (known: %s)", who, name, names);
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
    case CK_ACT_SOFTMAX: return ck_softmax(t, x, -1);
    case CK_ACT_SOFTPLUS: return ck_softplus(t, x);
    case CK_ACT_SOFTSIGN: return ck_softsign(t, x);
    case CK_ACT_ELU: return ck_elu(t, x, ELU_ALPHA);
    case CK_ACT_SELU: return ck_selu(t, x);
    case CK_ACT_GELU: return ck_gelu(t, x, GELU_APPROXIMATE);
    case CK_ACT_SWISH: return ck_swish(t, x);
    case CK_ACT_EXPONENTIAL: return ck_exp(t, x);
    case CK_ACT_LINEAR: break;
    }
    return x;
}

/* ---- Activation: activation(x), same shape; the mask passes through ---- */

typedef struct activation_config {
    ck_activation_id activation;
} activation_config;

/* Keras's softmax refuses a 1-D tensor (only the batch dim): there is no
 * class axis to normalise over. */
static int activation_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)n;
    const activation_config *cfg = l->config;
    if (cfg->activation == CK_ACT_SOFTMAX && in[0]->shape.ndim < 2)
        return ck_fail("cannot apply softmax to a 1-D tensor (only the batch dim), as Keras");
    return 0;
}

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
    .check = activation_check,
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

/* ---- LeakyReLU: x > 0 ? x : alpha x, same shape; the mask passes through ---- */

typedef struct leaky_relu_config {
    float alpha;
} leaky_relu_config;

static ck_node *leaky_relu_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                                ck_node **out_mask)
{
    (void)n;
    const leaky_relu_config *cfg = l->config;
    *out_mask = masks[0];
    return ck_leaky_relu(c->tape, in[0], cfg->alpha);
}

static int leaky_relu_get_config(const ck_layer *l, ck_json_writer *w)
{
    ck_json_key(w, "alpha");
    ck_json_float(w, ((const leaky_relu_config *)l->config)->alpha);
    return 0;
}

static ck_layer *leaky_relu_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    double alpha = 0.3; /* Keras's default when the config leaves it out */
    if (ck_cfg_number(c, "alpha", -1e30, 1e30, &alpha)) return NULL;
    return ck_LeakyReLU(s, (float)alpha, name);
}

/* "leaky_re_lu": Keras's snake case of LeakyReLU */
const ck_layer_class ck_leaky_relu_class = {
    .type = "LeakyReLU",
    .base_name = "leaky_re_lu",
    .min_inputs = 1,
    .max_inputs = 1,
    .config_size = sizeof(leaky_relu_config),
    .call = leaky_relu_call,
    .get_config = leaky_relu_get_config,
    .from_config = leaky_relu_from_config,
};

ck_layer *ck_LeakyReLU(ck_session *s, float alpha, const char *name)
{
    if (!isfinite(alpha)) {
        ck_fail("LeakyReLU: alpha must be a finite number, got %g", (double)alpha);
        return NULL;
    }
    ck_layer *l = ck_layer_alloc(s, &ck_leaky_relu_class, name);
    if (l) ((leaky_relu_config *)l->config)->alpha = alpha;
    return l;
}
