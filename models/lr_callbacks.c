/* lr_callbacks.c - Keras's learning-rate callbacks, LearningRateScheduler
 * and ReduceLROnPlateau (tf_keras/callbacks.py). Both change the rate
 * through ck_optimizer_set_learning_rate, which keeps the optimizer's state
 * (recompiling would replace it), and both log "lr", as Keras's write
 * logs["lr"] = optimizer.lr at each epoch's end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_callbacks_internal.h"

static ck_optimizer *optimizer_of(ck_model *m, const char *who)
{
    ck_optimizer *o = ck_model_optimizer(m);
    if (!o) ck_fail("%s: the model has no optimizer; compile it first", who);
    return o;
}

/* The rate the epoch trained with (ReduceLROnPlateau logs it before it
 * changes it, as Keras). */
static int log_lr(ck_callback *cb, ck_model *m, ck_epoch_log *log)
{
    ck_optimizer *o = optimizer_of(m, cb->name);
    return o ? ck_log_set(log, "lr", (double)ck_optimizer_learning_rate(o)) : -1;
}

/* ---- LearningRateScheduler ---- */

typedef struct lr_scheduler {
    float (*schedule)(int epoch, float lr, void *user);
    void *user;
    int verbose;
} lr_scheduler;

static int scheduler_epoch_begin(ck_callback *cb, ck_model *m, int epoch)
{
    lr_scheduler *s = cb->state;
    ck_optimizer *o = optimizer_of(m, cb->name);
    if (!o) return -1;
    float lr = s->schedule(epoch, ck_optimizer_learning_rate(o), s->user);
    if (!(lr >= 0.0f) || isinf(lr))
        return ck_fail("the schedule returned %g for epoch %d (0-based); a learning rate must be finite and >= 0",
                       (double)lr, epoch);
    if (ck_optimizer_set_learning_rate(o, lr)) return -1;
    if (s->verbose > 0) {
        char text[40];
        ck_format_shortest(lr, 1, text, sizeof text);
        printf("\nEpoch %d: LearningRateScheduler setting learning rate to %s.\n", epoch + 1, text);
    }
    return 0;
}

ck_callback *ck_LearningRateScheduler(float (*schedule)(int epoch, float lr, void *user), void *user, int verbose)
{
    if (!schedule) {
        ck_fail("LearningRateScheduler: schedule is NULL");
        return NULL;
    }
    ck_callback *cb = ck_callback_new("LearningRateScheduler", sizeof(lr_scheduler));
    if (!cb) return NULL;
    lr_scheduler *s = cb->state;
    s->schedule = schedule;
    s->user = user;
    s->verbose = verbose;
    cb->on_epoch_begin = scheduler_epoch_begin;
    cb->add_logs = log_lr;
    return cb;
}

/* ---- ReduceLROnPlateau ---- */

typedef struct plateau {
    char *monitor;
    float factor, min_lr;
    int patience, cooldown, verbose, max_mode;
    double min_delta; /* as given: Keras does not take |min_delta| here */
    int wait, cooldown_counter;
    double best;
} plateau;

static int plateau_train_begin(ck_callback *cb, ck_model *m)
{
    (void)m;
    plateau *p = cb->state;
    p->wait = 0;
    p->cooldown_counter = 0;
    p->best = p->max_mode ? -INFINITY : INFINITY;
    return 0;
}

/* NaN never improves: both comparisons are false */
static int plateau_improved(const plateau *p, double current)
{
    return p->max_mode ? current > p->best + p->min_delta : current < p->best - p->min_delta;
}

static int plateau_reduce(ck_callback *cb, ck_model *m, int epoch)
{
    plateau *p = cb->state;
    ck_optimizer *o = optimizer_of(m, cb->name);
    if (!o) return -1;
    float old_lr = ck_optimizer_learning_rate(o);
    if (!(old_lr > p->min_lr)) return 0;
    double new_lr = fmax((double)old_lr * p->factor, (double)p->min_lr);
    if (ck_optimizer_set_learning_rate(o, (float)new_lr)) return -1;
    if (p->verbose > 0) {
        char text[40];
        ck_format_shortest(new_lr, 0, text, sizeof text);
        printf("\nEpoch %d: ReduceLROnPlateau reducing learning rate to %s.\n", epoch, text);
    }
    p->cooldown_counter = p->cooldown;
    p->wait = 0;
    return 0;
}

static int plateau_epoch_end(ck_callback *cb, ck_model *m, const ck_epoch_log *log)
{
    plateau *p = cb->state;
    double current;
    if (ck_log_value(m, log, p->monitor, &current)) return -1;
    if (p->cooldown_counter > 0) {
        p->cooldown_counter--;
        p->wait = 0;
    }
    if (plateau_improved(p, current)) {
        p->best = current;
        p->wait = 0;
        return 0;
    }
    if (p->cooldown_counter > 0) return 0;
    p->wait++;
    return p->wait >= p->patience ? plateau_reduce(cb, m, log->epoch) : 0;
}

static void plateau_free(ck_callback *cb)
{
    plateau *p = cb->state;
    if (!p) return;
    free(p->monitor);
    free(p);
}

ck_callback *ck_ReduceLROnPlateau_ex(const char *monitor, float factor, int patience, int verbose, const char *mode,
                                     double min_delta, int cooldown, float min_lr)
{
    const char *name = "ReduceLROnPlateau";
    if (!mode) mode = "auto";
    if (!(factor < 1.0f)) {
        ck_fail("%s: does not support a factor >= 1.0; got %g", name, (double)factor);
        return NULL;
    }
    if (patience < 0 || cooldown < 0 || !(min_lr >= 0.0f) || isnan(min_delta)) {
        ck_fail("%s: need patience >= 0, cooldown >= 0, min_lr >= 0 and a min_delta; got %d, %d, %g, %g", name,
                patience, cooldown, (double)min_lr, min_delta);
        return NULL;
    }
    if (strcmp(mode, "auto") && strcmp(mode, "min") && strcmp(mode, "max")) {
        ck_fail("%s: mode '%s' is unknown (use \"auto\", \"min\" or \"max\")", name, mode);
        return NULL;
    }
    ck_callback *cb = ck_callback_new(name, sizeof(plateau));
    if (!cb) return NULL;
    plateau *p = cb->state;
    p->monitor = strdup(monitor ? monitor : "val_loss");
    p->factor = factor;
    p->patience = patience;
    p->verbose = verbose;
    p->min_delta = min_delta;
    p->cooldown = cooldown;
    p->min_lr = min_lr;
    cb->on_train_begin = plateau_train_begin;
    cb->add_logs = log_lr;
    cb->on_epoch_end = plateau_epoch_end;
    cb->free = plateau_free;
    if (!p->monitor) {
        ck_callback_free(cb);
        ck_fail("%s: out of memory", name);
        return NULL;
    }
    p->max_mode = !strcmp(mode, "max") || (!strcmp(mode, "auto") && ck_monitor_is_max(p->monitor));
    plateau_train_begin(cb, NULL);
    return cb;
}

ck_callback *ck_ReduceLROnPlateau(const char *monitor, float factor, int patience, double min_delta, int cooldown,
                                  float min_lr)
{
    return ck_ReduceLROnPlateau_ex(monitor, factor, patience, 0, "auto", min_delta, cooldown, min_lr);
}
