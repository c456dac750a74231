/* model_checkpoint.c - Keras's ModelCheckpoint: save the weights (or the
 * whole model) after an epoch (every epoch, or only when the monitor
 * improved), to a path that may hold {epoch:02d} / {val_loss:.4f} fields. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_callbacks_internal.h"

typedef struct checkpoint {
    char *path, *monitor;
    int save_best_only, save_weights_only, verbose, max_mode;
    double best;
} checkpoint;

/* save_weights_only: model.save_weights; otherwise model.save. */
static int save(const checkpoint *c, ck_model *m, const char *path)
{
    return c->save_weights_only ? ck_save_weights(m, path) : ck_save_model(m, path);
}

/* Keras's filepath.format(epoch=..., **logs): "{epoch:02d}", "{val_loss:.4f}". */
static int format_path(const char *tmpl, const ck_model *m, const ck_epoch_log *log, char *out, size_t n)
{
    size_t used = 0;
    for (const char *p = tmpl; *p;) {
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
            if (strspn(spec + 1, "0123456789d") != strlen(spec + 1))
                return ck_fail("ModelCheckpoint: bad format in '%s'", tmpl);
            w = snprintf(out + used, n - used, spec, log->epoch);
        } else {
            double v;
            if (ck_log_value(m, log, key, &v)) return -1;
            if (!spec[0] || spec[strlen(spec) - 1] != 'f') snprintf(spec, sizeof spec, "%%g");
            if (strspn(spec + 1, "0123456789.fg") != strlen(spec + 1))
                return ck_fail("ModelCheckpoint: bad format in '%s'", tmpl);
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
        return save(c, m, path);
    }
    double current;
    if (ck_log_value(m, log, c->monitor, &current)) return -1;
    if (c->max_mode ? current > c->best : current < c->best) {
        if (c->verbose)
            printf("\nEpoch %d: %s improved from %.5f to %.5f, saving model to %s\n", log->epoch, c->monitor, c->best,
                   current, path);
        c->best = current;
        return save(c, m, path);
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
    if (!path) {
        ck_fail("ModelCheckpoint: path is NULL");
        return NULL;
    }
    ck_callback *cb = ck_callback_new("ModelCheckpoint", sizeof(checkpoint));
    if (!cb) return NULL;
    checkpoint *c = cb->state;
    cb->on_train_begin = ckpt_train_begin;
    cb->on_epoch_end = ckpt_epoch_end;
    cb->free = ckpt_free;
    c->path = strdup(path);
    c->monitor = strdup(monitor ? monitor : "val_loss");
    c->save_best_only = save_best_only != 0;
    c->save_weights_only = save_weights_only != 0;
    c->verbose = verbose;
    if (!c->path || !c->monitor) {
        ck_callback_free(cb);
        ck_fail("ModelCheckpoint: out of memory");
        return NULL;
    }
    c->max_mode = ck_monitor_is_max(c->monitor);
    c->best = c->max_mode ? -INFINITY : INFINITY;
    return cb;
}
