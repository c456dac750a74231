/* losses_crossentropy.c - Keras's crossentropies (from probabilities, with
 * its clipping by epsilon, or from logits; with label smoothing) and the
 * other probabilistic losses, as per-sample values (B, ...) built from
 * autograd ops. Each formula is Keras 2's (keras/losses.py and
 * keras/backend.py), quoted above its code. */
#include "ck_model_internal.h"

/* label smoothing: y_true * (1 - s) + s * share (binary: share 1/2,
 * categorical: 1 / n_classes) */
static ck_node *smooth_labels(ck_tape *t, ck_node *y_true, float smoothing, float share)
{
    if (smoothing == 0.0f) return y_true;
    return ck_add(t, ck_scale(t, y_true, 1.0f - smoothing), ck_loss_constant(t, smoothing * share));
}

static int check_smoothing(const ck_loss *cfg, const char *who)
{
    float s = cfg ? cfg->label_smoothing : 0.0f;
    if (!(s >= 0.0f && s <= 1.0f)) return ck_fail("%s: label_smoothing = %g must be in [0, 1]", who, (double)s);
    return 0;
}

/* y_true = y_true * (1 - label_smoothing) + 0.5 * label_smoothing
 * from logits: sigmoid_cross_entropy_with_logits = softplus(x) - x * y_true
 * else: p = clip(y_pred, eps, 1 - eps);
 *       -(y_true * log(p + eps) + (1 - y_true) * log(1 - p + eps))
 * then the mean over the last axis */
ck_node *ck_binary_crossentropy(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg)
{
    if (check_smoothing(cfg, "binary_crossentropy")) return NULL;
    ck_node *target = smooth_labels(t, y_true, cfg ? cfg->label_smoothing : 0.0f, 0.5f), *bce;
    if (cfg && cfg->from_logits) {
        bce = ck_sub(t, ck_softplus(t, y_pred), ck_mul(t, y_pred, target));
    } else {
        ck_node *eps = ck_loss_constant(t, CK_EPSILON), *one = ck_loss_constant(t, 1.0f);
        ck_node *p = ck_clip(t, y_pred, CK_EPSILON, 1.0f - CK_EPSILON);
        ck_node *log_p = ck_log(t, ck_add(t, p, eps));
        ck_node *log_not_p = ck_log(t, ck_add(t, ck_sub(t, one, p), eps));
        ck_node *sum = ck_add(t, ck_mul(t, target, log_p), ck_mul(t, ck_sub(t, one, target), log_not_p));
        bce = ck_neg(t, sum);
    }
    return ck_loss_mean_last(t, bce);
}

/* y_true = y_true * (1 - label_smoothing) + label_smoothing / n_classes
 * from logits: -sum(y_true * log_softmax(y_pred), axis=-1)
 * else: p = clip(y_pred / sum(y_pred, axis=-1), eps, 1 - eps);
 *       -sum(y_true * log(p), axis=-1) */
ck_node *ck_categorical_crossentropy(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg)
{
    if (check_smoothing(cfg, "categorical_crossentropy")) return NULL;
    if (!y_true || !y_pred) return NULL;
    int n_classes = y_pred->value.shape.ndim ? y_pred->value.shape.d[y_pred->value.shape.ndim - 1] : 1;
    ck_node *target = smooth_labels(t, y_true, cfg ? cfg->label_smoothing : 0.0f, 1.0f / (float)n_classes);
    ck_node *log_p;
    if (cfg && cfg->from_logits) {
        log_p = ck_log_softmax(t, y_pred, -1);
    } else {
        ck_node *p = ck_div(t, y_pred, ck_sum(t, y_pred, -1, 1));
        log_p = ck_log(t, ck_clip(t, p, CK_EPSILON, 1.0f - CK_EPSILON));
    }
    return ck_neg(t, ck_sum(t, ck_mul(t, target, log_p), -1, 0));
}

/* from logits: -log_softmax(y_pred)[y_true]
 * else: logits = log(clip(y_pred, eps, 1 - eps)), then the same (so the
 * clipped probabilities are renormalised, as Keras's
 * sparse_softmax_cross_entropy_with_logits on them does).
 * y_true: class ids (B, ...) (or (B, ..., 1)) for y_pred (B, ..., C). */
ck_node *ck_sparse_categorical_crossentropy(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg)
{
    if (!y_true || !y_pred) return NULL;
    ck_shape ps = y_pred->value.shape;
    if (ps.ndim < 1) {
        ck_fail("sparse_categorical_crossentropy: y_pred must have a class axis, got a scalar");
        return NULL;
    }
    int n_classes = ps.d[ps.ndim - 1];
    ck_shape ids_shape = ps;
    ids_shape.ndim--;
    if (y_true->value.size != ck_shape_size(ids_shape)) {
        char a[64], b[64];
        ck_fail("sparse_categorical_crossentropy: %s class ids for predictions %s (one id per row of %d)",
                ck_shape_str(y_true->value.shape, a, sizeof a), ck_shape_str(ps, b, sizeof b), n_classes);
        return NULL;
    }
    ck_tensor ids = y_true->value;
    ids.shape = ids_shape;
    ck_node *one_hot = ck_loss_one_hot(t, ck_const(t, &ids), n_classes);
    ck_node *logits = cfg && cfg->from_logits ? y_pred : ck_log(t, ck_clip(t, y_pred, CK_EPSILON, 1.0f - CK_EPSILON));
    return ck_neg(t, ck_sum(t, ck_mul(t, one_hot, ck_log_softmax(t, logits, -1)), -1, 0));
}

/* y_true = clip(y_true, eps, 1); y_pred = clip(y_pred, eps, 1);
 * sum(y_true * log(y_true / y_pred), axis=-1) */
ck_node *ck_kl_divergence(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg)
{
    (void)cfg;
    ck_node *target = ck_clip(t, y_true, CK_EPSILON, 1.0f), *pred = ck_clip(t, y_pred, CK_EPSILON, 1.0f);
    return ck_sum(t, ck_mul(t, target, ck_log(t, ck_div(t, target, pred))), -1, 0);
}

/* mean(y_pred - y_true * log(y_pred + eps), axis=-1) */
ck_node *ck_poisson(ck_tape *t, ck_node *y_true, ck_node *y_pred, const ck_loss *cfg)
{
    (void)cfg;
    ck_node *log_pred = ck_log(t, ck_add(t, y_pred, ck_loss_constant(t, CK_EPSILON)));
    return ck_loss_mean_last(t, ck_sub(t, y_pred, ck_mul(t, y_true, log_pred)));
}
