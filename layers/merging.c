/* merging.c - layers that join several inputs: Concatenate, the
 * elementwise Add, Subtract, Multiply (a dim of 1 broadcasts), and Dot. */
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

static int concat_get_config(const ck_layer *l, ck_json_writer *w)
{
    ck_json_key(w, "axis");
    ck_json_int(w, ((const concat_config *)l->config)->axis);
    return 0;
}

static ck_layer *concat_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    int axis = -1;
    return ck_cfg_int(c, "axis", -CK_MAX_DIMS, CK_MAX_DIMS, &axis) ? NULL : ck_Concatenate(s, axis, name);
}

const ck_layer_class ck_concatenate_class = {
    .type = "Concatenate",
    .base_name = "concatenate",
    .min_inputs = 1,
    .max_inputs = MAX_MERGE_INPUTS,
    .config_size = sizeof(concat_config),
    .check = concat_check,
    .call = concat_call,
    .get_config = concat_get_config,
    .from_config = concat_from_config,
};

ck_layer *ck_Concatenate(ck_session *s, int axis, const char *name)
{
    ck_layer *l = ck_layer_alloc(s, &ck_concatenate_class, name);
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

static ck_layer *add_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)c;
    (void)reg;
    return ck_Add(s, name);
}
static ck_layer *subtract_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)c;
    (void)reg;
    return ck_Subtract(s, name);
}
static ck_layer *multiply_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)c;
    (void)reg;
    return ck_Multiply(s, name);
}

const ck_layer_class ck_add_class = {
    .type = "Add",
    .base_name = "add",
    .min_inputs = 2,
    .max_inputs = MAX_MERGE_INPUTS,
    .check = merge_check,
    .call = add_call,
    .from_config = add_from_config,
};
const ck_layer_class ck_subtract_class = {
    .type = "Subtract",
    .base_name = "subtract",
    .min_inputs = 2,
    .max_inputs = 2,
    .check = merge_check,
    .call = subtract_call,
    .from_config = subtract_from_config,
};
const ck_layer_class ck_multiply_class = {
    .type = "Multiply",
    .base_name = "multiply",
    .min_inputs = 2,
    .max_inputs = MAX_MERGE_INPUTS,
    .check = merge_check,
    .call = multiply_call,
    .from_config = multiply_from_config,
};

ck_layer *ck_Add(ck_session *s, const char *name) { return ck_layer_alloc(s, &ck_add_class, name); }
ck_layer *ck_Subtract(ck_session *s, const char *name) { return ck_layer_alloc(s, &ck_subtract_class, name); }
ck_layer *ck_Multiply(ck_session *s, const char *name) { return ck_layer_alloc(s, &ck_multiply_class, name); }

/* ---- Dot: a (B, [M,] K) . b (B, [N,] K) along the given axes -> (B, [M,] [N]) or (B, 1) ---- */

typedef struct dot_config {
    int axes[2]; /* as given: negative counts from the end */
    int normalize;
} dot_config;

enum { DOT_MIN_RANK = 2, DOT_MAX_RANK = 3 };

static int dot_check(ck_layer *l, ck_sym *const *in, int n)
{
    const dot_config *cfg = l->config;
    if (ck_require_f32_inputs(in, n)) return -1;
    int axis[2];
    for (int k = 0; k < 2; k++) {
        int nd = in[k]->shape.ndim;
        if (nd < DOT_MIN_RANK || nd > DOT_MAX_RANK)
            return ck_fail("input %d has %d dims; Dot takes inputs of 2 or 3 dims (batch included)", k, nd);
        axis[k] = ck_layer_axis(cfg->axes[k], nd);
        if (axis[k] < 1 || axis[k] >= nd)
            return ck_fail("axis %d is out of range for input %d of %d dims (axis 0 is the batch)", cfg->axes[k], k,
                           nd);
    }
    int da = in[0]->shape.d[axis[0]], db = in[1]->shape.d[axis[1]];
    if (da != db)
        return ck_fail("dimension incompatibility: %d (axis %d of input 0) != %d (axis %d of input 1)", da, axis[0], db,
                       axis[1]);
    return 0;
}

/* x with its contracted axis moved last: (B, K) or (B, L, K). */
static ck_node *contracted_last(ck_tape *t, ck_node *x, int axis)
{
    if (x->value.shape.ndim == DOT_MAX_RANK && axis == 1) return ck_permute(t, x, (const int[]){0, 2, 1}, 3);
    return x;
}

static ck_node *dot_call(ck_layer *l, const ck_call_ctx *c, ck_node *const *in, ck_node *const *masks, int n,
                         ck_node **out_mask)
{
    (void)masks;
    (void)n;
    (void)out_mask; /* Keras's Dot gives no mask */
    const dot_config *cfg = l->config;
    ck_tape *t = c->tape;
    ck_node *x[2];
    for (int k = 0; k < 2; k++) {
        int axis = ck_layer_axis(cfg->axes[k], in[k]->value.shape.ndim);
        x[k] = cfg->normalize ? ck_l2_normalize(t, in[k], axis) : in[k];
        x[k] = contracted_last(t, x[k], axis);
        if (!x[k]) return NULL;
    }
    ck_shape sa = x[0]->value.shape, sb = x[1]->value.shape;
    int batch = sa.d[0], depth = sa.d[sa.ndim - 1];
    if (sa.ndim == DOT_MIN_RANK && sb.ndim == DOT_MIN_RANK) /* (B, K) . (B, K) -> (B, 1) */
        return ck_sum(t, ck_mul(t, x[0], x[1]), -1, 1);
    /* (B, M, 1, K) * (B, 1, N, K), summed over K: every pair of rows */
    int rows_a = sa.ndim == DOT_MAX_RANK ? sa.d[1] : 1, rows_b = sb.ndim == DOT_MAX_RANK ? sb.d[1] : 1;
    ck_node *a4 = ck_reshape(t, x[0], ck_shape_of(4, batch, rows_a, 1, depth));
    ck_node *b4 = ck_reshape(t, x[1], ck_shape_of(4, batch, 1, rows_b, depth));
    ck_node *y = ck_sum(t, ck_mul(t, a4, b4), 3, 0); /* (B, M, N) */
    if (sa.ndim == DOT_MIN_RANK) return ck_reshape(t, y, ck_shape_of(2, batch, rows_b));
    if (sb.ndim == DOT_MIN_RANK) return ck_reshape(t, y, ck_shape_of(2, batch, rows_a));
    return y;
}

static int dot_get_config(const ck_layer *l, ck_json_writer *w)
{
    const dot_config *cfg = l->config;
    ck_json_key(w, "axes");
    if (cfg->axes[0] == cfg->axes[1]) {
        ck_json_int(w, cfg->axes[0]);
    } else {
        ck_json_begin_array(w);
        ck_json_int(w, cfg->axes[0]);
        ck_json_int(w, cfg->axes[1]);
        ck_json_end_array(w);
    }
    ck_json_key(w, "normalize");
    ck_json_bool(w, cfg->normalize);
    return 0;
}

static ck_layer *dot_from_config(ck_session *s, const char *name, const ck_json *c, const ck_registry *reg)
{
    (void)reg;
    int axes[2], n_axes = 0, normalize = 0;
    if (ck_cfg_require(c, "axes") || ck_cfg_int_list(c, "axes", -DOT_MAX_RANK, DOT_MAX_RANK, axes, 2, &n_axes, 1) ||
        ck_cfg_bool(c, "normalize", &normalize))
        return NULL;
    if (n_axes == 1)
        axes[1] = axes[0];
    else if (n_axes != 2) {
        ck_fail("'axes' must be an integer or a list of 2");
        return NULL;
    }
    return ck_Dot(s, axes[0], axes[1], normalize, name);
}

const ck_layer_class ck_dot_class = {
    .type = "Dot",
    .base_name = "dot",
    .min_inputs = 2,
    .max_inputs = 2,
    .config_size = sizeof(dot_config),
    .check = dot_check,
    .call = dot_call,
    .get_config = dot_get_config,
    .from_config = dot_from_config,
};

ck_layer *ck_Dot(ck_session *s, int axis_a, int axis_b, int normalize, const char *name)
{
    if (axis_a == 0 || axis_b == 0) {
        ck_fail("Dot: axis 0 is the batch dim");
        return NULL;
    }
    ck_layer *l = ck_layer_alloc(s, &ck_dot_class, name);
    if (!l) return NULL;
    dot_config *cfg = l->config;
    cfg->axes[0] = axis_a;
    cfg->axes[1] = axis_b;
    cfg->normalize = normalize != 0;
    return l;
}
