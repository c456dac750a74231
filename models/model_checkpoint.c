/* model_checkpoint.c - Keras's ModelCheckpoint: save the weights (or, with
 * save_weights_only 0, the whole model) after an epoch (every epoch, or only when the monitor improved, optionally on an
 * initial_value_threshold), to a path that may hold {epoch:02d} /
 * {val_loss:.4f} fields. The template is checked when the callback is made
 * (syntax) and when training begins (every field is logged), so a bad one
 * fails before the first epoch, not after it. Each file records in its
 * safetensors __metadata__ what it is: model, epoch, monitor and value. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_callbacks_internal.h"

enum { PATH_MAX_BYTES = 4096, FIELD_MAX = 64, SPEC_MAX = 16, SPEC_MAX_DIGITS = 2 };
/* __metadata__ keys the callback writes itself */
static const char *const OWN_META[] = {"model", "epoch", "monitor", "monitor_value"};
enum { N_OWN_META = sizeof OWN_META / sizeof OWN_META[0] };

/* ---- the filepath template ---- */

/* A value of the logs by key: 0, or -1 with a message. */
typedef int (*lookup_fn)(const void *ctx, const char *key, double *out);

/* A Python format spec as printf's: [0][width][.precision]type with at most
 * two digits each; type d for the epoch, f, e or g for a logged value
 * (empty: %d, and Python's repr, the shortest round trip, for values). */
static int spec_to_printf(const char *spec, int is_epoch, char *fmt, size_t n, const char *tmpl)
{
    const char *p = spec;
    if (*p == '0') p++;
    size_t width = strspn(p, "0123456789");
    p += width;
    size_t prec = 0;
    if (*p == '.') {
        prec = strspn(p + 1, "0123456789");
        if (prec == 0) return ck_fail("ModelCheckpoint: format '%s' in '%s': '.' needs digits", spec, tmpl);
        p += 1 + prec;
    }
    const char *types = is_epoch ? "d" : "feg";
    if (width > SPEC_MAX_DIGITS || prec > SPEC_MAX_DIGITS || (p[0] && (p[1] || !strchr(types, p[0]))) ||
        (is_epoch && prec))
        return ck_fail("ModelCheckpoint: format '%s' in '%s': %s (at most 2 digits each)", spec, tmpl,
                       is_epoch ? "the epoch is an integer: [0][width]d"
                                : "a value takes [0][width][.precision]f, e or g");
    if (!p[0] && !is_epoch && !spec[0]) {
        fmt[0] = '\0'; /* repr */
        return 0;
    }
    snprintf(fmt, n, "%%%.*s%c", (int)(p - spec), spec, p[0] ? p[0] : (is_epoch ? 'd' : 'g'));
    return 0;
}

/* Keras's filepath.format(epoch=epoch, **logs) into out[n]. */
static int format_path(const char *tmpl, int epoch, lookup_fn lookup, const void *ctx, char *out, size_t n)
{
    size_t used = 0;
    for (const char *p = tmpl; *p;) {
        if (*p == '}') return ck_fail("ModelCheckpoint: '}' without '{' in '%s'", tmpl);
        if (*p != '{') {
            if (used + 1 >= n) return ck_fail("ModelCheckpoint: the path from '%s' is too long", tmpl);
            out[used++] = *p++;
            continue;
        }
        const char *close = strchr(p, '}');
        if (!close) return ck_fail("ModelCheckpoint: unclosed '{' in '%s'", tmpl);
        char field[FIELD_MAX], fmt[SPEC_MAX];
        size_t len = (size_t)(close - p - 1);
        if (len >= sizeof field) return ck_fail("ModelCheckpoint: field too long in '%s'", tmpl);
        memcpy(field, p + 1, len);
        field[len] = 0;
        if (strchr(field, '{')) return ck_fail("ModelCheckpoint: '{' inside a field in '%s'", tmpl);
        char *colon = strchr(field, ':');
        const char *spec = colon ? colon + 1 : "";
        if (colon) *colon = 0;
        if (!field[0]) return ck_fail("ModelCheckpoint: empty field '{}' in '%s'", tmpl);
        int is_epoch = !strcmp(field, "epoch"), w;
        if (spec_to_printf(spec, is_epoch, fmt, sizeof fmt, tmpl)) return -1;
        if (is_epoch) {
            w = snprintf(out + used, n - used, fmt, epoch);
        } else {
            double v;
            char repr[CK_DOUBLE_TEXT];
            if (lookup(ctx, field, &v)) {
                ck_error_prefix("ModelCheckpoint: field '{%s}' in '%s': ", field, tmpl);
                return -1;
            }
            w = fmt[0] ? snprintf(out + used, n - used, fmt, v)
                       : snprintf(out + used, n - used, "%s", ck_shortest_double(v, repr, sizeof repr));
        }
        if (w < 0 || (size_t)w >= n - used) return ck_fail("ModelCheckpoint: the path from '%s' is too long", tmpl);
        used += (size_t)w;
        p = close + 1;
    }
    if (used == 0) return ck_fail("ModelCheckpoint: the path is empty");
    out[used] = 0;
    return 0;
}

typedef struct key_values {
    const char *const *keys;
    const double *values;
    int n;
} key_values;

static int lookup_array(const void *ctx, const char *key, double *out)
{
    const key_values *kv = ctx;
    for (int i = 0; i < kv->n; i++)
        if (!strcmp(kv->keys[i], key)) {
            *out = kv->values[i];
            return 0;
        }
    return ck_fail("'%s' is not logged", key);
}

int ck_checkpoint_filepath(const char *tmpl, int epoch, const char *const *keys, const double *values, int n_keys,
                           char *out, size_t out_size)
{
    if (!tmpl || !out || out_size == 0 || n_keys < 0 || (n_keys > 0 && (!keys || !values)))
        return ck_fail("checkpoint_filepath: NULL argument");
    key_values kv = {keys, values, n_keys};
    return format_path(tmpl, epoch, lookup_array, &kv, out, out_size);
}

typedef struct model_log {
    const ck_model *m;
    const ck_epoch_log *log;
} model_log;

static int lookup_log(const void *ctx, const char *key, double *out)
{
    const model_log *ml = ctx;
    return ck_log_value(ml->m, ml->log, key, out);
}

/* ---- the callback ---- */

typedef struct checkpoint {
    char *path, *monitor;
    int save_best_only, save_weights_only, verbose, max_mode;
    int has_threshold;
    double threshold, best;
    int n_meta; /* the caller's metadata, copied, then room for OWN_META */
    char **meta_keys, **meta_values;
} checkpoint;

/* A log with no values yet but every key fit will log (the compiled
 * metrics, and val_ ones with validation data): checks a template and the
 * monitor before the first epoch. */
static ck_epoch_log keys_only_log(const ck_model *m)
{
    ck_epoch_log log = {.epoch = 1, .loss = 0, .val_loss = m->has_validation ? 0 : NAN};
    for (int val = 0; val <= m->has_validation; val++)
        for (int k = 0; k < ck_model_n_log_keys(m); k++) {
            log.keys[log.n_values] = ck_model_log_key(m, k, val);
            log.values[log.n_values++] = 0;
        }
    return log;
}

static int ckpt_train_begin(ck_callback *cb, ck_model *m)
{
    checkpoint *c = cb->state;
    /* best is NOT reset here: Keras 2 sets self.best in __init__ only, so a
     * callback reused by a second fit saves only what beats the first fit */
    ck_epoch_log log = keys_only_log(m);
    model_log ml = {m, &log};
    char path[PATH_MAX_BYTES];
    double v;
    if (format_path(c->path, 1, lookup_log, &ml, path, sizeof path)) return -1;
    if (c->save_best_only && ck_log_value(m, &log, c->monitor, &v)) {
        ck_error_prefix("ModelCheckpoint: monitor: ");
        return -1;
    }
    return 0;
}

/* Whether log holds key (ck_log_value without the message). */
static int is_logged(const ck_model *m, const ck_epoch_log *log, const char *key)
{
    if (!strcmp(key, "loss")) return 1;
    if (!strcmp(key, "val_loss")) return m->has_validation || !isnan(log->val_loss);
    for (int i = 0; i < log->n_values; i++)
        if (!strcmp(key, log->keys[i])) return 1;
    return 0;
}

/* Save to path with the metadata: the caller's, then model, epoch and (when
 * logged) the monitor and its value. */
static int save(checkpoint *c, ck_model *m, const ck_epoch_log *log, const char *path)
{
    char epoch[16], value[CK_DOUBLE_TEXT];
    double v;
    int n = c->n_meta;
    snprintf(epoch, sizeof epoch, "%d", log->epoch);
    const char *own[N_OWN_META] = {m->name, epoch, c->monitor, value};
    int n_own = N_OWN_META;
    if (is_logged(m, log, c->monitor)) {
        if (ck_log_value(m, log, c->monitor, &v)) return -1;
        ck_shortest_double(v, value, sizeof value);
    } else {
        n_own = 2; /* saving every epoch needs no monitor: leave it out */
    }
    for (int i = 0; i < n_own; i++) {
        c->meta_keys[n + i] = (char *)OWN_META[i];
        c->meta_values[n + i] = (char *)own[i];
    }
    const char *const *keys = (const char *const *)c->meta_keys, *const *values = (const char *const *)c->meta_values;
    /* save_weights_only: model.save_weights; otherwise model.save (the architecture too) */
    return c->save_weights_only ? ck_save_weights_meta(m, path, keys, values, n + n_own)
                                : ck_save_model_meta(m, path, keys, values, n + n_own);
}

static int ckpt_epoch_end(ck_callback *cb, ck_model *m, const ck_epoch_log *log)
{
    checkpoint *c = cb->state;
    char path[PATH_MAX_BYTES];
    model_log ml = {m, log};
    if (format_path(c->path, log->epoch, lookup_log, &ml, path, sizeof path)) return -1;
    if (!c->save_best_only) {
        if (c->verbose) printf("\nEpoch %d: saving model to %s\n", log->epoch, path);
        return save(c, m, log, path);
    }
    double current;
    if (ck_log_value(m, log, c->monitor, &current)) return -1;
    if (c->max_mode ? current > c->best : current < c->best) {
        if (c->verbose)
            printf("\nEpoch %d: %s improved from %.5f to %.5f, saving model to %s\n", log->epoch, c->monitor, c->best,
                   current, path);
        c->best = current;
        return save(c, m, log, path);
    }
    if (c->verbose) printf("\nEpoch %d: %s did not improve from %.5f\n", log->epoch, c->monitor, c->best);
    return 0;
}

static void ckpt_free(ck_callback *cb)
{
    checkpoint *c = cb->state;
    if (!c) return;
    for (int i = 0; i < c->n_meta; i++) {
        free(c->meta_keys[i]);
        free(c->meta_values[i]);
    }
    free(c->meta_keys);
    free(c->meta_values);
    free(c->path);
    free(c->monitor);
    free(c);
}

/* Copies the caller's metadata, refusing NULLs and the callback's own keys. */
static int copy_meta(checkpoint *c, const ck_model_checkpoint_args *a)
{
    if (a->n_meta < 0 || (a->n_meta > 0 && (!a->meta_keys || !a->meta_values)))
        return ck_fail("ModelCheckpoint: bad metadata (%d entries)", a->n_meta);
    c->meta_keys = calloc((size_t)a->n_meta + N_OWN_META, sizeof *c->meta_keys);
    c->meta_values = calloc((size_t)a->n_meta + N_OWN_META, sizeof *c->meta_values);
    if (!c->meta_keys || !c->meta_values) return ck_fail("ModelCheckpoint: out of memory");
    for (int i = 0; i < a->n_meta; i++) {
        if (!a->meta_keys[i] || !a->meta_values[i]) return ck_fail("ModelCheckpoint: metadata entry %d is NULL", i);
        for (int k = 0; k < N_OWN_META; k++)
            if (!strcmp(a->meta_keys[i], OWN_META[k]))
                return ck_fail("ModelCheckpoint: metadata key '%s' is written by the callback itself", OWN_META[k]);
        c->meta_keys[i] = strdup(a->meta_keys[i]);
        c->meta_values[i] = strdup(a->meta_values[i]);
        c->n_meta = i + 1;
        if (!c->meta_keys[i] || !c->meta_values[i]) return ck_fail("ModelCheckpoint: out of memory");
    }
    return 0;
}

/* Template syntax only (the logged keys are known when training begins). */
static int any_value(const void *ctx, const char *key, double *out)
{
    (void)ctx;
    (void)key;
    *out = 0;
    return 0;
}

ck_callback *ck_ModelCheckpoint_ex(const ck_model_checkpoint_args *a)
{
    char path[PATH_MAX_BYTES];
    if (!a || !a->filepath) {
        ck_fail("ModelCheckpoint: filepath is NULL");
        return NULL;
    }
    if (format_path(a->filepath, 1, any_value, NULL, path, sizeof path)) return NULL;
    if (a->initial_value_threshold && isnan(*a->initial_value_threshold)) {
        ck_fail("ModelCheckpoint: initial_value_threshold is NaN");
        return NULL;
    }
    ck_callback *cb = ck_callback_new("ModelCheckpoint", sizeof(checkpoint));
    if (!cb) return NULL;
    checkpoint *c = cb->state;
    cb->on_train_begin = ckpt_train_begin;
    cb->on_epoch_end = ckpt_epoch_end;
    cb->free = ckpt_free;
    c->path = strdup(a->filepath);
    c->monitor = strdup(a->monitor ? a->monitor : "val_loss");
    c->save_best_only = a->save_best_only != 0;
    c->save_weights_only = a->save_weights_only != 0;
    c->verbose = a->verbose;
    c->has_threshold = a->initial_value_threshold != NULL;
    c->threshold = c->has_threshold ? *a->initial_value_threshold : 0;
    if (!c->path || !c->monitor) {
        ck_callback_free(cb);
        ck_fail("ModelCheckpoint: out of memory");
        return NULL;
    }
    if (copy_meta(c, a) < 0) {
        ck_callback_free(cb);
        return NULL;
    }
    c->max_mode = ck_monitor_is_max(c->monitor);
    c->best = c->has_threshold ? c->threshold : c->max_mode ? -INFINITY : INFINITY;
    return cb;
}

ck_callback *ck_ModelCheckpoint(const char *path, const char *monitor, int save_best_only, int save_weights_only,
                                int verbose)
{
    return ck_ModelCheckpoint_ex(&(ck_model_checkpoint_args){.filepath = path,
                                                             .monitor = monitor,
                                                             .save_best_only = save_best_only,
                                                             .save_weights_only = save_weights_only,
                                                             .verbose = verbose});
}
