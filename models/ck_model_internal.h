/* ck_model_internal.h - what the models/ source files share (not
 * installed): the Model's compiled form, the loss, metric and optimizer
 * tables, batching and the progress bar. */
#ifndef CK_MODEL_INTERNAL_H
#define CK_MODEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ck_kernels.h"

#include "ck_layers_internal.h"
#include "ck_model.h"
#include "ck_safetensors.h"

/* ---- the compiled graph ---- */

/* One layer call of the model, in topological order. Values live in slots:
 * slot i holds this step's value (and mask) of the model's i-th tensor. */
typedef struct ck_step {
    ck_layer *layer;
    int n_in;
    int *in_slots;
    int out_slot;
    int trainable; /* the layer's trainable flag at the last compile */
} ck_step;

/* ---- losses (losses.c, losses_crossentropy.c): the loss table ---- */
enum {
    CK_LOSS_SPARSE = 1u << 0,       /* targets are class ids: one per row of C values */
    CK_LOSS_BINARY_CE = 1u << 1,    /* binary crossentropy ("accuracy" is then binary) */
    CK_LOSS_CROSSENTROPY = 1u << 2, /* takes from_logits and (unless sparse) label_smoothing */
    CK_LOSS_DELTA = 1u << 3,        /* takes a delta (huber) */
};
typedef struct ck_loss_spec {
    const char *name;       /* Keras's function name: "mean_squared_error" */
    const char *aliases[3]; /* the other names Keras's get() accepts: "mse", "MeanSquaredError" */
    unsigned flags;         /* CK_LOSS_* */
    /* Keras's loss function: per-sample losses (B, ...), y_pred (B, ..., C)
     * reduced over its last axis (a mean; a sum for the categorical
     * crossentropies and KL); y_true in y_pred's shape, or (B, ...) class
     * ids for a sparse loss */
    ck_node *(*per_sample)(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg);
    /* optional: the unweighted mean over every value as one op (mse: the op
     * the FM has always trained with) */
    ck_node *(*batch_mean)(ck_tape *t, ck_node *y_true, ck_node *y_pred);
    /* optional: that mean in double by the kernel the op calls, for the
     * reported validation and evaluate losses */
    double (*mean)(const ck_node *y_true, const ck_node *y_pred);
} ck_loss_spec;
/* The loss called `name` (Keras's names, aliases and class names,
 * case-insensitive as Keras's get() accepts 'MSE'), or NULL. */
const ck_loss_spec *ck_loss_lookup(const char *name);
/* "mean_squared_error, mse, ..." for error messages. */
void ck_loss_names(char *buf, size_t n);
/* loss(y_true, y_pred) reduced as Keras (SUM_OVER_BATCH_SIZE with the
 * optional (B,) weights): spec's, or cfg->fn's when spec is NULL. */
ck_node *ck_loss_reduced(ck_tape *t, const ck_loss_spec *spec, const ck_loss *cfg, ck_node *y_true, ck_node *y_pred,
                         ck_node *weights);
/* Shared by the loss files: a () constant of tape memory. */
ck_node *ck_loss_constant(ck_tape *t, float value);
/* The per-sample mean over the last axis (a rank-1 value stays as is). */
ck_node *ck_loss_mean_last(ck_tape *t, ck_node *x);
/* Class ids (B, ...) -> one-hot (B, ..., n_classes) F32 constant; NULL
 * (message naming the sample) for an id out of range. */
ck_node *ck_loss_one_hot(ck_tape *t, ck_node *ids, int n_classes);
/* the losses' per-sample functions: losses_regression.c */
ck_node *ck_mean_squared_error(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg);
ck_node *ck_mean_absolute_error(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg);
ck_node *ck_mean_absolute_percentage_error(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg);
ck_node *ck_mean_squared_logarithmic_error(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg);
ck_node *ck_huber(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg);
ck_node *ck_log_cosh(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg);
ck_node *ck_hinge(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg);
ck_node *ck_squared_hinge(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg);
/* and losses_crossentropy.c */
ck_node *ck_binary_crossentropy(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg);
ck_node *ck_categorical_crossentropy(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg);
ck_node *ck_sparse_categorical_crossentropy(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg);
ck_node *ck_kl_divergence(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg);
ck_node *ck_poisson(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg);

/* ---- metrics (metrics.c, metrics_state.c, metrics_auc.c) ---- */
typedef enum ck_metric_kind {
    CK_METRIC_MEAN,             /* mean over samples of a per-row value */
    CK_METRIC_RMSE,             /* sqrt of the mean squared error */
    CK_METRIC_AUC,              /* exact ROC AUC over the epoch */
    CK_METRIC_AUTO_ACCURACY,    /* "accuracy": binary / categorical / sparse, resolved at fit */
    CK_METRIC_AUTO_CROSSENTROPY /* "crossentropy": the loss resolved the same way */
} ck_metric_kind;
enum { CK_METRIC_SPARSE = 1u << 0 }; /* targets are class ids */
typedef struct ck_metric_spec {
    const char *name;       /* Keras's name, logged when given a class name */
    const char *aliases[2]; /* other names accepted and logged as given */
    const char *class_name; /* "AUC": accepted, logs `name` */
    ck_metric_kind kind;
    unsigned flags;
    /* CK_METRIC_MEAN / RMSE: the value of one row of the last axis: y_pred
     * (width values), y_true (width values, or 1 class id for sparse) */
    double (*row)(const float *y_true, const float *y_pred, int64_t width, const ck_metric *cfg);
} ck_metric_spec;
/* The metric called `name` (case-insensitive), or NULL. (A loss's name is
 * a metric too: compile keeps the loss spec in the metric's slot, and a
 * user metric its function; neither has a spec here.) */
const ck_metric_spec *ck_metric_lookup(const char *name);
void ck_metric_names(char *buf, size_t n);
/* the accuracy specs "accuracy" resolves to */
extern const ck_metric_spec ck_binary_accuracy_spec, ck_categorical_accuracy_spec, ck_sparse_accuracy_spec;

/* One prediction kept for AUC. */
typedef struct ck_auc_point {
    float score, weight;
    int positive;
} ck_auc_point;
/* A metric's running state over an epoch (or an evaluate call). */
typedef struct ck_metric_state {
    double total, count;   /* weighted sum of values, sum of weights */
    ck_auc_point *points;  /* AUC: every prediction so far; allocated per fit */
    int64_t n_points, cap; /* points used / allocated */
} ck_metric_state;
/* The exact weighted ROC AUC of n points (sorts them); 0 when one class
 * has no weight (as Keras). */
double ck_auc_exact(ck_auc_point *points, int64_t n);

/* ---- the compiled losses and metrics (compile.c) ---- */
/* Free what compile made (model_free calls it). */
void ck_compile_free(ck_model *m);
typedef struct ck_output_loss {
    ck_loss cfg;              /* as given (its name pointer is not kept) */
    const ck_loss_spec *spec; /* NULL for a user loss (cfg.fn) */
    float weight;             /* loss_weights[o] */
    char *name, *val_name;    /* "<output>_loss", "val_<output>_loss" */
} ck_output_loss;
typedef struct ck_metric_slot {
    ck_metric cfg;                  /* k, threshold, fn, user (its strings are not kept) */
    const ck_metric_spec *spec;     /* as named; NULL for a loss or user metric */
    const ck_metric_spec *resolved; /* "accuracy" resolved for this fit's targets */
    const ck_loss_spec *loss;       /* a loss used as a metric */
    int output;
    char *name, *val_name; /* logged: "accuracy" / "out_accuracy", "val_" + it */
    ck_metric_state state;
} ck_metric_slot;
/* ---- optimizers (optimizers.c: what they share; optimizers_sgd.c: SGD,
 * RMSprop, Adagrad; optimizers_adam.c: Adam, AdamW, Adamax, Nadam) ---- */

/* The ck_optimizer_args switches a class accepts. */
enum { CK_OPT_NESTEROV = 1 << 0, CK_OPT_CENTERED = 1 << 1, CK_OPT_AMSGRAD = 1 << 2 };

typedef struct ck_optimizer_class {
    const char *name; /* Keras's class name */
    unsigned accepts; /* CK_OPT_* switches it understands */
    /* state arrays per weight for o's settings (Adam: m, v, and v_hat with
     * amsgrad) */
    int (*n_slots)(const ck_optimizer *o);
    /* once per step, after iterations += 1, before the weights (Adam's
     * bias-corrected step size); may be NULL */
    void (*begin_step)(ck_optimizer *o);
    /* update w (n) from its gradient g, consuming g (zeroing it); element
     * by element, so a span of a weight may be updated on its own (fit
     * splits the weights over its threads) */
    void (*update)(const ck_optimizer *o, float *w, float *g, float *const *slots, int64_t n);
} ck_optimizer_class;

#define CK_OPTIMIZER_MAX_SLOTS 3

struct ck_optimizer {
    const ck_optimizer_class *cls;
    float learning_rate;                                      /* this step's (with a schedule: schedule(step)) */
    ck_lr_schedule *schedule;                                 /* or NULL: learning_rate is a settable constant */
    unsigned switches;                                        /* CK_OPT_* that are on */
    float weight_decay, clipnorm, global_clipnorm, clipvalue; /* 0: off */
    union {
        struct {
            float beta_1, beta_2, epsilon, lr_t;
        } adam; /* lr_t: this step's (Adam, AdamW) */
        struct {
            float momentum;
        } sgd;
        struct {
            float rho, momentum, epsilon;
        } rmsprop;
        struct {
            float epsilon;
        } adagrad;
        struct {
            float beta_1, beta_2, epsilon, bias_correction;
        } adamax; /* bias_correction: this step's 1 - b1^t */
        struct {
            float beta_1, beta_2, epsilon;
            double u_product; /* u_1 ... u_t so far (1 before the first step) */
            ck_nadam_step step;
        } nadam;
    } cfg;
    float slot_init[CK_OPTIMIZER_MAX_SLOTS]; /* each state array's first value (Adagrad: 0.1) */
    long iterations;                         /* steps taken: Adam's t after the increment */
    int n_weights, n_slots;
    float **slots; /* n_weights * n_slots arrays, made at compile */
};
/* A zeroed optimizer of class cls (message and NULL when out of memory). */
ck_optimizer *ck_optimizer_new(const ck_optimizer_class *cls, float learning_rate);
/* Make the per-weight state for params (n of them). -1 (message) on failure. */
int ck_optimizer_attach(ck_optimizer *o, ck_node *const *params, int n);
/* One update of every parameter with a gradient: ck_optimizer_begin, then
 * ck_optimizer_update_span over each whole weight. */
void ck_optimizer_apply(ck_optimizer *o, ck_node *const *params);
/* A step's shared part, before any weight is updated: the scheduled
 * learning rate, the clipping (which reads every gradient), the weight
 * decay, the step count, the class's per-step constants. */
void ck_optimizer_begin(ck_optimizer *o, ck_node *const *params);
/* Whether ck_optimizer_begin reads the gradients (clipping): then every
 * gradient must be complete before it, not only the span updated next. */
int ck_optimizer_reads_gradients(const ck_optimizer *o);
/* The update of elements [begin, end) of weight i (of params, as attached),
 * after ck_optimizer_begin: spans of the weights may be updated in any
 * order or on different threads, with the same result. */
void ck_optimizer_update_span(const ck_optimizer *o, ck_node *const *params, int i, int64_t begin, int64_t end);
/* The shortest decimal form that reads back as the same value, as Python
 * prints it: of a float32 (numpy's "0.001") when as_float, else of v. */
void ck_format_shortest(double v, int as_float, char *buf, size_t n);

/* ---- the model ---- */

/* Where one forward and backward pass keeps its nodes: a tape, and this
 * pass's value (and mask) of each of the model's tensors. The model's own
 * fields are one (ck_model_main_worker); a step run in row tiles
 * (train_step.c) has one per thread, each with a copy of every parameter
 * whose gradient is its own (but the first worker's, which are the
 * parameters themselves). */
typedef struct ck_worker {
    ck_tape *tape;
    ck_node **values, **masks;       /* per slot */
    ck_node **call_in, **call_masks; /* gathered inputs of one call */
    ck_rng *rng;                     /* Dropout's */
    ck_node **shadows;               /* per parameter, or NULL: the parameters */
    int failed;                      /* its last tiles failed: message holds why */
    char message[256];
} ck_worker;

struct ck_model {
    ck_session *session;
    char *name;
    int n_in, n_out;
    ck_sym **inputs, **outputs;

    int n_slots;
    ck_sym **slot_syms; /* the model's tensors, topologically sorted */
    int n_steps;
    ck_step *steps;
    int *input_slots, *output_slots;
    ck_node **values, **masks;       /* per slot, this step */
    ck_node **call_in, **call_masks; /* gathered inputs of one call */

    int n_layers;
    ck_layer **layers; /* Keras's model.layers order */

    int n_params;
    ck_node **params; /* every weight, trainable or not (saved, loaded, counted) */
    long n_param_values;
    /* set by compile (trainable.c), Keras's rule: changes of a layer's
     * trainable flag take effect at the next compile */
    ck_regularizer *regularizers;   /* per parameter */
    unsigned char *param_trainable; /* per parameter */
    int n_train_params;
    ck_node **train_params; /* the ones the optimizer updates */

    ck_tape *tape;
    ck_rng rng; /* shuffles and Dropout */

    /* compile */
    int compiled;
    ck_optimizer *opt;
    ck_output_loss losses[CK_MAX_OUTPUTS]; /* n_out of them */
    int n_metrics;
    ck_metric_slot metrics[CK_MAX_METRICS];
    int n_names; /* model.metrics_names: "loss", per-output losses, metrics */
    const char *names[1 + CK_MAX_OUTPUTS + CK_MAX_METRICS];

    /* this step: each output's targets, bound by ck_batch_losses */
    ck_node *targets[CK_MAX_OUTPUTS];
    const float *batch_weights; /* (count) or NULL */

    /* fit */
    int stop_training;
    int has_validation; /* this fit has validation data: val_* keys exist */

    /* training steps in row tiles (train_step.c) */
    int tile_rows;    /* rows per tile, a power of two; 0: whole batches */
    int no_fusion;    /* ck_model_set_fusion(m, 0): tiles' tapes do not fuse */
    int rows_checked; /* this fit's first step checked the model... */
    int rows_apart;   /* ... and found its rows independent: tiles allowed */
    int n_workers;    /* workers made so far, one per thread */
    ck_worker *workers;
};

/* Run the model's calls on the values bound to its input slots. */
int ck_model_forward(ck_model *m, int training);
/* Run call i (of m->n_steps, in order) on the values in the model's own
 * input slots, recording on tape t; its value and mask go to its output
 * slot (ONNX tracing). */
int ck_model_run_step(ck_model *m, ck_tape *t, int i, int training);
/* Run every call on worker w's tape and slots. */
int ck_model_run(ck_model *m, ck_worker *w, int training);
/* The model's own tape and slots, as a worker. */
ck_worker ck_model_main_worker(ck_model *m);

/* ---- data (batching.c, fit_data.c): checking (x, y) and binding batches ---- */
/* Data to fit on or evaluate: n_in inputs, n_out targets, optional
 * per-sample weights. */
typedef struct ck_data {
    const ck_tensor *x, *y;
    const float *weights; /* (n) or NULL */
    int64_t n;
} ck_data;
/* fit's data after its checks: training and validation parts (views),
 * the training weights. */
typedef struct ck_fit_data {
    ck_data train, val;
    int has_val;
    ck_tensor *views; /* validation_split: the parts' tensors (heap) */
    float *weights;   /* sample_weight times class_weight (heap), or NULL */
} ck_fit_data;
int ck_fit_data_prepare(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, const ck_fit_args *a,
                        ck_fit_data *fd);
void ck_fit_data_free(ck_fit_data *fd);
/* Check x (n_x tensors) against the model's inputs; *n_samples gets the
 * sample count. `who` names the caller in messages. */
int ck_check_inputs(const ck_model *m, const ck_tensor *x, int n_x, const char *who, int64_t *n_samples);
/* Check y (n_out tensors of n samples) against the outputs and their
 * losses (class ids in range for sparse ones). */
int ck_check_targets(const ck_model *m, const ck_tensor *y, int64_t n, const char *who);
/* Whether y holds class ids for output o (int32, or one value per row of
 * the output's last axis). */
int ck_target_is_ids(const ck_model *m, int o, const ck_tensor *y);
/* Check (n,) sample weights: F32, finite. */
int ck_check_weights(const ck_tensor *w, int64_t n, const char *who);
/* Resolve "accuracy" for these targets and check each metric can read
 * them. */
int ck_metrics_prepare(ck_model *m, const ck_tensor *y, const char *who);
/* Values per sample (per row) of a data tensor (x, y): the product of its
 * dims after the first. */
int64_t ck_values_per_sample(const ck_tensor *t);
/* Columns for count rows of every column of d (inputs, targets, weights)
 * on tape, not filled yet. -1 when out of memory. */
int ck_batch_columns(ck_model *m, ck_tape *tape, const ck_data *d, int64_t count, ck_data *out);
/* Rows [first, first + n) of a shuffled batch whose rows are d's rows
 * idx[0..], gathered into the columns `to` (ck_batch_columns). */
void ck_gather_batch_rows(const ck_model *m, const ck_data *d, const int64_t *idx, int64_t first, int64_t n,
                          ck_data *to);
/* Bind rows [start, start + count) of x (or rows idx[start..], gathered
 * into tape memory, for a shuffled epoch) to the model's input slots. */
int ck_bind_inputs(ck_model *m, const ck_tensor *x, const int64_t *idx, int64_t start, int64_t count);
/* The same, to worker w's slots (on its tape). */
int ck_bind_inputs_to(ck_model *m, ck_worker *w, const ck_tensor *x, const int64_t *idx, int64_t start, int64_t count);
/* The same rows of y on tape t, shaped for the loss: like the prediction
 * pred, or (count, ...) class ids for a sparse loss. */
ck_node *ck_bind_targets(const ck_model *m, ck_tape *t, int output, const ck_tensor *y, const int64_t *idx,
                         int64_t start, int64_t count, const ck_node *pred);
/* The same rows of a weights array (count floats, on tape t when
 * gathered), or NULL if w is NULL. */
const float *ck_bind_weights(ck_tape *t, const float *w, const int64_t *idx, int64_t start, int64_t count);

/* ---- fit's training rows packed for shuffled epochs (packed_rows.c) ----
 * Every column's value of a row side by side, each column in the narrowest
 * type that holds all its values exactly; shuffled in place each epoch
 * (ck_rng_shuffle_rows), so a batch is a run of neighbouring rows. */
struct ck_packed_column;
typedef struct ck_packed_rows {
    unsigned char *rows; /* (n, stride) bytes */
    int64_t n;
    int stride; /* bytes per row, a multiple of 4 */
    int n_cols; /* inputs, targets, then the weights if any */
    struct ck_packed_column *cols;
    ck_tensor *x;  /* a batch's columns: the inputs, then the targets (batch.y) */
    ck_data batch; /* a batch unpacked (ck_packed_rows_batch) */
    float *storage;
} ck_packed_rows;
/* Pack d's rows, with room to unpack batches of up to batch_size rows.
 * Returns 1 when packed, 0 when the rows are too wide to be worth it (p
 * left empty: gather by index), -1 on error (out of memory). */
int ck_packed_rows_build(const ck_model *m, const ck_data *d, int64_t batch_size, ck_packed_rows *p);
/* Rows [start, start + count) as columns of 32-bit values (valid until the
 * next call). */
const ck_data *ck_packed_rows_batch(ck_packed_rows *p, int64_t start, int64_t count);
void ck_packed_rows_free(ck_packed_rows *p);

/* ---- a training step (train_step.c) ---- */
/* One step on rows [start, start + count) (idx[start..] when shuffled):
 * forward, loss, backward, the optimizer's update and the metrics. The
 * whole batch at once, or in row tiles (m->tile_rows) on ck_get_num_threads()
 * workers once the fit's first step has checked that the model keeps rows
 * independent. *loss gets the batch's loss as reported, reported[o] each
 * output's. */
int ck_train_step(ck_model *m, const ck_data *d, const int64_t *idx, int64_t start, int64_t count, double *loss,
                  double *reported);
/* Free the workers (model_free). */
void ck_workers_free(ck_model *m);

/* ---- a batch (evaluate.c) ---- */
/* With inputs bound and the forward run: bind the batch's targets and
 * weights, build every output's loss on the tape and return the total
 * sum(loss_weights[o] * loss[o]) (NULL on error). reported[o] gets output
 * o's loss as reported: in double by the loss's kernel when it has one and
 * `precise` is set and there are no weights, else the node's value. */
ck_node *ck_batch_losses(ck_model *m, const ck_data *d, const int64_t *idx, int64_t start, int64_t count, int precise,
                         double *reported);
/* The total loss of rows [start, start + count) on worker w's tape, from
 * its outputs' values, with nothing kept in m (for a tile of a batch). */
ck_node *ck_worker_losses(const ck_model *m, ck_worker *w, const ck_data *d, const int64_t *idx, int64_t start,
                          int64_t count);
/* ---- what fit logs (fit.c) ---- */
/* The keys an epoch logs besides loss and val_loss, in Keras's order: the
 * outputs' losses (with several outputs), then the metrics; key k, or its
 * val_ twin. */
int ck_model_n_log_keys(const ck_model *m);
const char *ck_model_log_key(const ck_model *m, int k, int val);

/* ---- trainable weights and regularizers (trainable.c) ---- */
/* compile: snapshot each layer's trainable flag and regularizers, list the
 * weights the optimizer updates. -1 (message) when out of memory. */
int ck_model_collect_trainable(ck_model *m);
/* fit: give the compiled trainable weights a gradient and take it from the
 * frozen ones (so backward does no work for them; layers may be shared
 * with a model compiled differently). */
int ck_model_apply_trainable(ck_model *m);
/* Keras's regularization losses: the sum over the model's regularised
 * weights of l1 sum|w| + l2 sum(w^2); add_gradient: also add
 * l1 sign(w) + 2 l2 w to the gradient of each weight that has one. */
double ck_regularization_penalty(const ck_model *m, int add_gradient);
/* Loss, per-output losses and metrics over d in batches, without
 * gradients, in metrics_names order: each batch's loss weighted by its
 * sample count, metrics by sample weights. */
int ck_evaluate_data(ck_model *m, const ck_data *d, int batch_size, double *out);

/* ---- metric states (metrics_state.c) ---- */
/* Make room for rows samples of AUC points in every AUC metric: once per
 * fit (or evaluate). */
int ck_metrics_reserve(ck_model *m, int64_t rows);
void ck_metrics_reset(ck_model *m);
/* Add this batch (m->targets, the outputs' values, m->batch_weights). */
int ck_metrics_update(ck_model *m, int64_t count);
/* The metrics' results, in slot order. */
void ck_metrics_results(const ck_model *m, double *out);
void ck_metrics_free(ck_model *m);

/* ---- weights files (weights_io.c); whole models (model_save.c, model_load.c) ---- */
/* The "__metadata__" entries of a whole-model file: the architecture JSON
 * (ck_model_to_json) and the session's seed in decimal. */
#define CK_MODEL_CONFIG_KEY "model_config"
#define CK_MODEL_SEED_KEY "ckeras_seed"
/* All weights to path, with n_meta "__metadata__" entries; who names the
 * caller in messages ("save_model"). */
int ck_model_save_tensors(const ck_model *m, const char *path, const char *const *meta_keys,
                          const char *const *meta_values, int n_meta, const char *who);
/* Every weight from st, after checking that st holds exactly the model's
 * weights with their shapes; nothing is changed on error. */
int ck_model_load_tensors(ck_model *m, const ck_safetensors *st, const char *path, const char *who);

/* ---- progress bar (progbar.c): Keras's Progbar ---- */
typedef struct ck_progbar {
    int on, tty;        /* printing at all; to a terminal */
    int has_validation; /* print val_loss and val_ metrics */
    int64_t total;      /* batches per epoch */
    double start, last_draw;
} ck_progbar;
double ck_now_seconds(void);
void ck_progbar_start(ck_progbar *p, int epoch, int epochs);
void ck_progbar_update(ck_progbar *p, int64_t done, double loss);
void ck_progbar_end(const ck_progbar *p, const ck_epoch_log *log);

#endif
