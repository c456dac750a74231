/* ck_model.h - the functional Model: summary, compile, fit, evaluate,
 * predict, the training history and weights, under their Keras names.
 *
 *     ck_model *m = ck_Model(s, inputs, 4, &y, 1, "fm_model");
 *     ck_compile(m, "mse", ck_Adam(0.001f), (const char *[]){"mae"}, 1);
 *     ck_history *h = ck_fit(m, x, 4, &y_train, &(ck_fit_args){
 *         .epochs = 30, .batch_size = 2048, .shuffle = 1,
 *         .val_x = vx, .val_y = &y_val,
 *         .callbacks = (ck_callback *[]){es, ckpt}, .n_callbacks = 2});
 *     if (!h) fprintf(stderr, "%s\n", ck_error());
 *
 * Data are whole tensors whose first axis is the sample: x[i] is the i-th
 * model input ((N, ...) F32 or I32), y is (N, ...) F32.
 * Optimizers are in ck_optimizers.h, callbacks in ck_callbacks.h (both
 * included here). */
#ifndef CK_MODEL_H
#define CK_MODEL_H

#include <stdio.h>

#include "ck_layers.h"
#include "ck_optimizers.h"

typedef struct ck_model ck_model;
typedef struct ck_callback ck_callback;

/* Keras's default batch size for fit, evaluate and predict. */
#define CK_DEFAULT_BATCH_SIZE 32

/* Several models may share layers (fm_model_1d, fm_model_2d, fm_model).
 * Error "graph disconnected: ..." if an output needs an input not listed.
 * The model belongs to the session. */
ck_model *ck_Model(ck_session *s, ck_sym *const *inputs, int n_in, ck_sym *const *outputs, int n_out, const char *name);
/* Keras-2 summary table (width 98). */
int ck_summary(const ck_model *m, FILE *f);
long ck_count_params(const ck_model *m);
/* Graphviz DOT, like Keras's plot_model(show_shapes=True). */
int ck_plot_model(const ck_model *m, const char *dot_path);
int ck_model_n_weights(const ck_model *m);
ck_node *ck_model_weight(const ck_model *m, int i);
const char *ck_model_name(const ck_model *m);
/* model.layers in Keras's order (the summary's rows). */
int ck_model_n_layers(const ck_model *m);
ck_layer *ck_model_layer(const ck_model *m, int i);
/* All weights as one flat float array of ck_count_params(m) values, in
 * ck_model_weight order (Keras's get_weights / set_weights). */
int ck_model_get_weights(const ck_model *m, float *dst);
int ck_model_set_weights(ck_model *m, const float *src);

/* Keras's model(x, training=...): run the model's layers on input nodes
 * (one per model input, batch first) recording on tape t, and return the
 * first output's node. Differentiable end to end: use it inside a bigger
 * graph, a Lambda, or ck_gradcheck. */
ck_node *ck_model_call(ck_model *m, ck_tape *t, ck_node *const *inputs, int n, int training);

/* loss: "mse" / "mean_squared_error" (case as Keras accepts it).
 * metrics: "mae", "mse" and their long names (may be NULL, 0).
 * Takes ownership of opt, even on failure. Recompiling is allowed (as in
 * Keras): it replaces the optimizer and its state. */
int ck_compile(ck_model *m, const char *loss, ck_optimizer *opt, const char *const *metrics, int n_metrics);

/* ---- history: what fit logs per epoch (Keras's logs dict) ---- */
#define CK_MAX_METRICS 4
#define CK_MAX_LOGS 32
typedef struct ck_epoch_log {
    int epoch;             /* 1-based */
    double loss, val_loss; /* val_loss NAN without validation data */
    /* every other logged value, in Keras's order (metrics, then val_
     * metrics): keys[i] ("mae", "val_mae") -> values[i]. The keys are
     * owned by the history (or the model, during fit). */
    int n_values;
    const char *keys[CK_MAX_LOGS];
    double values[CK_MAX_LOGS];
    double train_seconds; /* training pass only */
    double seconds;       /* whole epoch incl. validation and callbacks */
} ck_epoch_log;

typedef struct ck_history {
    int n_epochs;
    ck_epoch_log *epochs; /* n_epochs entries */
    int n_metrics;        /* the compiled metrics' names */
    const char *metric_names[CK_MAX_METRICS];
    int stopped_early;  /* an EarlyStopping / TerminateOnNaN stopped training */
    char *key_storage_; /* private: the keys' text */
} ck_history;
void ck_history_free(ck_history *h);

/* A logged value by its Keras key: "loss", "val_loss", a metric name as
 * given to compile ("mae") or "val_" + it. -1 (message naming the keys
 * that exist) if the log has no such key (val_* without validation data). */
int ck_log_value(const ck_model *m, const ck_epoch_log *log, const char *key, double *out);

/* ---- fit / evaluate / predict ---- */
typedef struct ck_fit_args {
    int epochs;             /* 0: 1 */
    int batch_size;         /* 0: CK_DEFAULT_BATCH_SIZE */
    int shuffle;            /* 1: reshuffle every epoch (model's seed) */
    const ck_tensor *val_x; /* n_in tensors, or NULL */
    const ck_tensor *val_y;
    ck_callback *const *callbacks;
    int n_callbacks;
    int verbose; /* 0 silent, 1 progress bar / line per epoch */
} ck_fit_args;

ck_history *ck_fit(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, const ck_fit_args *args);
/* Loss (and metrics) over the data in batches (0: CK_DEFAULT_BATCH_SIZE),
 * no gradients recorded. out[0] = loss, out[1..] = metrics. */
int ck_evaluate(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, int batch_size, double *out);
/* Predictions of the first output, (N, ...) F32, heap (ck_tensor_free).
 * batch_size 0: CK_DEFAULT_BATCH_SIZE. */
ck_tensor *ck_predict(ck_model *m, const ck_tensor *x, int n_x, int batch_size);

/* ---- weights (safetensors: JSON header + raw little-endian float32) ---- */
/* Written atomically (ck_io.h: a unique temporary file, fsync, rename): a
 * crash or a concurrent writer never leaves half a file, and a path that is
 * not a regular file (a device, a FIFO, a directory) is refused. */
int ck_save_weights(const ck_model *m, const char *path);
/* The same with n_meta string entries in the file's __metadata__. */
int ck_save_weights_meta(const ck_model *m, const char *path, const char *const *meta_keys,
                         const char *const *meta_values, int n_meta);
/* Checks every name, shape and size first; on any mismatch fails with a
 * clear message and leaves the model's weights unchanged. */
int ck_load_weights(ck_model *m, const char *path);
/* The same from a file already read (ck_safetensors_load), e.g. after
 * checking its __metadata__; path names it in messages. */
struct ck_safetensors;
int ck_load_weights_from(ck_model *m, const struct ck_safetensors *st, const char *path);

#include "ck_callbacks.h"

#endif
