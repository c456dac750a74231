/* ck_callbacks.h - callbacks, as keras.callbacks: EarlyStopping,
 * ModelCheckpoint, CSVLogger, TerminateOnNaN, and your own.
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
};

void ck_model_stop_training(ck_model *m);
int ck_model_stop_requested(const ck_model *m);

/* Keras's rule: an epoch improves when monitor < best - |min_delta| (or
 * monitor > best + |min_delta| for monitors containing "acc"); the first
 * epoch always does.
 * Otherwise wait += 1, and training stops when wait >= patience. With
 * restore_best_weights the best epoch's weights are put back at the stop.
 * monitor NULL: "val_loss". */
ck_callback *ck_EarlyStopping(const char *monitor, int patience, double min_delta, int restore_best_weights);
/* path may hold {epoch}, {epoch:02d} or {val_loss:.4f}-style fields, as in
 * Keras. save_best_only: save only after an epoch whose monitor is strictly
 * better than every earlier one (so always after the first); otherwise after
 * every epoch. Only weights can be saved: save_weights_only 0 also saves
 * weights. verbose: print "Epoch N: val_loss improved from X to Y, ...". */
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
/* Stops training at the first batch whose loss is NaN or infinite. */
ck_callback *ck_TerminateOnNaN(void);
/* Calls cb->free (if set), then free(cb): for callbacks made by the
 * constructors above, or user callbacks allocated with malloc. */
void ck_callback_free(ck_callback *cb);

#endif
