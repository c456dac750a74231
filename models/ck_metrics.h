/* ck_metrics.h - metrics, as keras.metrics: by Keras name, the metric
 * classes with their options, and your own metric.
 *
 * compile takes names ({"accuracy", "auc"}) or, through ck_compile_ex,
 * ck_metric values ({.name = "accuracy"}, ck_AUC(), ck_TopKCategoricalAccuracy(3),
 * ck_custom_metric(fn, user, "my_metric")). Fit logs each as its name and
 * "val_" + name; with several outputs as "<output layer>_<name>".
 *
 * Metrics are reported, never differentiated. A metric that is a mean over
 * samples (accuracies, mae, mse, losses used as metrics, user metrics) is
 * averaged over every sample of the epoch, each weighted by its sample
 * weight (1 without), as Keras's MeanMetricWrapper does; rmse is the square
 * root of that mean for the squared error; AUC is computed exactly over all
 * the epoch's predictions (see ck_AUC). */
#ifndef CK_METRICS_H
#define CK_METRICS_H

#include "ck_losses.h"

typedef struct ck_metric {
    /* A Keras name, any case: "accuracy" / "acc" (binary, categorical or
     * sparse accuracy, chosen as Keras chooses: from the loss, the output's
     * and the targets' shapes), "binary_accuracy", "categorical_accuracy",
     * "sparse_categorical_accuracy", "top_k_categorical_accuracy",
     * "sparse_top_k_categorical_accuracy", "mae", "mse", "rmse", "auc", any
     * loss name ("binary_crossentropy", "crossentropy" / "ce" chosen like
     * accuracy), or a class name ("AUC", "RootMeanSquaredError"). Logged as
     * given, except class names, which log their Keras default name ("AUC"
     * -> "auc"). With fn: the logged name (NULL: "custom_metric"). */
    const char *name;
    int k;           /* top_k: 0 means Keras's 5 */
    float threshold; /* binary_accuracy, when has_threshold (else 0.5) */
    int has_threshold;
    /* A user metric: fn builds per-sample values (B, ...) (averaged with the
     * sample weights) or the batch's mean () (averaged by batch size) on the
     * tape, with gradients off. A ck_loss_fn, so a user loss can be a metric. */
    ck_loss_fn fn;
    void *user;
    /* Only for this output (its layer name), as Keras's metrics={'out': [...]};
     * NULL: every output. */
    const char *output;
} ck_metric;

/* keras.metrics.AUC(curve='ROC'), logged "auc": the EXACT area under the ROC
 * curve over every prediction of the epoch (all of the validation set),
 * ties counted as half, weighted by the sample weights. Keras's AUC
 * approximates it with 200 fixed thresholds (scores that fall between two
 * thresholds count as ties, and scores must lie in [0, 1]); this one ranks
 * the scores themselves (any real values, logits too), as sklearn's
 * roc_auc_score does, at the cost of keeping the epoch's predictions (one
 * buffer per fit). Targets are positive when nonzero. With only one class
 * in the data the area is undefined: 0, as Keras gives. */
ck_metric ck_AUC(void);
ck_metric ck_BinaryAccuracy(float threshold);
ck_metric ck_CategoricalAccuracy(void);
ck_metric ck_SparseCategoricalAccuracy(void);
/* The target's class is among the k highest predictions (ties at the
 * boundary count as in, as tf.nn.in_top_k). k <= 0: 5. */
ck_metric ck_TopKCategoricalAccuracy(int k);
ck_metric ck_SparseTopKCategoricalAccuracy(int k);
ck_metric ck_RootMeanSquaredError(void);
/* A user metric (see the fn field). */
ck_metric ck_custom_metric(ck_loss_fn fn, void *user, const char *name);

#endif
