/* metrics.c - the metrics compile accepts, by Keras name, and the metric
 * classes. A mean metric gives one value per row of the last axis (a
 * sample's rows are averaged); fit and evaluate average them over the
 * samples with their weights (metrics_state.c), as Keras's
 * MeanMetricWrapper does. Formulas are Keras 2's (keras/metrics.py). */
#include <math.h>
#include <stdio.h>
#include <strings.h>

#include "ck_kernels.h"
#include "ck_model_internal.h"

enum { DEFAULT_TOP_K = 5 };
static const float DEFAULT_THRESHOLD = 0.5f;

/* ---- the metric classes ---- */

ck_metric ck_AUC(void) { return (ck_metric){.name = "AUC"}; }
ck_metric ck_BinaryAccuracy(float threshold)
{
    return (ck_metric){.name = "BinaryAccuracy", .threshold = threshold, .has_threshold = 1};
}
ck_metric ck_CategoricalAccuracy(void) { return (ck_metric){.name = "CategoricalAccuracy"}; }
ck_metric ck_SparseCategoricalAccuracy(void) { return (ck_metric){.name = "SparseCategoricalAccuracy"}; }
ck_metric ck_TopKCategoricalAccuracy(int k) { return (ck_metric){.name = "TopKCategoricalAccuracy", .k = k}; }
ck_metric ck_SparseTopKCategoricalAccuracy(int k)
{
    return (ck_metric){.name = "SparseTopKCategoricalAccuracy", .k = k};
}
ck_metric ck_RootMeanSquaredError(void) { return (ck_metric){.name = "RootMeanSquaredError"}; }
ck_metric ck_custom_metric(ck_loss_fn fn, void *user, const char *name)
{
    return (ck_metric){.name = name, .fn = fn, .user = user};
}

/* ---- row values ---- */

/* The index of the largest value, the first one on ties (as tf.argmax). */
static int64_t argmax(const float *v, int64_t n)
{
    int64_t best = 0;
    for (int64_t j = 1; j < n; j++)
        if (v[j] > v[best]) best = j;
    return best;
}

/* mean(|y_pred - y_true|), accumulated in double */
static double mean_absolute_error(const float *y_true, const float *y_pred, int64_t width, const ck_metric *cfg)
{
    (void)cfg;
    double sum = 0;
    for (int64_t j = 0; j < width; j++) sum += fabs((double)y_pred[j] - (double)y_true[j]);
    return sum / (double)width;
}

/* the mse loss's own formula (the kernel the mse op calls) */
static double mean_squared_error(const float *y_true, const float *y_pred, int64_t width, const ck_metric *cfg)
{
    (void)cfg;
    return ck_k_mean_squared_error(y_pred, y_true, width);
}

/* mean(y_true == (y_pred > threshold)) */
static double binary_accuracy(const float *y_true, const float *y_pred, int64_t width, const ck_metric *cfg)
{
    float threshold = cfg && cfg->has_threshold ? cfg->threshold : DEFAULT_THRESHOLD;
    int64_t hits = 0;
    for (int64_t j = 0; j < width; j++) hits += y_true[j] == (y_pred[j] > threshold ? 1.0f : 0.0f);
    return (double)hits / (double)width;
}

/* argmax(y_true) == argmax(y_pred) */
static double categorical_accuracy(const float *y_true, const float *y_pred, int64_t width, const ck_metric *cfg)
{
    (void)cfg;
    return argmax(y_true, width) == argmax(y_pred, width);
}

/* y_true (a class id) == argmax(y_pred) */
static double sparse_categorical_accuracy(const float *y_true, const float *y_pred, int64_t width, const ck_metric *cfg)
{
    (void)cfg;
    return (double)y_true[0] == (double)argmax(y_pred, width);
}

/* tf.nn.in_top_k: the target class's score is among the k largest, ties
 * at the boundary counting as in (fewer than k scores are strictly
 * larger); a non-finite score is never in. */
static double in_top_k(const float *y_pred, int64_t width, int64_t target, const ck_metric *cfg)
{
    int64_t k = cfg && cfg->k > 0 ? cfg->k : DEFAULT_TOP_K, larger = 0;
    if (target < 0 || target >= width || !isfinite(y_pred[target])) return 0.0;
    for (int64_t j = 0; j < width; j++) larger += y_pred[j] > y_pred[target];
    return larger < k;
}

static double top_k_categorical_accuracy(const float *y_true, const float *y_pred, int64_t width, const ck_metric *cfg)
{
    return in_top_k(y_pred, width, argmax(y_true, width), cfg);
}

static double sparse_top_k_categorical_accuracy(const float *y_true, const float *y_pred, int64_t width,
                                                const ck_metric *cfg)
{
    return in_top_k(y_pred, width, (int64_t)y_true[0], cfg);
}

/* ---- the table ---- */

const ck_metric_spec ck_binary_accuracy_spec = {"binary_accuracy", {NULL}, "BinaryAccuracy",
                                                CK_METRIC_MEAN,    0,      binary_accuracy};
const ck_metric_spec ck_categorical_accuracy_spec = {"categorical_accuracy", {NULL}, "CategoricalAccuracy",
                                                     CK_METRIC_MEAN,         0,      categorical_accuracy};
const ck_metric_spec ck_sparse_accuracy_spec = {
    "sparse_categorical_accuracy", {NULL}, "SparseCategoricalAccuracy", CK_METRIC_MEAN, CK_METRIC_SPARSE,
    sparse_categorical_accuracy};

static const ck_metric_spec metrics[] = {
    {"accuracy", {"acc"}, NULL, CK_METRIC_AUTO_ACCURACY, 0, NULL},
    {"top_k_categorical_accuracy", {NULL}, "TopKCategoricalAccuracy", CK_METRIC_MEAN, 0, top_k_categorical_accuracy},
    {"sparse_top_k_categorical_accuracy",
     {NULL},
     "SparseTopKCategoricalAccuracy",
     CK_METRIC_MEAN,
     CK_METRIC_SPARSE,
     sparse_top_k_categorical_accuracy},
    {"mean_absolute_error", {"mae"}, "MeanAbsoluteError", CK_METRIC_MEAN, 0, mean_absolute_error},
    {"mean_squared_error", {"mse"}, "MeanSquaredError", CK_METRIC_MEAN, 0, mean_squared_error},
    {"root_mean_squared_error", {"rmse"}, "RootMeanSquaredError", CK_METRIC_RMSE, 0, mean_squared_error},
    {"auc", {NULL}, "AUC", CK_METRIC_AUC, 0, NULL},
    {"crossentropy", {"ce"}, NULL, CK_METRIC_AUTO_CROSSENTROPY, 0, NULL},
};
enum { N_METRICS = sizeof metrics / sizeof metrics[0], N_ALIASES = sizeof metrics[0].aliases / sizeof(char *) };

static int matches(const ck_metric_spec *spec, const char *name)
{
    if (!strcasecmp(name, spec->name) || (spec->class_name && !strcasecmp(name, spec->class_name))) return 1;
    for (int a = 0; a < N_ALIASES; a++)
        if (spec->aliases[a] && !strcasecmp(name, spec->aliases[a])) return 1;
    return 0;
}

const ck_metric_spec *ck_metric_lookup(const char *name)
{
    static const ck_metric_spec *const accuracies[] = {&ck_binary_accuracy_spec, &ck_categorical_accuracy_spec,
                                                       &ck_sparse_accuracy_spec};
    if (!name) return NULL;
    for (int i = 0; i < N_METRICS; i++)
        if (matches(&metrics[i], name)) return &metrics[i];
    for (int i = 0; i < (int)(sizeof accuracies / sizeof *accuracies); i++)
        if (matches(accuracies[i], name)) return accuracies[i];
    return NULL;
}

void ck_metric_names(char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n,
                                   "\"accuracy\", \"binary_accuracy\", \"categorical_accuracy\", "
                                   "\"sparse_categorical_accuracy\"");
    for (int i = 1; i < N_METRICS && used < n; i++) {
        used += (size_t)snprintf(buf + used, n - used, ", \"%s\"", metrics[i].name);
        if (metrics[i].aliases[0] && used < n)
            used += (size_t)snprintf(buf + used, n - used, "/\"%s\"", metrics[i].aliases[0]);
    }
    if (used < n) snprintf(buf + used, n - used, ", any loss name, or a user metric");
}
