/* callbacks.c - what every callback shares, EarlyStopping and
 * TerminateOnNaN, with Keras's rules. Each callback is a ck_callback whose
 * state is private to its file (ModelCheckpoint: model_checkpoint.c,
 * CSVLogger: csv_logger.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ck_callbacks_internal.h"

void ck_callback_free(ck_callback *cb)
{
    if (!cb) return;
    if (cb->free) cb->free(cb);
    free(cb);
}

/* The default free of a built-in callback: its state is one block. */
static void free_state(ck_callback *cb) { free(cb->state); }

ck_callback *ck_callback_new(const char *name, size_t state_size)
{
    ck_callback *cb = calloc(1, sizeof *cb);
    if (cb) cb->state = calloc(1, state_size);
    if (!cb || !cb->state) {
        free(cb);
        ck_fail("%s: out of memory", name);
        return NULL;
    }
    cb->name = name;
    cb->free = free_state; /* a callback whose state owns more sets its own */
    return cb;
}

int ck_monitor_is_max(const char *monitor) { return strstr(monitor, "acc") || strstr(monitor, "auc"); }

/* ---- EarlyStopping ---- */

typedef struct early_stopping {
    char *monitor;
    int patience, restore_best_weights, max_mode;
    double min_delta; /* >= 0 */
    int wait, stopped_epoch, best_epoch;
    double best;
    float *best_weights; /* allocated once at train begin */
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
    if (es->restore_best_weights && !es->have_best_weights) {
        /* Keras 2 (2.5+): the first epoch's weights, kept even when its
         * value is NaN, so a run that never improves restores them */
        ck_model_get_weights(m, es->best_weights);
        es->have_best_weights = 1;
        es->best_epoch = log->epoch;
    }
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
    if (es->wait >= es->patience && log->epoch > 1) { /* Keras: never at the first epoch */
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
    if (patience < 0) {
        ck_fail("EarlyStopping: patience must be >= 0, got %d", patience);
        return NULL;
    }
    ck_callback *cb = ck_callback_new("EarlyStopping", sizeof(early_stopping));
    if (!cb) return NULL;
    early_stopping *es = cb->state;
    es->monitor = strdup(monitor ? monitor : "val_loss");
    es->patience = patience;
    es->min_delta = fabs(min_delta);
    es->restore_best_weights = restore_best_weights != 0;
    es->max_mode = ck_monitor_is_max(es->monitor);
    cb->on_train_begin = es_train_begin;
    cb->on_epoch_end = es_epoch_end;
    cb->free = es_free;
    if (!es->monitor) {
        ck_callback_free(cb);
        ck_fail("EarlyStopping: out of memory");
        return NULL;
    }
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
    if (!cb) {
        ck_fail("TerminateOnNaN: out of memory");
        return NULL;
    }
    cb->name = "TerminateOnNaN";
    cb->on_batch_end = nan_batch_end;
    return cb;
}
