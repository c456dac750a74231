/* ck_model_internal.h - the Model's compiled form, shared by the models/
 * source files (not installed). */
#ifndef CK_MODEL_INTERNAL_H
#define CK_MODEL_INTERNAL_H

#include "ck_layers_internal.h"
#include "ck_model.h"

/* One layer call of the model, in topological order. Values live in slots:
 * slot i holds this step's value (and mask) of the model's i-th tensor. */
typedef struct ck_step {
    ck_layer *layer;
    int n_in;
    int *in_slots;
    int out_slot;
} ck_step;

typedef enum ck_optimizer_kind { CK_OPT_ADAM, CK_OPT_SGD } ck_optimizer_kind;

struct ck_optimizer {
    ck_optimizer_kind kind;
    float learning_rate, beta_1, beta_2, epsilon, momentum;
    long iterations;          /* steps taken: Adam's t */
    int n;                    /* parameter tensors */
    float **m, **v;           /* Adam moments / SGD velocity (m), per parameter */
};

typedef enum ck_metric_kind { CK_METRIC_MAE, CK_METRIC_MSE } ck_metric_kind;

#define CK_MAX_METRICS 4

struct ck_model {
    ck_session *session;
    char *name;
    int n_in, n_out;
    ck_sym **inputs, **outputs;

    int n_slots;
    ck_sym **slot_syms;       /* the model's tensors, topologically sorted */
    int n_steps;
    ck_step *steps;
    int *input_slots, *output_slots;
    ck_node **values, **masks;        /* per slot, this step */
    ck_node **call_in, **call_masks;  /* gathered inputs of one call */

    int n_layers;
    ck_layer **layers;        /* Keras's model.layers order */

    int n_params;
    ck_node **params;
    float *l2;                /* per parameter: the layer's l2 factor on it, or 0 */
    long n_param_values;

    ck_tape *tape;
    ck_rng rng;               /* shuffles and Dropout */

    int compiled;
    ck_optimizer *opt;
    int n_metrics;
    ck_metric_kind metrics[CK_MAX_METRICS];
    const char *metric_names[CK_MAX_METRICS];
    int stop_training;
    int has_validation;       /* this fit has validation data: val_* keys exist */
};

/* Run the model's calls on the values bound to its input slots. */
int ck_model_forward(ck_model *m, int training);

#endif
