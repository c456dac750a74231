/* fm_objective.c - the objectives, L2, the schedule and the held-out rows
 * of the FM examples (see fm_objective.h). */
#include "fm_objective.h"

#include <math.h>
#include <string.h>

void fm_like_targets(float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = y[i] >= FM_LIKE_MIN_RATING ? 1.0f : 0.0f;
}

void fm_scale_occupation(ck_movielens *d, double scale)
{
    if (scale == 1.0) return; /* the notebook's data, bit for bit */
    for (int64_t r = 0; r < d->n; r++) d->occupation[r] *= (float)scale;
    for (int u = 0; u <= d->n_uid; u++) d->user_occupation[u] *= (float)scale;
}

fm_objective_spec fm_objective_for(const fm_options *o)
{
    if (o->objective == FM_OBJECTIVE_LIKE)
        /* A sigmoid output rather than logits with from_logits: the model's
         * output is then the like-probability itself, which recommend prints
         * and AUC and logloss read by their Keras names. The clipped
         * crossentropy only differs from the logits' one where the sigmoid
         * saturates (|logit| > 16), which these models never reach. */
        return (fm_objective_spec){
            .loss = "binary_crossentropy",
            .output_activation = "sigmoid",
            .metrics = {"auc", "binary_crossentropy"},
            .n_metrics = 2,
            .monitor = "val_auc",
            .score = "val_auc",
            .score_name = "val_auc",
            .second = "val_binary_crossentropy",
            .second_name = "logloss",
        };
    int l2 = o->l2_embeddings > 0 || o->l2_dense > 0;
    return (fm_objective_spec){
        .loss = "MSE",
        .metrics = {"mse"},
        .n_metrics = l2 ? 1 : 0,
        .monitor = l2 ? "val_mse" : "val_loss",
        .score = l2 ? "val_mse" : "val_loss",
        .score_name = "val_loss",
        .second_name = "RMSE",
    };
}

int fm_set_l2(ck_model *m, const fm_options *o)
{
    for (int i = 0; i < ck_model_n_layers(m); i++) {
        ck_layer *l = ck_model_layer(m, i);
        const char *type = ck_layer_type(l);
        double factor = !strcmp(type, "Embedding") ? o->l2_embeddings : !strcmp(type, "Dense") ? o->l2_dense : 0.0;
        if (factor > 0 && ck_layer_set_l2(l, (float)factor) < 0) return -1;
    }
    return 0;
}

ck_optimizer *fm_optimizer(const fm_options *o, int64_t n_train)
{
    long steps_per_epoch = (long)((n_train + o->batch - 1) / o->batch);
    ck_optimizer *adam = ck_Adam((float)o->lr);
    switch (o->lr_schedule) {
    case FM_LR_EXPONENTIAL:
        return ck_optimizer_with_schedule(adam,
                                          ck_ExponentialDecay((float)o->lr, steps_per_epoch, (float)o->lr_decay, 0));
    case FM_LR_COSINE:
        return ck_optimizer_with_schedule(adam, ck_CosineDecay((float)o->lr, steps_per_epoch * o->epochs, 0.0f));
    default: return adam;
    }
}

int fm_split_first_rows(ck_movielens *d, int64_t n_first, double val_fraction, uint32_t seed, ck_movielens_batch *train,
                        ck_movielens_batch *val)
{
    int64_t n_all = d->n;
    if (n_first < 0 || n_first > n_all)
        return ck_fail("split: %lld rows asked of %lld", (long long)n_first, (long long)n_all);
    d->n = n_first; /* the split sees only the first rows; the arrays are not resized */
    int rc = ck_movielens_split_rows(d, val_fraction, seed, train, val);
    d->n = n_all;
    return rc;
}

int fm_monitor_is_max(const char *monitor) { return strstr(monitor, "auc") || strstr(monitor, "acc"); }

int fm_better(const char *monitor, double a, double b) { return fm_monitor_is_max(monitor) ? a > b : a < b; }

int fm_best_epoch(const ck_model *m, const ck_history *h, const char *monitor)
{
    int best = -1, max_mode = fm_monitor_is_max(monitor);
    double best_value = 0;
    for (int e = 0; e < h->n_epochs; e++) {
        double v;
        if (ck_log_value(m, &h->epochs[e], monitor, &v) < 0) {
            ck_error_clear(); /* an epoch cut short by TerminateOnNaN logs no validation */
            continue;
        }
        if (isfinite(v) && (best < 0 || (max_mode ? v > best_value : v < best_value))) {
            best = e;
            best_value = v;
        }
    }
    return best;
}

double fm_evaluated(const ck_model *m, const double *out, const char *key)
{
    enum { MAX_NAMES = 1 + CK_MAX_OUTPUTS + CK_MAX_METRICS };
    const char *names[MAX_NAMES];
    int n = ck_model_metrics_names(m, names, MAX_NAMES);
    if (!strncmp(key, "val_", 4)) key += 4;
    for (int i = 0; i < n && i < MAX_NAMES; i++)
        if (!strcmp(names[i], key)) return out[i];
    return NAN;
}
