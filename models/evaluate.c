/* evaluate.c - one batch's losses (every output's, weighted into the
 * total), and Keras's model.evaluate and model.predict. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ck_model_internal.h"

ck_node *ck_batch_losses(ck_model *m, const ck_data *d, const int64_t *idx, int64_t start, int64_t count, int precise,
                         double *reported)
{
    m->batch_weights = ck_bind_weights(m, d->weights, idx, start, count);
    if (d->weights && !m->batch_weights) return NULL;
    ck_node *weights = NULL, *total = NULL;
    if (m->batch_weights) {
        ck_tensor w = ck_tensor_view(CK_F32, ck_shape_of(1, (int)count), (void *)m->batch_weights);
        if (!(weights = ck_const(m->tape, &w))) return NULL;
    }
    for (int o = 0; o < m->n_out; o++) {
        const ck_output_loss *loss = &m->losses[o];
        ck_node *pred = m->values[m->output_slots[o]];
        ck_node *y = m->targets[o] = ck_bind_targets(m, o, &d->y[o], idx, start, count, pred);
        ck_node *value = ck_loss_reduced(m->tape, loss->spec, &loss->cfg, y, pred, weights);
        if (value && value->value.size != 1) {
            ck_fail("the loss gave %lld values, not one", (long long)value->value.size);
            value = NULL;
        }
        if (!value) {
            if (!ck_error()) ck_fail("the loss returned NULL");
            ck_error_prefix("loss of output '%s': ", m->outputs[o]->layer->name);
            return NULL;
        }
        reported[o] = precise && !weights && loss->spec && loss->spec->mean ? loss->spec->mean(y, pred)
                                                                            : (double)value->value.f[0];
        /* one output with weight 1: the loss node itself */
        ck_node *weighted = loss->weight == 1.0f ? value : ck_scale(m->tape, value, loss->weight);
        total = total ? ck_add(m->tape, total, weighted) : weighted;
        if (!total) return NULL;
    }
    return total;
}

int ck_evaluate_data(ck_model *m, const ck_data *d, int batch_size, double *out)
{
    int was = ck_tape_set_grad(m->tape, 0), rc = 0;
    double loss_sum = 0, output_sums[CK_MAX_OUTPUTS] = {0}, reported[CK_MAX_OUTPUTS];
    ck_metrics_reset(m);
    for (int64_t start = 0; start < d->n && !rc; start += batch_size) {
        int64_t count = d->n - start < batch_size ? d->n - start : batch_size;
        ck_tape_reset(m->tape);
        rc = ck_bind_inputs(m, d->x, NULL, start, count) || ck_model_forward(m, 0);
        if (rc || !ck_batch_losses(m, d, NULL, start, count, 1, reported) || ck_metrics_update(m, count)) {
            rc = -1;
            break;
        }
        /* each batch's mean counts as many times as it has samples */
        double total = 0;
        for (int o = 0; o < m->n_out; o++) {
            total += (double)m->losses[o].weight * reported[o];
            output_sums[o] += reported[o] * (double)count;
        }
        loss_sum += total * (double)count;
    }
    ck_tape_reset(m->tape);
    ck_tape_set_grad(m->tape, was);
    if (rc) return -1;
    int k = 0;
    out[k++] = loss_sum / (double)d->n + ck_regularization_penalty(m, 0);
    for (int o = 0; o < m->n_out && m->n_out > 1; o++) out[k++] = output_sums[o] / (double)d->n;
    ck_metrics_results(m, out + k);
    return 0;
}

static int check_batch_size(int *batch_size, const char *who)
{
    if (*batch_size < 0)
        return ck_fail("%s: batch_size = %d must be >= 1 (0 for %d)", who, *batch_size, CK_DEFAULT_BATCH_SIZE);
    if (*batch_size == 0) *batch_size = CK_DEFAULT_BATCH_SIZE;
    return 0;
}

int ck_evaluate_ex(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, const ck_evaluate_args *args,
                   double *out)
{
    static const ck_evaluate_args defaults = {0};
    int64_t n;
    if (!m) return ck_fail("evaluate: model is NULL");
    if (!m->compiled) return ck_fail("evaluate: model '%s' is not compiled; call ck_compile first", m->name);
    if (!y || !out) return ck_fail("evaluate: %s is NULL", !y ? "y" : "out");
    if (!args) args = &defaults;
    int batch_size = args->batch_size;
    if (check_batch_size(&batch_size, "evaluate") || ck_check_inputs(m, x, n_x, "evaluate", &n) ||
        ck_check_targets(m, y, n, "evaluate") ||
        (args->sample_weight && ck_check_weights(args->sample_weight, n, "evaluate")) ||
        ck_metrics_prepare(m, y, "evaluate") || ck_metrics_reserve(m, n))
        return -1;
    ck_data d = {x, y, args->sample_weight ? args->sample_weight->f : NULL, n};
    if (ck_evaluate_data(m, &d, batch_size, out)) {
        ck_error_prefix("evaluate: ");
        return -1;
    }
    return 0;
}

int ck_evaluate(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, int batch_size, double *out)
{
    return ck_evaluate_ex(m, x, n_x, y, &(ck_evaluate_args){.batch_size = batch_size}, out);
}

int ck_predict_outputs(ck_model *m, const ck_tensor *x, int n_x, int batch_size, ck_tensor **out)
{
    int64_t n;
    if (!m || !out) return ck_fail("predict: %s is NULL", !m ? "model" : "out");
    if (check_batch_size(&batch_size, "predict") || ck_check_inputs(m, x, n_x, "predict", &n)) return -1;
    int rc = 0;
    for (int o = 0; o < m->n_out; o++) {
        ck_shape s = m->outputs[o]->shape;
        s.d[0] = (int)n;
        if (!(out[o] = ck_tensor_new(CK_F32, s))) rc = -1;
    }
    int was = ck_tape_set_grad(m->tape, 0);
    for (int64_t start = 0; start < n && !rc; start += batch_size) {
        int64_t count = n - start < batch_size ? n - start : batch_size;
        ck_tape_reset(m->tape);
        rc = ck_bind_inputs(m, x, NULL, start, count) || ck_model_forward(m, 0);
        for (int o = 0; o < m->n_out && !rc; o++) {
            const ck_node *pred = m->values[m->output_slots[o]];
            int64_t per_sample = out[o]->size / n;
            memcpy(out[o]->f + start * per_sample, pred->value.f, sizeof(float) * (size_t)(count * per_sample));
        }
    }
    ck_tape_reset(m->tape);
    ck_tape_set_grad(m->tape, was);
    if (rc) {
        ck_error_prefix("predict: ");
        for (int o = 0; o < m->n_out; o++) {
            ck_tensor_free(out[o]);
            out[o] = NULL;
        }
        return -1;
    }
    return 0;
}

ck_tensor *ck_predict(ck_model *m, const ck_tensor *x, int n_x, int batch_size)
{
    ck_tensor *outs[CK_MAX_OUTPUTS] = {NULL};
    if (m && m->n_out > CK_MAX_OUTPUTS) {
        ck_fail("predict: model '%s' has %d outputs, more than %d", m->name, m->n_out, CK_MAX_OUTPUTS);
        return NULL;
    }
    if (ck_predict_outputs(m, x, n_x, batch_size, outs)) return NULL;
    for (int o = 1; o < m->n_out; o++) ck_tensor_free(outs[o]);
    return outs[0];
}
