/* fit.c - Keras's model.fit: epochs of shuffled batches, each one training
 * step; then validation, the epoch's logs and the callbacks.
 *
 * A training step (train_step.c): reset the tape, bind the batch as
 * constants (views into the data, or rows gathered into tape memory when
 * shuffled), run the model's calls, the loss, backward, the optimizer's
 * update; the whole batch at once or in row tiles. After the first steps
 * the tapes' arenas are large enough, so steps do not call malloc. */
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

static int callback_failed(const ck_callback *cb)
{
    if (!ck_error()) ck_fail("callback returned -1");
    ck_error_prefix("callback '%s': ", cb->name ? cb->name : "(unnamed)");
    return -1;
}

static int run_epoch_end(ck_callback *const *cbs, int n, ck_model *m, const ck_epoch_log *log)
{
    for (int i = 0; i < n; i++)
        if (cbs[i]->on_epoch_end && cbs[i]->on_epoch_end(cbs[i], m, log)) return callback_failed(cbs[i]);
    return 0;
}

/* Keras's on_epoch_begin (epoch 0-based) */
static int run_epoch_begin(ck_callback *const *cbs, int n, ck_model *m, int epoch)
{
    for (int i = 0; i < n; i++)
        if (cbs[i]->on_epoch_begin && cbs[i]->on_epoch_begin(cbs[i], m, epoch)) return callback_failed(cbs[i]);
    return 0;
}

/* what callbacks log (Keras's logs["lr"]), before anyone reads the logs */
static int run_add_logs(ck_callback *const *cbs, int n, ck_model *m, ck_epoch_log *log)
{
    for (int i = 0; i < n; i++)
        if (cbs[i]->add_logs && cbs[i]->add_logs(cbs[i], m, log)) return callback_failed(cbs[i]);
    return 0;
}

static int check_fit_args(const ck_fit_args *args)
{
    if (args->n_callbacks < 0 || (args->n_callbacks > 0 && !args->callbacks))
        return ck_fail("fit: bad callbacks (%d)", args->n_callbacks);
    if (args->callbacks && args->n_callbacks == 0)
        return ck_fail("fit: callbacks given with n_callbacks = 0; set n_callbacks (CK_CALLBACKS(...) sets both)");
    for (int i = 0; i < args->n_callbacks; i++)
        if (!args->callbacks[i]) return ck_fail("fit: callback %d is NULL", i);
    if (args->epochs < 0 || args->batch_size < 0)
        return ck_fail("fit: epochs = %d and batch_size = %d must be >= 1 (0 for the default)", args->epochs,
                       args->batch_size);
    if (args->verbose < CK_SILENT || args->verbose > CK_ONE_LINE)
        return ck_fail("fit: verbose = %d: use 0, 1, 2 or CK_SILENT, CK_PROGRESS, CK_ONE_LINE", args->verbose);
    if (args->shuffle != CK_DEFAULT && args->shuffle != CK_TRUE && args->shuffle != CK_FALSE)
        return ck_fail("fit: shuffle = %d: use true / false (with CK_FIT_ARGS) or CK_TRUE / CK_FALSE", args->shuffle);
    return 0;
}

/* Whether CK_FIT_ARGS's text `written` has the designator `.field =`. */
static int written(const ck_fit_args *args, const char *field)
{
    size_t len = strlen(field);
    for (const char *p = args->written_; p && (p = strchr(p, '.')); p++) {
        const char *q = p + 1;
        while (*q == ' ') q++;
        if (strncmp(q, field, len)) continue;
        q += len;
        while (*q == ' ') q++;
        if (*q != '=' || q[1] == '=') continue;
        /* a designator follows '{', ',' or the start (a "," the macro adds) */
        const char *b = p - 1;
        while (b >= args->written_ && *b == ' ') b--;
        if (b >= args->written_ && (*b == ',' || *b == '{')) return 1;
    }
    return 0;
}

/* Keras's shuffle and verbose from the fields written or left out (see
 * ck_model.h: a written 0 means 0 only through CK_FIT_ARGS). */
static int fit_shuffles(const ck_fit_args *args)
{
    if (written(args, "shuffle")) return args->shuffle > 0;
    return args->shuffle != CK_FALSE;
}

static int fit_verbosity(const ck_fit_args *args)
{
    if (written(args, "verbose")) return args->verbose == 0 ? CK_SILENT : args->verbose;
    return args->verbose ? args->verbose : CK_PROGRESS;
}

/* What an epoch logs besides loss and val_loss, in Keras's order: the
 * outputs' losses (with several outputs), then the metrics. */
int ck_model_n_log_keys(const ck_model *m) { return (m->n_out > 1 ? m->n_out : 0) + m->n_metrics; }
const char *ck_model_log_key(const ck_model *m, int k, int val)
{
    int n_out_keys = m->n_out > 1 ? m->n_out : 0;
    if (k < n_out_keys) return val ? m->losses[k].val_name : m->losses[k].name;
    return val ? m->metrics[k - n_out_keys].val_name : m->metrics[k - n_out_keys].name;
}

/* A history whose logs will hold the model's keys (names, then val_
 * names), copied so the history outlives the model. */
static ck_history *history_new(const ck_model *m, int epochs)
{
    ck_history *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->epochs = calloc((size_t)epochs, sizeof(ck_epoch_log));
    size_t bytes = 1;
    for (int k = 0; k < ck_model_n_log_keys(m); k++)
        bytes += strlen(ck_model_log_key(m, k, 0)) + strlen(ck_model_log_key(m, k, 1)) + 2;
    h->key_storage_ = malloc(bytes);
    if (!h->epochs || !h->key_storage_) {
        ck_history_free(h);
        return NULL;
    }
    h->n_metrics = ck_model_n_log_keys(m);
    char *p = h->key_storage_;
    for (int val = 0; val <= 1; val++)
        for (int k = 0; k < ck_model_n_log_keys(m); k++) {
            char *copy = strcpy(p, ck_model_log_key(m, k, val));
            if (!val) h->metric_names[k] = copy;
            p += strlen(p) + 1;
        }
    return h;
}

/* The epoch's logged values: values[k] under the k-th key, then (with
 * validation data) val_values[k] under its val_ key. */
static void log_values(const ck_model *m, const ck_history *h, ck_epoch_log *log, const double *values,
                       const double *val_values)
{
    const char *val_keys = h->key_storage_;
    for (int k = 0; k < h->n_metrics; k++) val_keys += strlen(val_keys) + 1;
    log->n_values = 0;
    for (int k = 0; k < h->n_metrics; k++) {
        log->keys[log->n_values] = h->metric_names[k];
        log->values[log->n_values++] = values[k];
    }
    if (!m->has_validation) return;
    for (int k = 0; k < h->n_metrics; k++, val_keys += strlen(val_keys) + 1) {
        log->keys[log->n_values] = val_keys;
        log->values[log->n_values++] = val_values[k];
    }
}

/* One fit call's settings and state. */
typedef struct fit_run {
    ck_model *m;
    ck_fit_data data;
    int64_t *idx;        /* the shuffled row order, or NULL */
    ck_packed_rows rows; /* or the training rows packed and shuffled in place (rows.rows not NULL) */
    int epochs, batch_size;
    ck_callback *const *cbs;
    int n_cbs;
    ck_progbar bar;
    ck_history *h;
} fit_run;

/* One pass over the training rows (shuffled by idx when given): the
 * epoch's loss and its logged values (per-output losses, metrics). */
static int train_epoch(fit_run *r, int epoch, double *loss, double *values)
{
    ck_model *m = r->m;
    const ck_data *d = &r->data.train;
    double loss_sum = 0, output_sums[CK_MAX_OUTPUTS] = {0}, reported[CK_MAX_OUTPUTS];
    int64_t seen = 0, batch = 0;
    ck_metrics_reset(m);
    for (int64_t start = 0; start < d->n; start += r->batch_size, batch++) {
        int64_t count = d->n - start < r->batch_size ? d->n - start : r->batch_size;
        double batch_loss;
        int failed = r->rows.rows ? ck_train_step(m, ck_packed_rows_batch(&r->rows, start, count), NULL, 0, count,
                                                  &batch_loss, reported)
                                  : ck_train_step(m, d, r->idx, start, count, &batch_loss, reported);
        if (failed) {
            ck_error_prefix("fit: epoch %d, batch %lld: ", epoch, (long long)batch);
            return -1;
        }
        /* the epoch's loss: the mean over samples of the batch means */
        loss_sum += batch_loss * (double)count;
        for (int o = 0; o < m->n_out; o++) output_sums[o] += reported[o] * (double)count;
        seen += count;
        for (int i = 0; i < r->n_cbs; i++)
            if (r->cbs[i]->on_batch_end && r->cbs[i]->on_batch_end(r->cbs[i], m, (int)batch, batch_loss)) return -1;
        ck_progbar_update(&r->bar, batch + 1, loss_sum / (double)seen);
        if (m->stop_training) break;
    }
    ck_tape_reset(m->tape);
    *loss = loss_sum / (double)seen;
    int k = 0;
    for (int o = 0; o < m->n_out && m->n_out > 1; o++) values[k++] = output_sums[o] / (double)seen;
    ck_metrics_results(m, values + k);
    return 0;
}

/* An epoch: training, validation, its log, the callbacks. */
static int run_epoch(fit_run *r, int epoch)
{
    ck_model *m = r->m;
    ck_epoch_log *log = &r->h->epochs[r->h->n_epochs];
    memset(log, 0, sizeof *log);
    log->epoch = epoch;
    log->val_loss = NAN;
    if (run_epoch_begin(r->cbs, r->n_cbs, m, epoch - 1)) return -1;
    ck_progbar_start(&r->bar, epoch, r->epochs);
    if (r->rows.rows) ck_rng_shuffle_rows(&m->rng, r->rows.rows, r->rows.n, (size_t)r->rows.stride);
    if (r->idx) ck_rng_shuffle(&m->rng, r->idx, r->data.train.n);
    double values[CK_MAX_LOGS / 2], val_out[1 + CK_MAX_LOGS / 2];
    if (train_epoch(r, epoch, &log->loss, values)) return -1;
    log->train_seconds = ck_now_seconds() - r->bar.start;
    if (r->data.has_val) {
        if (ck_evaluate_data(m, &r->data.val, r->batch_size, val_out)) {
            ck_error_prefix("fit: epoch %d, validation: ", epoch);
            return -1;
        }
        log->val_loss = val_out[0];
    }
    log_values(m, r->h, log, values, val_out + 1);
    if (run_add_logs(r->cbs, r->n_cbs, m, log)) return -1;
    log->seconds = ck_now_seconds() - r->bar.start;
    r->h->n_epochs++;
    ck_progbar_end(&r->bar, log);
    int rc = run_epoch_end(r->cbs, r->n_cbs, m, log);
    log->seconds = ck_now_seconds() - r->bar.start;
    return rc;
}

/* Everything fit needs before the first epoch: the data, the defaults of
 * the fields left out, the history, the row order, the metrics' buffers. */
static int fit_begin(fit_run *r, ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, const ck_fit_args *args)
{
    r->m = m;
    if (check_fit_args(args) || ck_fit_data_prepare(m, x, n_x, y, args, &r->data)) return -1;
    /* gradients for the weights this compile trains, none for the frozen */
    if (ck_model_apply_trainable(m)) return -1;
    ck_workers_free(m); /* tile workers are rebuilt with gradients where the weights have them */
    int64_t n = r->data.train.n;
    if (n > (int64_t)UINT32_MAX) return ck_fail("fit: too many samples");
    r->epochs = args->epochs > 0 ? args->epochs : 1;
    r->batch_size = args->batch_size > 0 ? args->batch_size : CK_DEFAULT_BATCH_SIZE;
    int verbose = fit_verbosity(args);
    r->cbs = args->callbacks;
    r->n_cbs = args->n_callbacks;
    r->h = history_new(m, r->epochs);
    if (!r->h) return ck_fail("fit: out of memory");
    /* a shuffled epoch takes its batches from the packed rows, or gathers them by index */
    int packed = fit_shuffles(args)
                     ? ck_packed_rows_build(m, &r->data.train, r->batch_size < n ? r->batch_size : n, &r->rows)
                     : 0;
    if (packed < 0) return -1;
    if (fit_shuffles(args) && !packed && !(r->idx = malloc(sizeof(int64_t) * (size_t)n)))
        return ck_fail("fit: out of memory");
    if (ck_metrics_reserve(m, n > r->data.val.n ? n : r->data.val.n)) return -1;
    for (int64_t i = 0; r->idx && i < n; i++) r->idx[i] = i;
    m->stop_training = 0;
    m->has_validation = r->data.has_val;
    m->rows_checked = 0; /* the first step checks whether tiles may split this fit's batches */
    r->bar = (ck_progbar){.on = verbose != CK_SILENT,
                          .tty = verbose == CK_PROGRESS && isatty(fileno(stdout)),
                          .has_validation = m->has_validation,
                          .total = (n + r->batch_size - 1) / r->batch_size};
    return 0;
}

ck_history *ck_fit(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, const ck_fit_args *args)
{
    static const ck_fit_args defaults = {0}; /* Keras's defaults: see ck_fit_args */
    if (!m) {
        ck_fail("fit: model is NULL");
        return NULL;
    }
    if (!m->compiled) {
        ck_fail("fit: model '%s' is not compiled; call ck_compile first", m->name);
        return NULL;
    }
    if (!y) {
        ck_fail("fit: y is NULL");
        return NULL;
    }
    fit_run r = {0};
    int rc = fit_begin(&r, m, x, n_x, y, args ? args : &defaults);
    if (!rc) {
        ck_zero_grad(m->params, m->n_params); /* from here on the optimizer updates keep them zeroed */
        for (int i = 0; i < r.n_cbs && !rc; i++)
            if (r.cbs[i]->on_train_begin && r.cbs[i]->on_train_begin(r.cbs[i], m)) rc = -1;
        for (int epoch = 1; epoch <= r.epochs && !rc && !m->stop_training; epoch++) rc = run_epoch(&r, epoch);
        r.h->stopped_early = m->stop_training;
        for (int i = 0; i < r.n_cbs; i++)
            if (r.cbs[i]->on_train_end && r.cbs[i]->on_train_end(r.cbs[i], m) && !rc) rc = -1;
    }
    free(r.idx);
    ck_packed_rows_free(&r.rows);
    ck_fit_data_free(&r.data);
    if (rc) {
        if (!ck_error()) ck_fail("fit: a callback failed");
        ck_history_free(r.h);
        return NULL;
    }
    return r.h;
}
