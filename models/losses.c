/* losses.c - the losses compile accepts, by Keras name, alias and class
 * name; the loss classes; Keras's reduction (SUM_OVER_BATCH_SIZE, with
 * sample weights); and the helpers the loss files share. Each loss builds
 * its per-sample values on the tape from autograd ops, so its gradient
 * comes from the op table like any other. The regression losses are in
 * losses_regression.c, the crossentropies and other probabilistic losses
 * in losses_crossentropy.c. */
#include <stdio.h>
#include <strings.h>

#include "ck_kernels.h"
#include "ck_model_internal.h"

/* ---- the loss classes (keras.losses) ---- */

ck_loss ck_MeanSquaredError(void) { return (ck_loss){.name = "mean_squared_error"}; }
ck_loss ck_MeanAbsoluteError(void) { return (ck_loss){.name = "mean_absolute_error"}; }
ck_loss ck_MeanAbsolutePercentageError(void) { return (ck_loss){.name = "mean_absolute_percentage_error"}; }
ck_loss ck_MeanSquaredLogarithmicError(void) { return (ck_loss){.name = "mean_squared_logarithmic_error"}; }
ck_loss ck_Huber(float delta) { return (ck_loss){.name = "huber", .delta = delta}; }
ck_loss ck_LogCosh(void) { return (ck_loss){.name = "log_cosh"}; }
ck_loss ck_KLDivergence(void) { return (ck_loss){.name = "kl_divergence"}; }
ck_loss ck_Poisson(void) { return (ck_loss){.name = "poisson"}; }
ck_loss ck_Hinge(void) { return (ck_loss){.name = "hinge"}; }
ck_loss ck_SquaredHinge(void) { return (ck_loss){.name = "squared_hinge"}; }
ck_loss ck_custom_loss(ck_loss_fn fn, void *user, const char *name)
{
    return (ck_loss){.name = name, .fn = fn, .user = user};
}
ck_loss ck_BinaryCrossentropy(int from_logits, float label_smoothing)
{
    return (ck_loss){.name = "binary_crossentropy", .from_logits = from_logits, .label_smoothing = label_smoothing};
}
ck_loss ck_CategoricalCrossentropy(int from_logits, float label_smoothing)
{
    return (ck_loss){
        .name = "categorical_crossentropy", .from_logits = from_logits, .label_smoothing = label_smoothing};
}
ck_loss ck_SparseCategoricalCrossentropy(int from_logits)
{
    return (ck_loss){.name = "sparse_categorical_crossentropy", .from_logits = from_logits};
}

/* ---- the table ---- */

/* mean over every value as the one mse op, and the same in double: the
 * formula lives in ck_k_mean_squared_error, which both call */
static ck_node *mse_batch_mean(ck_tape *t, ck_node *y_true, ck_node *y_pred) { return ck_mse(t, y_pred, y_true); }
static double mse_mean(const ck_node *y_true, const ck_node *y_pred)
{
    return ck_k_mean_squared_error(y_pred->value.f, y_true->value.f, y_pred->value.size);
}

static const ck_loss_spec losses[] = {
    {"mean_squared_error", {"mse", "MeanSquaredError"}, 0, ck_mean_squared_error, mse_batch_mean, mse_mean},
    {"mean_absolute_error", {"mae", "MeanAbsoluteError"}, 0, ck_mean_absolute_error, NULL, NULL},
    {"mean_absolute_percentage_error",
     {"mape", "MeanAbsolutePercentageError"},
     0,
     ck_mean_absolute_percentage_error,
     NULL,
     NULL},
    {"mean_squared_logarithmic_error",
     {"msle", "MeanSquaredLogarithmicError"},
     0,
     ck_mean_squared_logarithmic_error,
     NULL,
     NULL},
    {"huber", {"Huber"}, CK_LOSS_DELTA, ck_huber, NULL, NULL},
    {"log_cosh", {"logcosh", "LogCosh"}, 0, ck_log_cosh, NULL, NULL},
    {"binary_crossentropy",
     {"BinaryCrossentropy"},
     CK_LOSS_BINARY_CE | CK_LOSS_CROSSENTROPY,
     ck_binary_crossentropy,
     NULL,
     NULL},
    {"categorical_crossentropy",
     {"CategoricalCrossentropy"},
     CK_LOSS_CROSSENTROPY,
     ck_categorical_crossentropy,
     NULL,
     NULL},
    {"sparse_categorical_crossentropy",
     {"SparseCategoricalCrossentropy"},
     CK_LOSS_SPARSE | CK_LOSS_CROSSENTROPY,
     ck_sparse_categorical_crossentropy,
     NULL,
     NULL},
    {"kl_divergence", {"kld", "kullback_leibler_divergence", "KLDivergence"}, 0, ck_kl_divergence, NULL, NULL},
    {"poisson", {"Poisson"}, 0, ck_poisson, NULL, NULL},
    {"hinge", {"Hinge"}, 0, ck_hinge, NULL, NULL},
    {"squared_hinge", {"SquaredHinge"}, 0, ck_squared_hinge, NULL, NULL},
};
enum { N_LOSSES = sizeof losses / sizeof losses[0], N_ALIASES = sizeof losses[0].aliases / sizeof(char *) };

const ck_loss_spec *ck_loss_lookup(const char *name)
{
    if (!name) return NULL;
    for (int i = 0; i < N_LOSSES; i++) {
        if (!strcasecmp(name, losses[i].name)) return &losses[i];
        for (int a = 0; a < N_ALIASES && losses[i].aliases[a]; a++)
            if (!strcasecmp(name, losses[i].aliases[a])) return &losses[i];
    }
    return NULL;
}

void ck_loss_names(char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < N_LOSSES && used < n; i++) {
        used += (size_t)snprintf(buf + used, n - used, "%s\"%s\"", i ? ", " : "", losses[i].name);
        /* the short aliases (the class names follow from the names) */
        for (int a = 0; a < N_ALIASES && losses[i].aliases[a] && used < n; a++)
            if (losses[i].aliases[a][0] >= 'a')
                used += (size_t)snprintf(buf + used, n - used, "/\"%s\"", losses[i].aliases[a]);
    }
}

/* ---- helpers the loss files share ---- */

ck_node *ck_loss_constant(ck_tape *t, float value)
{
    float *v = ck_tape_alloc(t, sizeof *v);
    if (!v) return NULL;
    *v = value;
    ck_tensor c = ck_tensor_view(CK_F32, ck_shape_of(0), v);
    return ck_const(t, &c);
}

ck_node *ck_loss_mean_last(ck_tape *t, ck_node *x)
{
    if (!x) return NULL;
    return x->value.shape.ndim >= 2 ? ck_mean(t, x, -1, 0) : x;
}

ck_node *ck_loss_one_hot(ck_tape *t, ck_node *ids, int n_classes)
{
    if (!ids) return NULL;
    int64_t n = ids->value.size;
    ck_shape s = ids->value.shape;
    if (s.ndim >= CK_MAX_DIMS) {
        ck_fail("one_hot: class ids of rank %d", s.ndim);
        return NULL;
    }
    s.d[s.ndim++] = n_classes;
    float *v = ck_tape_alloc(t, sizeof(float) * (size_t)(n * n_classes) + 1);
    if (!v) return NULL;
    for (int64_t i = 0; i < n; i++) {
        double id = ids->value.dtype == CK_I32 ? (double)ids->value.i[i] : (double)ids->value.f[i];
        if (!(id >= 0 && id < n_classes) || id != (double)(int64_t)id) {
            ck_fail("class id %g of sample %lld is not one of 0..%d", id, (long long)i, n_classes - 1);
            return NULL;
        }
        for (int c = 0; c < n_classes; c++) v[i * n_classes + c] = c == (int)id ? 1.0f : 0.0f;
    }
    ck_tensor c = ck_tensor_view(CK_F32, s, v);
    return ck_const(t, &c);
}

/* ---- calling a loss ---- */

static const ck_loss_spec *spec_of(const ck_loss *loss)
{
    const ck_loss_spec *spec = ck_loss_lookup(loss->name);
    if (!spec) {
        char names[1024];
        ck_loss_names(names, sizeof names);
        ck_fail("unknown loss '%s' (use %s, or a user loss)", loss->name ? loss->name : "(null)", names);
    }
    return spec;
}

ck_node *ck_loss_per_sample(ck_tape *t, const ck_loss *loss, ck_node *y_true, ck_node *y_pred)
{
    if (!t || !loss) {
        ck_fail("loss: %s is NULL", !t ? "tape" : "loss");
        return NULL;
    }
    if (!y_true || !y_pred) return NULL; /* keep the first message */
    if (loss->fn) return loss->fn(t, y_true, y_pred, loss->user);
    const ck_loss_spec *spec = spec_of(loss);
    return spec ? spec->per_sample(t, y_true, y_pred, loss) : NULL;
}

/* SUM_OVER_BATCH_SIZE: sum(w * per_sample) / size(per_sample). The
 * weights (B,) get trailing 1 dims to multiply per-sample values (B, ...). */
static ck_node *reduce(ck_tape *t, ck_node *per_sample, ck_node *weights)
{
    if (!per_sample) return NULL;
    if (per_sample->value.shape.ndim == 0) {
        if (weights) {
            ck_fail("loss: a loss that returns one value () cannot weight samples; return per-sample values (B, ...)");
            return NULL;
        }
        return per_sample;
    }
    if (weights) {
        ck_shape ws = per_sample->value.shape;
        for (int d = 1; d < ws.ndim; d++) ws.d[d] = 1;
        if (weights->value.size != ws.d[0]) {
            ck_fail("loss: %lld sample weights for %d samples", (long long)weights->value.size, ws.d[0]);
            return NULL;
        }
        per_sample = ck_mul(t, per_sample, ck_reshape(t, weights, ws));
    }
    return ck_mean_all(t, per_sample);
}

ck_node *ck_loss_reduced(ck_tape *t, const ck_loss_spec *spec, const ck_loss *cfg, ck_node *y_true, ck_node *y_pred,
                         ck_node *weights)
{
    if (!y_true || !y_pred) return NULL;
    if (!spec) return reduce(t, cfg->fn(t, y_true, y_pred, cfg->user), weights);
    /* unweighted, a loss may be one op (mse: the FM's training loss) */
    if (!weights && spec->batch_mean) return spec->batch_mean(t, y_true, y_pred);
    return reduce(t, spec->per_sample(t, y_true, y_pred, cfg), weights);
}

ck_node *ck_loss_call(ck_tape *t, const ck_loss *loss, ck_node *y_true, ck_node *y_pred, ck_node *sample_weight)
{
    if (!t || !loss) {
        ck_fail("loss: %s is NULL", !t ? "tape" : "loss");
        return NULL;
    }
    const ck_loss_spec *spec = loss->fn ? NULL : spec_of(loss);
    if (!loss->fn && !spec) return NULL;
    return ck_loss_reduced(t, spec, loss, y_true, y_pred, sample_weight);
}
