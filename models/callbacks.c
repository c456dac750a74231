/* callbacks.c - EarlyStopping, ModelCheckpoint, CSVLogger, TerminateOnNaN
 * with Keras's rules. Each is a ck_callback whose state is private here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ck_model_internal.h"

void ck_callback_free(ck_callback *cb)
{
    if (!cb) return;
    if (cb->free) cb->free(cb);
    free(cb);
}

static ck_callback *callback_new(const char *name, size_t state_size)
{
    ck_callback *cb = calloc(1, sizeof *cb);
    if (cb) cb->state = calloc(1, state_size);
    if (!cb || !cb->state) { free(cb); ck_fail("%s: out of memory", name); return NULL; }
    cb->name = name;
    return cb;
}

/* "min" mode for losses, "max" for anything named like an accuracy
 * (Keras's mode='auto'). */
static int monitor_is_max(const char *monitor) { return strstr(monitor, "acc") != NULL; }

/* ---- EarlyStopping ---- */

typedef struct early_stopping {
    char *monitor;
    int patience, restore_best_weights, max_mode;
    double min_delta;           /* >= 0 */
    int wait, stopped_epoch, best_epoch;
    double best;
    float *best_weights;        /* allocated once at train begin */
    int have_best_weights;
} early_stopping;

static int es_train_begin(ck_callback *cb, ck_model *m)
{
    early_stopping *es = cb->state;
    es->wait = 0;
    es->stopped_epoch = 0;
    es->best_epoch = 0;
    es->best = es->max_mode ? -INFINITY : INFINITY;
    es->have_best_weights = 0;
    if (es->restore_best_weights) {
        free(es->best_weights);
        es->best_weights = malloc(sizeof(float) * (size_t)(ck_count_params(m) + 1));
        if (!es->best_weights) return ck_fail("EarlyStopping: out of memory");
    }
    return 0;
}

static int es_improved(const early_stopping *es, double current)
{
    /* NaN never improves: both comparisons are false */
    return es->max_mode ? current - es->min_delta > es->best : current + es->min_delta < es->best;
}

static int es_epoch_end(ck_callback *cb, ck_model *m, const ck_epoch_log *log)
{
    early_stopping *es = cb->state;
    double current;
    if (ck_log_value(m, log, es->monitor, &current)) return -1;
    if (es_improved(es, current)) {
        es->best = current;
        es->best_epoch = log->epoch;
        es->wait = 0;
        if (es->restore_best_weights) {
            ck_model_get_weights(m, es->best_weights);
            es->have_best_weights = 1;
        }
        return 0;
    }
    es->wait++;
    if (es->wait >= es->patience) {
        es->stopped_epoch = log->epoch;
        ck_model_stop_training(m);
        if (es->restore_best_weights && es->have_best_weights) ck_model_set_weights(m, es->best_weights);
    }
    return 0;
}

static void es_free(ck_callback *cb)
{
    early_stopping *es = cb->state;
    if (!es) return;
    free(es->monitor);
    free(es->best_weights);
    free(es);
}

ck_callback *ck_EarlyStopping(const char *monitor, int patience, double min_delta, int restore_best_weights)
{
    if (patience < 0) { ck_fail("EarlyStopping: patience must be >= 0, got %d", patience); return NULL; }
    ck_callback *cb = callback_new("EarlyStopping", sizeof(early_stopping));
    if (!cb) return NULL;
    early_stopping *es = cb->state;
    es->monitor = strdup(monitor ? monitor : "val_loss");
    es->patience = patience;
    es->min_delta = fabs(min_delta);
    es->restore_best_weights = restore_best_weights != 0;
    es->max_mode = monitor_is_max(es->monitor);
    cb->on_train_begin = es_train_begin;
    cb->on_epoch_end = es_epoch_end;
    cb->free = es_free;
    if (!es->monitor) { ck_callback_free(cb); ck_fail("EarlyStopping: out of memory"); return NULL; }
    return cb;
}

/* ---- ModelCheckpoint ---- */

typedef struct checkpoint {
    char *path, *monitor;
    int save_best_only, verbose, max_mode;
    double best;
} checkpoint;

/* Keras's filepath.format(epoch=..., **logs): "{epoch:02d}", "{val_loss:.4f}". */
static int format_path(const char *tmpl, const ck_model *m, const ck_epoch_log *log, char *out, size_t n)
{
    size_t used = 0;
    for (const char *p = tmpl; *p; ) {
        if (*p != '{') {
            if (used + 1 >= n) return ck_fail("ModelCheckpoint: path too long");
            out[used++] = *p++;
            continue;
        }
        const char *close = strchr(p, '}');
        if (!close) return ck_fail("ModelCheckpoint: unclosed '{' in '%s'", tmpl);
        char field[64], key[64], spec[32] = "";
        size_t len = (size_t)(close - p - 1);
        if (len >= sizeof field) return ck_fail("ModelCheckpoint: field too long in '%s'", tmpl);
        memcpy(field, p + 1, len);
        field[len] = 0;
        char *colon = strchr(field, ':');
        if (colon) {
            *colon = 0;
            if (strlen(colon + 1) + 2 >= sizeof spec) return ck_fail("ModelCheckpoint: bad format in '%s'", tmpl);
            snprintf(spec, sizeof spec, "%%%s", colon + 1);
        }
        snprintf(key, sizeof key, "%s", field);
        int w;
        if (!strcmp(key, "epoch")) {
            if (!spec[0] || spec[strlen(spec) - 1] != 'd') snprintf(spec, sizeof spec, "%%d");
            if (strspn(spec + 1, "0123456789d") != strlen(spec + 1)) return ck_fail("ModelCheckpoint: bad format in '%s'", tmpl);
            w = snprintf(out + used, n - used, spec, log->epoch);
        } else {
            double v;
            if (ck_log_value(m, log, key, &v)) return -1;
            if (!spec[0] || spec[strlen(spec) - 1] != 'f') snprintf(spec, sizeof spec, "%%g");
            if (strspn(spec + 1, "0123456789.fg") != strlen(spec + 1)) return ck_fail("ModelCheckpoint: bad format in '%s'", tmpl);
            w = snprintf(out + used, n - used, spec, v);
        }
        if (w < 0 || (size_t)w >= n - used) return ck_fail("ModelCheckpoint: path too long");
        used += (size_t)w;
        p = close + 1;
    }
    out[used] = 0;
    return 0;
}

static int ckpt_train_begin(ck_callback *cb, ck_model *m)
{
    (void)m;
    checkpoint *c = cb->state;
    c->best = c->max_mode ? -INFINITY : INFINITY;
    return 0;
}

static int ckpt_epoch_end(ck_callback *cb, ck_model *m, const ck_epoch_log *log)
{
    checkpoint *c = cb->state;
    char path[4096];
    if (format_path(c->path, m, log, path, sizeof path)) return -1;
    if (!c->save_best_only) {
        if (c->verbose) printf("\nEpoch %d: saving model to %s\n", log->epoch, path);
        return ck_save_weights(m, path);
    }
    double current;
    if (ck_log_value(m, log, c->monitor, &current)) return -1;
    if (c->max_mode ? current > c->best : current < c->best) {
        if (c->verbose)
            printf("\nEpoch %d: %s improved from %.5f to %.5f, saving model to %s\n", log->epoch, c->monitor,
                   c->best, current, path);
        c->best = current;
        return ck_save_weights(m, path);
    }
    if (c->verbose) printf("\nEpoch %d: %s did not improve from %.5f\n", log->epoch, c->monitor, c->best);
    return 0;
}

static void ckpt_free(ck_callback *cb)
{
    checkpoint *c = cb->state;
    if (!c) return;
    free(c->path);
    free(c->monitor);
    free(c);
}

ck_callback *ck_ModelCheckpoint(const char *path, const char *monitor, int save_best_only, int save_weights_only,
                                 int verbose)
{
    (void)save_weights_only;   /* weights are all a model file holds here */
    if (!path) { ck_fail("ModelCheckpoint: path is NULL"); return NULL; }
    ck_callback *cb = callback_new("ModelCheckpoint", sizeof(checkpoint));
    if (!cb) return NULL;
    checkpoint *c = cb->state;
    cb->on_train_begin = ckpt_train_begin;
    cb->on_epoch_end = ckpt_epoch_end;
    cb->free = ckpt_free;
    c->path = strdup(path);
    c->monitor = strdup(monitor ? monitor : "val_loss");
    c->save_best_only = save_best_only != 0;
    c->verbose = verbose;
    if (!c->path || !c->monitor) { ck_callback_free(cb); ck_fail("ModelCheckpoint: out of memory"); return NULL; }
    c->max_mode = monitor_is_max(c->monitor);
    c->best = c->max_mode ? -INFINITY : INFINITY;
    return cb;
}

/* ---- CSVLogger: epoch (0-based), then the logged keys sorted ---- */

typedef struct csv_logger {
    char *path;
    FILE *f;
    int wrote_header;
    int n_keys;
    char keys[2 * CK_MAX_METRICS + 2][32];
} csv_logger;

static int csv_train_begin(ck_callback *cb, ck_model *m)
{
    (void)m;
    csv_logger *c = cb->state;
    if (c->f) fclose(c->f);
    c->f = fopen(c->path, "w");
    c->wrote_header = 0;
    if (!c->f) return ck_fail("CSVLogger: cannot create '%s'", c->path);
    return 0;
}

static int by_key(const void *a, const void *b) { return strcmp(a, b); }

/* The shortest text that reads back as the same double, as Python prints. */
static void shortest(double v, char *buf, size_t n)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

static int csv_epoch_end(ck_callback *cb, ck_model *m, const ck_epoch_log *log)
{
    csv_logger *c = cb->state;
    if (!c->f) return ck_fail("CSVLogger: file is not open (on_train_begin was not called)");
    if (!c->wrote_header) {
        c->n_keys = 0;
        snprintf(c->keys[c->n_keys++], 32, "loss");
        for (int k = 0; k < m->n_metrics; k++) snprintf(c->keys[c->n_keys++], 32, "%s", m->metric_names[k]);
        if (m->has_validation || !isnan(log->val_loss)) {
            snprintf(c->keys[c->n_keys++], 32, "val_loss");
            for (int k = 0; k < m->n_metrics; k++) snprintf(c->keys[c->n_keys++], 32, "val_%s", m->metric_names[k]);
        }
        qsort(c->keys, (size_t)c->n_keys, sizeof c->keys[0], by_key);
        fprintf(c->f, "epoch");
        for (int k = 0; k < c->n_keys; k++) fprintf(c->f, ",%s", c->keys[k]);
        fprintf(c->f, "\n");
        c->wrote_header = 1;
    }
    fprintf(c->f, "%d", log->epoch - 1);
    for (int k = 0; k < c->n_keys; k++) {
        double v;
        char b[40];
        if (ck_log_value(m, log, c->keys[k], &v)) return -1;
        shortest(v, b, sizeof b);
        fprintf(c->f, ",%s", b);
    }
    fprintf(c->f, "\n");
    return fflush(c->f) ? ck_fail("CSVLogger: write error on '%s'", c->path) : 0;
}

static int csv_train_end(ck_callback *cb, ck_model *m)
{
    (void)m;
    csv_logger *c = cb->state;
    int rc = c->f && fclose(c->f) ? ck_fail("CSVLogger: write error on '%s'", c->path) : 0;
    c->f = NULL;
    return rc;
}

static void csv_free(ck_callback *cb)
{
    csv_logger *c = cb->state;
    if (!c) return;
    if (c->f) fclose(c->f);
    free(c->path);
    free(c);
}

ck_callback *ck_CSVLogger(const char *path)
{
    if (!path) { ck_fail("CSVLogger: path is NULL"); return NULL; }
    ck_callback *cb = callback_new("CSVLogger", sizeof(csv_logger));
    if (!cb) return NULL;
    csv_logger *c = cb->state;
    cb->on_train_begin = csv_train_begin;
    cb->on_epoch_end = csv_epoch_end;
    cb->on_train_end = csv_train_end;
    cb->free = csv_free;
    c->path = strdup(path);
    if (!c->path) { ck_callback_free(cb); ck_fail("CSVLogger: out of memory"); return NULL; }
    return cb;
}

/* ---- TerminateOnNaN ---- */

static int nan_batch_end(ck_callback *cb, ck_model *m, int batch, double loss)
{
    (void)cb;
    if (isnan(loss) || isinf(loss)) {
        printf("Batch %d: Invalid loss, terminating training\n", batch);
        ck_model_stop_training(m);
    }
    return 0;
}

ck_callback *ck_TerminateOnNaN(void)
{
    ck_callback *cb = calloc(1, sizeof *cb);
    if (!cb) { ck_fail("TerminateOnNaN: out of memory"); return NULL; }
    cb->name = "TerminateOnNaN";
    cb->on_batch_end = nan_batch_end;
    return cb;
}
