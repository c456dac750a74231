/* session.c - the session (layers, symbolic tensors, names, seeded PRNG) and
 * the one place where a layer call is recorded: ck_call. */
#include <stdlib.h>
#include <string.h>
#include <stb_ds.h>

#include "ck_layers_internal.h"

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

ck_session *ck_session_new(uint64_t seed)
{
    ck_session *s = calloc(1, sizeof *s);
    if (!s) {
        ck_fail("ck_session_new: out of memory");
        return NULL;
    }
    s->seed = seed;
    s->weight_budget = -1;
    ck_rng_seed(&s->rng, seed);
    s->scratch = ck_tape_new();
    if (!s->scratch) {
        free(s);
        return NULL;
    }
    ck_tape_set_grad(s->scratch, 0);
    sh_new_strdup(s->name_counts);
    return s;
}

static void layer_free(ck_layer *l)
{
    for (int i = 0; i < l->n_weights; i++) {
        ck_param_free(l->weights[i]);
        free(l->weight_names[i]);
    }
    for (ptrdiff_t i = 0; i < arrlen(l->calls); i++) free(l->calls[i].in);
    arrfree(l->calls);
    free(l->name);
    if (l->config && l->cls->free_config) l->cls->free_config(l->config);
    free(l->config);
    free(l);
}

void ck_session_free(ck_session *s)
{
    if (!s) return;
    for (ptrdiff_t i = 0; i < arrlen(s->models); i++) s->model_free(s->models[i]);
    arrfree(s->models);
    for (ptrdiff_t i = 0; i < arrlen(s->layers); i++) layer_free(s->layers[i]);
    arrfree(s->layers);
    for (ptrdiff_t i = 0; i < arrlen(s->syms); i++) free(s->syms[i]);
    arrfree(s->syms);
    shfree(s->name_counts);
    ck_tape_free(s->scratch);
    free(s);
}

ck_rng *ck_session_rng(ck_session *s) { return s ? &s->rng : NULL; }

char *ck_session_unique_name(ck_session *s, const char *base, int zero_based)
{
    int uses = shget(s->name_counts, base); /* 0 when absent */
    shput(s->name_counts, base, uses + 1);
    int suffix = zero_based ? uses : uses + 1;
    if (suffix == 0) return dup_str(base);
    size_t n = strlen(base) + 16;
    char *name = malloc(n);
    if (name) snprintf(name, n, "%s_%d", base, suffix);
    return name;
}

int ck_session_add_model(ck_session *s, void *model, void (*model_free)(void *))
{
    s->model_free = model_free;
    arrput(s->models, model);
    return 0;
}

char *ck_shape_py(ck_shape s, char *buf, size_t n)
{
    size_t used = 0;
    used += (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < s.ndim && used < n; i++) {
        if (s.d[i] < 0)
            used += (size_t)snprintf(buf + used, n - used, "%sNone", i ? ", " : "");
        else
            used += (size_t)snprintf(buf + used, n - used, "%s%d", i ? ", " : "", s.d[i]);
    }
    if (used < n) snprintf(buf + used, n - used, s.ndim == 1 ? ",)" : ")");
    return buf;
}

/* ---- layer objects (used by the constructors in layers.c) ---- */

ck_layer *ck_layer_alloc(ck_session *s, const ck_layer_class *cls, const char *name)
{
    if (!s) {
        ck_fail("%s: session is NULL", cls->type);
        return NULL;
    }
    ck_layer *l = calloc(1, sizeof *l);
    if (!l) {
        ck_fail("%s: out of memory", cls->type);
        return NULL;
    }
    l->cls = cls;
    l->session = s;
    l->trainable = 1;
    l->config = cls->config_size ? calloc(1, cls->config_size) : NULL;
    if (cls->config_size && !l->config) {
        free(l);
        ck_fail("%s: out of memory", cls->type);
        return NULL;
    }
    l->name = name ? dup_str(name) : ck_session_unique_name(s, cls->base_name, 1);
    if (!l->name) {
        free(l->config);
        free(l);
        ck_fail("%s: out of memory", cls->type);
        return NULL;
    }
    if (name && !name[0]) {
        free(l->name);
        free(l->config);
        free(l);
        ck_fail("%s: empty layer name", cls->type);
        return NULL;
    }
    l->index = (int)arrlen(s->layers);
    arrput(s->layers, l);
    return l;
}

static ck_sym *sym_new(ck_session *s, ck_layer *l, int call_index, ck_shape shape, ck_dtype dt)
{
    ck_sym *x = calloc(1, sizeof *x);
    if (!x) {
        ck_fail("out of memory");
        return NULL;
    }
    x->id = (int)arrlen(s->syms);
    x->shape = shape;
    x->dtype = dt;
    x->layer = l;
    x->call_index = call_index;
    arrput(s->syms, x);
    return x;
}

/* InputLayer's config (batch_input_shape, dtype) is written and read by
 * layer_config.c, which knows the symbolic tensor behind it. */
const ck_layer_class ck_input_layer_class = {.type = "InputLayer", .base_name = "input"};

ck_sym *ck_Input(ck_session *s, ck_shape shape, ck_dtype dtype, const char *name)
{
    if (!s) {
        ck_fail("Input: session is NULL");
        return NULL;
    }
    if (shape.ndim < 0 || shape.ndim + 1 > CK_MAX_DIMS) {
        ck_fail("Input: shape has %d dims; at most %d are allowed besides the batch dim", shape.ndim, CK_MAX_DIMS - 1);
        return NULL;
    }
    int64_t per_sample = 1;
    for (int i = 0; i < shape.ndim; i++) {
        char b[64];
        if (shape.d[i] <= 0) {
            ck_fail("Input: shape %s: every dim must be > 0", ck_shape_py(shape, b, sizeof b));
            return NULL;
        }
        if ((per_sample *= shape.d[i]) > INT32_MAX) {
            ck_fail("Input: shape %s holds more than %d values per sample", ck_shape_py(shape, b, sizeof b), INT32_MAX);
            return NULL;
        }
    }
    if (dtype != CK_F32 && dtype != CK_I32) {
        ck_fail("Input: unknown dtype %d", (int)dtype);
        return NULL;
    }
    ck_layer *l = calloc(1, sizeof *l);
    if (!l) {
        ck_fail("Input: out of memory");
        return NULL;
    }
    l->cls = &ck_input_layer_class;
    l->session = s;
    l->trainable = 1;
    l->name = name ? dup_str(name) : ck_session_unique_name(s, "input", 0);
    if (!l->name) {
        free(l);
        ck_fail("Input: out of memory");
        return NULL;
    }
    l->index = (int)arrlen(s->layers);
    arrput(s->layers, l);

    ck_shape full = {shape.ndim + 1, {-1}};
    for (int i = 0; i < shape.ndim; i++) full.d[i + 1] = shape.d[i];
    ck_sym *x = sym_new(s, l, 0, full, dtype);
    if (!x) return NULL;
    ck_layer_call c = {NULL, 0, x};
    arrput(l->calls, c);
    return x;
}

/* "(None, 1, 20), (None, 21)" */
static void shapes_str(ck_sym *const *in, int n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < n && used + 1 < size; i++) {
        char b[96];
        used +=
            (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", ck_shape_py(in[i]->shape, b, sizeof b));
    }
}

/* A zero batch of 2 rows shaped like x: enough to run the layer once and
 * read its output shape, and 2 (not 1) so an op that broadcasts over the
 * batch dim by mistake shows up as a wrong batch size. */
enum { DUMMY_BATCH = 2 };

static ck_node *dummy_value(ck_tape *t, ck_shape shape, ck_dtype dt, int ones)
{
    shape.d[0] = DUMMY_BATCH;
    int64_t size = ck_shape_size(shape);
    void *data = ck_tape_alloc(t, (size_t)(size > 0 ? size : 1) * 4);
    if (!data) return NULL;
    if (ones)
        for (int64_t i = 0; i < size; i++) ((float *)data)[i] = 1.0f;
    ck_tensor v = ck_tensor_view(dt, shape, data);
    return ck_const(t, &v);
}

/* Run the layer once on dummies: checks the shapes through the ops
 * themselves and gives the output shape, dtype and mask. */
static int infer_output(ck_layer *l, ck_sym *const *in, int n, ck_shape *out_shape, ck_dtype *out_dt, int *has_mask,
                        ck_shape *mask_shape)
{
    ck_tape *t = l->session->scratch;
    ck_tape_reset(t);
    ck_node *vals[64], *masks[64];
    if (n > 64) return ck_fail("at most 64 inputs per call, got %d", n);
    for (int i = 0; i < n; i++) {
        vals[i] = dummy_value(t, in[i]->shape, in[i]->dtype, 0);
        masks[i] = in[i]->has_mask ? dummy_value(t, in[i]->mask_shape, CK_F32, 1) : NULL;
        if (!vals[i] || (in[i]->has_mask && !masks[i])) return -1;
    }
    ck_rng rng;
    ck_rng_seed(&rng, 0);
    ck_call_ctx ctx = {t, 0, &rng, l->trainable};
    ck_node *mask = NULL;
    ck_node *out = ck_layer_run(l, &ctx, vals, masks, n, &mask);
    int rc = 0;
    if (!out)
        rc = -1;
    else if (out->value.shape.ndim < 1 || out->value.shape.d[0] != DUMMY_BATCH) {
        char b[96];
        ck_shape shown = out->value.shape;
        rc = ck_fail("output shape %s (for a batch of %d) does not keep the batch dim first",
                     ck_shape_str(shown, b, sizeof b), DUMMY_BATCH);
    } else {
        *out_shape = out->value.shape;
        out_shape->d[0] = -1;
        *out_dt = out->value.dtype;
        *has_mask = mask != NULL;
        if (mask) {
            *mask_shape = mask->value.shape;
            mask_shape->d[0] = -1;
        }
    }
    ck_tape_reset(t);
    return rc;
}

ck_sym *ck_call(ck_layer *l, ck_sym *const *inputs, int n)
{
    if (!l) {
        ck_fail("call: layer is NULL");
        return NULL;
    }
    if (!inputs && n > 0) {
        ck_fail("layer '%s' (%s): inputs is NULL", l->name, l->cls->type);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (!inputs[i]) {
            ck_fail("layer '%s' (%s): input %d is NULL", l->name, l->cls->type, i);
            return NULL;
        }
    int had_error = ck_error() != NULL;
    char shapes[512];
    if (l->cls == &ck_input_layer_class) {
        ck_fail("layer '%s' (InputLayer): an Input cannot be called", l->name);
        return NULL;
    }
    shapes_str(inputs, n, shapes, sizeof shapes);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++)
        if (inputs[i]->layer->session != l->session) rc = ck_fail("input %d comes from another session", i);
    if (!rc && (n < l->cls->min_inputs || n > l->cls->max_inputs)) {
        if (l->cls->min_inputs == l->cls->max_inputs)
            rc = ck_fail("expects %d input%s, got %d", l->cls->min_inputs, l->cls->min_inputs == 1 ? "" : "s", n);
        else
            rc = ck_fail("expects %d to %d inputs, got %d", l->cls->min_inputs, l->cls->max_inputs, n);
    }
    if (!rc && l->cls->check) rc = l->cls->check(l, inputs, n);
    if (!rc && !l->built && l->cls->build) rc = l->cls->build(l, inputs, n);
    if (!rc) l->built = 1;
    ck_shape out_shape = {0, {0}}, mask_shape = {0, {0}};
    ck_dtype out_dt = CK_F32;
    int has_mask = 0;
    if (!rc) rc = infer_output(l, inputs, n, &out_shape, &out_dt, &has_mask, &mask_shape);
    if (rc) {
        if (!had_error)
            ck_error_prefix("layer '%s' (%s): input%s %s: ", l->name, l->cls->type, n == 1 ? "" : "s", shapes);
        return NULL;
    }
    ck_sym *out = sym_new(l->session, l, (int)arrlen(l->calls), out_shape, out_dt);
    if (!out) return NULL;
    out->has_mask = has_mask;
    out->mask_shape = mask_shape;
    ck_layer_call c = {malloc(sizeof(ck_sym *) * (size_t)(n > 0 ? n : 1)), n, out};
    if (!c.in) {
        ck_fail("out of memory");
        return NULL;
    }
    memcpy(c.in, inputs, sizeof(ck_sym *) * (size_t)n);
    arrput(l->calls, c);
    return out;
}

ck_sym *ck_call1(ck_layer *l, ck_sym *x)
{
    if (!x) {
        if (!ck_error()) ck_fail("layer '%s': input is NULL", l ? l->name : "(NULL)");
        return NULL;
    }
    return ck_call(l, &x, 1);
}

/* ---- queries ---- */
static const ck_shape no_shape = {0, {0}};
ck_shape ck_sym_shape(const ck_sym *x) { return x ? x->shape : no_shape; }
ck_dtype ck_sym_dtype(const ck_sym *x) { return x ? x->dtype : CK_F32; }
int ck_sym_has_mask(const ck_sym *x) { return x ? x->has_mask : 0; }
ck_layer *ck_sym_layer(const ck_sym *x) { return x ? x->layer : NULL; }
const char *ck_layer_name(const ck_layer *l) { return l ? l->name : NULL; }
const char *ck_layer_type(const ck_layer *l) { return l ? l->cls->type : NULL; }
int ck_layer_n_weights(const ck_layer *l) { return l ? l->n_weights : 0; }
int ck_layer_n_calls(const ck_layer *l) { return l ? (int)arrlen(l->calls) : 0; }

ck_node *ck_layer_weight(const ck_layer *l, int i)
{
    if (!l || i < 0 || i >= l->n_weights) {
        ck_fail("layer_weight: index %d out of range (layer '%s' has %d weights)", i, l ? l->name : "(NULL)",
                l ? l->n_weights : 0);
        return NULL;
    }
    return l->weights[i];
}

long ck_layer_count_params(const ck_layer *l)
{
    long n = 0;
    if (!l) return 0;
    for (int i = 0; i < l->n_weights; i++) n += (long)l->weights[i]->value.size;
    return n;
}

ck_layer *ck_session_layer(ck_session *s, const char *name)
{
    if (!s || !name) return NULL;
    for (ptrdiff_t i = 0; i < arrlen(s->layers); i++)
        if (!strcmp(s->layers[i]->name, name)) return s->layers[i];
    return NULL;
}
