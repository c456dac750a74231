/* ck_losses.h - losses, as keras.losses: every Keras name and alias, the
 * loss classes with their options, and your own loss.
 *
 * A ck_loss is a small value (copy it, no free). Give compile a name
 * ("binary_crossentropy", case as Keras's get() accepts: "MSE") or an
 * object:
 *
 *     ck_compile(m, "binary_crossentropy", ck_Adam(1e-3f), NULL, 0);
 *     ck_compile_ex(m, ck_Adam(1e-3f), &(ck_compile_args){
 *         CK_LOSSES(ck_BinaryCrossentropy(1, 0.1f)), .metrics = ...});
 *
 * Every field left 0 means Keras's default, so (ck_loss){.name = "huber"}
 * is keras.losses.Huber() (delta 1.0).
 *
 * A loss is built from autograd ops on the tape, so its gradient comes
 * from the op table. As Keras, a loss FUNCTION gives one value per sample
 * ((B, k) -> (B,): the mean over the last axis, or the sum for the
 * categorical crossentropies and KL divergence), and fit reduces them as
 * Keras's default reduction SUM_OVER_BATCH_SIZE: sum(sample_weight *
 * loss) / (number of values). */
#ifndef CK_LOSSES_H
#define CK_LOSSES_H

#include "ck_autograd.h"

/* A loss (or metric) written by the user: build the per-sample losses
 * (B, ...) from y_true and y_pred with autograd ops on tape t, or the
 * batch's mean as a () scalar. y_pred is the model output (B, ...); y_true
 * holds the targets as given to fit: float32 in y_pred's shape, or (B, ...)
 * int32 class ids. Return NULL (message kept) on error. */
typedef ck_node *(*ck_loss_fn)(ck_tape *t, ck_node *y_true, ck_node *y_pred, void *user);

typedef struct ck_loss {
    /* A Keras name, alias or class name, any case: "mean_squared_error",
     * "mse", "MeanSquaredError", "binary_crossentropy", "kld", ... With fn,
     * only a label for messages (may be NULL). */
    const char *name;
    /* crossentropies: y_pred are logits, not probabilities (Keras's
     * from_logits=False is the 0 default) */
    int from_logits;
    /* binary / categorical crossentropy: targets become t * (1 - s) + s / 2
     * (binary) or + s / n_classes (categorical). In [0, 1]. */
    float label_smoothing;
    /* huber: where the loss turns from quadratic to linear (0: Keras's 1.0) */
    float delta;
    /* a user loss: fn builds it; name is ignored for lookup */
    ck_loss_fn fn;
    void *user;
} ck_loss;

/* The keras.losses classes, with their arguments. */
ck_loss ck_MeanSquaredError(void);
ck_loss ck_MeanAbsoluteError(void);
ck_loss ck_MeanAbsolutePercentageError(void);
ck_loss ck_MeanSquaredLogarithmicError(void);
ck_loss ck_Huber(float delta);
ck_loss ck_LogCosh(void);
ck_loss ck_BinaryCrossentropy(int from_logits, float label_smoothing);
ck_loss ck_CategoricalCrossentropy(int from_logits, float label_smoothing);
/* Targets are class ids (int32, or float32 holding whole numbers). */
ck_loss ck_SparseCategoricalCrossentropy(int from_logits);
ck_loss ck_KLDivergence(void);
ck_loss ck_Poisson(void);
/* Targets -1 / 1; targets that are all 0 / 1 are mapped to -1 / 1, as Keras does. */
ck_loss ck_Hinge(void);
ck_loss ck_SquaredHinge(void);
/* A user loss: fn(t, y_true, y_pred, user); name labels it in messages. */
ck_loss ck_custom_loss(ck_loss_fn fn, void *user, const char *name);

/* The loss function (keras.losses.binary_crossentropy(y_true, y_pred)):
 * per-sample values (B, ...) on tape t. For a sparse loss y_true holds
 * class ids: (B, ...) for y_pred (B, ..., C). */
ck_node *ck_loss_per_sample(ck_tape *t, const ck_loss *loss, ck_node *y_true, ck_node *y_pred);
/* The loss object's __call__ (keras.losses.Loss): () scalar, the per-sample
 * values times sample_weight ((B,) F32 or NULL), summed, divided by their
 * number (SUM_OVER_BATCH_SIZE). */
ck_node *ck_loss_call(ck_tape *t, const ck_loss *loss, ck_node *y_true, ck_node *y_pred, ck_node *sample_weight);

/* Keras's epsilon (backend.epsilon()): probabilities are clipped to
 * [eps, 1 - eps] before a log. */
#define CK_EPSILON 1e-7f

#endif
