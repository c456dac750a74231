/* fit.c - compile, the optimizers, fit / evaluate / predict and the
 * progress bar.
 *
 * A training step: reset the tape, bind the batch as constants (views into
 * the data, or rows gathered into tape memory when shuffled), run the
 * model's calls, mse, backward, optimizer step. After the first step the
 * tape's arena is large enough, so steps do not call malloc. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ck_kernels.h"
#include "ck_model_internal.h"

/* ---- optimizers ---- */

ck_optimizer *ck_Adam_ex(float learning_rate, float beta_1, float beta_2, float epsilon)
{
    if (!(learning_rate > 0.0f) || !(beta_1 >= 0.0f && beta_1 < 1.0f) || !(beta_2 >= 0.0f && beta_2 < 1.0f) ||
        !(epsilon >= 0.0f)) {
        ck_fail("Adam: need learning_rate > 0, beta_1 and beta_2 in [0, 1), epsilon >= 0; got %g, %g, %g, %g",
                (double)learning_rate, (double)beta_1, (double)beta_2, (double)epsilon);
        return NULL;
    }
    ck_optimizer *o = calloc(1, sizeof *o);
    if (!o) { ck_fail("Adam: out of memory"); return NULL; }
    o->kind = CK_OPT_ADAM;
    o->learning_rate = learning_rate;
    o->beta_1 = beta_1;
    o->beta_2 = beta_2;
    o->epsilon = epsilon;
    return o;
}

ck_optimizer *ck_Adam(float learning_rate) { return ck_Adam_ex(learning_rate, 0.9f, 0.999f, 1e-7f); }

ck_optimizer *ck_SGD(float learning_rate, float momentum)
{
    if (!(learning_rate > 0.0f) || !(momentum >= 0.0f && momentum < 1.0f)) {
        ck_fail("SGD: need learning_rate > 0 and momentum in [0, 1); got %g, %g", (double)learning_rate,
                (double)momentum);
        return NULL;
    }
    ck_optimizer *o = calloc(1, sizeof *o);
    if (!o) { ck_fail("SGD: out of memory"); return NULL; }
    o->kind = CK_OPT_SGD;
    o->learning_rate = learning_rate;
    o->momentum = momentum;
    return o;
}

void ck_optimizer_free(ck_optimizer *o)
{
    if (!o) return;
    for (int i = 0; i < o->n; i++) { free(o->m[i]); free(o->v[i]); }
    free(o->m);
    free(o->v);
    free(o);
}

static int optimizer_attach(ck_optimizer *o, ck_node *const *params, int n)
{
    o->n = n;
    o->m = calloc((size_t)(n ? n : 1), sizeof(float *));
    o->v = calloc((size_t)(n ? n : 1), sizeof(float *));
    if (!o->m || !o->v) return ck_fail("out of memory");
    for (int i = 0; i < n; i++) {
        size_t size = (size_t)params[i]->value.size;
        o->m[i] = calloc(size ? size : 1, sizeof(float));
        if (!o->m[i]) return ck_fail("out of memory");
        if (o->kind == CK_OPT_ADAM && !(o->v[i] = calloc(size ? size : 1, sizeof(float))))
            return ck_fail("out of memory");
    }
    return 0;
}

/* Keras's Adam: the bias correction folds into the step size once per
 * step, and epsilon stays outside it:
 *   lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t);  w -= lr_t * m / (sqrt(v) + eps)
 * Dense like Keras: every row's moments decay every step, touched or not.
 * The kernel also zeroes each gradient as it reads it, which saves a
 * separate zero_grad pass over all the weights before the next backward. */
static void adam_step(ck_optimizer *o, ck_node *const *params)
{
    o->iterations++;
    double t = (double)o->iterations;
    float lr_t = (float)(o->learning_rate * sqrt(1.0 - pow(o->beta_2, t)) / (1.0 - pow(o->beta_1, t)));
    for (int i = 0; i < o->n; i++)
        if (params[i]->grad)
            ck_k_adam(params[i]->value.f, o->m[i], o->v[i], params[i]->grad, params[i]->value.size, lr_t,
                      o->beta_1, o->beta_2, o->epsilon);
}

/* Keras's SGD: velocity = momentum * velocity - lr * g; w += velocity.
 * Also zeroes the gradients, like adam_step. */
static void sgd_step(ck_optimizer *o, ck_node *const *params)
{
    o->iterations++;
    for (int i = 0; i < o->n; i++)
        if (params[i]->grad)
            ck_k_sgd(params[i]->value.f, o->m[i], params[i]->grad, params[i]->value.size, o->learning_rate,
                     o->momentum);
}

/* ---- compile ---- */

int ck_compile(ck_model *m, const char *loss, ck_optimizer *opt, const char *const *metrics, int n_metrics)
{
    if (!opt) {
        if (!ck_error()) ck_fail("compile: optimizer is NULL");
        return -1;
    }
    if (!m) { ck_optimizer_free(opt); return ck_fail("compile: model is NULL"); }
    int rc = 0;
    if (!loss) rc = ck_fail("compile: loss is NULL");
    else if (strcmp(loss, "mse") && strcmp(loss, "mean_squared_error"))
        rc = ck_fail("compile: unknown loss '%s' (use \"mse\")", loss);
    else if (m->n_out != 1)
        rc = ck_fail("compile: model '%s' has %d outputs; training supports one", m->name, m->n_out);
    else if (n_metrics < 0 || n_metrics > CK_MAX_METRICS || (n_metrics > 0 && !metrics))
        rc = ck_fail("compile: between 0 and %d metrics, got %d", CK_MAX_METRICS, n_metrics);
    ck_metric_kind kinds[CK_MAX_METRICS];
    for (int i = 0; !rc && i < n_metrics; i++) {
        if (!metrics[i]) rc = ck_fail("compile: metric %d is NULL", i);
        else if (!strcmp(metrics[i], "mae") || !strcmp(metrics[i], "mean_absolute_error")) kinds[i] = CK_METRIC_MAE;
        else if (!strcmp(metrics[i], "mse") || !strcmp(metrics[i], "mean_squared_error")) kinds[i] = CK_METRIC_MSE;
        else rc = ck_fail("compile: unknown metric '%s' (use \"mae\" or \"mse\")", metrics[i]);
    }
    if (!rc) rc = optimizer_attach(opt, m->params, m->n_params);
    if (rc) { ck_optimizer_free(opt); return -1; }
    ck_optimizer_free(m->opt);
    m->opt = opt;
    m->n_metrics = n_metrics;
    for (int i = 0; i < n_metrics; i++) {
        m->metrics[i] = kinds[i];
        m->metric_names[i] = kinds[i] == CK_METRIC_MAE ? "mae" : "mse";
    }
    /* the layers' l2 factors, per parameter (kernel / embeddings only) */
    for (int i = 0, k = 0; i < m->n_layers; i++)
        for (int j = 0; j < m->layers[i]->n_weights; j++, k++)
            m->l2[k] = j == 0 ? m->layers[i]->l2 : 0.0f;
    m->compiled = 1;
    return 0;
}

/* ---- data ---- */

/* Check x (n_in tensors) and y (may be NULL) against the model; *n_out gets
 * the sample count. */
static int check_data(const ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, const char *who,
                      int64_t *n_samples)
{
    char a[64], b[64];
    if (!x) return ck_fail("%s: x is NULL", who);
    if (n_x != m->n_in)
        return ck_fail("%s: model '%s' has %d input%s, got %d", who, m->name, m->n_in, m->n_in == 1 ? "" : "s", n_x);
    int64_t n = -1;
    for (int i = 0; i < n_x; i++) {
        const ck_sym *in = m->inputs[i];
        const ck_tensor *t = &x[i];
        int ok = t->data && t->shape.ndim == in->shape.ndim && t->dtype == in->dtype;
        for (int d = 1; ok && d < t->shape.ndim; d++) ok = t->shape.d[d] == in->shape.d[d];
        if (!ok)
            return ck_fail("%s: input %d ('%s') expects %s %s, got %s %s", who, i, in->layer->name,
                           in->dtype == CK_F32 ? "float32" : "int32", ck_shape_py(in->shape, a, sizeof a),
                           t->dtype == CK_F32 ? "float32" : "int32", ck_shape_str(t->shape, b, sizeof b));
        if (n >= 0 && t->shape.d[0] != n)
            return ck_fail("%s: input %d has %d samples, input 0 has %lld", who, i, t->shape.d[0], (long long)n);
        n = t->shape.d[0];
    }
    if (y) {
        const ck_sym *out = m->outputs[0];
        int64_t per_sample = 1, y_per_sample = 1;
        for (int d = 1; d < out->shape.ndim; d++) per_sample *= out->shape.d[d];
        for (int d = 1; d < y->shape.ndim; d++) y_per_sample *= y->shape.d[d];
        if (!y->data || y->dtype != CK_F32 || y->shape.ndim < 1 || y->shape.d[0] != n || y_per_sample != per_sample)
            return ck_fail("%s: targets must be float32 with %lld samples of %lld values (output %s), got %s %s",
                           who, (long long)n, (long long)per_sample, ck_shape_py(out->shape, a, sizeof a),
                           y->dtype == CK_F32 ? "float32" : "int32", ck_shape_str(y->shape, b, sizeof b));
    }
    if (n <= 0) return ck_fail("%s: no samples", who);
    *n_samples = n;
    return 0;
}

/* Rows [start, start + count) of t, or rows idx[start..] gathered into tape
 * memory when idx is given (a shuffled epoch). */
static int batch_rows(ck_tape *tape, const ck_tensor *t, const int64_t *idx, int64_t start, int64_t count,
                      ck_tensor *out)
{
    if (!idx) { *out = ck_tensor_rows(t, start, count); return 0; }
    size_t row_bytes = (size_t)(t->shape.d[0] ? t->size / t->shape.d[0] : 0) * 4;
    char *dst = ck_tape_alloc(tape, row_bytes * (size_t)count + 1);
    if (!dst) return -1;
    /* Rows are a few values (an id, 3 genres): element loops, not a memcpy
     * call per row. */
    const int64_t width = (int64_t)(row_bytes / 4);
    if (t->dtype == CK_F32) {
        float *to = (float *)dst;
        if (width == 1)
            for (int64_t r = 0; r < count; r++) to[r] = t->f[idx[start + r]];
        else
            for (int64_t r = 0; r < count; r++) {
                const float *from = t->f + idx[start + r] * width;
                for (int64_t j = 0; j < width; j++) to[r * width + j] = from[j];
            }
    } else {
        int32_t *to = (int32_t *)dst;
        if (width == 1)
            for (int64_t r = 0; r < count; r++) to[r] = t->i[idx[start + r]];
        else
            for (int64_t r = 0; r < count; r++) {
                const int32_t *from = t->i + idx[start + r] * width;
                for (int64_t j = 0; j < width; j++) to[r * width + j] = from[j];
            }
    }
    ck_shape s = t->shape;
    s.d[0] = (int)count;
    *out = ck_tensor_view(t->dtype, s, dst);
    return 0;
}

static int bind_inputs(ck_model *m, const ck_tensor *x, const int64_t *idx, int64_t start, int64_t count)
{
    for (int i = 0; i < m->n_in; i++) {
        ck_tensor rows;
        if (batch_rows(m->tape, &x[i], idx, start, count, &rows)) return -1;
        int slot = m->input_slots[i];
        m->values[slot] = ck_const(m->tape, &rows);
        m->masks[slot] = NULL;
        if (!m->values[slot]) return -1;
    }
    return 0;
}

/* The targets of this batch, shaped like the prediction. */
static ck_node *bind_targets(ck_model *m, const ck_tensor *y, const int64_t *idx, int64_t start, int64_t count,
                             const ck_node *pred)
{
    ck_tensor rows;
    if (batch_rows(m->tape, y, idx, start, count, &rows)) return NULL;
    ck_tensor shaped = ck_tensor_view(CK_F32, pred->value.shape, rows.data);
    return ck_const(m->tape, &shaped);
}

/* Batch means of the metrics, from values already computed. */
static void batch_metrics(const ck_model *m, const float *pred, const float *target, int64_t n, double *out)
{
    for (int k = 0; k < m->n_metrics; k++) {
        double sum = 0;
        if (m->metrics[k] == CK_METRIC_MAE)
            for (int64_t i = 0; i < n; i++) sum += fabs((double)pred[i] - (double)target[i]);
        else
            for (int64_t i = 0; i < n; i++) sum += ((double)pred[i] - target[i]) * ((double)pred[i] - target[i]);
        out[k] = sum / (double)n;
    }
}

/* Keras adds factor * sum(w^2) to the loss for each l2-regularised weight. */
static double l2_penalty(const ck_model *m, int add_gradient)
{
    double penalty = 0;
    for (int i = 0; i < m->n_params; i++) {
        float factor = m->l2[i];
        if (factor == 0.0f) continue;
        float *w = m->params[i]->value.f, *g = m->params[i]->grad;
        double sum = 0;
        for (int64_t k = 0; k < m->params[i]->value.size; k++) sum += (double)w[k] * w[k];
        penalty += factor * sum;
        if (add_gradient && g)
            for (int64_t k = 0; k < m->params[i]->value.size; k++) g[k] += 2.0f * factor * w[k];
    }
    return penalty;
}

static int train_step(ck_model *m, const ck_tensor *x, const ck_tensor *y, const int64_t *idx, int64_t start,
                      int64_t count, double *loss, double *metrics)
{
    ck_tape_reset(m->tape);
    if (bind_inputs(m, x, idx, start, count) || ck_model_forward(m, 1)) return -1;
    ck_node *pred = m->values[m->output_slots[0]];
    ck_node *target = bind_targets(m, y, idx, start, count, pred);
    ck_node *mse = ck_mse(m->tape, pred, target);
    if (!mse) return -1;
    batch_metrics(m, pred->value.f, target->value.f, pred->value.size, metrics);
    /* The gradients are zero here: ck_fit zeroes them once, then every
     * optimizer step consumes (zeroes) them. */
    if (ck_backward(m->tape, mse)) return -1;
    *loss = (double)mse->value.f[0] + l2_penalty(m, 1);
    if (m->opt->kind == CK_OPT_ADAM) adam_step(m->opt, m->params);
    else sgd_step(m->opt, m->params);
    return 0;
}

/* Loss and metrics over all samples, in batches, without gradients. */
static int evaluate_data(ck_model *m, const ck_tensor *x, const ck_tensor *y, int64_t n, int batch_size,
                         double *loss, double *metrics)
{
    int was = ck_tape_set_grad(m->tape, 0);
    double loss_sum = 0, metric_sum[CK_MAX_METRICS] = { 0 }, batch_m[CK_MAX_METRICS];
    int rc = 0;
    for (int64_t start = 0; start < n && !rc; start += batch_size) {
        int64_t count = n - start < batch_size ? n - start : batch_size;
        ck_tape_reset(m->tape);
        rc = bind_inputs(m, x, NULL, start, count) || ck_model_forward(m, 0);
        if (rc) break;
        const ck_node *pred = m->values[m->output_slots[0]];
        const float *target = y->f + start * (y->size / y->shape.d[0]);
        double se = 0;
        for (int64_t i = 0; i < pred->value.size; i++) se += ((double)pred->value.f[i] - target[i]) * ((double)pred->value.f[i] - target[i]);
        loss_sum += se / (double)pred->value.size * (double)count;
        batch_metrics(m, pred->value.f, target, pred->value.size, batch_m);
        for (int k = 0; k < m->n_metrics; k++) metric_sum[k] += batch_m[k] * (double)count;
    }
    ck_tape_reset(m->tape);
    ck_tape_set_grad(m->tape, was);
    if (rc) return -1;
    *loss = loss_sum / (double)n + l2_penalty(m, 0);
    for (int k = 0; k < m->n_metrics; k++) metrics[k] = metric_sum[k] / (double)n;
    return 0;
}

int ck_evaluate(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, int batch_size, double *out)
{
    int64_t n;
    if (!m) return ck_fail("evaluate: model is NULL");
    if (!m->compiled) return ck_fail("evaluate: model '%s' is not compiled; call ck_compile first", m->name);
    if (!y || !out) return ck_fail("evaluate: %s is NULL", !y ? "y" : "out");
    if (batch_size < 0) return ck_fail("evaluate: batch_size = %d must be >= 1 (0 for 32)", batch_size);
    if (batch_size == 0) batch_size = 32;
    if (check_data(m, x, n_x, y, "evaluate", &n)) return -1;
    return evaluate_data(m, x, y, n, batch_size, &out[0], out + 1);
}

ck_tensor *ck_predict(ck_model *m, const ck_tensor *x, int n_x, int batch_size)
{
    int64_t n;
    if (!m) { ck_fail("predict: model is NULL"); return NULL; }
    if (batch_size < 0) { ck_fail("predict: batch_size = %d must be >= 1 (0 for 32)", batch_size); return NULL; }
    if (batch_size == 0) batch_size = 32;
    if (check_data(m, x, n_x, NULL, "predict", &n)) return NULL;
    ck_shape s = m->outputs[0]->shape;
    s.d[0] = (int)n;
    ck_tensor *out = ck_tensor_new(CK_F32, s);
    if (!out) return NULL;
    int64_t per_sample = out->size / n;
    int was = ck_tape_set_grad(m->tape, 0), rc = 0;
    for (int64_t start = 0; start < n && !rc; start += batch_size) {
        int64_t count = n - start < batch_size ? n - start : batch_size;
        ck_tape_reset(m->tape);
        rc = bind_inputs(m, x, NULL, start, count) || ck_model_forward(m, 0);
        if (!rc) {
            const ck_node *pred = m->values[m->output_slots[0]];
            memcpy(out->f + start * per_sample, pred->value.f, sizeof(float) * (size_t)(count * per_sample));
        }
    }
    ck_tape_reset(m->tape);
    ck_tape_set_grad(m->tape, was);
    if (rc) { ck_error_prefix("predict: "); ck_tensor_free(out); return NULL; }
    return out;
}

/* ---- progress (Keras's Progbar) ---- */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct progress {
    int on, tty;
    int64_t total;
    double start, last_draw;
} progress;

static void print_value(const char *key, double v)
{
    if (fabs(v) > 1e-3 || v == 0.0) printf(" - %s: %.4f", key, v);
    else printf(" - %s: %.4e", key, v);
}

static void progress_bar(const progress *p, int64_t done)
{
    int width = (int)(30 * done / p->total), digits = snprintf(NULL, 0, "%lld", (long long)p->total);
    printf("\r%*lld/%lld [", digits, (long long)done, (long long)p->total);
    for (int i = 0; i < 30; i++) putchar(i < width - 1 ? '=' : i == width - 1 ? (done < p->total ? '>' : '=') : '.');
    printf("]");
}

static void progress_update(progress *p, int64_t done, double loss)
{
    if (!p->on || !p->tty) return;
    double t = now_seconds();
    if (t - p->last_draw < 0.05 && done < p->total) return;
    p->last_draw = t;
    progress_bar(p, done);
    double eta = (t - p->start) / (double)done * (double)(p->total - done);
    if (eta > 3600) printf(" - ETA: %d:%02d:%02d", (int)eta / 3600, (int)eta % 3600 / 60, (int)eta % 60);
    else if (eta > 60) printf(" - ETA: %d:%02d", (int)eta / 60, (int)eta % 60);
    else printf(" - ETA: %ds", (int)eta);
    print_value("loss", loss);
    printf("\033[K");   /* clear what a longer previous line left */
    fflush(stdout);
}

static void progress_end(const progress *p, const ck_model *m, const ck_epoch_log *log)
{
    if (!p->on) return;
    double elapsed = now_seconds() - p->start, per_step = log->train_seconds / (double)p->total;
    progress_bar(p, p->total);
    printf(" - %.0fs", elapsed);
    if (per_step >= 1) printf(" %.0fs/step", per_step);
    else if (per_step >= 1e-3) printf(" %.0fms/step", per_step * 1e3);
    else printf(" %.0fus/step", per_step * 1e6);
    print_value("loss", log->loss);
    for (int k = 0; k < m->n_metrics; k++) print_value(m->metric_names[k], log->metrics[k]);
    if (m->has_validation) {
        char key[32];
        print_value("val_loss", log->val_loss);
        for (int k = 0; k < m->n_metrics; k++) {
            snprintf(key, sizeof key, "val_%s", m->metric_names[k]);
            print_value(key, log->val_metrics[k]);
        }
    }
    if (p->tty) printf("\033[K");
    printf("\n");
    fflush(stdout);
}

/* ---- fit ---- */

void ck_model_stop_training(ck_model *m) { if (m) m->stop_training = 1; }
int ck_model_stop_requested(const ck_model *m) { return m ? m->stop_training : 0; }

int ck_log_value(const ck_model *m, const ck_epoch_log *log, const char *key, double *out)
{
    if (!m || !log || !key || !out) return ck_fail("log_value: NULL argument");
    int val = !strncmp(key, "val_", 4);
    const char *base = val ? key + 4 : key;
    /* val_* exist in fit with validation data, or in a log that has them */
    if (val && !m->has_validation && isnan(log->val_loss))
        return ck_fail("'%s' is not logged: fit has no validation data", key);
    if (!strcmp(base, "loss")) { *out = val ? log->val_loss : log->loss; return 0; }
    for (int k = 0; k < m->n_metrics; k++)
        if (!strcmp(base, m->metric_names[k])) { *out = val ? log->val_metrics[k] : log->metrics[k]; return 0; }
    char avail[128] = "loss";
    size_t used = 4;
    for (int k = 0; k < m->n_metrics; k++) used += (size_t)snprintf(avail + used, sizeof avail - used, ", %s", m->metric_names[k]);
    if (m->has_validation || !isnan(log->val_loss)) {
        used += (size_t)snprintf(avail + used, sizeof avail - used, ", val_loss");
        for (int k = 0; k < m->n_metrics; k++) used += (size_t)snprintf(avail + used, sizeof avail - used, ", val_%s", m->metric_names[k]);
    }
    return ck_fail("'%s' is not logged (available: %s)", key, avail);
}

void ck_history_free(ck_history *h)
{
    if (!h) return;
    free(h->epochs);
    free(h);
}

static void shuffle(int64_t *idx, int64_t n, ck_rng *rng)
{
    /* Fisher-Yates */
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)ck_rng_below(rng, (uint32_t)(i + 1));
        int64_t t = idx[i]; idx[i] = idx[j]; idx[j] = t;
    }
}

static int run_hook_epoch(ck_callback *const *cbs, int n, ck_model *m, const ck_epoch_log *log)
{
    for (int i = 0; i < n; i++)
        if (cbs[i]->on_epoch_end && cbs[i]->on_epoch_end(cbs[i], m, log)) {
            if (!ck_error()) ck_fail("callback returned -1");
            ck_error_prefix("callback '%s': ", cbs[i]->name ? cbs[i]->name : "(unnamed)");
            return -1;
        }
    return 0;
}

ck_history *ck_fit(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, const ck_fit_args *args)
{
    static const ck_fit_args defaults = { 1, 32, 1, NULL, NULL, NULL, 0, 1 };
    if (!m) { ck_fail("fit: model is NULL"); return NULL; }
    if (!args) args = &defaults;
    if (!m->compiled) { ck_fail("fit: model '%s' is not compiled; call ck_compile first", m->name); return NULL; }
    int64_t n, n_val = 0;
    if (!y) { ck_fail("fit: y is NULL"); return NULL; }
    if (check_data(m, x, n_x, y, "fit", &n)) return NULL;
    if ((args->val_x == NULL) != (args->val_y == NULL)) {
        ck_fail("fit: give both val_x and val_y, or neither");
        return NULL;
    }
    if (args->val_x && check_data(m, args->val_x, m->n_in, args->val_y, "fit (validation data)", &n_val)) return NULL;
    if (args->n_callbacks < 0 || (args->n_callbacks > 0 && !args->callbacks)) {
        ck_fail("fit: bad callbacks (%d)", args->n_callbacks);
        return NULL;
    }
    for (int i = 0; i < args->n_callbacks; i++)
        if (!args->callbacks[i]) { ck_fail("fit: callback %d is NULL", i); return NULL; }
    if (args->epochs < 0 || args->batch_size < 0) {
        ck_fail("fit: epochs = %d and batch_size = %d must be >= 1 (0 for the default)", args->epochs,
                args->batch_size);
        return NULL;
    }
    int epochs = args->epochs > 0 ? args->epochs : 1;
    int batch_size = args->batch_size > 0 ? args->batch_size : 32;
    if (n > (int64_t)UINT32_MAX) { ck_fail("fit: too many samples"); return NULL; }

    ck_history *h = calloc(1, sizeof *h);
    int64_t *idx = args->shuffle ? malloc(sizeof(int64_t) * (size_t)n) : NULL;
    if (h) h->epochs = calloc((size_t)epochs, sizeof(ck_epoch_log));
    if (!h || !h->epochs || (args->shuffle && !idx)) {
        ck_history_free(h); free(idx);
        ck_fail("fit: out of memory");
        return NULL;
    }
    if (idx) for (int64_t i = 0; i < n; i++) idx[i] = i;
    ck_zero_grad(m->params, m->n_params);  /* from here on the optimizer steps keep them zeroed */
    h->n_metrics = m->n_metrics;
    for (int k = 0; k < m->n_metrics; k++) h->metric_names[k] = m->metric_names[k];
    m->stop_training = 0;
    m->has_validation = args->val_x != NULL;
    ck_callback *const *cbs = args->callbacks;
    int n_cbs = args->n_callbacks, rc = 0;
    for (int i = 0; i < n_cbs && !rc; i++)
        if (cbs[i]->on_train_begin && cbs[i]->on_train_begin(cbs[i], m)) rc = -1;

    int64_t n_batches = (n + batch_size - 1) / batch_size;
    progress p = { args->verbose > 0, isatty(fileno(stdout)), n_batches, 0, 0 };
    for (int epoch = 1; epoch <= epochs && !rc && !m->stop_training; epoch++) {
        ck_epoch_log *log = &h->epochs[h->n_epochs];
        memset(log, 0, sizeof *log);
        log->epoch = epoch;
        log->val_loss = NAN;
        for (int k = 0; k < CK_MAX_METRICS; k++) log->val_metrics[k] = NAN;
        if (p.on) { printf("Epoch %d/%d\n", epoch, epochs); fflush(stdout); }
        p.start = now_seconds();
        p.last_draw = 0;
        if (idx) shuffle(idx, n, &m->rng);

        double loss_sum = 0, metric_sum[CK_MAX_METRICS] = { 0 }, batch_m[CK_MAX_METRICS];
        int64_t seen = 0, batch = 0;
        for (int64_t start = 0; start < n && !rc; start += batch_size, batch++) {
            int64_t count = n - start < batch_size ? n - start : batch_size;
            double loss;
            if (train_step(m, x, y, idx, start, count, &loss, batch_m)) {
                ck_error_prefix("fit: epoch %d, batch %lld: ", epoch, (long long)batch);
                rc = -1;
                break;
            }
            loss_sum += loss * (double)count;
            for (int k = 0; k < m->n_metrics; k++) metric_sum[k] += batch_m[k] * (double)count;
            seen += count;
            for (int i = 0; i < n_cbs && !rc; i++)
                if (cbs[i]->on_batch_end && cbs[i]->on_batch_end(cbs[i], m, (int)batch, loss)) rc = -1;
            progress_update(&p, batch + 1, loss_sum / (double)seen);
            if (m->stop_training) break;
        }
        ck_tape_reset(m->tape);
        if (rc) break;
        log->loss = loss_sum / (double)seen;
        for (int k = 0; k < m->n_metrics; k++) log->metrics[k] = metric_sum[k] / (double)seen;
        log->train_seconds = now_seconds() - p.start;
        if (args->val_x &&
            evaluate_data(m, args->val_x, args->val_y, n_val, batch_size, &log->val_loss, log->val_metrics)) {
            ck_error_prefix("fit: epoch %d, validation: ", epoch);
            rc = -1;
            break;
        }
        log->seconds = now_seconds() - p.start;
        h->n_epochs++;
        progress_end(&p, m, log);
        if (run_hook_epoch(cbs, n_cbs, m, log)) rc = -1;
        log->seconds = now_seconds() - p.start;
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

int ck_model_get_weights(const ck_model *m, float *dst)
{
    if (!m || !dst) return ck_fail("get_weights: NULL argument");
    for (int i = 0; i < m->n_params; i++) {
        memcpy(dst, m->params[i]->value.f, sizeof(float) * (size_t)m->params[i]->value.size);
        dst += m->params[i]->value.size;
    }
    return 0;
}

int ck_model_set_weights(ck_model *m, const float *src)
{
    if (!m || !src) return ck_fail("set_weights: NULL argument");
    for (int i = 0; i < m->n_params; i++) {
        memcpy(m->params[i]->value.f, src, sizeof(float) * (size_t)m->params[i]->value.size);
        src += m->params[i]->value.size;
    }
    return 0;
}
