/* ck_optimizers.h - optimizers and learning-rate schedules, as
 * keras.optimizers and keras.optimizers.schedules (Keras 2.11+, whose
 * "new" optimizers are tf.keras's default; Adam keeps its long-standing
 * arithmetic, see below).
 *
 *     ck_compile(model, "mse", ck_Adam(0.001f), NULL, 0);   // compile owns it
 *     ck_compile(model, "mse", ck_optimizer_with(ck_SGD(0.01f, 0.9f),
 *                &(ck_optimizer_args){.nesterov = 1, .clipnorm = 1.0f}), NULL, 0);
 *     ck_compile(model, "mse", ck_optimizer_with_schedule(ck_RMSprop(0.001f),
 *                ck_ExponentialDecay(0.001f, 1000, 0.96f, 0)), NULL, 0);
 *
 * An optimizer updates every trainable weight of a compiled model once per
 * batch, from the gradients backward left in them, and consumes (zeroes)
 * those gradients as it reads them. Its per-weight state (moments,
 * velocities, accumulators) is made by ck_compile and lives with the model;
 * no step allocates memory.
 *
 * A step, as Keras's Optimizer.apply_gradients: with a schedule, the
 * learning rate becomes schedule(iterations); the gradients are clipped
 * (clipnorm, else global_clipnorm, else clipvalue); with weight_decay,
 * w -= w * weight_decay * lr; iterations += 1; then the optimizer's update. */
#ifndef CK_OPTIMIZERS_H
#define CK_OPTIMIZERS_H

typedef struct ck_optimizer ck_optimizer;
typedef struct ck_lr_schedule ck_lr_schedule;

/* Every constructor returns NULL (message) on a bad setting; learning rates
 * must be > 0. The _ex forms take Keras's numeric arguments in Keras's
 * order; switches and the base Optimizer's settings are ck_optimizer_args. */

/* SGD (default learning_rate 0.01, momentum 0):
 *   velocity = momentum * velocity - lr * g; w += velocity
 * nesterov: w += momentum * velocity - lr * g (with the new velocity). */
ck_optimizer *ck_SGD(float learning_rate, float momentum);
/* RMSprop (learning_rate 0.001): rho 0.9, momentum 0, epsilon 1e-7:
 *   ms = rho ms + (1 - rho) g^2; increment = lr g / sqrt(ms + eps)
 * centered: mg = rho mg + (1 - rho) g and sqrt(ms - mg^2 + eps);
 * momentum > 0: mom = momentum mom + increment, w -= mom; else w -= increment. */
ck_optimizer *ck_RMSprop(float learning_rate);
ck_optimizer *ck_RMSprop_ex(float learning_rate, float rho, float momentum, float epsilon);
/* Adagrad (learning_rate 0.001): initial_accumulator_value 0.1, epsilon
 * 1e-7 (inside the square root, as the 2.11+ Adagrad; the legacy one adds
 * it outside): acc += g^2; w -= lr g / sqrt(acc + eps). */
ck_optimizer *ck_Adagrad(float learning_rate);
ck_optimizer *ck_Adagrad_ex(float learning_rate, float initial_accumulator_value, float epsilon);
/* Adam (learning_rate 0.001): beta_1 0.9, beta_2 0.999, epsilon 1e-7
 * outside the bias correction, which is folded into the step size:
 *   m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2
 *   lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); w -= lr_t m / (sqrt(v) + eps)
 * (the 2.11+ Adam's formula; m and v written as the legacy Adam writes
 * them). amsgrad: v_hat = max(v_hat, v) replaces v in the step. Dense:
 * every moment decays every step. */
ck_optimizer *ck_Adam(float learning_rate);
ck_optimizer *ck_Adam_ex(float learning_rate, float beta_1, float beta_2, float epsilon);
/* AdamW (Keras 2.11+): Adam with decoupled weight decay (Keras's default
 * CK_ADAMW_WEIGHT_DECAY), w -= w * weight_decay * lr before each Adam step. */
#define CK_ADAMW_WEIGHT_DECAY 0.004f
ck_optimizer *ck_AdamW(float learning_rate, float weight_decay);
ck_optimizer *ck_AdamW_ex(float learning_rate, float weight_decay, float beta_1, float beta_2, float epsilon);
/* Adamax (learning_rate 0.001): beta_1 0.9, beta_2 0.999, epsilon 1e-7:
 *   m += (g - m)(1 - b1); u = max(b2 u, |g|); w -= lr m / ((1 - b1^t)(u + eps)) */
ck_optimizer *ck_Adamax(float learning_rate);
ck_optimizer *ck_Adamax_ex(float learning_rate, float beta_1, float beta_2, float epsilon);
/* Nadam (learning_rate 0.001): beta_1 0.9, beta_2 0.999, epsilon 1e-7, the
 * 2.11+ formula with momentum schedule u_t = b1 (1 - 0.5 * 0.96^t):
 *   m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2)
 *   m_hat = u_{t+1} m / (1 - u_1...u_{t+1}) + (1 - u_t) g / (1 - u_1...u_t)
 *   w -= lr m_hat / (sqrt(v / (1 - b2^t)) + eps) */
ck_optimizer *ck_Nadam(float learning_rate);
ck_optimizer *ck_Nadam_ex(float learning_rate, float beta_1, float beta_2, float epsilon);

/* The Keras keyword settings that are off by default (zero: off). */
typedef struct ck_optimizer_args {
    int nesterov; /* SGD only (momentum must be > 0 to matter) */
    int centered; /* RMSprop only */
    int amsgrad;  /* Adam and AdamW only */
    /* Keras's base Optimizer settings, for every optimizer: */
    float weight_decay;    /* decoupled: w -= w * weight_decay * lr each step */
    float clipnorm;        /* each weight's gradient: g * clipnorm / max(|g|, clipnorm) */
    float global_clipnorm; /* all gradients together, by their joint norm */
    float clipvalue;       /* each element into [-clipvalue, clipvalue] */
} ck_optimizer_args;
/* Applies args to a new optimizer and returns it. As Keras: clipnorm and
 * global_clipnorm exclude each other; with either, clipvalue is not applied.
 * On a bad setting: message, the optimizer freed, NULL. NULL in: NULL out.
 * Only before compile (afterwards the optimizer belongs to the model: an
 * error, and it is left alone). */
ck_optimizer *ck_optimizer_with(ck_optimizer *opt, const ck_optimizer_args *args);

/* Keras's learning_rate=schedule: the optimizer's learning rate becomes
 * schedule(iterations) at every step, and is then not settable. Takes
 * ownership of both (either NULL: the other is freed, NULL returned). */
ck_optimizer *ck_optimizer_with_schedule(ck_optimizer *opt, ck_lr_schedule *schedule);

/* Keras's optimizer.learning_rate: the current value (with a schedule, the
 * one the last step used, or schedule(0) before the first). NAN for NULL. */
float ck_optimizer_learning_rate(const ck_optimizer *opt);
/* optimizer.learning_rate = lr, at any time (between epochs, from a
 * callback): the state (moments, iterations) is kept. lr must be finite and
 * >= 0. -1 with Keras's message for an optimizer made with a schedule. */
int ck_optimizer_set_learning_rate(ck_optimizer *opt, float lr);
/* optimizer.iterations: steps taken. */
long ck_optimizer_iterations(const ck_optimizer *opt);
/* Keras's class name ("Adam", "SGD", ...). */
const char *ck_optimizer_name(const ck_optimizer *opt);
/* Only for an optimizer never given to ck_compile (compile always takes
 * ownership, even when it fails). */
void ck_optimizer_free(ck_optimizer *opt);

/* ---- keras.optimizers.schedules: learning rate as a function of the
 * optimizer's step (0 for the first step), computed in float32 as Keras ---- */
/* initial * decay_rate ^ (step / decay_steps); staircase: the exponent is
 * floor(step / decay_steps). decay_steps > 0. */
ck_lr_schedule *ck_ExponentialDecay(float initial_learning_rate, long decay_steps, float decay_rate, int staircase);
/* values[0] while step <= boundaries[0], values[i] while boundaries[i-1] <
 * step <= boundaries[i], values[n_boundaries] after the last boundary.
 * Boundaries strictly increasing; n_boundaries + 1 values (copied). */
ck_lr_schedule *ck_PiecewiseConstantDecay(const long *boundaries, int n_boundaries, const float *values);
/* initial * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) /
 * decay_steps)) + alpha). decay_steps > 0. */
ck_lr_schedule *ck_CosineDecay(float initial_learning_rate, long decay_steps, float alpha);
/* schedule(step); NAN for NULL. */
float ck_lr_schedule_value(const ck_lr_schedule *schedule, long step);
/* Keras's class name ("ExponentialDecay", ...). */
const char *ck_lr_schedule_name(const ck_lr_schedule *schedule);
/* Only for a schedule never given to an optimizer. */
void ck_lr_schedule_free(ck_lr_schedule *schedule);

#endif
