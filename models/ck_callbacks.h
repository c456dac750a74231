/* ck_callbacks.h - callbacks, as keras.callbacks: EarlyStopping,
 * ModelCheckpoint, CSVLogger, TerminateOnNaN, and your own.
 *
 * A callback is a struct of hooks that ck_fit calls; any hook may be NULL.
 * A hook returns 0, or -1 to abort fit with an error (message set). To stop
 * training cleanly, a hook calls ck_model_stop_training(m). */
#ifndef CK_CALLBACKS_H
#define CK_CALLBACKS_H

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
 * every epoch. save_weights_only: ck_save_weights; 0: the whole model,
 * ck_save_model (ck_load_model reads it, ck_load_weights too). verbose:
 * print "Epoch N: val_loss improved from X to Y, ...". */
ck_callback *ck_ModelCheckpoint(const char *path, const char *monitor, int save_best_only, int save_weights_only,
                                int verbose);
/* Keras's CSVLogger: a header "epoch,<logged keys sorted>", then one line per
 * epoch (0-based epoch), each value in the shortest form that reads back
 * as the same double. */
ck_callback *ck_CSVLogger(const char *path);
/* Stops training at the first batch whose loss is NaN or infinite. */
ck_callback *ck_TerminateOnNaN(void);
/* Calls cb->free (if set), then free(cb): for callbacks made by the
 * constructors above, or user callbacks allocated with malloc. */
void ck_callback_free(ck_callback *cb);

#endif
