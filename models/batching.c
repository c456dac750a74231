/* batching.c - (x, y, sample weights) as fit, evaluate and predict take
 * them: checked against the model's inputs, its outputs and their losses
 * (float32 targets shaped like the output, or class ids for a sparse
 * loss), then bound batch by batch as constants on the tape (views into
 * the data, or rows gathered into tape memory for a shuffled epoch). */
#include <math.h>
#include <string.h>

#include "ck_model_internal.h"

static const char *dtype_name(ck_dtype dt) { return dt == CK_F32 ? "float32" : "int32"; }

int ck_check_inputs(const ck_model *m, const ck_tensor *x, int n_x, const char *who, int64_t *n_samples)
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
                           dtype_name(in->dtype), ck_shape_py(in->shape, a, sizeof a), dtype_name(t->dtype),
                           ck_shape_str(t->shape, b, sizeof b));
        if (n >= 0 && t->shape.d[0] != n)
            return ck_fail("%s: input %d has %d samples, input 0 has %lld", who, i, t->shape.d[0], (long long)n);
        n = t->shape.d[0];
    }
    if (n <= 0) return ck_fail("%s: no samples", who);
    *n_samples = n;
    return 0;
}

/* Values per sample of output o, and the width of its last axis (the
 * classes, for a sparse loss). */
static int64_t output_per_sample(const ck_model *m, int o)
{
    int64_t per = 1;
    for (int d = 1; d < m->outputs[o]->shape.ndim; d++) per *= m->outputs[o]->shape.d[d];
    return per;
}
static int64_t output_width(const ck_model *m, int o)
{
    const ck_shape s = m->outputs[o]->shape;
    return s.ndim >= 2 ? s.d[s.ndim - 1] : 1;
}
int64_t ck_values_per_sample(const ck_tensor *t)
{
    int64_t per = 1;
    for (int d = 1; d < t->shape.ndim; d++) per *= t->shape.d[d];
    return per;
}

int ck_target_is_ids(const ck_model *m, int o, const ck_tensor *y)
{
    int64_t width = output_width(m, o);
    return y->dtype == CK_I32 || (width > 1 && ck_values_per_sample(y) * width == output_per_sample(m, o));
}

/* Class ids for a sparse loss: whole numbers in [0, classes). */
static int check_ids(const ck_model *m, int o, const ck_tensor *y, const char *who)
{
    int64_t classes = output_width(m, o);
    for (int64_t k = 0; k < y->size; k++) {
        double id = y->dtype == CK_I32 ? (double)y->i[k] : (double)y->f[k];
        if (!(id >= 0 && id < (double)classes) || id != floor(id))
            return ck_fail("%s: targets of output '%s': value %lld is %g, not a class id 0..%lld", who,
                           m->outputs[o]->layer->name, (long long)k, id, (long long)classes - 1);
    }
    return 0;
}

int ck_check_targets(const ck_model *m, const ck_tensor *y, int64_t n, const char *who)
{
    char a[64], b[64];
    if (!y) return ck_fail("%s: y is NULL", who);
    for (int o = 0; o < m->n_out; o++) {
        const ck_tensor *t = &y[o];
        const ck_output_loss *loss = &m->losses[o];
        int64_t per = output_per_sample(m, o), width = output_width(m, o), y_per = ck_values_per_sample(t);
        int sparse = loss->spec && (loss->spec->flags & CK_LOSS_SPARSE);
        const char *out = m->outputs[o]->layer->name;
        if (!t->data || t->shape.ndim < 1 || t->shape.d[0] != n)
            return ck_fail("%s: targets of output '%s' must have %lld samples, got %s", who, out, (long long)n,
                           ck_shape_str(t->shape, b, sizeof b));
        if (sparse && y_per * width != per)
            return ck_fail("%s: loss '%s' of output '%s' takes one class id per row of %lld predictions: %lld "
                           "values per sample (int32 or whole float32), got %s %s",
                           who, loss->spec->name, out, (long long)width, (long long)(per / width), dtype_name(t->dtype),
                           ck_shape_str(t->shape, b, sizeof b));
        if (sparse) {
            if (check_ids(m, o, t, who)) return -1;
        } else if (loss->spec && (t->dtype != CK_F32 || y_per != per)) {
            return ck_fail("%s: targets of output '%s' must be float32 with %lld samples of %lld values (output "
                           "%s, loss '%s'), got %s %s",
                           who, out, (long long)n, (long long)per, ck_shape_py(m->outputs[o]->shape, a, sizeof a),
                           loss->spec->name, dtype_name(t->dtype), ck_shape_str(t->shape, b, sizeof b));
        } else if (!loss->spec && y_per != per && y_per * width != per) {
            return ck_fail("%s: targets of output '%s' (user loss) must have %lld or %lld values per sample, got %s",
                           who, out, (long long)per, (long long)(per / width), ck_shape_str(t->shape, b, sizeof b));
        }
    }
    return 0;
}

int ck_check_weights(const ck_tensor *w, int64_t n, const char *who)
{
    char b[64];
    if (!w->data || w->dtype != CK_F32 || w->size != n || w->shape.ndim < 1 || w->shape.d[0] != n)
        return ck_fail("%s: sample weights must be float32 (%lld,), got %s %s", who, (long long)n, dtype_name(w->dtype),
                       ck_shape_str(w->shape, b, sizeof b));
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(w->f[i])) return ck_fail("%s: sample weight %lld is %g", who, (long long)i, (double)w->f[i]);
    return 0;
}

/* A column of count rows shaped like t, on tape, not filled yet (-1 when
 * out of memory). */
static int column_like(ck_tape *tape, const ck_tensor *t, int64_t count, ck_tensor *out)
{
    void *rows = ck_tape_alloc(tape, sizeof(float) * (size_t)(ck_values_per_sample(t) * count) + 1);
    if (!rows) return -1;
    ck_shape s = t->shape;
    s.d[0] = (int)count;
    *out = ck_tensor_view(t->dtype, s, rows);
    return 0;
}

/* Rows [start, start + count) of t, or rows idx[start..] gathered into tape
 * memory when idx is given (a shuffled epoch). */
static int batch_rows(ck_tape *tape, const ck_tensor *t, const int64_t *idx, int64_t start, int64_t count,
                      ck_tensor *out)
{
    if (!idx) {
        *out = ck_tensor_rows(t, start, count);
        return 0;
    }
    if (column_like(tape, t, count, out)) return -1;
    ck_k_take_rows32(out->data, t->data, idx + start, count, ck_values_per_sample(t));
    return 0;
}

int ck_batch_columns(ck_model *m, ck_tape *tape, const ck_data *d, int64_t count, ck_data *out)
{
    ck_tensor *x = ck_tape_alloc(tape, sizeof *x * (size_t)m->n_in);
    ck_tensor *y = ck_tape_alloc(tape, sizeof *y * (size_t)m->n_out);
    float *weights = d->weights ? ck_tape_alloc(tape, sizeof(float) * (size_t)count) : NULL;
    if (!x || !y || (d->weights && !weights)) return -1;
    for (int i = 0; i < m->n_in; i++)
        if (column_like(tape, &d->x[i], count, &x[i])) return -1;
    for (int o = 0; o < m->n_out; o++)
        if (column_like(tape, &d->y[o], count, &y[o])) return -1;
    *out = (ck_data){.x = x, .y = y, .weights = weights, .n = count};
    return 0;
}

void ck_gather_batch_rows(const ck_model *m, const ck_data *d, const int64_t *idx, int64_t first, int64_t n,
                          ck_data *to)
{
    for (int i = 0; i < m->n_in; i++) {
        int64_t width = ck_values_per_sample(&d->x[i]);
        ck_k_take_rows32((uint32_t *)to->x[i].data + first * width, d->x[i].data, idx + first, n, width);
    }
    for (int o = 0; o < m->n_out; o++) {
        int64_t width = ck_values_per_sample(&d->y[o]);
        ck_k_take_rows32((uint32_t *)to->y[o].data + first * width, d->y[o].data, idx + first, n, width);
    }
    if (d->weights) ck_k_take_rows32((float *)to->weights + first, d->weights, idx + first, n, 1);
}

int ck_bind_inputs_to(ck_model *m, ck_worker *w, const ck_tensor *x, const int64_t *idx, int64_t start, int64_t count)
{
    for (int i = 0; i < m->n_in; i++) {
        ck_tensor rows;
        if (batch_rows(w->tape, &x[i], idx, start, count, &rows)) return -1;
        int slot = m->input_slots[i];
        w->values[slot] = ck_const(w->tape, &rows);
        w->masks[slot] = NULL;
        if (!w->values[slot]) return -1;
    }
    return 0;
}

int ck_bind_inputs(ck_model *m, const ck_tensor *x, const int64_t *idx, int64_t start, int64_t count)
{
    ck_worker w = ck_model_main_worker(m);
    return ck_bind_inputs_to(m, &w, x, idx, start, count);
}

ck_node *ck_bind_targets(const ck_model *m, ck_tape *t, int output, const ck_tensor *y, const int64_t *idx,
                         int64_t start, int64_t count, const ck_node *pred)
{
    ck_tensor rows;
    if (batch_rows(t, y, idx, start, count, &rows)) return NULL;
    ck_shape s = pred->value.shape;
    if (ck_target_is_ids(m, output, y) && ck_values_per_sample(y) != output_per_sample(m, output)) {
        s.ndim--; /* one class id per row of the last axis */
    }
    ck_tensor shaped = ck_tensor_view(y->dtype, s, rows.data);
    return ck_const(t, &shaped);
}

const float *ck_bind_weights(ck_tape *t, const float *w, const int64_t *idx, int64_t start, int64_t count)
{
    if (!w || !idx) return w ? w + start : NULL;
    float *rows = ck_tape_alloc(t, sizeof(float) * (size_t)count + 1);
    if (rows) ck_k_take_rows32(rows, w, idx + start, count, 1);
    return rows;
}
