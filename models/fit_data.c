/* fit_data.c - what fit does with its data before the first step: checks,
 * Keras's validation_split (the last rows, before any shuffling), the
 * training weights (sample_weight times class_weight), and every metric
 * resolved for the targets ("accuracy" becomes binary, categorical or
 * sparse accuracy, as Keras decides it). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ck_model_internal.h"

static int64_t output_width(const ck_model *m, int o)
{
    const ck_shape s = m->outputs[o]->shape;
    return s.ndim >= 2 ? s.d[s.ndim - 1] : 1;
}

/* Keras: binary when the output has one value per row (or the loss is
 * binary crossentropy); sparse when the targets are class ids (or the loss
 * is sparse crossentropy); categorical otherwise. */
static void resolve(ck_model *m, ck_metric_slot *slot, int ids)
{
    const ck_loss_spec *loss = m->losses[slot->output].spec;
    int binary = output_width(m, slot->output) == 1 || (loss && (loss->flags & CK_LOSS_BINARY_CE));
    int sparse = !binary && (ids || (loss && (loss->flags & CK_LOSS_SPARSE)));
    if (slot->spec->kind == CK_METRIC_AUTO_ACCURACY)
        slot->resolved = binary   ? &ck_binary_accuracy_spec
                         : sparse ? &ck_sparse_accuracy_spec
                                  : &ck_categorical_accuracy_spec;
    else
        slot->loss = ck_loss_lookup(binary   ? "binary_crossentropy"
                                    : sparse ? "sparse_categorical_crossentropy"
                                             : "categorical_crossentropy");
}

int ck_metrics_prepare(ck_model *m, const ck_tensor *y, const char *who)
{
    char b[64];
    for (int k = 0; k < m->n_metrics; k++) {
        ck_metric_slot *slot = &m->metrics[k];
        const ck_tensor *t = &y[slot->output];
        int ids = ck_target_is_ids(m, slot->output, t);
        if (slot->cfg.fn) continue; /* a user metric reads what it is given */
        if (slot->spec &&
            (slot->spec->kind == CK_METRIC_AUTO_ACCURACY || slot->spec->kind == CK_METRIC_AUTO_CROSSENTROPY))
            resolve(m, slot, ids);
        const ck_metric_spec *spec = slot->resolved ? slot->resolved : slot->spec;
        int wants_ids = slot->loss ? (slot->loss->flags & CK_LOSS_SPARSE) != 0 : (spec->flags & CK_METRIC_SPARSE) != 0;
        int any_dtype = !slot->loss && spec->kind == CK_METRIC_AUC;
        if (wants_ids && !ids)
            return ck_fail("%s: metric '%s' takes class ids (int32, one per row of %lld predictions), got %s %s", who,
                           slot->name, (long long)output_width(m, slot->output),
                           t->dtype == CK_F32 ? "float32" : "int32", ck_shape_str(t->shape, b, sizeof b));
        if (!wants_ids && (ids || (!any_dtype && t->dtype != CK_F32)))
            return ck_fail("%s: metric '%s' takes float32 targets shaped like the output, got %s %s (class ids: use "
                           "a sparse_ metric)",
                           who, slot->name, t->dtype == CK_F32 ? "float32" : "int32",
                           ck_shape_str(t->shape, b, sizeof b));
    }
    return 0;
}

/* ---- validation split and weights ---- */

/* rows [start, start + count) of each of n tensors, into out */
static void take_rows(const ck_tensor *t, int n, int64_t start, int64_t count, ck_tensor *out)
{
    for (int i = 0; i < n; i++) out[i] = ck_tensor_rows(&t[i], start, count);
}

/* Keras's validation_split: split_at = floor(n * (1 - split)); the rows
 * before it train, the rest validate. */
static int split_validation(ck_model *m, const ck_fit_args *a, ck_fit_data *fd)
{
    double split = a->validation_split;
    int64_t n = fd->train.n;
    if (!(split >= 0.0 && split < 1.0)) return ck_fail("fit: validation_split = %g must be in [0, 1)", split);
    int64_t split_at = (int64_t)floor((double)n * (1.0 - split));
    if (split_at <= 0 || split_at >= n)
        return ck_fail("fit: validation_split = %g leaves %lld of %lld samples for training: not enough to split",
                       split, (long long)split_at, (long long)n);
    int n_views = 2 * (m->n_in + m->n_out);
    fd->views = malloc(sizeof(ck_tensor) * (size_t)n_views);
    if (!fd->views) return ck_fail("fit: out of memory");
    ck_tensor *tx = fd->views, *vx = tx + m->n_in, *ty = vx + m->n_in, *vy = ty + m->n_out;
    take_rows(fd->train.x, m->n_in, 0, split_at, tx);
    take_rows(fd->train.x, m->n_in, split_at, n - split_at, vx);
    take_rows(fd->train.y, m->n_out, 0, split_at, ty);
    take_rows(fd->train.y, m->n_out, split_at, n - split_at, vy);
    fd->val = (ck_data){vx, vy, fd->train.weights ? fd->train.weights + split_at : NULL, n - split_at};
    fd->train = (ck_data){tx, ty, fd->train.weights, split_at};
    fd->has_val = 1;
    return 0;
}

/* Keras's class of a target row: its argmax when it has several values,
 * else its value cast to an integer. */
static int64_t class_of(const ck_tensor *y, int64_t i, int64_t per)
{
    if (y->dtype == CK_I32) return y->i[i * per];
    const float *row = y->f + i * per;
    if (per == 1) return isfinite(row[0]) ? (int64_t)row[0] : -1;
    int64_t best = 0;
    for (int64_t j = 1; j < per; j++)
        if (row[j] > row[best]) best = j;
    return best;
}

static int class_weights(ck_model *m, const ck_fit_args *a, ck_fit_data *fd)
{
    if (m->n_out != 1)
        return ck_fail("fit: class_weight is only for models with one output ('%s' has %d)", m->name, m->n_out);
    if (a->n_class_weight <= 0) return ck_fail("fit: class_weight given with n_class_weight = %d", a->n_class_weight);
    const ck_tensor *y = &fd->train.y[0];
    if (y->shape.ndim > 2)
        return ck_fail("fit: class_weight is not supported for targets of rank %d (> 2)", y->shape.ndim);
    int64_t n = fd->train.n, per = y->size / y->shape.d[0];
    for (int c = 0; c < a->n_class_weight; c++)
        if (!isfinite(a->class_weight[c])) return ck_fail("fit: class_weight[%d] is %g", c, (double)a->class_weight[c]);
    fd->weights = malloc(sizeof(float) * (size_t)n);
    if (!fd->weights) return ck_fail("fit: out of memory");
    for (int64_t i = 0; i < n; i++) {
        int64_t c = class_of(y, i, per);
        if (c < 0 || c >= a->n_class_weight)
            return ck_fail("fit: sample %lld is of class %lld, which class_weight (%d classes) has no weight for",
                           (long long)i, (long long)c, a->n_class_weight);
        fd->weights[i] = (fd->train.weights ? fd->train.weights[i] : 1.0f) * a->class_weight[c];
    }
    fd->train.weights = fd->weights;
    return 0;
}

static int check_val_targets_match(const ck_model *m, const ck_fit_data *fd)
{
    for (int o = 0; o < m->n_out; o++)
        if (ck_target_is_ids(m, o, &fd->train.y[o]) != ck_target_is_ids(m, o, &fd->val.y[o]))
            return ck_fail("fit: output '%s': the training targets are %s but the validation targets are not",
                           m->outputs[o]->layer->name,
                           ck_target_is_ids(m, o, &fd->train.y[o]) ? "class ids" : "shaped like the output");
    return 0;
}

int ck_fit_data_prepare(ck_model *m, const ck_tensor *x, int n_x, const ck_tensor *y, const ck_fit_args *a,
                        ck_fit_data *fd)
{
    memset(fd, 0, sizeof *fd);
    int64_t n;
    if (ck_check_inputs(m, x, n_x, "fit", &n) || ck_check_targets(m, y, n, "fit") ||
        (a->sample_weight && ck_check_weights(a->sample_weight, n, "fit (sample_weight)")))
        return -1;
    fd->train = (ck_data){x, y, a->sample_weight ? a->sample_weight->f : NULL, n};
    if (a->val_x || a->val_y) {
        int64_t n_val;
        if (!a->val_x || !a->val_y) return ck_fail("fit: give both val_x and val_y, or neither");
        if (ck_check_inputs(m, a->val_x, m->n_in, "fit (validation data)", &n_val) ||
            ck_check_targets(m, a->val_y, n_val, "fit (validation data)") ||
            (a->val_sample_weight && ck_check_weights(a->val_sample_weight, n_val, "fit (val_sample_weight)")))
            return -1;
        fd->val = (ck_data){a->val_x, a->val_y, a->val_sample_weight ? a->val_sample_weight->f : NULL, n_val};
        fd->has_val = 1;
    } else if (a->val_sample_weight) {
        return ck_fail("fit: val_sample_weight given without val_x and val_y");
    } else if (a->validation_split != 0.0 && split_validation(m, a, fd)) {
        return -1;
    }
    if (a->class_weight || a->n_class_weight) {
        if (!a->class_weight) return ck_fail("fit: n_class_weight = %d but class_weight is NULL", a->n_class_weight);
        if (class_weights(m, a, fd)) return -1;
    }
    if (fd->has_val && check_val_targets_match(m, fd)) return -1;
    if (ck_metrics_prepare(m, fd->train.y, "fit")) return -1;
    return fd->has_val ? ck_metrics_prepare(m, fd->val.y, "fit (validation data)") : 0;
}

void ck_fit_data_free(ck_fit_data *fd)
{
    free(fd->views);
    free(fd->weights);
    memset(fd, 0, sizeof *fd);
}
