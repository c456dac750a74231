/* optimizers_sgd.c - SGD, RMSprop and Adagrad: the optimizers without bias
 * correction, each with the update rule of Keras 2.11+
 * (tf_keras/optimizers/sgd.py, rmsprop.py, adagrad.py; formulas in
 * ck_optimizers.h). The shared step (schedule, clipping, weight decay) is in
 * optimizers.c. */
#include <math.h>

#include "ck_model_internal.h"

/* Keras's defaults (learning rates are always given) */
static const float RMSPROP_RHO = 0.9f, RMSPROP_MOMENTUM = 0.0f, KERAS_EPSILON = 1e-7f;
static const float ADAGRAD_INITIAL_ACCUMULATOR = 0.1f;

static int lr_ok(float lr) { return lr > 0.0f && !isinf(lr); }

/* ---- SGD ---- */

/* the velocity only with momentum (Keras's SGD without it is w -= lr g) */
static int sgd_slots(const ck_optimizer *o) { return o->cfg.sgd.momentum > 0.0f ? 1 : 0; }

static void sgd_update(const ck_optimizer *o, float *w, float *g, float *const *slots, int64_t n)
{
    if (o->switches & CK_OPT_NESTEROV && o->cfg.sgd.momentum > 0.0f)
        ck_k_sgd_nesterov(w, slots[0], g, n, o->learning_rate, o->cfg.sgd.momentum);
    else
        ck_k_sgd(w, o->cfg.sgd.momentum > 0.0f ? slots[0] : NULL, g, n, o->learning_rate, o->cfg.sgd.momentum);
}

static const ck_optimizer_class sgd_class = {"SGD", CK_OPT_NESTEROV, sgd_slots, NULL, sgd_update};

ck_optimizer *ck_SGD(float learning_rate, float momentum)
{
    if (!lr_ok(learning_rate) || !(momentum >= 0.0f && momentum < 1.0f)) {
        ck_fail("SGD: need learning_rate > 0 and momentum in [0, 1); got %g, %g", (double)learning_rate,
                (double)momentum);
        return NULL;
    }
    ck_optimizer *o = ck_optimizer_new(&sgd_class, learning_rate);
    if (o) o->cfg.sgd.momentum = momentum;
    return o;
}

/* ---- RMSprop ---- */

/* slots: ms, then mom (momentum > 0), then mg (centered) */
static int rmsprop_slots(const ck_optimizer *o)
{
    return 1 + (o->cfg.rmsprop.momentum > 0.0f) + ((o->switches & CK_OPT_CENTERED) != 0);
}

static void rmsprop_update(const ck_optimizer *o, float *w, float *g, float *const *slots, int64_t n)
{
    int has_momentum = o->cfg.rmsprop.momentum > 0.0f;
    float *mom = has_momentum ? slots[1] : NULL;
    float *mg = o->switches & CK_OPT_CENTERED ? slots[1 + has_momentum] : NULL;
    ck_k_rmsprop(w, slots[0], mom, mg, g, n, o->learning_rate, o->cfg.rmsprop.rho, o->cfg.rmsprop.momentum,
                 o->cfg.rmsprop.epsilon);
}

static const ck_optimizer_class rmsprop_class = {"RMSprop", CK_OPT_CENTERED, rmsprop_slots, NULL, rmsprop_update};

ck_optimizer *ck_RMSprop_ex(float learning_rate, float rho, float momentum, float epsilon)
{
    if (!lr_ok(learning_rate) || !(rho >= 0.0f && rho < 1.0f) || !(momentum >= 0.0f && momentum < 1.0f) ||
        !(epsilon >= 0.0f)) {
        ck_fail("RMSprop: need learning_rate > 0, rho and momentum in [0, 1), epsilon >= 0; got %g, %g, %g, %g",
                (double)learning_rate, (double)rho, (double)momentum, (double)epsilon);
        return NULL;
    }
    ck_optimizer *o = ck_optimizer_new(&rmsprop_class, learning_rate);
    if (!o) return NULL;
    o->cfg.rmsprop.rho = rho;
    o->cfg.rmsprop.momentum = momentum;
    o->cfg.rmsprop.epsilon = epsilon;
    return o;
}

ck_optimizer *ck_RMSprop(float learning_rate)
{
    return ck_RMSprop_ex(learning_rate, RMSPROP_RHO, RMSPROP_MOMENTUM, KERAS_EPSILON);
}

/* ---- Adagrad ---- */

static int adagrad_slots(const ck_optimizer *o)
{
    (void)o;
    return 1; /* the accumulator, starting at initial_accumulator_value */
}

static void adagrad_update(const ck_optimizer *o, float *w, float *g, float *const *slots, int64_t n)
{
    ck_k_adagrad(w, slots[0], g, n, o->learning_rate, o->cfg.adagrad.epsilon);
}

static const ck_optimizer_class adagrad_class = {"Adagrad", 0, adagrad_slots, NULL, adagrad_update};

ck_optimizer *ck_Adagrad_ex(float learning_rate, float initial_accumulator_value, float epsilon)
{
    if (!lr_ok(learning_rate) || !(initial_accumulator_value >= 0.0f) || isinf(initial_accumulator_value) ||
        !(epsilon >= 0.0f)) {
        ck_fail("Adagrad: need learning_rate > 0, initial_accumulator_value >= 0, epsilon >= 0; got %g, %g, %g",
                (double)learning_rate, (double)initial_accumulator_value, (double)epsilon);
        return NULL;
    }
    ck_optimizer *o = ck_optimizer_new(&adagrad_class, learning_rate);
    if (!o) return NULL;
    o->cfg.adagrad.epsilon = epsilon;
    o->slot_init[0] = initial_accumulator_value;
    return o;
}

ck_optimizer *ck_Adagrad(float learning_rate)
{
    return ck_Adagrad_ex(learning_rate, ADAGRAD_INITIAL_ACCUMULATOR, KERAS_EPSILON);
}
