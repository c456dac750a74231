/* evaluate.c - the batch loss and metrics, and Keras's model.evaluate and
 * model.predict. */
#include <math.h>
#include <string.h>

#include "ck_model_internal.h"

ck_node *ck_batch_loss(ck_model *m, ck_node *target, ck_node *pred, double *metrics)
{
    ck_node *loss = m->loss->build(m->tape, target, pred);
    if (!loss) return NULL;
    /* metrics are reported, never differentiated: nothing recorded */
    int was = ck_tape_set_grad(m->tape, 0);
    for (int k = 0; k < m->n_metrics; k++) metrics[k] = m->metrics[k]->batch_value(m->tape, target, pred);
    ck_tape_set_grad(m->tape, was);
    return loss;
}

int ck_evaluate_data(ck_model *m, const ck_tensor *x, const ck_tensor *y, int64_t n, int batch_size, double *loss,
                     double *metrics)
{
    int was = ck_tape_set_grad(m->tape, 0);
    double loss_sum = 0, metric_sum[CK_MAX_METRICS] = {0}, batch_metrics[CK_MAX_METRICS];
    int rc = 0;
    for (int64_t start = 0; start < n && !rc; start += batch_size) {
        int64_t count = n - start < batch_size ? n - start : batch_size;
        ck_tape_reset(m->tape);
        rc = ck_bind_inputs(m, x, NULL, start, count) || ck_model_forward(m, 0);
        if (rc) break;
        ck_node *pred = m->values[m->output_slots[0]];
        ck_node *target = ck_bind_targets(m, y, NULL, start, count, pred);
        ck_node *batch_loss = target ? ck_batch_loss(m, target, pred, batch_metrics) : NULL;
        if (!batch_loss) {
            rc = -1;
            break;
        }
        /* each batch's mean counts as many times as it has samples */
        double mean = m->loss->mean ? m->loss->mean(target, pred) : (double)batch_loss->value.f[0];
        loss_sum += mean * (double)count;
        for (int k = 0; k < m->n_metrics; k++) metric_sum[k] += batch_metrics[k] * (double)count;
    }
    ck_tape_reset(m->tape);
    ck_tape_set_grad(m->tape, was);
    if (rc) return -1;
    *loss = loss_sum / (double)n + ck_regularization_penalty(m, 0);
    for (int k = 0; k < m->n_metrics; k++) metrics[k] = metric_sum[k] / (double)n;
    return 0;
}

static int check_batch_size(int *batch_size, const char *who)
{
    if (*batch_size < 0)
        return ck_fail("%s: batch_size = %d must be >= 1 (0 for %d)", who, *batch_size, CK_DEFAULT_BATCH_SIZE);
    if (*batch_size == 0) *batch_size = CK_DEFAULT_BATCH_SIZE;
    return 0;
}

int ck_evaluate(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, int batch_size, double *out)
{
    int64_t n;
    if (!m) return ck_fail("evaluate: model is NULL");
    if (!m->compiled) return ck_fail("evaluate: model '%s' is not compiled; call ck_compile first", m->name);
    if (!y || !out) return ck_fail("evaluate: %s is NULL", !y ? "y" : "out");
    if (check_batch_size(&batch_size, "evaluate")) return -1;
    if (ck_check_data(m, x, n_x, y, "evaluate", &n)) return -1;
    return ck_evaluate_data(m, x, y, n, batch_size, &out[0], out + 1);
}

ck_tensor *ck_predict(ck_model *m, const ck_tensor *x, int n_x, int batch_size)
{
    int64_t n;
    if (!m) {
        ck_fail("predict: model is NULL");
        return NULL;
    }
    if (check_batch_size(&batch_size, "predict")) return NULL;
    if (ck_check_data(m, x, n_x, NULL, "predict", &n)) return NULL;
    ck_shape s = m->outputs[0]->shape;
    s.d[0] = (int)n;
    ck_tensor *out = ck_tensor_new(CK_F32, s);
    if (!out) return NULL;
    int64_t per_sample = out->size / n;
    int was = ck_tape_set_grad(m->tape, 0), rc = 0;
    for (int64_t start = 0; start < n && !rc; start += batch_size) {
        int64_t count = n - start < batch_size ? n - start : batch_size;
        ck_tape_reset(m->tape);
        rc = ck_bind_inputs(m, x, NULL, start, count) || ck_model_forward(m, 0);
        if (!rc) {
            const ck_node *pred = m->values[m->output_slots[0]];
            memcpy(out->f + start * per_sample, pred->value.f, sizeof(float) * (size_t)(count * per_sample));
        }
    }
    ck_tape_reset(m->tape);
    ck_tape_set_grad(m->tape, was);
    if (rc) {
        ck_error_prefix("predict: ");
        ck_tensor_free(out);
        return NULL;
    }
    return out;
}
