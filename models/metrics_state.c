/* metrics_state.c - the compiled metrics' running states over an epoch (or
 * an evaluate call): weighted means (Keras's Mean: total += w * value,
 * count += w), the squared error's mean for rmse, and every prediction
 * for the exact AUC, in a buffer sized once per fit. */
#include <math.h>
#include <stdlib.h>

#include "ck_model_internal.h"

/* values per sample of output o, and per row of its last axis */
static int64_t per_sample(const ck_model *m, int o)
{
    const ck_shape s = m->outputs[o]->shape;
    int64_t n = 1;
    for (int d = 1; d < s.ndim; d++) n *= s.d[d];
    return n;
}
static int64_t row_width(const ck_node *pred)
{
    const ck_shape s = pred->value.shape;
    return s.ndim >= 2 ? s.d[s.ndim - 1] : 1;
}

static float target_at(const ck_node *y, int64_t k)
{
    return y->value.dtype == CK_I32 ? (float)y->value.i[k] : y->value.f[k];
}

int ck_metrics_reserve(ck_model *m, int64_t rows)
{
    for (int k = 0; k < m->n_metrics; k++) {
        ck_metric_slot *slot = &m->metrics[k];
        if (!slot->spec || slot->spec->kind != CK_METRIC_AUC) continue;
        int64_t need = rows * per_sample(m, slot->output);
        if (slot->state.cap >= need) continue;
        free(slot->state.points);
        slot->state.cap = 0;
        slot->state.points = malloc(sizeof(ck_auc_point) * (size_t)(need ? need : 1));
        if (!slot->state.points)
            return ck_fail("metric '%s': out of memory for %lld predictions", slot->name, (long long)need);
        slot->state.cap = need;
    }
    return 0;
}

void ck_metrics_reset(ck_model *m)
{
    for (int k = 0; k < m->n_metrics; k++) {
        m->metrics[k].state.total = m->metrics[k].state.count = 0;
        m->metrics[k].state.n_points = 0;
    }
}

void ck_metrics_free(ck_model *m)
{
    for (int k = 0; k < CK_MAX_METRICS; k++) {
        free(m->metrics[k].state.points);
        m->metrics[k].state.points = NULL;
        m->metrics[k].state.cap = m->metrics[k].state.n_points = 0;
    }
}

static double weight_of(const ck_model *m, int64_t i) { return m->batch_weights ? (double)m->batch_weights[i] : 1.0; }

/* A mean metric: each sample's rows averaged, the sample weighted. */
static void update_rows(ck_model *m, ck_metric_slot *slot, const ck_metric_spec *spec, const ck_node *y,
                        const ck_node *pred, int64_t count)
{
    int64_t width = row_width(pred), rows = pred->value.size / (width ? width : 1), per = rows / count;
    int sparse = (spec->flags & CK_METRIC_SPARSE) != 0;
    for (int64_t i = 0; i < count; i++) {
        double value = 0;
        for (int64_t r = i * per; r < (i + 1) * per; r++) {
            float label = sparse ? target_at(y, r) : 0.0f;
            const float *y_row = sparse ? &label : y->value.f + r * width;
            value += spec->row(y_row, pred->value.f + r * width, width, &slot->cfg);
        }
        double w = weight_of(m, i);
        slot->state.total += w * (per ? value / (double)per : 0.0);
        slot->state.count += w;
    }
}

/* A loss or user metric: its per-sample values built with gradients off. */
static int update_built(ck_model *m, ck_metric_slot *slot, ck_node *y, ck_node *pred, int64_t count)
{
    int was = ck_tape_set_grad(m->tape, 0);
    ck_node *v = slot->cfg.fn ? slot->cfg.fn(m->tape, y, pred, slot->cfg.user)
                              : slot->loss->per_sample(m->tape, y, pred, &(ck_loss){.name = slot->loss->name});
    ck_tape_set_grad(m->tape, was);
    if (!v) {
        if (!ck_error()) ck_fail("returned NULL");
        ck_error_prefix("metric '%s': ", slot->name);
        return -1;
    }
    if (v->value.dtype != CK_F32) return ck_fail("metric '%s': values must be float32", slot->name);
    if (v->value.shape.ndim == 0) { /* the batch's mean: weighted by the batch size */
        slot->state.total += (double)v->value.f[0] * (double)count;
        slot->state.count += (double)count;
        return 0;
    }
    if (v->value.shape.d[0] != count)
        return ck_fail("metric '%s': %d values for a batch of %lld samples", slot->name, v->value.shape.d[0],
                       (long long)count);
    int64_t per = v->value.size / count;
    for (int64_t i = 0; i < count; i++) {
        double value = 0;
        for (int64_t j = 0; j < per; j++) value += v->value.f[i * per + j];
        double w = weight_of(m, i);
        slot->state.total += w * (per ? value / (double)per : 0.0);
        slot->state.count += w;
    }
    return 0;
}

static int update_auc(ck_model *m, ck_metric_slot *slot, const ck_node *y, const ck_node *pred, int64_t count)
{
    int64_t n = pred->value.size, per = n / count;
    if (slot->state.n_points + n > slot->state.cap)
        return ck_fail("metric '%s': more predictions than reserved (%lld)", slot->name, (long long)slot->state.cap);
    ck_auc_point *p = slot->state.points + slot->state.n_points;
    for (int64_t k = 0; k < n; k++)
        p[k] = (ck_auc_point){pred->value.f[k], (float)weight_of(m, k / per), target_at(y, k) != 0.0f};
    slot->state.n_points += n;
    return 0;
}

int ck_metrics_update(ck_model *m, int64_t count)
{
    for (int k = 0; k < m->n_metrics; k++) {
        ck_metric_slot *slot = &m->metrics[k];
        ck_node *pred = m->values[m->output_slots[slot->output]], *y = m->targets[slot->output];
        const ck_metric_spec *spec = slot->resolved ? slot->resolved : slot->spec;
        if (slot->cfg.fn || slot->loss) {
            if (update_built(m, slot, y, pred, count)) return -1;
        } else if (spec->kind == CK_METRIC_AUC) {
            if (update_auc(m, slot, y, pred, count)) return -1;
        } else {
            update_rows(m, slot, spec, y, pred, count);
        }
    }
    return 0;
}

void ck_metrics_results(const ck_model *m, double *out)
{
    for (int k = 0; k < m->n_metrics; k++) {
        const ck_metric_slot *slot = &m->metrics[k];
        const ck_metric_state *st = &slot->state;
        const ck_metric_spec *spec = slot->resolved ? slot->resolved : slot->spec;
        /* no weight at all: 0, as Keras's divide_no_nan */
        double mean = st->count != 0 ? st->total / st->count : 0.0;
        if (spec && spec->kind == CK_METRIC_AUC && !slot->cfg.fn)
            out[k] = ck_auc_exact(st->points, st->n_points);
        else if (spec && spec->kind == CK_METRIC_RMSE && !slot->cfg.fn)
            out[k] = sqrt(mean);
        else
            out[k] = mean;
    }
}
