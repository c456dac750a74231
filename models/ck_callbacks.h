/* ck_callbacks.h - callbacks, as keras.callbacks: EarlyStopping,
 * ModelCheckpoint, CSVLogger, LearningRateScheduler, ReduceLROnPlateau,
 * TerminateOnNaN, and your own.
 *
 * A callback is a struct of hooks that ck_fit calls; any hook may be NULL.
 * A hook returns 0, or -1 to abort fit with an error (message set). To stop
 * training cleanly, a hook calls ck_model_stop_training(m). */
#ifndef CK_CALLBACKS_H
#define CK_CALLBACKS_H

#include <stddef.h>

#include "ck_model.h"

struct ck_callback {
    const char *name;
    void *state;
    int (*on_train_begin)(ck_callback *cb, ck_model *m);
    int (*on_epoch_end)(ck_callback *cb, ck_model *m, const ck_epoch_log *log);
    int (*on_batch_end)(ck_callback *cb, ck_model *m, int batch, double loss);
    int (*on_train_end)(ck_callback *cb, ck_model *m);
    void (*free)(ck_callback *cb);
    /* Keras's on_epoch_begin; epoch is 0-based, as Keras passes it. */
    int (*on_epoch_begin)(ck_callback *cb, ck_model *m, int epoch);
    /* Adds this callback's values to the epoch's logs (ck_log_set), as
     * Keras's callbacks write logs["lr"]: called for every callback after
     * validation, before the progress line and any on_epoch_end. */
    int (*add_logs)(ck_callback *cb, ck_model *m, ck_epoch_log *log);
};

/* logs[key] = value: replaces key's value, or appends key (after the
 * metrics, in Keras's order). key must live as long as the history (a
 * string literal). -1 (message) when the log is full. */
int ck_log_set(ck_epoch_log *log, const char *key, double value);

void ck_model_stop_training(ck_model *m);
int ck_model_stop_requested(const ck_model *m);

/* Keras's rule: an epoch improves when monitor < best - |min_delta| (or
 * monitor > best + |min_delta| for monitors containing "acc" or "auc":
 * "val_accuracy", "val_auc"); the first epoch does unless its value is NaN.
 * Otherwise wait += 1, and training stops when wait >= patience, never at
 * the first epoch of a fit. With restore_best_weights the best epoch's
 * weights are put back at the stop (not when fit ends without a stop, as
 * tf.keras 2.5 to 2.15). As Keras 2 (tf_keras/callbacks.py, EarlyStopping):
 * - a NaN value never improves (NaN comparisons are false), so when every
 *   value is NaN, best stays +-inf, wait grows each epoch and training
 *   stops at epoch max(patience, 2) (1-based); restore_best_weights
 *   then puts back the FIRST epoch's weights, which Keras keeps whenever
 *   no earlier epoch's are kept ("restore the weights after first epoch if
 *   no progress is ever made").
 * - every fit starts afresh (on_train_begin resets wait, best and the kept
 *   weights), so one callback may serve several fits; unlike ModelCheckpoint.
 * monitor NULL: "val_loss". */
ck_callback *ck_EarlyStopping(const char *monitor, int patience, double min_delta, int restore_best_weights);
/* path may hold {epoch}, {epoch:02d} or {val_loss:.4f}-style fields, as in
 * Keras. save_best_only: save only after an epoch whose monitor is strictly
 * better than every earlier one (so always after the first); otherwise after
 * every epoch. The best value lives as long as the callback, as Keras 2's
 * self.best (set in __init__, not in on_train_begin): a callback used by a
 * second fit saves only epochs better than the first fit's best. A NaN
 * value is never better. save_weights_only: ck_save_weights; 0: the whole model,
 * ck_save_model (ck_load_model reads it, ck_load_weights too). verbose:
 * print "Epoch N: val_loss improved from X to Y, ...". */
ck_callback *ck_ModelCheckpoint(const char *path, const char *monitor, int save_best_only, int save_weights_only,
                                int verbose);
/* ModelCheckpoint with every option, Keras's names. */
typedef struct ck_model_checkpoint_args {
    const char *filepath; /* may hold {epoch:02d} / {val_loss:.4f} fields */
    const char *monitor;  /* NULL: "val_loss" */
    int save_best_only, save_weights_only, verbose;
    /* Keras's initial_value_threshold: with save_best_only, an epoch is
     * saved only if its monitor is strictly better than this value (and than
     * every earlier epoch). NULL: no threshold (Keras's None). Use it not to
     * replace an existing checkpoint with a worse model. */
    const double *initial_value_threshold;
    /* extra string entries for every file's safetensors __metadata__ (the
     * callback adds "model", "epoch", and "monitor" / "monitor_value" when
     * the monitor is logged; those keys are its own) */
    const char *const *meta_keys;
    const char *const *meta_values;
    int n_meta;
} ck_model_checkpoint_args;
/* The template is checked here (syntax: unclosed '{', a format other than
 * [0][width][.precision] d for the epoch or f/e/g for values) and when
 * training begins (every field and the monitor are logged): a bad one fails
 * before the first epoch. Files are written atomically (ck_io.h). */
ck_callback *ck_ModelCheckpoint_ex(const ck_model_checkpoint_args *args);
/* Keras's filepath.format(epoch=epoch, **logs) for a ModelCheckpoint
 * template, the logs given as n_keys (key, value) pairs: into out
 * (out_size bytes); -1 with a message for a bad template, a key not in keys
 * or a result that does not fit. "{val_loss}" prints as Python's repr. */
int ck_checkpoint_filepath(const char *tmpl, int epoch, const char *const *keys, const double *values, int n_keys,
                           char *out, size_t out_size);
/* Keras's CSVLogger: a header "epoch,<logged keys sorted>", then one line per
 * epoch (0-based epoch), each value in the shortest form that reads back
 * as the same double. The file is rewritten whole and atomically at the end
 * of every epoch (ck_io.h): an earlier file stays as it was until the first
 * epoch ends, and a crash leaves the lines of the epochs that ended. */
ck_callback *ck_CSVLogger(const char *path);
/* Keras's LearningRateScheduler: at each epoch's begin, lr =
 * schedule(epoch, current lr, user) (epoch 0-based) is set on the model's
 * optimizer (a NaN or negative lr aborts fit); logs "lr" every epoch.
 * verbose: "Epoch N: LearningRateScheduler setting learning rate to X." */
ck_callback *ck_LearningRateScheduler(float (*schedule)(int epoch, float lr, void *user), void *user, int verbose);
/* Keras's ReduceLROnPlateau (mode "auto": "max" for a monitor containing
 * "acc"; verbose 0). Every epoch logs "lr" (the rate the epoch trained
 * with), then: in cooldown, cooldown_counter -= 1 and wait = 0; an epoch
 * improves when monitor < best - min_delta (min_delta as given, not |.|;
 * "max": > best + min_delta) and sets best, wait = 0; otherwise, out of
 * cooldown, wait += 1 and when wait >= patience and lr > min_lr:
 * lr = max(lr * factor, min_lr), cooldown_counter = cooldown, wait = 0.
 * Keras's defaults: "val_loss", factor 0.1 (must be < 1), patience 10,
 * min_delta 1e-4, cooldown 0, min_lr 0. monitor NULL: "val_loss". */
ck_callback *ck_ReduceLROnPlateau(const char *monitor, float factor, int patience, double min_delta, int cooldown,
                                  float min_lr);
/* The same with Keras's verbose (1: "Epoch N: ReduceLROnPlateau reducing
 * learning rate to X.") and mode ("auto", "min" or "max"; NULL: "auto"). */
ck_callback *ck_ReduceLROnPlateau_ex(const char *monitor, float factor, int patience, int verbose, const char *mode,
                                     double min_delta, int cooldown, float min_lr);
/* Stops training at the first batch whose loss is NaN or infinite. */
ck_callback *ck_TerminateOnNaN(void);
/* Calls cb->free (if set), then free(cb): for callbacks made by the
 * constructors above, or user callbacks allocated with malloc. */
void ck_callback_free(ck_callback *cb);

#endif
