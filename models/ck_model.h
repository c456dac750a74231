/* ck_model.h - the functional Model: summary, compile, fit, evaluate,
 * predict, callbacks and weights, under their Keras names.
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
 * model input ((N, ...) F32 or I32), y is (N, ...) F32. */
#ifndef CK_MODEL_H
#define CK_MODEL_H

#include "ck_layers.h"

typedef struct ck_model ck_model;
typedef struct ck_optimizer ck_optimizer;
typedef struct ck_callback ck_callback;

/* Several models may share layers (fm_model_1d, fm_model_2d, fm_model).
 * Error "graph disconnected: ..." if an output needs an input not listed.
 * The model belongs to the session. */
ck_model *ck_Model(ck_session *s, ck_sym *const *inputs, int n_in,
                   ck_sym *const *outputs, int n_out, const char *name);
/* Keras-2 summary table (width 98). */
int   ck_summary(const ck_model *m, FILE *f);
long  ck_count_params(const ck_model *m);
/* Graphviz DOT, like Keras's plot_model(show_shapes=True). */
int   ck_plot_model(const ck_model *m, const char *dot_path);
int   ck_model_n_weights(const ck_model *m);
ck_node *ck_model_weight(const ck_model *m, int i);
const char *ck_model_name(const ck_model *m);
/* model.layers in Keras's order (the summary's rows). */
int   ck_model_n_layers(const ck_model *m);
ck_layer *ck_model_layer(const ck_model *m, int i);
/* All weights as one flat float array of ck_count_params(m) values, in
 * ck_model_weight order (Keras's get_weights / set_weights). */
int   ck_model_get_weights(const ck_model *m, float *dst);
int   ck_model_set_weights(ck_model *m, const float *src);

/* Keras's model(x, training=...): run the model's layers on input nodes
 * (one per model input, batch first) recording on tape t, and return the
 * first output's node. Differentiable end to end: use it inside a bigger
 * graph, a Lambda, or ck_gradcheck. */
ck_node *ck_model_call(ck_model *m, ck_tape *t, ck_node *const *inputs, int n, int training);

/* ---- optimizers (owned by the model after compile) ---- */
/* Keras Adam: beta1 0.9, beta2 0.999, epsilon 1e-7 outside the bias
 * correction; dense: every moment decays every step. */
ck_optimizer *ck_Adam(float learning_rate);
ck_optimizer *ck_Adam_ex(float learning_rate, float beta_1, float beta_2, float epsilon);
ck_optimizer *ck_SGD(float learning_rate, float momentum);
/* Only for an optimizer never given to ck_compile (compile always takes
 * ownership, even when it fails). */
void ck_optimizer_free(ck_optimizer *opt);

/* loss: "mse". metrics: "mae", "mse" (may be NULL, 0). */
int ck_compile(ck_model *m, const char *loss, ck_optimizer *opt,
               const char *const *metrics, int n_metrics);

/* ---- history ---- */
typedef struct ck_epoch_log {
    int epoch;               /* 1-based */
    double loss, val_loss;   /* val_loss NAN without validation data */
    double metrics[4], val_metrics[4];
    double train_seconds;    /* training pass only */
    double seconds;          /* whole epoch incl. validation and callbacks */
} ck_epoch_log;

typedef struct ck_history {
    int n_epochs;
    ck_epoch_log *epochs;    /* n_epochs entries */
    int n_metrics;
    const char *metric_names[4];
    int stopped_early;       /* an EarlyStopping / TerminateOnNaN stopped training */
} ck_history;
void ck_history_free(ck_history *h);

/* ---- callbacks: a struct of hooks; any hook may be NULL ---- */
struct ck_callback {
    const char *name;
    void *state;
    int  (*on_train_begin)(ck_callback *cb, ck_model *m);
    int  (*on_epoch_end)(ck_callback *cb, ck_model *m, const ck_epoch_log *log);
    int  (*on_batch_end)(ck_callback *cb, ck_model *m, int batch, double loss);
    int  (*on_train_end)(ck_callback *cb, ck_model *m);
    void (*free)(ck_callback *cb);
};
/* A hook returns 0, or -1 to abort fit with an error (message set). To stop
 * training cleanly, call ck_model_stop_training(m). */
void ck_model_stop_training(ck_model *m);
int  ck_model_stop_requested(const ck_model *m);
/* A logged value by its Keras key: "loss", "val_loss", a metric name as
 * given to compile ("mae") or "val_" + it. -1 (message) if the log has no
 * such key (val_* without validation data). */
int  ck_log_value(const ck_model *m, const ck_epoch_log *log, const char *key, double *out);

/* Keras's rule: an epoch improves when monitor < best - |min_delta| (or
 * monitor > best + |min_delta| for monitors containing "acc"); the first
 * epoch always does.
 * Otherwise wait += 1, and training stops when wait >= patience. With
 * restore_best_weights the best epoch's weights are put back at the stop.
 * monitor NULL: "val_loss". */
ck_callback *ck_EarlyStopping(const char *monitor, int patience, double min_delta,
                              int restore_best_weights);
/* path may hold {epoch}, {epoch:02d} or {val_loss:.4f}-style fields, as in
 * Keras. save_best_only: save only after an epoch whose monitor is strictly
 * better than every earlier one (so always after the first); otherwise after
 * every epoch. Only weights can be saved: save_weights_only 0 also saves
 * weights. verbose: print "Epoch N: val_loss improved from X to Y, ...". */
ck_callback *ck_ModelCheckpoint(const char *path, const char *monitor,
                                 int save_best_only, int save_weights_only, int verbose);
ck_callback *ck_CSVLogger(const char *path);
ck_callback *ck_TerminateOnNaN(void);
/* Calls cb->free (if set), then free(cb): for callbacks made by the
 * constructors above, or user callbacks allocated with malloc. */
void ck_callback_free(ck_callback *cb);

/* ---- fit / evaluate / predict ---- */
typedef struct ck_fit_args {
    int epochs;                      /* default 1 */
    int batch_size;                  /* default 32 */
    int shuffle;                     /* 1: reshuffle every epoch (model's seed) */
    const ck_tensor *val_x;          /* n_in tensors, or NULL */
    const ck_tensor *val_y;
    ck_callback *const *callbacks;
    int n_callbacks;
    int verbose;                     /* 0 silent, 1 progress bar / line per epoch */
} ck_fit_args;

ck_history *ck_fit(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y,
                   const ck_fit_args *args);
/* Loss (and metrics) over the data in batches, no gradients recorded.
 * out[0] = loss, out[1..] = metrics. */
int ck_evaluate(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y,
                int batch_size, double *out);
/* Predictions of the first output, (N, ...) F32, heap (ck_tensor_free). */
ck_tensor *ck_predict(ck_model *m, const ck_tensor *x, int n_x, int batch_size);

/* ---- weights (safetensors: JSON header + raw little-endian float32) ---- */
/* Writes path.tmp, then renames: a crash never leaves half a file. */
int ck_save_weights(const ck_model *m, const char *path);
/* Checks every name, shape and size first; on any mismatch fails with a
 * clear message and leaves the model's weights unchanged. */
int ck_load_weights(ck_model *m, const char *path);

#endif
