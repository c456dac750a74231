/* batching.c - (x, y) as fit, evaluate and predict take them: checked
 * against the model's inputs and output, then bound batch by batch to the
 * model's input slots as constants on the tape (views into the data, or
 * rows gathered into tape memory for a shuffled epoch). */
#include <string.h>

#include "ck_model_internal.h"

static const char *dtype_name(ck_dtype dt) { return dt == CK_F32 ? "float32" : "int32"; }

int ck_check_data(const ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, const char *who,
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
                           dtype_name(in->dtype), ck_shape_py(in->shape, a, sizeof a), dtype_name(t->dtype),
                           ck_shape_str(t->shape, b, sizeof b));
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
            return ck_fail("%s: targets must be float32 with %lld samples of %lld values (output %s), got %s %s", who,
                           (long long)n, (long long)per_sample, ck_shape_py(out->shape, a, sizeof a),
                           dtype_name(y->dtype), ck_shape_str(y->shape, b, sizeof b));
    }
    if (n <= 0) return ck_fail("%s: no samples", who);
    *n_samples = n;
    return 0;
}

/* Copy rows idx[0..count) of a (rows, width) table of 4-byte elements.
 * Rows are a few values (an id, 3 genres): element loops, not a memcpy
 * call per row. */
#define GATHER_ROWS(type, to, from, idx, count, width)                                \
    do {                                                                              \
        if ((width) == 1)                                                             \
            for (int64_t r = 0; r < (count); r++) (to)[r] = (from)[(idx)[r]];         \
        else                                                                          \
            for (int64_t r = 0; r < (count); r++) {                                   \
                const type *row = (from) + (idx)[r] * (width);                        \
                for (int64_t j = 0; j < (width); j++) (to)[r * (width) + j] = row[j]; \
            }                                                                         \
    } while (0)

/* Rows [start, start + count) of t, or rows idx[start..] gathered into tape
 * memory when idx is given (a shuffled epoch). */
static int batch_rows(ck_tape *tape, const ck_tensor *t, const int64_t *idx, int64_t start, int64_t count,
                      ck_tensor *out)
{
    if (!idx) {
        *out = ck_tensor_rows(t, start, count);
        return 0;
    }
    const int64_t width = t->shape.d[0] ? t->size / t->shape.d[0] : 0;
    void *dst = ck_tape_alloc(tape, sizeof(float) * (size_t)(width * count) + 1);
    if (!dst) return -1;
    if (t->dtype == CK_F32)
        GATHER_ROWS(float, (float *)dst, t->f, idx + start, count, width);
    else
        GATHER_ROWS(int32_t, (int32_t *)dst, t->i, idx + start, count, width);
    ck_shape s = t->shape;
    s.d[0] = (int)count;
    *out = ck_tensor_view(t->dtype, s, dst);
    return 0;
}

int ck_bind_inputs(ck_model *m, const ck_tensor *x, const int64_t *idx, int64_t start, int64_t count)
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

ck_node *ck_bind_targets(ck_model *m, const ck_tensor *y, const int64_t *idx, int64_t start, int64_t count,
                         const ck_node *pred)
{
    ck_tensor rows;
    if (batch_rows(m->tape, y, idx, start, count, &rows)) return NULL;
    ck_tensor shaped = ck_tensor_view(CK_F32, pred->value.shape, rows.data);
    return ck_const(m->tape, &shaped);
}
