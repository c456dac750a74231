/* ck_model_internal.h - what the models/ source files share (not
 * installed): the Model's compiled form, the loss, metric and optimizer
 * tables, batching and the progress bar. */
#ifndef CK_MODEL_INTERNAL_H
#define CK_MODEL_INTERNAL_H

#include <stdint.h>

#include "ck_layers_internal.h"
#include "ck_model.h"

/* ---- the compiled graph ---- */

/* One layer call of the model, in topological order. Values live in slots:
 * slot i holds this step's value (and mask) of the model's i-th tensor. */
typedef struct ck_step {
    ck_layer *layer;
    int n_in;
    int *in_slots;
    int out_slot;
} ck_step;

/* ---- losses (losses.c): the per-batch scalar loss on the tape ---- */
typedef struct ck_loss_spec {
    const char *name;  /* Keras's function name: "mean_squared_error" */
    const char *alias; /* "mse", or NULL */
    /* y_true and y_pred have the same shape: () mean over the batch */
    ck_node *(*build)(ck_tape *t, ck_node *y_true, ck_node *y_pred);
    /* optional: the same batch mean computed in double by the kernel the
     * op calls, for reported values (validation loss, metrics) */
    double (*mean)(const ck_node *y_true, const ck_node *y_pred);
} ck_loss_spec;
/* The loss called `name` (Keras's names and aliases, case-insensitive as
 * Keras's get() accepts 'MSE'), or NULL. */
const ck_loss_spec *ck_loss_lookup(const char *name);
/* "mean_squared_error, mse, ..." for error messages. */
void ck_loss_names(char *buf, size_t n);

/* ---- metrics (metrics.c): per-batch values, averaged over samples ---- */
typedef struct ck_metric_spec {
    const char *name;      /* logged name: "mae" */
    const char *long_name; /* Keras's function name: "mean_absolute_error" */
    /* this batch's mean (y_true, y_pred: same shape) */
    double (*batch_value)(ck_tape *t, ck_node *y_true, ck_node *y_pred);
} ck_metric_spec;
const ck_metric_spec *ck_metric_lookup(const char *name);
void ck_metric_names(char *buf, size_t n);

/* ---- optimizers (optimizers.c) ---- */
typedef struct ck_optimizer_class {
    const char *name; /* Keras's class name */
    int n_slots;      /* state arrays per weight: Adam m and v, SGD velocity */
    /* once per step before the weights (Adam's bias-corrected step size) */
    void (*begin_step)(ck_optimizer *o);
    /* update w (n) from its gradient g, consuming g (zeroing it) */
    void (*update)(const ck_optimizer *o, float *w, float *g, float *const *slots, int64_t n);
} ck_optimizer_class;

#define CK_OPTIMIZER_MAX_SLOTS 2

struct ck_optimizer {
    const ck_optimizer_class *cls;
    float learning_rate;
    union {
        struct {
            float beta_1, beta_2, epsilon, lr_t;
        } adam; /* lr_t: this step's */
        struct {
            float momentum;
        } sgd;
    } cfg;
    long iterations; /* steps taken: Adam's t */
    int n_weights;
    float **slots; /* n_weights * cls->n_slots arrays, zeroed at compile */
};
/* Make the per-weight state for params (n of them). -1 (message) on failure. */
int ck_optimizer_attach(ck_optimizer *o, ck_node *const *params, int n);
/* One update of every parameter with a gradient. */
void ck_optimizer_apply(ck_optimizer *o, ck_node *const *params);

/* ---- the model ---- */
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
    ck_node **params;
    float *l2; /* per parameter: the layer's l2 factor on it, or 0 */
    long n_param_values;

    ck_tape *tape;
    ck_rng rng; /* shuffles and Dropout */

    /* compile */
    int compiled;
    const ck_loss_spec *loss;
    ck_optimizer *opt;
    int n_metrics;
    const ck_metric_spec *metrics[CK_MAX_METRICS];
    const char *metric_names[CK_MAX_METRICS];
    char *val_metric_names[CK_MAX_METRICS]; /* "val_" + name */

    /* fit */
    int stop_training;
    int has_validation; /* this fit has validation data: val_* keys exist */
};

/* Run the model's calls on the values bound to its input slots. */
int ck_model_forward(ck_model *m, int training);
/* Run call i (of m->n_steps, in order) on the values in its input slots,
 * recording on tape t; its value and mask go to its output slot. */
int ck_model_run_step(ck_model *m, ck_tape *t, int i, int training);

/* ---- batching (batching.c): checking (x, y) and binding batches ---- */
/* Check x (n_x tensors) and y (may be NULL) against the model; *n_samples
 * gets the sample count. `who` names the caller in messages. */
int ck_check_data(const ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, const char *who,
                  int64_t *n_samples);
/* Bind rows [start, start + count) of x (or rows idx[start..], gathered
 * into tape memory, for a shuffled epoch) to the model's input slots. */
int ck_bind_inputs(ck_model *m, const ck_tensor *x, const int64_t *idx, int64_t start, int64_t count);
/* The same rows of y, shaped like the prediction pred. */
ck_node *ck_bind_targets(ck_model *m, const ck_tensor *y, const int64_t *idx, int64_t start, int64_t count,
                         const ck_node *pred);
/* The batch's loss node (the compiled loss, grad as the tape has it) and
 * the metric values (with gradients off). */
ck_node *ck_batch_loss(ck_model *m, ck_node *target, ck_node *pred, double *metrics);
/* Keras's kernel_regularizer l2: sum of factor * sum(w^2) over the model's
 * l2-regularised weights; add_gradient: also add 2 factor w to each grad. */
double ck_l2_penalty(const ck_model *m, int add_gradient);
/* Loss and metrics over n samples in batches, without gradients: each
 * batch's mean weighted by its sample count. */
int ck_evaluate_data(ck_model *m, const ck_tensor *x, const ck_tensor *y, int64_t n, int batch_size, double *loss,
                     double *metrics);

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
