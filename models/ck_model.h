/* ck_model.h - the functional Model: summary, compile, fit, evaluate,
 * predict, the training history and weights, under their Keras names.
 *
 *     ck_model *m = ck_Model(s, &x, 1, &y, 1, "classifier");
 *     ck_compile(m, "binary_crossentropy", ck_Adam(0.001f), (const char *[]){"accuracy"}, 1);
 *     ck_history *h = ck_fit(m, &x_train, 1, &y_train, CK_FIT_ARGS(
 *         .epochs = 30, .val_x = &x_val, .val_y = &y_val,
 *         CK_CALLBACKS(ck_EarlyStopping("val_loss", 10, 0, 1))));
 *     if (!h) fprintf(stderr, "%s\n", ck_error());
 *
 * Argument structs, written as in Python: CK_FIT_ARGS(.epochs = 30,
 * .shuffle = false, .verbose = 0) is model.fit(epochs=30, shuffle=False,
 * verbose=0), and every field left out means what Keras does when the
 * argument is left out (shuffle on, verbose 1, batch 32). The macro
 * records which fields were written, so a written 0 or false means 0 or
 * false. A plain compound literal &(ck_fit_args){...} cannot say that (a
 * field left out is 0 too), so there 0 always means Keras's default, and
 * CK_FALSE / CK_SILENT turn shuffling / output off. Arrays come with their
 * count; a pointer given with a count of 0 is refused, never ignored (the
 * CK_CALLBACKS, CK_LOSSES and CK_METRICS macros fill in both).
 *
 * Data are whole tensors whose first axis is the sample: x[i] is the i-th
 * model input ((N, ...) F32 or I32), y[o] the o-th output's targets ((N,
 * ...) F32, or I32 class ids for a sparse loss). Losses are in
 * ck_losses.h, metrics in ck_metrics.h, optimizers in ck_optimizers.h,
 * callbacks in ck_callbacks.h (all included here). */
#ifndef CK_MODEL_H
#define CK_MODEL_H

#include <stdbool.h> /* true / false in CK_FIT_ARGS(.shuffle = false) */
#include <stdio.h>

#include "ck_layers.h"
#include "ck_losses.h"
#include "ck_metrics.h"
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
/* The values in the weights of trainable layers that are not of a
 * non-trainable kind (the summary's "Trainable params"), as the flags are
 * now. */
long ck_count_trainable_params(const ck_model *m);
/* Keras's model.trainable = ...: sets the flag of every layer of the model
 * (ck_layer_set_trainable); takes effect at the next compile. */
int ck_model_set_trainable(ck_model *m, int trainable);
/* Graphviz DOT, like Keras's plot_model(show_shapes=True). */
int ck_plot_model(const ck_model *m, const char *dot_path);
int ck_model_n_weights(const ck_model *m);
ck_node *ck_model_weight(const ck_model *m, int i);
const char *ck_model_name(const ck_model *m);
/* model.layers in Keras's order (the summary's rows). */
int ck_model_n_layers(const ck_model *m);
ck_layer *ck_model_layer(const ck_model *m, int i);
/* model.inputs / model.outputs: the symbolic tensors the model was made
 * from (e.g. to make a Model of one output of a loaded model). */
int ck_model_n_inputs(const ck_model *m);
ck_sym *ck_model_input(const ck_model *m, int i);
int ck_model_n_outputs(const ck_model *m);
ck_sym *ck_model_output(const ck_model *m, int i);
/* The session the model belongs to. */
ck_session *ck_model_session(const ck_model *m);
/* All weights as one flat float array of ck_count_params(m) values, in
 * ck_model_weight order (Keras's get_weights / set_weights). */
int ck_model_get_weights(const ck_model *m, float *dst);
int ck_model_set_weights(ck_model *m, const float *src);

/* Speed: fit may run each batch's forward and backward in row tiles of
 * `rows` rows (a power of two), so that a tile's values and gradients stay
 * in cache, adding the tiles' gradients. Only for models whose ops keep
 * rows independent (fit checks at its first step: no batch statistics,
 * no random draws such as Dropout's, built-in losses); the results are
 * those of the whole batch (bit for bit with mse, else up to float
 * rounding). 0: whole batches. Default CK_DEFAULT_TILE_ROWS. */
#define CK_DEFAULT_TILE_ROWS 512
int ck_model_set_tile_rows(ck_model *m, int rows);
int ck_model_tile_rows(const ck_model *m);
/* Fusion in the row tiles (on by default): each tile's tape fuses a sum or
 * mean over a Concatenate or a square into one op that reads the parts in
 * place (ck_tape_set_fusion): the same results (to float rounding when a
 * summed part has other consumers), fewer passes. 0 turns it
 * off (to measure it, or to rule it out). */
int ck_model_set_fusion(ck_model *m, int on);

/* Keras's model(x, training=...): run the model's layers on input nodes
 * (one per model input, batch first) recording on tape t, and return the
 * first output's node. Differentiable end to end: use it inside a bigger
 * graph, a Lambda, or ck_gradcheck. */
ck_node *ck_model_call(ck_model *m, ck_tape *t, ck_node *const *inputs, int n, int training);

/* ---- compile ---- */

/* Explicit choices for Keras's boolean arguments whose Python default is
 * True (fit's shuffle), readable in any argument struct: CK_TRUE /
 * CK_FALSE; CK_DEFAULT (0) is the field left out. */
typedef enum ck_flag { CK_DEFAULT = 0, CK_TRUE = 1, CK_FALSE = -1 } ck_flag;

/* model.compile(loss=..., optimizer=..., metrics=[...]) with one loss for
 * every output, by name (ck_losses.h: "mse", "binary_crossentropy", ...;
 * any case) and metrics by name (ck_metrics.h: "accuracy", "auc", ...;
 * may be NULL, 0). Takes ownership of opt, even on failure. Recompiling is
 * allowed (as in Keras): it replaces the optimizer and its state. */
int ck_compile(ck_model *m, const char *loss, ck_optimizer *opt, const char *const *metrics, int n_metrics);
/* Keras's model.optimizer: the compiled model's optimizer (NULL before
 * compile), e.g. to read or set its learning rate during training. */
ck_optimizer *ck_model_optimizer(const ck_model *m);

/* Everything else compile takes. Zero fields are Keras's defaults. */
typedef struct ck_compile_args {
    /* One loss for every output by name; or loss objects: n_losses = 1
     * (every output) or one per output, in the model's output order. */
    const char *loss;
    const ck_loss *losses;
    int n_losses;
    /* one per output (NULL: 1 each): the trained loss is
     * sum(loss_weights[o] * loss[o]), as Keras's loss_weights */
    const float *loss_weights;
    /* metrics for every output, or for one (ck_metric.output) */
    const ck_metric *metrics;
    int n_metrics;
} ck_compile_args;
int ck_compile_ex(ck_model *m, ck_optimizer *opt, const ck_compile_args *args);

/* Fill an argument struct's array and its count from one list:
 *     &(ck_fit_args){.epochs = 5, CK_CALLBACKS(early, checkpoint)}
 *     &(ck_compile_args){CK_LOSSES(ck_Huber(2.0f)), CK_METRICS({.name = "mae"}, ck_AUC())} */
#define CK_CALLBACKS(...)                        \
    .callbacks = (ck_callback *[]){__VA_ARGS__}, \
    .n_callbacks = (int)(sizeof((ck_callback *[]){__VA_ARGS__}) / sizeof(ck_callback *))
#define CK_LOSSES(...) \
    .losses = (ck_loss[]){__VA_ARGS__}, .n_losses = (int)(sizeof((ck_loss[]){__VA_ARGS__}) / sizeof(ck_loss))
#define CK_METRICS(...) \
    .metrics = (ck_metric[]){__VA_ARGS__}, .n_metrics = (int)(sizeof((ck_metric[]){__VA_ARGS__}) / sizeof(ck_metric))

/* Keras's model.metrics_names: what evaluate's out[] holds, in order:
 * "loss", then (with several outputs) "<output>_loss" per output, then the
 * metrics' logged names. Writes up to max names (owned by the model, valid
 * until the next compile) and returns how many there are; -1 if not
 * compiled. */
int ck_model_metrics_names(const ck_model *m, const char **names, int max);

/* ---- history: what fit logs per epoch (Keras's logs dict) ---- */
#define CK_MAX_OUTPUTS 8  /* outputs a compiled model may have */
#define CK_MAX_METRICS 16 /* metrics over all outputs */
/* every logged key but loss / val_loss: per-output losses and metrics, and
 * their val_ twins */
#define CK_MAX_LOGS (2 * (CK_MAX_OUTPUTS + CK_MAX_METRICS))
typedef struct ck_epoch_log {
    int epoch;             /* 1-based */
    double loss, val_loss; /* val_loss NAN without validation data */
    /* every other logged value, in Keras's order (per-output losses and
     * metrics, then their val_ twins, then what callbacks add: "lr"):
     * keys[i] ("mae", "val_mae") -> values[i]. The keys are owned by the
     * history (or the model, during fit; added ones are string literals). */
    int n_values;
    const char *keys[CK_MAX_LOGS];
    double values[CK_MAX_LOGS];
    double train_seconds; /* training pass only */
    double seconds;       /* whole epoch incl. validation and callbacks */
} ck_epoch_log;

typedef struct ck_history {
    int n_epochs;
    ck_epoch_log *epochs; /* n_epochs entries */
    int n_metrics;        /* the logged training keys but "loss": per-output losses, metrics */
    const char *metric_names[CK_MAX_LOGS / 2];
    int stopped_early;  /* an EarlyStopping / TerminateOnNaN stopped training */
    char *key_storage_; /* private: the keys' text */
} ck_history;
void ck_history_free(ck_history *h);

/* A logged value by its Keras key: "loss", "val_loss", a metric's logged
 * name ("mae", "accuracy", "out_a_loss") or "val_" + it. -1 (message naming the keys
 * that exist) if the log has no such key (val_* without validation data). */
int ck_log_value(const ck_model *m, const ck_epoch_log *log, const char *key, double *out);

/* ---- fit / evaluate / predict ---- */

/* fit's verbose, as Keras's: 0 silent (written with CK_FIT_ARGS; in a
 * plain compound literal 0 is the default, 1), 1 a progress bar, 2 one line
 * per epoch */
enum {
    CK_SILENT = -1,  /* Keras's verbose=0, in any struct */
    CK_PROGRESS = 1, /* a bar redrawn on a terminal, one line per epoch otherwise */
    CK_ONE_LINE = 2, /* one line per epoch, always */
};

/* model.fit's arguments; every field left out is Keras's default (see the
 * top of this file, and CK_FIT_ARGS below). */
typedef struct ck_fit_args {
    int epochs;     /* 0: 1 */
    int batch_size; /* 0: CK_DEFAULT_BATCH_SIZE (32) */
    int verbose;    /* left out: 1; 0 (written with CK_FIT_ARGS) or CK_SILENT, CK_PROGRESS (1), CK_ONE_LINE (2) */
    ck_callback *const *callbacks;
    int n_callbacks; /* a non-NULL callbacks with 0 is refused */
    /* Keras's validation_split: the LAST fraction of the rows (taken before
     * any shuffling) is held out for validation; in [0, 1). Ignored when
     * val_x / val_y are given, as in Keras. */
    double validation_split;
    /* validation_data = (val_x, val_y[, val_sample_weight]): n_in input
     * tensors, n_out target tensors, and (N_val,) weights or NULL */
    const ck_tensor *val_x;
    const ck_tensor *val_y;
    const ck_tensor *val_sample_weight;
    /* reshuffle the training rows every epoch (model's seed): left out, on;
     * false (written with CK_FIT_ARGS) or CK_FALSE, off */
    int shuffle;
    /* class_weight: weight n of class n (class = the target's class id, its
     * argmax for one-hot rows, its value cast to int for one column); single
     * output only. Multiplies sample_weight. */
    const float *class_weight;
    int n_class_weight;
    /* (N,) F32, one weight per training sample (every output), or NULL */
    const ck_tensor *sample_weight;
    /* Set by CK_FIT_ARGS: the text of the fields written, so that a written
     * 0 means 0. NULL in a plain compound literal. */
    const char *written_;
} ck_fit_args;

/* model.fit(...)'s keyword arguments as a pointer to ck_fit_args:
 *     ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 200, .shuffle = false, .verbose = 0));
 * Fields written mean what they say in Python (false, 0); fields left out
 * mean Keras's defaults. CK_FIT_ARGS() is the same as NULL: every default. */
#define CK_FIT_ARGS(...) (&(ck_fit_args){.written_ = "," #__VA_ARGS__, __VA_ARGS__})

/* y: n_out target tensors (one per model output, in order). */
ck_history *ck_fit(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, const ck_fit_args *args);

/* model.evaluate's arguments (0 fields: Keras's defaults). */
typedef struct ck_evaluate_args {
    int batch_size;                 /* 0: CK_DEFAULT_BATCH_SIZE */
    const ck_tensor *sample_weight; /* (N,) F32 or NULL */
} ck_evaluate_args;
/* Loss, per-output losses and metrics over the data in batches, no
 * gradients recorded: out[] as ck_model_metrics_names lists them (one
 * output: out[0] = loss, out[1..] = metrics). */
int ck_evaluate_ex(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, const ck_evaluate_args *args,
                   double *out);
/* The same with only a batch size (0: CK_DEFAULT_BATCH_SIZE). */
int ck_evaluate(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, int batch_size, double *out);
/* Predictions of the first output, (N, ...) F32, heap (ck_tensor_free).
 * batch_size 0: CK_DEFAULT_BATCH_SIZE. */
ck_tensor *ck_predict(ck_model *m, const ck_tensor *x, int n_x, int batch_size);
/* Predictions of every output: out[o] gets output o's (N, ...) tensor
 * (heap; free each). 0, or -1 with nothing allocated. */
int ck_predict_outputs(ck_model *m, const ck_tensor *x, int n_x, int batch_size, ck_tensor **out);

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

/* ---- whole models, as Keras's model.save / keras.models.load_model ---- */
/* Keras's model.to_json(): the architecture (the layer graph with each
 * layer's class, name, config and inbound connections, the model's inputs
 * and outputs) as JSON text (heap; free it). NULL (message) when a layer
 * cannot be saved (an unnamed Lambda). */
char *ck_model_to_json(const ck_model *m);
/* One safetensors file: the weights, as ck_save_weights writes them (numpy
 * and PyTorch read them), and in its "__metadata__" the architecture
 * (ck_model_to_json) under "model_config". Written atomically. Optimizer
 * state is not saved: compile the loaded model to train it. */
int ck_save_model(const ck_model *m, const char *path);
/* The same with n_meta more string entries in the file's __metadata__ (as
 * ck_save_weights_meta; not the model's own keys). */
int ck_save_model_meta(const ck_model *m, const char *path, const char *const *meta_keys,
                       const char *const *meta_values, int n_meta);
/* Rebuilds a model saved by ck_save_model in a NEW session, with its
 * weights, ready to predict, or to compile and train. Lambda layers find
 * their functions by name in registry (Keras's custom_objects; may be NULL
 * when there are none). The file is checked before use: any damage, a
 * missing function or a weight that does not fit fails with a message and
 * returns NULL. Free the model with its session:
 *     ck_session_free(ck_model_session(m)); */
ck_model *ck_load_model(const char *path, const ck_registry *registry);

#include "ck_callbacks.h"

#endif
