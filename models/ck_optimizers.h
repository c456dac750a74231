/* ck_optimizers.h - optimizers, as keras.optimizers: Adam, SGD.
 *
 *     ck_compile(model, "mse", ck_Adam(0.001f), NULL, 0);   // compile owns it
 *
 * An optimizer updates every trainable weight of a compiled model once per
 * batch, from the gradients backward left in them, and consumes (zeroes)
 * those gradients as it reads them. Its per-weight state (Adam's moments,
 * SGD's velocity) is made by ck_compile and lives with the model. */
#ifndef CK_OPTIMIZERS_H
#define CK_OPTIMIZERS_H

typedef struct ck_optimizer ck_optimizer;

/* Keras Adam: beta_1 0.9, beta_2 0.999, epsilon 1e-7 outside the bias
 * correction; dense: every moment decays every step. */
ck_optimizer *ck_Adam(float learning_rate);
ck_optimizer *ck_Adam_ex(float learning_rate, float beta_1, float beta_2, float epsilon);
/* Keras SGD: velocity = momentum * velocity - lr * g; w += velocity. */
ck_optimizer *ck_SGD(float learning_rate, float momentum);
/* Keras's class name ("Adam", "SGD"). */
const char *ck_optimizer_name(const ck_optimizer *opt);
/* Only for an optimizer never given to ck_compile (compile always takes
 * ownership, even when it fails). */
void ck_optimizer_free(ck_optimizer *opt);

#endif
