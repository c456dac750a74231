/* metrics.c - the metrics compile accepts. A metric gives one value per
 * batch (a mean over its elements); fit and evaluate average them over the
 * samples, weighting each batch by its size, as Keras's Mean does. */
#include <math.h>
#include <stdio.h>
#include <strings.h>

#include "ck_model_internal.h"

/* mean(|y_pred - y_true|), accumulated in double */
static double mean_absolute_error(ck_tape *t, ck_node *y_true, ck_node *y_pred)
{
    (void)t;
    const float *pred = y_pred->value.f, *target = y_true->value.f;
    int64_t n = y_pred->value.size;
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += fabs((double)pred[i] - (double)target[i]);
    return n > 0 ? sum / (double)n : NAN;
}

/* the mse loss's own formula (ck_k_mean_squared_error, as the op) */
static double mean_squared_error(ck_tape *t, ck_node *y_true, ck_node *y_pred)
{
    (void)t;
    return ck_loss_lookup("mse")->mean(y_true, y_pred);
}

static const ck_metric_spec metrics[] = {
    {"mae", "mean_absolute_error", mean_absolute_error},
    {"mse", "mean_squared_error", mean_squared_error},
};
enum { N_METRICS = sizeof metrics / sizeof metrics[0] };

const ck_metric_spec *ck_metric_lookup(const char *name)
{
    if (!name) return NULL;
    for (int i = 0; i < N_METRICS; i++)
        if (!strcasecmp(name, metrics[i].name) || !strcasecmp(name, metrics[i].long_name)) return &metrics[i];
    return NULL;
}

void ck_metric_names(char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < N_METRICS && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s\"%s\"", i ? ", " : "", metrics[i].name);
}
