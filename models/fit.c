/* fit.c - Keras's model.fit: epochs of shuffled batches, each one training
 * step; then validation, the epoch's logs and the callbacks.
 *
 * A training step: reset the tape, bind the batch as constants (views into
 * the data, or rows gathered into tape memory when shuffled), run the
 * model's calls, the loss, backward, the optimizer's update. After the
 * first step the tape's arena is large enough, so steps do not call
 * malloc. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_model_internal.h"

void ck_model_stop_training(ck_model *m)
{
    if (m) m->stop_training = 1;
}
int ck_model_stop_requested(const ck_model *m) { return m ? m->stop_training : 0; }

static int train_step(ck_model *m, const ck_tensor *x, const ck_tensor *y, const int64_t *idx, int64_t start,
                      int64_t count, double *loss, double *metrics)
{
    ck_tape_reset(m->tape);
    if (ck_bind_inputs(m, x, idx, start, count) || ck_model_forward(m, 1)) return -1;
    ck_node *pred = m->values[m->output_slots[0]];
    ck_node *target = ck_bind_targets(m, y, idx, start, count, pred);
    ck_node *batch_loss = target ? ck_batch_loss(m, target, pred, metrics) : NULL;
    if (!batch_loss) return -1;
    /* The gradients are zero here: ck_fit zeroes them once, then every
     * optimizer update consumes (zeroes) them. */
    if (ck_backward(m->tape, batch_loss)) return -1;
    *loss = (double)batch_loss->value.f[0] + ck_regularization_penalty(m, 1);
    ck_optimizer_apply(m->opt, m->train_params);
    return 0;
}

static void shuffle(int64_t *idx, int64_t n, ck_rng *rng)
{
    /* Fisher-Yates */
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)ck_rng_below(rng, (uint32_t)(i + 1));
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

static int run_epoch_end(ck_callback *const *cbs, int n, ck_model *m, const ck_epoch_log *log)
{
    for (int i = 0; i < n; i++)
        if (cbs[i]->on_epoch_end && cbs[i]->on_epoch_end(cbs[i], m, log)) {
            if (!ck_error()) ck_fail("callback returned -1");
            ck_error_prefix("callback '%s': ", cbs[i]->name ? cbs[i]->name : "(unnamed)");
            return -1;
        }
    return 0;
}

static int check_fit_args(const ck_model *m, const ck_fit_args *args)
{
    if ((args->val_x == NULL) != (args->val_y == NULL)) return ck_fail("fit: give both val_x and val_y, or neither");
    if (args->n_callbacks < 0 || (args->n_callbacks > 0 && !args->callbacks))
        return ck_fail("fit: bad callbacks (%d)", args->n_callbacks);
    for (int i = 0; i < args->n_callbacks; i++)
        if (!args->callbacks[i]) return ck_fail("fit: callback %d is NULL", i);
    if (args->epochs < 0 || args->batch_size < 0)
        return ck_fail("fit: epochs = %d and batch_size = %d must be >= 1 (0 for the default)", args->epochs,
                       args->batch_size);
    (void)m;
    return 0;
}

/* A history whose logs will hold the compiled metrics' keys (names, then
 * val_ names), copied so the history outlives the model. */
static ck_history *history_new(const ck_model *m, int epochs)
{
    ck_history *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->epochs = calloc((size_t)epochs, sizeof(ck_epoch_log));
    size_t bytes = 1;
    for (int k = 0; k < m->n_metrics; k++) bytes += strlen(m->metric_names[k]) + strlen(m->val_metric_names[k]) + 2;
    h->key_storage_ = malloc(bytes);
    if (!h->epochs || !h->key_storage_) {
        ck_history_free(h);
        return NULL;
    }
    h->n_metrics = m->n_metrics;
    char *p = h->key_storage_;
    for (int k = 0; k < m->n_metrics; k++) {
        h->metric_names[k] = strcpy(p, m->metric_names[k]);
        p += strlen(p) + 1;
    }
    for (int k = 0; k < m->n_metrics; k++) {
        strcpy(p, m->val_metric_names[k]);
        p += strlen(p) + 1;
    }
    return h;
}

/* The epoch's logged values: metrics, then (with validation data) the
 * val_ metrics, as Keras orders its logs. */
static void log_metrics(const ck_model *m, const ck_history *h, ck_epoch_log *log, const double *metrics,
                        const double *val_metrics)
{
    const char *val_keys = h->key_storage_;
    for (int k = 0; k < m->n_metrics; k++) val_keys += strlen(val_keys) + 1;
    log->n_values = 0;
    for (int k = 0; k < m->n_metrics; k++) {
        log->keys[log->n_values] = h->metric_names[k];
        log->values[log->n_values++] = metrics[k];
    }
    if (!m->has_validation) return;
    for (int k = 0; k < m->n_metrics; k++, val_keys += strlen(val_keys) + 1) {
        log->keys[log->n_values] = val_keys;
        log->values[log->n_values++] = val_metrics[k];
    }
}

ck_history *ck_fit(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, const ck_fit_args *args)
{
    static const ck_fit_args defaults = {.epochs = 1, .batch_size = CK_DEFAULT_BATCH_SIZE, .shuffle = 1, .verbose = 1};
    if (!m) {
        ck_fail("fit: model is NULL");
        return NULL;
    }
    if (!args) args = &defaults;
    if (!m->compiled) {
        ck_fail("fit: model '%s' is not compiled; call ck_compile first", m->name);
        return NULL;
    }
    int64_t n, n_val = 0;
    if (!y) {
        ck_fail("fit: y is NULL");
        return NULL;
    }
    if (ck_check_data(m, x, n_x, y, "fit", &n) || check_fit_args(m, args)) return NULL;
    if (args->val_x && ck_check_data(m, args->val_x, m->n_in, args->val_y, "fit (validation data)", &n_val))
        return NULL;
    int epochs = args->epochs > 0 ? args->epochs : 1;
    int batch_size = args->batch_size > 0 ? args->batch_size : CK_DEFAULT_BATCH_SIZE;
    if (n > (int64_t)UINT32_MAX) {
        ck_fail("fit: too many samples");
        return NULL;
    }

    if (ck_model_apply_trainable(m)) return NULL;
    ck_history *h = history_new(m, epochs);
    int64_t *idx = args->shuffle ? malloc(sizeof(int64_t) * (size_t)n) : NULL;
    if (!h || (args->shuffle && !idx)) {
        ck_history_free(h);
        free(idx);
        ck_fail("fit: out of memory");
        return NULL;
    }
    if (idx)
        for (int64_t i = 0; i < n; i++) idx[i] = i;
    ck_zero_grad(m->params, m->n_params); /* from here on the optimizer updates keep them zeroed */
    m->stop_training = 0;
    m->has_validation = args->val_x != NULL;
    ck_callback *const *cbs = args->callbacks;
    int n_cbs = args->n_callbacks, rc = 0;
    for (int i = 0; i < n_cbs && !rc; i++)
        if (cbs[i]->on_train_begin && cbs[i]->on_train_begin(cbs[i], m)) rc = -1;

    int64_t n_batches = (n + batch_size - 1) / batch_size;
    ck_progbar bar = {.on = args->verbose > 0,
                      .tty = isatty(fileno(stdout)),
                      .has_validation = m->has_validation,
                      .total = n_batches};
    for (int epoch = 1; epoch <= epochs && !rc && !m->stop_training; epoch++) {
        ck_epoch_log *log = &h->epochs[h->n_epochs];
        memset(log, 0, sizeof *log);
        log->epoch = epoch;
        log->val_loss = NAN;
        ck_progbar_start(&bar, epoch, epochs);
        if (idx) shuffle(idx, n, &m->rng);

        double loss_sum = 0, metric_sum[CK_MAX_METRICS] = {0}, batch_metrics[CK_MAX_METRICS];
        double val_metrics[CK_MAX_METRICS], metrics[CK_MAX_METRICS];
        int64_t seen = 0, batch = 0;
        for (int64_t start = 0; start < n && !rc; start += batch_size, batch++) {
            int64_t count = n - start < batch_size ? n - start : batch_size;
            double loss;
            if (train_step(m, x, y, idx, start, count, &loss, batch_metrics)) {
                ck_error_prefix("fit: epoch %d, batch %lld: ", epoch, (long long)batch);
                rc = -1;
                break;
            }
            /* the epoch's loss: the mean over samples of the batch means */
            loss_sum += loss * (double)count;
            for (int k = 0; k < m->n_metrics; k++) metric_sum[k] += batch_metrics[k] * (double)count;
            seen += count;
            for (int i = 0; i < n_cbs && !rc; i++)
                if (cbs[i]->on_batch_end && cbs[i]->on_batch_end(cbs[i], m, (int)batch, loss)) rc = -1;
            ck_progbar_update(&bar, batch + 1, loss_sum / (double)seen);
            if (m->stop_training) break;
        }
        ck_tape_reset(m->tape);
        if (rc) break;
        log->loss = loss_sum / (double)seen;
        for (int k = 0; k < m->n_metrics; k++) metrics[k] = metric_sum[k] / (double)seen;
        log->train_seconds = ck_now_seconds() - bar.start;
        if (args->val_x &&
            ck_evaluate_data(m, args->val_x, args->val_y, n_val, batch_size, &log->val_loss, val_metrics)) {
            ck_error_prefix("fit: epoch %d, validation: ", epoch);
            rc = -1;
            break;
        }
        log_metrics(m, h, log, metrics, val_metrics);
        log->seconds = ck_now_seconds() - bar.start;
        h->n_epochs++;
        ck_progbar_end(&bar, log);
        if (run_epoch_end(cbs, n_cbs, m, log)) rc = -1;
        log->seconds = ck_now_seconds() - bar.start;
    }
    h->stopped_early = m->stop_training;
    for (int i = 0; i < n_cbs; i++)
        if (cbs[i]->on_train_end && cbs[i]->on_train_end(cbs[i], m) && !rc) rc = -1;
    free(idx);
    if (rc) {
        if (!ck_error()) ck_fail("fit: a callback failed");
        ck_history_free(h);
        return NULL;
    }
    return h;
}
