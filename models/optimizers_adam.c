/* optimizers_adam.c - Adam, AdamW, Adamax and Nadam: the optimizers with
 * bias-corrected moments (formulas in ck_optimizers.h). Adamax and Nadam
 * follow Keras 2.11+ (tf_keras/optimizers/adamax.py, nadam.py) operation
 * for operation; Adam and AdamW compute the 2.11+ formula with Adam's
 * long-standing arithmetic (m = b1 m + (1 - b1) g, the bias correction folded
 * into lr_t in double), which the FM's results depend on bit for bit. AdamW
 * is Adam plus the base Optimizer's decoupled weight decay (optimizers.c). */
#include <math.h>

#include "ck_model_internal.h"

/* Keras's defaults (learning rates are always given) */
static const float BETA_1 = 0.9f, BETA_2 = 0.999f, KERAS_EPSILON = 1e-7f;
/* Nadam's momentum schedule: u_t = beta_1 (1 - 0.5 NADAM_DECAY^t) */
static const double NADAM_DECAY = 0.96;

static int check_adam_family(const char *name, float learning_rate, float beta_1, float beta_2, float epsilon)
{
    if (!(learning_rate > 0.0f) || isinf(learning_rate) || !(beta_1 >= 0.0f && beta_1 < 1.0f) ||
        !(beta_2 >= 0.0f && beta_2 < 1.0f) || !(epsilon >= 0.0f))
        return ck_fail("%s: need learning_rate > 0, beta_1 and beta_2 in [0, 1), epsilon >= 0; got %g, %g, %g, %g",
                       name, (double)learning_rate, (double)beta_1, (double)beta_2, (double)epsilon);
    return 0;
}

/* ---- Adam and AdamW ----
 * Keras folds the bias correction into the step size once per step and
 * keeps epsilon outside it:
 *   lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t);  w -= lr_t * m / (sqrt(v) + eps)
 * Dense like Keras: every row's moments decay every step, touched or not. */

static int adam_slots(const ck_optimizer *o) { return o->switches & CK_OPT_AMSGRAD ? 3 : 2; }

static void adam_begin_step(ck_optimizer *o)
{
    double t = (double)o->iterations;
    o->cfg.adam.lr_t =
        (float)(o->learning_rate * sqrt(1.0 - pow(o->cfg.adam.beta_2, t)) / (1.0 - pow(o->cfg.adam.beta_1, t)));
}

static void adam_update(const ck_optimizer *o, float *w, float *g, float *const *slots, int64_t n)
{
    if (o->switches & CK_OPT_AMSGRAD)
        ck_k_adam_amsgrad(w, slots[0], slots[1], slots[2], g, n, o->cfg.adam.lr_t, o->cfg.adam.beta_1,
                          o->cfg.adam.beta_2, o->cfg.adam.epsilon);
    else
        ck_k_adam(w, slots[0], slots[1], g, n, o->cfg.adam.lr_t, o->cfg.adam.beta_1, o->cfg.adam.beta_2,
                  o->cfg.adam.epsilon);
}

static const ck_optimizer_class adam_class = {"Adam", CK_OPT_AMSGRAD, adam_slots, adam_begin_step, adam_update};
static const ck_optimizer_class adamw_class = {"AdamW", CK_OPT_AMSGRAD, adam_slots, adam_begin_step, adam_update};

static ck_optimizer *adam_new(const ck_optimizer_class *cls, float learning_rate, float beta_1, float beta_2,
                              float epsilon)
{
    if (check_adam_family(cls->name, learning_rate, beta_1, beta_2, epsilon)) return NULL;
    ck_optimizer *o = ck_optimizer_new(cls, learning_rate);
    if (!o) return NULL;
    o->cfg.adam.beta_1 = beta_1;
    o->cfg.adam.beta_2 = beta_2;
    o->cfg.adam.epsilon = epsilon;
    return o;
}

ck_optimizer *ck_Adam_ex(float learning_rate, float beta_1, float beta_2, float epsilon)
{
    return adam_new(&adam_class, learning_rate, beta_1, beta_2, epsilon);
}

ck_optimizer *ck_Adam(float learning_rate) { return ck_Adam_ex(learning_rate, BETA_1, BETA_2, KERAS_EPSILON); }

ck_optimizer *ck_AdamW_ex(float learning_rate, float weight_decay, float beta_1, float beta_2, float epsilon)
{
    if (!(weight_decay >= 0.0f) || isinf(weight_decay)) {
        ck_fail("AdamW: weight_decay must be finite and >= 0, got %g", (double)weight_decay);
        return NULL;
    }
    ck_optimizer *o = adam_new(&adamw_class, learning_rate, beta_1, beta_2, epsilon);
    if (o) o->weight_decay = weight_decay;
    return o;
}

ck_optimizer *ck_AdamW(float learning_rate, float weight_decay)
{
    return ck_AdamW_ex(learning_rate, weight_decay, BETA_1, BETA_2, KERAS_EPSILON);
}

/* ---- Adamax: the infinity norm u instead of v ---- */

static int two_slots(const ck_optimizer *o)
{
    (void)o;
    return 2;
}

static void adamax_begin_step(ck_optimizer *o)
{
    o->cfg.adamax.bias_correction = (float)(1.0 - pow(o->cfg.adamax.beta_1, (double)o->iterations));
}

static void adamax_update(const ck_optimizer *o, float *w, float *g, float *const *slots, int64_t n)
{
    ck_k_adamax(w, slots[0], slots[1], g, n, o->learning_rate, o->cfg.adamax.beta_1, o->cfg.adamax.beta_2,
                o->cfg.adamax.epsilon, o->cfg.adamax.bias_correction);
}

static const ck_optimizer_class adamax_class = {"Adamax", 0, two_slots, adamax_begin_step, adamax_update};

ck_optimizer *ck_Adamax_ex(float learning_rate, float beta_1, float beta_2, float epsilon)
{
    if (check_adam_family("Adamax", learning_rate, beta_1, beta_2, epsilon)) return NULL;
    ck_optimizer *o = ck_optimizer_new(&adamax_class, learning_rate);
    if (!o) return NULL;
    o->cfg.adamax.beta_1 = beta_1;
    o->cfg.adamax.beta_2 = beta_2;
    o->cfg.adamax.epsilon = epsilon;
    return o;
}

ck_optimizer *ck_Adamax(float learning_rate) { return ck_Adamax_ex(learning_rate, BETA_1, BETA_2, KERAS_EPSILON); }

/* ---- Nadam: Adam with Nesterov momentum and a momentum schedule ---- */

static void nadam_begin_step(ck_optimizer *o)
{
    double t = (double)o->iterations, b1 = o->cfg.nadam.beta_1;
    double u_t = b1 * (1.0 - 0.5 * pow(NADAM_DECAY, t)), u_t_1 = b1 * (1.0 - 0.5 * pow(NADAM_DECAY, t + 1.0));
    o->cfg.nadam.u_product *= u_t; /* once per step, as Keras's cached _u_product */
    o->cfg.nadam.step = (ck_nadam_step){.lr = o->learning_rate,
                                        .beta_1 = o->cfg.nadam.beta_1,
                                        .beta_2 = o->cfg.nadam.beta_2,
                                        .epsilon = o->cfg.nadam.epsilon,
                                        .u_t = (float)u_t,
                                        .u_t_1 = (float)u_t_1,
                                        .u_product_t = (float)o->cfg.nadam.u_product,
                                        .u_product_t_1 = (float)(o->cfg.nadam.u_product * u_t_1),
                                        .beta_2_power = (float)pow(o->cfg.nadam.beta_2, t)};
}

static void nadam_update(const ck_optimizer *o, float *w, float *g, float *const *slots, int64_t n)
{
    ck_k_nadam(w, slots[0], slots[1], g, n, &o->cfg.nadam.step);
}

static const ck_optimizer_class nadam_class = {"Nadam", 0, two_slots, nadam_begin_step, nadam_update};

ck_optimizer *ck_Nadam_ex(float learning_rate, float beta_1, float beta_2, float epsilon)
{
    if (check_adam_family("Nadam", learning_rate, beta_1, beta_2, epsilon)) return NULL;
    ck_optimizer *o = ck_optimizer_new(&nadam_class, learning_rate);
    if (!o) return NULL;
    o->cfg.nadam.beta_1 = beta_1;
    o->cfg.nadam.beta_2 = beta_2;
    o->cfg.nadam.epsilon = epsilon;
    o->cfg.nadam.u_product = 1.0;
    return o;
}

ck_optimizer *ck_Nadam(float learning_rate) { return ck_Nadam_ex(learning_rate, BETA_1, BETA_2, KERAS_EPSILON); }
