/* layer_config.c - a layer's config as Keras writes it (get_config) and a
 * layer rebuilt from one (from_config): the settings every layer has (name,
 * trainable, dtype, regularizers) here, each class's own through the hooks
 * of its ck_layer_class. The readers treat the config as untrusted: every
 * setting is type- and range-checked and names the key when wrong. */
#include <stdlib.h>
#include <string.h>

#include "ck_layers_internal.h"

static const ck_layer_class *const builtin_classes[] = {
    &ck_input_layer_class,
    &ck_dense_class,
    &ck_embedding_class,
    &ck_activation_class,
    &ck_leaky_relu_class,
    &ck_dropout_class,
    &ck_lambda_class,
    &ck_batch_normalization_class,
    &ck_layer_normalization_class,
    &ck_meanpool_class,
    &ck_global_average_pooling_1d_class,
    &ck_global_max_pooling_1d_class,
    &ck_concatenate_class,
    &ck_add_class,
    &ck_subtract_class,
    &ck_multiply_class,
    &ck_dot_class,
    &ck_reshape_class,
    &ck_flatten_class,
    &ck_repeat_vector_class,
    &ck_permute_class,
};
enum { N_BUILTIN_CLASSES = sizeof builtin_classes / sizeof builtin_classes[0] };

/* ---- readers ---- */

static int wrong(const char *key, const char *expected, const ck_json *v)
{
    return ck_fail("'%s' must be %s, got a JSON %s", key, expected, ck_json_type_name(v->type));
}

int ck_cfg_require(const ck_json *cfg, const char *key)
{
    return ck_json_get(cfg, key) ? 0 : ck_fail("'%s' is required", key);
}

int ck_cfg_int(const ck_json *cfg, const char *key, int lo, int hi, int *out)
{
    const ck_json *v = ck_json_get(cfg, key);
    long long x;
    if (!v) return 0;
    if (!ck_json_as_int(v, lo, hi, &x)) {
        if (v->type != CK_JSON_NUMBER) return wrong(key, "an integer", v);
        return ck_fail("'%s' must be an integer in [%d, %d], got %g", key, lo, hi, v->number);
    }
    *out = (int)x;
    return 0;
}

int ck_cfg_bool(const ck_json *cfg, const char *key, int *out)
{
    const ck_json *v = ck_json_get(cfg, key);
    if (!v) return 0;
    if (v->type != CK_JSON_BOOL) return wrong(key, "true or false", v);
    *out = v->boolean;
    return 0;
}

int ck_cfg_number(const ck_json *cfg, const char *key, double lo, double hi, double *out)
{
    const ck_json *v = ck_json_get(cfg, key);
    if (!v) return 0;
    if (v->type != CK_JSON_NUMBER) return wrong(key, "a number", v);
    if (!(v->number >= lo && v->number <= hi))
        return ck_fail("'%s' must be in [%g, %g], got %g", key, lo, hi, v->number);
    *out = v->number;
    return 0;
}

int ck_cfg_string(const ck_json *cfg, const char *key, const char **out)
{
    const ck_json *v = ck_json_get(cfg, key);
    if (!v) return 0;
    if (v->type != CK_JSON_STRING) return wrong(key, "a string", v);
    *out = v->string;
    return 0;
}

int ck_cfg_int_list(const ck_json *cfg, const char *key, int lo, int hi, int *out, int max_n, int *n, int allow_scalar)
{
    const ck_json *v = ck_json_get(cfg, key);
    if (!v) return 0;
    if (allow_scalar && v->type == CK_JSON_NUMBER) {
        *n = 1;
        return ck_cfg_int(cfg, key, lo, hi, out);
    }
    if (v->type != CK_JSON_ARRAY) return wrong(key, allow_scalar ? "an integer or a list" : "a list", v);
    if (v->n > max_n) return ck_fail("'%s' has %d entries, at most %d are allowed", key, v->n, max_n);
    for (int i = 0; i < v->n; i++) {
        long long x;
        if (!ck_json_as_int(v->items[i], lo, hi, &x))
            return ck_fail("'%s' entry %d must be an integer in [%d, %d]", key, i, lo, hi);
        out[i] = (int)x;
    }
    *n = v->n;
    return 0;
}

/* ---- regularizers: Keras's {"class_name": "L2", "config": {"l2": 0.01}} ---- */

/* Factors above it would overflow float32. */
#define REGULARIZER_MAX 1e30

static void write_regularizer(ck_json_writer *w, ck_regularizer r)
{
    if (r.l1 == 0.0f && r.l2 == 0.0f) {
        ck_json_null(w);
        return;
    }
    ck_json_begin_object(w);
    ck_json_key(w, "class_name");
    ck_json_string(w, r.l2 == 0.0f ? "L1" : r.l1 == 0.0f ? "L2" : "L1L2");
    ck_json_key(w, "config");
    ck_json_begin_object(w);
    if (r.l1 != 0.0f) {
        ck_json_key(w, "l1");
        ck_json_float(w, r.l1);
    }
    if (r.l2 != 0.0f) {
        ck_json_key(w, "l2");
        ck_json_float(w, r.l2);
    }
    ck_json_end_object(w);
    ck_json_end_object(w);
}

/* Absent factors take Keras's defaults: 0.01 for L1's l1 and L2's l2, 0 for L1L2's. */
static int read_regularizer(const ck_json *v, const char *key, ck_regularizer *r)
{
    const char *class_name = NULL;
    *r = (ck_regularizer){0.0f, 0.0f};
    if (v->type == CK_JSON_NULL) return 0;
    if (v->type != CK_JSON_OBJECT) return wrong(key, "null or a regularizer object", v);
    if (ck_cfg_string(v, "class_name", &class_name)) return -1;
    int is_l1 = class_name && !strcmp(class_name, "L1"), is_l2 = class_name && !strcmp(class_name, "L2");
    if (!is_l1 && !is_l2 && !(class_name && !strcmp(class_name, "L1L2")))
        return ck_fail("'%s': unknown regularizer class '%.32s' (use L1, L2 or L1L2)", key,
                       class_name ? class_name : "(none)");
    const ck_json *cfg = ck_json_get(v, "config");
    if (cfg && cfg->type != CK_JSON_OBJECT) return wrong("config", "an object", cfg);
    double l1 = is_l1 ? CK_REGULARIZER_DEFAULT : 0.0, l2 = is_l2 ? CK_REGULARIZER_DEFAULT : 0.0;
    if ((!is_l2 && ck_cfg_number(cfg, "l1", 0.0, REGULARIZER_MAX, &l1)) ||
        (!is_l1 && ck_cfg_number(cfg, "l2", 0.0, REGULARIZER_MAX, &l2)))
        return -1;
    *r = ck_l1_l2((float)l1, (float)l2);
    return 0;
}

/* ---- get_config ---- */

static void write_input_config(const ck_layer *l, ck_json_writer *w)
{
    const ck_sym *x = l->calls[0].out;
    ck_json_key(w, "batch_input_shape");
    ck_json_begin_array(w);
    ck_json_null(w);
    for (int d = 1; d < x->shape.ndim; d++) ck_json_int(w, x->shape.d[d]);
    ck_json_end_array(w);
    ck_json_key(w, "dtype");
    ck_json_string(w, x->dtype == CK_I32 ? "int32" : "float32");
    ck_json_key(w, "sparse");
    ck_json_bool(w, 0);
    ck_json_key(w, "ragged");
    ck_json_bool(w, 0);
    ck_json_key(w, "name");
    ck_json_string(w, l->name);
}

int ck_layer_write_config(const ck_layer *l, ck_json_writer *w)
{
    if (l->cls == &ck_input_layer_class) {
        write_input_config(l, w);
        return 0;
    }
    if (!l->cls->from_config)
        return ck_fail("layer '%s' (%s): the class cannot be rebuilt from a file, so it cannot be saved", l->name,
                       l->cls->type);
    ck_json_key(w, "name");
    ck_json_string(w, l->name);
    ck_json_key(w, "trainable");
    ck_json_bool(w, l->trainable);
    ck_json_key(w, "dtype");
    ck_json_string(w, "float32");
    if (l->cls->get_config && l->cls->get_config(l, w)) return -1;
    for (const char *const *role = l->cls->regularizable; role && *role; role++) {
        char key[64];
        snprintf(key, sizeof key, "%s_regularizer", *role);
        ck_json_key(w, key);
        write_regularizer(w, ck_layer_regularizer(l, key));
    }
    return 0;
}

char *ck_layer_get_config(const ck_layer *l)
{
    if (!l) {
        ck_fail("get_config: layer is NULL");
        return NULL;
    }
    ck_json_writer w;
    ck_json_writer_init(&w);
    ck_json_begin_object(&w);
    int rc = ck_layer_write_config(l, &w);
    ck_json_end_object(&w);
    char *text = rc ? NULL : ck_json_writer_take(&w);
    ck_json_writer_free(&w);
    if (!rc && !text) ck_fail("get_config: out of memory");
    return text;
}

/* ---- from_config ---- */

static ck_layer *input_from_config(ck_session *s, const char *name, const ck_json *c)
{
    const ck_json *shape = ck_json_get(c, "batch_input_shape");
    const char *dtype = "float32";
    if (ck_cfg_require(c, "batch_input_shape") || ck_cfg_string(c, "dtype", &dtype)) return NULL;
    if (shape->type != CK_JSON_ARRAY || shape->n < 1 || shape->items[0]->type != CK_JSON_NULL) {
        ck_fail("'batch_input_shape' must be a list starting with null (the batch)");
        return NULL;
    }
    ck_shape per_sample = {shape->n - 1, {0}};
    if (per_sample.ndim >= CK_MAX_DIMS) {
        ck_fail("'batch_input_shape' has %d dims, at most %d are allowed", shape->n, CK_MAX_DIMS);
        return NULL;
    }
    for (int d = 0; d < per_sample.ndim; d++) {
        long long v;
        if (!ck_json_as_int(shape->items[d + 1], 1, INT32_MAX, &v)) {
            ck_fail("'batch_input_shape' entry %d must be a positive integer", d + 1);
            return NULL;
        }
        per_sample.d[d] = (int)v;
    }
    int is_ids = !strcmp(dtype, "int32");
    if (!is_ids && strcmp(dtype, "float32")) {
        ck_fail("'dtype' must be float32 or int32, got '%.32s'", dtype);
        return NULL;
    }
    ck_sym *x = ck_Input(s, per_sample, is_ids ? CK_I32 : CK_F32, name);
    return x ? x->layer : NULL;
}

static const ck_layer_class *class_named(const char *class_name)
{
    for (int i = 0; i < N_BUILTIN_CLASSES; i++)
        if (!strcmp(builtin_classes[i]->type, class_name)) return builtin_classes[i];
    return NULL;
}

/* trainable, dtype and the regularizers, on a layer just made. */
static int read_common(ck_layer *l, const ck_json *c)
{
    const char *dtype = "float32";
    int trainable = 1;
    if (ck_cfg_bool(c, "trainable", &trainable) || ck_cfg_string(c, "dtype", &dtype)) return -1;
    if (strcmp(dtype, "float32")) return ck_fail("'dtype' must be float32, got '%.32s'", dtype);
    l->trainable = trainable;
    for (const char *const *role = l->cls->regularizable; role && *role; role++) {
        char key[64];
        snprintf(key, sizeof key, "%s_regularizer", *role);
        const ck_json *v = ck_json_get(c, key);
        ck_regularizer r;
        if (v && (read_regularizer(v, key, &r) || ck_layer_set_regularizer(l, key, r))) return -1;
    }
    return 0;
}

ck_layer *ck_layer_from_config(ck_session *s, const char *class_name, const ck_json *config, const ck_registry *reg)
{
    const char *name = NULL;
    int had_error = ck_error() != NULL;
    if (!config || config->type != CK_JSON_OBJECT) {
        ck_fail("%.32s: 'config' must be an object", class_name);
        return NULL;
    }
    if (ck_cfg_require(config, "name") || ck_cfg_string(config, "name", &name)) {
        if (!had_error) ck_error_prefix("%.32s: config: ", class_name);
        return NULL;
    }
    const ck_layer_class *cls = class_named(class_name);
    ck_layer *l = NULL;
    if (!cls) {
        char known[512];
        size_t used = 0;
        for (int i = 0; i < N_BUILTIN_CLASSES && used < sizeof known; i++)
            used +=
                (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", builtin_classes[i]->type);
        ck_fail("unknown layer class (the classes that can be loaded: %s)", known);
    } else if (cls == &ck_input_layer_class) {
        l = input_from_config(s, name, config);
    } else if ((l = cls->from_config(s, name, config, reg)) && read_common(l, config)) {
        l = NULL; /* the session frees it */
    }
    if (!l && !had_error) ck_error_prefix("layer '%.64s' (%.32s): ", name, class_name);
    return l;
}
