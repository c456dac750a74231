/* merging.c - layers that join several inputs: Concatenate, and the
 * elementwise Add, Subtract, Multiply (a dim of 1 broadcasts). */
#include "ck_layers_internal.h"

/* Keras's limit is memory; ours is the call's input array. */
enum { MAX_MERGE_INPUTS = 64 };

static int same_dim(int a, int b) { return a == b; } /* None (-1) only equals None */

/* ---- Concatenate ---- */

typedef struct concat_config {
    int axis;
} concat_config;

static int concat_check(ck_layer *l, ck_sym *const *in, int n)
{
    const concat_config *cfg = l->config;
    if (ck_require_f32_inputs(in, n)) return -1;
    int nd = in[0]->shape.ndim, axis = ck_layer_axis(cfg->axis, nd);
    if (axis < 1 || axis >= nd)
        return ck_fail("axis %d is out of range for %d dims (axis 0 is the batch)", cfg->axis, nd);
    for (int i = 1; i < n; i++) {
        if (in[i]->shape.ndim != nd)
            return ck_fail("all inputs need the same number of dims (%d and %d)", nd, in[i]->shape.ndim);
        for (int d = 0; d < nd; d++)
            if (d != axis && !same_dim(in[0]->shape.d[d], in[i]->shape.d[d]))
                return ck_fail("shapes must match on every axis but the concat axis %d", axis);
    }
    return 0;
}

static ck_node *concat_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                            ck_node **out_mask)
{
    (void)masks;
    (void)out_mask; /* masks are dropped (see docs) */
    const concat_config *cfg = l->config;
    return ck_concat(c->tape, in, n, ck_layer_axis(cfg->axis, in[0]->value.shape.ndim));
}

static const ck_layer_class concat_class = {
    "Concatenate", "concatenate", 1, MAX_MERGE_INPUTS, sizeof(concat_config), concat_check, NULL, concat_call,
};

ck_layer *ck_Concatenate(ck_session *s, int axis, const char *name)
{
    ck_layer *l = ck_layer_alloc(s, &concat_class, name);
    if (l) ((concat_config *)l->config)->axis = axis;
    return l;
}

/* ---- Add, Subtract, Multiply ---- */

static int merge_check(ck_layer *l, ck_sym *const *in, int n)
{
    (void)l;
    if (ck_require_f32_inputs(in, n)) return -1;
    for (int i = 1; i < n; i++) {
        if (in[i]->shape.ndim != in[0]->shape.ndim)
            return ck_fail("all inputs need the same number of dims (%d and %d)", in[0]->shape.ndim, in[i]->shape.ndim);
        for (int d = 1; d < in[0]->shape.ndim; d++) {
            int a = in[0]->shape.d[d], b = in[i]->shape.d[d];
            if (a != b && a != 1 && b != 1) return ck_fail("shapes do not match on axis %d (%d and %d)", d, a, b);
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

static ck_node *add_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                         ck_node **out_mask)
{
    (void)l;
    ck_node *y = in[0];
    for (int i = 1; i < n; i++) y = ck_add(c->tape, y, in[i]);
    merge_mask(c, masks, n, out_mask);
    return y;
}

static ck_node *subtract_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                              ck_node **out_mask)
{
    (void)l;
    merge_mask(c, masks, n, out_mask);
    return ck_sub(c->tape, in[0], in[1]);
}

static ck_node *multiply_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                              ck_node **out_mask)
{
    (void)l;
    ck_node *y = in[0];
    for (int i = 1; i < n; i++) y = ck_mul(c->tape, y, in[i]);
    merge_mask(c, masks, n, out_mask);
    return y;
}

static const ck_layer_class add_class = {"Add", "add", 2, MAX_MERGE_INPUTS, 0, merge_check, NULL, add_call};
static const ck_layer_class subtract_class = {"Subtract", "subtract", 2, 2, 0, merge_check, NULL, subtract_call};
static const ck_layer_class multiply_class = {
    "Multiply", "multiply", 2, MAX_MERGE_INPUTS, 0, merge_check, NULL, multiply_call,
};

ck_layer *ck_Add(ck_session *s, const char *name) { return ck_layer_alloc(s, &add_class, name); }
ck_layer *ck_Subtract(ck_session *s, const char *name) { return ck_layer_alloc(s, &subtract_class, name); }
ck_layer *ck_Multiply(ck_session *s, const char *name) { return ck_layer_alloc(s, &multiply_class, name); }
